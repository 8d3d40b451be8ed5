// Starts a training run from typed options (scenario name, algorithm, budget, guardrail names, algorithm options):
// resolves the scenario, env- and training-side guardrails and algorithm options into a RunConfig and creates the
// run folder. Shared by `sidequest train`, the demo, the A/B cells and the benchmarks, so they all mean the same
// by an option. Flag parsing is the CLI's job (cli/train.ts turns flags into RunOptions).
import { basename, join } from 'node:path';
import { loadScenario } from '../../sim/load.ts';
import { resolveArgs, type AlgoName, type TrainArgs } from '../learning/options.ts';
import { BACKENDS, type BackendRequest } from '../learning/backend.ts';
import { GuardrailNameError, resolveGuardrailNames } from './guardrail-names.ts';
import { RunError, TrainingRun } from './run.ts';
import { TRAINING_RECORD_DEFAULTS, type TrainingRecordSettings } from './training-episodes.ts';

/** What a training run is started with. Optional fields take the CLI's defaults. */
export interface RunOptions {
  /** A shipped scenario's id or a path to a scenario file. */
  scenario: string;
  algo?: AlgoName;
  steps: number;
  seed: number;
  /** The run folder (default runs/<scenario>-<algo>-s<seed>). */
  out?: string;
  /** Guardrail names, env- and training-side; undefined keeps the scenario's own; `none` turns its defaults off. */
  guardrails?: readonly string[];
  /** Weight on summed cost in the reward under the penalty guardrail (default 1). */
  costWeight?: number;
  backend?: BackendRequest;
  net?: 'mlp' | 'conv';
  /** Iterations between checkpoints (default 10). */
  checkpointEvery?: number;
  /** Evaluation episodes per checkpoint (default 32). */
  evalEpisodes?: number;
  /** Of those, how many are recorded for the viewer (default 8). */
  recordEpisodes?: number;
  /** Algorithm options overriding the algorithm's defaults (agents/learning/options.ts). */
  args?: Partial<TrainArgs>;
  /** Recording of every training episode (default: on, a hash every 16 steps, every segment kept). */
  trainingEpisodes?: Partial<TrainingRecordSettings>;
}

export const RUN_DEFAULTS = { algo: 'ppo', costWeight: 1, backend: 'auto', net: 'mlp', checkpointEvery: 10, evalEpisodes: 32, recordEpisodes: 8 } as const;

export async function startRun(o: RunOptions): Promise<TrainingRun> {
  const scenario = loadScenario(o.scenario);
  const algo = o.algo ?? RUN_DEFAULTS.algo;
  let resolved: ReturnType<typeof resolveGuardrailNames>;
  try {
    resolved = resolveGuardrailNames(scenario, o.guardrails, o.costWeight ?? RUN_DEFAULTS.costWeight);
  } catch (e) {
    throw e instanceof GuardrailNameError ? new RunError(e.message) : e;
  }
  const { env: guardrails, training } = resolved;
  const args = resolveArgs(algo, o.args ?? {});
  // checked here too because options can come from files (A/B manifests), not only from typed callers
  const net = o.net ?? RUN_DEFAULTS.net;
  if (net !== 'mlp' && net !== 'conv') throw new RunError(`--net: expected mlp or conv, found "${String(net)}"`);
  const backend = o.backend ?? RUN_DEFAULTS.backend;
  if (!BACKENDS.includes(backend)) throw new RunError(`--backend: expected one of ${BACKENDS.join(', ')}, found "${String(backend)}"`);
  const dir = o.out ?? join('runs', `${scenario.id}-${algo}-s${o.seed}`);
  const trainingEpisodes = { ...TRAINING_RECORD_DEFAULTS, ...o.trainingEpisodes };
  if (!Number.isInteger(trainingEpisodes.hashEvery) || trainingEpisodes.hashEvery < 1) throw new RunError(`training-episode hashEvery: expected a whole number of at least 1, found ${String(trainingEpisodes.hashEvery)}`);
  if (!Number.isInteger(trainingEpisodes.keepSteps) || trainingEpisodes.keepSteps < 0) throw new RunError(`--keep-training-steps: expected a whole number of at least 0 (0 keeps all), found ${String(trainingEpisodes.keepSteps)}`);
  return TrainingRun.create(dir, {
    name: basename(dir),
    scenario: { id: scenario.id, hash: scenario.hash, file: scenario.file },
    guardrails: { env: guardrails, training },
    algo,
    args,
    net: { kind: net, hidden: args.hidden },
    totalSteps: o.steps,
    seed: o.seed,
    checkpointEvery: o.checkpointEvery ?? RUN_DEFAULTS.checkpointEvery,
    evalEpisodes: o.evalEpisodes ?? RUN_DEFAULTS.evalEpisodes,
    recordEpisodes: o.recordEpisodes ?? RUN_DEFAULTS.recordEpisodes,
    trainingEpisodes,
    backend,
  });
}
