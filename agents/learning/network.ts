// The actor-critic network on TensorFlow.js: a shared trunk (an MLP by default, or a small conv net over the
// one-hot window) with a policy head (logits over the 6 actions) and a value head. Built from plain
// tf.variables in a fixed order, so a checkpoint is just the list of named tensors (agents/runs/checkpoint.ts).
import * as tf from '@tensorflow/tfjs';
import type { ObservationSpec } from '../../sim/observation.ts';
import { NUM_ACTIONS } from '../../sim/vocab.ts';
import { makeRng, type Rng } from '../../sim/rng.ts';

export type NetKind = 'mlp' | 'conv';

export interface NetConfig {
  kind: NetKind;
  /** Width of each hidden layer of the trunk. */
  hidden: number;
}

export interface ActorCritic {
  readonly spec: ObservationSpec;
  readonly config: NetConfig;
  /** Trainable variables in a fixed order, with stable names. */
  readonly variables: tf.Variable[];
  /**
   * logits [B, 6] and value [B] for a featurised batch [B, flatSize]. Call inside tf.tidy. When differentiating,
   * pass the same batch feature-major as `xT` ([flatSize, B]): the MLP's first layer then takes its weight
   * gradient as the plain product xT·dy (see firstLayer). Without it the result is the same to float rounding.
   */
  apply(x: tf.Tensor2D, xT?: tf.Tensor2D): { logits: tf.Tensor2D; value: tf.Tensor1D };
  dispose(): void;
}

/** Orthogonal-ish init without tfjs randomness: scaled normal from a seeded stream, as CleanRL's layer_init. */
function denseLayer(rng: Rng, name: string, inDim: number, outDim: number, gain: number): [tf.Variable, tf.Variable] {
  const w = new Float32Array(inDim * outDim);
  const scale = gain / Math.sqrt(inDim);
  for (let i = 0; i < w.length; i += 2) {
    // Box–Muller from the seeded stream
    const u = Math.max(rng(), 1e-12);
    const v = rng();
    const r = Math.sqrt(-2 * Math.log(u));
    w[i] = r * Math.cos(2 * Math.PI * v) * scale;
    if (i + 1 < w.length) w[i + 1] = r * Math.sin(2 * Math.PI * v) * scale;
  }
  return [tf.variable(tf.tensor2d(w, [inDim, outDim]), true, `${name}/kernel`), tf.variable(tf.zeros([outDim]), true, `${name}/bias`)];
}

/** tfjs registers variables globally by name: each network gets its own prefix. */
let networksMade = 0;

/*
 * Products with hand-written gradients, for the training step. tfjs's own matMul gradient computes dw as
 * matMul(x, dy, transposeA) and dx as matMul(dy, w, transposeB); tfjs-backend-wasm runs only the untransposed
 * product on XNNPACK and the transposed ones in plain loops. For rome's 512 × 819 first layer that made dw 13×
 * slower (10.9 ms against 0.8 ms from a feature-major copy of the input, on this machine) and two thirds of PPO's
 * update time; for the 32-wide layers, transposing explicitly first is 2–4× faster. Values are the same products,
 * equal to tfjs's own to float rounding (test/network-grad.test.ts).
 */

/** x·w for the first layer: dw = xT·dy from the caller's feature-major input; the input is data, so dx is zeros. */
const firstLayer = tf.customGrad((...inputs: Array<tf.Tensor | tf.GradSaveFunc>) => {
  const [x, xT, w, save] = inputs as [tf.Tensor2D, tf.Tensor2D, tf.Tensor2D, tf.GradSaveFunc];
  save([xT]);
  return {
    value: tf.matMul(x, w),
    gradFunc: (dy: tf.Tensor | tf.Tensor[], saved: tf.Tensor[]) => [tf.zerosLike(x), tf.zerosLike(xT), tf.matMul(saved[0] as tf.Tensor2D, dy as tf.Tensor2D)],
  };
});

/** a·w for the layers after the first: both gradients as untransposed products of explicit transposes. */
const linear = tf.customGrad((...inputs: Array<tf.Tensor | tf.GradSaveFunc>) => {
  const [a, w, save] = inputs as [tf.Tensor2D, tf.Tensor2D, tf.GradSaveFunc];
  save([a, w]);
  return {
    value: tf.matMul(a, w),
    gradFunc: (dy: tf.Tensor | tf.Tensor[], saved: tf.Tensor[]) => {
      const [sa, sw] = saved as [tf.Tensor2D, tf.Tensor2D];
      const g = dy as tf.Tensor2D;
      return [tf.matMul(g, tf.transpose(sw)), tf.matMul(tf.transpose(sa), g)];
    },
  };
});

export function makeActorCritic(spec: ObservationSpec, config: NetConfig, seed: number): ActorCritic {
  const rng = makeRng(`network:${seed}`);
  const prefix = `net${networksMade++}`;
  const dense = (name: string, inDim: number, outDim: number, gain: number) => denseLayer(rng, `${prefix}/${name}`, inDim, outDim, gain);
  const h = config.hidden;
  const cells = spec.window * spec.window;
  const vars: tf.Variable[] = [];
  const constants: tf.Tensor[] = []; // non-trainable tensors the trunk keeps (disposed with the network)
  let trunk: (x: tf.Tensor2D, xT?: tf.Tensor2D) => tf.Tensor2D;
  if (config.kind === 'mlp') {
    const [w1, b1] = dense('trunk1', spec.flatSize, h, Math.SQRT2);
    const [w2, b2] = dense('trunk2', h, h, Math.SQRT2);
    vars.push(w1, b1, w2, b2);
    trunk = (x, xT) => {
      const pre1 = xT ? (firstLayer(x, xT, w1) as tf.Tensor2D) : tf.matMul(x, w1);
      const h1 = tf.tanh(tf.add(pre1, b1)) as tf.Tensor2D;
      return tf.tanh(tf.add(xT ? linear(h1, w2) : tf.matMul(h1, w2), b2)) as tf.Tensor2D;
    };
  } else {
    // A 3×3 convolution written as im2col + matMul: the patches are gathered from the (constant) input, so the
    // only gradient needed is matMul's — tfjs's wasm backend has no Conv2DBackpropFilter kernel.
    const filters = 16;
    const w = spec.window;
    const ch = spec.channels;
    const neighbours = new Int32Array(cells * 9);
    for (let r = 0; r < w; r++) {
      for (let c = 0; c < w; c++) {
        for (let k = 0; k < 9; k++) {
          const rr = r + Math.floor(k / 3) - 1;
          const cc = c + (k % 3) - 1;
          // outside the window: the extra all-zero cell appended at index `cells`
          neighbours[(r * w + c) * 9 + k] = rr < 0 || cc < 0 || rr >= w || cc >= w ? cells : rr * w + cc;
        }
      }
    }
    const patchIndex = tf.keep(tf.tensor1d(neighbours, 'int32'));
    constants.push(patchIndex);
    const [kernel, kb] = dense('conv1', 9 * ch, filters, Math.SQRT2);
    const [w2, b2] = dense('trunk2', cells * filters + spec.numScalars, h, Math.SQRT2);
    vars.push(kernel, kb, w2, b2);
    trunk = (x) => {
      const b = x.shape[0];
      const grid = tf.reshape(tf.slice(x, [0, 0], [b, cells * ch]), [b, cells, ch]);
      const padded = tf.concat([grid, tf.zeros([b, 1, ch])], 1);
      const patches = tf.reshape(tf.gather(padded, patchIndex, 1), [b * cells, 9 * ch]);
      const conv = tf.relu(tf.add(tf.matMul(patches, kernel), kb));
      const flat = tf.concat([tf.reshape(conv, [b, cells * filters]), tf.slice(x, [0, cells * ch], [b, spec.numScalars])], 1);
      return tf.tanh(tf.add(tf.matMul(flat, w2), b2)) as tf.Tensor2D;
    };
  }
  const [wp, bp] = dense('policy', h, NUM_ACTIONS, 0.01);
  const [wv, bv] = dense('value', h, 1, 1);
  vars.push(wp, bp, wv, bv);
  return {
    spec,
    config,
    variables: vars,
    apply(x, xT) {
      const z = trunk(x, xT);
      // the heads take the fast gradients only where the trunk does (the MLP, when differentiating)
      const mm = xT && config.kind === 'mlp' ? (a: tf.Tensor2D, w: tf.Tensor) => linear(a, w) as tf.Tensor2D : (a: tf.Tensor2D, w: tf.Tensor) => tf.matMul(a, w as tf.Tensor2D);
      const logits = tf.add(mm(z, wp), bp) as tf.Tensor2D;
      const value = tf.reshape(tf.add(mm(z, wv), bv), [-1]) as tf.Tensor1D;
      return { logits, value };
    },
    dispose() {
      for (const v of vars) v.dispose();
      for (const t of constants) t.dispose();
    },
  };
}
