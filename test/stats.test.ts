// The A/B statistics against known values: bootstrap coverage on a known distribution (tight enough that a 90%
// interval fails), permutation tests on examples computed by hand and against full enumeration (the sampled branch
// included), and Holm's adjustment on a textbook family.
import { describe, expect, it } from 'vitest';
import { BCA_COVERAGE, bootstrapMean, holmAdjust, normalCdf, normalQuantile, pairedDifference, pairedPermutationP, smallestPairedP, twoSamplePermutationP } from '../agents/experiments/stats.ts';
import { makeRng } from '../sim/rng.ts';

function normal(rng: () => number): number {
  const u = Math.max(rng(), 1e-12);
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * rng());
}

/** P(|T| ≤ x) for Student's t with `df` degrees of freedom, by Simpson's rule on the density (independent of stats.ts). */
function tCentralProb(x: number, df: number): number {
  const lg = (z: number): number => {
    // Lanczos log-gamma
    const g = [676.5203681218851, -1259.1392167224028, 771.32342877765313, -176.61502916214059, 12.507343278686905, -0.13857109526572012, 9.9843695780195716e-6, 1.5056327351493116e-7];
    if (z < 0.5) return Math.log(Math.PI / Math.sin(Math.PI * z)) - lg(1 - z);
    z -= 1;
    let a = 0.99999999999980993;
    for (let i = 0; i < 8; i++) a += g[i] / (z + i + 1);
    const t = z + 7.5;
    return 0.5 * Math.log(2 * Math.PI) + (z + 0.5) * Math.log(t) - t + Math.log(a);
  };
  const c = Math.exp(lg((df + 1) / 2) - lg(df / 2)) / Math.sqrt(df * Math.PI);
  const f = (t: number) => c * (1 + (t * t) / df) ** (-(df + 1) / 2);
  const k = 2000;
  const h = x / k;
  let s = f(0) + f(x);
  for (let i = 1; i < k; i++) s += (i % 2 ? 4 : 2) * f(i * h);
  return 2 * (s * h) / 3;
}

/** Empirical coverage of the default interval over `trials` seeded N(3, 1) datasets of size n. */
function coverage(n: number, trials: number, seed: string, opts: { level?: number } = {}): number {
  const rng = makeRng(seed);
  let covered = 0;
  for (let t = 0; t < trials; t++) {
    const xs = Array.from({ length: n }, () => 3 + normal(rng));
    const ci = bootstrapMean(xs, { resamples: 1000, seed: `${seed}:${t}`, ...opts });
    if (ci.lo <= 3 && 3 <= ci.hi) covered++;
  }
  return covered / trials;
}

/** First-order coverage of a 95% bootstrap interval of a normal mean: P(|t_{n−1}| ≤ z·√((n−1)/n)). */
const theory = (n: number) => tCentralProb(normalQuantile(0.975) * Math.sqrt((n - 1) / n), n - 1);
/** Three binomial standard errors of a proportion p estimated from `trials` simulations. */
const tolerance = (p: number, trials: number) => 3 * Math.sqrt((p * (1 - p)) / trials);

describe('normal distribution helpers', () => {
  it('CDF and quantile agree with tabulated values and invert each other', () => {
    expect(normalCdf(1.959964)).toBeCloseTo(0.975, 6);
    expect(normalCdf(-1)).toBeCloseTo(0.158655, 6);
    expect(normalQuantile(0.975)).toBeCloseTo(1.959964, 6);
    expect(normalQuantile(0.001)).toBeCloseTo(-3.090232, 5);
    for (const p of [0.01, 0.2, 0.5, 0.9, 0.999]) expect(normalCdf(normalQuantile(p))).toBeCloseTo(p, 6);
  });
  it('the test-side t probability is right (t_4: P(|T| ≤ 2.776) = 0.95)', () => {
    expect(tCentralProb(2.776445, 4)).toBeCloseTo(0.95, 4);
    expect(tCentralProb(2.022691, 39)).toBeCloseTo(0.95, 4);
  });
});

describe('bootstrap', () => {
  it('default intervals of a N(3, 1) mean at n = 40 cover 3 at the rate theory gives (94.0%), within 3 binomial SE of 3000 simulations', () => {
    // the tolerance (±1.3 points) excludes a 90% interval, whose coverage here is about 88.8%
    const trials = 3000;
    const target = theory(40);
    expect(target).toBeGreaterThan(0.93);
    expect(Math.abs(coverage(40, trials, 'coverage-40') - target)).toBeLessThan(tolerance(target, trials));
  }, 60_000);
  it.each([5, 10, 20])('the small-n coverage caveat the report prints for n = %i matches theory and simulation', (n) => {
    const trials = 2000;
    const stated = BCA_COVERAGE[n];
    expect(Math.abs(stated - theory(n))).toBeLessThan(0.01);
    expect(Math.abs(coverage(n, trials, `coverage-${n}`) - stated)).toBeLessThan(tolerance(stated, trials) + 0.01);
  }, 60_000);
  it('the percentile method is available by name, and is not the default', () => {
    const xs = [0, 0, 0, 1, 5, 9];
    const pct = bootstrapMean(xs, { seed: 's', method: 'percentile' });
    const bca = bootstrapMean(xs, { seed: 's' });
    expect(pct.mean).toBe(bca.mean);
    expect(pct.lo).not.toBe(bca.lo); // right-skewed data: BCa shifts the interval up
    expect(bca.hi).toBeGreaterThan(pct.hi);
  });
  it('is the value itself for one sample or for equal samples, and reproducible for a seed', () => {
    expect(bootstrapMean([4])).toEqual({ mean: 4, lo: 4, hi: 4, n: 1 });
    expect(bootstrapMean([0, 0, 0, 0, 0])).toEqual({ mean: 0, lo: 0, hi: 0, n: 5 });
    expect(bootstrapMean([1, 2, 3, 9], { seed: 'a' })).toEqual(bootstrapMean([1, 2, 3, 9], { seed: 'a' }));
  });
});

/** Exact two-sided sign-flip p by brute force, written independently of stats.ts. */
function enumerate(diffs: readonly number[]): number {
  const obs = Math.abs(diffs.reduce((a, b) => a + b, 0));
  let hit = 0;
  for (let mask = 0; mask < 2 ** diffs.length; mask++) {
    const s = diffs.reduce((a, d, i) => a + (mask & (1 << i) ? -d : d), 0);
    if (Math.abs(s) >= obs - 1e-9) hit++;
  }
  return hit / 2 ** diffs.length;
}

describe('permutation tests', () => {
  it('paired sign-flip: five positive differences give exact two-sided p = 2/32, and so do five negative ones', () => {
    expect(pairedPermutationP([1, 2, 3, 4, 5])).toBeCloseTo(2 / 32, 12);
    expect(pairedPermutationP([-1, -2, -3, -4, -5])).toBeCloseTo(2 / 32, 12);
    expect(smallestPairedP(5)).toBeCloseTo(2 / 32, 12);
    expect(smallestPairedP(10)).toBeCloseTo(2 / 1024, 12);
  });
  it('paired sign-flip is two-sided: p(d) = p(−d), and a mixed-sign example matches enumeration', () => {
    const d = [0.3, -0.1, 0.5, 0.2, -0.4, 0.6, 0.1];
    expect(pairedPermutationP(d)).toBeCloseTo(enumerate(d), 12);
    expect(pairedPermutationP(d.map((x) => -x))).toBeCloseTo(pairedPermutationP(d), 12);
  });
  it('paired sign-flip: differences centred on zero give p = 1', () => {
    expect(pairedPermutationP([1, -1, 2, -2])).toBe(1);
  });
  it('the sampled branch (n > 16) rejects 20 same-sign differences and matches enumeration within binomial error', () => {
    const strong = Array.from({ length: 20 }, (_, i) => 1 + i / 10);
    expect(pairedPermutationP(strong, { seed: 'x' })).toBeLessThan(0.001);
    expect(pairedPermutationP(strong.map((x) => -x), { seed: 'x' })).toBeLessThan(0.001);
    const rng = makeRng('mixed');
    const mixed = Array.from({ length: 17 }, () => normal(rng) + 0.4);
    const exact = enumerate(mixed);
    expect(exact).toBeGreaterThan(0.01);
    expect(exact).toBeLessThan(0.5);
    const sampled = pairedPermutationP(mixed, { seed: 'y', resamples: 20000 });
    expect(Math.abs(sampled - exact)).toBeLessThan(tolerance(exact, 20000) + 1e-4);
  });
  it('two samples: {20, 22, 24} vs {10, 12, 14} — one of C(6,3) = 20 labellings is as extreme (p = 1/20 one-sided)', () => {
    expect(twoSamplePermutationP([20, 22, 24], [10, 12, 14], { alternative: 'greater' })).toBeCloseTo(1 / 20, 12);
    expect(twoSamplePermutationP([20, 22, 24], [10, 12, 14])).toBeCloseTo(2 / 20, 12);
  });
  it('paired difference reports its mean, interval and p', () => {
    const d = pairedDifference([5, 6, 7, 8], [1, 1, 1, 1], 's');
    expect(d.mean).toBe(5.5);
    expect(d.lo).toBeGreaterThanOrEqual(4);
    expect(d.hi).toBeLessThanOrEqual(7);
    expect(d.p).toBeCloseTo(2 / 16, 12);
  });
});

describe('Holm', () => {
  it('adjusts a textbook family step-down and keeps the order monotone', () => {
    // p = 0.01, 0.04, 0.03, 0.005 → sorted 0.005·4, 0.01·3, 0.03·2, 0.04·1 = 0.02, 0.03, 0.06, 0.06 (monotone)
    const adj = holmAdjust([0.01, 0.04, 0.03, 0.005]);
    expect(adj[3]).toBeCloseTo(0.02, 12);
    expect(adj[0]).toBeCloseTo(0.03, 12);
    expect(adj[2]).toBeCloseTo(0.06, 12);
    expect(adj[1]).toBeCloseTo(0.06, 12);
  });
  it('caps at 1 and leaves untested (NaN) entries out of the family', () => {
    // m = 3: 0.01·3 = 0.03; 0.6·2 = 1.2 → 1; 0.7·1 = 0.7 → 1 (monotone)
    const adj = holmAdjust([0.6, Number.NaN, 0.01, 0.7]);
    expect(adj[0]).toBe(1);
    expect(adj[1]).toBeNaN();
    expect(adj[2]).toBeCloseTo(0.03, 12);
    expect(adj[3]).toBe(1);
  });
});
