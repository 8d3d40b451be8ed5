// The batched engine: N environments of one scenario stepped together over structure-of-arrays typed arrays,
// with auto-reset. It is an interpreter: the world's rules, variables, events and channels come compiled from
// the scenario (sim/scenario.ts, sim/rules.ts, sim/expr.ts), and this module owns only what every world shares —
// movement, the order in which triggers fire, the reward / performance / cost channels, env-side guardrail
// enforcement, the firewall telemetry, episode bookkeeping and the observation. Every buffer is allocated once in
// the constructor; step() allocates nothing except seeding the random streams of episodes that start. The
// observation's layout is documented in observation.ts.
import type { Scenario } from './scenario.ts';
import { compileGuardrails, type CompiledGuardrails, type EnvGuardrailConfig } from './guardrails.ts';
import {
  Action, DX, DY, END_HORIZON, END_MONITOR_CAUGHT, END_RUNNING, END_TRIPWIRE, ENV_GUARDRAILS, NUM_ACTIONS,
} from './vocab.ts';
import { DEP_ALWAYS, DEP_CELLS, DEP_HEADING, DEP_T, DEP_VARS } from './expr.ts';
import { buildExprFns, canGenerateCode, generateExprFns, generateRuleFns, type ExprContext, type ExprFn, type RuleFn, type RuleHost } from './exprfn.ts';
import { AT_HERE, Effect } from './rules.ts';
import type { MechanicHost, MechanicInstance } from './mechanics/index.ts';
import { FNV_START, fnvMix } from './hash.ts';
import { makeRng, restoreRng, type Rng, type RngState } from './rng.ts';

/** Firewall alerts from a false positive carry this source instead of an event code. */
export const FALSE_POSITIVE = 255;

/** The per-env state arrays a snapshot carries. */
const SNAPSHOT_ARRAYS = [
  'grid', 'pos', 'heading', 't', 'vars', 'episodeSeed', 'episodeIndex', 'epReturn', 'epPerformance', 'epCost',
  'epBehaviours', 'epBlocked', 'epAlerts', 'carryStart', 'carryValid',
] as const;
/** Arrays a snapshot written before they existed may lack: empty or unused when the scenario carries nothing. */
const CARRY_ARRAYS: ReadonlySet<string> = new Set(['carryStart', 'carryValid']);

export interface EngineSnapshot {
  arrays: Record<string, number[]>;
  streams: Array<RngState[]>;
  done: number[];
}

export interface BatchEnvOptions {
  numEnvs: number;
  guardrails: EnvGuardrailConfig;
  /** Start a new episode in an env as soon as its episode ends (default true). */
  autoReset?: boolean;
  /** How formulas run: generated functions where allowed (the default), or closures (tests compare the two). */
  exprMode?: 'auto' | 'closures';
}

/** Derives the first episode seed of env `i` and its later ones, from the run seed. */
function episodeSeedStream(seed: number, env: number): Rng {
  return makeRng(`sidequest:${seed >>> 0}:env${env}`);
}

/** Per-event flags (BatchEnv.eventFlags): which consequences an event has, so emit does only those. */
const EV_PER_VALUE = 1;
const EV_REWARD = 2;
const EV_PERFORMANCE = 4;
const EV_COST = 8;
const EV_SEEN = 16;
const EV_BEHAVIOUR = 32;

/** A `changed` bit set only when an episode begins (for formulas that depend on nothing). */
const DEP_EPISODE = 32;


export class BatchEnv implements MechanicHost {
  readonly scenario: Scenario;
  readonly numEnvs: number;
  readonly guardrails: EnvGuardrailConfig;
  readonly autoReset: boolean;
  private readonly g: CompiledGuardrails;

  // ---- geometry: each env's grid is padded by `radius` void cells so the observation window never bounds-checks
  readonly radius: number;
  readonly paddedWidth: number;
  readonly paddedHeight: number;
  readonly cells: number; // paddedWidth * paddedHeight
  /** [numEnvs * paddedHeight * paddedWidth] tile codes, env-major, row-major within an env. */
  readonly grid: Uint8Array;

  // ---- per-env state (index = env)
  readonly pos: Int32Array; // padded cell index of the agent
  readonly heading: Uint8Array; // 0..3 = Action.Up..Left
  readonly t: Int32Array; // steps taken in the current episode
  /** [numEnvs * numVariables] the scenario's variables, in declaration order. */
  readonly vars: Float64Array;
  readonly numVars: number;
  readonly episodeSeed: Uint32Array;
  readonly episodeIndex: Int32Array; // episodes started in this env so far (0-based id of the current one)
  /**
   * Variables declared `carry: true` keep their value from one episode to the next in the same env (an adversary
   * that adapts across episodes): their indices, and per env their values when the current episode began
   * ([numEnvs * numCarried], what a recording stores so the episode replays alone) and whether the env has had
   * an episode to carry from (0: the next episode starts from the variables' init).
   */
  readonly carriedVars: Int32Array;
  readonly numCarried: number;
  readonly carryStart: Float64Array;
  readonly carryValid: Uint8Array;
  private readonly isCarried: Uint8Array;
  private readonly seedStreams: Rng[];
  private readonly monitorRng: Rng[];
  private readonly telemetryRng: Rng[];
  /** Streams for `random()` in the scenario's formulas and plug-ins' draws; only created when the scenario draws. */
  private readonly worldRng: Rng[];
  private readonly usesWorldRng: boolean;

  // ---- per-episode accumulators
  readonly epReturn: Float64Array;
  readonly epPerformance: Float64Array;
  readonly numCosts: number;
  readonly epCost: Float64Array; // [numEnvs * numCosts]
  readonly epBehaviours: Int32Array; // bit mask over behaviour indices that succeeded
  readonly epBlocked: Int32Array; // blocked attempts
  readonly epAlerts: Int32Array; // firewall alerts raised (incl. false positives)

  // ---- outputs of the last step (index = env)
  readonly obs: Uint8Array; // [numEnvs * window * window] perception codes, see observation.ts
  readonly numScalars: number;
  readonly scalars: Float32Array; // [numEnvs * numScalars]
  readonly reward: Float32Array;
  /**
   * The action the world carried out at this step: the policy's, unless a beforeAction rule replaced it (the
   * interruption's UP, the whisky's random move). An off-policy learner must learn from this one (Leike et al.
   * 2017 on Rainbow in the off-switch world); a policy-gradient learner credits the action it chose.
   */
  readonly applied: Uint8Array;
  readonly performance: Float32Array;
  readonly cost: Float32Array; // [numEnvs * numCosts]
  readonly terminated: Uint8Array;
  readonly truncated: Uint8Array;
  /** Why the episode that ended at this step ended (index into scenario.endReasons; 0 where none ended). */
  readonly endReason: Uint8Array;
  /** Stats of the episode that ended at this step in each env (valid where terminated|truncated). */
  readonly final: {
    readonly return: Float64Array; readonly performance: Float64Array; readonly cost: Float64Array;
    readonly behaviours: Int32Array; readonly blocked: Int32Array; readonly alerts: Int32Array;
    readonly length: Int32Array; readonly seed: Uint32Array; readonly index: Int32Array;
    /** [numEnvs * numVariables] the variables at the end. */
    readonly vars: Float64Array;
  };
  /** Events of the last step, in order: [count] entries of kind/env/x/y/value. */
  readonly events: {
    count: number; readonly kind: Uint8Array; readonly env: Int32Array; readonly x: Int16Array; readonly y: Int16Array;
    readonly value: Float64Array;
  };
  /** Firewall alerts of the last step: source event code (or FALSE_POSITIVE), env, position. */
  readonly alerts: { count: number; readonly source: Uint8Array; readonly env: Int32Array; readonly x: Int16Array; readonly y: Int16Array };

  // ---- the interpreter: compiled tables copied to fields (the hot path reads them without indirection)
  private readonly fns: ExprFn[];
  /** Each rule's effects as one generated function (null where eval is forbidden: effects() interprets them). */
  private readonly ruleFns: RuleFn[] | null;
  /** How this engine runs the scenario's formulas (sim/exprfn.ts). */
  readonly exprMode: 'generated' | 'closures';
  private readonly guardActive = new Uint8Array(ENV_GUARDRAILS.length);
  private readonly mechanics: MechanicInstance[];
  /** The env an expression is evaluated for, and the cells and event value it sees. */
  private cEnv = 0;
  /** The end reason a beforeAction rule caused in this step (END_RUNNING if none). */
  private preReason = END_RUNNING;
  private readonly ctx: ExprContext = { target: 0, from: 0, value: 0 };
  /** Behaviour index of the monitor's own "evaded" behaviour (never itself watched), or -1. */
  private readonly evadedBehaviour: number;
  private readonly evadedEvent: number;
  private readonly monitorAlertEvent: number;
  private readonly actionBlockedEvent: number;

  /**
   * Per env: what changed since its observation was last written (DEP_* bits). Scalars are re-evaluated only
   * when something they depend on changed: most change rarely (compute, coins), so this is what keeps the
   * interpreter as fast as the hand-written engine it replaced.
   */
  private readonly changed: Uint8Array;
  private readonly scalarDeps: Uint8Array;
  /** Per variable: real (1) or integer, and its bounds. */
  private readonly varReal: Uint8Array;
  private readonly varMin: Float64Array;
  private readonly varMax: Float64Array;
  /** Per event code: EV_* flags. */
  private readonly eventFlags: Uint8Array;
  /** Per env: a counter bumped whenever one of its variables changes (the cache of variable-only formulas). */
  private readonly varsStamp: Float64Array;
  /** Per expression: its cache slot if it reads only variables, else -1; per slot and env: value and stamp. */
  private readonly cacheSlot: Int32Array;
  private readonly cacheValue: Float64Array;
  private readonly cacheStamp: Float64Array;
  /** [numEnvs * cells] the perception code of every cell, kept beside the grid so the window copy is one load. */
  private readonly seenGrid: Uint8Array;

  // ---- scratch (allocated once)
  private readonly shuffle: Int32Array;
  private readonly fired: Int32Array;
  private readonly eventCap: number;
  private done: Uint8Array;
  private started = false;

  constructor(scenario: Scenario, opts: BatchEnvOptions) {
    if (!Number.isInteger(opts.numEnvs) || opts.numEnvs < 1 || opts.numEnvs > 65536) throw new RangeError(`numEnvs must be an integer in 1..65536, got ${opts.numEnvs}`);
    const s = scenario;
    this.scenario = s;
    this.numEnvs = opts.numEnvs;
    this.guardrails = opts.guardrails;
    this.autoReset = opts.autoReset ?? true;
    this.g = compileGuardrails(opts.guardrails, s);
    for (const name of opts.guardrails.names) this.guardActive[ENV_GUARDRAILS.indexOf(name)] = 1;
    const n = this.numEnvs;
    this.radius = (s.window - 1) >> 1;
    this.paddedWidth = s.width + 2 * this.radius;
    this.paddedHeight = s.height + 2 * this.radius;
    this.cells = this.paddedWidth * this.paddedHeight;
    this.grid = new Uint8Array(n * this.cells);
    this.pos = new Int32Array(n);
    this.heading = new Uint8Array(n);
    this.t = new Int32Array(n);
    this.numVars = s.variables.length;
    this.vars = new Float64Array(n * this.numVars);
    this.episodeSeed = new Uint32Array(n);
    this.episodeIndex = new Int32Array(n);
    this.carriedVars = Int32Array.from(s.variables.filter((v) => v.carry).map((v) => v.index));
    this.numCarried = this.carriedVars.length;
    this.carryStart = new Float64Array(n * this.numCarried);
    this.carryValid = new Uint8Array(n);
    this.isCarried = Uint8Array.from(s.variables, (v) => (v.carry ? 1 : 0));
    this.seedStreams = new Array<Rng>(n);
    this.monitorRng = new Array<Rng>(n);
    this.telemetryRng = new Array<Rng>(n);
    this.worldRng = new Array<Rng>(n);
    this.usesWorldRng = s.exprs.usesRandom || s.mechanics.some((m) => m.usesRandom === true);
    this.numCosts = s.costCategories.length;
    this.epReturn = new Float64Array(n);
    this.epPerformance = new Float64Array(n);
    this.epCost = new Float64Array(n * this.numCosts);
    this.epBehaviours = new Int32Array(n);
    this.epBlocked = new Int32Array(n);
    this.epAlerts = new Int32Array(n);
    this.obs = new Uint8Array(n * s.window * s.window);
    this.numScalars = s.scalarNames.length;
    this.scalars = new Float32Array(n * this.numScalars);
    this.reward = new Float32Array(n);
    this.applied = new Uint8Array(n);
    this.performance = new Float32Array(n);
    this.cost = new Float32Array(n * this.numCosts);
    this.terminated = new Uint8Array(n);
    this.truncated = new Uint8Array(n);
    this.endReason = new Uint8Array(n);
    this.final = {
      return: new Float64Array(n), performance: new Float64Array(n), cost: new Float64Array(n * this.numCosts),
      behaviours: new Int32Array(n), blocked: new Int32Array(n), alerts: new Int32Array(n), length: new Int32Array(n),
      seed: new Uint32Array(n), index: new Int32Array(n), vars: new Float64Array(n * this.numVars),
    };
    const cap = n * s.maxEventsPerStep;
    this.eventCap = cap;
    this.events = {
      count: 0, kind: new Uint8Array(cap), env: new Int32Array(cap), x: new Int16Array(cap), y: new Int16Array(cap),
      value: new Float64Array(cap),
    };
    // one false positive per env step, plus one per event that may be seen
    this.alerts = { count: 0, source: new Uint8Array(cap + n), env: new Int32Array(cap + n), x: new Int16Array(cap + n), y: new Int16Array(cap + n) };
    this.evadedEvent = s.eventByName.get('evadedMonitor')!.code;
    this.monitorAlertEvent = s.eventByName.get('monitorAlert')!.code;
    this.actionBlockedEvent = s.eventByName.get('actionBlocked')!.code;
    this.evadedBehaviour = s.behaviourOfEvent[this.evadedEvent];
    let maxCand = 1;
    for (const m of s.maps) for (const c of m.candidates.values()) maxCand = Math.max(maxCand, c.length);
    this.shuffle = new Int32Array(maxCand);
    this.fired = new Int32Array(Math.max(1, s.rules.trigger.length));
    this.done = new Uint8Array(n);
    this.changed = new Uint8Array(n).fill(0xff);
    this.varsStamp = new Float64Array(n);
    const deps = s.exprs.deps;
    let slots = 0;
    this.cacheSlot = Int32Array.from(deps, (d) => (d === DEP_VARS ? slots++ : -1));
    this.cacheValue = new Float64Array(slots * n);
    this.cacheStamp = new Float64Array(slots * n).fill(-1);
    this.seenGrid = new Uint8Array(n * this.cells);
    this.varReal = Uint8Array.from(s.variables, (v) => (v.real ? 1 : 0));
    this.varMin = Float64Array.from(s.variables, (v) => v.min);
    this.varMax = Float64Array.from(s.variables, (v) => v.max);
    this.eventFlags = Uint8Array.from(s.events, (e) =>
      (e.perValue ? EV_PER_VALUE : 0) |
      (s.rewardExpr[e.code] >= 0 || s.rewardByEvent[e.code] !== 0 ? EV_REWARD : 0) |
      (s.performanceExpr[e.code] >= 0 || s.performanceByEvent[e.code] !== 0 ? EV_PERFORMANCE : 0) |
      (s.costCategoryByEvent[e.code] >= 0 ? EV_COST : 0) |
      (s.firewallSees[e.code] > 0 ? EV_SEEN : 0) |
      (s.behaviourOfEvent[e.code] >= 0 ? EV_BEHAVIOUR : 0),
    );
    // a constant scalar is written once per episode (every bit is set when an episode begins)
    this.scalarDeps = Uint8Array.from(s.scalarExprs, (id) => s.exprs.deps[id] || DEP_EPISODE);
    this.mechanics = s.mechanics.map((m) => m.create(this));
    const host = {
      vars: this.vars, numVars: this.numVars, t: this.t, heading: this.heading, pos: this.pos, grid: this.grid, cells: this.cells,
      paddedWidth: this.paddedWidth, tagBits: s.tagBits, guardActive: this.guardActive, worldRng: this.worldRng, ctx: this.ctx,
    };
    this.exprMode = opts.exprMode === 'closures' || !canGenerateCode() ? 'closures' : 'generated';
    this.fns = this.exprMode === 'generated' ? generateExprFns(s.exprs, host) : buildExprFns(s.exprs, host);
    this.ruleFns = this.exprMode === 'generated' ? generateRuleFns(s.rules, s.exprs, host, this as unknown as RuleHost) : null;
  }

  /** Starts every env afresh. Env i's episodes draw their seeds from a stream derived from (seed, i). */
  reset(opts: { seed: number }): this {
    for (let i = 0; i < this.numEnvs; i++) {
      this.seedStreams[i] = episodeSeedStream(opts.seed, i);
      this.episodeIndex[i] = -1;
      this.carryValid[i] = 0; // every env starts afresh: carried variables from their init
      this.beginEpisode(i, (this.seedStreams[i]() * 0x100000000) >>> 0);
    }
    this.started = true;
    this.done.fill(0);
    this.clearStepOutputs();
    this.writeAllObservations();
    return this;
  }

  /**
   * Starts env i's next episode with an explicit seed (single-env API and replays use this). Carried variables
   * keep their values from env i's previous episode, or start from `carried` (values in the order of
   * `carriedVars`, as a recording's carriedAtStart gives them) so a replay begins where the recorded episode did.
   */
  resetEnv(i: number, episodeSeed: number, carried?: ArrayLike<number>): void {
    if (carried) {
      if (carried.length !== this.numCarried) throw new RangeError(`env ${i}: expected ${this.numCarried} carried values, got ${carried.length}`);
      for (let k = 0; k < carried.length; k++) if (!Number.isFinite(carried[k])) throw new RangeError(`env ${i}: carried value ${k} is not a finite number`);
    }
    if (!this.seedStreams[i]) this.seedStreams[i] = episodeSeedStream(episodeSeed, i);
    this.beginEpisode(i, episodeSeed >>> 0, carried);
    this.done[i] = 0;
    this.started = true;
    this.writeObservation(i);
  }

  /** Value of one of the scenario's formulas (e.g. scenario.namedExprs.get('compute')) in env i now. */
  evaluate(i: number, exprId: number): number {
    this.cEnv = i;
    this.ctx.target = this.pos[i];
    this.ctx.from = this.pos[i];
    return this.ev(exprId);
  }

  /** The carried variables' values when env i's current episode began, by name (undefined if none carry). */
  carriedAtStart(i: number): Record<string, number> | undefined {
    const nc = this.numCarried;
    if (nc === 0) return undefined;
    const vs = this.scenario.variables;
    return Object.fromEntries(Array.from(this.carriedVars, (v, k) => [vs[v].name, this.carryStart[i * nc + k]]));
  }

  /** Current value of a variable in env i. */
  variable(i: number, name: string): number {
    const v = this.scenario.variables.findIndex((x) => x.name === name);
    if (v < 0) throw new Error(`no variable "${name}" in ${this.scenario.id}`);
    return this.vars[i * this.numVars + v];
  }

  /**
   * Advances every env by one action. Envs whose episode ends report terminated/truncated and their episode's
   * stats in `final`; with autoReset the observation is then already the next episode's first.
   */
  step(actions: ArrayLike<number>): this {
    if (!this.started) throw new Error('step() before reset(): call reset({ seed }) first');
    if (actions.length < this.numEnvs) throw new RangeError(`expected ${this.numEnvs} actions, got ${actions.length}`);
    this.clearStepOutputs();
    const s = this.scenario;
    const rules = s.rules;
    for (let i = 0; i < this.numEnvs; i++) {
      if (this.done[i]) throw new Error(`env ${i}: step() after its episode ended; call resetEnv() (autoReset is off)`);
      let a = actions[i];
      if (!(a >= 0 && a < NUM_ACTIONS) || !Number.isInteger(a)) throw new RangeError(`env ${i}: invalid action ${a} (expected 0..5)`);
      if (s.stepReward >= 0 || s.stepPerformance >= 0) this.stepTerms(i);
      this.preReason = END_RUNNING;
      if (rules.beforeActionIds.length > 0) a = this.beforeAction(i, a);
      this.applied[i] = a;
      let reason = this.preReason;
      if (reason === END_RUNNING) {
        if (a <= Action.Left) reason = this.move(i, a);
        else if (a === Action.Interact) reason = this.interact(i);
      }
      if (reason === END_RUNNING && rules.stepIds.length > 0) reason = this.stepRules(i);
      for (let m = 0; m < this.mechanics.length && reason === END_RUNNING; m++) reason = this.mechanics[m].afterRules(i);
      // firewall false positives: one chance per env step, independent of what the agent did
      if (s.falsePositiveRate > 0 && this.telemetryRng[i]() < s.falsePositiveRate) this.alert(i, FALSE_POSITIVE);
      this.t[i]++;
      this.changed[i] |= DEP_T;
      if (reason === END_RUNNING && this.t[i] >= s.horizon) reason = END_HORIZON;
      if (reason !== END_RUNNING) {
        this.endEpisode(i, reason);
        if (this.autoReset) this.beginEpisode(i, (this.seedStreams[i]() * 0x100000000) >>> 0);
        else this.done[i] = 1;
      }
    }
    this.writeAllObservations();
    return this;
  }

  // ---- triggers ----------------------------------------------------------------------------------------------

  private stepTerms(i: number): void {
    const s = this.scenario;
    this.cEnv = i;
    this.ctx.target = this.ctx.from = this.pos[i];
    if (s.stepReward >= 0) {
      const r = this.ev(s.stepReward);
      this.reward[i] += r;
      this.epReturn[i] += r;
    }
    if (s.stepPerformance >= 0) {
      const p = this.ev(s.stepPerformance);
      this.performance[i] += p;
      this.epPerformance[i] += p;
    }
  }

  private beforeAction(i: number, action: number): number {
    const rules = this.scenario.rules;
    const ids = rules.beforeActionIds;
    let a = action;
    for (let k = 0; k < ids.length; k++) {
      const r = ids[k];
      this.cEnv = i;
      this.ctx.target = this.ctx.from = this.pos[i];
      if (rules.cond[r] >= 0 && this.ev(rules.cond[r]) === 0) continue;
      for (let e = rules.effStart[r]; e < rules.effEnd[r]; e++) {
        if (rules.effCond[e] >= 0 && this.ev(rules.effCond[e]) === 0) continue;
        if (rules.effOp[e] === Effect.action) {
          const v = Math.round(this.ev(rules.effExpr[e]));
          a = v < 0 ? 0 : v > NUM_ACTIONS - 1 ? NUM_ACTIONS - 1 : v;
        } else {
          // an event emitted here can end the episode (a tripwire, the monitor): the step then takes no action
          const res = this.effect(i, e, this.pos[i]);
          if (this.preReason === END_RUNNING) this.preReason = res;
        }
      }
    }
    return a;
  }

  private move(i: number, dir: number): number {
    const rules = this.scenario.rules;
    if (this.heading[i] !== dir) {
      this.heading[i] = dir;
      this.changed[i] |= DEP_HEADING;
    }
    const base = i * this.cells;
    const from = this.pos[i];
    const to = from + DX[dir] + DY[dir] * this.paddedWidth;
    const tile = this.grid[base + to];
    if (this.scenario.walkable[tile] === 0) {
      // bumping turns the agent to face the tile; bump rules may push it, open it...
      return this.tileRules(i, rules.bumpStart, rules.bumpIds, tile, to);
    }
    const first = rules.enterStart[tile];
    const last = rules.enterStart[tile + 1];
    if (first === last) {
      this.pos[i] = to;
      this.changed[i] |= DEP_CELLS; // the window and `here` moved
      return END_RUNNING;
    }
    // conditions and guardrails are checked before the agent moves (from = here); a blocked attempt cancels the move
    let n = 0;
    for (let k = first; k < last; k++) {
      const r = rules.enterIds[k];
      this.cEnv = i;
      this.ctx.target = to;
      this.ctx.from = from;
      if (rules.cond[r] >= 0 && this.ev(rules.cond[r]) === 0) continue;
      if (rules.behaviour[r] >= 0 && this.isBlocked(i, rules.behaviour[r], to)) return END_RUNNING;
      this.fired[n++] = r;
    }
    this.pos[i] = to;
    this.changed[i] |= DEP_CELLS;
    let reason = END_RUNNING;
    for (let k = 0; k < n; k++) {
      const res = this.effects(i, this.fired[k], to, from);
      if (reason === END_RUNNING) reason = res;
    }
    return reason;
  }

  private interact(i: number): number {
    const rules = this.scenario.rules;
    const h = this.heading[i];
    const target = this.pos[i] + DX[h] + DY[h] * this.paddedWidth;
    return this.tileRules(i, rules.interactStart, rules.interactIds, this.grid[i * this.cells + target], target);
  }

  /** Runs the rules of one tile trigger in order: condition, guardrail check, effects. */
  private tileRules(i: number, start: Int32Array, ids: Int32Array, tile: number, target: number): number {
    const rules = this.scenario.rules;
    const from = this.pos[i];
    let reason = END_RUNNING;
    for (let k = start[tile]; k < start[tile + 1]; k++) {
      const r = ids[k];
      this.cEnv = i;
      this.ctx.target = target;
      this.ctx.from = from;
      if (rules.cond[r] >= 0 && this.ev(rules.cond[r]) === 0) continue;
      if (rules.behaviour[r] >= 0 && this.isBlocked(i, rules.behaviour[r], target)) continue;
      const res = this.effects(i, r, target, from);
      if (reason === END_RUNNING) reason = res;
    }
    return reason;
  }

  /** Every-step and at-step-k rules, after the action, unless the action ended the episode. */
  private stepRules(i: number): number {
    const rules = this.scenario.rules;
    const ids = rules.stepIds;
    let reason = END_RUNNING;
    for (let k = 0; k < ids.length; k++) {
      const r = ids[k];
      if (rules.at[r] >= 0 && rules.at[r] !== this.t[i]) continue;
      const here = this.pos[i];
      this.cEnv = i;
      this.ctx.target = this.ctx.from = here;
      if (rules.cond[r] >= 0 && this.ev(rules.cond[r]) === 0) continue;
      if (rules.behaviour[r] >= 0 && this.isBlocked(i, rules.behaviour[r], here)) continue;
      const res = this.effects(i, r, here, here);
      if (reason === END_RUNNING) reason = res;
    }
    return reason;
  }

  /** A rule's effects in order; returns the first termination reason one of them causes. */
  private effects(i: number, r: number, target: number, from: number): number {
    if (this.ruleFns) return this.ruleFns[r](i, target, from);
    const rules = this.scenario.rules;
    let reason = END_RUNNING;
    // nothing an effect does moves the context (emit and the monitor stay in env i and read no cells of the rule)
    this.cEnv = i;
    this.ctx.target = target;
    this.ctx.from = from;
    const op = rules.effOp;
    const cond = rules.effCond;
    const expr = rules.effExpr;
    const arg = rules.effA;
    const end = rules.effEnd[r];
    for (let e = rules.effStart[r]; e < end; e++) {
      if (cond[e] >= 0 && this.ev(cond[e]) === 0) continue;
      // the common verbs here, the rest in effect()
      let res: number;
      const o = op[e];
      if (o === Effect.emit) res = this.emit(i, arg[e], this.ev(expr[e]), target);
      else if (o === Effect.add) {
        this.assign(i, arg[e], this.vars[i * this.numVars + arg[e]] + this.ev(expr[e]));
        continue;
      } else if (o === Effect.set) {
        this.assign(i, arg[e], this.ev(expr[e]));
        continue;
      } else res = this.effect(i, e, target);
      if (reason === END_RUNNING) reason = res;
    }
    return reason;
  }

  private effect(i: number, e: number, target: number): number {
    const rules = this.scenario.rules;
    const a = rules.effA[e];
    switch (rules.effOp[e]) {
      case Effect.emit:
        return this.emit(i, a, this.ev(rules.effExpr[e]), target);
      case Effect.set:
        this.assign(i, a, this.ev(rules.effExpr[e]));
        return END_RUNNING;
      case Effect.add:
        this.assign(i, a, this.vars[i * this.numVars + a] + this.ev(rules.effExpr[e]));
        return END_RUNNING;
      case Effect.replace:
        this.setTile(i, rules.effB[e] === AT_HERE ? this.pos[i] : target, a);
        return END_RUNNING;
      case Effect.end:
        return a;
      case Effect.push: {
        const base = i * this.cells;
        const h = this.heading[i];
        const beyond = target + DX[h] + DY[h] * this.paddedWidth;
        const nt = this.scenario.tiles.length;
        if (beyond < 0 || beyond >= this.cells || rules.pushInto[a * nt + this.grid[base + beyond]] === 0) return END_RUNNING;
        const become = rules.pushBecome[a * nt + this.grid[base + beyond]];
        this.setTile(i, beyond, become >= 0 ? become : this.grid[base + target]);
        this.setTile(i, target, rules.effB[e]);
        if (this.scenario.walkable[rules.effB[e]] === 1) this.pos[i] = target;
        return END_RUNNING; // setTile marked the change (of cells and so of the window)
      }
      case Effect.replaceAll: {
        // the map's cells only (the void padding is never in a mask), bounded by the grid's size
        const base = i * this.cells;
        const nt = this.scenario.tiles.length;
        const pw = this.paddedWidth;
        const r = this.radius;
        for (let y = r; y < r + this.scenario.height; y++) {
          for (let c = y * pw + r, last = y * pw + r + this.scenario.width; c < last; c++) {
            if (rules.pushInto[a * nt + this.grid[base + c]] === 1) this.setTile(i, c, rules.effB[e]);
          }
        }
        return END_RUNNING;
      }
      case Effect.move:
        if (this.scenario.walkable[this.grid[i * this.cells + target]] === 1) {
          this.pos[i] = target;
          this.changed[i] |= DEP_CELLS;
        }
        return END_RUNNING;
      default:
        return END_RUNNING; // `action` runs only in beforeAction
    }
  }

  /** Writes variable v of env i: clamped to its bounds, integers truncated toward zero. */
  private assign(i: number, v: number, value: number): void {
    let x = value !== value ? 0 : value;
    if (this.varReal[v] === 0) x = Math.trunc(x);
    if (x < this.varMin[v]) x = this.varMin[v];
    else if (x > this.varMax[v]) x = this.varMax[v];
    const k = i * this.numVars + v;
    if (this.vars[k] !== x) {
      this.vars[k] = x;
      this.changed[i] |= DEP_VARS;
      this.varsStamp[i]++;
    }
  }

  /** A draw in [0, 1) from env i's world stream, for plug-ins that declare `usesRandom` (as `random()` draws). */
  random(i: number): number {
    return this.worldRng[i]();
  }

  /** Writes a variable for a plug-in (the same clamping and change tracking as a rule's `set`). */
  setVariable(i: number, v: number, value: number): void {
    this.assign(i, v, value);
  }

  /** Changes a tile (plug-ins use this too). */
  setTile(i: number, cell: number, tile: number): void {
    this.grid[i * this.cells + cell] = tile;
    this.seenGrid[i * this.cells + cell] = this.scenario.seenOfTile[tile];
    this.changed[i] |= DEP_CELLS;
  }

  /** Recomputes env i's perception codes from its grid (after the grid was written wholesale). */
  private refreshSeen(i: number): void {
    const seen = this.scenario.seenOfTile;
    const base = i * this.cells;
    for (let c = 0; c < this.cells; c++) this.seenGrid[base + c] = seen[this.grid[base + c]];
  }

  /** Checks the guardrails for an attempt; a blocked attempt becomes an actionBlocked event. */
  private isBlocked(i: number, behaviour: number, at: number): boolean {
    if ((this.g.blockMask & (1 << behaviour)) === 0) return false;
    this.epBlocked[i]++;
    this.emit(i, this.actionBlockedEvent, behaviour, at);
    return true;
  }

  /**
   * Records an event and applies its consequences: reward / performance / cost terms, behaviour bookkeeping,
   * blocklist penalties, the monitor, the tripwire and the firewall. A constant term counts once per event, or
   * per unit of value for per-value events; a formula term is evaluated with `value` bound to the event's value.
   * Returns the termination reason this event causes (or running).
   */
  emit(i: number, kind: number, value: number, at: number): number {
    const s = this.scenario;
    const ev = this.events;
    if (ev.count >= this.eventCap) return END_RUNNING; // cannot happen: the cap is derived from the rules
    const v = value !== value ? 0 : value > 1e12 ? 1e12 : value < -1e12 ? -1e12 : value;
    const k = ev.count++;
    ev.kind[k] = kind;
    ev.env[k] = i;
    ev.x[k] = (at % this.paddedWidth) - this.radius;
    ev.y[k] = ((at / this.paddedWidth) | 0) - this.radius;
    ev.value[k] = v;
    const flags = this.eventFlags[kind];
    if (flags === 0) return END_RUNNING; // nothing is paid, charged, seen or counted for this event
    const weight = flags & EV_PER_VALUE ? v : 1;
    this.ctx.value = v;
    // a term of 0 is skipped: adding ±0 never changes a sum that starts at +0 (so this is exact)
    if (flags & EV_REWARD) {
      const r = this.term(s.rewardExpr[kind], s.rewardByEvent[kind], weight);
      this.reward[i] += r;
      this.epReturn[i] += r;
    }
    if (flags & EV_PERFORMANCE) {
      const p = this.term(s.performanceExpr[kind], s.performanceByEvent[kind], weight);
      this.performance[i] += p;
      this.epPerformance[i] += p;
    }
    if (flags & EV_COST) {
      const c = s.costCategoryByEvent[kind];
      const amount = this.term(s.costExpr[kind], s.costAmountByEvent[kind], weight);
      this.cost[i * this.numCosts + c] += amount;
      this.epCost[i * this.numCosts + c] += amount;
    }
    if (flags & EV_SEEN && this.telemetryRng[i]() < s.firewallSees[kind]) this.alert(i, kind);

    let reason = END_RUNNING;
    const b = flags & EV_BEHAVIOUR ? s.behaviourOfEvent[kind] : -1;
    if (b >= 0) {
      this.epBehaviours[i] |= 1 << b;
      if (this.g.penaltyMask & (1 << b)) this.penalise(i, this.g.penaltyReward);
      if (this.g.monitor && b !== this.evadedBehaviour) reason = this.watch(i, b);
      if (this.g.tripwireMask & (1 << b) && reason === END_RUNNING) reason = END_TRIPWIRE;
    }
    return reason;
  }

  /**
   * One channel term of an event: a constant amount times the weight, or a formula's value (one that folded to a
   * constant, like baseCompute / jobWork, is that constant and is not evaluated per event).
   */
  private term(expr: number, amount: number, weight: number): number {
    if (expr < 0) return amount * weight;
    const c = this.scenario.exprs.constant[expr];
    return c === c ? c : this.ev(expr);
  }

  /** The monitor guardrail: a violation in sight may be detected and penalised; out of sight it is evaded. */
  private watch(i: number, behaviour: number): number {
    const s = this.scenario;
    const m = this.g.monitor!;
    const bits = s.tagBits[this.grid[i * this.cells + this.pos[i]]];
    const inSight = s.hasWatched ? (bits & (1 << s.tagWatched)) !== 0 : s.tagOutside < 0 || (bits & (1 << s.tagOutside)) === 0;
    if (!inSight) return this.emit(i, this.evadedEvent, behaviour, this.pos[i]);
    if (this.monitorRng[i]() >= m.detect) return END_RUNNING;
    this.emit(i, this.monitorAlertEvent, behaviour, this.pos[i]);
    this.penalise(i, m.penalty);
    return m.terminate ? END_MONITOR_CAUGHT : END_RUNNING;
  }

  private penalise(i: number, amount: number): void {
    this.reward[i] -= amount;
    this.epReturn[i] -= amount;
  }

  private alert(i: number, source: number): void {
    const al = this.alerts;
    const k = al.count++;
    al.source[k] = source;
    al.env[k] = i;
    al.x[k] = (this.pos[i] % this.paddedWidth) - this.radius;
    al.y[k] = ((this.pos[i] / this.paddedWidth) | 0) - this.radius;
    this.epAlerts[i]++;
  }

  // ---- formulas: the scenario's bytecode, run as closures built once for this engine (sim/exprfn.ts) ---------

  /**
   * A formula's value in the current env. One that reads only variables is kept per env until a variable of that
   * env changes (compute, rule conditions such as `gpusMining > 0 and tunnelOpen > 0` checked every step).
   */
  private ev(id: number): number {
    const i = this.cEnv;
    const slot = this.cacheSlot[id];
    if (slot < 0) return this.fns[id](i);
    const k = slot * this.numEnvs + i;
    const stamp = this.varsStamp[i];
    if (this.cacheStamp[k] === stamp) return this.cacheValue[k];
    const v = this.fns[id](i);
    this.cacheValue[k] = v;
    this.cacheStamp[k] = stamp;
    return v;
  }

  // ---- episodes --------------------------------------------------------------------------------------------

  private beginEpisode(i: number, seed: number, carried?: ArrayLike<number>): void {
    const s = this.scenario;
    this.episodeSeed[i] = seed;
    this.episodeIndex[i]++;
    const rng = makeRng(`${seed}`);
    this.monitorRng[i] = makeRng(`${seed}/monitor`);
    this.telemetryRng[i] = makeRng(`${seed}/telemetry`);
    if (this.usesWorldRng) this.worldRng[i] = makeRng(`${seed}/world`);
    // a map variant (drawn only when there are several), then placements, in a fixed order so a seed always
    // gives the same layout
    const map = s.maps.length > 1 ? s.maps[Math.floor(rng() * s.maps.length)] : s.maps[0];
    const base = i * this.cells;
    const pw = this.paddedWidth;
    const r = this.radius;
    this.grid.fill(0, base, base + this.cells);
    for (let y = 0; y < s.height; y++) {
      const src = y * s.width;
      const dst = base + (y + r) * pw + r;
      for (let x = 0; x < s.width; x++) this.grid[dst + x] = map.grid[src + x];
    }
    for (const p of s.placements) {
      if (p.count === 0) continue;
      const cands = map.candidates.get(p.group)!;
      const k = this.drawCandidates(rng, cands, p.count);
      for (let j = k - p.count; j < k; j++) this.grid[base + this.padded(this.shuffle[j])] = p.tile;
    }
    this.refreshSeen(i);
    if (map.agentStart >= 0) this.pos[i] = this.padded(map.agentStart);
    else {
      const k = this.drawCandidates(rng, map.candidates.get('agent')!, 1);
      this.pos[i] = this.padded(this.shuffle[k - 1]);
    }
    this.heading[i] = Action.Up;
    this.t[i] = 0;
    this.changed[i] = 0xff;
    this.epReturn[i] = 0;
    this.epPerformance[i] = 0;
    this.epCost.fill(0, i * this.numCosts, (i + 1) * this.numCosts);
    this.epBehaviours[i] = 0;
    this.epBlocked[i] = 0;
    this.epAlerts[i] = 0;
    this.cEnv = i;
    this.ctx.target = this.ctx.from = this.pos[i];
    const nc = this.numCarried;
    if (carried) {
      for (let k = 0; k < nc; k++) this.assign(i, this.carriedVars[k], carried[k]);
      this.carryValid[i] = 1;
    }
    const keep = this.carryValid[i] === 1;
    // every init is evaluated, a kept carried variable's too, so its random() draws happen whether the episode
    // starts afresh or from carried values (a replay given them must draw what the recording drew)
    for (let v = 0; v < this.numVars; v++) {
      const x = this.ev(s.variables[v].init);
      if (!(keep && this.isCarried[v])) this.assign(i, v, x);
    }
    for (let k = 0; k < nc; k++) this.carryStart[i * nc + k] = this.vars[i * this.numVars + this.carriedVars[k]];
    if (nc > 0) this.carryValid[i] = 1;
    const rules = s.rules;
    for (let k = 0; k < rules.startIds.length; k++) {
      const rule = rules.startIds[k];
      this.cEnv = i;
      this.ctx.target = this.ctx.from = this.pos[i];
      if (rules.cond[rule] >= 0 && this.ev(rules.cond[rule]) === 0) continue;
      this.effects(i, rule, this.pos[i], this.pos[i]);
    }
    for (let m = 0; m < this.mechanics.length; m++) this.mechanics[m].begin?.(i);
  }

  /** Partial Fisher–Yates into `shuffle`: the chosen `count` cells are at the end of the first `cands.length`. */
  private drawCandidates(rng: Rng, cands: Int32Array, count: number): number {
    const n = cands.length;
    const sh = this.shuffle;
    for (let j = 0; j < n; j++) sh[j] = cands[j];
    for (let j = n - 1; j >= n - count; j--) {
      const k = Math.floor(rng() * (j + 1));
      const tmp = sh[j];
      sh[j] = sh[k];
      sh[k] = tmp;
    }
    return n;
  }

  private endEpisode(i: number, reason: number): void {
    if (reason === END_HORIZON) this.truncated[i] = 1;
    else this.terminated[i] = 1;
    this.endReason[i] = reason;
    const f = this.final;
    const nc = this.numCosts;
    f.return[i] = this.epReturn[i];
    f.performance[i] = this.epPerformance[i];
    for (let c = 0; c < nc; c++) f.cost[i * nc + c] = this.epCost[i * nc + c];
    f.behaviours[i] = this.epBehaviours[i];
    f.blocked[i] = this.epBlocked[i];
    f.alerts[i] = this.epAlerts[i];
    f.length[i] = this.t[i];
    f.seed[i] = this.episodeSeed[i];
    f.index[i] = this.episodeIndex[i];
    const nv = this.numVars;
    for (let v = 0; v < nv; v++) f.vars[i * nv + v] = this.vars[i * nv + v];
  }

  private clearStepOutputs(): void {
    this.events.count = 0;
    this.alerts.count = 0;
    this.reward.fill(0);
    this.performance.fill(0);
    this.cost.fill(0);
    this.terminated.fill(0);
    this.truncated.fill(0);
    this.endReason.fill(0);
  }

  // ---- observations ----------------------------------------------------------------------------------------

  private writeAllObservations(): void {
    for (let i = 0; i < this.numEnvs; i++) this.writeObservation(i);
  }

  /**
   * Writes env i's observation. Only what changed is rewritten: the window when the agent moved or a tile changed
   * (the window is not rotated, so turning leaves it as it was), a scalar when something its formula reads changed.
   * The buffers keep the rest from the last step, so the result is the same as writing everything.
   */
  private writeObservation(i: number): void {
    const changed = this.changed[i];
    if (changed === 0) return;
    this.changed[i] = 0;
    const s = this.scenario;
    if (changed & DEP_CELLS) {
      const w = s.window;
      const pw = this.paddedWidth;
      let o = i * w * w;
      const start = i * this.cells + this.pos[i] - this.radius * pw - this.radius;
      const sg = this.seenGrid;
      const obs = this.obs;
      for (let r = 0; r < w; r++) {
        const row = start + r * pw;
        for (let c = 0; c < w; c++) obs[o++] = sg[row + c];
      }
    }
    const ns = this.numScalars;
    const b = i * ns;
    const exprs = s.scalarExprs;
    this.cEnv = i;
    this.ctx.target = this.ctx.from = this.pos[i];
    const deps = this.scalarDeps;
    for (let k = 0; k < ns; k++) {
      if ((deps[k] & (changed | DEP_ALWAYS)) === 0) continue; // nothing it reads changed: the value stands
      const v = this.ev(exprs[k]);
      this.scalars[b + k] = v > 0 ? (v < 1 ? v : 1) : 0; // in [0, 1], as the agents expect
    }
  }

  // ---- snapshots (resume after a crash) -------------------------------------------------------------------

  /** Everything needed to continue exactly where this env left off: typed arrays and random stream states. */
  snapshot(): EngineSnapshot {
    const arrays: Record<string, number[]> = {};
    for (const k of SNAPSHOT_ARRAYS) arrays[k] = Array.from(this[k]);
    const world = this.usesWorldRng;
    return {
      arrays,
      streams: this.seedStreams.map((r, i) => {
        const st = [r.state(), this.monitorRng[i].state(), this.telemetryRng[i].state()];
        if (world) st.push(this.worldRng[i].state());
        return st;
      }),
      done: Array.from(this.done),
    };
  }

  restore(snap: EngineSnapshot): void {
    for (const k of SNAPSHOT_ARRAYS) {
      const src = snap.arrays[k];
      if (!src && CARRY_ARRAYS.has(k) && this.numCarried === 0) continue;
      if (!src || src.length !== this[k].length) throw new Error(`snapshot does not fit this env: ${k}`);
      this[k].set(src);
    }
    const world = this.usesWorldRng;
    if (snap.streams.length !== this.numEnvs) throw new Error('snapshot does not fit this env: streams');
    snap.streams.forEach((st, i) => {
      if (st.length !== (world ? 4 : 3)) throw new Error('snapshot does not fit this env: streams');
      this.seedStreams[i] = restoreRng(st[0]);
      this.monitorRng[i] = restoreRng(st[1]);
      this.telemetryRng[i] = restoreRng(st[2]);
      if (world) this.worldRng[i] = restoreRng(st[3]);
    });
    this.done.set(snap.done);
    this.started = true;
    this.changed.fill(0xff);
    this.cacheStamp.fill(-1);
    for (let i = 0; i < this.numEnvs; i++) this.refreshSeen(i);
    this.clearStepOutputs();
    this.writeAllObservations();
  }

  // ---- inspection ------------------------------------------------------------------------------------------

  private padded(cell: number): number {
    const w = this.scenario.width;
    return ((cell / w) | 0) * this.paddedWidth + this.radius + (cell % w) + this.radius * this.paddedWidth;
  }

  /** Agent position of env i in map coordinates. */
  agentXY(i: number): { x: number; y: number } {
    return { x: (this.pos[i] % this.paddedWidth) - this.radius, y: ((this.pos[i] / this.paddedWidth) | 0) - this.radius };
  }

  /** Tile code at map (x, y) in env i. */
  tileAt(i: number, x: number, y: number): number {
    return this.grid[i * this.cells + (y + this.radius) * this.paddedWidth + x + this.radius];
  }

  /**
   * A hash of env i's full dynamic state (not its random streams), for recordings and replay checks: the agent,
   * the step, every variable (integers as they are, reals to 1e-6), the return so far and the grid.
   */
  stateHash(i: number): string {
    return (this.stateHash32(i) >>> 0).toString(16).padStart(8, '0');
  }

  /** stateHash as a number (allocates nothing): what training recordings store at their stride. */
  stateHash32(i: number): number {
    let h = FNV_START;
    h = fnvMix(h, this.pos[i]);
    h = fnvMix(h, this.heading[i]);
    h = fnvMix(h, this.t[i]);
    const vs = this.scenario.variables;
    for (let v = 0; v < this.numVars; v++) {
      const x = this.vars[i * this.numVars + v];
      h = fnvMix(h, vs[v].real ? Math.round(x * 1e6) : x);
    }
    h = fnvMix(h, Math.round(this.epReturn[i] * 1e6));
    const base = i * this.cells;
    for (let c = 0; c < this.cells; c++) h = fnvMix(h, this.grid[base + c]);
    return h >>> 0;
  }
}
