// PPO (Schulman et al. 2017) with the details of CleanRL's ppo.py: GAE advantages (computed by the trainer),
// per-minibatch advantage normalisation, the clipped surrogate objective, a clipped value loss, an entropy
// bonus, global gradient-norm clipping, and learning-rate annealing (set by the trainer). Reads top to bottom.
import * as tf from '@tensorflow/tfjs';
import type { Rng } from '../../sim/rng.ts';
import type { PpoArgs } from './options.ts';
import { meanStats, miniBatch, permutation, type UpdateStats } from './batch.ts';
import { clippedStep, logProbEntropy } from './losses.ts';
import type { ActorCritic } from './network.ts';
import type { RolloutBuffer } from './rollout.ts';

export async function ppoUpdate(net: ActorCritic, optimizer: tf.Optimizer, buf: RolloutBuffer, args: PpoArgs, rng: Rng): Promise<UpdateStats> {
  const mbSize = Math.floor(buf.size / args.numMinibatches);
  const rows: Array<Record<string, number>> = [];
  for (let epoch = 0; epoch < args.updateEpochs; epoch++) {
    // ---- shuffle the batch into minibatches
    const order = permutation(buf.size, rng);
    for (let start = 0; start + mbSize <= buf.size; start += mbSize) {
      const mbRows = order.subarray(start, start + mbSize);
      const stats = await clippedStep(optimizer, net.variables, args.maxGradNorm, () => {
        const mb = miniBatch(buf, mbRows, args.normAdv);
        const { logits, value } = net.apply(mb.x, mb.xT);
        const { logp, entropy } = logProbEntropy(logits, mb.actions);
        // ---- policy loss: the clipped surrogate
        const logRatio = tf.sub(logp, mb.oldLogp);
        const ratio = tf.exp(logRatio);
        const pg1 = tf.mul(tf.neg(mb.advantages), ratio);
        const pg2 = tf.mul(tf.neg(mb.advantages), tf.clipByValue(ratio, 1 - args.clipCoef, 1 + args.clipCoef));
        const policyLoss = tf.mean(tf.maximum(pg1, pg2)) as tf.Scalar;
        // ---- value loss, clipped around the old values
        let valueLoss: tf.Scalar;
        if (args.clipVloss) {
          const unclipped = tf.square(tf.sub(value, mb.returns));
          const vClipped = tf.add(mb.oldValues, tf.clipByValue(tf.sub(value, mb.oldValues), -args.clipCoef, args.clipCoef));
          const clipped = tf.square(tf.sub(vClipped, mb.returns));
          valueLoss = tf.mul(0.5, tf.mean(tf.maximum(unclipped, clipped)));
        } else valueLoss = tf.mul(0.5, tf.mean(tf.square(tf.sub(value, mb.returns))));
        // ---- entropy bonus and total
        const entropyMean = tf.mean(entropy) as tf.Scalar;
        const loss = tf.add(tf.sub(policyLoss, tf.mul(args.entCoef, entropyMean)), tf.mul(args.vfCoef, valueLoss)) as tf.Scalar;
        // ---- diagnostics: approximate KL (http://joschu.net/blog/kl-approx.html) and clip fraction
        const approxKl = tf.mean(tf.sub(tf.sub(ratio, 1), logRatio)) as tf.Scalar;
        const clipFrac = tf.mean(tf.cast(tf.greater(tf.abs(tf.sub(ratio, 1)), args.clipCoef), 'float32')) as tf.Scalar;
        return { loss, report: { policyLoss, valueLoss, entropy: entropyMean, approxKl, clipFrac } };
      });
      rows.push(stats);
    }
  }
  return meanStats(rows);
}
