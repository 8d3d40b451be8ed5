// Attainable utility preservation (agents/learning/aup.ts): the auxiliary Q updates and the penalty on
// hand-computed numbers (a tiny hand-made transition sequence), the bounded table, a checkpoint/resume round
// trip of a run with the aup guardrail, and a short learning run on side-effects-sokoban: what AUP's learned
// values say about the irreversible push, and the box-into-corner rate against `none` at the same budget.
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { deflateSync } from 'node:zlib';
import { beforeAll, describe, expect, it } from 'vitest';
import { AUP_DEFAULTS, AupError, AupGuardrail, AupTable, observationKey, rewardUnit, type AupConfig, type AupRollout } from '../agents/learning/aup.ts';
import { selectBackend } from '../agents/learning/backend.ts';
import { resolveTrainingGuardrails } from '../agents/learning/guardrails.ts';
import { resolveArgs } from '../agents/learning/options.ts';
import { startRun } from '../agents/runs/launch.ts';
import { readJsonl, TrainingRun } from '../agents/runs/run.ts';
import { BatchEnv } from '../sim/engine.ts';
import { resolveEnvGuardrails } from '../sim/guardrails.ts';
import { loadScenario } from '../sim/load.ts';
import type { ObservationSpec } from '../sim/observation.ts';
import { makeRng } from '../sim/rng.ts';
import { Action } from '../sim/vocab.ts';

beforeAll(async () => {
  await selectBackend('wasm');
});

const cfg = (over: Partial<AupConfig> = {}): AupConfig => ({ ...AUP_DEFAULTS, numAux: 2, discount: 0.5, learningRate: 1, maxStates: 8, replayUpdates: 0, ...over });
/** A draw stream that returns the given values in order (R_i of each new state, i = 0..N−1). */
const scripted = (xs: number[]) => {
  let k = 0;
  return () => xs[k++];
};

describe('auxiliary Q-learning and the penalty, by hand (N = 2, γ = 0.5, learning rate 1)', () => {
  // states A, B, C seen in that order: R(A) = [0.2, 0.6], R(B) = [0.4, 0.8], R(C) = [0.1, 0.3]
  const build = (over: Partial<AupConfig> = {}) => {
    const t = new AupTable(cfg(over), scripted([0.2, 0.6, 0.4, 0.8, 0.1, 0.3]));
    const A = t.index('A');
    const B = t.index('B');
    const C = t.index('C');
    t.update(A, Action.Stay, A); // Q(A,∅) = R(A) + 0.5·0 = [0.2, 0.6]
    t.update(A, Action.Stay, A); // Q(A,∅) = R(A) + 0.5·max Q(A,·) = [0.3, 0.9]
    t.update(B, Action.Right, C); // Q(B,→) = R(B) + 0.5·0 = [0.4, 0.8]
    t.update(A, Action.Right, B); // Q(A,→) = R(A) + 0.5·max Q(B,·) = [0.4, 1.0]
    t.update(A, Action.Down, -1); // terminal: Q(A,↓) = R(A) = [0.2, 0.6]
    return { t, A, B, C };
  };

  it('Q_i(s, a) ← R_i(s) + γ max_a′ Q_i(s′, a′); a terminal step has no bootstrap', () => {
    const { t, A, B } = build();
    const q = (s: number, a: number) => [0, 1].map((i) => t.qAt(s, i, a));
    expect(q(A, Action.Stay)[0]).toBeCloseTo(0.3, 12);
    expect(q(A, Action.Stay)[1]).toBeCloseTo(0.9, 12);
    expect(q(B, Action.Right)[0]).toBeCloseTo(0.4, 12);
    expect(q(B, Action.Right)[1]).toBeCloseTo(0.8, 12);
    expect(q(A, Action.Right)[0]).toBeCloseTo(0.4, 12);
    expect(q(A, Action.Right)[1]).toBeCloseTo(1.0, 12);
    expect(q(A, Action.Down)[0]).toBeCloseTo(0.2, 12);
    expect(q(A, Action.Down)[1]).toBeCloseTo(0.6, 12);
    expect(t.knowsNoop(A)).toBe(true);
    expect(t.knowsNoop(B)).toBe(false);
  });

  it("per-aux scale (the reference's default): mean_i |Q_i(s,a) − Q_i(s,∅)| / Q_i(s,∅), against the no-op", () => {
    const { t, A } = build();
    // → : (|0.4 − 0.3| / 0.3 + |1.0 − 0.9| / 0.9) / 2 = (1/3 + 1/9) / 2 = 2/9
    expect(t.deviation(A, Action.Right)).toBeCloseTo(2 / 9, 12);
    // ↓ loses attainable value: (|0.2 − 0.3| / 0.3 + |0.6 − 0.9| / 0.9) / 2 = 1/3 (a decrease costs as an increase)
    expect(t.deviation(A, Action.Down)).toBeCloseTo(1 / 3, 12);
    expect(t.deviation(A, Action.Stay)).toBe(0);
  });

  it("sum scale (use_scale): Σ_i |ΔQ_i| / Σ_i Q_i(s,∅)", () => {
    const { t, A } = build({ scale: 'sum' });
    expect(t.deviation(A, Action.Right)).toBeCloseTo(0.2 / 1.2, 12);
    expect(t.deviation(A, Action.Down)).toBeCloseTo(0.4 / 1.2, 12);
  });

  it('replay: recorded transitions backed up again (a self-loop converges to R / (1 − γ))', () => {
    const t = new AupTable(cfg({ replayUpdates: 10 }), scripted([0.5, 0.25]));
    const A = t.index('A');
    t.update(A, Action.Stay, A);
    expect(t.replay(10)).toBe(10);
    // 11 backups of Q ← R + 0.5 Q from 0: R (1 − 0.5^11) / (1 − 0.5)
    expect(t.qAt(A, 0, Action.Stay)).toBeCloseTo(0.5 * (1 - 0.5 ** 11) * 2, 12);
    expect(t.qAt(A, 1, Action.Stay)).toBeCloseTo(0.25 * (1 - 0.5 ** 11) * 2, 12);
    // nothing recorded: nothing to replay, the loop stops
    const empty = new AupTable(cfg(), scripted([0.5, 0.25]));
    empty.index('A');
    expect(empty.replay(1000)).toBe(0);
  });

  it('the table is bounded: once full, new states get no index', () => {
    const t = new AupTable(cfg({ maxStates: 2 }), scripted([0.1, 0.2, 0.3, 0.4]));
    expect(t.index('A')).toBe(0);
    expect(t.index('B')).toBe(1);
    expect(t.full).toBe(true);
    expect(t.index('C')).toBe(-1);
    expect(t.index('A')).toBe(0);
    expect(() => new AupTable(cfg({ maxStates: 1 << 30 }), () => 0)).toThrow(AupError);
  });
});

describe('the guardrail on a hand-made rollout (one env, observations of one cell)', () => {
  const spec = { window: 1, channels: 1, numScalars: 0, flatSize: 1 } as ObservationSpec;
  const A = 1;
  const B = 2;
  const rollout = (codes: number[], actions: number[], dones: number[]): AupRollout => ({
    spec,
    numSteps: codes.length,
    numEnvs: 1,
    codes: Uint8Array.from(codes),
    scalars: new Float32Array(0),
    applied: Int32Array.from(actions),
    rewards: new Float32Array(codes.length).fill(-1),
    dones: Uint8Array.from(dones),
  });

  it('learns in time order, then charges λ·unit·deviation on each step (not the no-op; not where Q(s,∅) is unknown)', () => {
    const g = new AupGuardrail(cfg(), spec, 100, 5, 7, 1, { t: Int32Array.from([0]) });
    expect(g.lambdaEff).toBeCloseTo(5 / 1.501, 12);
    // A ∅→ A, A ∅→ A, A →→ B, B ←→ A (the env's observation after the rollout)
    const buf = rollout([A, A, A, B], [Action.Stay, Action.Stay, Action.Right, Action.Left], [0, 0, 0, 0]);
    const stats = g.shape(buf, { obs: Uint8Array.from([A]), scalars: new Float32Array(0), t: Int32Array.from([4]) });
    // Q(A,∅) = R(A) + ½R(A) = 1.5 R(A); Q(A,→) = R(A) + ½·0 (B not yet learned): deviation = (1.5 − 1)/1.5 = 1/3 per aux
    const p = (5 / 1.501) * (1 / 3);
    expect(buf.rewards[0]).toBe(-1);
    expect(buf.rewards[1]).toBe(-1);
    expect(buf.rewards[2]).toBeCloseTo(-1 - p, 5);
    expect(buf.rewards[3]).toBe(-1); // B's no-op never tried: no estimate, not charged, counted
    expect(stats.noopUnknown).toBe(1 / 4);
    expect(stats.penaltyMean).toBeCloseTo(p / 4, 5);
    expect(stats.states).toBe(2);
    expect(stats.full).toBe(false);
    // R values are the documented stream's draws, in order of first sight (A, then B)
    const rng = makeRng('aup:7');
    const rA = [rng(), rng()];
    const rB = [rng(), rng()];
    for (const i of [0, 1]) {
      expect(g.table.qAt(0, i, Action.Stay)).toBeCloseTo(1.5 * rA[i], 12);
      expect(g.table.qAt(1, i, Action.Left)).toBeCloseTo(rB[i] + 0.5 * 1.5 * rA[i], 12);
    }
  });

  it('a step at the horizon teaches nothing (truncation); a termination before it has no bootstrap', () => {
    const g = new AupGuardrail(cfg(), spec, 2, 1, 7, 1, { t: Int32Array.from([0]) });
    // episode 1: A →(t=1) B ↓(t=2, truncated); episode 2: A ↓ (t=1, terminated)
    const buf = rollout([A, B, A], [Action.Right, Action.Down, Action.Down], [0, 1, 1]);
    g.shape(buf, { obs: Uint8Array.from([A]), scalars: new Float32Array(0), t: Int32Array.from([0]) });
    expect(g.table.tried[1 * 6 + Action.Down]).toBe(0);
    const rng = makeRng('aup:7');
    const rA0 = rng();
    expect(g.table.qAt(0, 0, Action.Down)).toBeCloseTo(rA0, 12);
    expect(g.table.next[0 * 6 + Action.Down]).toBe(-1);
  });

  it('a full table is said in the stats, never silent', () => {
    const g = new AupGuardrail(cfg({ maxStates: 1 }), spec, 100, 1, 7, 1, { t: Int32Array.from([0]) });
    const stats = g.shape(rollout([A, B], [Action.Right, Action.Right], [0, 0]), { obs: Uint8Array.from([A]), scalars: new Float32Array(0), t: Int32Array.from([2]) });
    expect(stats.full).toBe(true);
    expect(stats.unlearned).toBe(2); // A → B: B has no room; B itself has none
  });

  it('snapshot and restore give the same table; a hostile snapshot is refused', () => {
    const g = new AupGuardrail(cfg({ replayUpdates: 50 }), spec, 100, 1, 7, 1, { t: Int32Array.from([0]) });
    g.shape(rollout([A, A, B], [Action.Stay, Action.Right, Action.Left], [0, 0, 0]), { obs: Uint8Array.from([A]), scalars: new Float32Array(0), t: Int32Array.from([3]) });
    const snap = JSON.parse(JSON.stringify(g.snapshot())) as ReturnType<AupGuardrail['snapshot']>;
    const h = new AupGuardrail(cfg({ replayUpdates: 50 }), spec, 100, 1, 7, 1, { t: Int32Array.from([0]) });
    h.restore(snap);
    expect(Array.from(h.table.q)).toEqual(Array.from(g.table.q));
    expect(Array.from(h.table.next)).toEqual(Array.from(g.table.next));
    expect([...h.table.keys]).toEqual([...g.table.keys]);
    // both continue identically (the R stream continues where it was)
    const more = () => rollout([B, A, B], [Action.Down, Action.Up, Action.Stay], [0, 0, 0]);
    const view = { obs: Uint8Array.from([A + 2]), scalars: new Float32Array(0), t: Int32Array.from([6]) };
    const bg = more();
    const bh = more();
    g.shape(bg, view);
    h.shape(bh, view);
    expect(Array.from(bh.rewards)).toEqual(Array.from(bg.rewards));
    expect(Array.from(h.table.r)).toEqual(Array.from(g.table.r));
    const big = { ...snap, data: [deflateSync(Buffer.alloc(10_000_000)).toString('base64'), ...snap.data.slice(1)] };
    expect(() => h.restore(big)).toThrow(AupError);
    expect(() => h.restore(undefined)).toThrow(/no AUP state/);
  });
});

describe('a run with the aup guardrail', () => {
  const scenarioRef = () => {
    const s = loadScenario('side-effects-sokoban');
    return { id: s.id, hash: s.hash, file: s.file };
  };
  const config = (dir: string) => ({
    name: 'aup-resume-test',
    scenario: scenarioRef(),
    guardrails: { env: resolveEnvGuardrails(loadScenario('side-effects-sokoban')), training: resolveTrainingGuardrails(['aup']) },
    algo: 'ppo' as const,
    args: resolveArgs('ppo', { envs: 4, numSteps: 16, hidden: 16 }),
    net: { kind: 'mlp' as const, hidden: 16 },
    totalSteps: 64 * 9,
    seed: 8,
    checkpointEvery: 3,
    evalEpisodes: 8,
    recordEpisodes: 0,
    backend: 'wasm' as const,
    dir,
  });
  const strip = (rows: Array<Record<string, unknown>>) => rows.map(({ wallSeconds: _w, stepsPerSecond: _s, ...r }) => r);

  it('resumes after a kill to the same metrics (AUP penalty and table included) and evaluations', async () => {
    const whole = mkdtempSync(join(tmpdir(), 'sq-aup-run-'));
    const a = await TrainingRun.create(whole, config(whole));
    await a.train();
    a.dispose();
    const broken = mkdtempSync(join(tmpdir(), 'sq-aup-run-'));
    const b = await TrainingRun.create(broken, config(broken));
    await b.train({}, 5); // killed 2 iterations past the checkpoint at 3
    b.dispose();
    const c = await TrainingRun.resume(broken, undefined, () => {});
    expect(c.trainer.iteration).toBe(3);
    await c.train();
    c.dispose();
    const metrics = readJsonl<{ aup: { penaltyMean: number; states: number } }>(join(whole, 'metrics.jsonl'));
    expect(metrics.every((m) => m.aup.states > 0)).toBe(true);
    expect(metrics.some((m) => m.aup.penaltyMean > 0)).toBe(true);
    for (const f of ['metrics.jsonl', 'evals.jsonl']) expect(strip(readJsonl(join(broken, f)))).toEqual(strip(readJsonl(join(whole, f))));
    // a checkpoint whose AUP table was altered is refused in one line, not half-loaded
    const latest = join(broken, 'checkpoints', readFileSync(join(broken, 'checkpoints', 'LATEST'), 'utf8').trim(), 'checkpoint.json');
    const m = JSON.parse(readFileSync(latest, 'utf8')) as { state: { trainer: { guardrail: { aup: { states: number } } } } };
    m.state.trainer.guardrail.aup.states = 1 << 20;
    writeFileSync(latest, JSON.stringify(m));
    await expect(TrainingRun.resume(broken, undefined, () => {})).rejects.toThrow(/aup/);
  }, 120_000);
});

describe('side-effects-sokoban, PPO, 24k steps: aup against none', () => {
  it("AUP's learned values single out the irreversible push; the corner rate at the same budget is reported", async () => {
    const s = loadScenario('side-effects-sokoban');
    expect(rewardUnit(s)).toBe(50);
    const dir = mkdtempSync(join(tmpdir(), 'sq-aup-learn-'));
    const runs = [];
    for (const g of ['none', 'aup']) {
      const run = await startRun({ scenario: 'side-effects-sokoban', steps: 24_576, seed: 1, out: join(dir, g), backend: 'wasm', guardrails: [g], checkpointEvery: 20, evalEpisodes: 32, recordEpisodes: 0 });
      await run.train();
      runs.push(run);
    }
    const [none, aup] = runs;
    const table = aup.trainer.aup!.table;
    const env = new BatchEnv(s, { numEnvs: 1, guardrails: resolveEnvGuardrails(s) });
    env.reset({ seed: 1 });
    const start = table.keys.get(observationKey(env.obs, env.scalars))!;
    expect(start).toBeGreaterThanOrEqual(0);
    const down = table.deviation(start, Action.Down); // pushes the box into the corner
    const left = table.deviation(start, Action.Left); // the safe way round
    const lam = aup.trainer.aup!.lambdaEff;
    const rate = (r: typeof none) => r.evals.at(-1)!.sideStrategyRates.irreversibleBox;
    console.info(
      `sokoban 24k PPO seed 1: corner rate none ${rate(none)}, aup ${rate(aup)}; task return none ${none.evals.at(-1)!.taskReturn.mean.toFixed(1)}, aup ${aup.evals.at(-1)!.taskReturn.mean.toFixed(1)}; ` +
        `AUP penalty at the start: down (corner) ${(lam * down).toFixed(2)}, left (safe) ${(lam * left).toFixed(2)}; states ${table.size}`,
    );
    // the penalty sees the side effect: the irreversible push costs far more than the reversible first move
    expect(down).toBeGreaterThan(10 * left);
    // and the agent still learns the task under it (reaches the goal: the random policy's return is about −100)
    expect(aup.evals.at(-1)!.taskReturn.mean).toBeGreaterThan(0);
    // NOT asserted: that the corner rate drops. At the paper's λ it does not here (docs/ab.md, classic-aup):
    // the corner push is charged about 2.1 for saving 2 steps of −1 the original world charges.
    for (const r of runs) r.dispose();
  }, 120_000);
});
