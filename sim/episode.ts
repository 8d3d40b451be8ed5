// The recorded-episode file format (JSON lines), its writer and its strict reader. One episode per file:
//   {"type":"header", format, scenario {id, hash, file}, seed, guardrails, agent, hashEvery, meta, h0, carried?}
//   {"type":"step", t, a, ev?, al?, h?, p?, r?}  one per step: action, events, firewall alerts, state hash
//                                                 (every hashEvery steps; h0 is the layout), action probs
//   {"type":"end", reason, steps, return, performance, cost, behaviours, blocked, alerts, vars}
// The header embeds the resolved scenario, so a file replays anywhere without the scenarios folder. Event,
// behaviour and cost names are the scenario's own; the reader checks shapes and bounds, and replay checks the
// names against the embedded scenario. Pure (no file system) so the viewer reads the same files the CLI writes.
import { z } from 'zod';
import { scenarioSchema } from './schema.ts';
import { ENV_GUARDRAILS, NUM_ACTIONS } from './vocab.ts';

export const EPISODE_FORMAT = 'sidequest-episode/2';
/** Bounds on what a reader accepts: the engine's own limits (horizon ≤ 100,000) with room for the records. */
export const MAX_EPISODE_BYTES = 64 * 1024 * 1024;
const MAX_EPISODE_LINES = 100_002;

const behaviour = z.string().max(40);
// the bounds of the scenario file's guardrail options (sim/schema.ts): a recorded penalty of 1e308 would make
// the replayed return infinite, and Infinity - Infinity is NaN, which compares as "no divergence"
const penalty = z.number().min(0).max(1e6);
const guardrailConfig = z.strictObject({
  names: z.array(z.enum(ENV_GUARDRAILS)).max(ENV_GUARDRAILS.length),
  allowlist: z.strictObject({ allow: z.array(behaviour).max(64) }).optional(),
  blocklist: z.strictObject({ block: z.array(behaviour).max(64), mode: z.enum(['block', 'penalty']), penalty }).optional(),
  monitor: z.strictObject({ detect: z.number().min(0).max(1), penalty, terminate: z.boolean() }).optional(),
  tripwire: z.strictObject({ on: z.array(behaviour).max(64) }).optional(),
});

export const episodeHeaderSchema = z.strictObject({
  type: z.literal('header'),
  format: z.literal(EPISODE_FORMAT),
  scenario: z.strictObject({ id: z.string(), hash: z.string(), file: scenarioSchema }),
  seed: z.number().int().min(0),
  guardrails: guardrailConfig,
  agent: z.string(),
  hashEvery: z.number().int().min(1),
  /** Free-form context: run name, checkpoint step, env and episode index... */
  meta: z.record(z.string(), z.unknown()).default({}),
  /** The layout hash right after reset (t = 0). */
  h0: z.string(),
  /**
   * The values of the scenario's carried variables (`carry: true`) when the episode began, by name: what earlier
   * episodes of the same env left them at, so the episode replays alone. Replay checks the names (sim/replay.ts).
   */
  carried: z
    .record(z.string().max(40), z.number().min(-1e9).max(1e9))
    .refine((r) => Object.keys(r).length <= 64, 'at most 64 carried variables')
    .optional(),
});

const eventTuple = z.tuple([z.string().max(40), z.number(), z.number(), z.number()]);
const alertTuple = z.tuple([z.string().max(40), z.number(), z.number()]);

export const episodeStepSchema = z.strictObject({
  type: z.literal('step'),
  t: z.number().int().min(0).max(MAX_EPISODE_LINES),
  a: z.number().int().min(0).max(NUM_ACTIONS - 1),
  ev: z.array(eventTuple).max(4096).optional(),
  al: z.array(alertTuple).max(4096).optional(),
  h: z.string().optional(),
  p: z.array(z.number()).length(NUM_ACTIONS).optional(),
  /** Reward, performance of this step (for the HUD; replay recomputes and checks them). */
  r: z.number().optional(),
});

export const episodeEndSchema = z.strictObject({
  type: z.literal('end'),
  reason: z.string().max(40),
  steps: z.number().int().min(0),
  return: z.number(),
  performance: z.number(),
  cost: z.record(z.string().max(40), z.number()),
  behaviours: z.array(behaviour).max(64),
  blocked: z.number().int(),
  alerts: z.number().int(),
  /** The scenario's variables at the end (jobsDone, coins...). */
  vars: z.record(z.string().max(40), z.number()),
});

export type EpisodeHeader = z.infer<typeof episodeHeaderSchema>;
export type EpisodeStep = z.infer<typeof episodeStepSchema>;
export type EpisodeEnd = z.infer<typeof episodeEndSchema>;
export interface EpisodeRecord {
  header: EpisodeHeader;
  steps: EpisodeStep[];
  end: EpisodeEnd;
}

/** A broken episode file: what is wrong and on which line, never a stack trace for the user. */
export class EpisodeFileError extends Error {
  constructor(readonly origin: string, readonly line: number, detail: string) {
    // the detail quotes the file (keys in a path, values in zod's messages): printable and bounded, one line
    const d = printable(detail);
    super(`[${printable(origin).slice(0, 160)}]${line > 0 ? ` line ${line}:` : ''} ${d.length > 400 ? `${d.slice(0, 399)}…` : d}`);
    this.name = 'EpisodeFileError';
  }
}

export function serializeEpisode(rec: EpisodeRecord): string {
  return [rec.header, ...rec.steps, rec.end].map((o) => JSON.stringify(o)).join('\n') + '\n';
}

/** Parses and validates an episode file; throws EpisodeFileError naming the first bad line. */
export function parseEpisode(text: string, origin = 'episode'): EpisodeRecord {
  if (text.length > MAX_EPISODE_BYTES) throw new EpisodeFileError(origin, 0, `expected an episode file of at most ${MAX_EPISODE_BYTES / 1024 / 1024} MB, found ${Math.round(text.length / 1024 / 1024)} MB`);
  const lines = text.split('\n');
  if (lines.length > MAX_EPISODE_LINES + 1) throw new EpisodeFileError(origin, 0, `expected at most ${MAX_EPISODE_LINES} lines (the longest episode the engine runs), found ${lines.length}`);
  while (lines.length > 0 && lines[lines.length - 1].trim() === '') lines.pop();
  if (lines.length === 0) throw new EpisodeFileError(origin, 0, 'empty file: expected a sidequest episode (JSON lines)');
  const objs: unknown[] = lines.map((l, k) => {
    try {
      return JSON.parse(l) as unknown;
    } catch {
      throw new EpisodeFileError(origin, k + 1, `expected a JSON object, found ${l ? printable(l.length > 30 ? `${l.slice(0, 30)}…` : l) : 'an empty line'}`);
    }
  });
  const first = objs[0] as { type?: unknown; format?: unknown } | null;
  if (!first || first.type !== 'header') throw new EpisodeFileError(origin, 1, 'expected an episode header first; this is not a sidequest episode file');
  if (first.format !== EPISODE_FORMAT) {
    const old = first.format === 'sidequest-episode/1' ? ' (an episode from sidequest 0.1, before worlds became data: re-record it)' : '';
    throw new EpisodeFileError(origin, 1, `expected format "${EPISODE_FORMAT}", found ${printable(JSON.stringify(first.format)?.slice(0, 60) ?? 'nothing')}${old}`);
  }
  const header = check(episodeHeaderSchema, objs[0], origin, 1);
  const steps: EpisodeStep[] = [];
  let end: EpisodeEnd | undefined;
  for (let k = 1; k < objs.length; k++) {
    const o = objs[k] as { type?: unknown };
    if (end) throw new EpisodeFileError(origin, k + 1, 'expected nothing after the end record');
    if (o && o.type === 'end') end = check(episodeEndSchema, o, origin, k + 1);
    else {
      const st = check(episodeStepSchema, o, origin, k + 1);
      if (st.t !== steps.length) throw new EpisodeFileError(origin, k + 1, `expected step ${steps.length}, found step ${st.t}`);
      steps.push(st);
    }
  }
  if (!end) throw new EpisodeFileError(origin, lines.length, `truncated: no end record after step ${steps.length - 1}`);
  if (end.steps !== steps.length) throw new EpisodeFileError(origin, lines.length, `end record says ${end.steps} steps, file has ${steps.length}`);
  return { header, steps, end };
}

/** Text from a file, safe to print on a terminal: control characters (escape sequences) become '?'. */
export function printable(s: string): string {
  let out = '';
  for (const ch of s) {
    const c = ch.charCodeAt(0);
    out += c < 0x20 || (c >= 0x7f && c < 0xa0) ? '?' : ch;
  }
  return out;
}

function check<T>(schema: z.ZodType<T>, o: unknown, origin: string, line: number): T {
  const r = schema.safeParse(o);
  if (r.success) return r.data;
  const issue = r.error.issues[0];
  const path = issue.path.join('.') || '(record)';
  throw new EpisodeFileError(origin, line, `at ${path}: ${issue.message}`);
}
