// Share links for the train page: the URL's hash holds the whole training setup — a shipped scenario's id or an
// edited world's text (deflated, base64url), seed, steps, guardrails, backend and every PPO option that differs
// from its default — so opening the link fills the same form and Train starts the same run on the same backend.
// Pure (no DOM; CompressionStream exists in browsers and Node ≥ 18), tested in Node. A link is data from anyone:
// every field is checked against the page's own bounds, and a link that does not parse says why.
import type { BrowserBackendRequest } from '../../../agents/learning/backend.ts';
import { PPO_ARGS, type PpoArgs } from '../../../agents/learning/options.ts';
import { PAGE_BACKENDS } from './backend-order.ts';
import { hashParams } from '../link.ts';
import { checkSetup, SetupError, SETUP_LIMITS, type TrainSetup } from './session.ts';

export interface TrainLink {
  /** The setup as the worker takes it (setup.scenario is the world's id when `world` is set). */
  setup: TrainSetup;
  backend: BrowserBackendRequest;
  /** An edited world's scenario text (standalone YAML), when the link carries one instead of a shipped id. */
  world?: string;
}

export type TrainLinkParse = { ok: true; link: TrainLink | null } | { ok: false; error: string };

/** A link longer than this is refused unread (a world of a few KB deflates far below it). */
export const MAX_TRAIN_LINK = 16_000;
/** An edited world whose encoded text is longer than this is not put in a link (chat tools and some hosts cut long URLs). */
export const MAX_WORLD_CHARS = 8_000;
/** The decompressed world text is bounded too (a deflate bomb stops here). */
export const MAX_WORLD_TEXT = 256 * 1024;

const BASE_KEYS = ['scenario', 'world', 'seed', 'steps', 'guardrails', 'backend'] as const;
const ARG_KEYS = Object.keys(PPO_ARGS) as Array<keyof PpoArgs>;
/** Options without an upper bound of their own get this one, so a link cannot ask for absurd values. */
const DEFAULT_MAX = 1e6;
const LIMIT_OF: Partial<Record<keyof PpoArgs, number>> = { envs: SETUP_LIMITS.maxEnvs, numSteps: SETUP_LIMITS.maxNumSteps, hidden: SETUP_LIMITS.maxHidden };

function toBase64Url(bytes: Uint8Array): string {
  let s = '';
  for (const b of bytes) s += String.fromCharCode(b);
  return btoa(s).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

function fromBase64Url(text: string): Uint8Array {
  if (!/^[A-Za-z0-9_-]*$/.test(text)) throw new Error('not base64url');
  const b = atob(text.replace(/-/g, '+').replace(/_/g, '/') + '='.repeat((4 - (text.length % 4)) % 4));
  return Uint8Array.from(b, (c) => c.charCodeAt(0));
}

async function pipe(bytes: Uint8Array, stream: CompressionStream | DecompressionStream, max: number): Promise<Uint8Array> {
  const reader = new Blob([bytes as BlobPart]).stream().pipeThrough(stream).getReader();
  const parts: Uint8Array[] = [];
  let n = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    n += value.length;
    if (n > max) {
      await reader.cancel();
      throw new Error(`it unpacks to more than ${max} bytes`);
    }
    parts.push(value);
  }
  const out = new Uint8Array(n);
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/** An edited world's text as a link field (deflate-raw, base64url), or null when it is too long to link. */
export async function encodeWorld(text: string): Promise<string | null> {
  const packed = toBase64Url(await pipe(new TextEncoder().encode(text), new CompressionStream('deflate-raw'), MAX_WORLD_TEXT * 2));
  return packed.length <= MAX_WORLD_CHARS ? packed : null;
}

export async function decodeWorld(field: string): Promise<string> {
  if (field.length > MAX_WORLD_CHARS) throw new Error(`its world is ${field.length} characters; at most ${MAX_WORLD_CHARS}`);
  let bytes: Uint8Array;
  try {
    bytes = fromBase64Url(field);
  } catch (e) {
    throw new Error('its world is not base64url text', { cause: e });
  }
  let raw: Uint8Array;
  try {
    raw = await pipe(bytes, new DecompressionStream('deflate-raw'), MAX_WORLD_TEXT);
  } catch (e) {
    throw new Error(`its world does not unpack (${(e as Error).message.slice(0, 80)})`, { cause: e });
  }
  return new TextDecoder('utf-8', { fatal: false }).decode(raw);
}

/** The hash for a setup; `world` is the already-encoded world field (encodeWorld), when the setup is an edited world. */
export function formatTrainLink(setup: TrainSetup, backend: BrowserBackendRequest, encodedWorld?: string): string {
  const p = new URLSearchParams();
  if (encodedWorld !== undefined) p.set('world', encodedWorld);
  else p.set('scenario', setup.scenario);
  p.set('seed', String(setup.seed));
  p.set('steps', String(setup.steps));
  p.set('guardrails', setup.guardrails.join(','));
  p.set('backend', backend);
  const args = setup.args ?? {};
  for (const k of ARG_KEYS) {
    const v = args[k];
    if (v === undefined || v === PPO_ARGS[k].default) continue;
    p.set(k, typeof v === 'boolean' ? (v ? '1' : '0') : String(v));
  }
  return `#${p.toString()}`;
}

/** Reads a train link. `world` comes back as text still to be compiled (the page validates it with the scenario schema). */
export async function parseTrainLink(hash: string): Promise<TrainLinkParse> {
  const read = hashParams(hash, MAX_TRAIN_LINK, 'a training link');
  if (!read.ok) return read;
  if (read.params === null) return { ok: true, link: null };
  const params = read.params;
  const known = new Set<string>([...BASE_KEYS, ...ARG_KEYS]);
  const unknown = [...new Set(params.keys())].filter((k) => !known.has(k));
  if (unknown.length) return { ok: false, error: `it has ${unknown.length === 1 ? 'a field' : 'fields'} a training link does not have: ${unknown.slice(0, 3).map((k) => JSON.stringify(k.slice(0, 30))).join(', ')}` };
  for (const k of params.keys()) if (params.getAll(k).length > 1) return { ok: false, error: `it gives "${k}" more than once` };
  if (params.has('scenario') === params.has('world')) return { ok: false, error: 'it must name either a scenario or a world (not both, not neither)' };
  for (const k of ['seed', 'steps', 'guardrails', 'backend']) if (!params.has(k)) return { ok: false, error: `it lacks ${k}` };
  const int = (k: string, lo: number, hi: number): number | string => {
    const t = params.get(k)!;
    if (!/^\d{1,10}$/.test(t) || Number(t) < lo || Number(t) > hi) return `its ${k} "${t.slice(0, 20)}" is not a whole number from ${lo} to ${hi}`;
    return Number(t);
  };
  const seed = int('seed', 0, SETUP_LIMITS.maxSeed);
  if (typeof seed === 'string') return { ok: false, error: seed };
  const steps = int('steps', 1, SETUP_LIMITS.maxSteps);
  if (typeof steps === 'string') return { ok: false, error: steps };
  const backend = params.get('backend')!;
  if (!(PAGE_BACKENDS as readonly string[]).includes(backend)) return { ok: false, error: `its backend "${backend.slice(0, 20)}" is not one of ${PAGE_BACKENDS.join(', ')}` };
  const gText = params.get('guardrails')!;
  const guardrails = gText === '' ? [] : gText.split(',');
  if (guardrails.length > 16 || !guardrails.every((g) => /^[a-z][a-z-]{0,39}$/.test(g))) return { ok: false, error: 'its guardrails are not a comma-separated list of guardrail names' };
  const args: Partial<Record<keyof PpoArgs, number | boolean>> = {};
  for (const k of ARG_KEYS) {
    const t = params.get(k);
    if (t === null) continue;
    const spec = PPO_ARGS[k];
    if (spec.type === 'boolean') {
      if (t !== '0' && t !== '1') return { ok: false, error: `its ${k} "${t.slice(0, 20)}" is not 0 or 1` };
      args[k] = t === '1';
      continue;
    }
    const v = Number(t);
    const lo = spec.min ?? 0;
    const hi = LIMIT_OF[k] ?? ('max' in spec && spec.max !== undefined ? spec.max : DEFAULT_MAX);
    if (t.trim() === '' || t.length > 24 || !Number.isFinite(v) || v < lo || v > hi || ('integer' in spec && spec.integer && !Number.isInteger(v))) {
      return { ok: false, error: `its ${k} "${t.slice(0, 20)}" is not a ${'integer' in spec && spec.integer ? 'whole number' : 'number'} from ${lo} to ${hi}` };
    }
    args[k] = v;
  }
  let world: string | undefined;
  let scenario: string;
  if (params.has('world')) {
    try {
      world = await decodeWorld(params.get('world')!);
    } catch (e) {
      return { ok: false, error: (e as Error).message };
    }
    scenario = 'edited';
  } else {
    scenario = params.get('scenario')!;
  }
  const setup: TrainSetup = { scenario, guardrails, seed, steps, ...(Object.keys(args).length ? { args: args as Partial<PpoArgs> } : {}) };
  try {
    checkSetup(setup);
  } catch (e) {
    if (e instanceof SetupError) return { ok: false, error: `its ${e.message}` };
    throw e;
  }
  return { ok: true, link: { setup, backend: backend as BrowserBackendRequest, ...(world !== undefined ? { world } : {}) } };
}
