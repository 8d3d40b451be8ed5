// Triage of a run's firewall telemetry the way a security operations centre does it: alerts grouped into bursts
// over training time, per kind (the events the scenario's telemetry block says the firewall sees, plus the
// no-cause alerts it labels falsePositive); for each burst, how many alerts the scenario's stated false-positive
// rate alone would raise over its window, how unlikely the burst is under that noise alone (Poisson tail), and
// the training episodes and steps that raised it, ranked. Reading telemetry.jsonl and the recorded episodes'
// start steps is here too; every row is validated and every loop bounded (a run folder can be hostile).
import { existsSync, lstatSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import type { Scenario } from '../../sim/scenario.ts';
import type { TelemetryAlert } from '../learning/rollout.ts';
import { listSegments, readSegment } from './training-episodes.ts';

export const MAX_TELEMETRY_BYTES = 512 * 1024 * 1024;
const MAX_KINDS = 64;

export class IncidentsError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'IncidentsError';
  }
}

const alertRow = z.object({
  step: z.number().int().min(0).max(Number.MAX_SAFE_INTEGER),
  env: z.number().int().min(0).max(1_000_000),
  episode: z.number().int().min(0).max(Number.MAX_SAFE_INTEGER),
  episodeSeed: z.number().int().min(0).max(0xffffffff),
  source: z.string().min(1).max(40),
  x: z.number().int(),
  y: z.number().int(),
});

/** telemetry.jsonl, validated row by row (a bad row is named by its line). A half-written last line is skipped. */
export function readTelemetry(runDir: string): TelemetryAlert[] {
  const f = join(runDir, 'telemetry.jsonl');
  if (!existsSync(f)) throw new IncidentsError(`${runDir}: no telemetry.jsonl (not a run folder, or training has not started)`);
  const st = lstatSync(f);
  if (!st.isFile()) throw new IncidentsError(`${f}: expected a regular file`);
  if (st.size > MAX_TELEMETRY_BYTES) throw new IncidentsError(`${f}: expected at most ${MAX_TELEMETRY_BYTES >> 20} MB, found ${st.size >> 20} MB`);
  const text = readFileSync(f, 'utf8');
  const lines = text.split('\n');
  lines.pop(); // after the final newline: '' — or a row a kill cut short, which is skipped
  const out: TelemetryAlert[] = [];
  lines.forEach((l, k) => {
    if (l.trim() === '') return;
    let o: unknown;
    try {
      o = JSON.parse(l);
    } catch {
      throw new IncidentsError(`${f} line ${k + 1}: expected a JSON alert, found ${JSON.stringify(l.slice(0, 30))}`);
    }
    const r = alertRow.safeParse(o);
    if (!r.success) throw new IncidentsError(`${f} line ${k + 1}: at ${r.error.issues[0].path.join('.') || '(row)'}: ${r.error.issues[0].message.slice(0, 100)}`);
    out.push(r.data);
  });
  return out;
}

/** Where each recorded training episode starts (its first tick) and how long it is, keyed by env and index. */
export type EpisodeIndex = Map<string, { startTick: number; length: number }>;
export const episodeKey = (env: number, episode: number) => `${env}/${episode}`;

/** The recorded training episodes' start ticks (empty if the run records none). Unreadable segments are skipped and named. */
export function recordedEpisodes(runDir: string, scenario: Scenario): { index: EpisodeIndex; problems: string[] } {
  const index: EpisodeIndex = new Map();
  const problems: string[] = [];
  for (const s of listSegments(runDir)) {
    try {
      for (const e of readSegment(s.path, scenario).episodes) index.set(episodeKey(e.env, e.index), { startTick: e.startTick, length: e.length });
    } catch (e) {
      problems.push((e as Error).message);
    }
  }
  return { index, problems };
}

export interface BurstEpisode {
  env: number;
  episode: number;
  episodeSeed: number;
  alerts: number;
  /** Global env steps of this episode's alerts in the burst. */
  steps: number[];
  /** The same as steps of the episode, step k being its k-th action as the viewer numbers them (null when not recorded). */
  episodeSteps: number[] | null;
}

export interface Burst {
  rank: number;
  kind: string;
  /** Whether the scenario's telemetry declares this kind (an event the firewall sees, or falsePositive). */
  declared: boolean;
  firstStep: number;
  lastStep: number;
  alerts: number;
  /** The window the noise estimate covers: the burst's span, at least the grouping gap. */
  windowSteps: number;
  /** Alerts the stated false-positive rate alone would raise over the window (an upper bound for one kind). */
  expectedFalsePositives: number;
  /** P(noise alone raises at least this many alerts in the window): Poisson tail. */
  pNoise: number;
  likelyNoise: boolean;
  /** Alerts the simulation itself labels falsePositive (ground truth a real SOC lacks; shown to check the estimate). */
  labelledFalsePositives: number;
  episodeCount: number;
  /** Episodes ranked by alerts in the burst (then earliest), at most `top`. */
  episodes: BurstEpisode[];
}

export interface IncidentReport {
  run: string;
  scenario: string;
  numEnvs: number;
  gap: number;
  falsePositiveRate: number;
  /** Kinds the scenario's firewall sees (event → detection probability). */
  sees: Record<string, number>;
  alerts: number;
  /** The last step training reached (the last metrics row), or the last alert's when there are none. */
  trainingSteps: number;
  expectedFalsePositivesOverall: number;
  labelledFalsePositivesOverall: number;
  bursts: Burst[];
}

/** P(X >= k) for X ~ Poisson(lambda), summed in log space (bounded: at most 1e6 terms). */
export function poissonTail(k: number, lambda: number): number {
  if (k <= 0) return 1;
  if (lambda <= 0) return 0;
  const logPmf = (i: number) => -lambda + i * Math.log(lambda) - logFactorial(i);
  if (k > lambda) {
    let sum = 0;
    for (let i = k, n = 0; n < 1_000_000; i++, n++) {
      const t = Math.exp(logPmf(i));
      sum += t;
      if (t < sum * 1e-15 || t === 0) break;
    }
    return Math.min(1, sum);
  }
  let below = 0;
  for (let i = k - 1, n = 0; i >= 0 && n < 1_000_000; i--, n++) {
    const t = Math.exp(logPmf(i));
    below += t;
    if (t < below * 1e-15 && i < lambda) break;
  }
  return Math.max(0, 1 - below);
}
function logFactorial(n: number): number {
  if (n < 2) return 0;
  if (n < 30) {
    let s = 0;
    for (let i = 2; i <= n; i++) s += Math.log(i);
    return s;
  }
  // Stirling's series: exact to ~1e-10 here
  return n * Math.log(n) - n + 0.5 * Math.log(2 * Math.PI * n) + 1 / (12 * n) - 1 / (360 * n ** 3);
}

/**
 * Groups alerts per kind into bursts: an alert more than `gap` steps after the previous one of its kind starts a
 * new burst. Bursts are ranked from the least likely to be noise alone (the Poisson tail), then by alerts and
 * time; the falsePositive kind (alerts the firewall raised with no cause) comes last, as the noise floor. `index` maps episodes to their first tick (for the step within the episode); `top` bounds the episodes
 * listed per burst (0 lists all).
 */
export function groupIncidents(
  alerts: readonly TelemetryAlert[],
  o: { scenario: Scenario; numEnvs: number; gap: number; run: string; trainingSteps?: number; index?: EpisodeIndex; top?: number; noiseP?: number },
): IncidentReport {
  const tele = o.scenario.file.telemetry.firewall;
  const rate = tele.falsePositiveRate;
  const sees = Object.fromEntries(Object.entries(tele.sees).filter(([, p]) => p > 0));
  const declared = new Set([...Object.keys(sees), ...(rate > 0 ? ['falsePositive'] : [])]);
  const byKind = new Map<string, TelemetryAlert[]>();
  for (const a of alerts) {
    let list = byKind.get(a.source);
    if (!list) {
      if (byKind.size >= MAX_KINDS) throw new IncidentsError(`telemetry names more than ${MAX_KINDS} kinds of alert; ${o.scenario.id} declares ${declared.size}`);
      byKind.set(a.source, (list = []));
    }
    list.push(a);
  }
  const top = o.top ?? 5;
  const bursts: Burst[] = [];
  for (const [kind, list] of byKind) {
    list.sort((a, b) => a.step - b.step || a.env - b.env);
    let start = 0;
    for (let k = 1; k <= list.length; k++) {
      if (k < list.length && list[k].step - list[k - 1].step <= o.gap) continue;
      bursts.push(makeBurst(kind, declared.has(kind), list.slice(start, k), rate, o, top));
      start = k;
    }
  }
  // the firewall's own no-cause alerts are the noise floor, listed last; the rest from least to most likely noise
  const noise = (b: Burst) => (b.kind === 'falsePositive' ? 1 : 0);
  bursts.sort((a, b) => noise(a) - noise(b) || a.pNoise - b.pNoise || b.alerts - a.alerts || a.firstStep - b.firstStep || (a.kind < b.kind ? -1 : 1));
  bursts.forEach((b, i) => (b.rank = i + 1));
  const lastAlert = alerts.reduce((m, a) => Math.max(m, a.step), 0);
  const trainingSteps = o.trainingSteps ?? lastAlert + 1;
  return {
    run: o.run, scenario: o.scenario.id, numEnvs: o.numEnvs, gap: o.gap, falsePositiveRate: rate, sees, alerts: alerts.length, trainingSteps,
    expectedFalsePositivesOverall: rate * trainingSteps,
    labelledFalsePositivesOverall: alerts.filter((a) => a.source === 'falsePositive').length,
    bursts,
  };
}

function makeBurst(kind: string, declared: boolean, list: TelemetryAlert[], rate: number, o: { numEnvs: number; gap: number; index?: EpisodeIndex; noiseP?: number }, top: number): Burst {
  const first = list[0].step;
  const last = list[list.length - 1].step;
  const windowSteps = Math.max(last - first + 1, o.gap);
  const expected = rate * windowSteps;
  const pNoise = poissonTail(list.length, expected);
  const eps = new Map<string, BurstEpisode>();
  for (const a of list) {
    const key = episodeKey(a.env, a.episode);
    let e = eps.get(key);
    if (!e) eps.set(key, (e = { env: a.env, episode: a.episode, episodeSeed: a.episodeSeed, alerts: 0, steps: [], episodeSteps: null }));
    e.alerts++;
    e.steps.push(a.step);
  }
  const ranked = [...eps.values()].sort((a, b) => b.alerts - a.alerts || a.steps[0] - b.steps[0]);
  const shown = top > 0 ? ranked.slice(0, top) : ranked;
  for (const e of shown) {
    const rec = o.index?.get(episodeKey(e.env, e.episode));
    // global step = tick * numEnvs + env, and the episode's step t happened at tick startTick + t
    // and step k is the k-th action (t = k - 1), as the viewer, replay and fork number steps
    if (rec) e.episodeSteps = e.steps.map((s) => Math.floor(s / o.numEnvs) - rec.startTick + 1);
    if (e.episodeSteps && e.episodeSteps.some((k) => k < 1 || k > rec!.length)) e.episodeSteps = null; // not this recording's
  }
  return {
    rank: 0, kind, declared, firstStep: first, lastStep: last, alerts: list.length, windowSteps, expectedFalsePositives: expected, pNoise,
    likelyNoise: pNoise > (o.noiseP ?? 0.01),
    labelledFalsePositives: kind === 'falsePositive' ? list.length : 0,
    episodeCount: eps.size, episodes: shown,
  };
}
