// Records episodes from a BatchEnv as they happen: call before(actions) and after() around every env.step().
// Each finished episode of a watched env becomes an EpisodeRecord (sim/episode.ts) handed to `onEpisode`.
// Allocation here is per recorded step (it builds JSON-ready objects), so training records only evaluation
// episodes, never the rollout hot path.
import type { BatchEnv } from './engine.ts';
import { FALSE_POSITIVE } from './engine.ts';
import { EPISODE_FORMAT, type EpisodeHeader, type EpisodeRecord, type EpisodeStep } from './episode.ts';
import { NUM_ACTIONS } from './vocab.ts';
import type { EpisodeEnd } from './episode.ts';

export interface RecorderOptions {
  agent: string;
  hashEvery?: number;
  meta?: (env: number, episodeIndex: number) => Record<string, unknown>;
  /** Which envs to record (default all). */
  envs?: readonly number[];
}

export class EpisodeRecorder {
  private readonly open = new Map<number, { header: EpisodeHeader; steps: EpisodeStep[] }>();
  private readonly hashEvery: number;
  private pendingActions: ArrayLike<number> = [];
  private pendingProbs: Float32Array | null = null;

  constructor(
    private readonly env: BatchEnv,
    private readonly opts: RecorderOptions,
    private readonly onEpisode: (rec: EpisodeRecord) => void,
  ) {
    this.hashEvery = opts.hashEvery ?? 8;
    for (const i of this.watched()) this.begin(i);
  }

  private watched(): readonly number[] {
    return this.opts.envs ?? Array.from({ length: this.env.numEnvs }, (_, i) => i);
  }

  private begin(i: number): void {
    const e = this.env;
    const s = e.scenario;
    const carried = e.carriedAtStart(i);
    this.open.set(i, {
      header: {
        type: 'header',
        format: EPISODE_FORMAT,
        scenario: { id: s.id, hash: s.hash, file: s.file },
        seed: e.episodeSeed[i],
        guardrails: structuredClone(e.guardrails) as EpisodeHeader['guardrails'],
        agent: this.opts.agent,
        hashEvery: this.hashEvery,
        meta: this.opts.meta?.(i, e.episodeIndex[i]) ?? {},
        h0: e.stateHash(i),
        ...(carried ? { carried } : {}),
      },
      steps: [],
    });
  }

  /** Call with the actions about to be stepped; `probs` is [numEnvs * NUM_ACTIONS] action probabilities, if known. */
  before(actions: ArrayLike<number>, probs?: Float32Array): void {
    this.pendingActions = Array.from(actions);
    this.pendingProbs = probs ?? null;
  }

  /** Call right after env.step(). */
  after(): void {
    const e = this.env;
    for (const i of this.watched()) {
      const ep = this.open.get(i);
      if (!ep) continue;
      const t = ep.steps.length;
      const step = stepRecord(e, i, t, this.pendingActions[i], this.hashEvery, this.pendingProbs?.subarray(i * NUM_ACTIONS, (i + 1) * NUM_ACTIONS));
      const ended = e.terminated[i] || e.truncated[i];
      ep.steps.push(step);
      if (ended) {
        const end = endRecord(e, i, ep.steps.length, e.final.vars.subarray(i * e.numVars, (i + 1) * e.numVars));
        this.onEpisode({ header: ep.header, steps: ep.steps, end });
        if (e.autoReset) this.begin(i);
        else this.open.delete(i);
      }
    }
  }
}

/**
 * The step record of env i's last step (step t of its episode, action a): its events, alerts, reward, the state
 * hash every `hashEvery` steps (not on the step that ended the episode) and the action probabilities, if given.
 */
export function stepRecord(e: BatchEnv, i: number, t: number, a: number, hashEvery: number, probs?: ArrayLike<number>): EpisodeStep {
  const s = e.scenario;
  const step: EpisodeStep = { type: 'step', t, a };
  const ev: NonNullable<EpisodeStep['ev']> = [];
  for (let k = 0; k < e.events.count; k++) {
    if (e.events.env[k] === i) ev.push([s.events[e.events.kind[k]].name, e.events.x[k], e.events.y[k], e.events.value[k]]);
  }
  if (ev.length) step.ev = ev;
  const al: NonNullable<EpisodeStep['al']> = [];
  for (let k = 0; k < e.alerts.count; k++) {
    if (e.alerts.env[k] !== i) continue;
    const src = e.alerts.source[k];
    al.push([src === FALSE_POSITIVE ? 'falsePositive' : s.events[src].name, e.alerts.x[k], e.alerts.y[k]]);
  }
  if (al.length) step.al = al;
  if (e.reward[i] !== 0) step.r = e.reward[i];
  if (probs) step.p = Array.from(probs, (v) => Math.round(v * 1e4) / 1e4);
  const ended = e.terminated[i] || e.truncated[i];
  if (!ended && (t + 1) % hashEvery === 0) step.h = e.stateHash(i);
  return step;
}

/** The end record of the episode that just ended in env i (its stats are in `env.final`). */
export function endRecord(e: BatchEnv, i: number, steps: number, vars: Float64Array): EpisodeEnd {
  const s = e.scenario;
  const f = e.final;
  const nc = e.numCosts;
  return {
    type: 'end',
    reason: s.endReasons[e.endReason[i]],
    steps,
    return: f.return[i],
    performance: f.performance[i],
    cost: Object.fromEntries(s.costCategories.map((c, j) => [c, f.cost[i * nc + j]])),
    behaviours: s.behaviours.filter((b) => (f.behaviours[i] & (1 << b.index)) !== 0).map((b) => b.name),
    blocked: f.blocked[i],
    alerts: f.alerts[i],
    vars: Object.fromEntries(s.variables.map((v) => [v.name, vars[v.index]])),
  };
}
