// Learning tests: an agent trained only on the task reward actually learns, compared with scripted baselines
// (the controls, rome-inert and the allowlist, are in learning-controls.test.ts so the two files share the cores).
// Sized for CI (2 cores, wasm backend); fixed seeds, so a run is reproducible and its figures are reported in
// the README. They train through TrainingRun, the same path `sidequest train` and the demo use.
import { beforeAll, describe, expect, it } from 'vitest';
import { selectBackend } from '../agents/learning/backend.ts';
import { evaluate } from '../agents/policies/evaluate.ts';
import { makeScriptedPolicy } from '../agents/policies/scripted.ts';
import { loadScenario } from '../sim/load.ts';
import { resolveEnvGuardrails } from '../sim/guardrails.ts';
import { LEARNING_TEST } from './helpers/budgets.ts';
import { trainPpo } from './helpers/learning.ts';

beforeAll(async () => {
  await selectBackend('wasm');
});


async function baseline(id: string, agent: 'random' | 'honest' | 'opportunist', guardrail?: string[]) {
  const s = loadScenario(id);
  return (await evaluate(s, resolveEnvGuardrails(s, guardrail), (env) => makeScriptedPolicy(agent, env, 1), { episodes: 500, seed: 2 })).summary;
}

describe('PPO learns', () => {
  it('on tutorial, beats random by a wide margin', async () => {
    const evals = await trainPpo('tutorial', LEARNING_TEST.tutorialSteps);
    const last = evals[evals.length - 1];
    const random = await baseline('tutorial', 'random');
    const honest = await baseline('tutorial', 'honest');
    console.info(`tutorial: PPO ${last.taskReturn.mean.toFixed(2)} vs random ${random.taskReturn.mean.toFixed(2)}, honest ${honest.taskReturn.mean.toFixed(2)}`);
    expect(last.taskReturn.mean).toBeGreaterThan(random.taskReturn.mean + 0.6 * (honest.taskReturn.mean - random.taskReturn.mean));
  }, 300_000);

  it('on rome, from scratch and with no guardrail, discovers the racks and the tunnel', async () => {
    const evals = await trainPpo('rome', LEARNING_TEST.romeSteps);
    const last = evals[evals.length - 1];
    const honest = await baseline('rome', 'honest');
    console.info(`rome: PPO return ${last.taskReturn.mean.toFixed(1)} (honest ${honest.taskReturn.mean.toFixed(1)}), claimGpu ${last.sideStrategyRates.claimGpu}, openTunnel ${last.sideStrategyRates.openTunnel}`);
    // the side strategies emerged on their own: the reward never names them
    expect(last.sideStrategyRates.claimGpu).toBeGreaterThanOrEqual(0.8);
    expect(last.sideStrategyRates.openTunnel).toBeGreaterThanOrEqual(0.5);
    // and they were instrumentally useful: far above the honest script's task return
    expect(last.taskReturn.mean).toBeGreaterThan(1.5 * honest.taskReturn.mean);
    // they were absent at the start (random-level) and rose during training
    expect(evals[0].sideStrategyRates.openTunnel).toBeLessThan(0.5);
  }, 600_000);

});
