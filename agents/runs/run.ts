// A training run on disk (DESIGN.md §7): runs/<name>/ with run.json (the full resolved config, versions,
// backend, seed), metrics.jsonl (one row per iteration), telemetry.jsonl (firewall alerts from training, each
// pointing at its env and episode), evals.jsonl (evaluation summary at each checkpoint), checkpoints/ (atomic)
// and episodes/<checkpoint>/ (recorded evaluation episodes, so emergence can be scrubbed through training) and
// training/ (every training episode, compactly: agents/runs/training-episodes.ts, one segment per checkpoint).
// Resuming truncates the jsonl files back to the last checkpoint, so nothing is lost or duplicated.
// Guarantees: one writer at a time (run.lock, taken by create and resume, stale after a crash); every file but
// the appended jsonl rows is written atomically; resume never restarts from step 0 while a checkpoint exists —
// it falls back to the newest valid one or refuses — and says what it drops.
import * as tf from '@tensorflow/tfjs';
import { appendFileSync, existsSync, linkSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { basename, join } from 'node:path';
import { serializeEpisode } from '../../sim/episode.ts';
import type { EnvGuardrailConfig } from '../../sim/guardrails.ts';
import type { EpisodeSummary } from '../../sim/metrics.ts';
import { compileScenario, type Scenario } from '../../sim/scenario.ts';
import type { ScenarioFile } from '../../sim/schema.ts';
import type { AlgoName, TrainArgs } from '../learning/options.ts';
import { selectBackend, type BackendInfo, type BackendRequest } from '../learning/backend.ts';
import { chooseCheckpoint, latestCheckpoint, loadCheckpoint, readManifest, saveCheckpoint, writeFileAtomic } from './checkpoint.ts';
import { evaluate } from '../policies/evaluate.ts';
import type { NetConfig } from '../learning/network.ts';
import type { TrainingGuardrails } from '../learning/guardrails.ts';
import { LearnedPolicy, policyModeOf } from '../policies/policy.ts';
import { Trainer, TrainingDivergedError, type MetricsRow, type TrainerState } from '../learning/trainer.ts';
import {
  pruneSegments, removeSegmentsAfter, TRAINING_DIR, TrainingRecorder, writeSegment, type PrunedSegment, type RecorderState, type TrainingRecordSettings,
} from './training-episodes.ts';

export const RUN_FORMAT = 'sidequest-run/1';

/** run.json: everything needed to understand, reproduce or resume the run. */
export interface RunConfig {
  format: typeof RUN_FORMAT;
  name: string;
  createdAt: string;
  scenario: { id: string; hash: string; file: ScenarioFile };
  guardrails: { env: EnvGuardrailConfig; training: TrainingGuardrails };
  algo: AlgoName;
  args: TrainArgs;
  net: NetConfig;
  totalSteps: number;
  seed: number;
  /** Iterations between checkpoints (each with an evaluation and recorded episodes). */
  checkpointEvery: number;
  evalEpisodes: number;
  recordEpisodes: number;
  /** How training episodes are recorded (absent in runs from before they were: those record none). */
  trainingEpisodes?: TrainingRecordSettings;
  backend: { requested: BackendRequest; name: string };
  versions: { sidequest: string; tfjs: string; node: string };
}

/** One evals.jsonl row: the evaluation at a checkpoint. */
export interface EvalRow extends EpisodeSummary {
  step: number;
  iteration: number;
  checkpoint: string;
  wallSeconds: number;
}

interface RunState {
  trainer: TrainerState;
  metricsRows: number;
  telemetryLines: number;
  evalRows: number;
  /** Training episodes still running at the checkpoint (continued on resume). */
  training?: RecorderState;
}

export interface RunHooks {
  onIteration?(row: MetricsRow, run: TrainingRun): void;
  /** Return 'stop' to end training after this checkpoint (e.g. a benchmark that has what it measures). */
  onCheckpoint?(evalRow: EvalRow, run: TrainingRun): void | 'stop';
}

export class RunError extends Error {}

// ---- the lock: one writer per run folder ----------------------------------------------------------------------

export const LOCK_FILE = 'run.lock';

interface LockInfo {
  pid: number;
  hostname: string;
  startedAt: string;
  /** Boot id and start time of the process (Linux), so a pid reused after the holder died is not mistaken for it. */
  processStart?: string;
}

/** `<boot id>:<start time in ticks>` of a process, from /proc; undefined where there is no /proc. */
function processStart(pid: number): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' '); // after "pid (comm) ": field 3 onwards
    return `${readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim()}:${fields[19]}`;
  } catch {
    return undefined;
  }
}

/** Whether the process that wrote `held` still runs: its pid is alive and, where /proc tells, it is the same process. */
function holderAlive(held: LockInfo): boolean {
  try {
    process.kill(held.pid, 0);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EPERM') return false; // EPERM: alive, someone else's
  }
  const now = processStart(held.pid);
  return held.processStart === undefined || now === undefined || now === held.processStart;
}

/** Locks held by this process, released on exit (a kill -9 leaves the file: the next taker finds it stale). */
const heldLocks = new Set<string>();
process.on('exit', () => {
  for (const f of heldLocks) releaseLockFile(f);
});
function releaseLockFile(f: string): void {
  try {
    const info = JSON.parse(readFileSync(f, 'utf8')) as LockInfo;
    if (info.pid === process.pid && info.hostname === hostname()) unlinkSync(f);
  } catch {
    /* already gone */
  }
  heldLocks.delete(f);
}

/**
 * Takes `dir/run.lock` for this process, or throws RunError naming the holder. The file is made complete under a
 * temporary name and hard-linked into place, so the lock appears atomically and is never empty. A lock whose
 * process is gone on this host (its pid dead, or now another process's) is stale — a crash — and is taken over; a
 * lock from another host cannot be checked, so it is reported with how to remove it.
 */
export function acquireRunLock(dir: string): () => void {
  mkdirSync(dir, { recursive: true });
  const f = join(dir, LOCK_FILE);
  const mine: LockInfo = { pid: process.pid, hostname: hostname(), startedAt: new Date().toISOString(), processStart: processStart(process.pid) };
  const tmp = join(dir, `.${LOCK_FILE}.tmp-${process.pid}`);
  writeFileSync(tmp, JSON.stringify(mine) + '\n');
  try {
    for (let attempt = 0; attempt < 3; attempt++) {
      try {
        linkSync(tmp, f);
        heldLocks.add(f);
        return () => releaseLockFile(f);
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw new RunError(`${dir}: cannot take the run lock (${(e as Error).message})`);
      }
      let held: LockInfo | undefined;
      try {
        held = JSON.parse(readFileSync(f, 'utf8')) as LockInfo;
      } catch {
        held = undefined; // unreadable: not ours, written by something else; treat as stale only if old
      }
      if (held && typeof held.pid === 'number' && typeof held.hostname === 'string') {
        if (held.hostname !== hostname()) {
          throw new RunError(`${dir} is locked by process ${held.pid} on host ${held.hostname} (since ${held.startedAt}); if nothing is training there, delete ${f}`);
        }
        if (holderAlive(held)) {
          throw new RunError(`${dir} is in use by process ${held.pid} (training since ${held.startedAt}): wait for it, or stop it first`);
        }
      } else if (Date.now() - statSync(f).mtimeMs < 60_000) {
        throw new RunError(`${dir}: ${f} is unreadable and recent; if nothing is training here, delete it`);
      }
      rmSync(f, { force: true }); // stale: its process is gone
    }
    throw new RunError(`${dir}: cannot take the run lock (another process keeps taking it)`);
  } finally {
    rmSync(tmp, { force: true });
  }
}

/** Flags that `train --resume` applies; every other setting comes from the run's own run.json. */
export const RESUME_FLAGS = ['resume', 'backend', 'quiet', 'help'] as const;

/** The flags in `argv` (names without dashes) that a resume ignores, in order given, each once. */
export function ignoredOnResume(argv: readonly string[]): string[] {
  const names = argv.filter((a) => a.startsWith('--')).map((a) => a.slice(2).split('=')[0].replace(/^no-/, ''));
  return [...new Set(names.filter((n) => !(RESUME_FLAGS as readonly string[]).includes(n)))];
}

function packageVersion(): string {
  const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };
  return pkg.version;
}

export class TrainingRun {
  readonly scenario: Scenario;
  readonly trainer: Trainer;
  readonly evals: EvalRow[] = [];
  /** Records every training episode into training/ (null when the run does not record them). */
  readonly recorder: TrainingRecorder | null = null;
  /** Segments the retention setting pruned at the last checkpoint (also listed in training/pruned.json). */
  lastPruned: PrunedSegment[] = [];
  /** Wall seconds spent writing and pruning training-episode segments (the bench adds the per-step hook's). */
  recordingSeconds = 0;
  private segmentFrom = 0;

  private releaseLock: () => void = () => {};

  private constructor(
    readonly dir: string,
    readonly config: RunConfig,
    readonly backend: BackendInfo,
  ) {
    this.scenario = compileScenario(config.scenario.file, `${config.scenario.id} (from ${dir}/run.json)`);
    this.trainer = new Trainer({
      scenario: this.scenario,
      guardrails: config.guardrails.env,
      algo: config.algo,
      args: config.args,
      net: config.net,
      totalSteps: config.totalSteps,
      seed: config.seed,
      training: config.guardrails.training,
    });
    const rec = config.trainingEpisodes;
    if (rec?.record === true) {
      const hashEvery = Number.isInteger(rec.hashEvery) && rec.hashEvery >= 1 ? rec.hashEvery : 16;
      this.recorder = new TrainingRecorder(this.trainer.env, hashEvery, this.trainer.step / this.trainer.env.numEnvs);
      this.trainer.recorder = this.recorder;
    }
  }

  /** Starts a new run in `dir` (which must not hold a run already). */
  static async create(dir: string, c: Omit<RunConfig, 'format' | 'createdAt' | 'backend' | 'versions'> & { backend: BackendRequest }): Promise<TrainingRun> {
    const release = acquireRunLock(dir);
    try {
      if (existsSync(join(dir, 'run.json'))) {
        throw new RunError(`${dir} already holds a run: continue it with --resume ${dir}, or choose another --out`);
      }
      const run = await TrainingRun.createLocked(dir, c);
      run.releaseLock = release;
      return run;
    } catch (e) {
      release();
      throw e;
    }
  }

  private static async createLocked(dir: string, c: Omit<RunConfig, 'format' | 'createdAt' | 'backend' | 'versions'> & { backend: BackendRequest }): Promise<TrainingRun> {
    const backend = await selectBackend(c.backend);
    tf.enableProdMode();
    const config: RunConfig = {
      ...c,
      format: RUN_FORMAT,
      createdAt: new Date().toISOString(),
      backend: { requested: c.backend, name: backend.name },
      versions: { sidequest: packageVersion(), tfjs: tf.version.tfjs, node: process.version },
    };
    mkdirSync(join(dir, 'checkpoints'), { recursive: true });
    mkdirSync(join(dir, 'episodes'), { recursive: true });
    if (config.trainingEpisodes?.record) mkdirSync(join(dir, TRAINING_DIR), { recursive: true });
    // run.json last of the files it names is not enough: a kill mid-write must not leave it empty
    writeFileAtomic(join(dir, 'run.json'), JSON.stringify(config, null, 2) + '\n');
    for (const f of ['metrics.jsonl', 'telemetry.jsonl', 'evals.jsonl']) writeFileAtomic(join(dir, f), '');
    return new TrainingRun(dir, config, backend);
  }

  /**
   * Reopens a run and restores its checkpoint (LATEST's, or the newest valid one if LATEST is broken); files are
   * cut back to that checkpoint. Refuses when checkpoints exist but none is valid, rather than start over.
   * `log` hears what the resume changes beyond that (a fallback, rows missing, checkpoints dropped).
   */
  static async resume(dir: string, backendRequest?: BackendRequest, log: (message: string) => void = (m) => console.error(m)): Promise<TrainingRun> {
    readRunConfig(dir); // not a run folder: say so before the lock creates anything there
    const release = acquireRunLock(dir);
    try {
      const run = await TrainingRun.resumeLocked(dir, backendRequest, log);
      run.releaseLock = release;
      return run;
    } catch (e) {
      release();
      throw e;
    }
  }

  private static async resumeLocked(dir: string, backendRequest: BackendRequest | undefined, log: (message: string) => void): Promise<TrainingRun> {
    const config = readRunConfig(dir);
    const choice = chooseCheckpoint(join(dir, 'checkpoints'));
    if (!choice.path && choice.rejected.length) {
      throw new RunError(`${dir}: no valid checkpoint to resume from (${choice.rejected.map((r) => `${r.name}: ${r.problem}`).join('; ')}); refusing to restart from step 0 over its history: move the folder aside to start again`);
    }
    const backend = await selectBackend(backendRequest ?? config.backend.requested);
    tf.enableProdMode();
    const run = new TrainingRun(dir, config, backend);
    const ckpt = choice.path;
    if (!ckpt) {
      // killed before the first checkpoint: nothing is covered by one, so start over cleanly, and say so
      const rows = countLines(join(dir, 'metrics.jsonl'));
      if (rows > 0) log(`${dir}: no checkpoint yet; starting again from step 0 (dropping ${rows} metrics rows no checkpoint covers)`);
      for (const f of ['metrics.jsonl', 'telemetry.jsonl', 'evals.jsonl']) writeFileAtomic(join(dir, f), '');
      rmSync(join(dir, 'episodes'), { recursive: true, force: true });
      mkdirSync(join(dir, 'episodes'), { recursive: true });
      removeSegmentsAfter(dir, -1);
      return run;
    }
    if (choice.note) log(`${dir}: ${choice.note}`);
    const m = await loadCheckpoint<RunState>(ckpt, run.trainer.net, run.trainer.optimizer);
    run.trainer.restoreState(m.state.trainer);
    run.recorder?.restore(m.state.training);
    run.segmentFrom = m.step;
    const lateSegments = removeSegmentsAfter(dir, m.step);
    if (lateSegments.length) log(`${dir}: removing training-episode segments ${lateSegments.join(', ')} (after ${basename(ckpt)}; training will record them again)`);
    for (const [f, keep] of [['metrics.jsonl', m.state.metricsRows], ['telemetry.jsonl', m.state.telemetryLines], ['evals.jsonl', m.state.evalRows]] as const) {
      const { kept, dropped } = truncateLines(join(dir, f), keep);
      if (kept < keep) log(`${dir}: ${f} has ${kept} complete rows, the checkpoint covers ${keep}: ${keep - kept} are missing (the file was cut)`);
      if (dropped.partial) log(`${dir}: ${f}: dropped a half-written last line`);
    }
    run.evals.push(...readJsonl<EvalRow>(join(dir, 'evals.jsonl')));
    // recorded episodes from after the checkpoint will be recorded again
    for (const d of readdirSync(join(dir, 'episodes'))) {
      if (stepOfName(d) > m.step) rmSync(join(dir, 'episodes', d), { recursive: true, force: true });
    }
    const later = readdirSync(join(dir, 'checkpoints')).filter((d) => d.startsWith('step-') && stepOfName(d) > m.step);
    if (later.length) log(`${dir}: removing ${later.join(', ')} (after ${basename(ckpt)}; training will write them again)`);
    for (const d of later) rmSync(join(dir, 'checkpoints', d), { recursive: true, force: true });
    return run;
  }

  get done(): boolean {
    return this.trainer.done;
  }

  /** Trains to the end (or until `stopAfter` more iterations), checkpointing as configured. */
  async train(hooks: RunHooks = {}, stopAfter = Infinity): Promise<void> {
    const c = this.config;
    let n = 0;
    if (this.trainer.iteration === 0) {
      const bc = await this.trainer.pretrain();
      if (bc) writeFileAtomic(join(this.dir, 'pretrain.json'), JSON.stringify(bc, null, 2) + '\n');
    }
    while (!this.trainer.done && n < stopAfter) {
      let out;
      try {
        out = await this.trainer.iterate();
      } catch (e) {
        if (e instanceof TrainingDivergedError) {
          const last = latestCheckpoint(join(this.dir, 'checkpoints'));
          throw new TrainingDivergedError(`${e.message}. The last good checkpoint is kept: ${last ?? '(none yet)'}`);
        }
        throw e;
      }
      n++;
      appendFileSync(join(this.dir, 'metrics.jsonl'), JSON.stringify(out.row) + '\n');
      if (out.alerts.length) appendFileSync(join(this.dir, 'telemetry.jsonl'), out.alerts.map((a) => JSON.stringify(a)).join('\n') + '\n');
      hooks.onIteration?.(out.row, this);
      if (this.trainer.iteration % c.checkpointEvery === 0 || this.trainer.done) {
        if (!(await this.trainer.weightsFinite())) {
          throw new TrainingDivergedError(`weights became NaN/Inf at iteration ${this.trainer.iteration}; the last good checkpoint is kept: ${latestCheckpoint(join(this.dir, 'checkpoints')) ?? '(none yet)'}`);
        }
        const evalRow = await this.checkpoint();
        if (hooks.onCheckpoint?.(evalRow, this) === 'stop') return;
      }
    }
  }

  /** Evaluates the current policy, records episodes, then writes the checkpoint (last, so it covers them). */
  private async checkpoint(): Promise<EvalRow> {
    const c = this.config;
    const name = stepName(this.trainer.step);
    const episodesDir = join(this.dir, 'episodes', name);
    rmSync(episodesDir, { recursive: true, force: true });
    mkdirSync(episodesDir, { recursive: true });
    const policy = new LearnedPolicy(this.trainer.net, `${c.algo}@${this.trainer.step}`, c.seed + 7919, policyModeOf(c.algo));
    let recorded = 0;
    const { summary } = await evaluate(this.scenario, c.guardrails.env, () => policy, {
      episodes: c.evalEpisodes,
      seed: c.seed + 104729, // the same evaluation layouts at every checkpoint
      numEnvs: Math.min(c.evalEpisodes, 32),
      agentName: policy.name,
      probs: () => policy.lastProbs,
      onEpisode: (rec) => {
        if (recorded >= c.recordEpisodes) return;
        rec.header.meta = { ...rec.header.meta, run: c.name, checkpoint: name, step: this.trainer.step, iteration: this.trainer.iteration };
        writeFileAtomic(join(episodesDir, `ep-${String(recorded++).padStart(3, '0')}.jsonl`), serializeEpisode(rec));
      },
    });
    const evalRow: EvalRow = { step: this.trainer.step, iteration: this.trainer.iteration, checkpoint: name, wallSeconds: this.trainer.state().wallSeconds, ...summary };
    writeFileAtomic(join(episodesDir, 'summary.json'), JSON.stringify(evalRow, null, 2) + '\n');
    appendFileSync(join(this.dir, 'evals.jsonl'), JSON.stringify(evalRow) + '\n');
    this.evals.push(evalRow);
    if (this.recorder) {
      // the segment before the checkpoint that covers it: a crash in between leaves a segment resume removes
      const t0 = performance.now();
      const a = c.args;
      mkdirSync(join(this.dir, TRAINING_DIR), { recursive: true });
      const seg = this.recorder.takeSegment({
        run: c.name, scenario: { id: c.scenario.id, hash: c.scenario.hash }, guardrails: c.guardrails.env,
        numSteps: a.numSteps, fromStep: this.segmentFrom, toStep: this.trainer.step,
      });
      writeSegment(this.dir, this.trainer.step, seg);
      this.segmentFrom = this.trainer.step;
      this.lastPruned = pruneSegments(this.dir, this.trainer.step, c.trainingEpisodes?.keepSteps ?? 0, this.scenario);
      this.recordingSeconds += (performance.now() - t0) / 1000;
    }
    const state: RunState = {
      trainer: this.trainer.state(),
      metricsRows: countLines(join(this.dir, 'metrics.jsonl')),
      telemetryLines: countLines(join(this.dir, 'telemetry.jsonl')),
      evalRows: countLines(join(this.dir, 'evals.jsonl')),
      training: this.recorder?.state(),
    };
    await saveCheckpoint(join(this.dir, 'checkpoints'), name, this.trainer.net, this.trainer.optimizer, {
      step: this.trainer.step,
      iteration: this.trainer.iteration,
      state,
    });
    return evalRow;
  }

  /** Frees the network and releases the run folder's lock. */
  dispose(): void {
    this.trainer.dispose();
    this.releaseLock();
  }
}

export function readRunConfig(dir: string): RunConfig {
  const f = join(dir, 'run.json');
  if (!existsSync(f)) throw new RunError(`${dir}: not a run folder (no run.json)`);
  if (!statSync(f).isFile()) throw new RunError(`${f}: expected a file, found a ${statSync(f).isDirectory() ? 'folder' : 'special file'}`);
  let c: RunConfig | null;
  try {
    c = JSON.parse(readFileSync(f, 'utf8')) as RunConfig | null;
  } catch (e) {
    throw new RunError(`${f}: not valid JSON (${(e as Error).message.slice(0, 80)}); the run's settings cannot be read`);
  }
  if (typeof c !== 'object' || c === null) throw new RunError(`${f}: expected a JSON object`);
  if (c.format !== RUN_FORMAT) throw new RunError(`${f}: expected format ${RUN_FORMAT}, found ${String(c.format)}`);
  return c;
}

export function readJsonl<T>(file: string): T[] {
  if (!existsSync(file)) return [];
  return readFileSync(file, 'utf8')
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => JSON.parse(l) as T);
}

export function stepName(step: number): string {
  return `step-${String(step).padStart(9, '0')}`;
}
function stepOfName(name: string): number {
  const m = /^step-(\d+)$/.exec(name);
  return m ? Number(m[1]) : -1;
}

/** The complete (newline-terminated, non-empty) lines of a jsonl file, and whether a half-written one follows. */
function completeLines(file: string): { lines: string[]; partial: boolean } {
  const t = existsSync(file) ? readFileSync(file, 'utf8') : '';
  const parts = t.split('\n');
  const last = parts.pop() ?? ''; // after the final newline: '' unless a write was cut
  return { lines: parts.filter((l) => l !== ''), partial: last !== '' };
}

function countLines(file: string): number {
  return completeLines(file).lines.length;
}

/** Cuts a jsonl file back to its first `keep` complete rows (atomically); a half-written last line never counts. */
export function truncateLines(file: string, keep: number): { kept: number; dropped: { rows: number; partial: boolean } } {
  const { lines, partial } = completeLines(file);
  const kept = lines.slice(0, keep);
  kept.forEach((l, i) => {
    try {
      JSON.parse(l);
    } catch {
      throw new RunError(`${file}: line ${i + 1} is not JSON (the file is corrupt before the checkpoint's rows end); refusing to resume over it`);
    }
  });
  writeFileAtomic(file, kept.map((l) => l + '\n').join(''));
  return { kept: kept.length, dropped: { rows: lines.length - kept.length, partial } };
}

export { readManifest };
