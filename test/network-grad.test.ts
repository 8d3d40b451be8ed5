// The training step's hand-written gradients (agents/learning/network.ts: the first layer from a feature-major
// input, the later layers from explicit transposes) against tfjs's own: the same loss, the same gradients to float
// rounding, on real rome observations and on the wasm backend the training uses.
import { beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import { selectBackend } from '../agents/learning/backend.ts';
import { featurize, featurizeTransposed } from '../agents/learning/features.ts';
import { makeActorCritic } from '../agents/learning/network.ts';
import { BatchEnv } from '../sim/engine.ts';
import { loadScenario } from '../sim/load.ts';
import { resolveEnvGuardrails } from '../sim/guardrails.ts';
import { observationSpec } from '../sim/observation.ts';
import { makeRng } from '../sim/rng.ts';

beforeAll(async () => {
  await selectBackend('wasm');
});

/** A batch of real observations: 64 envs after a few random steps (varied codes and scalars). */
function observations() {
  const s = loadScenario('rome');
  const env = new BatchEnv(s, { numEnvs: 64, guardrails: resolveEnvGuardrails(s) });
  env.reset({ seed: 3 });
  const rng = makeRng('grad-test');
  const a = new Uint8Array(64);
  for (let t = 0; t < 7; t++) {
    for (let i = 0; i < 64; i++) a[i] = Math.floor(rng() * 6);
    env.step(a);
  }
  return { spec: observationSpec(s), codes: env.obs.slice(), scalars: env.scalars.slice() };
}

describe('the first layer\'s feature-major input', () => {
  it('is the transpose of the row-major features, for any choice of rows', () => {
    const { spec, codes, scalars } = observations();
    const rows = [5, 0, 63, 5, 17];
    const x = featurize(spec, codes, scalars, rows.length, new Float32Array(rows.length * spec.flatSize), rows);
    const xT = featurizeTransposed(spec, codes, scalars, rows.length, new Float32Array(rows.length * spec.flatSize).fill(7), rows);
    for (let r = 0; r < rows.length; r++) for (let f = 0; f < spec.flatSize; f++) expect(xT[f * rows.length + r]).toBe(x[r * spec.flatSize + f]);
    expect(x.some((v, i) => v !== 0 && v !== 1 && i % spec.flatSize >= spec.window ** 2 * spec.channels)).toBe(true); // scalars are covered
  });
});

describe('hand-written gradients equal tfjs\'s', () => {
  it('same outputs and the same gradient for every variable (MLP), to float rounding', () => {
    const { spec, codes, scalars } = observations();
    const n = 64;
    const x = tf.tensor2d(featurize(spec, codes, scalars, n, new Float32Array(n * spec.flatSize)), [n, spec.flatSize]);
    const xT = tf.tensor2d(featurizeTransposed(spec, codes, scalars, n, new Float32Array(n * spec.flatSize)), [spec.flatSize, n]);
    const net = makeActorCritic(spec, { kind: 'mlp', hidden: 32 }, 5);
    const weights = tf.tensor2d(Float32Array.from({ length: n * 6 }, (_, i) => Math.sin(i)), [n, 6]);
    // a loss that reaches every variable through both heads
    const loss = (useT: boolean) => () => {
      const { logits, value } = net.apply(x, useT ? xT : undefined);
      return tf.add(tf.sum(tf.mul(tf.logSoftmax(logits), weights)), tf.sum(tf.square(value))) as tf.Scalar;
    };
    const ours = tf.variableGrads(loss(true), net.variables);
    const theirs = tf.variableGrads(loss(false), net.variables);
    expect(ours.value.dataSync()[0]).toBeCloseTo(theirs.value.dataSync()[0], 4);
    expect(Object.keys(ours.grads).sort()).toEqual(net.variables.map((v) => v.name).sort());
    for (const v of net.variables) {
      const a = ours.grads[v.name].dataSync();
      const b = theirs.grads[v.name].dataSync();
      expect(a.length).toBe(b.length);
      let scale = 0;
      for (const t of b) scale = Math.max(scale, Math.abs(t));
      expect(scale).toBeGreaterThan(0); // every variable really gets a gradient
      for (let i = 0; i < a.length; i++) expect(Math.abs(a[i] - b[i])).toBeLessThanOrEqual(1e-5 * scale + 1e-7);
    }
    net.dispose();
  });

  it('the conv trunk ignores the feature-major input (its own gradients are tfjs\'s)', () => {
    const { spec, codes, scalars } = observations();
    const n = 8;
    const x = tf.tensor2d(featurize(spec, codes, scalars, n, new Float32Array(n * spec.flatSize)), [n, spec.flatSize]);
    const xT = tf.tensor2d(featurizeTransposed(spec, codes, scalars, n, new Float32Array(n * spec.flatSize)), [spec.flatSize, n]);
    const net = makeActorCritic(spec, { kind: 'conv', hidden: 16 }, 5);
    const a = tf.tidy(() => net.apply(x, xT).logits).dataSync();
    const b = tf.tidy(() => net.apply(x).logits).dataSync();
    expect(Array.from(a)).toEqual(Array.from(b));
    net.dispose();
  });
});
