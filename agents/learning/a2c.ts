// A2C (Mnih et al. 2016, synchronous): one gradient step per rollout on the whole batch — the policy gradient
// weighted by the trainer's GAE advantages (λ = 0.95 by default; λ = 1 gives n-step returns), plus the value
// loss and the entropy bonus, with norm clipping. REINFORCE (reinforce.ts) is the same step with λ fixed at 1.
import * as tf from '@tensorflow/tfjs';
import type { PpoArgs } from './options.ts';
import { meanStats, miniBatch, type UpdateStats } from './batch.ts';
import { clippedStep, logProbEntropy } from './losses.ts';
import type { ActorCritic } from './network.ts';
import type { RolloutBuffer } from './rollout.ts';

/** One vanilla policy-gradient step (no ratio, no clipping) over the whole rollout. */
export async function policyGradientStep(net: ActorCritic, optimizer: tf.Optimizer, buf: RolloutBuffer, args: PpoArgs): Promise<UpdateStats> {
  const rows = Int32Array.from({ length: buf.size }, (_, i) => i);
  const stats = await clippedStep(optimizer, net.variables, args.maxGradNorm, () => {
    const mb = miniBatch(buf, rows, args.normAdv);
    const { logits, value } = net.apply(mb.x, mb.xT);
    const { logp, entropy } = logProbEntropy(logits, mb.actions);
    const policyLoss = tf.neg(tf.mean(tf.mul(mb.advantages, logp))) as tf.Scalar;
    const valueLoss = tf.mul(0.5, tf.mean(tf.square(tf.sub(value, mb.returns)))) as tf.Scalar;
    const entropyMean = tf.mean(entropy) as tf.Scalar;
    const loss = tf.add(tf.sub(policyLoss, tf.mul(args.entCoef, entropyMean)), tf.mul(args.vfCoef, valueLoss)) as tf.Scalar;
    return { loss, report: { policyLoss, valueLoss, entropy: entropyMean } };
  });
  return meanStats([stats]);
}

export const a2cUpdate = policyGradientStep;
