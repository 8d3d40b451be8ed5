// DQN's experience replay: a bounded ring of time rows, each row the compact observation (seen codes + scalars),
// action, learner reward and episode end of every env at one step — the rollout buffer's layout, kept across
// iterations. Keeping whole rows per env (rather than loose transitions) is what makes n-step returns exact: the
// next n steps of a transition are the next n rows of its env. Uniform or prioritized sampling (proportional
// prioritized replay, Schaul et al. 2016, on a sum tree: P(i) ∝ p_i^α, importance weights (N·P(i))^−β normalised by
// the batch's largest, as CleanRL's rainbow_atari.py) from a seeded stream, the n-step return (Rainbow, Hessel et
// al. 2018, §2 "Multi-step learning"), and a compressed snapshot so a checkpoint can carry the replay and a resumed
// run continues bit for bit.
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

/**
 * A sum tree over `size` leaves (Float64): set a leaf, read the total, find the leaf where a cumulative value falls.
 * Every inner node is recomputed as the sum of its two children, so a tree rebuilt from its leaves is bit-identical.
 */
export class SumTree {
  readonly capacity: number;
  readonly tree: Float64Array;

  constructor(readonly size: number) {
    let c = 1;
    while (c < size) c *= 2;
    this.capacity = c;
    this.tree = new Float64Array(2 * c);
  }

  get total(): number {
    return this.tree[1];
  }

  get(i: number): number {
    return this.tree[this.capacity + i];
  }

  set(i: number, value: number): void {
    let k = this.capacity + i;
    this.tree[k] = value;
    for (k >>= 1; k >= 1; k >>= 1) this.tree[k] = this.tree[2 * k] + this.tree[2 * k + 1];
  }

  /** The leaf i with Σ_{j<i} leaf_j ≤ u < Σ_{j≤i} leaf_j, for u in [0, total). */
  find(u: number): number {
    let k = 1;
    while (k < this.capacity) {
      const left = this.tree[2 * k];
      if (u < left) k = 2 * k;
      else {
        u -= left;
        k = 2 * k + 1;
      }
    }
    return k - this.capacity;
  }

  /** Rebuilds every inner node from the leaves. */
  rebuild(): void {
    for (let k = this.capacity - 1; k >= 1; k--) this.tree[k] = this.tree[2 * k] + this.tree[2 * k + 1];
  }
}

/** Proportional prioritization's settings. */
export interface PriorityConfig {
  /** How much the priority counts: P(i) ∝ (|δ_i| + eps)^α (0 is uniform). */
  alpha: number;
  /** Added to |δ| so no transition's probability falls to 0. */
  eps: number;
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
  /** Importance-sampling weights (all 1 for uniform sampling). */
  weights: Float32Array;
}

export interface ReplaySnapshot {
  /** Rows written so far (absolute; the ring keeps the last `rows`). */
  head: number;
  /** base64 of deflated codes, scalars, actions, rewards, dones and, when prioritized, the priority leaves. */
  data: string[];
  /** The largest priority seen (prioritized replay only). */
  maxPriority?: number;
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
  /** Priorities p^α per flat slot (prioritized replay), 0 where a slot cannot be sampled. */
  readonly priorities: SumTree | null;
  maxPriority = 1;

  constructor(readonly spec: ObservationSpec, readonly numEnvs: number, capacity: number, readonly nStep: number, readonly priority?: PriorityConfig) {
    // n more rows than asked, so `capacity` transitions stay sampleable (the newest n wait for their n-step future)
    this.rows = Math.max(1, Math.ceil(capacity / numEnvs)) + nStep;
    this.cells = spec.window * spec.window;
    const n = this.rows * numEnvs;
    this.codes = new Uint8Array(n * this.cells);
    this.scalars = new Float32Array(n * spec.numScalars);
    this.actions = new Uint8Array(n);
    this.rewards = new Float32Array(n);
    this.dones = new Uint8Array(n);
    this.priorities = priority ? new SumTree(n) : null;
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
      if (this.priorities) {
        // the new row waits for its n-step future; the row n back now has it: new transitions get the top priority
        const p = this.maxPriority ** this.priority!.alpha;
        const ready = this.head - this.nStep >= 0 ? ((this.head - this.nStep) % this.rows) * n : -1;
        for (let e = 0; e < n; e++) {
          this.priorities.set(slot + e, 0);
          if (ready >= 0) this.priorities.set(ready + e, p);
        }
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

  /**
   * `count` transitions drawn with replacement from `rng`: uniformly, or (prioritized) one from each of `count`
   * equal slices of the total priority, with importance weights for exponent `beta`.
   */
  sample(count: number, gamma: number, rng: Rng, beta = 1): ReplaySample {
    const { lo } = this.sampleableRows();
    const total = this.size;
    if (total === 0) throw new Error('replay: nothing to sample yet');
    const n = this.numEnvs;
    const out: ReplaySample = {
      obs: new Int32Array(count), next: new Int32Array(count), actions: new Int32Array(count),
      returns: new Float32Array(count), discounts: new Float32Array(count), weights: new Float32Array(count).fill(1),
    };
    const tree = this.priorities;
    const mass = tree ? tree.total : 0;
    let maxW = 0;
    for (let i = 0; i < count; i++) {
      let row: number;
      let env: number;
      const u = rng();
      let leaf = tree && mass > 0 ? tree.find(((i + u) / count) * mass) : -1;
      if (leaf >= 0 && !(tree!.get(leaf) > 0)) leaf = -1; // rounding past the last leaf: fall back to uniform
      if (leaf >= 0) {
        row = Math.floor(leaf / n); // a slot: n-step arithmetic is modulo the ring, so the slot serves as the row
        env = leaf % n;
        const w = (total * (tree!.get(leaf) / mass)) ** -beta;
        out.weights[i] = w;
        maxW = Math.max(maxW, w);
      } else {
        const k = Math.floor(u * total);
        row = lo + Math.floor(k / n);
        env = k % n;
        if (tree) {
          const w = (total * (tree.get((row % this.rows) * n + env) / mass)) ** -beta;
          out.weights[i] = w;
          maxW = Math.max(maxW, w);
        }
      }
      const { ret, discount } = this.nStepAt(row, env, gamma);
      out.obs[i] = (row % this.rows) * n + env;
      out.next[i] = ((row + this.nStep) % this.rows) * n + env;
      out.actions[i] = this.actions[out.obs[i]];
      out.returns[i] = ret;
      out.discounts[i] = discount;
    }
    if (tree && maxW > 0) for (let i = 0; i < count; i++) out.weights[i] /= maxW;
    return out;
  }

  /** Sets the sampled transitions' priorities from their new TD errors (prioritized replay; no-op otherwise). */
  updatePriorities(slots: Int32Array, tdErrors: Float32Array): void {
    const tree = this.priorities;
    if (!tree) return;
    const { alpha, eps } = this.priority!;
    for (let i = 0; i < slots.length; i++) {
      const p = Math.abs(tdErrors[i]) + eps;
      if (!Number.isFinite(p)) continue;
      if (p > this.maxPriority) this.maxPriority = p;
      // a slot overwritten since it was sampled is not sampleable now: leave its 0
      if (tree.get(slots[i]) > 0) tree.set(slots[i], p ** alpha);
    }
  }

  snapshot(): ReplaySnapshot {
    const pack = (a: ArrayBufferView) => deflateSync(new Uint8Array(a.buffer, a.byteOffset, a.byteLength)).toString('base64');
    const arrays: ArrayBufferView[] = [this.codes, this.scalars, this.actions, this.rewards, this.dones];
    if (this.priorities) arrays.push(this.priorities.tree.subarray(this.priorities.capacity, this.priorities.capacity + this.priorities.size));
    return { head: this.head, data: arrays.map(pack), ...(this.priorities ? { maxPriority: this.maxPriority } : {}) };
  }

  restore(s: ReplaySnapshot): void {
    const targets: ArrayBufferView[] = [this.codes, this.scalars, this.actions, this.rewards, this.dones];
    const tree = this.priorities;
    if (tree) targets.push(tree.tree.subarray(tree.capacity, tree.capacity + tree.size));
    if (!Number.isInteger(s.head) || s.head < 0 || !Array.isArray(s.data) || s.data.length !== targets.length) {
      throw new Error(`replay snapshot: expected a head and ${targets.length} arrays (${tree ? 'prioritized' : 'uniform'} replay)`);
    }
    if (tree && !(typeof s.maxPriority === 'number' && Number.isFinite(s.maxPriority) && s.maxPriority > 0)) throw new Error('replay snapshot: expected a finite maxPriority');
    targets.forEach((t, i) => {
      // bounded: inflate no more than the array's own size (a hostile checkpoint cannot make it allocate more);
      // zlib refuses a bound of 0, which an empty array has (a world without scalars), so that one gets 1 byte
      const raw = inflateSync(Buffer.from(String(s.data[i]), 'base64'), { maxOutputLength: Math.max(1, t.byteLength) });
      if (raw.length !== t.byteLength) throw new Error(`replay snapshot: array ${i} has ${raw.length} bytes, this replay expects ${t.byteLength}`);
      new Uint8Array(t.buffer, t.byteOffset, t.byteLength).set(raw);
    });
    this.head = s.head;
    if (tree) {
      for (let i = 0; i < tree.size; i++) if (!(tree.get(i) >= 0 && Number.isFinite(tree.get(i)))) throw new Error('replay snapshot: a priority is negative or not finite');
      tree.rebuild();
      this.maxPriority = s.maxPriority!;
    }
  }
}
