// The learning tests' one way to train: PPO through TrainingRun (the path `sidequest train` and the demo use), on
// the wasm backend, with the budgets' seed and checkpoint cadence, returning the evaluations at each checkpoint.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startRun } from '../../cli/train.ts';
import { listFlag } from '../../cli/args.ts';
import { LEARNING_TEST } from './budgets.ts';

export async function trainPpo(scenario: string, steps: number, guardrail?: string) {
  const dir = mkdtempSync(join(tmpdir(), 'sq-learn-'));
  const run = await startRun({
    scenario, algo: 'ppo', steps, seed: LEARNING_TEST.seed, out: join(dir, 'run'), backend: 'wasm', net: 'mlp', guardrails: listFlag(guardrail),
    checkpointEvery: LEARNING_TEST.checkpointEvery, evalEpisodes: 64, recordEpisodes: 2, costWeight: 1,
  });
  await run.train();
  run.dispose();
  return run.evals;
}
