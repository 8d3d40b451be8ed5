// Attainable utility preservation (AUP; Turner, Hadfield-Menell & Tadepalli 2020, "Conservative Agency via
// Attainable Utility Preservation", arXiv:1902.09725), the `aup` training-side guardrail. It owns the auxiliary
// value tables, their learning from the agent's own experience, the penalty and their checkpoint state.
//
//   r_AUP(s, a) = r(s, a) − λ · (1/N) Σ_i |Q_i(s, a) − Q_i(s, ∅)| / scale_i
//
// with ∅ the no-op (Action.Stay) and Q_i the attainable value of N random reward functions R_i over states.
//
// What it follows: the paper's model-free agent (agents/model_free_aup.py in the reference code, read in the
// fkabs/attainable-utility-preservation copy of alexander-turner's repository): N = 30 reward functions, each
// R_i(s) ~ U[0, 1) drawn once per state the first time it is seen; tabular Q_i keyed by the observed board
// (the reference keys on str(board), the observation; here the agent's observation codes and scalars, which
// on the classic worlds cover the whole map from every cell, so they determine the board); Q-learning on every
// transition the agent takes with learning rate 1 (the worlds are deterministic) and discount 0.996; baseline
// 'stepwise' (the no-op in the current state, not the start state or an inaction rollout) and deviation
// 'absolute' (gains and losses both penalised); scale as the reference's default (use_scale=False): each
// term divided by its own Q_i(s, ∅), a zero scale replaced by 1, averaged over i. `scale: 'sum'` is the
// reference's use_scale=True (Σ|ΔQ_i| / Σ|Q_i(s, ∅)|).
//
// Where it differs, and why:
// - λ is in units of the scenario's largest event reward (`rewardUnit`): the paper's worlds pay 1 for the goal,
//   so the reference's λ = 1/1.501 means "a full loss of attainable utility costs two thirds of the goal". The
//   classic scenarios keep the AI Safety Gridworlds' own scale (side-effects-sokoban: +50 goal, −1 a step), so
//   λ_eff = λ · 50 there. Without this the penalty would be 50× weaker against the task than in the paper.
// - R_i is paid on leaving a state (R_i(s) in the target of Q_i(s, a)) rather than on entering it: the buffer
//   has no observation after an episode's last step (the engine auto-resets). Then
//   Q_i(s, a) = R_i(s) + γ · Q_i^ref(s, a) (exactly, by induction), so the penalty's differences are the
//   reference's times γ; only a terminal step loses the terminal board's R_i (≤ 1).
// - A truncated step (the horizon) teaches nothing (no next observation to bootstrap from), where the reference
//   bootstraps from the last board; a terminated step's target is R_i(s).
// - A state whose no-op has never been tried has no estimate of Q_i(s, ∅): its steps are not penalised and are
//   counted (`noopUnknown` in the metrics). The reference starts every Q at 0 and divides by 1, so there the
//   penalty is λ · mean_i Q_i(s, a) until the no-op is tried — many goal rewards (Q nears 1/(1 − γ) = 250), which would swamp a
//   policy-gradient learner's reward normalisation; the paper's ε-greedy Q-learner tries every action often.
// - After each rollout the recorded transitions (the last successor seen of each (s, a)) are backed up again
//   within a fixed budget (`replayUpdates`; Dyna-Q's planning step, Sutton 1990: exact on deterministic worlds,
//   a sample of the successor elsewhere), and the rollout's penalties are computed after that replay, not right
//   after each step's own update as update_greedy does. With the reference's rule alone (`replayUpdates: 0`),
//   PPO on side-effects-sokoban stopped reaching the goal (seed 1, 60,000 steps: task return −66 against 43
//   unguarded): the no-op's self-loop gains value at every visit while the other actions' values lag, so every
//   move looked like a loss. The reference's Q-learner explores with 80% random actions for 4,000 episodes first.
// - The learner is whatever the trainer runs (PPO by default), not the reference's Q-learner on the AUP reward.
// - The table is bounded (`maxStates`, fixed, not derived from the input): once full, new states are neither
//   learned nor penalised, and the metrics say so (`full`, `unlearned`).
import { deflateSync, inflateSync } from 'node:zlib';
import type { ObservationSpec } from '../../sim/observation.ts';
import { makeRng, restoreRng, type Rng, type RngState } from '../../sim/rng.ts';
import type { Scenario } from '../../sim/scenario.ts';
import { Action, NUM_ACTIONS } from '../../sim/vocab.ts';

export interface AupConfig {
  /** λ, in units of the scenario's largest event reward (see rewardUnit). Reference: 1/1.501. */
  lambda: number;
  /** N, the number of random auxiliary reward functions. Reference: 30. */
  numAux: number;
  /** The auxiliary Q-learning's discount. Reference: 0.996. */
  discount: number;
  /** The auxiliary Q-learning's step size. Reference: 1 (deterministic worlds). */
  learningRate: number;
  /** 'per-aux': mean of |ΔQ_i| / Q_i(s, ∅) (reference default); 'sum': Σ|ΔQ_i| / Σ Q_i(s, ∅) (use_scale). */
  scale: 'per-aux' | 'sum';
  /** States the table can hold (a fixed cap; the metrics say when it is reached). */
  maxStates: number;
  /**
   * Bellman backups of recorded (s, a) pairs replayed after each rollout, at most (0: pure Q-learning, as the
   * reference). A fixed budget, not derived from the input.
   */
  replayUpdates: number;
}

export const AUP_DEFAULTS: Readonly<AupConfig> = { lambda: 1 / 1.501, numAux: 30, discount: 0.996, learningRate: 1, scale: 'per-aux', maxStates: 4096, replayUpdates: 1 << 17 };

/** Hard limits on a config (a run.json is read from disk and sizes allocate). */
const MAX_STATES_LIMIT = 65536;
const MAX_AUX_LIMIT = 256;
const MAX_REPLAY_LIMIT = 1 << 22;

export class AupError extends Error {}

export function checkAupConfig(c: AupConfig): AupConfig {
  const bad = (k: string, why: string) => new AupError(`aup: ${k} ${why} (found ${JSON.stringify((c as unknown as Record<string, unknown>)[k])?.slice(0, 40)})`);
  if (!(typeof c.lambda === 'number' && Number.isFinite(c.lambda) && c.lambda >= 0)) throw bad('lambda', 'must be a finite number ≥ 0');
  if (!(Number.isInteger(c.numAux) && c.numAux >= 1 && c.numAux <= MAX_AUX_LIMIT)) throw bad('numAux', `must be an integer in [1, ${MAX_AUX_LIMIT}]`);
  if (!(typeof c.discount === 'number' && c.discount >= 0 && c.discount < 1)) throw bad('discount', 'must be in [0, 1)');
  if (!(typeof c.learningRate === 'number' && c.learningRate > 0 && c.learningRate <= 1)) throw bad('learningRate', 'must be in (0, 1]');
  if (c.scale !== 'per-aux' && c.scale !== 'sum') throw bad('scale', "must be 'per-aux' or 'sum'");
  if (!(Number.isInteger(c.maxStates) && c.maxStates >= 1 && c.maxStates <= MAX_STATES_LIMIT)) throw bad('maxStates', `must be an integer in [1, ${MAX_STATES_LIMIT}]`);
  if (!(Number.isInteger(c.replayUpdates) && c.replayUpdates >= 0 && c.replayUpdates <= MAX_REPLAY_LIMIT)) throw bad('replayUpdates', `must be an integer in [0, ${MAX_REPLAY_LIMIT}]`);
  return c;
}

/** The reward unit λ is measured in: the scenario's largest |event reward| (1 when it has none, e.g. only formulas). */
export function rewardUnit(scenario: Scenario): number {
  let m = 0;
  for (const r of scenario.rewardByEvent) m = Math.max(m, Math.abs(r));
  return m > 0 ? m : 1;
}

/** What the guardrail adds to the trainer's checkpointed state. */
export interface AupSnapshot {
  states: number;
  /** base64 of deflated keys, Q, R and the tried-(s, a) marks of the first `states` states. */
  data: string[];
  rng: RngState;
  /** Each env's step count in its current episode at the end of the last rollout (to tell truncation apart). */
  t: number[];
}

/** Per-iteration figures for the metrics row (docs/metrics.md). */
export interface AupStats {
  /** Mean penalty per step this iteration, in reward units (what was subtracted from the learner's reward). */
  penaltyMean: number;
  /** States in the table, and its cap. */
  states: number;
  maxStates: number;
  /** The table is full: new states are neither learned nor penalised. */
  full: boolean;
  /** Steps this iteration whose state (or next state) did not fit in the table. */
  unlearned: number;
  /** Share of this iteration's steps with no estimate of Q(s, ∅) yet (not penalised). */
  noopUnknown: number;
}

const UNKNOWN = -2;
const TERMINAL = -1;

/** The tabular auxiliary values: keyed states, R_i(s), Q_i(s, a) and which (s, a) have been updated. */
export class AupTable {
  readonly keys = new Map<string, number>();
  readonly q: Float64Array; // [maxStates * numAux * NUM_ACTIONS], index (s * numAux + i) * NUM_ACTIONS + a
  readonly r: Float64Array; // [maxStates * numAux]
  readonly tried: Uint8Array; // [maxStates * NUM_ACTIONS]
  /** The last successor seen of each (s, a): a state index, TERMINAL, or UNKNOWN (never seen, or only at the horizon). */
  readonly next: Int32Array; // [maxStates * NUM_ACTIONS]
  private keyList: string[] = [];

  constructor(readonly config: AupConfig, private draw: Rng | (() => number)) {
    checkAupConfig(config);
    const { maxStates, numAux } = config;
    this.q = new Float64Array(maxStates * numAux * NUM_ACTIONS);
    this.r = new Float64Array(maxStates * numAux);
    this.tried = new Uint8Array(maxStates * NUM_ACTIONS);
    this.next = new Int32Array(maxStates * NUM_ACTIONS).fill(UNKNOWN);
  }

  get size(): number {
    return this.keyList.length;
  }

  get full(): boolean {
    return this.size >= this.config.maxStates;
  }

  /** The state's index, adding it (and drawing its R_i) if new; -1 when the table is full. */
  index(key: string): number {
    const k = this.keys.get(key);
    if (k !== undefined) return k;
    if (this.full) return -1;
    const s = this.keyList.length;
    this.keys.set(key, s);
    this.keyList.push(key);
    for (let i = 0; i < this.config.numAux; i++) this.r[s * this.config.numAux + i] = this.draw();
    return s;
  }

  qAt(s: number, i: number, a: number): number {
    return this.q[(s * this.config.numAux + i) * NUM_ACTIONS + a];
  }

  /**
   * One Q-learning step for every auxiliary function on the transition (s, a) → next: target R_i(s) + γ max_a'
   * Q_i(next, a'), or R_i(s) where the episode terminated (next = -1).
   */
  update(s: number, a: number, next: number): void {
    this.next[s * NUM_ACTIONS + a] = next < 0 ? TERMINAL : next;
    this.backup(s, a, next, this.config.learningRate);
  }

  /**
   * Replays recorded transitions as Bellman backups (Dyna-Q's planning step on the empirical model, Sutton
   * 1990), sweeping the table in order until `budget` (s, a) backups are spent. Returns the backups done.
   */
  replay(budget: number): number {
    const pairs = this.size * NUM_ACTIONS;
    let done = 0;
    while (done < budget) {
      let any = false;
      for (let j = 0; j < pairs && done < budget; j++) {
        const nx = this.next[j];
        if (nx === UNKNOWN) continue;
        this.backup((j / NUM_ACTIONS) | 0, j % NUM_ACTIONS, nx === TERMINAL ? -1 : nx, 1);
        done++;
        any = true;
      }
      if (!any) break;
    }
    return done;
  }

  private backup(s: number, a: number, next: number, learningRate: number): void {
    const { numAux, discount } = this.config;
    for (let i = 0; i < numAux; i++) {
      let v = 0;
      if (next >= 0) {
        const b = (next * numAux + i) * NUM_ACTIONS;
        v = this.q[b];
        for (let k = 1; k < NUM_ACTIONS; k++) v = Math.max(v, this.q[b + k]);
      }
      const j = (s * numAux + i) * NUM_ACTIONS + a;
      this.q[j] += learningRate * (this.r[s * numAux + i] + discount * v - this.q[j]);
    }
    this.tried[s * NUM_ACTIONS + a] = 1;
  }

  /** Whether Q_i(s, ∅) has been learned at least once. */
  knowsNoop(s: number): boolean {
    return this.tried[s * NUM_ACTIONS + Action.Stay] === 1;
  }

  /** The unscaled-by-λ penalty: the mean (or summed, 'sum') scaled |Q_i(s, a) − Q_i(s, ∅)|. */
  deviation(s: number, a: number): number {
    const { numAux, scale } = this.config;
    let total = 0;
    let nullSum = 0;
    for (let i = 0; i < numAux; i++) {
      const qa = this.qAt(s, i, a);
      const q0 = this.qAt(s, i, Action.Stay);
      const d = Math.abs(qa - q0);
      if (scale === 'per-aux') total += d / (q0 === 0 ? 1 : Math.abs(q0));
      else {
        total += d;
        nullSum += Math.abs(q0);
      }
    }
    return scale === 'per-aux' ? total / numAux : total / (nullSum === 0 ? 1 : nullSum);
  }

  snapshotData(): string[] {
    const n = this.size;
    const { numAux } = this.config;
    const pack = (a: ArrayBufferView) => deflateSync(new Uint8Array(a.buffer, a.byteOffset, a.byteLength)).toString('base64');
    const keyBytes = Buffer.from(this.keyList.join(''), 'latin1');
    return [
      pack(keyBytes),
      pack(this.q.subarray(0, n * numAux * NUM_ACTIONS)),
      pack(this.r.subarray(0, n * numAux)),
      pack(this.tried.subarray(0, n * NUM_ACTIONS)),
      pack(this.next.subarray(0, n * NUM_ACTIONS)),
    ];
  }

  restoreData(states: number, data: readonly string[], keyLength: number): void {
    const { numAux, maxStates } = this.config;
    if (!Number.isInteger(states) || states < 0 || states > maxStates) throw new AupError(`aup snapshot: ${states} states do not fit a table of ${maxStates}`);
    if (!Array.isArray(data) || data.length !== 5) throw new AupError('aup snapshot: expected 5 arrays (keys, Q, R, tried, next)');
    const keyBytes = new Uint8Array(states * keyLength);
    const targets: Uint8Array[] = [
      keyBytes,
      new Uint8Array(this.q.buffer, 0, states * numAux * NUM_ACTIONS * 8),
      new Uint8Array(this.r.buffer, 0, states * numAux * 8),
      new Uint8Array(this.tried.buffer, 0, states * NUM_ACTIONS),
      new Uint8Array(this.next.buffer, 0, states * NUM_ACTIONS * 4),
    ];
    this.q.fill(0);
    this.r.fill(0);
    this.tried.fill(0);
    this.next.fill(UNKNOWN);
    targets.forEach((t, k) => {
      // bounded: inflate no more than the target's own size (a hostile checkpoint cannot make it allocate more)
      let raw: Buffer;
      try {
        raw = inflateSync(Buffer.from(String(data[k]), 'base64'), { maxOutputLength: Math.max(1, t.byteLength) });
      } catch (e) {
        throw new AupError(`aup snapshot: array ${k} cannot be read (${(e as Error).message})`);
      }
      if (raw.length !== t.byteLength) throw new AupError(`aup snapshot: array ${k} has ${raw.length} bytes, expected ${t.byteLength}`);
      t.set(raw);
    });
    for (let j = 0; j < states * numAux * NUM_ACTIONS; j++) if (!Number.isFinite(this.q[j])) throw new AupError('aup snapshot: a Q value is not finite');
    for (let j = 0; j < states * NUM_ACTIONS; j++) {
      const nx = this.next[j];
      if (!(nx === UNKNOWN || nx === TERMINAL || (nx >= 0 && nx < states))) throw new AupError('aup snapshot: a recorded successor is out of range');
    }
    this.keys.clear();
    this.keyList = [];
    const all = Buffer.from(keyBytes).toString('latin1');
    for (let s = 0; s < states; s++) {
      const key = all.slice(s * keyLength, (s + 1) * keyLength);
      if (this.keys.has(key)) throw new AupError('aup snapshot: a state appears twice');
      this.keys.set(key, s);
      this.keyList.push(key);
    }
  }
}

/** The key of an observation: its perception codes and scalars' bytes (fixed length per scenario). */
export function observationKey(codes: Uint8Array, scalars: Float32Array): string {
  const c = Buffer.from(codes.buffer, codes.byteOffset, codes.byteLength).toString('latin1');
  if (scalars.length === 0) return c;
  return c + Buffer.from(scalars.buffer, scalars.byteOffset, scalars.byteLength).toString('latin1');
}

/** What the guardrail reads of a finished rollout: a RolloutBuffer's fields (structurally). */
export interface AupRollout {
  readonly spec: ObservationSpec;
  readonly numSteps: number;
  readonly numEnvs: number;
  readonly codes: Uint8Array;
  readonly scalars: Float32Array;
  /** The action the world carried out at each row (RolloutBuffer.applied): AUP models the world's dynamics. */
  readonly applied: Int32Array;
  readonly rewards: Float32Array;
  readonly dones: Uint8Array;
}

/** What it reads of the env after the rollout: the observation that follows the last row, and step counts. */
export interface AupEnvView {
  readonly obs: Uint8Array;
  readonly scalars: Float32Array;
  readonly t: Int32Array;
}

/** The guardrail: an AupTable learned from each rollout, whose penalty is subtracted from the rollout's rewards. */
export class AupGuardrail {
  readonly table: AupTable;
  readonly lambdaEff: number;
  private rng: Rng;
  private t: number[];
  private readonly keyLength: number;

  constructor(readonly config: AupConfig, private readonly spec: ObservationSpec, readonly horizon: number, unit: number, seed: number, numEnvs: number, env: Pick<AupEnvView, 't'>) {
    this.rng = makeRng(`aup:${seed}`);
    this.table = new AupTable(config, () => this.rng());
    this.lambdaEff = config.lambda * unit;
    this.t = Array.from(env.t.subarray(0, numEnvs));
    this.keyLength = spec.window * spec.window + 4 * spec.numScalars;
  }

  /**
   * Learns from the rollout's transitions in time order (one Q-learning step each, as the reference), replays
   * the recorded transitions within the backup budget, then subtracts λ_eff × deviation(s, a) from each step's
   * reward in buf.rewards. `env` is the env right after the rollout (the observation after the last row).
   */
  shape(buf: AupRollout, env: AupEnvView): AupStats {
    const n = buf.numEnvs;
    const rows = buf.numSteps * n;
    const cells = this.spec.window * this.spec.window;
    const ns = this.spec.numScalars;
    const keyOfRow = (i: number) => observationKey(buf.codes.subarray(i * cells, (i + 1) * cells), buf.scalars.subarray(i * ns, (i + 1) * ns));
    const keyOfEnv = (e: number) => observationKey(env.obs.subarray(e * cells, (e + 1) * cells), env.scalars.subarray(e * ns, (e + 1) * ns));
    // each row's state index; a row's key is the previous row's next state, so each is computed once
    const state = new Int32Array(rows + n);
    for (let i = 0; i < rows; i++) state[i] = this.table.index(keyOfRow(i));
    for (let e = 0; e < n; e++) state[rows + e] = this.table.index(keyOfEnv(e));
    let unlearned = 0;
    for (let i = 0; i < rows; i++) {
      const e = i % n;
      this.t[e]++;
      const done = buf.dones[i] === 1;
      const truncated = done && this.t[e] >= this.horizon;
      if (done) this.t[e] = 0;
      const s = state[i];
      const next = state[i + n];
      if (s < 0 || (!done && next < 0)) {
        unlearned++;
        continue;
      }
      // the world's dynamics: what was carried out, which a rule may have put in place of the policy's choice
      if (!truncated) this.table.update(s, buf.applied[i], done ? -1 : next);
    }
    this.table.replay(this.config.replayUpdates);
    let unknown = 0;
    let penaltySum = 0;
    for (let i = 0; i < rows; i++) {
      const s = state[i];
      // the impact that happened: of the action carried out (an interrupted agent's UP is not its own move)
      const a = buf.applied[i];
      if (s < 0 || a === Action.Stay) continue;
      if (!this.table.knowsNoop(s)) {
        unknown++;
        continue;
      }
      const p = this.lambdaEff * this.table.deviation(s, a);
      buf.rewards[i] -= p;
      penaltySum += p;
    }
    return {
      penaltyMean: penaltySum / rows,
      states: this.table.size,
      maxStates: this.config.maxStates,
      full: this.table.full,
      unlearned,
      noopUnknown: unknown / rows,
    };
  }

  snapshot(): AupSnapshot {
    return { states: this.table.size, data: this.table.snapshotData(), rng: this.rng.state(), t: [...this.t] };
  }

  restore(s: AupSnapshot | undefined): void {
    if (!s || typeof s !== 'object' || !Array.isArray(s.t) || s.t.length !== this.t.length || !s.t.every((x) => Number.isInteger(x) && x >= 0)) {
      throw new AupError('aup: the checkpoint has no AUP state (or one for another number of envs): it was not written by a run with the aup guardrail');
    }
    const st = s.rng as unknown as Record<string, unknown>;
    if (!st || !['c', 's0', 's1', 's2'].every((k) => typeof st[k] === 'number' && Number.isFinite(st[k]))) throw new AupError('aup: the checkpoint\'s random stream is malformed');
    this.table.restoreData(s.states, s.data, this.keyLength);
    this.rng = restoreRng(s.rng);
    this.t = [...s.t];
  }
}
