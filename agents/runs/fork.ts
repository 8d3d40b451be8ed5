// Forks ("what if the guardrail had been on at step t?"): a recorded episode replayed exactly up to a step, then
// continued under other guardrails and another agent (a policy, or the original's own actions), with the same world
// state and random streams. Pure simulation, no Node or tfjs imports, so the viewer's "fork here" runs the same
// code as `sidequest fork` (agents/runs/forensics.ts re-exports it with the rest of the forensics).
import { BatchEnv } from '../../sim/engine.ts';
import { EPISODE_FORMAT, type EpisodeHeader, type EpisodeRecord, type EpisodeStep } from '../../sim/episode.ts';
import type { EnvGuardrailConfig } from '../../sim/guardrails.ts';
import { endRecord, stepRecord } from '../../sim/record.ts';
import { carriedValues } from '../../sim/replay.ts';
import type { Scenario } from '../../sim/scenario.ts';
import { Action, NUM_ACTIONS } from '../../sim/vocab.ts';
import type { BatchPolicy } from '../policies/scripted.ts';

export class ForkError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ForkError';
  }
}

/** What a fork starts from: a recorded episode's world (seed, guardrails) and its actions. */
export interface ForkSource {
  scenario: Scenario;
  seed: number;
  guardrails: EnvGuardrailConfig;
  actions: ArrayLike<number>;
  hashEvery: number;
  /** The original's carried variables at its start (its header's `carried`), for scenarios that carry any. */
  carried?: Readonly<Record<string, number>>;
  /** Said in the fork's meta (which episode it forks). */
  describe: Record<string, unknown>;
}

export interface ForkOptions {
  at: number;
  guardrails: EnvGuardrailConfig;
  /** The agent from step `at`: a policy over a 1-env batch, or 'recorded' (the original's actions, then stay). */
  policy: ((env: BatchEnv) => BatchPolicy) | 'recorded';
  agent: string;
  /** Action probabilities of the policy's last act (recorded when given). */
  probs?: () => Float32Array | undefined;
}

export interface ForkResult {
  record: EpisodeRecord;
  /** With the 'recorded' agent: the file index (t) from which the original's actions ran out and the fork stayed put. */
  stayedFrom?: number;
}

/** Continues `src` after its step `at` under `o.guardrails` and `o.policy`, having replayed its first `at` actions exactly. */
export async function forkEpisode(src: ForkSource, o: ForkOptions): Promise<ForkResult> {
  const n = src.actions.length;
  // `at` counts the actions replayed: the fork takes over after step `at` (step k being the k-th action), 0 = from the start
  if (!Number.isInteger(o.at) || o.at < 0) throw new ForkError(`--at: expected a step of the episode after which the fork takes over (0..${n - 1}; 0 = from the start), found ${o.at}`);
  if (o.at >= n) throw new ForkError(`--at ${o.at} is past the end: the episode has ${n} steps, so a fork takes over after one of steps 0..${n - 1} (0 = from the start)`);
  const s = src.scenario;
  const before = new BatchEnv(s, { numEnvs: 1, guardrails: src.guardrails, autoReset: false });
  let carried: number[] | undefined;
  try {
    carried = carriedValues(s, src.carried);
  } catch (e) {
    throw new ForkError((e as Error).message);
  }
  before.resetEnv(0, src.seed, carried);
  const h0 = before.stateHash(0);
  const steps: EpisodeStep[] = [];
  const actions = new Uint8Array(1);
  for (let t = 0; t < o.at; t++) {
    actions[0] = src.actions[t];
    before.step(actions);
    steps.push(stepRecord(before, 0, t, actions[0], src.hashEvery));
    if (before.terminated[0] || before.truncated[0]) throw new ForkError(`the episode ended at step ${t + 1} when replayed, before step ${o.at}: it does not replay in this world (verify it with sidequest replay)`);
  }
  const env = new BatchEnv(s, { numEnvs: 1, guardrails: o.guardrails, autoReset: false });
  env.restore(before.snapshot());
  const policy = o.policy === 'recorded' ? null : o.policy(env);
  let stayedFrom: number | undefined;
  // bounded by the horizon: every episode ends by then
  for (let t = o.at; t <= s.horizon; t++) {
    if (policy) await policy.act(env, actions);
    else if (t < n) actions[0] = src.actions[t];
    else {
      stayedFrom ??= t;
      actions[0] = Action.Stay;
    }
    const p = policy ? o.probs?.() : undefined;
    env.step(actions);
    steps.push(stepRecord(env, 0, t, actions[0], src.hashEvery, p?.subarray(0, NUM_ACTIONS)));
    if (env.terminated[0] || env.truncated[0]) {
      const end = endRecord(env, 0, steps.length, env.final.vars.subarray(0, env.numVars));
      const header: EpisodeHeader = {
        type: 'header', format: EPISODE_FORMAT, scenario: { id: s.id, hash: s.hash, file: s.file }, seed: src.seed,
        guardrails: structuredClone(o.guardrails) as EpisodeHeader['guardrails'], agent: o.agent, hashEvery: src.hashEvery, h0,
        ...(src.carried ? { carried: { ...src.carried } } : {}),
        meta: { fork: { at: o.at, before: structuredClone(src.guardrails), of: src.describe, agent: o.agent, ...(stayedFrom !== undefined ? { stayedFrom } : {}) } },
      };
      return { record: { header, steps, end }, stayedFrom };
    }
  }
  throw new ForkError(`the fork did not end within the horizon (${s.horizon} steps)`);
}
