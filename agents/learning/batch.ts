// Minibatch tensors from the rollout buffer, shared by the algorithm files: featurised observations, actions,
// old log-probabilities and values, advantages (optionally normalised) and returns, for a set of rows.
import * as tf from '@tensorflow/tfjs';
import { featurize, featurizeTransposed } from './features.ts';
import type { RolloutBuffer } from './rollout.ts';
import type { Rng } from '../../sim/rng.ts';

export interface MiniBatch {
  x: tf.Tensor2D;
  /** The same observations feature-major [flatSize, B], for the first layer's gradient (network.ts). */
  xT: tf.Tensor2D;
  actions: tf.Tensor1D;
  oldLogp: tf.Tensor1D;
  oldValues: tf.Tensor1D;
  advantages: tf.Tensor1D;
  returns: tf.Tensor1D;
}

/** Builds a minibatch (call inside tf.tidy). */
export function miniBatch(buf: RolloutBuffer, rows: Int32Array, normAdv: boolean): MiniBatch {
  const n = rows.length;
  const spec = buf.spec;
  featurize(spec, buf.codes, buf.scalars, n, buf.features, rows);
  featurizeTransposed(spec, buf.codes, buf.scalars, n, buf.featuresT, rows);
  const pick = (src: Float32Array) => Float32Array.from(rows, (r) => src[r]);
  const adv = pick(buf.advantages);
  if (normAdv && n > 1) {
    let mean = 0;
    for (const a of adv) mean += a;
    mean /= n;
    let v = 0;
    for (const a of adv) v += (a - mean) ** 2;
    const std = Math.sqrt(v / (n - 1));
    for (let i = 0; i < n; i++) adv[i] = (adv[i] - mean) / (std + 1e-8);
  }
  return {
    x: tf.tensor2d(buf.features.subarray(0, n * spec.flatSize), [n, spec.flatSize]),
    xT: tf.tensor2d(buf.featuresT.subarray(0, n * spec.flatSize), [spec.flatSize, n]),
    actions: tf.tensor1d(Int32Array.from(rows, (r) => buf.actions[r]), 'int32'),
    oldLogp: tf.tensor1d(pick(buf.logprobs)),
    oldValues: tf.tensor1d(pick(buf.values)),
    advantages: tf.tensor1d(adv),
    returns: tf.tensor1d(pick(buf.returns)),
  };
}

/** A seeded permutation of 0..n-1 (Fisher–Yates). */
export function permutation(n: number, rng: Rng): Int32Array {
  const p = Int32Array.from({ length: n }, (_, i) => i);
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(rng() * (i + 1));
    const t = p[i];
    p[i] = p[j];
    p[j] = t;
  }
  return p;
}

/** Per-update statistics every algorithm reports (metric names in docs/metrics.md). */
export interface UpdateStats {
  policyLoss: number;
  valueLoss: number;
  entropy: number;
  approxKl: number;
  clipFrac: number;
  gradNorm: number;
}

export function meanStats(rows: Array<Record<string, number>>): UpdateStats {
  const keys: Array<keyof UpdateStats> = ['policyLoss', 'valueLoss', 'entropy', 'approxKl', 'clipFrac', 'gradNorm'];
  const out = {} as UpdateStats;
  for (const k of keys) out[k] = rows.reduce((a, r) => a + (r[k] ?? 0), 0) / Math.max(1, rows.length);
  return out;
}
