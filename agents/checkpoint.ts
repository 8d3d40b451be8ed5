// Checkpoints without tfjs-node: our own IO for the network's variables and the Adam optimiser's state,
// written as one binary blob (float32, little-endian) plus a JSON manifest. A checkpoint is written into a
// temporary folder and renamed into place, then the LATEST pointer is replaced the same way, so a crash at any
// moment leaves the previous checkpoint intact and pointed to.
import * as tf from '@tensorflow/tfjs';
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ActorCritic } from './network.ts';

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
  /** Trainer and run bookkeeping restored on resume (JSON-able). */
  state: S;
}

export class CheckpointError extends Error {}

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
  const final = join(dir, name);
  const tmp = join(dir, `.${name}.tmp-${process.pid}`);
  rmSync(tmp, { recursive: true, force: true });
  mkdirSync(tmp);
  writeFileSync(join(tmp, 'weights.bin'), Buffer.from(blob.buffer, blob.byteOffset, blob.byteLength));
  writeFileSync(join(tmp, 'checkpoint.json'), JSON.stringify(manifest));
  rmSync(final, { recursive: true, force: true });
  renameSync(tmp, final);
  const latestTmp = join(dir, `.LATEST.tmp-${process.pid}`);
  writeFileSync(latestTmp, name);
  renameSync(latestTmp, join(dir, 'LATEST'));
  return final;
}

/** The checkpoint folder LATEST points to, or undefined if there is none. */
export function latestCheckpoint(dir: string): string | undefined {
  const p = join(dir, 'LATEST');
  if (!existsSync(p)) return undefined;
  const name = readFileSync(p, 'utf8').trim();
  return existsSync(join(dir, name, 'checkpoint.json')) ? join(dir, name) : undefined;
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
  if (m.format !== CHECKPOINT_FORMAT) throw new CheckpointError(`${f}: expected format ${CHECKPOINT_FORMAT}, found ${String(m.format)}`);
  return m;
}

/** Loads weights into `net` (shapes must match) and, if given, the optimiser state. */
export async function loadCheckpoint<S>(checkpointDir: string, net: ActorCritic, optimizer?: tf.Optimizer): Promise<CheckpointManifest<S>> {
  const m = readManifest<S>(checkpointDir);
  const raw = readFileSync(join(checkpointDir, 'weights.bin'));
  const blob = new Float32Array(raw.buffer.slice(raw.byteOffset, raw.byteOffset + raw.byteLength));
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
