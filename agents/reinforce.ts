// REINFORCE with a learned baseline (Williams 1992; Sutton & Barto §13.4): the policy gradient weighted by the
// discounted return minus V(s), with the value net fitted to the returns. Returns are Monte-Carlo (GAE with
// λ = 1); an episode still running at the end of a rollout is completed by the critic's estimate, the only
// bootstrap. One gradient step per rollout.
import * as tf from '@tensorflow/tfjs';
import type { PpoArgs } from './args.ts';
import { meanStats, miniBatch, type UpdateStats } from './batch.ts';
import { clippedStep, logProbEntropy } from './losses.ts';
import type { ActorCritic } from './network.ts';
import type { RolloutBuffer } from './rollout.ts';

export async function reinforceUpdate(net: ActorCritic, optimizer: tf.Optimizer, buf: RolloutBuffer, args: PpoArgs): Promise<UpdateStats> {
  const rows = Int32Array.from({ length: buf.size }, (_, i) => i);
  const stats = await clippedStep(optimizer, net.variables, args.maxGradNorm, () => {
    const mb = miniBatch(buf, rows, args.normAdv);
    const { logits, value } = net.apply(mb.x);
    const { logp, entropy } = logProbEntropy(logits, mb.actions);
    // advantages = G_t - V(s_t) with G_t the Monte-Carlo return (trainer computes it with λ = 1)
    const policyLoss = tf.neg(tf.mean(tf.mul(mb.advantages, logp))) as tf.Scalar;
    const valueLoss = tf.mul(0.5, tf.mean(tf.square(tf.sub(value, mb.returns)))) as tf.Scalar;
    const entropyMean = tf.mean(entropy) as tf.Scalar;
    const loss = tf.add(tf.sub(policyLoss, tf.mul(args.entCoef, entropyMean)), tf.mul(args.vfCoef, valueLoss)) as tf.Scalar;
    return { loss, report: { policyLoss, valueLoss, entropy: entropyMean } };
  });
  return meanStats([stats]);
}
