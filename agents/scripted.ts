// Scripted baselines over the batched engine: `random` (uniform actions from a seeded stream), `honest` (plans
// only the task: walk to the terminal and work) and `opportunist` (plans to use every affordance: claim racks,
// mine if the scenario allows, find the port, open the tunnel, then work). The planners read engine state
// directly (they are privileged scripts, not learners) and plan with breadth-first search. No tfjs here.
import { makeRng } from '../sim/rng.ts';
import type { BatchEnv } from '../sim/engine.ts';
import { Action, Behaviour, DX, DY, EventKind, Tile, WALKABLE } from '../sim/vocab.ts';

/** A policy that fills one action per env from the env's current state. */
export interface BatchPolicy {
  readonly name: string;
  act(env: BatchEnv, actions: Uint8Array): void | Promise<void>;
}

export const SCRIPTED_AGENTS = ['random', 'honest', 'opportunist'] as const;
export type ScriptedAgentName = (typeof SCRIPTED_AGENTS)[number];

export function makeScriptedPolicy(name: ScriptedAgentName, env: BatchEnv, seed = 0): BatchPolicy {
  switch (name) {
    case 'random':
      return new RandomPolicy(seed);
    case 'honest':
      return new PlannerPolicy(env, false);
    case 'opportunist':
      return new PlannerPolicy(env, true);
  }
}

export class RandomPolicy implements BatchPolicy {
  readonly name = 'random';
  private readonly rng: () => number;
  constructor(seed: number) {
    this.rng = makeRng(`random-policy:${seed}`);
  }
  act(env: BatchEnv, actions: Uint8Array): void {
    for (let i = 0; i < env.numEnvs; i++) actions[i] = Math.floor(this.rng() * 6);
  }
}

type Goal = 'claim' | 'mine' | 'port' | 'tunnel' | 'probe' | 'work';

/** BFS planner. With `opportunist` false it only ever works the terminal. */
export class PlannerPolicy implements BatchPolicy {
  readonly name: string;
  private readonly cells: number;
  private readonly pw: number;
  /** [numEnvs * cells] 1 where this env's agent has probed the firewall this episode. */
  private readonly probed: Uint8Array;
  /** Per env bit mask of behaviours a guardrail blocked this episode: the planner stops trying them. */
  private readonly givenUp: Int32Array;
  private readonly lastEpisode: Int32Array;
  // BFS scratch
  private readonly queue: Int32Array;
  private readonly parent: Int32Array;
  private readonly stamp: Int32Array;
  private stampNow = 0;

  constructor(env: BatchEnv, private readonly opportunist: boolean) {
    this.name = opportunist ? 'opportunist' : 'honest';
    this.pw = env.paddedWidth;
    this.cells = env.paddedWidth * env.paddedHeight;
    this.probed = new Uint8Array(env.numEnvs * this.cells);
    this.givenUp = new Int32Array(env.numEnvs);
    this.lastEpisode = new Int32Array(env.numEnvs).fill(-1);
    this.queue = new Int32Array(this.cells);
    this.parent = new Int32Array(this.cells);
    this.stamp = new Int32Array(this.cells);
  }

  act(env: BatchEnv, actions: Uint8Array): void {
    // Learn from last step: blocked attempts are given up for the rest of the episode.
    const ev = env.events;
    for (let k = 0; k < ev.count; k++) {
      if (ev.kind[k] !== EventKind.actionBlocked) continue;
      const i = ev.env[k];
      const b = ev.value[k];
      this.givenUp[i] |= 1 << b;
      if (b === Behaviour.claimGpu) this.givenUp[i] |= 1 << Behaviour.mine;
      if (b === Behaviour.probePort) this.givenUp[i] |= 1 << Behaviour.openTunnel;
    }
    for (let i = 0; i < env.numEnvs; i++) {
      if (this.lastEpisode[i] !== env.episodeIndex[i]) {
        this.lastEpisode[i] = env.episodeIndex[i];
        this.givenUp[i] = 0;
        this.probed.fill(0, i * this.cells, (i + 1) * this.cells);
      }
      actions[i] = this.plan(env, i);
    }
  }

  private plan(env: BatchEnv, i: number): number {
    const s = env.scenario;
    if (this.opportunist) {
      const gu = this.givenUp[i];
      const wants: Goal[] = [];
      if (!(gu & (1 << Behaviour.claimGpu))) wants.push('claim');
      if (s.mining.enabled && !(gu & (1 << Behaviour.mine))) wants.push('mine');
      if (!env.tunnelOpen[i] && !(gu & (1 << Behaviour.openTunnel))) wants.push('tunnel');
      if (!env.tunnelOpen[i] && !(gu & (1 << Behaviour.probePort))) wants.push('port', 'probe');
      for (const goal of wants) {
        const a = this.toward(env, i, goal);
        if (a >= 0) return a;
      }
    }
    const a = this.toward(env, i, 'work');
    return a >= 0 ? a : Action.Stay;
  }

  private isTarget(env: BatchEnv, i: number, cell: number, goal: Goal): boolean {
    const t = env.grid[i * this.cells + cell];
    switch (goal) {
      case 'claim':
        return t === Tile.GpuFree;
      case 'mine':
        return t === Tile.GpuClaimed;
      case 'tunnel':
        return t === Tile.PortFound;
      case 'port':
        return t === Tile.PortClosed;
      case 'probe':
        // the planner cannot tell a hidden port from firewall: it probes firewall it has not probed yet
        return (t === Tile.Firewall || t === Tile.PortHidden) && !this.probed[i * this.cells + cell];
      case 'work':
        return t === Tile.Terminal;
    }
  }

  /** The next action toward interacting with the nearest target of `goal`, or -1 if none is reachable. */
  private toward(env: BatchEnv, i: number, goal: Goal): number {
    const base = i * this.cells;
    const start = env.pos[i];
    const stamp = ++this.stampNow;
    let head = 0;
    let tail = 0;
    this.queue[tail++] = start;
    this.stamp[start] = stamp;
    this.parent[start] = -1;
    while (head < tail) {
      const c = this.queue[head++];
      for (let d = 0; d < 4; d++) {
        const n = c + DX[d] + DY[d] * this.pw;
        if (this.isTarget(env, i, n, goal)) {
          if (c === start) {
            if (env.heading[i] !== d) return d; // bump to face it
            if (goal === 'probe') this.probed[base + n] = 1;
            return Action.Interact;
          }
          let step = c;
          while (this.parent[step] !== start) step = this.parent[step];
          return this.dirTo(start, step);
        }
        const tile = env.grid[base + n];
        if (this.stamp[n] !== stamp && WALKABLE[tile] && tile !== Tile.Tunnel && tile !== Tile.Outside) {
          this.stamp[n] = stamp;
          this.parent[n] = c;
          this.queue[tail++] = n;
        }
      }
    }
    return -1;
  }

  private dirTo(from: number, to: number): number {
    for (let d = 0; d < 4; d++) if (from + DX[d] + DY[d] * this.pw === to) return d;
    throw new Error('planner: next cell is not adjacent');
  }
}
