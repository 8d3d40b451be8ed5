// Turns engine observations into the network's input: the window's seen codes one-hot encoded (floor, code 0,
// is the absence of every channel) followed by the scalars. Written in plain loops into a reused Float32Array;
// the rollout buffer keeps the compact codes, and minibatches are featurised when they are used.
import type { ObservationSpec } from '../../sim/observation.ts';

/**
 * Writes rows [0, count) of `out` ([count * spec.flatSize], zero-filled here) from codes
 * [.. * window²] and scalars [.. * numScalars], taking row r from source row `rows ? rows[r] : r`.
 */
export function featurize(
  spec: ObservationSpec,
  codes: Uint8Array,
  scalars: Float32Array,
  count: number,
  out: Float32Array,
  rows?: ArrayLike<number>,
): Float32Array {
  const cells = spec.window * spec.window;
  const ch = spec.channels;
  const flat = spec.flatSize;
  const ns = spec.numScalars;
  out.fill(0, 0, count * flat);
  for (let r = 0; r < count; r++) {
    const src = rows ? rows[r] : r;
    const o = r * flat;
    const c0 = src * cells;
    for (let c = 0; c < cells; c++) {
      const code = codes[c0 + c];
      if (code !== 0) out[o + c * ch + code - 1] = 1;
    }
    const so = o + cells * ch;
    const s0 = src * ns;
    for (let k = 0; k < ns; k++) out[so + k] = scalars[s0 + k];
  }
  return out;
}

/**
 * The same rows as `featurize`, written feature-major: `out[f * count + r]` ([spec.flatSize * count],
 * zero-filled here). The training step hands it to the first layer so the weight gradient is a plain product
 * (agents/learning/network.ts says why).
 */
export function featurizeTransposed(
  spec: ObservationSpec,
  codes: Uint8Array,
  scalars: Float32Array,
  count: number,
  out: Float32Array,
  rows?: ArrayLike<number>,
): Float32Array {
  const cells = spec.window * spec.window;
  const ch = spec.channels;
  const ns = spec.numScalars;
  out.fill(0, 0, count * spec.flatSize);
  const scalarBase = cells * ch * count;
  for (let r = 0; r < count; r++) {
    const src = rows ? rows[r] : r;
    const c0 = src * cells;
    for (let c = 0; c < cells; c++) {
      const code = codes[c0 + c];
      if (code !== 0) out[(c * ch + code - 1) * count + r] = 1;
    }
    const s0 = src * ns;
    for (let k = 0; k < ns; k++) out[scalarBase + k * count + r] = scalars[s0 + k];
  }
  return out;
}
