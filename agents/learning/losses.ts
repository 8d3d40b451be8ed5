// Shared pieces of the policy-gradient losses and the optimiser step: log-probabilities and entropy of a
// categorical policy, and a gradient step with global-norm clipping (tfjs optimisers do not clip).
import * as tf from '@tensorflow/tfjs';
import { NUM_ACTIONS } from '../../sim/vocab.ts';

/** log π(a|s) [B] and entropy [B] from logits [B, 6] and actions [B] (int32). */
export function logProbEntropy(logits: tf.Tensor2D, actions: tf.Tensor1D): { logp: tf.Tensor1D; entropy: tf.Tensor1D } {
  const logpAll = tf.logSoftmax(logits);
  const logp = tf.sum(tf.mul(logpAll, tf.oneHot(actions, NUM_ACTIONS)), 1) as tf.Tensor1D;
  const entropy = tf.neg(tf.sum(tf.mul(tf.exp(logpAll), logpAll), 1)) as tf.Tensor1D;
  return { logp, entropy };
}

/**
 * One optimiser step on `lossFn` (which returns the scalar loss and any extra scalars to report), with the
 * gradient's global norm clipped to maxGradNorm. Returns the reported scalars, read back to JS, and the norm.
 */
export async function clippedStep(
  optimizer: tf.Optimizer,
  variables: tf.Variable[],
  maxGradNorm: number,
  lossFn: () => { loss: tf.Scalar; report: Record<string, tf.Scalar> },
): Promise<Record<string, number>> {
  let report: Record<string, tf.Scalar> = {};
  const gradNorm = tf.tidy(() => {
    const { value, grads } = tf.variableGrads(() => {
      const out = lossFn();
      report = Object.fromEntries(Object.entries(out.report).map(([k, v]) => [k, tf.keep(v)]));
      return out.loss;
    }, variables);
    report.loss = tf.keep(value);
    const names = Object.keys(grads);
    const norm = tf.sqrt(tf.addN(names.map((n) => tf.sum(tf.square(grads[n])))));
    const scale = tf.minimum(1, tf.div(maxGradNorm, tf.add(norm, 1e-6)));
    optimizer.applyGradients(Object.fromEntries(names.map((n) => [n, tf.mul(grads[n], scale)])));
    return tf.keep(norm);
  });
  const out: Record<string, number> = {};
  const entries = Object.entries(report);
  const values = await Promise.all([...entries.map(([, v]) => v.data()), gradNorm.data()]);
  entries.forEach(([k], i) => (out[k] = values[i][0]));
  out.gradNorm = values[values.length - 1][0];
  for (const [, v] of entries) v.dispose();
  gradNorm.dispose();
  return out;
}
