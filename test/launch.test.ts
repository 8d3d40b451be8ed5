// Env-side guardrails are orthogonal to the world: naming a training-side guardrail on the command line keeps a
// scenario's own env-side defaults (rome-monitored's monitor), `none` turns them off, and A/B arms get exactly
// their own env guardrails.
import { describe, expect, it } from 'vitest';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startRun } from '../agents/runs/launch.ts';
import { listFlag } from '../cli/args.ts';

async function envGuardrails(guardrail: string | undefined): Promise<readonly string[]> {
  const dir = join(mkdtempSync(join(tmpdir(), 'sq-launch-')), 'run');
  const run = await startRun({
    scenario: 'rome-monitored', algo: 'ppo', steps: 1024, seed: 1, out: dir, backend: 'cpu', net: 'mlp', guardrails: listFlag(guardrail), checkpointEvery: 10, evalEpisodes: 1, recordEpisodes: 0, costWeight: 1,
  });
  const names = run.config.guardrails.env.names;
  run.dispose();
  return names;
}

describe('--guardrail and the scenario\'s own guardrails', () => {
  it('no flag: the scenario\'s defaults', async () => expect(await envGuardrails(undefined)).toEqual(['monitor']));
  it('only a training-side guardrail: the defaults stay', async () => expect(await envGuardrails('penalty')).toEqual(['monitor']));
  it('none: no env-side guardrail', async () => expect(await envGuardrails('none')).toEqual([]));
  it('none with a training-side guardrail: none', async () => expect(await envGuardrails('none,penalty')).toEqual([]));
  it('an env-side guardrail replaces the defaults', async () => expect(await envGuardrails('tripwire')).toEqual(['tripwire']));
});

describe('an unknown guardrail', () => {
  it('is refused with both lists, env-side and training-side', async () => {
    await expect(envGuardrails('nonsense')).rejects.toThrow('--guardrail: unknown guardrail "nonsense": expected env-side sandbox, allowlist, blocklist, monitor, tripwire, training-side penalty, lagrangian, impact, aup, safe-pretrain, or none');
  });
});
