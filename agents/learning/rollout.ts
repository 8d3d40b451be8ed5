// Vectorised rollouts: steps the batched engine with the current policy for numSteps and keeps the trajectory
// as a struct of arrays. Observations are stored compactly (seen codes + scalars) and featurised per batch.
// Also samples actions (from a seeded stream, so runs are reproducible) and tallies finished episodes and
// firewall alerts as they happen.
import * as tf from '@tensorflow/tfjs';
import type { BatchEnv } from '../../sim/engine.ts';
import { FALSE_POSITIVE } from '../../sim/engine.ts';
import { EpisodeStats } from '../../sim/metrics.ts';
import type { ObservationSpec } from '../../sim/observation.ts';
import type { Rng } from '../../sim/rng.ts';
import { NUM_ACTIONS } from '../../sim/vocab.ts';
import { featurize } from './features.ts';
import type { ActorCritic } from './network.ts';

/** One firewall alert seen during training, pointing back to the episode that raised it. */
export interface TelemetryAlert {
  step: number; // global env step when it fired
  env: number;
  episode: number; // that env's episode index
  episodeSeed: number;
  source: string; // event name, or 'falsePositive'
  x: number;
  y: number;
}

export class RolloutBuffer {
  // layouts: [numSteps * numEnvs * ...], step-major
  readonly codes: Uint8Array; // [T * N * window²]
  readonly scalars: Float32Array; // [T * N * numScalars]
  readonly actions: Int32Array; // [T * N] the action each learner credits (the policy's; DQN's: what the world did)
  /** [T * N] the action the world carried out (a beforeAction rule may replace the policy's): what the world's dynamics saw. */
  readonly applied: Int32Array;
  readonly logprobs: Float32Array;
  readonly values: Float32Array;
  readonly rewards: Float32Array;
  readonly costs: Float32Array; // [T * N] all categories summed (training-side guardrails use it)
  readonly computeDelta: Float32Array; // [T * N] change of the scenario's resource over the step (the impact guardrail)
  readonly dones: Uint8Array;
  readonly advantages: Float32Array;
  readonly returns: Float32Array;
  readonly lastValues: Float32Array; // [N]
  readonly size: number;
  /** Scratch for featurising up to `size` rows, row-major and feature-major. */
  readonly features: Float32Array;
  readonly featuresT: Float32Array;

  constructor(readonly spec: ObservationSpec, readonly numSteps: number, readonly numEnvs: number) {
    const n = numSteps * numEnvs;
    this.size = n;
    const cells = spec.window * spec.window;
    this.codes = new Uint8Array(n * cells);
    this.scalars = new Float32Array(n * spec.numScalars);
    this.actions = new Int32Array(n);
    this.applied = new Int32Array(n);
    this.logprobs = new Float32Array(n);
    this.values = new Float32Array(n);
    this.rewards = new Float32Array(n);
    this.costs = new Float32Array(n);
    this.computeDelta = new Float32Array(n);
    this.dones = new Uint8Array(n);
    this.advantages = new Float32Array(n);
    this.returns = new Float32Array(n);
    this.lastValues = new Float32Array(numEnvs);
    this.features = new Float32Array(n * spec.flatSize);
    this.featuresT = new Float32Array(n * spec.flatSize);
  }
}

/** Runs the policy on a featurised batch: action probabilities [B * 6] and values [B], read back to JS. */
export async function policyStep(net: ActorCritic, x: Float32Array, count: number): Promise<{ probs: Float32Array; values: Float32Array }> {
  const [probsT, valuesT] = tf.tidy(() => {
    const input = tf.tensor2d(x.subarray(0, count * net.spec.flatSize), [count, net.spec.flatSize]);
    const { logits, value } = net.apply(input);
    return [tf.softmax(logits), value];
  });
  const [probs, values] = (await Promise.all([probsT.data(), valuesT.data()])) as [Float32Array, Float32Array];
  probsT.dispose();
  valuesT.dispose();
  return { probs, values };
}

/** Samples one action per row from probabilities [B * 6]. */
export function sampleActions(probs: Float32Array, count: number, rng: Rng, out: Uint8Array, logprobs?: Float32Array, offset = 0): void {
  for (let i = 0; i < count; i++) {
    const u = rng();
    let acc = 0;
    let a = NUM_ACTIONS - 1;
    for (let k = 0; k < NUM_ACTIONS; k++) {
      acc += probs[i * NUM_ACTIONS + k];
      if (u < acc) {
        a = k;
        break;
      }
    }
    out[i] = a;
    if (logprobs) logprobs[offset + i] = Math.log(Math.max(probs[i * NUM_ACTIONS + a], 1e-12));
  }
}

/** Sees every batch step right after env.step (agents/runs/training-episodes.ts records training episodes). */
export interface RolloutRecorder {
  afterStep(env: BatchEnv, actions: Uint8Array, tick: number): void;
}

/**
 * After `env.step`: the step's summed cost, env reward, change of the scenario's resource, done flags and finished
 * episodes into row `base` of `buf`, and its firewall alerts (env i's alert stamped `step0 + i`). Shared by every
 * acting loop (PPO's rollout here, DQN's in dqn.ts), so they record a step the same way. `computeBefore[i]` is the
 * resource before the step (0 when the scenario has none).
 */
export function recordStepOutcome(env: BatchEnv, buf: RolloutBuffer, base: number, computeBefore: Float64Array, episodes: EpisodeStats, alerts: TelemetryAlert[], step0: number): void {
  const n = env.numEnvs;
  const nc = env.numCosts;
  const resource = env.scenario.resourceExpr;
  for (let i = 0; i < n; i++) {
    let c = 0;
    for (let k = 0; k < nc; k++) c += env.cost[i * nc + k];
    buf.costs[base + i] = c;
    buf.rewards[base + i] = env.reward[i]; // the env's reward; training-side guardrails shape it afterwards
    buf.applied[base + i] = env.applied[i];
    const done = env.terminated[i] || env.truncated[i];
    // a new episode starts from base compute: only count the change within the episode
    buf.computeDelta[base + i] = done || resource < 0 ? 0 : env.evaluate(i, resource) - computeBefore[i];
    buf.dones[base + i] = done ? 1 : 0;
    if (done) episodes.addFinal(env, i);
  }
  for (let k = 0; k < env.alerts.count; k++) {
    const i = env.alerts.env[k];
    const src = env.alerts.source[k];
    // an alert on the step that ended an episode belongs to that (final) episode
    const ended = env.terminated[i] || env.truncated[i];
    alerts.push({
      step: step0 + i,
      env: i,
      episode: ended ? env.final.index[i] : env.episodeIndex[i],
      episodeSeed: ended ? env.final.seed[i] : env.episodeSeed[i],
      source: src === FALSE_POSITIVE ? 'falsePositive' : env.scenario.events[src].name,
      x: env.alerts.x[k],
      y: env.alerts.y[k],
    });
  }
}

export interface RolloutResult {
  episodes: EpisodeStats;
  alerts: TelemetryAlert[];
}

/**
 * Fills `buf` with numSteps of experience from `env` (which keeps running across calls). `globalStep` is the
 * env-step count before this rollout, used to stamp telemetry.
 */
export async function collectRollout(
  env: BatchEnv,
  net: ActorCritic,
  buf: RolloutBuffer,
  rng: Rng,
  globalStep: number,
  recorder?: RolloutRecorder,
): Promise<RolloutResult> {
  const n = env.numEnvs;
  const cells = buf.spec.window * buf.spec.window;
  const actions = new Uint8Array(n);
  const episodes = new EpisodeStats(env.scenario);
  const resource = env.scenario.resourceExpr;
  const ns = env.numScalars;
  const alerts: TelemetryAlert[] = [];
  const x = new Float32Array(n * buf.spec.flatSize);
  const computeBefore = new Float64Array(n);
  for (let t = 0; t < buf.numSteps; t++) {
    const base = t * n;
    buf.codes.set(env.obs, base * cells);
    buf.scalars.set(env.scalars, base * ns);
    featurize(buf.spec, env.obs, env.scalars, n, x);
    const { probs, values } = await policyStep(net, x, n);
    sampleActions(probs, n, rng, actions, buf.logprobs, base);
    for (let i = 0; i < n; i++) {
      buf.actions[base + i] = actions[i];
      buf.values[base + i] = values[i];
      computeBefore[i] = resource >= 0 ? env.evaluate(i, resource) : 0;
    }
    env.step(actions);
    recorder?.afterStep(env, actions, globalStep / n + t);
    recordStepOutcome(env, buf, base, computeBefore, episodes, alerts, globalStep + base);
  }
  featurize(buf.spec, env.obs, env.scalars, n, x);
  const { values } = await policyStep(net, x, n);
  buf.lastValues.set(values);
  return { episodes, alerts };
}
