// A trained network as a BatchPolicy: featurises the env's observations, runs the net, and samples actions from
// its own seeded stream (or takes the most probable one). Keeps the last action probabilities so recorders can
// store them for the viewer's HUD.
import type { BatchEnv } from '../../sim/engine.ts';
import { makeRng, type Rng } from '../../sim/rng.ts';
import { featurize } from '../learning/features.ts';
import type { ActorCritic } from '../learning/network.ts';
import { policyStep, sampleActions } from '../learning/rollout.ts';
import type { BatchPolicy } from './scripted.ts';
import { NUM_ACTIONS } from '../../sim/vocab.ts';

export class LearnedPolicy implements BatchPolicy {
  private readonly rng: Rng;
  private x = new Float32Array(0);
  lastProbs: Float32Array | undefined;

  constructor(
    readonly net: ActorCritic,
    readonly name: string,
    seed: number,
    private readonly mode: 'sample' | 'greedy' = 'sample',
  ) {
    this.rng = makeRng(`policy:${seed}`);
  }

  async act(env: BatchEnv, actions: Uint8Array): Promise<void> {
    const n = env.numEnvs;
    if (this.x.length < n * this.net.spec.flatSize) this.x = new Float32Array(n * this.net.spec.flatSize);
    featurize(this.net.spec, env.obs, env.scalars, n, this.x);
    const { probs } = await policyStep(this.net, this.x, n);
    this.lastProbs = probs;
    if (this.mode === 'sample') sampleActions(probs, n, this.rng, actions);
    else {
      for (let i = 0; i < n; i++) {
        let best = 0;
        for (let k = 1; k < NUM_ACTIONS; k++) if (probs[i * NUM_ACTIONS + k] > probs[i * NUM_ACTIONS + best]) best = k;
        actions[i] = best;
      }
    }
  }
}
