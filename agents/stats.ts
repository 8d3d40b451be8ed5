// Statistics for guardrail A/B reports: percentile bootstrap intervals for a mean (Efron & Tibshirani 1993), paired
// differences with their interval, and an exact or sampled sign-flip permutation test for paired data (Fisher's
// randomisation test). All resampling draws from a seeded stream, so a report is reproducible.
import { makeRng, type Rng } from '../sim/rng.ts';

export interface Interval {
  mean: number;
  lo: number;
  hi: number;
  n: number;
}

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

/** 95% (by default) percentile bootstrap interval of the mean. With one sample the interval is that value. */
export function bootstrapMean(xs: readonly number[], opts: { resamples?: number; level?: number; seed?: string } = {}): Interval {
  const n = xs.length;
  const m = mean(xs);
  if (n <= 1) return { mean: m, lo: m, hi: m, n };
  const B = opts.resamples ?? 4000;
  const level = opts.level ?? 0.95;
  const rng: Rng = makeRng(`bootstrap:${opts.seed ?? ''}`);
  const means = new Array<number>(B);
  for (let b = 0; b < B; b++) {
    let s = 0;
    for (let i = 0; i < n; i++) s += xs[Math.floor(rng() * n)];
    means[b] = s / n;
  }
  means.sort((a, b) => a - b);
  return { mean: m, lo: quantile(means, (1 - level) / 2), hi: quantile(means, 1 - (1 - level) / 2), n };
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

/** The paired difference arm − baseline over matching seeds: its bootstrap interval and permutation p-value. */
export function pairedDifference(arm: readonly number[], base: readonly number[], seed: string): Interval & { p: number } {
  const n = Math.min(arm.length, base.length);
  const diffs = Array.from({ length: n }, (_, i) => arm[i] - base[i]);
  return { ...bootstrapMean(diffs, { seed }), p: pairedPermutationP(diffs, { seed }) };
}
