// Statistics for guardrail A/B reports: bootstrap intervals for a mean (BCa by default, percentile on request;
// Efron & Tibshirani 1993, ch. 14), paired differences with their interval, an exact or sampled sign-flip
// permutation test for paired data (Fisher's randomisation test), and Holm's step-down correction for a family
// of such tests. Intervals are estimates; decisions ("this arm changed X") belong to the permutation test plus
// Holm (agents/experiments/report.ts). All resampling draws from a seeded stream, so a report is reproducible.
import { makeRng, type Rng } from '../../sim/rng.ts';

export interface Interval {
  mean: number;
  lo: number;
  hi: number;
  n: number;
}

/** How a bootstrap interval is read off the resampled means. */
export type BootstrapMethod = 'bca' | 'percentile';
export const BOOTSTRAP_LEVEL = 0.95;
export const BOOTSTRAP_RESAMPLES = 4000;

export function mean(xs: readonly number[]): number {
  return xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : Number.NaN;
}

function quantile(sorted: readonly number[], q: number): number {
  if (sorted.length === 0) return Number.NaN;
  const pos = (sorted.length - 1) * q;
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  return sorted[lo] + (sorted[hi] - sorted[lo]) * (pos - lo);
}

/** Standard normal CDF, via the complementary error function (Numerical Recipes' erfc, |error| < 1.2e-7). */
export function normalCdf(z: number): number {
  const x = Math.abs(z) / Math.SQRT2;
  const t = 1 / (1 + 0.5 * x);
  const erfc = t * Math.exp(-x * x - 1.26551223 + t * (1.00002368 + t * (0.37409196 + t * (0.09678418 + t * (-0.18628806 + t * (0.27886807 + t * (-1.13520398 + t * (1.48851587 + t * (-0.82215223 + t * 0.17087277)))))))));
  return z >= 0 ? 1 - erfc / 2 : erfc / 2;
}

/** Standard normal quantile (Acklam's rational approximation, relative error < 1.2e-9). */
export function normalQuantile(p: number): number {
  if (p <= 0) return -Infinity;
  if (p >= 1) return Infinity;
  const a = [-3.969683028665376e1, 2.209460984245205e2, -2.759285104469687e2, 1.38357751867269e2, -3.066479806614716e1, 2.506628277459239];
  const b = [-5.447609879822406e1, 1.615858368580409e2, -1.556989798598866e2, 6.680131188771972e1, -1.328068155288572e1];
  const c = [-7.784894002430293e-3, -3.223964580411365e-1, -2.400758277161838, -2.549732539343734, 4.374664141464968, 2.938163982698783];
  const d = [7.784695709041462e-3, 3.224671290700398e-1, 2.445134137142996, 3.754408661907416];
  const lowTail = 0.02425;
  if (p < lowTail || p > 1 - lowTail) {
    const q = Math.sqrt(-2 * Math.log(p < lowTail ? p : 1 - p));
    const v = (((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5]) / ((((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1);
    return p < lowTail ? v : -v;
  }
  const q = p - 0.5;
  const r = q * q;
  return ((((((a[0] * r + a[1]) * r + a[2]) * r + a[3]) * r + a[4]) * r + a[5]) * q) / (((((b[0] * r + b[1]) * r + b[2]) * r + b[3]) * r + b[4]) * r + 1);
}

/**
 * Bootstrap interval of the mean at `level` (0.95 by default). `bca` (the default) corrects the percentile
 * interval for the bootstrap distribution's bias (z0, counting ties as half, since rates over few seeds tie
 * often) and skewness (acceleration from the jackknife); `percentile` reads the quantiles directly. Neither fixes
 * the main small-n problem, the plug-in spread being too narrow: see BCA_COVERAGE for what that costs. With one
 * sample, or all samples equal, the interval is that value.
 */
export function bootstrapMean(xs: readonly number[], opts: { resamples?: number; level?: number; seed?: string; method?: BootstrapMethod } = {}): Interval {
  const n = xs.length;
  const m = mean(xs);
  if (n <= 1 || xs.every((x) => x === xs[0])) return { mean: m, lo: m, hi: m, n };
  const B = opts.resamples ?? BOOTSTRAP_RESAMPLES;
  const level = opts.level ?? BOOTSTRAP_LEVEL;
  const rng: Rng = makeRng(`bootstrap:${opts.seed ?? ''}`);
  const means = new Array<number>(B);
  for (let b = 0; b < B; b++) {
    let s = 0;
    for (let i = 0; i < n; i++) s += xs[Math.floor(rng() * n)];
    means[b] = s / n;
  }
  means.sort((a, b) => a - b);
  const alpha = (1 - level) / 2;
  if ((opts.method ?? 'bca') === 'percentile') return { mean: m, lo: quantile(means, alpha), hi: quantile(means, 1 - alpha), n };
  // bias correction: where the estimate sits in its own bootstrap distribution (clamped so z0 stays finite)
  const eps = 1e-12 * Math.max(1, Math.abs(m));
  let below = 0;
  let tied = 0;
  for (const v of means) {
    if (v < m - eps) below++;
    else if (v <= m + eps) tied++;
  }
  const z0 = normalQuantile(Math.min(1 - 0.5 / B, Math.max(0.5 / B, (below + tied / 2) / B)));
  // acceleration from the jackknife means (leave one out)
  const sum = xs.reduce((a, b) => a + b, 0);
  const jack = xs.map((x) => (sum - x) / (n - 1));
  const jm = mean(jack);
  let num = 0;
  let den = 0;
  for (const j of jack) {
    num += (jm - j) ** 3;
    den += (jm - j) ** 2;
  }
  const acc = den > 0 ? num / (6 * den ** 1.5) : 0;
  const adjusted = (z: number) => normalCdf(z0 + (z0 + z) / (1 - acc * (z0 + z)));
  return { mean: m, lo: quantile(means, adjusted(normalQuantile(alpha))), hi: quantile(means, adjusted(normalQuantile(1 - alpha))), n };
}

/**
 * Coverage of the default 95% BCa interval of a mean, for normal data, at small n: to first order that of
 * mean ± 1.96·(plug-in sd)/√n, i.e. P(|t_{n−1}| ≤ 1.96·√((n−1)/n)). test/stats.test.ts checks these figures
 * against that formula and against a seeded simulation, so the caveat the report prints is not a guess. At n = 40
 * it is 94%; at the seed counts A/B experiments can afford it is well below 95%.
 */
export const BCA_COVERAGE: Readonly<Record<number, number>> = { 5: 0.85, 10: 0.9, 20: 0.93 };

/** The sentence a report prints about its intervals: the method, and the small-n coverage caveat when it applies. */
export function intervalMethodNote(n: number): string {
  const known = Object.keys(BCA_COVERAGE).map(Number).sort((a, b) => a - b);
  const near = known.filter((k) => k <= n).pop();
  const base = `Intervals are ${BOOTSTRAP_LEVEL * 100}% BCa bootstrap intervals of the mean over seeds (${BOOTSTRAP_RESAMPLES} resamples): estimates of spread, not tests.`;
  if (n >= 40) return base;
  if (near === undefined) return `${base} With ${n} seeds they undercover badly: for normal data a nominal ${BOOTSTRAP_LEVEL * 100}% BCa interval covers the true mean only about ${Math.round(BCA_COVERAGE[known[0]] * 100)}% of the time already at ${known[0]} samples.`;
  return `${base} With ${n} seeds they undercover: for normal data a nominal ${BOOTSTRAP_LEVEL * 100}% BCa interval from ${near} samples covers the true mean about ${Math.round(BCA_COVERAGE[near] * 100)}% of the time.`;
}

/**
 * Two-sided sign-flip permutation test of "mean paired difference = 0": exact over all 2^n sign patterns for
 * n ≤ 16, else `resamples` random patterns (with the observed one counted, so p is never 0).
 */
export function pairedPermutationP(diffs: readonly number[], opts: { resamples?: number; seed?: string } = {}): number {
  const n = diffs.length;
  if (n === 0) return Number.NaN;
  const observed = Math.abs(diffs.reduce((a, b) => a + b, 0));
  const eps = 1e-12 * Math.max(1, observed);
  if (n <= 16) {
    let extreme = 0;
    const total = 1 << n;
    for (let mask = 0; mask < total; mask++) {
      let s = 0;
      for (let i = 0; i < n; i++) s += mask & (1 << i) ? -diffs[i] : diffs[i];
      if (Math.abs(s) >= observed - eps) extreme++;
    }
    return extreme / total;
  }
  const R = opts.resamples ?? 20000;
  const rng = makeRng(`permutation:${opts.seed ?? ''}`);
  let extreme = 1;
  for (let r = 0; r < R; r++) {
    let s = 0;
    for (let i = 0; i < n; i++) s += rng() < 0.5 ? -diffs[i] : diffs[i];
    if (Math.abs(s) >= observed - eps) extreme++;
  }
  return extreme / (R + 1);
}

/** Two-sample permutation test of a difference in means (unpaired), exact by enumerating relabellings when small. */
export function twoSamplePermutationP(a: readonly number[], b: readonly number[], opts: { alternative?: 'two-sided' | 'greater'; resamples?: number; seed?: string } = {}): number {
  const all = [...a, ...b];
  const na = a.length;
  const diff = (xs: readonly number[], idx: readonly number[]) => {
    const inA = new Set(idx);
    let sa = 0;
    let sb = 0;
    xs.forEach((x, i) => (inA.has(i) ? (sa += x) : (sb += x)));
    return sa / na - sb / (xs.length - na);
  };
  const obs = mean(a) - mean(b);
  const alt = opts.alternative ?? 'two-sided';
  const hit = (d: number) => (alt === 'greater' ? d >= obs - 1e-12 : Math.abs(d) >= Math.abs(obs) - 1e-12);
  const combos: number[][] = [];
  const choose = (start: number, picked: number[]) => {
    if (combos.length > 200000) return;
    if (picked.length === na) return void combos.push([...picked]);
    for (let i = start; i < all.length; i++) choose(i + 1, [...picked, i]);
  };
  choose(0, []);
  if (combos.length <= 200000) return combos.filter((c) => hit(diff(all, c))).length / combos.length;
  const rng = makeRng(`perm2:${opts.seed ?? ''}`);
  const R = opts.resamples ?? 20000;
  let extreme = 1;
  for (let r = 0; r < R; r++) {
    const idx = Array.from({ length: all.length }, (_, i) => i);
    for (let i = idx.length - 1; i > 0; i--) {
      const j = Math.floor(rng() * (i + 1));
      [idx[i], idx[j]] = [idx[j], idx[i]];
    }
    if (hit(diff(all, idx.slice(0, na)))) extreme++;
  }
  return extreme / (R + 1);
}

/** The smallest two-sided p an exact sign-flip test of n pairs can give (all differences of one sign): 2 / 2^n. */
export function smallestPairedP(n: number): number {
  return n > 0 ? Math.min(1, 2 / 2 ** n) : 1;
}

/**
 * Holm's step-down adjustment (Holm 1979) of a family of p-values: the k-th smallest is multiplied by (m − k + 1),
 * and the adjusted values are made monotone. Rejecting where adjusted p < α controls the family-wise error rate
 * at α under any dependence between the tests, which matters here: one arm's metrics move together. NaN entries
 * (untested) stay NaN and do not count in m.
 */
export function holmAdjust(ps: readonly number[]): number[] {
  const idx = ps.map((p, i) => [p, i] as const).filter(([p]) => !Number.isNaN(p)).sort((a, b) => a[0] - b[0]);
  const m = idx.length;
  const out = ps.map(() => Number.NaN);
  let running = 0;
  idx.forEach(([p, i], k) => {
    running = Math.max(running, Math.min(1, (m - k) * p));
    out[i] = running;
  });
  return out;
}

/** The paired difference arm − baseline over matching seeds: its bootstrap interval and permutation p-value. */
export function pairedDifference(arm: readonly number[], base: readonly number[], seed: string): Interval & { p: number } {
  const n = Math.min(arm.length, base.length);
  const diffs = Array.from({ length: n }, (_, i) => arm[i] - base[i]);
  return { ...bootstrapMean(diffs, { seed }), p: pairedPermutationP(diffs, { seed }) };
}
