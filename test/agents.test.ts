// The learner's machinery, exactly: GAE against a naive loop on odd shapes, no tensor leak across iterations,
// weights move, checkpoints round-trip exactly, a killed run resumes to the same metrics stream, a NaN stops
// training with the last good checkpoint kept, and backend selection says what it did.
import { beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import { mkdtempSync, readFileSync, existsSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { computeGae } from '../agents/learning/gae.ts';
import { selectBackend } from '../agents/learning/backend.ts';
import { Trainer, TrainingDivergedError } from '../agents/learning/trainer.ts';
import { resolveArgs } from '../agents/learning/options.ts';
import { saveCheckpoint, loadCheckpoint, latestCheckpoint } from '../agents/runs/checkpoint.ts';
import { makeActorCritic } from '../agents/learning/network.ts';
import { TrainingRun, readJsonl } from '../agents/runs/run.ts';
import { loadScenario } from '../sim/load.ts';
import { resolveEnvGuardrails } from '../sim/guardrails.ts';
import { observationSpec } from '../sim/observation.ts';
import { makeRng } from '../sim/rng.ts';

beforeAll(async () => {
  await selectBackend('wasm');
});

/** The textbook recursion, one env at a time, written as plainly as possible. */
function naiveGae(r: number[][], v: number[][], d: number[][], last: number[], gamma: number, lambda: number) {
  const T = r.length;
  const N = r[0].length;
  const adv = r.map((row) => row.map(() => 0));
  for (let e = 0; e < N; e++) {
    for (let t = 0; t < T; t++) {
      // A_t = sum_k (γλ)^k δ_{t+k}, stopping after a done
      let a = 0;
      let w = 1;
      for (let k = t; k < T; k++) {
        const next = k === T - 1 ? last[e] : v[k + 1][e];
        const delta = r[k][e] + gamma * next * (d[k][e] ? 0 : 1) - v[k][e];
        a += w * delta;
        if (d[k][e]) break;
        w *= gamma * lambda;
      }
      adv[t][e] = a;
    }
  }
  return adv;
}

describe('GAE', () => {
  it.each([
    [1, 1], [7, 3], [13, 5], [64, 2],
  ])('matches the naive loop for %i steps × %i envs', (T, N) => {
    const rng = makeRng(`gae:${T}:${N}`);
    const r = Array.from({ length: T }, () => Array.from({ length: N }, () => rng() * 2 - 0.5));
    const v = Array.from({ length: T }, () => Array.from({ length: N }, () => rng()));
    const d = Array.from({ length: T }, () => Array.from({ length: N }, () => (rng() < 0.2 ? 1 : 0)));
    const last = Array.from({ length: N }, () => rng());
    const adv = new Float32Array(T * N);
    const ret = new Float32Array(T * N);
    computeGae(Float32Array.from(r.flat()), Float32Array.from(v.flat()), Uint8Array.from(d.flat()), Float32Array.from(last), T, N, 0.97, 0.9, adv, ret);
    const expected = naiveGae(r, v, d, last, 0.97, 0.9);
    for (let t = 0; t < T; t++) {
      for (let e = 0; e < N; e++) {
        expect(adv[t * N + e]).toBeCloseTo(expected[t][e], 4);
        expect(ret[t * N + e]).toBeCloseTo(expected[t][e] + v[t][e], 4);
      }
    }
  });
  it('λ = 1 gives discounted Monte-Carlo returns', () => {
    const rewards = Float32Array.from([1, 0, 2, 5]);
    const adv = new Float32Array(4);
    const ret = new Float32Array(4);
    computeGae(rewards, new Float32Array(4), Uint8Array.from([0, 0, 1, 0]), Float32Array.from([10]), 4, 1, 0.5, 1, adv, ret);
    expect(Array.from(ret)).toEqual([1 + 0.5 * 0 + 0.25 * 2, 0 + 0.5 * 2, 2, 5 + 0.5 * 10]);
  });
});

function tinyTrainer(seed = 3, algo: 'ppo' | 'a2c' | 'reinforce' = 'ppo') {
  const s = loadScenario('rome');
  const args = resolveArgs(algo, { envs: 4, numSteps: 16, hidden: 16 });
  return new Trainer({ scenario: s, guardrails: resolveEnvGuardrails(s), algo, args, net: { kind: 'mlp', hidden: 16 }, totalSteps: 64 * 20, seed });
}

describe('training machinery', () => {
  it.each(['ppo', 'a2c', 'reinforce'] as const)('%s: no tensor leaks across iterations, and the weights move', async (algo) => {
    const tr = tinyTrainer(3, algo);
    const before = await Promise.all(tr.net.variables.map((v) => v.data()));
    await tr.iterate();
    await tr.iterate();
    const count = tf.memory().numTensors;
    for (let k = 0; k < 4; k++) await tr.iterate();
    expect(tf.memory().numTensors).toBe(count);
    const after = await Promise.all(tr.net.variables.map((v) => v.data()));
    const moved = before.map((b, i) => b.some((x, j) => x !== after[i][j]));
    expect(moved.every(Boolean)).toBe(true);
    tr.dispose();
  });

  it('the conv trunk (im2col + matMul) trains on wasm: finite losses, every weight moves, no leak', async () => {
    const s = loadScenario('rome');
    const args = resolveArgs('ppo', { envs: 4, numSteps: 8, hidden: 16 });
    const tr = new Trainer({ scenario: s, guardrails: resolveEnvGuardrails(s), algo: 'ppo', args, net: { kind: 'conv', hidden: 16 }, totalSteps: 32 * 4, seed: 1 });
    const before = await Promise.all(tr.net.variables.map((v) => v.data()));
    const { row } = await tr.iterate();
    const count = tf.memory().numTensors;
    await tr.iterate();
    expect(tf.memory().numTensors).toBe(count);
    expect(Number.isFinite(row.policyLoss)).toBe(true);
    const after = await Promise.all(tr.net.variables.map((v) => v.data()));
    expect(before.every((b, i) => b.some((x, j) => x !== after[i][j]))).toBe(true);
    tr.dispose();
  });

  it('the same seed gives the same metrics; another seed does not', async () => {
    const rows = async (seed: number) => {
      const tr = tinyTrainer(seed);
      const out = [];
      for (let k = 0; k < 3; k++) out.push((await tr.iterate()).row.policyLoss);
      tr.dispose();
      return out;
    };
    expect(await rows(5)).toEqual(await rows(5));
    expect(await rows(5)).not.toEqual(await rows(6));
  });

  it('checkpoints round-trip exactly: weights and optimiser state', async () => {
    const tr = tinyTrainer(4);
    await tr.iterate();
    const dir = mkdtempSync(join(tmpdir(), 'sq-ckpt-'));
    await saveCheckpoint(dir, 'a', tr.net, tr.optimizer, { step: 1, iteration: 1, state: { hello: 'world' } });
    expect(latestCheckpoint(dir)).toBe(join(dir, 'a'));
    const other = makeActorCritic(observationSpec(tr.config.scenario), tr.config.net, 99);
    const opt = tf.train.adam(1e-3);
    const m = await loadCheckpoint<{ hello: string }>(join(dir, 'a'), other, opt);
    expect(m.state).toEqual({ hello: 'world' });
    for (let i = 0; i < other.variables.length; i++) {
      expect(Array.from(await other.variables[i].data())).toEqual(Array.from(await tr.net.variables[i].data()));
    }
    const w1 = await tr.optimizer.getWeights();
    const w2 = await opt.getWeights();
    expect(w2.length).toBe(w1.length);
    for (let i = 0; i < w1.length; i++) expect(Array.from(await w2[i].tensor.data())).toEqual(Array.from(await w1[i].tensor.data()));
    tr.dispose();
    other.dispose();
  });

  it('a NaN in the loss stops training with a clear message', async () => {
    const tr = tinyTrainer(2);
    await tr.iterate();
    tf.tidy(() => tr.net.variables[0].assign(tf.fill(tr.net.variables[0].shape, Number.NaN)));
    await expect(tr.iterate()).rejects.toThrow(TrainingDivergedError);
    await expect(tr.iterate()).rejects.toThrow(/training diverged at iteration \d+ \(step \d+\): loss is not finite/);
    expect(await tr.weightsFinite()).toBe(false);
    tr.dispose();
  });
});

describe('runs', () => {
  const config = (dir: string) => ({
    name: 'resume-test',
    scenario: (() => {
      const s = loadScenario('rome');
      return { id: s.id, hash: s.hash, file: s.file };
    })(),
    guardrails: { env: resolveEnvGuardrails(loadScenario('rome')), training: { names: [] } },
    algo: 'ppo' as const,
    args: resolveArgs('ppo', { envs: 4, numSteps: 16, hidden: 16 }),
    net: { kind: 'mlp' as const, hidden: 16 },
    totalSteps: 64 * 9,
    seed: 8,
    checkpointEvery: 3,
    evalEpisodes: 4,
    recordEpisodes: 2,
    backend: 'wasm' as const,
    dir,
  });
  const strip = (rows: Array<Record<string, unknown>>) => rows.map(({ wallSeconds: _w, stepsPerSecond: _s, ...r }) => r);

  it('resume after a kill gives the same metrics, evaluations and telemetry as an unbroken run', async () => {
    const whole = mkdtempSync(join(tmpdir(), 'sq-run-'));
    const a = await TrainingRun.create(whole, config(whole));
    await a.train();
    a.dispose();

    const broken = mkdtempSync(join(tmpdir(), 'sq-run-'));
    const b = await TrainingRun.create(broken, config(broken));
    await b.train({}, 5); // "killed" after 5 iterations: 2 past the checkpoint at 3, whose rows must not survive twice
    b.dispose();
    expect(readJsonl(join(broken, 'metrics.jsonl')).length).toBe(5);
    const c = await TrainingRun.resume(broken);
    expect(c.trainer.iteration).toBe(3);
    expect(readJsonl(join(broken, 'metrics.jsonl')).length).toBe(3);
    await c.train();
    c.dispose();

    for (const f of ['metrics.jsonl', 'evals.jsonl']) {
      expect(strip(readJsonl(join(broken, f)))).toEqual(strip(readJsonl(join(whole, f))));
    }
    expect(readFileSync(join(broken, 'telemetry.jsonl'), 'utf8')).toBe(readFileSync(join(whole, 'telemetry.jsonl'), 'utf8'));
    expect(readdirSync(join(broken, 'episodes'))).toEqual(readdirSync(join(whole, 'episodes')));
    const run = JSON.parse(readFileSync(join(whole, 'run.json'), 'utf8')) as { backend: { name: string }; seed: number; versions: { tfjs: string } };
    expect(run.backend.name).toBe('wasm');
    expect(run.versions.tfjs).toMatch(/^\d+\.\d+/);
    expect(existsSync(join(whole, 'checkpoints', 'LATEST'))).toBe(true);
  }, 120_000);

  it('refuses to overwrite a run', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sq-run-'));
    const a = await TrainingRun.create(dir, config(dir));
    a.dispose();
    await expect(TrainingRun.create(dir, config(dir))).rejects.toThrow(`${dir} already holds a run: continue it with --resume ${dir}, or choose another --out`);
  });
});

describe('backends', () => {
  it('explicit gpu/node without the package fail with how to install it', async () => {
    await expect(selectBackend('gpu')).rejects.toThrow(/already set to wasm|npm install @tensorflow\/tfjs-node-gpu/);
  });
});
