// The A/B statistics against known values: bootstrap coverage on a known distribution, permutation tests on
// textbook examples computed by hand.
import { describe, expect, it } from 'vitest';
import { bootstrapMean, pairedDifference, pairedPermutationP, twoSamplePermutationP } from '../agents/stats.ts';
import { makeRng } from '../sim/rng.ts';

function normal(rng: () => number): number {
  const u = Math.max(rng(), 1e-12);
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * rng());
}

describe('bootstrap', () => {
  it('95% intervals of the mean of N(3, 1) samples (n = 40) cover 3 about 95% of the time', () => {
    const rng = makeRng('coverage');
    let covered = 0;
    const trials = 300;
    for (let t = 0; t < trials; t++) {
      const xs = Array.from({ length: 40 }, () => 3 + normal(rng));
      const ci = bootstrapMean(xs, { resamples: 1000, seed: String(t) });
      if (ci.lo <= 3 && 3 <= ci.hi) covered++;
    }
    // the percentile bootstrap undercovers slightly at n = 40; 300 trials give ±2.5% noise
    expect(covered / trials).toBeGreaterThan(0.89);
    expect(covered / trials).toBeLessThan(0.99);
  });
  it('is the value itself for one sample, and reproducible for a seed', () => {
    expect(bootstrapMean([4])).toEqual({ mean: 4, lo: 4, hi: 4, n: 1 });
    expect(bootstrapMean([1, 2, 3, 9], { seed: 'a' })).toEqual(bootstrapMean([1, 2, 3, 9], { seed: 'a' }));
  });
});

describe('permutation tests', () => {
  it('paired sign-flip: five positive differences give exact two-sided p = 2/32', () => {
    expect(pairedPermutationP([1, 2, 3, 4, 5])).toBeCloseTo(2 / 32, 12);
  });
  it('paired sign-flip: differences centred on zero give p = 1', () => {
    expect(pairedPermutationP([1, -1, 2, -2])).toBe(1);
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
