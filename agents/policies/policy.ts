// A trained network as a BatchPolicy: featurises the env's observations, runs the net, and samples actions from
// its own seeded stream (or takes the most probable one: a DQN policy is the argmax of its Q head). Keeps the last
// action probabilities so recorders can store them for the viewer's HUD — for a greedy policy the one-hot of the
// action taken, its true distribution (a softmax of Q-values would look like probabilities and not be any).
import type { BatchEnv } from '../../sim/engine.ts';
import { makeRng, type Rng } from '../../sim/rng.ts';
import { featurize } from '../learning/features.ts';
import type { ActorCritic } from '../learning/network.ts';
import { policyStep, sampleActions } from '../learning/rollout.ts';
import type { BatchPolicy } from './scripted.ts';
import { NUM_ACTIONS } from '../../sim/vocab.ts';

/** How a network's action head becomes actions: sampled from its softmax (policy gradient) or its argmax (DQN). */
export type PolicyMode = 'sample' | 'greedy';

/** The mode a run's algorithm acts with at evaluation: greedy for the value-based learner, sampling otherwise. */
export function policyModeOf(algo: string): PolicyMode {
  return algo === 'dqn' ? 'greedy' : 'sample';
}

export class LearnedPolicy implements BatchPolicy {
  private readonly rng: Rng;
  private x = new Float32Array(0);
  lastProbs: Float32Array | undefined;

  constructor(
    readonly net: ActorCritic,
    readonly name: string,
    seed: number,
    private readonly mode: PolicyMode = 'sample',
  ) {
    this.rng = makeRng(`policy:${seed}`);
  }

  async act(env: BatchEnv, actions: Uint8Array): Promise<void> {
    const n = env.numEnvs;
    if (this.x.length < n * this.net.spec.flatSize) this.x = new Float32Array(n * this.net.spec.flatSize);
    featurize(this.net.spec, env.obs, env.scalars, n, this.x);
    const { probs } = await policyStep(this.net, this.x, n);
    if (this.mode === 'sample') {
      this.lastProbs = probs;
      sampleActions(probs, n, this.rng, actions);
    } else {
      const chosen = new Float32Array(n * NUM_ACTIONS);
      for (let i = 0; i < n; i++) {
        let best = 0;
        for (let k = 1; k < NUM_ACTIONS; k++) if (probs[i * NUM_ACTIONS + k] > probs[i * NUM_ACTIONS + best]) best = k;
        actions[i] = best;
        chosen[i * NUM_ACTIONS + best] = 1;
      }
      this.lastProbs = chosen;
    }
  }
}
