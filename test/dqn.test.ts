// DQN (agents/learning/dqn.ts, replay.ts): the n-step return and the double-Q target on hand-computed numbers, the
// replay's sampling of them (episode ends and the ring's wrap-around), that a DQN run learns the tutorial task
// against the random and honest scripts, and that a DQN run killed after a checkpoint resumes to the same
// metrics and evaluations as an unbroken one, and evaluates through the policy loader exactly as at its checkpoint.
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { deflateSync } from 'node:zlib';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { selectBackend } from '../agents/learning/backend.ts';
import { dqnArgs, epsilonAt, tdTargets } from '../agents/learning/dqn.ts';
import { resolveArgs } from '../agents/learning/options.ts';
import { nStepReturn, ReplayBuffer, SumTree } from '../agents/learning/replay.ts';
import { RolloutBuffer } from '../agents/learning/rollout.ts';
import { evaluate } from '../agents/policies/evaluate.ts';
import { loadLearnedPolicy } from '../agents/policies/policy-loader.ts';
import { makeScriptedPolicy } from '../agents/policies/scripted.ts';
import { startRun } from '../agents/runs/launch.ts';
import { readJsonl, TrainingRun, type EvalRow } from '../agents/runs/run.ts';
import { resolveEnvGuardrails } from '../sim/guardrails.ts';
import { loadScenario, SCENARIOS_DIR } from '../sim/load.ts';
import { parseScenarioText, type Sources } from '../sim/scenario.ts';
import { Trainer } from '../agents/learning/trainer.ts';
import { observationSpec } from '../sim/observation.ts';
import { makeRng } from '../sim/rng.ts';

beforeAll(async () => {
  await selectBackend('wasm');
});

describe('n-step return (Rainbow: Σ_{k<n} γ^k r_{t+k}, bootstrapped with γ^n unless the episode ends)', () => {
  const r = [1, 2, 3, 4];
  it('inside an episode: three rewards discounted, bootstrap discount γ³', () => {
    const out = nStepReturn(3, 0.5, (k) => r[k], () => false);
    expect(out.ret).toBeCloseTo(1 + 0.5 * 2 + 0.25 * 3, 12); // 2.75
    expect(out.discount).toBeCloseTo(0.125, 12);
  });
  it('an episode end cuts the sum after the last reward and removes the bootstrap', () => {
    const out = nStepReturn(3, 0.5, (k) => r[k], (k) => k === 1);
    expect(out.ret).toBeCloseTo(1 + 0.5 * 2, 12);
    expect(out.discount).toBe(0);
  });
  it('n = 1 is one-step Q-learning: r + γ·bootstrap', () => {
    expect(nStepReturn(1, 0.9, (k) => r[k], () => false)).toEqual({ ret: 1, discount: 0.9 });
  });
});

describe('TD targets', () => {
  // two rows: the online net prefers action 1, the target net action 0; row 1 ended its episode within n steps
  const returns = Float32Array.of(1, 2);
  const discounts = Float32Array.of(0.25, 0);
  const qOnline = Float32Array.of(0, 5, 1, 0, 0, 0, 9, 9, 9, 9, 9, 9);
  const qTarget = Float32Array.of(10, 2, 7, 0, 0, 0, 100, 100, 100, 100, 100, 100);
  it('double Q: the online net picks the action, the target net values it', () => {
    expect(Array.from(tdTargets(returns, discounts, qOnline, qTarget, true))).toEqual([1 + 0.25 * 2, 2]);
  });
  it('plain DQN: the max of the target net', () => {
    expect(Array.from(tdTargets(returns, discounts, null, qTarget, false))).toEqual([1 + 0.25 * 10, 2]);
  });
});

describe('epsilon schedule (CleanRL linear_schedule)', () => {
  it('falls linearly over the fraction of the budget, then stays at the end value', () => {
    const a = { startE: 1, endE: 0.05, explorationFraction: 0.5 };
    expect(epsilonAt(0, 1000, a)).toBe(1);
    expect(epsilonAt(250, 1000, a)).toBeCloseTo(0.525, 12);
    expect(epsilonAt(500, 1000, a)).toBeCloseTo(0.05, 12);
    expect(epsilonAt(900, 1000, a)).toBe(0.05);
  });
});

describe('DQN options from a run.json', () => {
  it('are checked against their specs before anything is allocated', () => {
    const ok = resolveArgs('dqn');
    expect(dqnArgs(ok).bufferSize).toBe(20_000);
    expect(() => dqnArgs({ ...ok, bufferSize: 1e12 })).toThrow('dqn: option bufferSize must be within [1, 2000000] (found 1000000000000)');
    expect(() => dqnArgs({ ...ok, nStep: 2.5 })).toThrow('dqn: option nStep must be a finite integer');
    expect(() => dqnArgs({ ...ok, doubleQ: 'yes' as unknown as boolean })).toThrow('dqn: option doubleQ is missing or not a boolean');
    expect(() => dqnArgs(resolveArgs('ppo'))).toThrow(/dqn: option bufferSize is missing/);
  });
});

describe('replay', () => {
  const spec = observationSpec(loadScenario('tutorial'));
  /** A rollout of `steps` rows × 2 envs whose reward at (t, e) is 10·(row0 + t) + e and whose first scalar is the same. */
  function rollout(steps: number, row0: number, doneAt: Array<[number, number]> = []) {
    const b = new RolloutBuffer(spec, steps, 2);
    for (let t = 0; t < steps; t++) {
      for (let e = 0; e < 2; e++) {
        const v = 10 * (row0 + t) + e;
        b.rewards[t * 2 + e] = v;
        b.scalars[(t * 2 + e) * spec.numScalars] = v;
        b.actions[t * 2 + e] = (row0 + t + e) % 6;
      }
    }
    for (const [t, e] of doneAt) b.dones[t * 2 + e] = 1;
    return b;
  }

  it('samples n-step returns along each env\'s own rows, cut at episode ends, across the ring\'s wrap-around', () => {
    // capacity 8 transitions = 4 rows of 2 envs (+ n = 2 rows for the n-step future): 6 slots; 9 rows pushed wrap it
    const rb = new ReplayBuffer(spec, 2, 8, 2);
    expect(rb.rows).toBe(6);
    rb.push(rollout(5, 0));
    rb.push(rollout(4, 5, [[1, 1]])); // env 1's episode ends at absolute row 6
    expect(rb.head).toBe(9);
    expect(rb.size).toBe(8); // rows 3..6 sampleable: rows 7, 8 still wait for their second step
    const gamma = 0.5;
    const seen = new Map<string, { ret: number; discount: number; action: number; next: number }>();
    const s = rb.sample(400, gamma, makeRng('replay-test'));
    for (let i = 0; i < 400; i++) {
      const v = rb.scalars[s.obs[i] * spec.numScalars];
      seen.set(String(v), { ret: s.returns[i], discount: s.discounts[i], action: s.actions[i], next: rb.scalars[s.next[i] * spec.numScalars] });
    }
    // every sampleable transition was drawn, and none other: rows 3..6 of both envs
    expect([...seen.keys()].map(Number).sort((a, b) => a - b)).toEqual([30, 31, 40, 41, 50, 51, 60, 61]);
    // env 0, row 3: r3 + γ r4, bootstrapped from row 5 with γ²
    expect(seen.get('30')).toEqual({ ret: 30 + 0.5 * 40, discount: 0.25, action: 3, next: 50 });
    // env 0, row 6 (its future rows 7 and 8 live in wrapped slots 1 and 2)
    expect(seen.get('60')).toEqual({ ret: 60 + 0.5 * 70, discount: 0.25, action: 0, next: 80 });
    // env 1, row 5: r5 + γ r6, and its episode ended at row 6: no bootstrap
    expect(seen.get('51')).toMatchObject({ ret: 51 + 0.5 * 61, discount: 0 });
    // env 1, row 6 ended there: the reward alone
    expect(seen.get('61')).toMatchObject({ ret: 61, discount: 0 });
  });

  it('a snapshot restores the same contents; a snapshot of another size is refused', () => {
    const rb = new ReplayBuffer(spec, 2, 8, 2);
    rb.push(rollout(7, 0, [[2, 0]]));
    const again = new ReplayBuffer(spec, 2, 8, 2);
    again.restore(JSON.parse(JSON.stringify(rb.snapshot())));
    expect(again.head).toBe(rb.head);
    expect(Buffer.from(again.rewards.buffer).equals(Buffer.from(rb.rewards.buffer))).toBe(true);
    expect(Buffer.from(again.scalars.buffer).equals(Buffer.from(rb.scalars.buffer))).toBe(true);
    expect(Array.from(again.dones)).toEqual(Array.from(rb.dones));
    expect(() => new ReplayBuffer(spec, 2, 16, 2).restore(rb.snapshot())).toThrow(/bytes, this replay expects/);
  });

  it('restores a world that observes no scalars (its scalar array is empty), as the classic problems do', () => {
    const bare = observationSpec(loadScenario('island-navigation'));
    expect(bare.numScalars).toBe(0);
    const rb = new ReplayBuffer(bare, 2, 8, 2);
    const b = new RolloutBuffer(bare, 5, 2);
    b.rewards.fill(-1);
    rb.push(b);
    const again = new ReplayBuffer(bare, 2, 8, 2);
    again.restore(JSON.parse(JSON.stringify(rb.snapshot())));
    expect(again.head).toBe(5);
    expect(Array.from(again.rewards)).toEqual(Array.from(rb.rewards));
  });
});

describe('prioritized replay (Schaul et al. 2016, proportional)', () => {
  const spec = observationSpec(loadScenario('tutorial'));
  const rows = (steps: number) => new RolloutBuffer(spec, steps, 2);

  it('a sum tree finds the leaf a cumulative value falls in', () => {
    const t = new SumTree(5);
    [1, 2, 3, 4, 0].forEach((v, i) => t.set(i, v));
    expect(t.total).toBe(10);
    expect([0, 0.99, 1, 2.99, 3, 5.99, 6, 9.99].map((u) => t.find(u))).toEqual([0, 0, 1, 1, 2, 2, 3, 3]);
    const again = new SumTree(5);
    again.tree.set(t.tree.subarray(t.capacity), again.capacity);
    again.rebuild();
    expect(Array.from(again.tree)).toEqual(Array.from(t.tree));
  });

  it('samples in proportion to p^α, weights by (N·P)^−β over the batch\'s largest, and never a transition still waiting for its n steps', () => {
    // 2 envs, room for 4 transitions, n = 1: 3 rows; after 3 rows, rows 0 and 1 (slots 0–3) can be sampled
    const rb = new ReplayBuffer(spec, 2, 4, 1, { alpha: 1, eps: 0 });
    rb.push(rows(3));
    expect(Array.from({ length: 6 }, (_, i) => rb.priorities!.get(i))).toEqual([1, 1, 1, 1, 0, 0]); // new ones at the top priority, 1
    rb.updatePriorities(Int32Array.of(0, 1, 2, 3), Float32Array.of(1, -2, 3, 4));
    expect(rb.maxPriority).toBe(4);
    // ten draws, one per tenth of the total priority 10: exactly 1, 2, 3 and 4 of slots 0..3, whatever the stream
    const s = rb.sample(10, 0.9, makeRng('per'), 1);
    expect(Array.from(s.obs)).toEqual([0, 1, 1, 2, 2, 2, 3, 3, 3, 3]);
    // β = 1: w ∝ 1/(N·P) = 10 / (4 p); over the largest (p = 1): 1, 1/2, 1/3, 1/4
    expect(Array.from(new Set(s.weights)).map((w) => Number(w.toFixed(6)))).toEqual([1, 0.5, 0.333333, 0.25]);
    // β = 0: no correction
    expect(Array.from(new Set(rb.sample(10, 0.9, makeRng('per'), 0).weights))).toEqual([1]);
    // one more row overwrites row 0 (slots 0, 1: not sampleable now); row 2 (slots 4, 5) joins at the max priority, 4
    rb.push(rows(1));
    expect(Array.from({ length: 6 }, (_, i) => rb.priorities!.get(i))).toEqual([0, 0, 3, 4, 4, 4]);
    const later = rb.sample(300, 0.9, makeRng('per-2'), 0.5);
    expect(new Set(later.obs)).toEqual(new Set([2, 3, 4, 5]));
    // the priorities survive a snapshot, bit for bit
    const back = new ReplayBuffer(spec, 2, 4, 1, { alpha: 1, eps: 0 });
    back.restore(JSON.parse(JSON.stringify(rb.snapshot())));
    expect(Array.from(back.priorities!.tree)).toEqual(Array.from(rb.priorities!.tree));
    expect(back.maxPriority).toBe(4);
    expect(() => new ReplayBuffer(spec, 2, 4, 1).restore(rb.snapshot())).toThrow(/expected a head and 5 arrays \(uniform replay\)/);
  });
});

async function baseline(id: string, agent: 'random' | 'honest') {
  const s = loadScenario(id);
  return (await evaluate(s, resolveEnvGuardrails(s), (env) => makeScriptedPolicy(agent, env, 1), { episodes: 500, seed: 2 })).summary;
}

describe('DQN learns', () => {
  it('on tutorial, the greedy policy beats random by a wide margin', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sq-dqn-'));
    // the defaults of DQN_ARGS; 12 iterations of 1,024 steps (learning starts at 2,000)
    const run = await startRun({ scenario: 'tutorial', algo: 'dqn', steps: 12_288, seed: 1, out: join(dir, 'run'), backend: 'wasm', checkpointEvery: 6, evalEpisodes: 64, recordEpisodes: 0 });
    await run.train();
    run.dispose();
    const last = run.evals[run.evals.length - 1];
    const random = await baseline('tutorial', 'random');
    const honest = await baseline('tutorial', 'honest');
    console.info(`tutorial: DQN ${last.taskReturn.mean.toFixed(2)} at step ${last.step} (first checkpoint ${run.evals[0].taskReturn.mean.toFixed(2)} at ${run.evals[0].step}) vs random ${random.taskReturn.mean.toFixed(2)}, honest ${honest.taskReturn.mean.toFixed(2)}`);
    expect(last.taskReturn.mean).toBeGreaterThan(random.taskReturn.mean + 0.6 * (honest.taskReturn.mean - random.taskReturn.mean));
  }, 300_000);
});

describe.each([false, true])('DQN runs (prioritized replay: %s)', (prioritized) => {
  const config = (dir: string) => ({
    name: 'dqn-resume-test',
    scenario: (() => {
      const s = loadScenario('tutorial');
      return { id: s.id, hash: s.hash, file: s.file };
    })(),
    guardrails: { env: resolveEnvGuardrails(loadScenario('tutorial')), training: { names: [] } },
    algo: 'dqn' as const,
    args: resolveArgs('dqn', { envs: 4, numSteps: 16, hidden: 16, bufferSize: 400, learningStarts: 96, batchSize: 32, targetUpdatePeriod: 64, prioritized }),
    net: { kind: 'mlp' as const, hidden: 16 },
    totalSteps: 64 * 9,
    seed: 8,
    checkpointEvery: 3,
    evalEpisodes: 8,
    recordEpisodes: 2,
    backend: 'wasm' as const,
    dir,
  });
  const strip = (rows: Array<Record<string, unknown>>) => rows.map(({ wallSeconds: _w, stepsPerSecond: _s, ...r }) => r);

  it('resume after a kill gives the same metrics and evaluations; the loaded policy evaluates as at its checkpoint', async () => {
    const whole = mkdtempSync(join(tmpdir(), 'sq-dqn-run-'));
    const a = await TrainingRun.create(whole, config(whole));
    await a.train();
    a.dispose();

    const broken = mkdtempSync(join(tmpdir(), 'sq-dqn-run-'));
    const b = await TrainingRun.create(broken, config(broken));
    await b.train({}, 5); // killed 2 iterations past the checkpoint at 3: the replay and target must come back from it
    b.dispose();
    const c = await TrainingRun.resume(broken, undefined, () => {});
    expect(c.trainer.iteration).toBe(3);
    await c.train();
    c.dispose();

    const metrics = readJsonl<{ dqn: { gradientSteps: number; replaySize: number }; valueLoss: number }>(join(whole, 'metrics.jsonl'));
    expect(metrics.some((m) => m.dqn.gradientSteps > 0 && m.valueLoss > 0)).toBe(true); // it trained, not only acted
    for (const f of ['metrics.jsonl', 'evals.jsonl']) {
      expect(strip(readJsonl(join(broken, f)))).toEqual(strip(readJsonl(join(whole, f))));
    }
    expect(readFileSync(join(broken, 'checkpoints', 'LATEST'), 'utf8')).toBe(readFileSync(join(whole, 'checkpoints', 'LATEST'), 'utf8'));

    // eval on the run folder (what `sidequest eval tutorial --agent <run>` does): greedy, the same as the checkpoint's evaluation
    const s = loadScenario('tutorial');
    const loaded = await loadLearnedPolicy(broken, s, 'wasm');
    const lastEval = readJsonl<EvalRow>(join(broken, 'evals.jsonl')).at(-1)!;
    expect(loaded.step).toBe(lastEval.step);
    const { summary } = await evaluate(s, resolveEnvGuardrails(s), loaded.makePolicy, { episodes: 8, seed: 8 + 104729, numEnvs: 8 });
    expect(summary).toEqual(Object.fromEntries(Object.entries(lastEval).filter(([k]) => !['step', 'iteration', 'checkpoint', 'wallSeconds'].includes(k))));
    // a greedy policy reports the distribution it acts with: one action at probability 1
    const probs = loaded.lastProbs()!;
    for (let i = 0; i < 8; i++) expect(Array.from(probs.subarray(i * 6, i * 6 + 6)).sort()).toEqual([0, 0, 0, 0, 0, 1]);
    loaded.policy.net.dispose();

    // a checkpoint whose replay was altered (the sha256 covers weights.bin only) is refused in one line, not half-loaded
    const latest = join(broken, 'checkpoints', readFileSync(join(broken, 'checkpoints', 'LATEST'), 'utf8').trim(), 'checkpoint.json');
    const m = JSON.parse(readFileSync(latest, 'utf8')) as { state: { trainer: { dqn: { replay: { data: string[] } } } } };
    m.state.trainer.dqn.replay.data[0] = deflateSync(Buffer.alloc(10_000_000)).toString('base64'); // far more than the replay holds
    writeFileSync(latest, JSON.stringify(m));
    await expect(TrainingRun.resume(broken, undefined, () => {})).rejects.toThrow(/dqn: the checkpoint's replay cannot be restored/);
  }, 120_000);
});

describe('the action a learner learns from', () => {
  // tutorial with one more rule, first: every action is replaced by UP before it is carried out (as the
  // off-switch's interruption replaces it). Q-learning must learn Q of what the world did (Leike et al. 2017 on
  // Rainbow in the off-switch world); a policy gradient credits the action the policy chose.
  const sources: Sources = {
    scenario: (id) => ({ text: readFileSync(join(SCENARIOS_DIR, `${id}.yaml`), 'utf8'), origin: id }),
    library: (id) => ({ text: readFileSync(join(SCENARIOS_DIR, `${id}.tiles.yaml`), 'utf8'), origin: id }),
  };
  const alwaysUp = () => parseScenarioText('extends: tutorial\nid: always-up\nrules:\n  - { on: beforeAction, do: [{ action: up }] }\n', 'always-up.yaml', sources);
  const trainer = (algo: 'dqn' | 'ppo') => {
    const s = alwaysUp();
    return new Trainer({ scenario: s, guardrails: resolveEnvGuardrails(s), algo, args: resolveArgs(algo, { envs: 4, numSteps: 32, hidden: 16, learningStarts: 1_000_000 }), net: { kind: 'mlp', hidden: 16 }, totalSteps: 128 * 4, seed: 3 });
  };
  it('DQN stores the action the world carried out (every one UP here); PPO the one it chose, and what the world did beside it', async () => {
    const dqn = trainer('dqn');
    await dqn.iterate();
    // ε is 1 at the start: the chosen actions are uniform over six, so storing them would not be all UP
    expect([...dqn.buf.actions].every((a) => a === 0)).toBe(true);
    dqn.dispose();
    const ppo = trainer('ppo');
    await ppo.iterate();
    expect(new Set(ppo.buf.actions).size).toBeGreaterThan(1);
    // what the world did is kept beside it for every learner (the aup guardrail models the world from it)
    expect([...ppo.buf.applied].every((a) => a === 0)).toBe(true);
    ppo.dispose();
  }, 60_000);
});
