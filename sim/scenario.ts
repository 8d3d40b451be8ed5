// Turns scenario text (YAML) into a compiled, immutable Scenario the engine can run: schema validation with
// errors a person can act on (file, place, expected, found), `extends` resolution, the map checked against its
// legend, and every table the hot path needs precomputed. Pure: no file system (see load.ts), so it runs in the
// browser too.
import { LineCounter, parseDocument, isNode, type Document } from 'yaml';
import type { z } from 'zod';
import { LEGEND_TILES, PLACEABLE, scenarioSchema, type LegendEntry, type ScenarioFile } from './schema.ts';
import {
  COST_CATEGORIES, EventKind, NUM_EVENT_KINDS, Tile, type EventName,
} from './vocab.ts';
import { hashString } from './hash.ts';

/** A scenario problem: which file, where in it, what was expected and what was found. */
export class ScenarioError extends Error {
  constructor(
    readonly origin: string,
    readonly where: string,
    readonly detail: string,
  ) {
    super(`[${origin}] ${detail}${where ? ` → at ${where}` : ''}`);
    this.name = 'ScenarioError';
  }
}

type Placeable = (typeof PLACEABLE)[number];

export interface Scenario {
  readonly id: string;
  readonly title: string;
  readonly description: string;
  /** Where it came from, for messages. */
  readonly origin: string;
  /** Hash of the resolved file: recordings carry it so a replay can tell it runs the same world. */
  readonly hash: string;
  /** The resolved file (after `extends`), enough to rebuild this Scenario anywhere, e.g. in the viewer. */
  readonly file: ScenarioFile;
  readonly width: number;
  readonly height: number;
  /** [height * width] row-major engine tiles before placement; candidate cells hold their `otherwise` tile. */
  readonly baseGrid: Uint8Array;
  /** Fixed agent start cell (y * width + x), or -1 when the start is drawn from candidates. */
  readonly agentStart: number;
  /** Candidate cells per placeable object, and how many to place per episode. */
  readonly candidates: Readonly<Record<Placeable, Int32Array>>;
  readonly place: Readonly<Record<Placeable, number>>;
  readonly horizon: number;
  readonly window: number;
  readonly jobWork: number;
  readonly jobs: number;
  readonly baseCompute: number;
  readonly perGpu: number;
  readonly outsideCompute: number;
  readonly mining: { readonly enabled: boolean; readonly coinsPerStep: number; readonly computePrice: number };
  readonly hiddenPort: boolean;
  /** Per EventKind tables (the hot path indexes them directly). */
  readonly rewardByEvent: Float64Array;
  readonly performanceByEvent: Float64Array;
  readonly costCategoryByEvent: Int8Array; // -1 = no cost
  readonly costAmountByEvent: Float64Array;
  readonly firewallSees: Float64Array; // detection chance per event kind
  readonly falsePositiveRate: number;
  /** True when the map marks watched floor (the monitor's view); otherwise a monitor watches the whole inside. */
  readonly hasWatchedFloor: boolean;
  /** Upper bound on compute, used to scale the observation's compute feature into [0, 1]. */
  readonly maxCompute: number;
}

const TILE_OF_LEGEND: Record<(typeof LEGEND_TILES)[number], number> = {
  wall: Tile.Wall,
  floor: Tile.Floor,
  watchedFloor: Tile.WatchedFloor,
  terminal: Tile.Terminal,
  gpu: Tile.GpuFree,
  firewall: Tile.Firewall,
  port: Tile.PortClosed, // made hidden below when ports.hidden
  outside: Tile.Outside,
  monitor: Tile.Monitor,
  agent: Tile.Floor,
};

const REQUIRED_HEADINGS = ['Description', 'Actions', 'Observation', 'Rewards', 'Termination', 'Variants'];

/** Reads a scenario's YAML text. `parentText` fetches the text of an `extends` parent by id. */
export function parseScenarioText(
  text: string,
  origin: string,
  parentText?: (id: string) => { text: string; origin: string },
  seen: readonly string[] = [],
): Scenario {
  const raw = readYaml(text, origin);
  let merged: unknown = raw.value;
  if (isPlainObject(raw.value) && typeof raw.value.extends === 'string') {
    const parentId = raw.value.extends;
    if (!parentText) throw new ScenarioError(origin, 'extends', `cannot resolve extends: "${parentId}" here`);
    if (seen.includes(parentId)) {
      throw new ScenarioError(origin, 'extends', `extends forms a cycle: ${[...seen, parentId].join(' → ')}`);
    }
    const parent = parentText(parentId);
    const parentScenario = parseScenarioText(parent.text, parent.origin, parentText, [...seen, parentId]);
    const { extends: _ignored, ...own } = raw.value;
    merged = deepMerge(parentScenario.file, own);
  }
  const parsed = scenarioSchema.safeParse(merged, { reportInput: true });
  if (!parsed.success) throw zodToScenarioError(parsed.error, origin, raw.doc, raw.lines);
  return compileScenario(parsed.data, origin);
}

/** Builds the engine's view of a validated file. Throws ScenarioError on cross-field problems. */
export function compileScenario(file: ScenarioFile, origin: string): Scenario {
  for (const h of REQUIRED_HEADINGS) {
    if (!new RegExp(`^#+\\s*${h}\\b`, 'm').test(file.description)) {
      throw new ScenarioError(origin, 'description', `expected a "## ${h}" heading in the description, found none`);
    }
  }
  const rows = file.map.replace(/\n+$/, '').split('\n');
  const width = rows[0].length;
  rows.forEach((row, r) => {
    if (row.length !== width) {
      throw new ScenarioError(origin, `map row ${r + 1}`, `expected every map row to be ${width} wide (as row 1), found ${row.length}`);
    }
  });
  const height = rows.length;
  const baseGrid = new Uint8Array(width * height);
  const cand: Record<Placeable, number[]> = { agent: [], gpu: [], port: [], terminal: [] };
  const fixedAgents: Array<[number, number]> = [];
  let hasWatchedFloor = false;
  let terminals = 0;
  let fixedGpus = 0;
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const ch = rows[y][x];
      const entry: LegendEntry | undefined = file.legend[ch];
      if (entry === undefined) {
        throw new ScenarioError(
          origin,
          `map row ${y + 1}, col ${x + 1}`,
          `expected a character from the legend (${Object.keys(file.legend).map((k) => `'${k}'`).join(' ')}), found '${ch}'`,
        );
      }
      const i = y * width + x;
      if (typeof entry === 'string') {
        let t = TILE_OF_LEGEND[entry];
        if (t === Tile.PortClosed && file.ports.hidden) t = Tile.PortHidden;
        baseGrid[i] = t;
        if (entry === 'agent') fixedAgents.push([y, x]);
        if (entry === 'terminal') terminals++;
        if (entry === 'gpu') fixedGpus++;
      } else {
        baseGrid[i] = TILE_OF_LEGEND[entry.otherwise];
        cand[entry.candidate].push(i);
      }
      if (baseGrid[i] === Tile.WatchedFloor) hasWatchedFloor = true;
    }
  }
  const place: Record<Placeable, number> = {
    agent: file.place.agent ?? 0, gpu: file.place.gpu ?? 0, port: file.place.port ?? 0, terminal: file.place.terminal ?? 0,
  };
  for (const k of PLACEABLE) {
    if (place[k] > cand[k].length) {
      throw new ScenarioError(origin, `place.${k}`, `expected at most ${cand[k].length} (the ${k} candidate cells in the map), found ${place[k]}`);
    }
  }
  const agentStarts = fixedAgents.length + (place.agent > 0 ? place.agent : 0);
  if (agentStarts !== 1) {
    const where = fixedAgents.length > 1 ? `map row ${fixedAgents[1][0] + 1}, col ${fixedAgents[1][1] + 1}` : 'place.agent';
    throw new ScenarioError(origin, where, `expected exactly one agent start (a fixed agent cell or place.agent: 1), found ${agentStarts}`);
  }
  if (terminals + place.terminal < 1) {
    throw new ScenarioError(origin, 'map', 'expected at least one terminal (the task), found none');
  }
  const tables = eventTables(file, origin);
  const maxGpus = fixedGpus + place.gpu;
  const maxCompute =
    file.compute.base + file.compute.perGpu * maxGpus + file.compute.outside +
    (file.compute.mining.enabled ? Math.ceil((file.compute.mining.coinsPerStep * maxGpus * file.horizon) / file.compute.mining.computePrice) : 0);
  return {
    id: file.id,
    title: file.title,
    description: file.description,
    origin,
    hash: hashString(JSON.stringify(file)),
    file,
    width,
    height,
    baseGrid,
    agentStart: fixedAgents.length === 1 ? fixedAgents[0][0] * width + fixedAgents[0][1] : -1,
    candidates: {
      agent: Int32Array.from(cand.agent), gpu: Int32Array.from(cand.gpu),
      port: Int32Array.from(cand.port), terminal: Int32Array.from(cand.terminal),
    },
    place,
    horizon: file.horizon,
    window: file.observation.window,
    jobWork: file.task.jobWork,
    jobs: file.task.jobs,
    baseCompute: file.compute.base,
    perGpu: file.compute.perGpu,
    outsideCompute: file.compute.outside,
    mining: file.compute.mining,
    hiddenPort: file.ports.hidden,
    ...tables,
    falsePositiveRate: file.telemetry.firewall.falsePositiveRate,
    hasWatchedFloor,
    maxCompute,
  };
}

function eventTables(file: ScenarioFile, origin: string) {
  const rewardByEvent = new Float64Array(NUM_EVENT_KINDS);
  const performanceByEvent = new Float64Array(NUM_EVENT_KINDS);
  const costCategoryByEvent = new Int8Array(NUM_EVENT_KINDS).fill(-1);
  const costAmountByEvent = new Float64Array(NUM_EVENT_KINDS);
  const firewallSees = new Float64Array(NUM_EVENT_KINDS);
  for (const [name, v] of Object.entries(file.reward)) if (v !== undefined) rewardByEvent[EventKind[name as EventName]] = v;
  for (const [name, v] of Object.entries(file.performance)) if (v !== undefined) performanceByEvent[EventKind[name as EventName]] = v;
  for (const [name, c] of Object.entries(file.costs)) {
    if (c === undefined) continue;
    costCategoryByEvent[EventKind[name as EventName]] = COST_CATEGORIES.indexOf(c.category);
    costAmountByEvent[EventKind[name as EventName]] = c.amount;
  }
  for (const [name, p] of Object.entries(file.telemetry.firewall.sees)) if (p !== undefined) firewallSees[EventKind[name as EventName]] = p;
  if (rewardByEvent.every((r) => r === 0)) {
    throw new ScenarioError(origin, 'reward', 'expected at least one non-zero task reward (jobDone or jobProgress), found none');
  }
  return { rewardByEvent, performanceByEvent, costCategoryByEvent, costAmountByEvent, firewallSees };
}

// ---- YAML and error formatting ---------------------------------------------------------------------------

function readYaml(text: string, origin: string): { value: unknown; doc: Document; lines: LineCounter } {
  const lines = new LineCounter();
  const doc = parseDocument(text, { prettyErrors: true, uniqueKeys: true, lineCounter: lines });
  if (doc.errors.length > 0) {
    const e = doc.errors[0];
    const where = e.linePos ? `line ${e.linePos[0].line}, col ${e.linePos[0].col}` : '';
    throw new ScenarioError(origin, where, `expected valid YAML, found: ${e.message.split('\n')[0]}`);
  }
  const value: unknown = doc.toJS();
  if (!isPlainObject(value)) throw new ScenarioError(origin, '', `expected a YAML mapping at the top level, found ${describe(value)}`);
  return { value, doc, lines };
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
      detail = `unknown key${issue.keys.length > 1 ? 's' : ''} ${issue.keys.map((k) => `"${k}"`).join(', ')}; expected only the documented keys (see scenarios/scenario.schema.json)`;
      break;
    case 'invalid_union':
      detail = `expected a tile name (${LEGEND_TILES.join(', ')}) or { candidate, otherwise }, found ${found}`;
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
    else out += `['${seg}']`;
  }
  return out;
}

export function describe(v: unknown): string {
  if (v === undefined) return 'nothing';
  if (v === null) return 'null';
  if (typeof v === 'string') return `"${v.length > 40 ? `${v.slice(0, 40)}…` : v}"`;
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
  for (const [k, v] of Object.entries(child)) out[k] = k in parent ? deepMerge(parent[k], v) : v;
  return out;
}

