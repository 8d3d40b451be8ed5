// Recording of every training episode, compactly: an episode is determined by its episode seed, the scenario,
// the env-side guardrails and its actions, so the recorder keeps one byte per step (the action), the layout hash
// and a state hash every `hashEvery` steps (so a replay is verified), plus a small per-episode header (env,
// episode index, seed, first tick, length, end reason, return, side strategies, alerts, and the values of the
// scenario's carried variables at its start, which its start depends on besides the seed). It owns:
//   - TrainingRecorder: the rollout hook (agents/learning/rollout.ts calls afterStep once per batch step). Its
//     buffers are allocated once; the hot loop writes bytes into them and allocates nothing. A finished episode
//     is copied into the segment buffer, which grows by doubling (rarely, never per step).
//   - segment files: runs/<run>/training/step-<N>.sqtr, one per checkpoint window, written atomically (gzip of a
//     binary body) right before the checkpoint that covers them; episodes still running at a checkpoint are kept
//     in the checkpoint's state, so --resume continues them and nothing is lost or duplicated.
//   - retention: keepSteps prunes segments older than the last keepSteps training steps, and every pruned
//     segment is listed in training/pruned.json (never silent).
//   - the strict reader: every field of a segment is validated and bounded before use (a run folder can be hostile).
import { existsSync, lstatSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync, gzipSync } from 'node:zlib';
import { z } from 'zod';
import type { BatchEnv } from '../../sim/engine.ts';
import type { EnvGuardrailConfig } from '../../sim/guardrails.ts';
import type { Scenario } from '../../sim/scenario.ts';
import { NUM_ACTIONS } from '../../sim/vocab.ts';
import type { RolloutRecorder } from '../learning/rollout.ts';
import { writeFileAtomic } from './checkpoint.ts';

export const TRAINING_FORMAT = 'sidequest-training/1';
export const TRAINING_DIR = 'training';
export const PRUNED_FILE = 'pruned.json';
const MAGIC = 0x52545153; // "SQTR" little-endian
/** Bytes of the fixed per-episode header in a segment body (see writeEpisode). */
export const EPISODE_HEADER_BYTES = 44;
/** Bounds on what the reader accepts: a segment file, its inflated body, its episode count. */
export const MAX_SEGMENT_FILE_BYTES = 64 * 1024 * 1024;
export const MAX_SEGMENT_BODY_BYTES = 256 * 1024 * 1024;
const MAX_SEGMENTS = 100_000;
const MAX_ENVS = 4096;

/** How a run records its training episodes (run.json `trainingEpisodes`). */
export interface TrainingRecordSettings {
  record: boolean;
  /** A state hash every this many steps of an episode. */
  hashEvery: number;
  /** Keep the segments of the last this many training steps; 0 keeps every one. */
  keepSteps: number;
}
export const TRAINING_RECORD_DEFAULTS: TrainingRecordSettings = { record: true, hashEvery: 16, keepSteps: 0 };

/** A training episode as recorded. Global steps of its step j: (startTick + j) * numEnvs + env. */
export interface TrainingEpisode {
  env: number;
  index: number;
  seed: number;
  startTick: number;
  length: number;
  /** Index into the scenario's endReasons. */
  reason: number;
  return: number;
  /** Bit mask over the scenario's behaviour indices that succeeded. */
  behaviours: number;
  alerts: number;
  /** The carried variables (`carry: true`) at the episode's start, in the segment header's `carried` order. */
  carried: Float64Array;
  h0: number;
  /** State hash after step k*hashEvery - 1, for k = 1..floor((length-1)/hashEvery). */
  hashes: Uint32Array;
  actions: Uint8Array;
}

const guardrailsShape = z.strictObject({
  names: z.array(z.string().max(40)).max(16),
  allowlist: z.strictObject({ allow: z.array(z.string().max(40)).max(64) }).optional(),
  blocklist: z.strictObject({ block: z.array(z.string().max(40)).max(64), mode: z.enum(['block', 'penalty']), penalty: z.number().min(0).max(1e6) }).optional(),
  monitor: z.strictObject({ detect: z.number().min(0).max(1), penalty: z.number().min(0).max(1e6), terminate: z.boolean() }).optional(),
  tripwire: z.strictObject({ on: z.array(z.string().max(40)).max(64) }).optional(),
});

export const segmentHeaderSchema = z.strictObject({
  format: z.literal(TRAINING_FORMAT),
  run: z.string().max(200),
  scenario: z.strictObject({ id: z.string().max(200), hash: z.string().max(64) }),
  guardrails: guardrailsShape,
  numEnvs: z.number().int().min(1).max(MAX_ENVS),
  /** Steps per env per rollout: the iteration of tick k is floor(k / numSteps). */
  numSteps: z.number().int().min(1).max(1_000_000),
  hashEvery: z.number().int().min(1).max(1_000_000),
  /** Episodes that ended in steps (fromStep, toStep]. */
  fromStep: z.number().int().min(0),
  toStep: z.number().int().min(0),
  episodes: z.number().int().min(0).max(MAX_SEGMENT_BODY_BYTES / EPISODE_HEADER_BYTES),
  /**
   * The scenario's carried variables, in the engine's order: each episode record then holds their values at its
   * start (float64 each, after the fixed header). Absent when the scenario carries none.
   */
  carried: z.array(z.string().max(40)).max(64).optional(),
  /** Per env: the lowest and highest episode index in this segment (null where none ended). */
  ranges: z.array(z.tuple([z.number().int().min(0), z.number().int().min(0)]).nullable()).max(MAX_ENVS),
});
export type SegmentHeader = z.infer<typeof segmentHeaderSchema>;

export class TrainingRecordError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'TrainingRecordError';
  }
}

/** Whether env i's current episode is being recorded, and what it has so far (saved in checkpoints). */
export interface OpenEpisodeState {
  open: boolean;
  seed: number;
  index: number;
  startTick: number;
  h0: number;
  /** Actions so far, base64. */
  actions: string;
  hashes: number[];
  /** The carried variables at the episode's start (absent when the scenario carries none). */
  carried?: number[];
}
export interface RecorderState {
  open: OpenEpisodeState[];
}

/** The rollout hook: records every env's episodes into preallocated buffers. */
export class TrainingRecorder implements RolloutRecorder {
  readonly numEnvs: number;
  readonly horizon: number;
  readonly hashEvery: number;
  private readonly maxHashes: number;
  private readonly actions: Uint8Array; // [numEnvs * horizon]
  private readonly hashes: Uint32Array; // [numEnvs * maxHashes]
  private readonly len: Int32Array;
  private readonly isOpen: Uint8Array;
  private readonly seed: Uint32Array;
  private readonly index: Int32Array;
  private readonly h0: Uint32Array;
  private readonly startTick: Float64Array;
  /** [numEnvs * numCarried] the carried variables at the start of each env's open episode. */
  private readonly carried: Float64Array;
  private readonly numCarried: number;
  private readonly carriedNames: string[];
  private seg: Uint8Array;
  private view: DataView;
  private segLen = 0;
  private segEpisodes = 0;
  private readonly lo: Int32Array;
  private readonly hi: Int32Array;

  constructor(env: BatchEnv, hashEvery: number, tick: number) {
    const n = env.numEnvs;
    this.numEnvs = n;
    this.horizon = env.scenario.horizon;
    this.hashEvery = Math.max(1, Math.floor(hashEvery));
    this.maxHashes = Math.floor(this.horizon / this.hashEvery) + 1;
    this.actions = new Uint8Array(n * this.horizon);
    this.hashes = new Uint32Array(n * this.maxHashes);
    this.len = new Int32Array(n);
    this.isOpen = new Uint8Array(n);
    this.seed = new Uint32Array(n);
    this.index = new Int32Array(n);
    this.h0 = new Uint32Array(n);
    this.startTick = new Float64Array(n);
    this.numCarried = env.numCarried;
    this.carried = new Float64Array(n * this.numCarried);
    this.carriedNames = Array.from(env.carriedVars, (v) => env.scenario.variables[v].name);
    this.lo = new Int32Array(n).fill(-1);
    this.hi = new Int32Array(n).fill(-1);
    this.seg = new Uint8Array(1 << 20);
    this.view = new DataView(this.seg.buffer);
    // an env whose episode has not started yet (t = 0) is recorded from now; one mid-episode (a run resumed
    // from before recording existed) only from its next episode
    for (let i = 0; i < n; i++) if (env.t[i] === 0) this.begin(env, i, tick);
  }

  private begin(env: BatchEnv, i: number, tick: number): void {
    this.isOpen[i] = 1;
    this.len[i] = 0;
    this.seed[i] = env.episodeSeed[i];
    this.index[i] = env.episodeIndex[i];
    this.h0[i] = env.stateHash32(i);
    this.startTick[i] = tick;
    const nc = this.numCarried;
    for (let k = 0; k < nc; k++) this.carried[i * nc + k] = env.carryStart[i * nc + k];
  }

  /** After env.step(actions) at batch step `tick` (the global step of env i is tick * numEnvs + i). */
  afterStep(env: BatchEnv, actions: Uint8Array, tick: number): void {
    const n = this.numEnvs;
    const H = this.horizon;
    const he = this.hashEvery;
    for (let i = 0; i < n; i++) {
      const done = env.terminated[i] === 1 || env.truncated[i] === 1;
      if (this.isOpen[i] === 1) {
        const L = this.len[i];
        if (L >= H) this.isOpen[i] = 0; // cannot happen (the horizon ends every episode); never write past the buffer
        else {
          this.actions[i * H + L] = actions[i];
          this.len[i] = L + 1;
          if (done) this.finish(env, i);
          else if ((L + 1) % he === 0) this.hashes[i * this.maxHashes + (L + 1) / he - 1] = env.stateHash32(i);
        }
      }
      if (done) this.begin(env, i, tick + 1); // with auto-reset the next episode's first state is already there
    }
  }

  private finish(env: BatchEnv, i: number): void {
    const L = this.len[i];
    const nh = Math.floor((L - 1) / this.hashEvery);
    const nc = this.numCarried;
    const need = EPISODE_HEADER_BYTES + 8 * nc + 4 * nh + L;
    if (this.segLen + need > this.seg.length) this.grow(this.segLen + need);
    const v = this.view;
    let o = this.segLen;
    v.setUint16(o, i, true);
    v.setUint8(o + 2, env.endReason[i]);
    v.setUint8(o + 3, 0);
    v.setUint32(o + 4, this.index[i], true);
    v.setUint32(o + 8, this.seed[i], true);
    v.setFloat64(o + 12, this.startTick[i], true);
    v.setUint32(o + 20, L, true);
    v.setUint32(o + 24, this.h0[i], true);
    v.setFloat64(o + 28, env.final.return[i], true);
    v.setUint32(o + 36, env.final.behaviours[i] >>> 0, true);
    v.setUint32(o + 40, env.final.alerts[i], true);
    o += EPISODE_HEADER_BYTES;
    for (let k = 0; k < nc; k++, o += 8) v.setFloat64(o, this.carried[i * nc + k], true);
    const hb = i * this.maxHashes;
    for (let k = 0; k < nh; k++, o += 4) v.setUint32(o, this.hashes[hb + k], true);
    this.seg.set(this.actions.subarray(i * this.horizon, i * this.horizon + L), o);
    this.segLen = o + L;
    this.segEpisodes++;
    if (this.lo[i] < 0) this.lo[i] = this.index[i];
    this.hi[i] = this.index[i];
    this.isOpen[i] = 0;
  }

  private grow(min: number): void {
    let size = this.seg.length * 2;
    while (size < min) size *= 2;
    const next = new Uint8Array(size);
    next.set(this.seg.subarray(0, this.segLen));
    this.seg = next;
    this.view = new DataView(next.buffer);
  }

  /** Episodes finished since the last takeSegment. */
  get pendingEpisodes(): number {
    return this.segEpisodes;
  }

  /** The finished episodes since the last call, as a segment file's bytes; the segment buffer starts over. */
  takeSegment(meta: Omit<SegmentHeader, 'format' | 'episodes' | 'ranges' | 'numEnvs' | 'hashEvery' | 'guardrails'> & { guardrails: EnvGuardrailConfig }): Uint8Array {
    const header: SegmentHeader = {
      format: TRAINING_FORMAT,
      ...meta,
      guardrails: structuredClone(meta.guardrails) as SegmentHeader['guardrails'],
      numEnvs: this.numEnvs,
      hashEvery: this.hashEvery,
      ...(this.numCarried > 0 ? { carried: [...this.carriedNames] } : {}),
      episodes: this.segEpisodes,
      ranges: Array.from(this.lo, (l, i) => (l < 0 ? null : ([l, this.hi[i]] as [number, number]))),
    };
    const out = encodeSegment(header, this.seg.subarray(0, this.segLen));
    this.segLen = 0;
    this.segEpisodes = 0;
    this.lo.fill(-1);
    this.hi.fill(-1);
    return out;
  }

  /** The episodes still running (for the checkpoint, so a resumed run continues recording them). */
  state(): RecorderState {
    const open: OpenEpisodeState[] = [];
    for (let i = 0; i < this.numEnvs; i++) {
      const L = this.len[i];
      open.push({
        open: this.isOpen[i] === 1,
        seed: this.seed[i],
        index: this.index[i],
        startTick: this.startTick[i],
        h0: this.h0[i],
        actions: Buffer.from(this.actions.subarray(i * this.horizon, i * this.horizon + L)).toString('base64'),
        hashes: Array.from(this.hashes.subarray(i * this.maxHashes, i * this.maxHashes + Math.floor(L / this.hashEvery))),
        ...(this.numCarried > 0 ? { carried: Array.from(this.carried.subarray(i * this.numCarried, (i + 1) * this.numCarried)) } : {}),
      });
    }
    return { open };
  }

  /** Restores what state() saved; an env that does not fit (or a missing state) is recorded from its next episode. */
  restore(s: RecorderState | undefined): void {
    this.isOpen.fill(0);
    if (!s || !Array.isArray(s.open) || s.open.length !== this.numEnvs) return;
    s.open.forEach((o, i) => {
      const acts = typeof o.actions === 'string' ? Buffer.from(o.actions, 'base64') : Buffer.alloc(0);
      const nc = this.numCarried;
      const carriedOk = nc === 0 || (Array.isArray(o.carried) && o.carried.length === nc && o.carried.every((x) => typeof x === 'number' && Number.isFinite(x)));
      const ok = o.open === true && acts.length <= this.horizon && Array.isArray(o.hashes) && o.hashes.length === Math.floor(acts.length / this.hashEvery) &&
        [o.seed, o.index, o.startTick, o.h0].every((x) => Number.isInteger(x) && x >= 0) && carriedOk;
      if (!ok) return;
      this.isOpen[i] = 1;
      this.seed[i] = o.seed;
      this.index[i] = o.index;
      this.startTick[i] = o.startTick;
      this.h0[i] = o.h0;
      this.len[i] = acts.length;
      this.actions.set(acts, i * this.horizon);
      this.hashes.set(o.hashes, i * this.maxHashes);
      if (nc > 0) this.carried.set(o.carried!, i * nc);
    });
  }
}

// ---- the segment file ------------------------------------------------------------------------------------------

/** gzip("SQTR", u32 header length, header JSON, episode records). */
export function encodeSegment(header: SegmentHeader, body: Uint8Array): Uint8Array {
  const json = Buffer.from(JSON.stringify(header), 'utf8');
  const head = Buffer.alloc(8);
  head.writeUInt32LE(MAGIC, 0);
  head.writeUInt32LE(json.length, 4);
  return gzipSync(Buffer.concat([head, json, body]), { level: 6 });
}

/** Parses and validates a segment's bytes; `scenario` bounds env, reason, length and action values. */
export function decodeSegment(bytes: Uint8Array, origin: string, scenario: Scenario): { header: SegmentHeader; episodes: TrainingEpisode[] } {
  if (bytes.length > MAX_SEGMENT_FILE_BYTES) throw new TrainingRecordError(`${origin}: expected a segment of at most ${MAX_SEGMENT_FILE_BYTES >> 20} MB, found ${bytes.length >> 20} MB`);
  let raw: Buffer;
  try {
    raw = gunzipSync(bytes, { maxOutputLength: MAX_SEGMENT_BODY_BYTES });
  } catch (e) {
    throw new TrainingRecordError(`${origin}: not a training-episode segment (gzip: ${(e as Error).message.slice(0, 80)})`);
  }
  if (raw.length < 8 || raw.readUInt32LE(0) !== MAGIC) throw new TrainingRecordError(`${origin}: not a training-episode segment (expected the SQTR signature)`);
  const jl = raw.readUInt32LE(4);
  if (jl > raw.length - 8 || jl > 16 * 1024 * 1024) throw new TrainingRecordError(`${origin}: header length ${jl} does not fit the file`);
  let obj: unknown;
  try {
    obj = JSON.parse(raw.subarray(8, 8 + jl).toString('utf8'));
  } catch {
    throw new TrainingRecordError(`${origin}: the header is not JSON`);
  }
  const format = (obj as { format?: unknown } | null)?.format;
  if (format !== TRAINING_FORMAT) throw new TrainingRecordError(`${origin}: expected format ${TRAINING_FORMAT}, found ${JSON.stringify(format)?.slice(0, 40) ?? 'nothing'}`);
  const parsed = segmentHeaderSchema.safeParse(obj);
  if (!parsed.success) {
    const is = parsed.error.issues[0];
    throw new TrainingRecordError(`${origin}: header at ${is.path.join('.') || '(record)'}: ${is.message.slice(0, 120)}`);
  }
  const header = parsed.data;
  if (header.ranges.length !== header.numEnvs) throw new TrainingRecordError(`${origin}: expected ${header.numEnvs} env ranges, found ${header.ranges.length}`);
  const v = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
  let o = 8 + jl;
  const episodes: TrainingEpisode[] = [];
  const bad = (k: number, what: string) => new TrainingRecordError(`${origin}: episode record ${k}: ${what}`);
  for (let k = 0; k < header.episodes; k++) {
    if (o + EPISODE_HEADER_BYTES > raw.length) throw bad(k, 'cut short (the file ends inside it)');
    const env = v.getUint16(o, true);
    const reason = v.getUint8(o + 2);
    const length = v.getUint32(o + 20, true);
    if (env >= header.numEnvs) throw bad(k, `env ${env}, expected below ${header.numEnvs}`);
    if (reason >= scenario.endReasons.length) throw bad(k, `end reason ${reason}, the scenario has ${scenario.endReasons.length}`);
    if (length < 1 || length > scenario.horizon) throw bad(k, `length ${length}, expected 1..${scenario.horizon} (the horizon)`);
    const nh = Math.floor((length - 1) / header.hashEvery);
    const nc = header.carried?.length ?? 0;
    const end = o + EPISODE_HEADER_BYTES + 8 * nc + 4 * nh + length;
    if (end > raw.length) throw bad(k, 'cut short (the file ends inside it)');
    const startTick = v.getFloat64(o + 12, true);
    const ret = v.getFloat64(o + 28, true);
    if (!Number.isSafeInteger(startTick) || startTick < 0) throw bad(k, `start tick ${startTick}, expected a whole number`);
    if (!Number.isFinite(ret)) throw bad(k, 'return is not finite');
    const carried = new Float64Array(nc);
    for (let j = 0; j < nc; j++) {
      carried[j] = v.getFloat64(o + EPISODE_HEADER_BYTES + 8 * j, true);
      if (!(Math.abs(carried[j]) <= 1e9)) throw bad(k, `carried value ${j} (${header.carried![j].slice(0, 40)}) is ${carried[j]}, expected a finite number within ±1e9`);
    }
    const hashes = new Uint32Array(nh);
    for (let j = 0; j < nh; j++) hashes[j] = v.getUint32(o + EPISODE_HEADER_BYTES + 8 * nc + 4 * j, true);
    const actions = Uint8Array.from(raw.subarray(end - length, end));
    for (let j = 0; j < length; j++) if (actions[j] >= NUM_ACTIONS) throw bad(k, `action ${actions[j]} at step ${j}, expected 0..${NUM_ACTIONS - 1}`);
    episodes.push({
      env, reason, length, startTick, return: ret, hashes, actions, carried,
      index: v.getUint32(o + 4, true), seed: v.getUint32(o + 8, true), h0: v.getUint32(o + 24, true),
      behaviours: v.getUint32(o + 36, true), alerts: v.getUint32(o + 40, true),
    });
    o = end;
  }
  if (o !== raw.length) throw new TrainingRecordError(`${origin}: ${raw.length - o} bytes after the last of its ${header.episodes} episodes`);
  return { header, episodes };
}

// ---- the run folder's training/ ----------------------------------------------------------------------------------

export function segmentName(toStep: number): string {
  return `step-${String(toStep).padStart(9, '0')}.sqtr`;
}
function stepOfSegment(name: string): number {
  const m = /^step-(\d{9,15})\.sqtr$/.exec(name);
  return m ? Number(m[1]) : -1;
}

/** The segment files of a run, oldest first: regular files only (a symlink or folder with the name is refused). */
export function listSegments(runDir: string): Array<{ name: string; path: string; toStep: number }> {
  const dir = join(runDir, TRAINING_DIR);
  if (!existsSync(dir) || !lstatSync(dir).isDirectory()) return [];
  const names = readdirSync(dir).slice(0, MAX_SEGMENTS * 2);
  return names
    .map((name) => ({ name, path: join(dir, name), toStep: stepOfSegment(name) }))
    .filter((s) => s.toStep >= 0 && lstatSync(s.path).isFile())
    .sort((a, b) => a.toStep - b.toStep)
    .slice(0, MAX_SEGMENTS);
}

/** Reads one segment file (bounded, regular file only). */
export function readSegment(path: string, scenario: Scenario): { header: SegmentHeader; episodes: TrainingEpisode[] } {
  const st = lstatSync(path);
  if (!st.isFile()) throw new TrainingRecordError(`${path}: expected a regular file`);
  if (st.size > MAX_SEGMENT_FILE_BYTES) throw new TrainingRecordError(`${path}: expected a segment of at most ${MAX_SEGMENT_FILE_BYTES >> 20} MB, found ${st.size >> 20} MB`);
  return decodeSegment(readFileSync(path), path, scenario);
}

/** Writes a segment atomically. */
export function writeSegment(runDir: string, toStep: number, bytes: Uint8Array): string {
  const f = join(runDir, TRAINING_DIR, segmentName(toStep));
  writeFileAtomic(f, bytes);
  return f;
}

/** One pruned segment, as training/pruned.json lists it. */
export interface PrunedSegment {
  file: string;
  fromStep: number;
  toStep: number;
  episodes: number;
  bytes: number;
  prunedAt: string;
  reason: string;
}

/** Removes segments whose episodes all ended before `nowStep - keepSteps`, and appends them to pruned.json. */
export function pruneSegments(runDir: string, nowStep: number, keepSteps: number, scenario: Scenario): PrunedSegment[] {
  if (!(keepSteps > 0)) return [];
  const cutoff = nowStep - keepSteps;
  const pruned: PrunedSegment[] = [];
  for (const s of listSegments(runDir)) {
    if (s.toStep > cutoff) continue;
    let fromStep = 0;
    let episodes: number;
    try {
      const { header } = readSegment(s.path, scenario);
      fromStep = header.fromStep;
      episodes = header.episodes;
    } catch {
      episodes = -1; // unreadable: pruned all the same, and said so
    }
    pruned.push({
      file: s.name, fromStep, toStep: s.toStep, episodes, bytes: lstatSync(s.path).size, prunedAt: new Date().toISOString(),
      reason: `retention keeps the last ${keepSteps} steps (now at step ${nowStep})${episodes < 0 ? '; the file was unreadable' : ''}`,
    });
  }
  if (!pruned.length) return [];
  const file = join(runDir, TRAINING_DIR, PRUNED_FILE);
  const before = readPruned(runDir);
  // the list is written before the files go: a crash in between leaves a segment listed as pruned but present,
  // never one gone and unlisted
  writeFileAtomic(file, JSON.stringify({ format: TRAINING_FORMAT, pruned: [...before, ...pruned] }, null, 2) + '\n');
  for (const p of pruned) rmSync(join(runDir, TRAINING_DIR, p.file), { force: true });
  return pruned;
}

/** What pruned.json lists (empty if none; a broken file is an error, never read as "nothing pruned"). */
export function readPruned(runDir: string): PrunedSegment[] {
  const file = join(runDir, TRAINING_DIR, PRUNED_FILE);
  if (!existsSync(file)) return [];
  if (!lstatSync(file).isFile() || lstatSync(file).size > 16 * 1024 * 1024) throw new TrainingRecordError(`${file}: expected a regular file of at most 16 MB`);
  let obj: { pruned?: unknown };
  try {
    obj = JSON.parse(readFileSync(file, 'utf8')) as { pruned?: unknown };
  } catch {
    throw new TrainingRecordError(`${file}: not JSON`);
  }
  const r = z.array(z.object({ file: z.string().max(200), fromStep: z.number(), toStep: z.number(), episodes: z.number(), bytes: z.number(), prunedAt: z.string().max(40), reason: z.string().max(400) })).max(MAX_SEGMENTS).safeParse(obj?.pruned);
  if (!r.success) throw new TrainingRecordError(`${file}: expected {"pruned": [...]} as the recorder writes it`);
  return r.data;
}

/** Removes segments after `step` (a resume rewinds to its checkpoint; training records them again). */
export function removeSegmentsAfter(runDir: string, step: number): string[] {
  const gone: string[] = [];
  for (const s of listSegments(runDir)) {
    if (s.toStep <= step) continue;
    rmSync(s.path, { force: true });
    gone.push(s.name);
  }
  return gone;
}

/** A located training episode, with the segment header it came from. */
export interface FoundEpisode {
  episode: TrainingEpisode;
  header: SegmentHeader;
  file: string;
}

/**
 * Finds env `env`'s episode `index` in a run's segments. Throws with what is there instead (pruned, not yet
 * written, never recorded) when it is not found.
 */
export function findTrainingEpisode(runDir: string, scenario: Scenario, env: number, index: number): FoundEpisode {
  const segs = listSegments(runDir);
  for (const s of segs) {
    const { header, episodes } = readSegment(s.path, scenario);
    const r = header.ranges[env];
    if (!r || index < r[0] || index > r[1]) continue;
    const ep = episodes.find((e) => e.env === env && e.index === index);
    if (ep) return { episode: ep, header, file: s.path };
  }
  const pruned = (() => {
    try {
      return readPruned(runDir);
    } catch {
      return [];
    }
  })();
  const where = segs.length ? `${segs.length} segments up to step ${segs[segs.length - 1].toStep}` : 'no training-episode segments';
  const hint = pruned.length ? `; ${pruned.length} older segments were pruned by retention (${join(runDir, TRAINING_DIR, PRUNED_FILE)})` : '';
  throw new TrainingRecordError(`${runDir}: env ${env} episode ${index} is not among the recorded training episodes (${where}${hint}); an episode still running at the last checkpoint is written at the next one`);
}

/** Global env step of step `t` of a recorded episode. */
export function globalStepOf(ep: Pick<TrainingEpisode, 'startTick' | 'env'>, numEnvs: number, t: number): number {
  return (ep.startTick + t) * numEnvs + ep.env;
}

