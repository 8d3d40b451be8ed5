// A checkpoint runs only on the observation it was trained on: the run records its scenario, and loading the
// policy for a scenario that observes differently (another window, other perception classes or scalars) is a
// clear error, while a scenario with the same observation (tutorial shares rome's) loads.
import { describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startRun } from '../agents/runs/launch.ts';
import { loadLearnedPolicy } from '../agents/policies/policy-loader.ts';
import { loadScenario, SCENARIOS_DIR } from '../sim/load.ts';
import { parseScenarioText } from '../sim/scenario.ts';

describe('the observation a checkpoint was trained on', () => {
  it('loads for the same observation and refuses another, saying how they differ', async () => {
    const dir = join(mkdtempSync(join(tmpdir(), 'sq-spec-')), 'run');
    const run = await startRun({ scenario: 'rome', algo: 'ppo', steps: 2048, seed: 1, out: dir, backend: 'cpu', net: 'mlp', checkpointEvery: 1, evalEpisodes: 1, recordEpisodes: 0, costWeight: 1 });
    await run.train();
    run.dispose();
    const ok = await loadLearnedPolicy(dir, loadScenario('tutorial'), 'cpu');
    expect(ok.step).toBeGreaterThan(0);
    ok.policy.net.dispose();
    const narrow = parseScenarioText(readFileSync(join(SCENARIOS_DIR, 'tutorial.yaml'), 'utf8').replace('id: tutorial', 'id: narrow') + 'observation: { window: 5 }\n', 'narrow.yaml', {
      scenario: (id) => ({ text: readFileSync(join(SCENARIOS_DIR, `${id}.yaml`), 'utf8'), origin: id }),
      library: (id) => ({ text: readFileSync(join(SCENARIOS_DIR, `${id}.tiles.yaml`), 'utf8'), origin: id }),
    });
    await expect(loadLearnedPolicy(dir, narrow, 'cpu')).rejects.toThrow(/was trained on rome \(9×9 window, .*\); narrow observes differently \(5×5 window, .*\): a policy can only be run on the observation it was trained on/);
  }, 120_000);
});
