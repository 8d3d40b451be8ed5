// A training run on disk (DESIGN.md §7): runs/<name>/ with run.json (the full resolved config, versions,
// backend, seed), metrics.jsonl (one row per iteration), telemetry.jsonl (firewall alerts from training, each
// pointing at its env and episode), evals.jsonl (evaluation summary at each checkpoint), checkpoints/ (atomic)
// and episodes/<checkpoint>/ (recorded evaluation episodes, so emergence can be scrubbed through training).
// Resuming truncates the jsonl files back to the last checkpoint, so nothing is lost or duplicated.
import * as tf from '@tensorflow/tfjs';
import { appendFileSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { serializeEpisode } from '../sim/episode.ts';
import type { EnvGuardrailConfig } from '../sim/guardrails.ts';
import type { EpisodeSummary } from '../sim/metrics.ts';
import { compileScenario, type Scenario } from '../sim/scenario.ts';
import type { ScenarioFile } from '../sim/schema.ts';
import type { AlgoName, PpoArgs } from './args.ts';
import { selectBackend, type BackendInfo, type BackendRequest } from './backend.ts';
import { latestCheckpoint, loadCheckpoint, readManifest, saveCheckpoint } from './checkpoint.ts';
import { evaluate } from './evaluate.ts';
import type { NetConfig } from './network.ts';
import type { TrainingGuardrails } from './guardrails.ts';
import { LearnedPolicy } from './policy.ts';
import { Trainer, TrainingDivergedError, type MetricsRow, type TrainerState } from './trainer.ts';

export const RUN_FORMAT = 'sidequest-run/1';

/** run.json: everything needed to understand, reproduce or resume the run. */
export interface RunConfig {
  format: typeof RUN_FORMAT;
  name: string;
  createdAt: string;
  scenario: { id: string; hash: string; file: ScenarioFile };
  guardrails: { env: EnvGuardrailConfig; training: TrainingGuardrails };
  algo: AlgoName;
  args: PpoArgs;
  net: NetConfig;
  totalSteps: number;
  seed: number;
  /** Iterations between checkpoints (each with an evaluation and recorded episodes). */
  checkpointEvery: number;
  evalEpisodes: number;
  recordEpisodes: number;
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
}

export interface RunHooks {
  onIteration?(row: MetricsRow, run: TrainingRun): void;
  /** Return 'stop' to end training after this checkpoint (e.g. a benchmark that has what it measures). */
  onCheckpoint?(evalRow: EvalRow, run: TrainingRun): void | 'stop';
}

export class RunError extends Error {}

function packageVersion(): string {
  const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string };
  return pkg.version;
}

export class TrainingRun {
  readonly scenario: Scenario;
  readonly trainer: Trainer;
  readonly evals: EvalRow[] = [];

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
  }

  /** Starts a new run in `dir` (which must not hold a run already). */
  static async create(dir: string, c: Omit<RunConfig, 'format' | 'createdAt' | 'backend' | 'versions'> & { backend: BackendRequest }): Promise<TrainingRun> {
    if (existsSync(join(dir, 'run.json'))) {
      throw new RunError(`${dir} already holds a run: continue it with --resume ${dir}, or choose another --out`);
    }
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
    writeFileSync(join(dir, 'run.json'), JSON.stringify(config, null, 2) + '\n');
    for (const f of ['metrics.jsonl', 'telemetry.jsonl', 'evals.jsonl']) writeFileSync(join(dir, f), '');
    return new TrainingRun(dir, config, backend);
  }

  /** Reopens a run and restores its last checkpoint; files are cut back to that checkpoint. */
  static async resume(dir: string, backendRequest?: BackendRequest): Promise<TrainingRun> {
    const config = readRunConfig(dir);
    const backend = await selectBackend(backendRequest ?? config.backend.requested);
    tf.enableProdMode();
    const run = new TrainingRun(dir, config, backend);
    const ckpt = latestCheckpoint(join(dir, 'checkpoints'));
    if (!ckpt) {
      // killed before the first checkpoint: start over cleanly
      for (const f of ['metrics.jsonl', 'telemetry.jsonl', 'evals.jsonl']) writeFileSync(join(dir, f), '');
      rmSync(join(dir, 'episodes'), { recursive: true, force: true });
      mkdirSync(join(dir, 'episodes'), { recursive: true });
      return run;
    }
    const m = await loadCheckpoint<RunState>(ckpt, run.trainer.net, run.trainer.optimizer);
    run.trainer.restoreState(m.state.trainer);
    truncateLines(join(dir, 'metrics.jsonl'), m.state.metricsRows);
    truncateLines(join(dir, 'telemetry.jsonl'), m.state.telemetryLines);
    truncateLines(join(dir, 'evals.jsonl'), m.state.evalRows);
    run.evals.push(...readJsonl<EvalRow>(join(dir, 'evals.jsonl')));
    // recorded episodes from after the checkpoint will be recorded again
    for (const d of readdirSync(join(dir, 'episodes'))) {
      if (stepOfName(d) > m.step) rmSync(join(dir, 'episodes', d), { recursive: true, force: true });
    }
    for (const d of readdirSync(join(dir, 'checkpoints'))) {
      if (d.startsWith('step-') && stepOfName(d) > m.step) rmSync(join(dir, 'checkpoints', d), { recursive: true, force: true });
    }
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
      if (bc) writeFileSync(join(this.dir, 'pretrain.json'), JSON.stringify(bc, null, 2) + '\n');
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
    const policy = new LearnedPolicy(this.trainer.net, `${c.algo}@${this.trainer.step}`, c.seed + 7919);
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
        writeFileSync(join(episodesDir, `ep-${String(recorded++).padStart(3, '0')}.jsonl`), serializeEpisode(rec));
      },
    });
    const evalRow: EvalRow = { step: this.trainer.step, iteration: this.trainer.iteration, checkpoint: name, wallSeconds: this.trainer.state().wallSeconds, ...summary };
    writeFileSync(join(episodesDir, 'summary.json'), JSON.stringify(evalRow, null, 2) + '\n');
    appendFileSync(join(this.dir, 'evals.jsonl'), JSON.stringify(evalRow) + '\n');
    this.evals.push(evalRow);
    const state: RunState = {
      trainer: this.trainer.state(),
      metricsRows: countLines(join(this.dir, 'metrics.jsonl')),
      telemetryLines: countLines(join(this.dir, 'telemetry.jsonl')),
      evalRows: countLines(join(this.dir, 'evals.jsonl')),
    };
    await saveCheckpoint(join(this.dir, 'checkpoints'), name, this.trainer.net, this.trainer.optimizer, {
      step: this.trainer.step,
      iteration: this.trainer.iteration,
      state,
    });
    return evalRow;
  }

  dispose(): void {
    this.trainer.dispose();
  }
}

export function readRunConfig(dir: string): RunConfig {
  const f = join(dir, 'run.json');
  if (!existsSync(f)) throw new RunError(`${dir}: not a run folder (no run.json)`);
  const c = JSON.parse(readFileSync(f, 'utf8')) as RunConfig;
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

function countLines(file: string): number {
  const t = readFileSync(file, 'utf8');
  return t === '' ? 0 : t.split('\n').filter((l) => l !== '').length;
}

function truncateLines(file: string, keep: number): void {
  const lines = existsSync(file) ? readFileSync(file, 'utf8').split('\n').filter((l) => l !== '') : [];
  writeFileSync(file, lines.slice(0, keep).map((l) => l + '\n').join(''));
}

export { readManifest };
