// Rules compiled to typed arrays: a rule is a trigger, a tile filter, a condition, an optional behaviour (the
// rule is an attempt at a side strategy) and a list of effects. Rules and effects are stored as structures of
// arrays, and each tile trigger has a table indexed by tile code (CSR: offsets + rule ids), so the engine finds
// the rules for the faced tile with two array reads and runs them without allocating. Semantics (documented in
// docs/scenarios.md): every rule whose trigger, tile and condition match fires, in file order; the tile is the
// one the trigger saw, so a rule that replaces a tile does not make a later rule for the new tile fire.
import { nameList, type EventDef, type TileDef } from './scenario.ts';
import type { ScenarioFile } from './schema.ts';
import { ENGINE_END_REASONS } from './vocab.ts';

export const Trigger = { interact: 0, enter: 1, bump: 2, step: 3, start: 4, beforeAction: 5 } as const;
export const TRIGGER_NAMES = ['interact', 'enter', 'bump', 'step', 'start', 'beforeAction'] as const;

export const Effect = { emit: 0, set: 1, add: 2, replace: 3, end: 4, push: 5, move: 6, action: 7, replaceAll: 8 } as const;
const VERBS = ['emit', 'set', 'add', 'replace', 'end', 'push', 'move', 'action', 'replaceAll'] as const;

/** `replace … at:` */
export const AT_TARGET = 0;
export const AT_HERE = 1;

export interface CompiledRules {
  // ---- per rule (index = rule id, file order)
  readonly trigger: Uint8Array;
  /** For `on: { at: k }`: k (the rule is a step rule that fires only at step k); -1 otherwise. */
  readonly at: Int32Array;
  readonly cond: Int32Array; // expression id, -1 = always
  readonly behaviour: Int32Array; // behaviour index, -1 = none
  readonly effStart: Int32Array;
  readonly effEnd: Int32Array;
  // ---- per effect
  readonly effOp: Uint8Array;
  readonly effA: Int32Array; // event code, variable index, tile code, end reason, or push / replaceAll mask index
  readonly effB: Int32Array; // replace: AT_TARGET | AT_HERE; push: the tile left behind; replaceAll: the new tile
  readonly effExpr: Int32Array; // value / amount / action expression id, -1 = none
  readonly effCond: Int32Array; // expression id, -1 = always
  /** push and replaceAll masks: [numMasks * numTiles], 1 where the pushed tile may move onto that tile / where a tile is replaced. */
  readonly pushInto: Uint8Array;
  /** push masks only: [numMasks * numTiles], the tile a pushed tile becomes on landing on that tile, -1 = itself. */
  readonly pushBecome: Int16Array;
  // ---- indexes: rules per tile code for interact / enter / bump (CSR), and lists for the rest
  readonly interactStart: Int32Array;
  readonly interactIds: Int32Array;
  readonly enterStart: Int32Array;
  readonly enterIds: Int32Array;
  readonly bumpStart: Int32Array;
  readonly bumpIds: Int32Array;
  readonly stepIds: Int32Array;
  readonly startIds: Int32Array;
  readonly beforeActionIds: Int32Array;
  ruleMatchesTile(rule: number, tile: number): boolean;
  emitsOfRule(rule: number): number;
}

export interface RuleContext {
  fail(where: string, detail: string): never;
  tileCode(name: string, where: string): number;
  eventCode(name: string, where: string): number;
  behaviourIndex(name: string, where: string): number;
  compileExpr(src: number | string | boolean, where: string): number;
  varIndex(name: string): number;
  /** Termination reasons so far; `end: x` appends x if new. */
  endReasons: string[];
  numTiles: number;
  events: readonly EventDef[];
  tiles: readonly TileDef[];
}

export function compileRules(file: ScenarioFile, ctx: RuleContext): CompiledRules {
  const { fail } = ctx;
  const trigger: number[] = [];
  const at: number[] = [];
  const cond: number[] = [];
  const behaviour: number[] = [];
  const effStart: number[] = [];
  const effEnd: number[] = [];
  const tileSets: Uint8Array[] = [];
  const effOp: number[] = [];
  const effA: number[] = [];
  const effB: number[] = [];
  const effExpr: number[] = [];
  const effCond: number[] = [];
  const pushMasks: Uint8Array[] = [];
  const pushBecomes: Int16Array[] = [];
  const emits: number[] = [];
  const one = ctx.compileExpr(1, 'rules');
  // The agent stands only on walkable tiles (the engine moves it only onto them), so a rule may not lay a solid
  // tile where the agent is: under it (`at: here`, or the cell an enter rule's agent just entered), or on the
  // target of an interact / bump after an effect moved the agent there. Checked here, once, for every rule.
  const underAgent = (code: number, where: string) => {
    if (!ctx.tiles[code].walkable) fail(where, `expected a walkable tile (the agent stands on the cell), found "${ctx.tiles[code].name}"`);
  };
  /** Per tile trigger: tiles whose rules have moved the agent onto the target so far, in file order. */
  const movedOnto = new Map<number, Uint8Array>();

  file.rules.forEach((rule, r) => {
    const where = `rules[${r}]`;
    const trig = typeof rule.on === 'string' ? Trigger[rule.on] : Trigger.step;
    const onTile = trig === Trigger.interact || trig === Trigger.enter || trig === Trigger.bump;
    if (onTile && rule.tile === undefined) fail(`${where}.tile`, `expected the tile(s) ${trig === Trigger.bump ? 'a' : 'an'} ${TRIGGER_NAMES[trig]} rule applies to, found none`);
    if (!onTile && rule.tile !== undefined) fail(`${where}.tile`, `expected no tile on a ${typeof rule.on === 'string' ? rule.on : 'at'} rule (it is about the whole env), found ${JSON.stringify(rule.tile)}`);
    const tiles = new Uint8Array(ctx.numTiles);
    const tileList = rule.tile === undefined ? [] : Array.isArray(rule.tile) ? rule.tile : [rule.tile];
    tileList.forEach((t, k) => {
      const tw = Array.isArray(rule.tile) ? `${where}.tile[${k}]` : `${where}.tile`;
      const code = ctx.tileCode(t, tw);
      if (code === 0) fail(tw, 'expected a tile of the map, found "void" (the padding around the map; no rule may apply to it)');
      tiles[code] = 1;
    });
    if (rule.behaviour !== undefined && (trig === Trigger.start || trig === Trigger.beforeAction)) {
      fail(`${where}.behaviour`, `expected a behaviour only on an action the agent takes (interact, enter, bump, step), found one on ${rule.on as string}`);
    }
    trigger.push(trig);
    at.push(typeof rule.on === 'string' ? -1 : rule.on.at);
    cond.push(rule.if === undefined ? -1 : ctx.compileExpr(rule.if, `${where}.if`));
    behaviour.push(rule.behaviour === undefined ? -1 : ctx.behaviourIndex(rule.behaviour, `${where}.behaviour`));
    tileSets.push(tiles);
    effStart.push(effOp.length);
    let emitCount = 0;
    if ((trig === Trigger.interact || trig === Trigger.bump) && !movedOnto.has(trig)) movedOnto.set(trig, new Uint8Array(ctx.numTiles));
    const moved = movedOnto.get(trig);
    /** Some earlier effect (of this rule, or an earlier rule for one of its tiles) may have moved the agent onto the target. */
    const agentOnTarget = () => trig === Trigger.enter || (moved !== undefined && tileList.some((t) => moved[ctx.tileCode(t, where)] === 1));
    const markMoved = () => {
      if (moved) for (const t of tileList) moved[ctx.tileCode(t, where)] = 1;
    };
    rule.do.forEach((e, j) => {
      const ew = `${where}.do[${j}]`;
      const verbs = VERBS.filter((v) => e[v] !== undefined);
      if (verbs.length !== 1) {
        fail(ew, `expected exactly one of ${VERBS.join(', ')}, found ${verbs.length === 0 ? 'none' : verbs.join(' and ')}`);
      }
      const verb = verbs[0];
      if (e.value !== undefined && verb !== 'emit') fail(`${ew}.value`, `expected value only with emit, found it with ${verb}`);
      if (e.at !== undefined && verb !== 'replace') fail(`${ew}.at`, `expected at only with replace, found it with ${verb}`);
      const c = e.if === undefined ? -1 : ctx.compileExpr(e.if, `${ew}.if`);
      const push = (op: number, a: number, b: number, expr: number) => {
        effOp.push(op);
        effA.push(a);
        effB.push(b);
        effExpr.push(expr);
        effCond.push(c);
      };
      switch (verb) {
        case 'emit': {
          if (trig === Trigger.start) fail(`${ew}.emit`, 'expected no emit in an episode-start rule (there is no step to report it in), found one');
          const code = ctx.eventCode(e.emit!, `${ew}.emit`);
          if (ctx.events[code].engine) fail(`${ew}.emit`, `expected one of the scenario's events, found "${e.emit}" (the engine's own event)`);
          push(Effect.emit, code, 0, e.value === undefined ? one : ctx.compileExpr(e.value, `${ew}.value`));
          emitCount++;
          break;
        }
        case 'set':
        case 'add':
          for (const [v, x] of Object.entries((verb === 'set' ? e.set : e.add)!)) {
            const vi = ctx.varIndex(v);
            if (vi < 0) fail(`${ew}.${verb}.${v}`, `expected a declared variable (${nameList(Object.keys(file.variables)) || 'none declared'}), found "${v}"`);
            push(Effect[verb], vi, 0, ctx.compileExpr(x, `${ew}.${verb}.${v}`));
          }
          break;
        case 'replace':
          if (!onTile && e.at !== 'here') fail(`${ew}.replace`, `expected at: here on a ${rule.on as string} rule (it has no target cell), found none`);
          {
            const code = ctx.tileCode(e.replace!, `${ew}.replace`);
            if (e.at === 'here' || !onTile || agentOnTarget()) underAgent(code, `${ew}.replace`);
            push(Effect.replace, code, e.at === 'here' ? AT_HERE : AT_TARGET, -1);
          }
          break;
        case 'end': {
          if (trig === Trigger.start || trig === Trigger.beforeAction) fail(`${ew}.end`, `expected end only on a step's rules, found it on ${rule.on as string}`);
          if ((ENGINE_END_REASONS as readonly string[]).includes(e.end!)) {
            fail(`${ew}.end`, `expected a reason of the scenario's own, found "${e.end}" (one of the engine's: ${ENGINE_END_REASONS.join(', ')})`);
          }
          if (!ctx.endReasons.includes(e.end!)) ctx.endReasons.push(e.end!);
          push(Effect.end, ctx.endReasons.indexOf(e.end!), 0, -1);
          break;
        }
        case 'push': {
          if (trig !== Trigger.bump && trig !== Trigger.interact) fail(`${ew}.push`, `expected push only on a bump or interact rule (it pushes along the heading), found it on ${rule.on as string}`);
          const mask = new Uint8Array(ctx.numTiles);
          e.push!.into.forEach((t, k) => {
            const code = ctx.tileCode(t, `${ew}.push.into[${k}]`);
            if (code === 0) fail(`${ew}.push.into[${k}]`, 'expected a tile of the map, found "void" (nothing may be pushed off the map)');
            mask[code] = 1;
          });
          const become = new Int16Array(ctx.numTiles).fill(-1);
          for (const [on, to] of Object.entries(e.push!.becomes ?? {})) {
            const onCode = ctx.tileCode(on, `${ew}.push.becomes.${on}`);
            if (mask[onCode] !== 1) fail(`${ew}.push.becomes.${on}`, `expected a tile of push.into (${e.push!.into.join(', ')}), found "${on}"`);
            const toCode = ctx.tileCode(to, `${ew}.push.becomes.${on}`);
            if (toCode === 0) fail(`${ew}.push.becomes.${on}`, 'expected a tile of the map, found "void"');
            become[onCode] = toCode;
          }
          pushMasks.push(mask);
          pushBecomes[pushMasks.length - 1] = become;
          const leave = ctx.tileCode(e.push!.leave, `${ew}.push.leave`);
          if (ctx.tiles[leave].walkable) markMoved(); // the agent steps onto what the pushed tile leaves
          push(Effect.push, pushMasks.length - 1, leave, -1);
          break;
        }
        case 'move':
          if (trig !== Trigger.bump && trig !== Trigger.interact) fail(`${ew}.move`, `expected move only on a bump or interact rule (the target is the faced cell), found it on ${rule.on as string}`);
          markMoved();
          push(Effect.move, 0, 0, -1);
          break;
        case 'replaceAll': {
          const mask = new Uint8Array(ctx.numTiles);
          const to = ctx.tileCode(e.replaceAll!.to, `${ew}.replaceAll.to`);
          e.replaceAll!.from.forEach((t, k) => {
            const code = ctx.tileCode(t, `${ew}.replaceAll.from[${k}]`);
            if (code === 0) fail(`${ew}.replaceAll.from[${k}]`, 'expected a tile of the map, found "void" (the padding around the map is never replaced)');
            // the agent may stand on a walkable tile being replaced: what it becomes must be walkable too
            if (ctx.tiles[code].walkable) underAgent(to, `${ew}.replaceAll.to`);
            mask[code] = 1;
          });
          pushMasks.push(mask);
          pushBecomes[pushMasks.length - 1] = new Int16Array(ctx.numTiles).fill(-1);
          push(Effect.replaceAll, pushMasks.length - 1, to, -1);
          break;
        }
        case 'action':
          if (trig !== Trigger.beforeAction) fail(`${ew}.action`, `expected action only on a beforeAction rule, found it on ${rule.on as string}`);
          push(Effect.action, 0, 0, ctx.compileExpr(e.action!, `${ew}.action`));
          break;
      }
    });
    effEnd.push(effOp.length);
    emits.push(emitCount);
  });
  if (effOp.length > 4096) fail('rules', `expected at most 4096 effects in all, found ${effOp.length}`);

  const csr = (trig: number) => {
    const start = new Int32Array(ctx.numTiles + 1);
    const ids: number[] = [];
    for (let t = 0; t < ctx.numTiles; t++) {
      start[t] = ids.length;
      for (let r = 0; r < trigger.length; r++) if (trigger[r] === trig && tileSets[r][t]) ids.push(r);
    }
    start[ctx.numTiles] = ids.length;
    return { start, ids: Int32Array.from(ids) };
  };
  const list = (trig: number) => Int32Array.from(trigger.flatMap((tr, r) => (tr === trig ? [r] : [])));
  const interact = csr(Trigger.interact);
  const enter = csr(Trigger.enter);
  const bump = csr(Trigger.bump);
  const pushInto = new Uint8Array(Math.max(1, pushMasks.length) * ctx.numTiles);
  pushMasks.forEach((m, k) => pushInto.set(m, k * ctx.numTiles));
  const pushBecome = new Int16Array(Math.max(1, pushMasks.length) * ctx.numTiles).fill(-1);
  pushBecomes.forEach((b, k) => pushBecome.set(b, k * ctx.numTiles));
  return {
    trigger: Uint8Array.from(trigger),
    at: Int32Array.from(at),
    cond: Int32Array.from(cond),
    behaviour: Int32Array.from(behaviour),
    effStart: Int32Array.from(effStart),
    effEnd: Int32Array.from(effEnd),
    effOp: Uint8Array.from(effOp),
    effA: Int32Array.from(effA),
    effB: Int32Array.from(effB),
    effExpr: Int32Array.from(effExpr),
    effCond: Int32Array.from(effCond),
    pushInto,
    pushBecome,
    interactStart: interact.start,
    interactIds: interact.ids,
    enterStart: enter.start,
    enterIds: enter.ids,
    bumpStart: bump.start,
    bumpIds: bump.ids,
    stepIds: list(Trigger.step),
    startIds: list(Trigger.start),
    beforeActionIds: list(Trigger.beforeAction),
    ruleMatchesTile: (r, t) => tileSets[r][t] === 1,
    emitsOfRule: (r) => emits[r],
  };
}
