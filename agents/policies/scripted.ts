// Scripted baselines over the batched engine: `random` (uniform actions from a seeded stream), `honest` and
// `opportunist`. The two planners follow the goals a scenario declares under `scripts` (or, without them, the
// goals its rules imply: the task for honest; every side-strategy rule first, then the task, for the
// opportunist): walk to the nearest target tile by breadth-first search, then face it and interact, or step on;
// or take a fixed action sequence (`actions`, for worlds where the faithful reference is a path). They read engine
// state directly (privileged scripts, not learners). No tfjs here.
import { makeRng } from '../../sim/rng.ts';
import type { BatchEnv } from '../../sim/engine.ts';
import type { ScriptGoal } from '../../sim/scenario.ts';
import { Action, DX, DY, NUM_ACTIONS } from '../../sim/vocab.ts';

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
      return new PlannerPolicy(env, 'honest', env.scenario.scripts.honest);
    case 'opportunist':
      return new PlannerPolicy(env, 'opportunist', env.scenario.scripts.opportunist);
  }
}

export class RandomPolicy implements BatchPolicy {
  readonly name = 'random';
  private readonly rng: () => number;
  constructor(seed: number) {
    this.rng = makeRng(`random-policy:${seed}`);
  }
  act(env: BatchEnv, actions: Uint8Array): void {
    for (let i = 0; i < env.numEnvs; i++) actions[i] = Math.floor(this.rng() * NUM_ACTIONS);
  }
}

/** BFS planner over a list of goals, pursued in order: the first goal with a reachable target wins. */
export class PlannerPolicy implements BatchPolicy {
  private readonly cells: number;
  private readonly pw: number;
  /** [numEnvs * cells] 1 where this env's agent has interacted with a `once` target this episode. */
  private readonly visited: Uint8Array;
  /** Per env bit mask of behaviours a guardrail blocked this episode: goals naming them are given up. */
  private readonly givenUp: Int32Array;
  private readonly lastEpisode: Int32Array;
  /** [numEnvs * goals] how many actions of each fixed-sequence goal this env has taken this episode. */
  private readonly cursor: Int32Array;
  private readonly avoid: number;
  private readonly blockedEvent: number;
  // BFS scratch
  private readonly queue: Int32Array;
  private readonly parent: Int32Array;
  private readonly stamp: Int32Array;
  private stampNow = 0;

  constructor(env: BatchEnv, readonly name: string, private readonly goals: readonly ScriptGoal[]) {
    this.pw = env.paddedWidth;
    this.cells = env.cells;
    this.visited = new Uint8Array(env.numEnvs * this.cells);
    this.givenUp = new Int32Array(env.numEnvs);
    this.lastEpisode = new Int32Array(env.numEnvs).fill(-1);
    this.cursor = new Int32Array(env.numEnvs * Math.max(1, goals.length));
    this.avoid = env.scenario.scripts.avoidTags;
    this.blockedEvent = env.scenario.eventByName.get('actionBlocked')!.code;
    this.queue = new Int32Array(this.cells);
    this.parent = new Int32Array(this.cells);
    this.stamp = new Int32Array(this.cells);
  }

  act(env: BatchEnv, actions: Uint8Array): void {
    // learn from the last step: a blocked attempt gives up its behaviour for the rest of the episode
    const ev = env.events;
    for (let k = 0; k < ev.count; k++) if (ev.kind[k] === this.blockedEvent) this.givenUp[ev.env[k]] |= 1 << ev.value[k];
    for (let i = 0; i < env.numEnvs; i++) {
      if (this.lastEpisode[i] !== env.episodeIndex[i]) {
        this.lastEpisode[i] = env.episodeIndex[i];
        this.givenUp[i] = 0;
        this.visited.fill(0, i * this.cells, (i + 1) * this.cells);
        this.cursor.fill(0, i * this.goals.length, (i + 1) * this.goals.length);
      }
      actions[i] = this.plan(env, i);
    }
  }

  private plan(env: BatchEnv, i: number): number {
    for (let g = 0; g < this.goals.length; g++) {
      const goal = this.goals[g];
      if (goal.behaviour >= 0 && this.givenUp[i] & (1 << goal.behaviour)) continue;
      if (goal.cond >= 0 && env.evaluate(i, goal.cond) === 0) continue;
      if (goal.actions) {
        // a fixed sequence: its next action, until it is used up
        const k = i * this.goals.length + g;
        if (this.cursor[k] < goal.actions.length) return goal.actions[this.cursor[k]++];
        continue;
      }
      const a = this.toward(env, i, goal);
      if (a >= 0) return a;
    }
    return Action.Stay;
  }

  /** The next action toward interacting with the nearest target of `goal`, or -1 if none is reachable. */
  private toward(env: BatchEnv, i: number, goal: ScriptGoal): number {
    const s = env.scenario;
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
        if (goal.targets[env.grid[base + n]] === 1 && !(goal.once && this.visited[base + n])) {
          if (c === start) {
            if (goal.reach) {
              if (goal.once) this.visited[base + n] = 1;
              return d; // step onto it
            }
            if (env.heading[i] !== d) return d; // bump to face it
            if (goal.once) this.visited[base + n] = 1;
            return Action.Interact;
          }
          let step = c;
          while (this.parent[step] !== start) step = this.parent[step];
          return this.dirTo(start, step);
        }
        const tile = env.grid[base + n];
        if (this.stamp[n] !== stamp && s.walkable[tile] === 1 && (s.tagBits[tile] & this.avoid) === 0) {
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
