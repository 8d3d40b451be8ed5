// `sidequest train`: trains an agent into a run folder with a live progress display (steps, steps/s, task
// return, each side-strategy rate). `--resume DIR` continues a killed run from its last checkpoint. Algorithm
// flags come from the documented args objects in agents/learning/options.ts.
import { ENV_GUARDRAILS } from '../sim/vocab.ts';
import { ALGOS, ARGS_OF_ALGO, type AlgoName, type TrainArgs } from '../agents/learning/options.ts';
import { BACKENDS, BackendError, type BackendRequest } from '../agents/learning/backend.ts';
import { RunError, TrainingRun, type EvalRow } from '../agents/runs/run.ts';
import { TrainingDivergedError, type MetricsRow } from '../agents/learning/trainer.ts';
import { DqnError } from '../agents/learning/dqn.ts';
import { CheckpointError } from '../agents/runs/checkpoint.ts';
import { defineCommand, flagName, listFlag, parseCommand, UsageError, type Flags } from './args.ts';
import { startRun, type RunOptions } from '../agents/runs/launch.ts';
import { TRAINING_GUARDRAILS, TrainingGuardrailError } from '../agents/learning/guardrails.ts';



export function trainFlags(algo: AlgoName): Flags {
  const algoFlags: Flags = {};
  for (const [k, f] of Object.entries(ARGS_OF_ALGO[algo])) algoFlags[flagName(k)] = f;
  return {
    algo: { type: 'string', default: 'ppo', description: `learning algorithm: ${ALGOS.join(', ')}` },
    steps: { type: 'number', default: 1_000_000, integer: true, min: 1, description: 'env steps to train for' },
    seed: { type: 'number', default: 1, integer: true, min: 0, description: 'run seed (env layouts, network init, sampling)' },
    guardrail: { type: 'string', description: `guardrails, comma separated: env-side ${ENV_GUARDRAILS.join(', ')}; training-side ${TRAINING_GUARDRAILS.join(', ')}; or none. Default: the scenario's` },
    'cost-weight': { type: 'number', default: 1, min: 0, description: 'weight on summed cost in the reward under the penalty guardrail' },
    backend: { type: 'string', default: 'auto', description: `tfjs backend: ${BACKENDS.join(', ')}` },
    out: { type: 'string', description: 'run folder (default runs/<scenario>-<algo>-s<seed>)' },
    resume: { type: 'string', description: 'continue the run in this folder from its last checkpoint' },
    net: { type: 'string', default: 'mlp', description: 'network trunk: mlp or conv' },
    'checkpoint-every': { type: 'number', default: 10, integer: true, min: 1, description: 'iterations between checkpoints (each evaluated and recorded)' },
    'eval-episodes': { type: 'number', default: 32, integer: true, min: 1, description: 'evaluation episodes at each checkpoint' },
    'record-episodes': { type: 'number', default: 8, integer: true, min: 0, description: 'of those, how many to record for the viewer' },
    'record-training': { type: 'boolean', default: true, description: 'record every training episode into <run>/training/ (about 1 byte per step)' },
    'keep-training-steps': { type: 'number', default: 0, integer: true, min: 0, description: 'keep the training episodes of the last N steps only (pruned ones are listed in training/pruned.json); 0 keeps all' },
    quiet: { type: 'boolean', description: 'no progress display' },
    ...algoFlags,
  };
}

/** `sidequest train`'s parsed flags as the typed options the learning code takes. */
export function runOptionsFromFlags(scenario: string, algo: AlgoName, f: Record<string, string | number | boolean | undefined>): RunOptions {
  const args: Partial<Record<keyof TrainArgs, number | boolean>> = {};
  for (const k of Object.keys(ARGS_OF_ALGO[algo]) as (keyof TrainArgs)[]) {
    const v = f[flagName(k)];
    if (typeof v === 'number' || typeof v === 'boolean') args[k] = v;
  }
  return {
    scenario, algo, steps: Number(f.steps), seed: Number(f.seed), out: f.out === undefined ? undefined : String(f.out),
    guardrails: listFlag(f.guardrail as string | undefined), costWeight: Number(f['cost-weight']),
    backend: String(f.backend) as BackendRequest, net: String(f.net) as RunOptions['net'],
    checkpointEvery: Number(f['checkpoint-every']), evalEpisodes: Number(f['eval-episodes']), recordEpisodes: Number(f['record-episodes']),
    args: args as Partial<TrainArgs>,
    trainingEpisodes: { record: f['record-training'] !== false, keepSteps: Number(f['keep-training-steps'] ?? 0) },
  };
}

export async function runTrain(argv: string[]): Promise<number> {
  const algoArg = argv[argv.indexOf('--algo') + 1];
  const algo = (argv.includes('--algo') ? algoArg : 'ppo') as AlgoName;
  if (!ALGOS.includes(algo)) throw new UsageError(`--algo: expected one of ${ALGOS.join(', ')}, found "${algoArg}"`);
  const parsed = parseCommand(defineCommand({ name: 'train', synopsis: '<scenario> [options]   or   --resume runs/NAME', flags: trainFlags(algo) }), argv);
  if (!parsed) return 0;
  const f = parsed.flags as Record<string, string | number | boolean | undefined>;
  try {
    let run: TrainingRun;
    if (f.resume) {
      run = await TrainingRun.resume(String(f.resume), argv.includes('--backend') ? (f.backend as BackendRequest) : undefined);
      console.error(`resuming ${run.dir} at step ${run.trainer.step.toLocaleString('en')} of ${run.config.totalSteps.toLocaleString('en')} (backend ${run.backend.name})`);
    } else {
      if (parsed.positionals.length !== 1) throw new UsageError('expected one scenario (e.g. rome), or --resume runs/NAME');
      run = await startRun(runOptionsFromFlags(parsed.positionals[0], algo, f));
      if (run.config.guardrails.training.safePretrain) console.error('safe-pretrain: behaviour cloning on honest trajectories first…');
      console.error(`training ${run.config.algo} on ${run.scenario.id} for ${run.config.totalSteps.toLocaleString('en')} steps → ${run.dir} (backend ${run.backend.name}${run.backend.skipped.length ? `; skipped: ${run.backend.skipped.map((s) => s.split(':')[0]).join(', ')}` : ''})`);
    }
    await trainWithProgress(run, f.quiet === true);
    console.error(`done: ${run.dir} (${run.evals.length} checkpoints with recorded episodes)`);
    run.dispose();
    return 0;
  } catch (e) {
    if (e instanceof RunError || e instanceof BackendError || e instanceof CheckpointError || e instanceof TrainingDivergedError || e instanceof TrainingGuardrailError || e instanceof DqnError) throw new UsageError(e.message);
    throw e;
  }
}

/** Trains with a progress display on stderr: one updating line on a terminal, a line every few seconds otherwise. */
export async function trainWithProgress(run: TrainingRun, quiet: boolean, extra?: { onCheckpoint?: (e: EvalRow) => void }): Promise<void> {
  const tty = process.stderr.isTTY === true;
  let lastPrint = 0;
  const total = run.config.totalSteps;
  const line = (r: MetricsRow) => {
    const pct = Math.min(100, (100 * r.step) / total).toFixed(0).padStart(3);
    // the side strategies this world makes possible (and evading the monitor when one watches)
    const rates = run.scenario.behaviours
      .filter((b) => b.possible || (!b.attempted && run.config.guardrails.env.monitor))
      .map((b) => `${b.name} ${((r.sideStrategyRates[b.name] ?? 0) * 100).toFixed(0).padStart(3)}%`)
      .join(' ');
    return `${pct}% step ${r.step.toLocaleString('en').padStart(9)}  ${Math.round(r.stepsPerSecond).toLocaleString('en').padStart(6)} steps/s  return ${r.taskReturn.toFixed(1).padStart(5)}  ${rates}`;
  };
  await run.train({
    onIteration: (r) => {
      if (quiet) return;
      const now = performance.now();
      if (tty) process.stderr.write(`\r\x1b[K${line(r)}`);
      else if (now - lastPrint > 5000 || r.step >= total) {
        process.stderr.write(`${line(r)}\n`);
        lastPrint = now;
      }
    },
    onCheckpoint: (e) => {
      extra?.onCheckpoint?.(e);
      if (quiet || !tty) return;
      const rates = run.scenario.behaviours.filter((b) => (e.sideStrategyRates[b.name] ?? 0) > 0).map((b) => `${b.name} ${(e.sideStrategyRates[b.name] * 100).toFixed(0)}%`);
      process.stderr.write(`\r\x1b[K  checkpoint ${e.checkpoint}: eval return ${e.taskReturn.mean.toFixed(1)}${rates.length ? `, ${rates.join(', ')}` : ', no side strategy'}\n`);
    },
  });
  if (tty && !quiet) process.stderr.write('\n');
}

export { startRun };
