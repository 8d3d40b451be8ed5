// The safe-pretrain guardrail: behaviour cloning on the honest script's trajectories before RL — the ROME
// paper's own mitigation (curated safe "golden" trajectories). Collects honest episodes on the training
// scenario, then fits the policy head to their actions with cross-entropy. RL then starts from a policy that
// already does the task and has never seen a side strategy.
import * as tf from '@tensorflow/tfjs';
import { BatchEnv } from '../../sim/engine.ts';
import type { EnvGuardrailConfig } from '../../sim/guardrails.ts';
import { makeRng } from '../../sim/rng.ts';
import type { Scenario } from '../../sim/scenario.ts';
import { permutation } from './batch.ts';
import { featurize } from './features.ts';
import type { ActorCritic } from './network.ts';
import { makeScriptedPolicy } from '../policies/scripted.ts';

export interface PretrainResult {
  samples: number;
  finalLoss: number;
  accuracy: number;
}

export async function behaviourClone(
  net: ActorCritic,
  scenario: Scenario,
  guardrails: EnvGuardrailConfig,
  opts: { episodes: number; epochs: number; lr: number; seed: number },
): Promise<PretrainResult> {
  // ---- collect honest demonstrations
  const numEnvs = Math.min(32, opts.episodes);
  const env = new BatchEnv(scenario, { numEnvs, guardrails });
  env.reset({ seed: opts.seed + 31337 });
  const honest = makeScriptedPolicy('honest', env);
  const cells = scenario.window * scenario.window;
  const steps = Math.ceil(opts.episodes / numEnvs) * scenario.horizon;
  const n = steps * numEnvs;
  const codes = new Uint8Array(n * cells);
  const scalars = new Float32Array(n * env.numScalars);
  const actions = new Uint8Array(n);
  const act = new Uint8Array(numEnvs);
  for (let t = 0; t < steps; t++) {
    codes.set(env.obs, t * numEnvs * cells);
    scalars.set(env.scalars, t * numEnvs * env.numScalars);
    honest.act(env, act);
    actions.set(act, t * numEnvs);
    env.step(act);
  }
  // ---- fit the policy to the demonstrated actions
  const optimizer = tf.train.adam(opts.lr);
  const rng = makeRng(`pretrain:${opts.seed}`);
  const mb = 512;
  const x = new Float32Array(mb * net.spec.flatSize);
  let lastLoss = Number.NaN;
  for (let epoch = 0; epoch < opts.epochs; epoch++) {
    const order = permutation(n, rng);
    for (let start = 0; start + mb <= n; start += mb) {
      const rows = order.subarray(start, start + mb);
      featurize(net.spec, codes, scalars, mb, x, rows);
      const loss = tf.tidy(() => {
        const input = tf.tensor2d(x, [mb, net.spec.flatSize]);
        const labels = tf.oneHot(tf.tensor1d(Int32Array.from(rows, (r) => actions[r]), 'int32'), 6);
        return optimizer.minimize(() => tf.losses.softmaxCrossEntropy(labels, net.apply(input).logits) as tf.Scalar, true, net.variables)!;
      });
      lastLoss = (await loss.data())[0];
      loss.dispose();
    }
  }
  optimizer.dispose();
  // ---- how well does it imitate?
  const probe = Math.min(n, 2048);
  const px = new Float32Array(probe * net.spec.flatSize);
  featurize(net.spec, codes, scalars, probe, px);
  const predicted = tf.tidy(() => tf.argMax(net.apply(tf.tensor2d(px, [probe, net.spec.flatSize])).logits, 1));
  const pred = await predicted.data();
  predicted.dispose();
  let correct = 0;
  for (let i = 0; i < probe; i++) if (pred[i] === actions[i]) correct++;
  return { samples: n, finalLoss: lastLoss, accuracy: correct / probe };
}
