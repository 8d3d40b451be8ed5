// Checkpoints without tfjs-node: our own IO for the network's variables and the Adam optimiser's state,
// written as one binary blob (float32, little-endian) plus a JSON manifest that carries the blob's sha256. A
// checkpoint is written into a temporary folder (each file fsynced) and renamed into place, then the LATEST
// pointer is replaced the same way, so a crash at any moment leaves the previous checkpoint intact. Loading
// verifies the checksum and that every weight is finite; when LATEST is missing, empty or names a checkpoint that
// is gone or incomplete, the newest valid step-* checkpoint is used instead, and the caller is told why.
// Also the one atomic file writer (writeFileAtomic) every run-folder file goes through.
import * as tf from '@tensorflow/tfjs';
import { createHash } from 'node:crypto';
import { closeSync, existsSync, fsyncSync, mkdirSync, openSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import type { ActorCritic } from '../learning/network.ts';

export const CHECKPOINT_FORMAT = 'sidequest-checkpoint/1';

interface TensorEntry {
  group: 'net' | 'optimizer' | 'adamAccumulators';
  name: string;
  shape: number[];
  dtype: 'float32';
  offset: number; // in float32 elements
  length: number;
}

export interface CheckpointManifest<S> {
  format: typeof CHECKPOINT_FORMAT;
  step: number;
  iteration: number;
  tensors: TensorEntry[];
  /** weights.bin's size and sha256 (absent in checkpoints written before they were recorded). */
  weights?: { bytes: number; sha256: string };
  /** Trainer and run bookkeeping restored on resume (JSON-able). */
  state: S;
}

export class CheckpointError extends Error {}

/** fsyncs a file or folder (a folder: so a rename inside it survives a power cut, not only a process kill). */
function fsyncPath(path: string): void {
  const fd = openSync(path, 'r');
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

/**
 * Writes `file` so that it is either the old content or the new, never empty or half-written: a temporary file
 * beside it, fsynced, renamed over it, and the folder fsynced.
 */
export function writeFileAtomic(file: string, data: string | Uint8Array): void {
  const tmp = join(dirname(file), `.${basename(file)}.tmp-${process.pid}`);
  const fd = openSync(tmp, 'w');
  try {
    writeFileSync(fd, data);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(tmp, file);
  fsyncPath(dirname(file));
}

const sha256 = (data: Uint8Array) => createHash('sha256').update(data).digest('hex');

/** How many float32 values in `blob` are NaN or ±Inf. */
function countNonFinite(blob: Float32Array): number {
  let n = 0;
  for (let i = 0; i < blob.length; i++) if (!Number.isFinite(blob[i])) n++;
  return n;
}

/** Adam's private β1^t, β2^t accumulators (tf.AdamOptimizer keeps them as accBeta1/accBeta2), if present. */
function adamAccumulators(optimizer: tf.Optimizer): tf.Variable[] {
  const o = optimizer as unknown as { accBeta1?: tf.Variable; accBeta2?: tf.Variable };
  return o.accBeta1 && o.accBeta2 ? [o.accBeta1, o.accBeta2] : [];
}

/** Writes `dir/<name>/` atomically and points `dir/LATEST` at it. */
export async function saveCheckpoint<S>(
  dir: string,
  name: string,
  net: ActorCritic,
  optimizer: tf.Optimizer,
  meta: { step: number; iteration: number; state: S },
): Promise<string> {
  mkdirSync(dir, { recursive: true });
  const named: Array<{ group: TensorEntry['group']; name: string; tensor: tf.Tensor }> = [
    ...net.variables.map((v, i) => ({ group: 'net' as const, name: `${i}:${v.name.replace(/^net\d+\//, '')}`, tensor: v as tf.Tensor })),
    ...(await optimizer.getWeights()).map((w) => ({ group: 'optimizer' as const, name: w.name, tensor: w.tensor })),
    ...adamAccumulators(optimizer).map((v, i) => ({ group: 'adamAccumulators' as const, name: `accBeta${i + 1}`, tensor: v as tf.Tensor })),
  ];
  const datas = await Promise.all(named.map((n) => n.tensor.data()));
  let total = 0;
  const entries: TensorEntry[] = named.map((n, i) => {
    const e: TensorEntry = { group: n.group, name: n.name, shape: n.tensor.shape, dtype: 'float32', offset: total, length: datas[i].length };
    total += datas[i].length;
    return e;
  });
  const blob = new Float32Array(total);
  datas.forEach((d, i) => blob.set(d as Float32Array, entries[i].offset));
  const manifest: CheckpointManifest<S> = { format: CHECKPOINT_FORMAT, step: meta.step, iteration: meta.iteration, tensors: entries, state: meta.state };
  const bytes = Buffer.from(blob.buffer, blob.byteOffset, blob.byteLength);
  manifest.weights = { bytes: bytes.length, sha256: sha256(bytes) };
  const final = join(dir, name);
  const tmp = join(dir, `.${name}.tmp-${process.pid}`);
  rmSync(tmp, { recursive: true, force: true });
  mkdirSync(tmp);
  for (const [f, data] of [['weights.bin', bytes], ['checkpoint.json', JSON.stringify(manifest)]] as const) {
    const fd = openSync(join(tmp, f), 'w');
    try {
      writeFileSync(fd, data);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
  }
  fsyncPath(tmp);
  rmSync(final, { recursive: true, force: true });
  renameSync(tmp, final);
  writeFileAtomic(join(dir, 'LATEST'), name);
  return final;
}

/** What is wrong with a checkpoint folder (unreadable manifest, weights missing, cut, altered or not finite), or undefined. */
export function checkpointProblem(checkpointDir: string): string | undefined {
  try {
    const m = readManifest(checkpointDir);
    readWeights(checkpointDir, m);
    return undefined;
  } catch (e) {
    return (e as Error).message;
  }
}

/** Which checkpoint to continue from, and why, when it is not the one LATEST names. */
export interface CheckpointChoice {
  /** The checkpoint folder, or undefined if there is no valid one. */
  path?: string;
  /** Set when LATEST was not used: what was wrong with it and what was chosen instead. */
  note?: string;
  /** Checkpoint folders found invalid, newest first, with what is wrong with each. */
  rejected: Array<{ name: string; problem: string }>;
}

/** LATEST's checkpoint if it is valid; otherwise the newest valid step-* checkpoint, with a note saying why. */
export function chooseCheckpoint(dir: string): CheckpointChoice {
  const p = join(dir, 'LATEST');
  const named = existsSync(p) && statSync(p).isFile() ? readFileSync(p, 'utf8').trim() : '';
  const rejected: CheckpointChoice['rejected'] = [];
  let why: string;
  // a plain folder name beside LATEST (training writes step-*; callers may name their own)
  if (named !== '' && /^[\w-][\w.-]*$/.test(named)) {
    const problem = existsSync(join(dir, named)) ? checkpointProblem(join(dir, named)) : 'deleted';
    if (!problem) return { path: join(dir, named), rejected };
    rejected.push({ name: named, problem });
    why = `LATEST names ${named}, which is ${problem === 'deleted' ? 'gone' : `not usable (${problem})`}`;
  } else why = existsSync(p) ? (named === '' ? 'LATEST is empty' : `LATEST is not a checkpoint name (found ${JSON.stringify(named.slice(0, 40))})`) : 'LATEST is missing';
  const names = existsSync(dir) ? readdirSync(dir).filter((d) => /^step-\d+$/.test(d) && d !== named).sort().reverse() : [];
  for (const name of names) {
    const problem = checkpointProblem(join(dir, name));
    if (!problem) return { path: join(dir, name), note: `${why}: using ${name}, the newest valid checkpoint`, rejected };
    rejected.push({ name, problem });
  }
  return { rejected, note: rejected.length ? `${why}, and no other checkpoint is valid` : undefined };
}

/** The checkpoint to load (see chooseCheckpoint), or undefined if there is no valid one. */
export function latestCheckpoint(dir: string): string | undefined {
  return chooseCheckpoint(dir).path;
}

/** weights.bin as float32, checked against the manifest: size, checksum (when recorded), every value finite. */
function readWeights<S>(checkpointDir: string, m: CheckpointManifest<S>): Float32Array {
  const f = join(checkpointDir, 'weights.bin');
  if (!existsSync(f)) throw new CheckpointError(`${checkpointDir}: weights.bin is missing`);
  let raw: Buffer;
  try {
    raw = readFileSync(f);
  } catch (e) {
    throw new CheckpointError(`${checkpointDir}: weights.bin cannot be read (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
  }
  const expected = m.tensors.reduce((a, t) => Math.max(a, t.offset + t.length), 0) * 4;
  if (raw.length !== (m.weights?.bytes ?? expected) || raw.length < expected) {
    throw new CheckpointError(`${checkpointDir}: weights.bin has ${raw.length} bytes, the manifest expects ${m.weights?.bytes ?? expected} (cut or replaced)`);
  }
  if (m.weights && sha256(raw) !== m.weights.sha256) {
    throw new CheckpointError(`${checkpointDir}: weights.bin does not match its sha256 in checkpoint.json (corrupt or altered)`);
  }
  const blob = new Float32Array(raw.buffer.slice(raw.byteOffset, raw.byteOffset + raw.byteLength));
  const bad = countNonFinite(blob);
  if (bad > 0) throw new CheckpointError(`${checkpointDir}: ${bad} of ${blob.length} weights are NaN or infinite; refusing a corrupt checkpoint`);
  return blob;
}

export function readManifest<S>(checkpointDir: string): CheckpointManifest<S> {
  const f = join(checkpointDir, 'checkpoint.json');
  if (!existsSync(f)) throw new CheckpointError(`${checkpointDir}: not a checkpoint (no checkpoint.json)`);
  let m: CheckpointManifest<S>;
  try {
    m = JSON.parse(readFileSync(f, 'utf8')) as CheckpointManifest<S>;
  } catch (e) {
    throw new CheckpointError(`${f}: unreadable (${(e as Error).message})`);
  }
  if (typeof m !== 'object' || m === null) throw new CheckpointError(`${f}: expected a JSON object`);
  if (m.format !== CHECKPOINT_FORMAT) throw new CheckpointError(`${f}: expected format ${CHECKPOINT_FORMAT}, found ${String(m.format)}`);
  if (!Array.isArray(m.tensors) || !Number.isInteger(m.step)) throw new CheckpointError(`${f}: expected a manifest with tensors and a step`);
  return m;
}

/** Loads weights into `net` (shapes must match) and, if given, the optimiser state. */
export async function loadCheckpoint<S>(checkpointDir: string, net: ActorCritic, optimizer?: tf.Optimizer): Promise<CheckpointManifest<S>> {
  const m = readManifest<S>(checkpointDir);
  const blob = readWeights(checkpointDir, m);
  const netEntries = m.tensors.filter((t) => t.group === 'net');
  if (netEntries.length !== net.variables.length) {
    throw new CheckpointError(`${checkpointDir}: holds ${netEntries.length} network tensors, this network has ${net.variables.length}`);
  }
  netEntries.forEach((e, i) => {
    const v = net.variables[i];
    if (e.shape.join('x') !== v.shape.join('x')) throw new CheckpointError(`${checkpointDir}: ${e.name} has shape ${e.shape}, network expects ${v.shape}`);
    if (blob.length < e.offset + e.length) throw new CheckpointError(`${checkpointDir}: weights.bin is truncated`);
    tf.tidy(() => v.assign(tf.tensor(blob.subarray(e.offset, e.offset + e.length), e.shape)));
  });
  if (optimizer) {
    const optEntries = m.tensors.filter((t) => t.group === 'optimizer');
    await optimizer.setWeights(optEntries.map((e) => ({ name: e.name, tensor: tf.tensor(blob.slice(e.offset, e.offset + e.length), e.shape) })));
    // tfjs's setWeights recomputes Adam's β^t accumulators with pow(), which differs in the last bits from the
    // running product it keeps while training; restoring the saved values makes a resumed run bit-exact.
    const acc = adamAccumulators(optimizer);
    m.tensors.filter((t) => t.group === 'adamAccumulators').forEach((e, i) => {
      if (acc[i]) tf.tidy(() => acc[i].assign(tf.tensor(blob.subarray(e.offset, e.offset + e.length), e.shape)));
    });
  }
  return m;
}
