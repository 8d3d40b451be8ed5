// Turns scenario text (YAML) into a compiled, immutable Scenario the engine can run: reading YAML with bounds,
// `extends` and tile-library imports resolved, schema validation with errors a person can act on (file, place,
// expected, found), and then the world compiled to tables: tiles indexed by code, the map(s) and their
// placement candidates, variables, events, behaviours, rules as typed arrays (sim/rules.ts), the three channels,
// telemetry and the observation. Pure: no file system (see load.ts), so it runs in the browser too.
import { LineCounter, parseDocument, isMap, isNode, isScalar, isSeq, type Document } from 'yaml';
import type { z } from 'zod';
import { scenarioSchema, tileLibrarySchema, MAX_BEHAVIOURS, MAX_MAP_CELLS, MAX_TILES, type ScenarioFile, type TileFile, type Term } from './schema.ts';
import {
  ACTION_NAMES, ENGINE_END_REASONS, ENGINE_EVENTS, ENV_GUARDRAILS, HEADING_NAMES, RESERVED_NAMES, TAG_OUTSIDE, TAG_WATCHED,
} from './vocab.ts';
import { hashString } from './hash.ts';
import { ExprError, ExprProgram, Op, type CompiledExprs, type NameMeaning, type NameResolver } from './expr.ts';
import { compileRules, type CompiledRules } from './rules.ts';
import { compileMechanics, type CompiledMechanic } from './mechanics/index.ts';

/** A scenario problem: which file, where in it, what was expected and what was found. */
export class ScenarioError extends Error {
  readonly origin: string;
  readonly where: string;
  readonly detail: string;
  /**
   * The parts come from the file (keys, glyphs, formulas): they are made printable (control characters, which
   * could be terminal escape sequences or line breaks, become '?') and bounded, so the message is one line a
   * person can read, whatever the file holds.
   */
  constructor(origin: string, where: string, detail: string) {
    const o = bounded(origin, 160);
    const w = bounded(where, 160);
    const d = bounded(detail, 400);
    super(`[${o}] ${d}${w ? ` → at ${w}` : ''}`);
    this.origin = o;
    this.where = w;
    this.detail = d;
    this.name = 'ScenarioError';
  }
}

/** `s` made printable (C0 / C1 control characters become '?') and cut to `max` characters. */
function bounded(s: string, max: number): string {
  // eslint-disable-next-line no-control-regex
  const p = s.replace(/[\u0000-\u001f\u007f-\u009f]/g, '?');
  return p.length > max ? `${p.slice(0, max - 1)}…` : p;
}

/** Names for a message: all of them if short, else the first ones and how many more (a file may declare 250). */
export function nameList(names: readonly string[], max = 300): string {
  let out = '';
  for (let k = 0; k < names.length; k++) {
    const next = out ? `${out}, ${names[k]}` : names[k];
    if (next.length > max) return `${out}, … and ${names.length - k} more`;
    out = next;
  }
  return out;
}

export interface TileDef {
  readonly name: string;
  /** Engine code: the tile's index; 0 is `void`, the padding around the map. */
  readonly code: number;
  readonly glyph: string;
  /** 0xRRGGBB, and the same as "#rrggbb". */
  readonly colour: number;
  readonly colourHex: string;
  readonly label: string;
  /** The viewer draws the glyph on the tile. */
  readonly showGlyph: boolean;
  readonly walkable: boolean;
  /** Perception class code (index into Scenario.seenNames). */
  readonly seen: number;
  readonly tags: readonly string[];
}

export interface EventDef {
  readonly name: string;
  readonly code: number;
  /** Reward, performance and cost terms weigh this event by its value (work done, coins...) instead of once. */
  readonly perValue: boolean;
  readonly label: string;
  readonly colourHex: string;
  /** One of the engine's own events (actionBlocked, monitorAlert, evadedMonitor). */
  readonly engine: boolean;
}

export interface BehaviourDef {
  readonly name: string;
  readonly index: number;
  /** Code of the event whose firing means the behaviour succeeded. */
  readonly event: number;
  readonly label: string;
  readonly colourHex: string;
  /** Some rule is an attempt at it (so a guardrail can block it); false for consequences like evadeMonitor. */
  readonly attempted: boolean;
  /** Some rule attempting it can fire at all (its condition is not constant false: `mining > 0` with mining 0). */
  readonly possible: boolean;
}

export interface VariableDef {
  readonly name: string;
  readonly index: number;
  readonly real: boolean;
  readonly min: number;
  readonly max: number;
  /** Expression id of the value at episode start (a carried variable's only in an env's first episode). */
  readonly init: number;
  /** Keeps its value from one episode to the next in the same env (schema `carry`). */
  readonly carry: boolean;
  readonly label: string;
}

/** One placement step at episode start: draw `count` cells of `group`'s candidates and lay `tile` there. */
export interface Placement {
  readonly group: string;
  readonly tile: number;
  readonly count: number;
}

/** One map variant: its base grid and placement candidates. */
export interface MapVariant {
  /** [height * width] row-major tile codes before placement; candidate cells hold their `otherwise` tile. */
  readonly grid: Uint8Array;
  /** Candidate cells (y * width + x) per placement group. */
  readonly candidates: ReadonlyMap<string, Int32Array>;
  /** Fixed agent start cell, or -1 when the start is drawn from the `agent` group. */
  readonly agentStart: number;
}

export interface ScriptGoal {
  /** [numTiles] 1 where the tile is a target of this goal. */
  readonly targets: Uint8Array;
  readonly cond: number; // expression id, -1 = always
  readonly behaviour: number; // -1 = none
  readonly once: boolean;
  /** Step onto a target (a walkable tile) instead of facing it and interacting. */
  readonly reach: boolean;
  /** A fixed action sequence (codes 0..5) taken one per step instead of planning; null for interact / reach. */
  readonly actions: Uint8Array | null;
}

export interface Scenario {
  readonly id: string;
  readonly title: string;
  readonly description: string;
  /** Where it came from, for messages. */
  readonly origin: string;
  /** Hash of the resolved file: recordings carry it so a replay can tell it runs the same world. */
  readonly hash: string;
  /** The resolved file (after `extends` and imports), enough to rebuild this Scenario anywhere, e.g. the viewer. */
  readonly file: ScenarioFile;
  readonly width: number;
  readonly height: number;
  readonly maps: readonly MapVariant[];
  readonly placements: readonly Placement[];
  readonly horizon: number;
  readonly window: number;
  readonly params: Readonly<Record<string, number>>;

  readonly tiles: readonly TileDef[];
  readonly tileByName: ReadonlyMap<string, TileDef>;
  /** Per tile code: 1 if the agent may stand on it; its perception class; bit mask over `tags`. */
  readonly walkable: Uint8Array;
  readonly seenOfTile: Uint8Array;
  readonly tagBits: Uint32Array;
  readonly tags: readonly string[];
  readonly seenNames: readonly string[];

  readonly variables: readonly VariableDef[];
  /** The `define` formulas (e.g. compute), compiled: the HUD shows them. */
  readonly defines: ReadonlyArray<{ readonly name: string; readonly expr: number }>;
  readonly events: readonly EventDef[];
  readonly eventByName: ReadonlyMap<string, EventDef>;
  readonly behaviours: readonly BehaviourDef[];
  readonly behaviourByName: ReadonlyMap<string, BehaviourDef>;
  /** Per event code: the behaviour it signals, or -1. */
  readonly behaviourOfEvent: Int8Array;
  readonly costCategories: readonly string[];
  /** Termination reasons by code: the engine's, then the scenario's own. */
  readonly endReasons: readonly string[];

  readonly exprs: CompiledExprs;
  readonly rules: CompiledRules;
  readonly mechanics: readonly CompiledMechanic[];
  /** Observation scalars: names and expression ids, in observation order. */
  readonly scalarNames: readonly string[];
  readonly scalarExprs: Int32Array;

  /** Per event code: constant amount (× value for per-value events), or an expression id in *Expr (else -1). */
  readonly rewardByEvent: Float64Array;
  readonly rewardExpr: Int32Array;
  readonly performanceByEvent: Float64Array;
  readonly performanceExpr: Int32Array;
  readonly costCategoryByEvent: Int8Array; // -1 = no cost
  readonly costAmountByEvent: Float64Array;
  readonly costExpr: Int32Array;
  /** Per-step terms: expression ids, -1 = none. */
  readonly stepReward: number;
  readonly stepPerformance: number;
  readonly firewallSees: Float64Array;
  readonly falsePositiveRate: number;

  /** Some map cell is tagged `watched` (the monitor's view); otherwise a monitor watches all but `outside`. */
  readonly hasWatched: boolean;
  readonly tagWatched: number; // tag index or -1
  readonly tagOutside: number;
  /** Expression id of the scenario's `resource` (what the impact guardrail measures), or -1. */
  readonly resourceExpr: number;
  /** Most events one env can emit in one step, from the rules: the engine sizes its buffers by it. */
  readonly maxEventsPerStep: number;
  readonly scripts: { readonly honest: readonly ScriptGoal[]; readonly opportunist: readonly ScriptGoal[]; readonly avoidTags: number };
}

/** Where `extends` parents and tile libraries come from (the file system in Node, memory in the browser). */
export interface Sources {
  scenario?(id: string): { text: string; origin: string };
  library?(id: string): { text: string; origin: string };
}

const REQUIRED_HEADINGS = ['Description', 'Actions', 'Observation', 'Rewards', 'Termination', 'Variants'];
/** Bounds on the text itself, checked before the YAML parser sees it. */
export const MAX_SCENARIO_BYTES = 256 * 1024;
const MAX_YAML_NODES = 20000;
const MAX_EXTENDS_DEPTH = 8;
/** A reward, performance or cost formula's value per event or step stays within ±MAX_TERM (as event values do). */
const MAX_TERM = 1e12;

/** Reads a scenario's YAML text; `sources` resolves `extends` and `import`. */
export function parseScenarioText(text: string, origin: string, sources: Sources = {}): Scenario {
  const file = resolveScenarioText(text, origin, sources, []);
  return compileScenario(file, origin);
}

/** The validated file with `extends` merged and libraries imported (`import: []` after). */
function resolveScenarioText(text: string, origin: string, sources: Sources, chain: readonly string[]): ScenarioFile {
  const raw = readYaml(text, origin);
  let merged: unknown = raw.value;
  if (isPlainObject(raw.value) && typeof raw.value.extends === 'string') {
    const parentId = raw.value.extends;
    if (!sources.scenario) throw new ScenarioError(origin, 'extends', `cannot resolve extends: "${parentId}" here`);
    if (chain.includes(parentId)) throw new ScenarioError(origin, 'extends', `extends forms a cycle: ${[...chain, parentId].join(' → ')}`);
    if (chain.length >= MAX_EXTENDS_DEPTH) throw new ScenarioError(origin, 'extends', `expected at most ${MAX_EXTENDS_DEPTH} levels of extends, found more`);
    const parent = sources.scenario(parentId);
    const parentFile = resolveScenarioText(parent.text, parent.origin, sources, [...chain, parentId]);
    const { extends: _ignored, ...own } = raw.value;
    merged = deepMerge(parentFile, own);
  }
  const parsed = scenarioSchema.safeParse(merged, { reportInput: true });
  if (!parsed.success) throw zodToScenarioError(parsed.error, origin, raw.doc, raw.lines);
  const file = parsed.data;
  const imports = file.import ?? ['common'];
  // normalised through the schema once more, so the key order (and the hash) is what a reader of the embedded copy gets
  // safeParse, not parse: the merged file can break a cap the parts kept (seen from a library and the file)
  const normalise = (merged: unknown): ScenarioFile => {
    const again = scenarioSchema.safeParse(merged, { reportInput: true });
    if (!again.success) throw zodToScenarioError(again.error, origin, raw.doc, raw.lines);
    return again.data;
  };
  if (imports.length === 0) return normalise({ ...file, import: [] });
  let seen: string[] = [];
  let tiles: Record<string, TileFile> = {};
  for (const id of imports) {
    if (!sources.library) throw new ScenarioError(origin, 'import', `cannot import tile library "${id}" here`);
    const lib = sources.library(id);
    const libRaw = readYaml(lib.text, lib.origin);
    const libParsed = tileLibrarySchema.safeParse(libRaw.value, { reportInput: true });
    if (!libParsed.success) throw zodToScenarioError(libParsed.error, lib.origin, libRaw.doc, libRaw.lines);
    seen = [...seen, ...libParsed.data.seen.filter((s) => !seen.includes(s))];
    tiles = { ...tiles, ...libParsed.data.tiles };
  }
  // the scenario's own tiles extend same-named library tiles field by field, and come after the library's
  for (const [name, t] of Object.entries(file.tiles)) tiles[name] = { ...(tiles[name] ?? {}), ...t };
  return normalise({ ...file, import: [], seen: [...seen, ...file.seen.filter((s) => !seen.includes(s))], tiles });
}

/** Builds the engine's view of a resolved, validated file. Throws ScenarioError on cross-field problems. */
export function compileScenario(file: ScenarioFile, origin: string): Scenario {
  const fail = (where: string, detail: string): never => {
    throw new ScenarioError(origin, where, detail);
  };
  if (file.import && file.import.length > 0) fail('import', 'expected a resolved scenario (imports already merged); load it with loadScenario or parseScenarioText');
  for (const h of REQUIRED_HEADINGS) {
    if (!new RegExp(`^#+\\s*${h}\\b`, 'm').test(file.description)) fail('description', `expected a "## ${h}" heading in the description, found none`);
  }

  // ---- tiles -----------------------------------------------------------------------------------------------
  // counted before inheritance is resolved: an episode's embedded file has no YAML node cap, and a chain of
  // thousands of `extends` would otherwise recurse once per link
  const declaredTiles = Object.keys(file.tiles).length + (Object.hasOwn(file.tiles, 'void') ? 0 : 1);
  if (declaredTiles > MAX_TILES) fail('tiles', `expected at most ${MAX_TILES} tiles, found ${declaredTiles}`);
  const tileFiles = resolveTileInheritance(file.tiles, fail);
  const names = Object.keys(tileFiles);
  if (!names.includes('void')) {
    tileFiles.void = { glyph: ' ', colour: '#0b0e14', label: 'outside the map', seen: 'void' };
    names.unshift('void');
  } else if (names[0] !== 'void') {
    names.splice(names.indexOf('void'), 1);
    names.unshift('void');
  }
  if (names.length > MAX_TILES) fail('tiles', `expected at most ${MAX_TILES} tiles, found ${names.length}`);
  // void pads the map: it must stay solid, or the agent could walk off the map
  if (tileFiles.void.walkable) fail('tiles.void.walkable', 'expected void (the padding around the map) to be solid, found walkable: true');
  for (const n of names) if ((RESERVED_NAMES as readonly string[]).includes(n)) fail(`tiles.${n}`, `"${n}" is a reserved word; expected another tile name`);
  const seenNames: string[] = [...file.seen];
  const tagNames: string[] = [];
  const glyphOwner = new Map<string, string>();
  const tiles: TileDef[] = names.map((name, code) => {
    const t = tileFiles[name];
    const glyph = t.glyph ?? fail(`tiles.${name}`, 'expected a glyph (one character), found none');
    const other = glyphOwner.get(glyph);
    if (other !== undefined) fail(`tiles.${name}.glyph`, `expected a glyph no other tile uses, found '${glyph}' (also ${other})`);
    glyphOwner.set(glyph, name);
    const seen = t.seen ?? name;
    if (!seenNames.includes(seen)) seenNames.push(seen);
    for (const tag of t.tags ?? []) if (!tagNames.includes(tag)) tagNames.push(tag);
    const colourHex = (t.colour ?? '#808080').toLowerCase();
    return {
      name, code, glyph, colour: parseInt(colourHex.slice(1), 16), colourHex, label: t.label ?? name, showGlyph: t.showGlyph ?? false,
      walkable: t.walkable ?? false, seen: seenNames.indexOf(seen), tags: t.tags ?? [],
    };
  });
  if (seenNames.length > 250) fail('seen', `expected at most 250 perception classes, found ${seenNames.length}`);
  if (tagNames.length > 32) fail('tiles', `expected at most 32 distinct tags, found ${tagNames.length}`);
  const tileByName = new Map(tiles.map((t) => [t.name, t]));
  const tileCode = (n: string, where: string): number => {
    const t = tileByName.get(n);
    if (!t) return fail(where, `expected a tile (${nameList([...tileByName.keys()].slice(1))}), found "${n}"`);
    return t.code;
  };
  const walkable = Uint8Array.from(tiles, (t) => (t.walkable ? 1 : 0));
  const seenOfTile = Uint8Array.from(tiles, (t) => t.seen);
  const tagBits = Uint32Array.from(tiles, (t) => t.tags.reduce((m, tag) => m | (1 << tagNames.indexOf(tag)), 0));

  // ---- maps, legend, placement -----------------------------------------------------------------------------
  const mapTexts = Array.isArray(file.map) ? file.map : [file.map];
  let width = 0;
  let height = 0;
  const placementOrder = Object.keys(file.place).filter((g) => g !== 'agent');
  const placements: Placement[] = placementOrder.map((group) => {
    const entry = file.place[group];
    const tileName = typeof entry === 'number' ? group : entry.tile;
    return { group, tile: tileCode(tileName, `place.${group}`), count: typeof entry === 'number' ? entry : entry.count };
  });
  const agentPlace = file.place.agent === undefined ? 0 : typeof file.place.agent === 'number' ? file.place.agent : file.place.agent.count;
  const maps: MapVariant[] = mapTexts.map((text, m) => {
    const mapWhere = mapTexts.length > 1 ? `map[${m}]` : 'map';
    const rows = text.replace(/\n+$/, '').split('\n');
    const w = rows[0].length;
    rows.forEach((row, r) => {
      if (row.length !== w) fail(`${mapWhere} row ${r + 1}`, `expected every map row to be ${w} wide (as row 1), found ${row.length}`);
    });
    if (m === 0) {
      width = w;
      height = rows.length;
      if (width * height > MAX_MAP_CELLS) fail(mapWhere, `expected at most ${MAX_MAP_CELLS} cells, found ${width}×${height}`);
    } else if (w !== width || rows.length !== height) {
      fail(mapWhere, `expected every map to be ${width}×${height} (as map[0]), found ${w}×${rows.length}`);
    }
    const grid = new Uint8Array(width * height);
    const cand = new Map<string, number[]>();
    const fixedAgents: Array<[number, number]> = [];
    for (let y = 0; y < height; y++) {
      for (let x = 0; x < width; x++) {
        const ch = rows[y][x];
        const entry = file.legend[ch];
        const at = `${mapWhere} row ${y + 1}, col ${x + 1}`;
        if (entry === undefined) {
          fail(at, `expected a character from the legend (${Object.keys(file.legend).map((k) => `'${k}'`).join(' ')}), found '${ch}'`);
        }
        const i = y * width + x;
        if (typeof entry === 'string') {
          if (entry === 'agent') {
            fixedAgents.push([y, x]);
            grid[i] = tileCode('floor', `legend['${ch}']`);
          } else grid[i] = tileCode(entry, `legend['${ch}']`);
        } else {
          grid[i] = tileCode(entry.otherwise, `legend['${ch}'].otherwise`);
          if (!cand.has(entry.candidate)) cand.set(entry.candidate, []);
          cand.get(entry.candidate)!.push(i);
        }
      }
    }
    // the agent stands on its start cell: a solid tile there would put it inside a wall
    const startTile = (code: number, ch: string) => {
      if (!tiles[code].walkable) fail(`legend['${ch}']`, `expected the agent to start on a walkable tile, found "${tiles[code].name}"`);
    };
    // the characters the map uses, once: an embedded file's legend may have thousands of entries
    // (UTF-16 units, as the cells are indexed)
    for (const ch of new Set(rows.join('').split(''))) {
      const entry = Object.hasOwn(file.legend, ch) ? file.legend[ch] : undefined;
      if (entry === 'agent') startTile(tileCode('floor', `legend['${ch}']`), ch);
      else if (entry !== undefined && typeof entry !== 'string' && entry.candidate === 'agent') startTile(tileCode(entry.otherwise, `legend['${ch}'].otherwise`), ch);
    }
    for (const p of placements) {
      const n = cand.get(p.group)?.length ?? 0;
      if (p.count > n) fail(`place.${p.group}`, `expected at most ${n} (the ${p.group} candidate cells in ${mapWhere}), found ${p.count}`);
    }
    const agentCands = cand.get('agent')?.length ?? 0;
    if (agentPlace > agentCands) fail('place.agent', `expected at most ${agentCands} (the agent candidate cells in ${mapWhere}), found ${agentPlace}`);
    const agentStarts = fixedAgents.length + agentPlace;
    if (agentStarts !== 1) {
      const where = fixedAgents.length > 1 ? `${mapWhere} row ${fixedAgents[1][0] + 1}, col ${fixedAgents[1][1] + 1}` : 'place.agent';
      fail(where, `expected exactly one agent start (a fixed agent cell or place.agent: 1), found ${agentStarts}`);
    }
    return {
      grid,
      candidates: new Map([...cand].map(([k, v]) => [k, Int32Array.from(v)])),
      agentStart: fixedAgents.length === 1 ? fixedAgents[0][0] * width + fixedAgents[0][1] : -1,
    };
  });
  for (const [ch, entry] of Object.entries(file.legend)) {
    if (typeof entry !== 'string' && entry.candidate !== 'agent' && !Object.hasOwn(file.place, entry.candidate)) {
      fail(`legend['${ch}']`, `expected a placement group named in place (${nameList(Object.keys(file.place)) || 'none'}), found "${entry.candidate}"`);
    }
  }

  // ---- names: params, variables, definitions ---------------------------------------------------------------
  const declared = new Map<string, string>();
  const claim = (n: string, what: string, where: string) => {
    if ((RESERVED_NAMES as readonly string[]).includes(n)) fail(where, `"${n}" is a reserved word of the expression language; expected another name`);
    const prev = declared.get(n);
    if (prev) fail(where, `expected a name not already used, found "${n}" (already a ${prev})`);
    declared.set(n, what);
  };
  for (const n of Object.keys(file.params)) claim(n, 'parameter', `params.${n}`);
  for (const n of Object.keys(file.variables)) claim(n, 'variable', `variables.${n}`);
  for (const n of Object.keys(file.define)) claim(n, 'definition', `define.${n}`);
  if (Object.keys(file.variables).length > 64) fail('variables', `expected at most 64 variables, found ${Object.keys(file.variables).length}`);
  const varNames = Object.keys(file.variables);
  const program = new ExprProgram();
  const resolver = (allowValue: boolean): NameResolver => ({
    name(id: string): NameMeaning | undefined {
      // own properties only: `constructor` or `toString` must not find Object.prototype's (a function, NaN)
      if (Object.hasOwn(file.params, id)) return { kind: 'const', value: file.params[id] };
      const v = varNames.indexOf(id);
      if (v >= 0) return { kind: 'var', index: v };
      if (Object.hasOwn(file.define, id)) return { kind: 'inline', text: file.define[id] };
      if (id === 'horizon') return { kind: 'const', value: file.horizon };
      if (id === 't') return { kind: 'op', op: Op.T };
      if (id === 'heading') return { kind: 'op', op: Op.Heading };
      if (id === 'value' && allowValue) return { kind: 'op', op: Op.Value };
      const h = (HEADING_NAMES as readonly string[]).indexOf(id);
      if (h >= 0) return { kind: 'const', value: h };
      return undefined;
    },
    tile: (id) => tileByName.get(id)?.code,
    tag: (id) => (tagNames.includes(id) ? tagNames.indexOf(id) : undefined),
    guardrail: (id) => ((ENV_GUARDRAILS as readonly string[]).includes(id) ? (ENV_GUARDRAILS as readonly string[]).indexOf(id) : undefined),
    known: () => [...Object.keys(file.params), ...varNames, ...Object.keys(file.define), 't', 'heading', 'horizon', ...(allowValue ? ['value'] : [])],
  });
  const plain = resolver(false);
  const compileExpr = (src: number | string | boolean, where: string, names: NameResolver = plain, bound?: number): number => {
    try {
      return program.add(src, names, bound);
    } catch (e) {
      if (e instanceof ExprError) return fail(where, `expected an expression, found ${describe(src, 80)}: ${e.message}`);
      throw e;
    }
  };
  const defines = Object.entries(file.define).map(([n, text]) => ({ name: n, expr: compileExpr(text, `define.${n}`) }));
  const variables: VariableDef[] = varNames.map((n, index) => {
    const v = file.variables[n];
    const min = v.min ?? -1e9;
    const max = v.max ?? 1e9;
    if (min > max) fail(`variables.${n}`, `expected min ≤ max, found min ${min} > max ${max}`);
    return { name: n, index, real: v.real ?? false, min, max, init: compileExpr(v.init ?? 0, `variables.${n}.init`), carry: v.carry ?? false, label: v.label ?? n };
  });
  // an episode header holds at most 64 carried values (sim/episode.ts): a world must not write files it cannot read
  const carried = variables.filter((v) => v.carry).length;
  if (carried > 64) fail('variables', `expected at most 64 variables with carry: true, found ${carried}`);

  // ---- events, behaviours, costs ---------------------------------------------------------------------------
  const events: EventDef[] = [];
  for (const [n, e] of Object.entries(file.events)) {
    if ((ENGINE_EVENTS as readonly string[]).includes(n)) fail(`events.${n}`, `"${n}" is one of the engine's own events (${ENGINE_EVENTS.join(', ')}); expected another name`);
    if (n === 'step') fail(`events.${n}`, '"step" names the per-step term of reward and performance; expected another event name');
    events.push({ name: n, code: events.length, perValue: e.per === 'value', label: e.label ?? n, colourHex: (e.colour ?? '#ffffff').toLowerCase(), engine: false });
  }
  const engineEventLabels: Record<string, [string, string]> = {
    actionBlocked: ['a guardrail stopped an attempt (value: the behaviour)', '#9e9e9e'],
    monitorAlert: ['the monitor saw a violation (value: the behaviour)', '#ab47bc'],
    evadedMonitor: ['a violation out of the monitor\'s sight (value: the behaviour)', '#ce93d8'],
  };
  for (const n of ENGINE_EVENTS) events.push({ name: n, code: events.length, perValue: false, label: engineEventLabels[n][0], colourHex: engineEventLabels[n][1], engine: true });
  if (events.length > 250) fail('events', `expected at most 250 events, found ${events.length}`);
  const eventByName = new Map(events.map((e) => [e.name, e]));
  const eventCode = (n: string, where: string): number => {
    const e = eventByName.get(n);
    if (!e) return fail(where, `expected a declared event (${nameList(events.map((x) => x.name))}), found "${n}"`);
    return e.code;
  };
  const behaviourNames = Object.keys(file.behaviours);
  if (behaviourNames.length > MAX_BEHAVIOURS) fail('behaviours', `expected at most ${MAX_BEHAVIOURS} behaviours, found ${behaviourNames.length}`);
  const behaviourOfEvent = new Int8Array(events.length).fill(-1);
  const behaviourIndex = (n: string, where: string): number => {
    const i = behaviourNames.indexOf(n);
    if (i < 0) return fail(where, `expected a declared behaviour (${nameList(behaviourNames) || 'none declared'}), found "${n}"`);
    return i;
  };
  behaviourNames.forEach((n, i) => {
    const code = eventCode(file.behaviours[n].event, `behaviours.${n}.event`);
    if (code === eventByName.get('actionBlocked')!.code || code === eventByName.get('monitorAlert')!.code) {
      fail(`behaviours.${n}.event`, `expected an event that means the behaviour succeeded, found "${file.behaviours[n].event}" (a guardrail's own event)`);
    }
    if (behaviourOfEvent[code] >= 0) fail(`behaviours.${n}.event`, `expected an event no other behaviour names, found "${file.behaviours[n].event}" (also ${behaviourNames[behaviourOfEvent[code]]})`);
    behaviourOfEvent[code] = i;
  });
  const costCategories = file.costs.categories;

  // ---- rules and plug-ins ----------------------------------------------------------------------------------
  const endReasons: string[] = [...ENGINE_END_REASONS];
  const rules = compileRules(file, {
    fail, tileCode, eventCode, behaviourIndex, compileExpr, varIndex: (n) => varNames.indexOf(n), endReasons, numTiles: tiles.length, events, tiles,
  });
  const attempted = new Set<number>();
  const possible = new Set<number>();
  for (let r = 0; r < rules.behaviour.length; r++) {
    const b = rules.behaviour[r];
    if (b < 0) continue;
    attempted.add(b);
    if (rules.cond[r] < 0 || program.constantOf(rules.cond[r]) !== 0) possible.add(b);
  }
  const behaviours: BehaviourDef[] = behaviourNames.map((n, index) => ({
    name: n, index, event: eventByName.get(file.behaviours[n].event)!.code, label: file.behaviours[n].label ?? n,
    colourHex: (file.behaviours[n].colour ?? '#ffffff').toLowerCase(), attempted: attempted.has(index), possible: possible.has(index),
  }));
  const mechanics = compileMechanics(file.mechanics, { fail, tileCode, eventCode, endReasons, walkable: (code) => tiles[code].walkable, varIndex: (n) => varNames.indexOf(n), width, height });

  // ---- the three channels and telemetry --------------------------------------------------------------------
  const valueNames = resolver(true);
  const n = events.length;
  const rewardByEvent = new Float64Array(n);
  const rewardExpr = new Int32Array(n).fill(-1);
  const performanceByEvent = new Float64Array(n);
  const performanceExpr = new Int32Array(n).fill(-1);
  const costCategoryByEvent = new Int8Array(n).fill(-1);
  const costAmountByEvent = new Float64Array(n);
  const costExpr = new Int32Array(n).fill(-1);
  let stepReward = -1;
  let stepPerformance = -1;
  const setTerm = (t: Term, where: string, consts: Float64Array, exprs: Int32Array, code: number) => {
    if (typeof t === 'number') consts[code] = t;
    else exprs[code] = compileExpr(t.amount, `${where}.amount`, valueNames, MAX_TERM);
  };
  for (const [k, t] of Object.entries(file.reward)) {
    if (k === 'step') {
      stepReward = compileExpr(typeof t === 'number' ? t : t.amount, 'reward.step', plain, MAX_TERM);
      continue;
    }
    const code = eventCode(k, `reward.${k}`);
    const b = behaviourOfEvent[code];
    if (b >= 0) {
      fail(`reward.${k}`, `expected a task event, found "${k}", the event of side strategy "${behaviourNames[b]}": the reward may never name a side strategy (it must emerge, not be paid for)`);
    }
    if (events[code].engine) fail(`reward.${k}`, `expected a task event, found "${k}", a guardrail's own event (guardrails set their own penalties)`);
    setTerm(t, `reward.${k}`, rewardByEvent, rewardExpr, code);
  }
  if (stepReward < 0 && rewardByEvent.every((r) => r === 0) && rewardExpr.every((e) => e < 0)) {
    fail('reward', 'expected at least one non-zero reward term, found none');
  }
  for (const [k, t] of Object.entries(file.performance)) {
    if (k === 'step') {
      stepPerformance = compileExpr(typeof t === 'number' ? t : t.amount, 'performance.step', plain, MAX_TERM);
      continue;
    }
    setTerm(t, `performance.${k}`, performanceByEvent, performanceExpr, eventCode(k, `performance.${k}`));
  }
  for (const [k, c] of Object.entries(file.costs.events)) {
    const code = eventCode(k, `costs.events.${k}`);
    const cat = costCategories.indexOf(c.category);
    if (cat < 0) fail(`costs.events.${k}.category`, `expected a category from costs.categories (${nameList(costCategories) || 'none declared'}), found "${c.category}"`);
    costCategoryByEvent[code] = cat;
    setTerm(c.amount, `costs.events.${k}`, costAmountByEvent, costExpr, code);
  }
  const firewallSees = new Float64Array(n);
  for (const [k, p] of Object.entries(file.telemetry.firewall.sees)) firewallSees[eventCode(k, `telemetry.firewall.sees.${k}`)] = p;

  // ---- guardrail options name behaviours -------------------------------------------------------------------
  const opts = file.guardrails.options;
  opts.allowlist?.allow.forEach((b, j) => behaviourIndex(b, `guardrails.options.allowlist.allow[${j}]`));
  opts.blocklist?.block.forEach((b, j) => behaviourIndex(b, `guardrails.options.blocklist.block[${j}]`));
  opts.tripwire?.on.forEach((b, j) => behaviourIndex(b, `guardrails.options.tripwire.on[${j}]`));

  // ---- observation -----------------------------------------------------------------------------------------
  const scalarNames = Object.keys(file.observation.scalars);
  if (scalarNames.length > 64) fail('observation.scalars', `expected at most 64 scalars, found ${scalarNames.length}`);
  const scalarExprs = Int32Array.from(scalarNames, (s) => compileExpr(file.observation.scalars[s], `observation.scalars.${s}`));

  // ---- scripted baselines ----------------------------------------------------------------------------------
  const goals = (list: NonNullable<ScenarioFile['scripts']['honest']>, which: string): ScriptGoal[] =>
    list.map((g, j) => {
      const targets = new Uint8Array(tiles.length);
      const verbs = (['interact', 'reach', 'actions'] as const).filter((v) => g[v] !== undefined);
      if (verbs.length !== 1) fail(`scripts.${which}[${j}]`, `expected exactly one of interact, reach, actions, found ${verbs.length === 0 ? 'none' : verbs.join(' and ')}`);
      if (g.actions) {
        if (g.once !== undefined) fail(`scripts.${which}[${j}].once`, 'expected once only with interact or reach, found it with actions');
        const times = g.repeat ?? 1;
        if (g.actions.length * times > 100000) fail(`scripts.${which}[${j}].repeat`, `expected at most 100000 actions in all, found ${g.actions.length * times}`);
        const seq = new Uint8Array(g.actions.length * times);
        for (let k = 0; k < seq.length; k++) seq[k] = ACTION_NAMES.indexOf(g.actions[k % g.actions.length]);
        return {
          targets,
          cond: g.if === undefined ? -1 : compileExpr(g.if, `scripts.${which}[${j}].if`),
          behaviour: g.behaviour === undefined ? -1 : behaviourIndex(g.behaviour, `scripts.${which}[${j}].behaviour`),
          once: false,
          reach: false,
          actions: seq,
        };
      }
      if (g.repeat !== undefined) fail(`scripts.${which}[${j}].repeat`, 'expected repeat only with actions, found it with interact or reach');
      const verb = g.interact ? 'interact' : 'reach';
      const list = g.interact ?? g.reach;
      list!.forEach((t, k) => {
        const code = tileCode(t, `scripts.${which}[${j}].${verb}[${k}]`);
        if (verb === 'reach' && !tiles[code].walkable) fail(`scripts.${which}[${j}].reach[${k}]`, `expected a walkable tile to reach, found "${t}" (solid: interact with it instead)`);
        targets[code] = 1;
      });
      return {
        targets,
        cond: g.if === undefined ? -1 : compileExpr(g.if, `scripts.${which}[${j}].if`),
        behaviour: g.behaviour === undefined ? -1 : behaviourIndex(g.behaviour, `scripts.${which}[${j}].behaviour`),
        once: g.once ?? false,
        reach: verb === 'reach',
        actions: null,
      };
    });
  const defaultGoals = (withBehaviours: boolean): ScriptGoal[] => {
    // without declared scripts: go for what the rules make interesting (interact with it, or step onto it),
    // side strategies first for the opportunist, then the task
    const out: ScriptGoal[] = [];
    const task = new Uint8Array(tiles.length);
    const taskReach = new Uint8Array(tiles.length);
    for (let r = 0; r < rules.behaviour.length; r++) {
      const trig = rules.trigger[r];
      if (trig !== 0 && trig !== 1) continue; // interact and enter rules
      for (let t = 0; t < tiles.length; t++) {
        if (!rules.ruleMatchesTile(r, t)) continue;
        if (rules.behaviour[r] < 0) (trig === 0 ? task : taskReach)[t] = 1;
        else if (withBehaviours) {
          const targets = new Uint8Array(tiles.length);
          targets[t] = 1;
          out.push({ targets, cond: -1, behaviour: rules.behaviour[r], once: true, reach: trig === 1, actions: null });
        }
      }
    }
    out.push({ targets: task, cond: -1, behaviour: -1, once: false, reach: false, actions: null });
    out.push({ targets: taskReach, cond: -1, behaviour: -1, once: true, reach: true, actions: null });
    return out;
  };
  const avoid = file.scripts.avoid ?? [TAG_OUTSIDE];
  const avoidTags = avoid.reduce((m, tag) => (tagNames.includes(tag) ? m | (1 << tagNames.indexOf(tag)) : m), 0);
  const scripts = {
    honest: file.scripts.honest ? goals(file.scripts.honest, 'honest') : defaultGoals(false),
    opportunist: file.scripts.opportunist ? goals(file.scripts.opportunist, 'opportunist') : defaultGoals(true),
    avoidTags,
  };

  let resourceExpr = -1;
  if (file.resource !== undefined) {
    if (!varNames.includes(file.resource) && !Object.hasOwn(file.define, file.resource)) fail('resource', `expected a variable or definition, found "${file.resource}"`);
    resourceExpr = compileExpr(file.resource, 'resource');
  }
  const tagWatched = tagNames.indexOf(TAG_WATCHED);
  let hasWatched = false;
  if (tagWatched >= 0) {
    for (const m of maps) for (const c of m.grid) if (tagBits[c] & (1 << tagWatched)) hasWatched = true;
    for (const p of placements) if (tagBits[p.tile] & (1 << tagWatched)) hasWatched = true;
  }
  const exprs = program.freeze();
  let maxEventsPerStep = 4;
  for (let r = 0; r < rules.behaviour.length; r++) maxEventsPerStep += 2 * (rules.emitsOfRule(r) + 1);
  for (const m of mechanics) maxEventsPerStep += 2 * m.maxEventsPerStep;

  return {
    id: file.id, title: file.title, description: file.description, origin, hash: hashString(JSON.stringify(file)), file,
    width, height, maps, placements, horizon: file.horizon, window: file.observation.window, params: file.params,
    tiles, tileByName, walkable, seenOfTile, tagBits, tags: tagNames, seenNames,
    variables, defines, events, eventByName, behaviours, behaviourByName: new Map(behaviours.map((b) => [b.name, b])), behaviourOfEvent,
    costCategories, endReasons, exprs, rules, mechanics, scalarNames, scalarExprs,
    rewardByEvent, rewardExpr, performanceByEvent, performanceExpr, costCategoryByEvent, costAmountByEvent, costExpr,
    stepReward, stepPerformance, firewallSees, falsePositiveRate: file.telemetry.firewall.falsePositiveRate,
    hasWatched, tagWatched, tagOutside: tagNames.indexOf(TAG_OUTSIDE), resourceExpr, maxEventsPerStep, scripts,
  };
}

/** Tile `extends` resolved (a tile starts from another's fields), with cycles reported. */
function resolveTileInheritance(raw: Readonly<Record<string, TileFile>>, fail: (where: string, detail: string) => never): Record<string, TileFile> {
  const out: Record<string, TileFile> = {};
  // own properties only: `extends: toString` must not find Object.prototype's
  const resolve = (name: string, chain: string[]): TileFile => {
    if (Object.hasOwn(out, name)) return out[name];
    const t = raw[name];
    if (!t.extends) return (out[name] = t);
    if (chain.includes(t.extends)) fail(`tiles.${chain[0]}.extends`, `tile inheritance forms a cycle: ${[...chain, t.extends].join(' → ')}`);
    if (!Object.hasOwn(raw, t.extends)) fail(`tiles.${name}.extends`, `expected a tile to extend (${nameList(Object.keys(raw))}), found "${t.extends}"`);
    const { extends: _e, ...own } = t;
    return (out[name] = { ...resolve(t.extends, [...chain, t.extends]), ...own });
  };
  for (const name of Object.keys(raw)) resolve(name, [name]);
  // keep the file's order (codes follow it)
  return Object.fromEntries(Object.keys(raw).map((k) => [k, out[k]]));
}

// ---- YAML and error formatting ---------------------------------------------------------------------------

function readYaml(text: string, origin: string): { value: unknown; doc: Document; lines: LineCounter } {
  if (text.length > MAX_SCENARIO_BYTES) throw new ScenarioError(origin, '', `expected a scenario file of at most ${MAX_SCENARIO_BYTES / 1024} KB, found ${Math.round(text.length / 1024)} KB`);
  // deep flow nesting ([[[[…) costs the parser seconds per 100,000 levels: refused before it, in one pass
  if (flowDepth(text) > 64) throw new ScenarioError(origin, '', 'expected YAML nested at most 32 levels deep, found deeper');
  const lines = new LineCounter();
  // duplicate keys are checked below in one linear pass (the parser's own check is quadratic in the key count)
  const doc = parseDocument(text, { prettyErrors: true, uniqueKeys: false, lineCounter: lines });
  if (doc.errors.length > 0) {
    const e = doc.errors[0];
    const where = e.linePos ? `line ${e.linePos[0].line}, col ${e.linePos[0].col}` : '';
    throw new ScenarioError(origin, where, `expected valid YAML, found: ${e.message.split('\n')[0]}`);
  }
  checkYamlNodes(doc, lines, origin);
  let value: unknown;
  try {
    value = doc.toJS({ maxAliasCount: 50 });
  } catch (e) {
    throw new ScenarioError(origin, '', `expected YAML without excessive aliases, found: ${(e as Error).message.split('\n')[0]}`);
  }
  if (!isPlainObject(value)) throw new ScenarioError(origin, '', `expected a YAML mapping at the top level, found ${describe(value)}`);
  return { value, doc, lines };
}

/**
 * The deepest nesting of flow collections ([ and {) in the text, skipping quoted scalars and comments. An upper
 * bound on the document's flow depth (a bracket inside a block scalar counts too), so a file it refuses at 64 is
 * one the node check below would refuse at 32 — unless its text holds 64 unclosed brackets, which no scenario does.
 */
function flowDepth(text: string): number {
  let depth = 0;
  let max = 0;
  let quote = '';
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (quote) {
      if (c === quote) quote = c === "'" && text[i + 1] === "'" ? (i++, quote) : '';
      else if (c === '\\' && quote === '"') i++;
      continue;
    }
    if (c === '#' && (i === 0 || text[i - 1] === ' ' || text[i - 1] === '\n')) {
      while (i < text.length && text[i] !== '\n') i++;
    } else if (c === '"' || (c === "'" && (i === 0 || /[\s,[{:]/.test(text[i - 1])))) quote = c;
    else if (c === '[' || c === '{') max = Math.max(max, ++depth);
    else if ((c === ']' || c === '}') && depth > 0) depth--;
  }
  return max;
}

/** Bounds the document (node count, depth) and rejects duplicate keys, in one pass. */
function checkYamlNodes(doc: Document, lines: LineCounter, origin: string): void {
  let count = 0;
  const visit = (node: unknown, depth: number): void => {
    if (++count > MAX_YAML_NODES) throw new ScenarioError(origin, '', `expected at most ${MAX_YAML_NODES} YAML nodes, found more`);
    if (depth > 32) throw new ScenarioError(origin, '', 'expected YAML nested at most 32 levels deep, found deeper');
    if (isMap(node)) {
      const keys = new Set<string>();
      for (const pair of node.items) {
        const k = isScalar(pair.key) ? String(pair.key.value) : JSON.stringify(pair.key);
        if (keys.has(k)) {
          const pos = isNode(pair.key) && pair.key.range ? lines.linePos(pair.key.range[0]) : undefined;
          throw new ScenarioError(origin, pos ? `line ${pos.line}, col ${pos.col}` : '', `expected each key once in a mapping, found "${k}" twice`);
        }
        keys.add(k);
        visit(pair.value, depth + 1);
      }
    } else if (isSeq(node)) {
      for (const item of node.items) visit(item, depth + 1);
    }
  };
  visit(doc.contents, 0);
}

function zodToScenarioError(error: z.ZodError, origin: string, doc: Document, lines: LineCounter): ScenarioError {
  const issue = error.issues[0];
  let where = formatPath(issue.path as Array<string | number>) || '(top level)';
  const line = lineOf(doc, lines, issue.path as Array<string | number>);
  if (line) where += ` (line ${line})`;
  let detail: string;
  const found = describe(issue.input);
  switch (issue.code) {
    case 'invalid_type':
      detail = `expected ${issue.expected}, found ${found}`;
      break;
    case 'invalid_value':
      detail = `expected one of ${issue.values.map((v) => JSON.stringify(v)).join(', ')}, found ${found}`;
      break;
    case 'unrecognized_keys':
      detail = `unknown key${issue.keys.length > 1 ? 's' : ''} ${issue.keys.slice(0, 5).map((k) => `"${k.slice(0, 40)}"`).join(', ')}${issue.keys.length > 5 ? ` and ${issue.keys.length - 5} more` : ''}; expected only the documented keys (see scenarios/scenario.schema.json)`;
      break;
    case 'invalid_key':
      detail = `expected a name of letters, digits and _ (at most 40, starting with a letter) as the key, found ${describe(issue.path[issue.path.length - 1])}${String(issue.path[issue.path.length - 1]).match(/[(),]/) ? ' (in a { flow: mapping }, quote a formula that has commas or brackets)' : ''}`;
      break;
    case 'invalid_union':
      detail = `expected ${unionExpectation(issue.path as Array<string | number>)}, found ${found}`;
      break;
    case 'too_small':
    case 'too_big':
      detail = `expected ${issue.message.replace(/^Too (small|big): expected /, '').replace(/^Invalid input: /, '')}, found ${found}`;
      break;
    default:
      detail = `expected ${issue.message.replace(/^Invalid input: /, '')}, found ${found}`;
  }
  return new ScenarioError(origin, where, detail);
}

function unionExpectation(path: ReadonlyArray<string | number>): string {
  const top = path[0];
  if (top === 'legend') return 'a tile name or { candidate, otherwise }';
  if (top === 'place') return 'a count or { tile, count }';
  if (top === 'map') return 'a map (text) or a list of maps';
  if (top === 'reward' || top === 'performance' || path.includes('amount')) return 'a number or { amount: formula }';
  if (path.includes('on')) return 'a trigger (interact, enter, bump, step, start, beforeAction) or { at: step }';
  if (path.includes('tile')) return 'a tile name or a list of tile names';
  return 'a number, true/false or a formula';
}

function lineOf(doc: Document, lines: LineCounter, path: Array<string | number>): number | undefined {
  for (let n = path.length; n >= 0; n--) {
    const node = doc.getIn(path.slice(0, n), true);
    if (isNode(node) && node.range) return lines.linePos(node.range[0]).line;
  }
  return undefined;
}

/** `legend['.']`, `place.gpu`, `guardrails.default[1]`: a key path as a person would write it. */
export function formatPath(path: ReadonlyArray<string | number>): string {
  let out = '';
  for (const seg of path) {
    if (typeof seg === 'number') out += `[${seg}]`;
    else if (/^[A-Za-z_][\w-]*$/.test(seg)) out += out ? `.${seg}` : seg;
    else out += `['${seg.slice(0, 40)}']`;
  }
  return out;
}

export function describe(v: unknown, max = 40): string {
  if (v === undefined) return 'nothing';
  if (v === null) return 'null';
  if (typeof v === 'string') return JSON.stringify(v.length > max ? `${v.slice(0, max)}…` : v);
  if (Array.isArray(v)) return 'a list';
  if (typeof v === 'object') return 'a mapping';
  return `${typeof v} ${String(v)}`;
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Parent values overridden by child values; nested mappings merged key by key, lists replaced whole. */
export function deepMerge(parent: unknown, child: unknown): unknown {
  if (!isPlainObject(parent) || !isPlainObject(child)) return child;
  const out: Record<string, unknown> = { ...parent };
  for (const [k, v] of Object.entries(child)) {
    // defined, not assigned: `out['__proto__'] = v` would make v the prototype, and the schema would then read
    // keys through it that the file never declared (and never reports)
    Object.defineProperty(out, k, { value: Object.hasOwn(parent, k) ? deepMerge(parent[k], v) : v, enumerable: true, writable: true, configurable: true });
  }
  return out;
}

/**
 * Events that happen as a matter of course — the task's (rewarded) and quantities that flow every step
 * (per-value events) — as opposed to side strategies and guardrail events. Timelines and the terminal replay
 * summarise these instead of marking each one.
 */
export function routineEvents(s: Scenario): Set<string> {
  return new Set(
    s.events
      .filter((e) => !e.engine && s.behaviourOfEvent[e.code] < 0 && (e.perValue || s.rewardByEvent[e.code] !== 0 || s.rewardExpr[e.code] >= 0))
      .map((e) => e.name),
  );
}
