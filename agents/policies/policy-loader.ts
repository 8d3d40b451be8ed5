// Opens a trained agent for evaluation: a run folder (its latest checkpoint) or a checkpoint folder inside one.
// Rebuilds the network from the run's recorded config, so the checkpoint needs no other description; the run's
// algorithm decides how the network acts (a DQN run's Q head greedily, a policy-gradient run's head by sampling).
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import type { BatchEnv } from '../../sim/engine.ts';
import { observationMismatch, observationSpec } from '../../sim/observation.ts';
import { compileScenario, type Scenario } from '../../sim/scenario.ts';
import { selectBackend, type BackendRequest } from '../learning/backend.ts';
import { latestCheckpoint, loadCheckpoint, CheckpointError } from '../runs/checkpoint.ts';
import { makeActorCritic } from '../learning/network.ts';
import { LearnedPolicy, policyModeOf } from './policy.ts';
import { readRunConfig, RunError, type RunConfig } from '../runs/run.ts';

export interface LoadedAgent {
  config: RunConfig;
  checkpoint: string;
  step: number;
  policy: LearnedPolicy;
  makePolicy: (env: BatchEnv) => LearnedPolicy;
  lastProbs: () => Float32Array | undefined;
}

export async function loadLearnedPolicy(path: string, scenario: Scenario, backend: BackendRequest | string = 'auto', seed = 0): Promise<LoadedAgent> {
  const p = resolve(path);
  let runDir: string;
  let ckpt: string | undefined;
  if (existsSync(join(p, 'run.json'))) {
    runDir = p;
    ckpt = latestCheckpoint(join(p, 'checkpoints'));
    if (!ckpt) throw new RunError(`${path}: this run has no checkpoint yet`);
  } else if (existsSync(join(p, 'checkpoint.json'))) {
    runDir = dirname(dirname(p));
    ckpt = p;
  } else {
    throw new RunError(`${path}: expected a scripted agent name, a run folder (with run.json) or a checkpoint folder (with checkpoint.json)`);
  }
  const config = readRunConfig(runDir);
  await selectBackend(backend as BackendRequest);
  const spec = observationSpec(scenario);
  // the observation the checkpoint was trained on follows from the scenario its run recorded: widths and meanings
  // (perception classes, scalars) must match, or the network would read one world's features as another's
  let trainedOn: Scenario;
  try {
    trainedOn = compileScenario(config.scenario.file, `${config.scenario.id} (recorded in ${runDir}/run.json)`);
  } catch (e) {
    throw new RunError(`${path}: the scenario recorded in its run.json does not compile: ${(e as Error).message}`);
  }
  const differs = observationMismatch(trainedOn, scenario);
  if (differs) {
    throw new CheckpointError(`${path} was trained on ${config.scenario.id} (${differs.trained}); ${scenario.id} observes differently (${differs.other}): a policy can only be run on the observation it was trained on`);
  }
  const net = makeActorCritic(spec, config.net, config.seed);
  const m = await loadCheckpoint(ckpt, net);
  const policy = new LearnedPolicy(net, `${config.name}@${m.step}`, seed, policyModeOf(config.algo));
  return { config, checkpoint: ckpt, step: m.step, policy, makePolicy: () => policy, lastProbs: () => policy.lastProbs };
}
