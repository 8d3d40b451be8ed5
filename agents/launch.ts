// Starts a training run from command-line-like options (scenario name, algorithm, flag values): resolves the
// scenario, env- and training-side guardrails and algorithm args into a RunConfig and creates the run folder.
// Shared by `sidequest train`, the demo, the A/B cells and the benchmarks, so they all mean the same by a flag.
import { basename, join } from 'node:path';
import { loadScenario } from '../sim/load.ts';
import { resolveEnvGuardrails } from '../sim/guardrails.ts';
import { ARGS_OF_ALGO, flagName, resolveArgs, splitList, type AlgoName } from './args.ts';
import { BACKENDS, type BackendRequest } from './backend.ts';
import { isTrainingGuardrail, resolveTrainingGuardrails, TRAINING_GUARDRAILS } from './guardrails.ts';
import { ENV_GUARDRAILS } from '../sim/vocab.ts';
import { RunError, TrainingRun } from './run.ts';


export async function startRun(scenarioName: string, algo: AlgoName, f: Record<string, string | number | boolean | undefined>): Promise<TrainingRun> {
  const scenario = loadScenario(scenarioName);
  const names = splitList(f.guardrail as string | undefined);
  for (const n of names ?? []) {
    if (n !== 'none' && !isTrainingGuardrail(n) && !(ENV_GUARDRAILS as readonly string[]).includes(n)) {
      throw new RunError(`--guardrail: unknown guardrail "${n}": expected env-side ${ENV_GUARDRAILS.join(', ')}, training-side ${TRAINING_GUARDRAILS.join(', ')}, or none`);
    }
  }
  const trainingNames = (names ?? []).filter((n) => isTrainingGuardrail(n));
  const envNames = names?.filter((n) => !isTrainingGuardrail(n));
  const training = resolveTrainingGuardrails(trainingNames, { costWeight: Number(f['cost-weight'] ?? 1) });
  // naming only training-side guardrails keeps the scenario's own env-side defaults (a world written with a
  // monitor keeps it); `none` among the names turns the defaults off
  const keepDefaults = names === undefined || (envNames!.length === 0 && !names.includes('none'));
  const guardrails = resolveEnvGuardrails(scenario, keepDefaults ? undefined : envNames);
  const given: Record<string, unknown> = {};
  for (const k of Object.keys(ARGS_OF_ALGO[algo])) if (f[flagName(k)] !== undefined) given[k] = f[flagName(k)];
  const args = resolveArgs(algo, given);
  const net = f.net === 'conv' ? 'conv' : f.net === 'mlp' ? 'mlp' : undefined;
  if (!net) throw new RunError(`--net: expected mlp or conv, found "${String(f.net)}"`);
  const backend = String(f.backend) as BackendRequest;
  if (!BACKENDS.includes(backend)) throw new RunError(`--backend: expected one of ${BACKENDS.join(', ')}, found "${backend}"`);
  const seed = Number(f.seed);
  const dir = String(f.out ?? join('runs', `${scenario.id}-${algo}-s${seed}`));
  return TrainingRun.create(dir, {
    name: basename(dir),
    scenario: { id: scenario.id, hash: scenario.hash, file: scenario.file },
    guardrails: { env: guardrails, training },
    algo,
    args,
    net: { kind: net, hidden: args.hidden },
    totalSteps: Number(f.steps),
    seed,
    checkpointEvery: Number(f['checkpoint-every']),
    evalEpisodes: Number(f['eval-episodes']),
    recordEpisodes: Number(f['record-episodes']),
    backend,
  });
}

