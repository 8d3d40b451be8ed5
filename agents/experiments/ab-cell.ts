// Runs one A/B cell: trains the arm on one seed (resuming if an earlier attempt stopped), then evaluates the
// final policy on layouts shared by every cell and writes result.json last — its presence means "done".
import { existsSync, readFileSync, renameSync } from 'node:fs';
import { CheckpointError, writeFileAtomic } from '../runs/checkpoint.ts';
import { join } from 'node:path';
import { resolveEnvGuardrails } from '../../sim/guardrails.ts';
import { AB_EVAL_SEED, ARMS, cellDir, cellProvenance, deploymentScenario, type AbConfig, type Cell, type CellResult } from './ab.ts';
import { evaluate } from '../policies/evaluate.ts';
import { startRun } from '../runs/launch.ts';
import { LearnedPolicy, policyModeOf } from '../policies/policy.ts';
import { readJsonl, RunError, TrainingRun, type EvalRow } from '../runs/run.ts';
import type { MetricsRow } from '../learning/trainer.ts';

export async function runCell(out: string, cell: Cell, c: AbConfig, onProgress: (step: number, total: number) => void): Promise<CellResult> {
  const dir = cellDir(out, cell);
  const arm = ARMS[cell.arm];
  const names = [...arm.env, ...arm.training];
  const fresh = () =>
    startRun({
      scenario: c.scenario, algo: c.algo ?? 'ppo', steps: c.steps, seed: cell.seed, out: dir, backend: 'wasm', net: 'mlp',
      guardrails: arm.env.length ? names : ['none', ...arm.training], // an arm's env guardrails are exactly its own
      checkpointEvery: 10, evalEpisodes: 32, recordEpisodes: 4, costWeight: 1,
    });
  let run: TrainingRun;
  if (!existsSync(join(dir, 'run.json'))) run = await fresh();
  else {
    try {
      run = await TrainingRun.resume(dir, 'wasm');
    } catch (e) {
      // a cell that cannot be resumed (a broken run.json, no valid checkpoint) would fail on every rerun and no
      // report would ever be written: keep it aside, say so, and train the cell afresh
      if (!(e instanceof RunError || e instanceof CheckpointError)) throw e;
      const aside = `${dir}.broken-${Date.now()}`;
      renameSync(dir, aside);
      process.stderr.write(`ab: cell ${cell.arm}/seed-${cell.seed} could not be resumed (${(e as Error).message.split('\n')[0]}); kept it in ${aside} and started it again\n`);
      run = await fresh();
    }
  }
  await run.train({ onIteration: (row) => onProgress(row.step, c.steps) });
  // the scenario the cell trained on, as recorded in its run (not today's YAML)
  const scenario = run.scenario;
  const deployed = c.evalScenario ? deploymentScenario(c.evalScenario, scenario) : scenario;
  // DQN acts greedily (argmax Q), as at its checkpoints and in `eval`; the policy gradients sample
  const policy = new LearnedPolicy(run.trainer.net, `${cell.arm}/seed-${cell.seed}`, cell.seed, policyModeOf(run.config.algo));
  // deployed with its env-side guardrails (training-side ones only shaped learning)
  const { summary, stats } = await evaluate(deployed, resolveEnvGuardrails(deployed, arm.env), () => policy, { episodes: c.evalEpisodes, seed: AB_EVAL_SEED, numEnvs: 50 });
  const metrics = readJsonl<MetricsRow>(join(dir, 'metrics.jsonl'));
  const episodes = metrics.reduce((a, r) => a + r.episodes, 0);
  const cost = metrics.reduce((a, r) => a + r.costTotal * r.episodes, 0);
  // the Lagrangian constrains training cost once λ has adapted: its last quarter is what the limit is about
  const late = metrics.filter((r) => r.step > 0.75 * run.trainer.step);
  const lateEpisodes = late.reduce((a, r) => a + r.episodes, 0);
  const lateCost = late.reduce((a, r) => a + r.costTotal * r.episodes, 0);
  const evals = readJsonl<EvalRow>(join(dir, 'evals.jsonl'));
  const behaviourEpisodes: Record<string, number> = {};
  for (const b of scenario.behaviours) behaviourEpisodes[b.name] = Math.round(metrics.reduce((a, r) => a + (r.sideStrategyRates[b.name] ?? 0) * r.episodes, 0));
  const result: CellResult = {
    format: 'sidequest-ab-cell/1',
    scenario: c.scenario,
    arm: cell.arm,
    seed: cell.seed,
    steps: run.trainer.step,
    final: summary,
    training: {
      costPerEpisode: episodes ? cost / episodes : 0, costPerStep: run.trainer.step ? cost / run.trainer.step : 0, episodes,
      lastQuarterCostPerEpisode: lateEpisodes ? lateCost / lateEpisodes : 0, finalLambda: metrics.at(-1)?.lambda ?? 0, behaviourEpisodes,
    },
    curve: evals.map((e) => ({ step: e.step, taskReturn: e.taskReturn.mean, costTotal: e.costTotal, sideStrategyRates: e.sideStrategyRates })),
    behaviours: scenario.behaviours.map((b) => ({ name: b.name, colour: b.colourHex })),
    finalBehaviourMasks: [...stats.behaviourMasks],
    provenance: cellProvenance(run.config),
  };
  run.dispose();
  policy.net.dispose();
  writeFileAtomic(join(dir, 'result.json'), JSON.stringify(result, null, 2) + '\n'); // its presence means "done": whole or absent
  return result;
}

export function readResultFile(f: string): CellResult {
  return JSON.parse(readFileSync(f, 'utf8')) as CellResult;
}
