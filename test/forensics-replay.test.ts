// `sidequest replay RUN --env E --episode K`: a training episode re-simulated from the run folder, with the
// action probabilities of the checkpoint that acted where it is kept — equal to the probabilities training sampled
// from (the rollout buffer's log-probabilities) — and a plain statement where it is not; --out writes an episode
// file that `replay --verify` accepts; bad references get one clear line.
import { beforeAll, describe, expect, it, vi } from 'vitest';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadScenario } from '../sim/load.ts';
import { resolveEnvGuardrails } from '../sim/guardrails.ts';
import { parseEpisode } from '../sim/episode.ts';
import { verifyEpisode } from '../sim/replay.ts';
import { resolveArgs } from '../agents/learning/options.ts';
import { TrainingRun } from '../agents/runs/run.ts';
import { checkpointProbs, openTrainingEpisode, resimulateTraining } from '../agents/runs/forensics.ts';
import { main } from '../cli/main.ts';

let dir: string;
let logprobs: Float32Array; // iteration 1's (the second rollout's) log-probabilities, as training sampled them
const ENVS = 4;
const NUM_STEPS = 32;

beforeAll(async () => {
  dir = join(mkdtempSync(join(tmpdir(), 'sq-forensics-replay-')), 'run');
  const s = loadScenario('rome');
  const run = await TrainingRun.create(dir, {
    name: 'replay-test', scenario: { id: s.id, hash: s.hash, file: s.file }, guardrails: { env: resolveEnvGuardrails(s), training: { names: [] } },
    algo: 'ppo', args: resolveArgs('ppo', { envs: ENVS, numSteps: NUM_STEPS, hidden: 16 }), net: { kind: 'mlp', hidden: 16 },
    totalSteps: ENVS * NUM_STEPS * 2, seed: 9, checkpointEvery: 1, evalEpisodes: 1, recordEpisodes: 0, backend: 'wasm',
    trainingEpisodes: { record: true, hashEvery: 16, keepSteps: 0 },
  });
  await run.train();
  logprobs = run.trainer.buf.logprobs.slice();
  run.dispose();
}, 120_000);

async function cli(...argv: string[]): Promise<{ code: number; out: string; err: string }> {
  const out: string[] = [];
  const err: string[] = [];
  const log = vi.spyOn(console, 'log').mockImplementation((m: unknown) => void out.push(String(m)));
  const error = vi.spyOn(console, 'error').mockImplementation((m: unknown) => void err.push(String(m)));
  try {
    const code = await main(argv);
    return { code, out: out.join('\n'), err: err.join('\n') };
  } finally {
    log.mockRestore();
    error.mockRestore();
  }
}

describe('replaying a training episode', () => {
  it('shows the kept checkpoint\'s probabilities, equal to what training sampled from', async () => {
    // episode 0 of each env runs ticks 0..47: steps 0-31 by the initial weights (never saved), steps 32-47 by
    // the weights after one update (checkpoint step-000000128, kept)
    for (let env = 0; env < ENVS; env++) {
      const o = openTrainingEpisode(dir, env, 0);
      expect(o.acting.map((a) => [a.from, a.to, a.checkpoint, a.kept])).toEqual([
        [0, 31, 'step-000000000', false],
        [32, 47, 'step-000000128', true],
      ]);
      const p = await checkpointProbs(o.config, o.scenario, o.acting, 'wasm');
      const res = await resimulateTraining(o.scenario, o.guardrails, o.found, { agent: 'x', meta: {}, probs: p.probs });
      p.dispose();
      expect(res.ok).toBe(true);
      const steps = res.record!.steps;
      for (let t = 0; t < 32; t++) expect(steps[t].p).toBeUndefined();
      for (let t = 32; t < 48; t++) {
        const st = steps[t];
        const trained = Math.exp(logprobs[(t - NUM_STEPS) * ENVS + env]);
        expect(Math.abs(st.p![st.a] - trained)).toBeLessThan(2e-4);
      }
    }
  });

  it('the command says which steps have probabilities and which do not, and --out writes a verifiable episode', async () => {
    const out = join(dir, '..', 'e1-0.jsonl');
    const r = await cli('replay', dir, '--env', '1', '--episode', '0', '--at', '40', '--out', out, '--backend', 'wasm');
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/steps 1–32: acted by the weights of iteration 0, which were not kept \(the initial weights are never saved\): no probabilities shown/);
    expect(r.out).toMatch(/steps 33–48: acted by checkpoint step-000000128 \(kept\)/);
    expect(r.out).toMatch(/→ step {2}40 \(global 157\)\s+\w+\s+.*p=0\.\d{3}/);
    expect(r.out).toMatch(/OK: env 1 episode 0 of .* replays exactly \(48 steps/);
    const rec = parseEpisode(readFileSync(out, 'utf8'), out);
    expect(verifyEpisode(rec).ok).toBe(true);
    expect(rec.header.meta).toMatchObject({ training: true, env: 1, episode: 0 });
    const v = await cli('replay', out, '--verify');
    expect(v.code).toBe(0);
  });

  it('bad references get one clear line', async () => {
    expect((await cli('replay', dir, '--env', '9', '--episode', '0')).err).toMatch(/--env: expected an env of the run \(0\.\.3\), found 9/);
    expect((await cli('replay', dir, '--env', '0', '--episode', '99')).err).toMatch(/env 0 episode 99 is not among the recorded training episodes/);
    expect((await cli('replay', dir, '--env', '0', '--episode', '0', '--at', '49')).err).toMatch(/--at 49 is past the end: env 0 episode 0 has 48 steps \(1\.\.48\)/);
    expect((await cli('replay', dir)).err).toMatch(/name a training episode with --env E --episode K/);
    const r = await cli('replay', join(dir, 'run.json'), '--env', '0');
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/--env is for a training episode of a run folder/);
  });
});
