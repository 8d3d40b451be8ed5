// The recorded-episode file format (JSON lines), its writer and its strict reader. One episode per file:
//   {"type":"header", format, scenario {id, hash, file}, seed, guardrails, agent, hashEvery, meta}
//   {"type":"step", t, a, ev?, al?, h?, p?}      one per step: action, events, firewall alerts, state hash
//                                                 (every hashEvery steps and at t=0's layout), action probs
//   {"type":"end", reason, steps, return, performance, cost, behaviours, blocked, alerts, jobs}
// Pure (no file system) so the viewer reads the same files the CLI writes.
import { z } from 'zod';
import { scenarioSchema } from './schema.ts';
import { BEHAVIOURS, COST_CATEGORIES, ENV_GUARDRAILS, EVENT_NAMES, NUM_ACTIONS, TERMINATION_NAMES } from './vocab.ts';

export const EPISODE_FORMAT = 'sidequest-episode/1';

const behaviour = z.enum(BEHAVIOURS);
const guardrailConfig = z.strictObject({
  names: z.array(z.enum(ENV_GUARDRAILS)),
  allowlist: z.strictObject({ allow: z.array(behaviour) }).optional(),
  blocklist: z.strictObject({ block: z.array(behaviour), mode: z.enum(['block', 'penalty']), penalty: z.number() }).optional(),
  monitor: z.strictObject({ detect: z.number(), penalty: z.number(), terminate: z.boolean() }).optional(),
  tripwire: z.strictObject({ on: z.array(behaviour) }).optional(),
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
});

const eventTuple = z.tuple([z.enum(EVENT_NAMES), z.number(), z.number(), z.number()]);
const alertTuple = z.tuple([z.union([z.enum(EVENT_NAMES), z.literal('falsePositive')]), z.number(), z.number()]);

export const episodeStepSchema = z.strictObject({
  type: z.literal('step'),
  t: z.number().int().min(0),
  a: z.number().int().min(0).max(NUM_ACTIONS - 1),
  ev: z.array(eventTuple).optional(),
  al: z.array(alertTuple).optional(),
  h: z.string().optional(),
  p: z.array(z.number()).length(NUM_ACTIONS).optional(),
  /** Reward, performance of this step (for the HUD; replay recomputes and checks them). */
  r: z.number().optional(),
});

export const episodeEndSchema = z.strictObject({
  type: z.literal('end'),
  reason: z.enum(TERMINATION_NAMES),
  steps: z.number().int().min(0),
  return: z.number(),
  performance: z.number(),
  cost: z.strictObject(Object.fromEntries(COST_CATEGORIES.map((c) => [c, z.number()])) as Record<(typeof COST_CATEGORIES)[number], z.ZodNumber>),
  behaviours: z.array(behaviour),
  blocked: z.number().int(),
  alerts: z.number().int(),
  jobs: z.number().int(),
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
    super(`[${origin}]${line > 0 ? ` line ${line}:` : ''} ${detail}`);
    this.name = 'EpisodeFileError';
  }
}

export function serializeEpisode(rec: EpisodeRecord): string {
  return [rec.header, ...rec.steps, rec.end].map((o) => JSON.stringify(o)).join('\n') + '\n';
}

/** Parses and validates an episode file; throws EpisodeFileError naming the first bad line. */
export function parseEpisode(text: string, origin = 'episode'): EpisodeRecord {
  const lines = text.split('\n');
  while (lines.length > 0 && lines[lines.length - 1].trim() === '') lines.pop();
  if (lines.length === 0) throw new EpisodeFileError(origin, 0, 'empty file: expected a sidequest episode (JSON lines)');
  const objs: unknown[] = lines.map((l, k) => {
    try {
      return JSON.parse(l) as unknown;
    } catch {
      throw new EpisodeFileError(origin, k + 1, `expected a JSON object, found ${l.length > 30 ? `${l.slice(0, 30)}…` : l || 'an empty line'}`);
    }
  });
  const first = objs[0] as { type?: unknown; format?: unknown } | null;
  if (!first || first.type !== 'header') throw new EpisodeFileError(origin, 1, 'expected an episode header first; this is not a sidequest episode file');
  if (first.format !== EPISODE_FORMAT) {
    throw new EpisodeFileError(origin, 1, `expected format "${EPISODE_FORMAT}", found ${JSON.stringify(first.format)}`);
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

function check<T>(schema: z.ZodType<T>, o: unknown, origin: string, line: number): T {
  const r = schema.safeParse(o);
  if (r.success) return r.data;
  const issue = r.error.issues[0];
  const path = issue.path.join('.') || '(record)';
  throw new EpisodeFileError(origin, line, `at ${path}: ${issue.message}`);
}
