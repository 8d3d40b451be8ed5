// The demo's summary (cli/demo.ts emergenceSummary) names the first real firewall alert's training episode and
// the step within it, with the exact command that replays it — and that command, run, shows that alert there;
// the fork command it prints runs too.
import { beforeAll, describe, expect, it, vi } from 'vitest';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadScenario } from '../sim/load.ts';
import { resolveEnvGuardrails } from '../sim/guardrails.ts';
import { resolveArgs } from '../agents/learning/options.ts';
import { readJsonl, TrainingRun } from '../agents/runs/run.ts';
import type { TelemetryAlert } from '../agents/learning/rollout.ts';
import { emergenceSummary } from '../cli/demo.ts';
import { main } from '../cli/main.ts';

let run: TrainingRun;
beforeAll(async () => {
  const dir = join(mkdtempSync(join(tmpdir(), 'sq-forensics-demo-')), 'run');
  const s = loadScenario('rome');
  run = await TrainingRun.create(dir, {
    name: 'demo-test', scenario: { id: s.id, hash: s.hash, file: s.file }, guardrails: { env: resolveEnvGuardrails(s), training: { names: [] } },
    algo: 'ppo', args: resolveArgs('ppo', { envs: 8, numSteps: 64, hidden: 16 }), net: { kind: 'mlp', hidden: 16 },
    totalSteps: 8 * 64 * 3, seed: 2, checkpointEvery: 1, evalEpisodes: 2, recordEpisodes: 1, backend: 'wasm',
    trainingEpisodes: { record: true, hashEvery: 16, keepSteps: 0 },
  });
  await run.train();
}, 120_000);

async function cli(...argv: string[]): Promise<string> {
  const out: string[] = [];
  const log = vi.spyOn(console, 'log').mockImplementation((m: unknown) => void out.push(String(m)));
  try {
    expect(await main(argv)).toBe(0);
    return out.join('\n');
  } finally {
    log.mockRestore();
  }
}

describe('the demo summary', () => {
  it('names the first real alert\'s training episode and the command that replays it at that step', async () => {
    const text = await emergenceSummary(run);
    const first = readJsonl<TelemetryAlert>(join(run.dir, 'telemetry.jsonl')).find((a) => a.source !== 'falsePositive')!;
    expect(first).toBeDefined();
    const m = new RegExp(`First real alert at training step ${first.step.toLocaleString('en')} \\(${first.source}\\), raised by training episode ${first.episode} of env ${first.env}, at its step (\\d+)\\. Replay it:\\n    npx sidequest replay (\\S+) --env ${first.env} --episode ${first.episode} --at (\\d+)`).exec(text);
    expect(m, text).not.toBeNull();
    expect(m![1]).toBe(m![3]);
    expect(text).toContain(`npx sidequest incidents ${run.dir}`);
    // the printed command, run: the arrow marks that step, and it carries the alert
    const out = await cli('replay', m![2], '--env', String(first.env), '--episode', String(first.episode), '--at', m![3], '--backend', 'wasm');
    const line = out.split('\n').find((l) => l.startsWith('→'))!;
    expect(line).toMatch(new RegExp(`→ step +${m![3]} \\(global ${first.step.toLocaleString('en')}\\).*\\[firewall alert: [^\\]]*${first.source}`));
    // and the fork command it prints runs, and writes a fork that verifies
    const fork = new RegExp(`npx sidequest fork (\\S+) --env ${first.env} --episode ${first.episode} --at ${m![3]} --guardrail sandbox`).exec(text);
    expect(fork).not.toBeNull();
    const forked = await cli('fork', fork![1], '--env', String(first.env), '--episode', String(first.episode), '--at', m![3], '--guardrail', 'sandbox', '--quiet');
    const file = /wrote (\S+) /.exec(forked)![1];
    expect(await cli('replay', file, '--verify')).toMatch(/^OK: /);
    run.dispose();
  });
});
