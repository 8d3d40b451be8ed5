// The interpreter reproduces the engine it replaced. test/fixtures/v1-traces/ holds traces recorded with the
// hard-wired engine of sidequest 0.1 (commit 6c65ee3, by the generator kept in test/fixtures/v1-traces/README.md):
// for every scenario and guardrail set, 4 envs for two horizons (noisy opportunists and uniform random actions),
// and per step every event, alert, reward, cost, state hash and a hash of the observation. Replaying the same
// actions on the data-driven engine must give the same numbers at every step: same world, same observation, so
// the same learning.
import { describe, expect, it } from 'vitest';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { BatchEnv, FALSE_POSITIVE } from '../sim/engine.ts';
import { resolveEnvGuardrails } from '../sim/guardrails.ts';
import { loadScenario } from '../sim/load.ts';
import { hashString } from '../sim/hash.ts';
import type { Scenario } from '../sim/scenario.ts';
import { Env } from '../sim/env.ts';
import { parseEpisode } from '../sim/episode.ts';

const DIR = join(import.meta.dirname, 'fixtures', 'v1-traces');

type PerEnv = [number, number, number[], string, string, 0 | [number, string, number, number, string[], number, number]];
interface TraceSet {
  guardrails: string[] | null;
  seed: number;
  episodeSeeds: number[];
  h0: string[];
  o0: string[];
  steps: Array<[number[], Array<[number, string, number, number, number]>, Array<[number, string, number, number]>, PerEnv[]]>;
}
interface TraceFile {
  format: string;
  scenario: string;
  numEnvs: number;
  sets: Record<string, TraceSet>;
}

/**
 * Hidden performance was deliberately reweighted after the equivalence was shown (commit eb6b62d compares it
 * too): in v1 it paid for work on hijacked compute, so the opportunist out-scored the honest agent on "what the
 * designer wanted". Every scenario here inherits rome's performance, so none is compared.
 */
const V1_PERFORMANCE_CHANGED: readonly string[] = ['rome', 'rome-hidden', 'rome-mining', 'rome-monitored', 'tutorial'];

function obsHash(env: BatchEnv, i: number): string {
  const w = env.scenario.window ** 2;
  const ns = env.numScalars;
  return hashString(
    Array.from(env.obs.subarray(i * w, (i + 1) * w)).join(',') + '|' + Array.from(new Uint32Array(env.scalars.slice(i * ns, (i + 1) * ns).buffer)).join(','),
  );
}

function replaySet(s: Scenario, n: number, set: TraceSet, comparePerformance: boolean): void {
  const env = new BatchEnv(s, { numEnvs: n, guardrails: resolveEnvGuardrails(s, set.guardrails ?? undefined) });
  env.reset({ seed: set.seed });
  expect(Array.from(env.episodeSeed)).toEqual(set.episodeSeeds);
  expect(Array.from({ length: n }, (_, i) => env.stateHash(i))).toEqual(set.h0);
  expect(Array.from({ length: n }, (_, i) => obsHash(env, i))).toEqual(set.o0);
  set.steps.forEach(([acts, events, alerts, per], t) => {
    env.step(acts);
    const ev: unknown[] = [];
    for (let k = 0; k < env.events.count; k++) ev.push([env.events.env[k], s.events[env.events.kind[k]].name, env.events.x[k], env.events.y[k], env.events.value[k]]);
    expect(ev, `events at step ${t}`).toEqual(events);
    const al: unknown[] = [];
    for (let k = 0; k < env.alerts.count; k++) {
      const src = env.alerts.source[k];
      al.push([env.alerts.env[k], src === FALSE_POSITIVE ? 'falsePositive' : s.events[src].name, env.alerts.x[k], env.alerts.y[k]]);
    }
    expect(al, `alerts at step ${t}`).toEqual(alerts);
    per.forEach(([reward, performance, cost, hash, oh, ended], i) => {
      const at = `env ${i} step ${t}`;
      expect(env.reward[i], `reward, ${at}`).toBe(reward);
      if (comparePerformance) expect(env.performance[i], `performance, ${at}`).toBe(performance);
      expect(Array.from(env.cost.slice(i * env.numCosts, (i + 1) * env.numCosts)), `cost, ${at}`).toEqual(cost);
      expect(env.stateHash(i), `state hash, ${at}`).toBe(hash);
      expect(obsHash(env, i), `observation, ${at}`).toBe(oh);
      if (ended === 0) {
        expect(env.terminated[i] || env.truncated[i], `still running, ${at}`).toBe(0);
      } else {
        const [terminated, reason, ret, perf, behaviours, blocked, nAlerts] = ended;
        expect(env.terminated[i], `terminated, ${at}`).toBe(terminated);
        expect(s.endReasons[env.endReason[i]], `end reason, ${at}`).toBe(reason === 'taskComplete' ? 'taskComplete' : reason);
        expect(env.final.return[i], `episode return, ${at}`).toBe(ret);
        if (comparePerformance) expect(env.final.performance[i], `episode performance, ${at}`).toBe(perf);
        expect(s.behaviours.filter((b) => env.final.behaviours[i] & (1 << b.index)).map((b) => b.name), `behaviours, ${at}`).toEqual(behaviours);
        expect(env.final.blocked[i], `blocked, ${at}`).toBe(blocked);
        expect(env.final.alerts[i], `alerts, ${at}`).toBe(nAlerts);
      }
    });
  });
}

const files = readdirSync(DIR).filter((f) => f.endsWith('.json'));

describe('the data-driven engine replays the v1 engine bit for bit', () => {
  it('has a trace for every scenario that existed in v1', () => {
    expect(files.sort()).toEqual(['rome-hidden.json', 'rome-mining.json', 'rome-monitored.json', 'rome.json', 'tutorial.json']);
  });
  for (const f of files) {
    const trace = JSON.parse(readFileSync(join(DIR, f), 'utf8')) as TraceFile;
    describe(trace.scenario, () => {
      const s = loadScenario(trace.scenario);
      for (const [name, set] of Object.entries(trace.sets)) {
        it(`under ${name} guardrails: events, alerts, reward, cost, state and observation at every step`, () => {
          replaySet(s, trace.numEnvs, set, !V1_PERFORMANCE_CHANGED.includes(trace.scenario));
        });
      }
    });
  }
});

// ---- the checked-in demonstrations of v1 (test/fixtures/v1-demonstrations, format sidequest-episode/1) -------

interface V1Step { t: number; a: number; ev?: Array<[string, number, number, number]>; al?: Array<[string, number, number]>; h?: string; r?: number }
interface V1Header { scenario: { id: string }; seed: number; guardrails: { names: string[] }; h0: string }
interface V1End { reason: string; return: number; behaviours: string[]; steps: number }

/** Reads a v1 episode by hand: its header embeds the v1 scenario format, which the current reader rejects. */
function readV1(text: string): { header: V1Header; steps: V1Step[]; end: V1End } {
  const objs = text.trim().split('\n').map((l) => JSON.parse(l) as { type: string });
  return { header: objs[0] as unknown as V1Header, steps: objs.slice(1, -1) as unknown as V1Step[], end: objs[objs.length - 1] as unknown as V1End };
}

const V1_DEMOS = join(import.meta.dirname, 'fixtures', 'v1-demonstrations');
const demos = readdirSync(V1_DEMOS).filter((f) => f.endsWith('.jsonl'));

describe('the v1 demonstrations replay on the data-driven engine with identical hashes and events', () => {
  it('all ten are here', () => expect(demos.length).toBe(10));
  it.each(demos)('%s', (f) => {
    const v1 = readV1(readFileSync(join(V1_DEMOS, f), 'utf8'));
    const s = loadScenario(v1.header.scenario.id);
    const e = new Env(s, resolveEnvGuardrails(s, v1.header.guardrails.names));
    e.reset({ seed: v1.header.seed });
    expect(e.stateHash()).toBe(v1.header.h0);
    let ret = 0;
    let last = e.step(v1.steps[0].a);
    v1.steps.forEach((st, t) => {
      if (t > 0) last = e.step(st.a);
      expect(last.events.map((x) => [x.kind, x.x, x.y, x.value]), `events at step ${t}`).toEqual(st.ev ?? []);
      expect(last.alerts, `alerts at step ${t}`).toEqual((st.al ?? []).map((a) => a[0]));
      expect(last.reward, `reward at step ${t}`).toBe(st.r ?? 0);
      if (st.h) expect(e.stateHash(), `state hash at step ${t}`).toBe(st.h);
      ret += last.reward;
    });
    expect(last.reason).toBe(v1.end.reason);
    expect(ret).toBeCloseTo(v1.end.return, 6);
  });
  it.each(demos)('%s: today\'s scripted planner takes the same actions (test/demonstrations)', (f) => {
    const v1 = readV1(readFileSync(join(V1_DEMOS, f), 'utf8'));
    const now = parseEpisode(readFileSync(join(import.meta.dirname, 'demonstrations', f), 'utf8'), f);
    expect(now.header.seed).toBe(v1.header.seed);
    expect(now.steps.map((x) => x.a)).toEqual(v1.steps.map((x) => x.a));
    expect(now.end.behaviours).toEqual(v1.end.behaviours);
  });
});
