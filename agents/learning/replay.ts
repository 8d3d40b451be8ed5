// DQN's experience replay: a bounded ring of time rows, each row the compact observation (seen codes + scalars),
// action, learner reward and episode end of every env at one step — the rollout buffer's layout, kept across
// iterations. Keeping whole rows per env (rather than loose transitions) is what makes n-step returns exact: the
// next n steps of a transition are the next n rows of its env. Uniform sampling from a seeded stream, the n-step
// return (Rainbow, Hessel et al. 2018, §2 "Multi-step learning"), and a compressed snapshot so a checkpoint can
// carry the replay and a resumed run continues bit for bit.
import { deflateSync, inflateSync } from 'node:zlib';
import type { ObservationSpec } from '../../sim/observation.ts';
import type { Rng } from '../../sim/rng.ts';
import type { RolloutBuffer } from './rollout.ts';

/**
 * The truncated n-step return from one transition: Σ_{k<m} γ^k r_k, where m = n, or fewer when the episode ends
 * at step m−1 < n (then nothing is bootstrapped). Returns the sum and the discount the bootstrap value takes:
 * γ^n if the n steps stayed inside the episode, else 0. `reward(k)` and `done(k)` give step k after the transition.
 */
export function nStepReturn(n: number, gamma: number, reward: (k: number) => number, done: (k: number) => boolean): { ret: number; discount: number } {
  let ret = 0;
  let g = 1;
  for (let k = 0; k < n; k++) {
    ret += g * reward(k);
    g *= gamma;
    if (done(k)) return { ret, discount: 0 };
  }
  return { ret, discount: g };
}

/** A sampled minibatch: flat replay indices of the observations and of their bootstrap observations, n-step returns. */
export interface ReplaySample {
  /** Flat index (row slot × numEnvs + env) of each transition's observation. */
  obs: Int32Array;
  /** Flat index of the observation n steps later (meaningless where discount is 0). */
  next: Int32Array;
  actions: Int32Array;
  returns: Float32Array;
  discounts: Float32Array;
}

export interface ReplaySnapshot {
  /** Rows written so far (absolute; the ring keeps the last `rows`). */
  head: number;
  /** base64 of deflated codes, scalars, actions, rewards, dones, in that order. */
  data: string[];
}

export class ReplayBuffer {
  /** Ring capacity in time rows (each row holds one transition per env). */
  readonly rows: number;
  readonly codes: Uint8Array; // [rows * numEnvs * window²]
  readonly scalars: Float32Array; // [rows * numEnvs * numScalars]
  readonly actions: Uint8Array; // [rows * numEnvs]
  readonly rewards: Float32Array;
  readonly dones: Uint8Array;
  /** Rows written so far, absolute: row r lives in slot r % rows while r ≥ head − rows. */
  head = 0;
  private readonly cells: number;

  constructor(readonly spec: ObservationSpec, readonly numEnvs: number, capacity: number, readonly nStep: number) {
    // n more rows than asked, so `capacity` transitions stay sampleable (the newest n wait for their n-step future)
    this.rows = Math.max(1, Math.ceil(capacity / numEnvs)) + nStep;
    this.cells = spec.window * spec.window;
    const n = this.rows * numEnvs;
    this.codes = new Uint8Array(n * this.cells);
    this.scalars = new Float32Array(n * spec.numScalars);
    this.actions = new Uint8Array(n);
    this.rewards = new Float32Array(n);
    this.dones = new Uint8Array(n);
  }

  /** Appends a rollout's rows (observations, actions, the learner's — possibly shaped — rewards, episode ends). */
  push(buf: RolloutBuffer): void {
    if (buf.numEnvs !== this.numEnvs) throw new Error(`replay holds ${this.numEnvs} envs per row, the rollout ${buf.numEnvs}`);
    const n = this.numEnvs;
    const ns = this.spec.numScalars;
    for (let t = 0; t < buf.numSteps; t++) {
      const slot = (this.head % this.rows) * n;
      const src = t * n;
      this.codes.set(buf.codes.subarray(src * this.cells, (src + n) * this.cells), slot * this.cells);
      this.scalars.set(buf.scalars.subarray(src * ns, (src + n) * ns), slot * ns);
      for (let e = 0; e < n; e++) {
        this.actions[slot + e] = buf.actions[src + e];
        this.rewards[slot + e] = buf.rewards[src + e];
        this.dones[slot + e] = buf.dones[src + e];
      }
      this.head++;
    }
  }

  /** Absolute rows that can be sampled: [lo, hi), each with its n following rows written. */
  private sampleableRows(): { lo: number; hi: number } {
    return { lo: Math.max(0, this.head - this.rows), hi: Math.max(0, this.head - this.nStep) };
  }

  /** Transitions that can be sampled now. */
  get size(): number {
    const { lo, hi } = this.sampleableRows();
    return Math.max(0, hi - lo) * this.numEnvs;
  }

  /** The n-step return and bootstrap discount of the transition in absolute row `row`, env `env`. */
  nStepAt(row: number, env: number, gamma: number): { ret: number; discount: number } {
    const n = this.numEnvs;
    const at = (k: number) => ((row + k) % this.rows) * n + env;
    return nStepReturn(this.nStep, gamma, (k) => this.rewards[at(k)], (k) => this.dones[at(k)] === 1);
  }

  /** `count` transitions drawn uniformly (with replacement) from `rng`. */
  sample(count: number, gamma: number, rng: Rng): ReplaySample {
    const { lo } = this.sampleableRows();
    const total = this.size;
    if (total === 0) throw new Error('replay: nothing to sample yet');
    const n = this.numEnvs;
    const out: ReplaySample = {
      obs: new Int32Array(count), next: new Int32Array(count), actions: new Int32Array(count),
      returns: new Float32Array(count), discounts: new Float32Array(count),
    };
    for (let i = 0; i < count; i++) {
      const k = Math.floor(rng() * total);
      const row = lo + Math.floor(k / n);
      const env = k % n;
      const { ret, discount } = this.nStepAt(row, env, gamma);
      out.obs[i] = (row % this.rows) * n + env;
      out.next[i] = ((row + this.nStep) % this.rows) * n + env;
      out.actions[i] = this.actions[out.obs[i]];
      out.returns[i] = ret;
      out.discounts[i] = discount;
    }
    return out;
  }

  snapshot(): ReplaySnapshot {
    const pack = (a: ArrayBufferView) => deflateSync(new Uint8Array(a.buffer, a.byteOffset, a.byteLength)).toString('base64');
    return { head: this.head, data: [this.codes, this.scalars, this.actions, this.rewards, this.dones].map(pack) };
  }

  restore(s: ReplaySnapshot): void {
    const targets = [this.codes, this.scalars, this.actions, this.rewards, this.dones];
    if (!Number.isInteger(s.head) || s.head < 0 || !Array.isArray(s.data) || s.data.length !== targets.length) {
      throw new Error('replay snapshot: expected a head and 5 arrays');
    }
    targets.forEach((t, i) => {
      // bounded: inflate no more than the array's own size (a hostile checkpoint cannot make it allocate more)
      const raw = inflateSync(Buffer.from(String(s.data[i]), 'base64'), { maxOutputLength: t.byteLength });
      if (raw.length !== t.byteLength) throw new Error(`replay snapshot: array ${i} has ${raw.length} bytes, this replay expects ${t.byteLength}`);
      new Uint8Array(t.buffer, t.byteOffset, t.byteLength).set(raw);
    });
    this.head = s.head;
  }
}
