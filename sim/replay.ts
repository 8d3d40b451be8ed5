// Re-simulates a recorded episode with the engine and checks it against what was recorded: the layout hash,
// every periodic state hash, every step's events and the final tallies. Reports the first divergent step
// instead of stopping at "different", so a person can see where two worlds parted.
import { Env, type StepResult } from './env.ts';
import { z } from 'zod';
import { EpisodeFileError, episodeHeaderSchema, printable, type EpisodeRecord } from './episode.ts';
import { compileScenario, type Scenario } from './scenario.ts';

export interface Divergence {
  /** Step index (0-based) at which the replay first differs; -1 for the layout before any step. */
  step: number;
  what: string;
  expected: string;
  found: string;
}

export interface ReplayResult {
  ok: boolean;
  steps: number;
  divergence?: Divergence;
}

export function scenarioOfEpisode(rec: EpisodeRecord): Scenario {
  return compileScenario(rec.header.scenario.file, `${rec.header.scenario.id} (embedded in the episode)`);
}

/**
 * What a caller can watch while the verification re-simulates (the viewer builds its frames from the same pass
 * instead of simulating the episode a second time): the env after reset, and each step's result as it comes.
 */
export interface VerifyObserver {
  onReset?: (env: Env) => void;
  onStep?: (env: Env, result: StepResult, step: EpisodeRecord['steps'][number]) => void;
}

/**
 * A fork (agents/runs/forensics.ts) ran its first `at` steps under the original episode's guardrails (`before`)
 * and the rest under the header's: meta.fork says so, and replay switches at that step, keeping the world state.
 */
const forkMeta = z.strictObject({ at: z.number().int().min(0), before: episodeHeaderSchema.shape.guardrails }).passthrough();
export function forkOf(rec: EpisodeRecord): z.infer<typeof forkMeta> | undefined {
  if (rec.header.meta.fork === undefined) return undefined;
  const r = forkMeta.safeParse(rec.header.meta.fork);
  if (!r.success) throw new EpisodeFileError('episode', 1, `meta.fork: expected {at, before} as sidequest fork writes it (${r.error.issues[0].message})`);
  return r.data;
}

/**
 * The carried values an episode starts from (in the order of the engine's carriedVars), from its header: exactly
 * the scenario's carried variables, each once. Undefined when the scenario carries nothing. A file that lacks
 * them cannot be replayed alone (its start depends on the episodes before it), so it is refused, not guessed.
 */
export function carriedOfEpisode(rec: EpisodeRecord, scenario: Scenario): number[] | undefined {
  return carriedValues(scenario, rec.header.carried);
}

/** carriedOfEpisode for a header's `carried` field alone (forks carry it from their original). */
export function carriedValues(scenario: Scenario, got: Readonly<Record<string, number>> | undefined): number[] | undefined {
  const names = scenario.variables.filter((v) => v.carry).map((v) => v.name);
  for (const k of Object.keys(got ?? {})) {
    if (!names.includes(k)) throw new EpisodeFileError('episode', 1, `header.carried: "${printable(k)}" is not a carried variable of ${scenario.id} (${names.length ? names.join(', ') : 'it carries none'})`);
  }
  if (names.length === 0) return undefined;
  if (!got) throw new EpisodeFileError('episode', 1, `header.carried: ${scenario.id} carries ${names.join(', ')} from one episode to the next, and this file does not record their values at its start, so it cannot be replayed alone`);
  return names.map((n) => {
    if (!Object.hasOwn(got, n)) throw new EpisodeFileError('episode', 1, `header.carried: expected a value for the carried variable "${n}"`);
    return got[n];
  });
}

/** The observer sees the env of each step: for a fork, the one with the fork's guardrails from its step on. */
export function verifyEpisode(rec: EpisodeRecord, scenario: Scenario = scenarioOfEpisode(rec), observer: VerifyObserver = {}, given?: Env): ReplayResult {
  const fork = forkOf(rec);
  let env = given ?? new Env(scenario, fork ? fork.before : rec.header.guardrails);
  if (given && fork) env = new Env(scenario, fork.before);
  env.reset({ seed: rec.header.seed, carried: carriedOfEpisode(rec, scenario) });
  observer.onReset?.(env);
  const diverge = (step: number, what: string, expected: unknown, found: unknown): ReplayResult => ({
    ok: false,
    steps: rec.steps.length,
    divergence: { step, what, expected: fmt(expected), found: fmt(found) },
  });
  if (scenario.hash !== rec.header.scenario.hash) return diverge(-1, 'scenario hash', rec.header.scenario.hash, scenario.hash);
  if (env.stateHash() !== rec.header.h0) return diverge(-1, 'layout hash', rec.header.h0, env.stateHash());
  let ret = 0;
  let perf = 0;
  const seen = new Set<string>();
  for (const st of rec.steps) {
    if (fork && st.t === fork.at) {
      const next = given ?? new Env(scenario, rec.header.guardrails);
      next.batch.restore(env.batch.snapshot());
      env = next;
    }
    const r = env.step(st.a);
    observer.onStep?.(env, r, st);
    ret += r.reward;
    perf += r.performance;
    const evFound = r.events.map((e) => [e.kind, e.x, e.y, e.value]);
    const evExpected = st.ev ?? [];
    if (JSON.stringify(evFound) !== JSON.stringify(evExpected)) return diverge(st.t, 'events', evExpected, evFound);
    const alFound = r.alerts;
    const alExpected = (st.al ?? []).map((a) => a[0]);
    if (JSON.stringify(alFound) !== JSON.stringify(alExpected)) return diverge(st.t, 'firewall alerts', alExpected, alFound);
    if (st.h !== undefined && st.h !== env.stateHash()) return diverge(st.t, 'state hash', st.h, env.stateHash());
    for (const e of r.events) seen.add(e.kind);
    const last = st.t === rec.steps.length - 1;
    const ended = r.terminated || r.truncated;
    if (ended !== last) return diverge(st.t, 'episode end', last ? 'ended' : 'running', ended ? 'ended' : 'running');
    if (last && r.reason !== rec.end.reason) return diverge(st.t, 'termination reason', rec.end.reason, r.reason);
  }
  const last = rec.steps.length - 1;
  if (Math.abs(ret - rec.end.return) > 1e-4) return diverge(last, 'episode return', rec.end.return, ret);
  if (Math.abs(perf - rec.end.performance) > 1e-4) return diverge(last, 'episode performance', rec.end.performance, perf);
  const behaviours = scenario.behaviours.filter((b) => seen.has(scenario.events[b.event].name)).map((b) => b.name);
  if (JSON.stringify(behaviours) !== JSON.stringify(rec.end.behaviours)) return diverge(last, 'side strategies', rec.end.behaviours, behaviours);
  return { ok: true, steps: rec.steps.length };
}

/** What a divergence shows: `replay --verify` prints it, so text from the file is made printable and bounded. */
function fmt(v: unknown): string {
  const s = printable(typeof v === 'string' ? v : (JSON.stringify(v) ?? String(v)));
  return s.length > 300 ? `${s.slice(0, 299)}…` : s;
}
