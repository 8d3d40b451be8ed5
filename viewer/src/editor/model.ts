// The map editor's model, pure (no DOM, so Node tests it): a scenario as its resolved, standalone file (extends and
// library imports already applied, so the download needs nothing beside it), painted cell by cell from the tile
// library, with its key numbers editable, and validated by the same schema and compiler as files on disk — the
// error a user sees inline is the one `sidequest` would print.
import { stringify as stringifyYaml } from 'yaml';
import { MAX_SCENARIO_BYTES, parseScenarioText, ScenarioError, type Scenario, type Sources } from '../../../sim/scenario.ts';
import type { ScenarioFile } from '../../../sim/schema.ts';

/** One paintable tile: the glyph written in the map, the tile it stands for, and how the board draws it. */
export interface PaletteEntry {
  glyph: string;
  /** A tile name, `agent`, or a placement group (`candidate` cells). */
  tile: string;
  label: string;
  colour: string;
  /** Already in the scenario's legend (otherwise painting it adds a legend entry). */
  inLegend: boolean;
}

/** A number the editor offers: where it lives in the file and its current value. */
export interface KeyNumber {
  path: readonly string[];
  label: string;
  value: number;
  integer: boolean;
  min: number;
  max: number;
}

export type Validation = { ok: true; scenario: Scenario } | { ok: false; where: string; message: string };

/** Cells a map may have: the schema's own bound on a map string. */
const MAX_CELLS = 20000;

/** The editable document: a standalone scenario file and which map of a per-episode list is shown. */
export interface EditorDoc {
  file: ScenarioFile;
  mapIndex: number;
}

/** A standalone copy of a compiled scenario's file: nothing is resolved against other files any more. */
export function docFromScenario(s: Scenario): EditorDoc {
  const file = structuredClone(s.file) as ScenarioFile & { extends?: string };
  delete file.extends;
  file.import = [];
  return { file, mapIndex: 0 };
}

/** The rows of the map being edited. */
export function mapRows(doc: EditorDoc): string[] {
  const m = doc.file.map;
  const text = typeof m === 'string' ? m : m[Math.min(doc.mapIndex, m.length - 1)];
  return text.replace(/\n+$/, '').split('\n');
}

function setRows(doc: EditorDoc, rows: readonly string[]): EditorDoc {
  const text = rows.join('\n') + '\n';
  const m = doc.file.map;
  const map = typeof m === 'string' ? text : m.map((t, i) => (i === Math.min(doc.mapIndex, m.length - 1) ? text : t));
  return { ...doc, file: { ...doc.file, map } };
}

/** Glyphs nobody uses yet, for tiles the legend does not have: printable ASCII, letters first. */
function freeGlyph(used: ReadonlySet<string>, preferred: string): string | null {
  if (preferred.length === 1 && !used.has(preferred) && preferred !== '\n') return preferred;
  const pool = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789*+-=~^%&$@!?<>/|';
  for (const c of pool) if (!used.has(c)) return c;
  return null;
}

/**
 * What can be painted: the legend's entries, then every library tile the legend does not name yet (painting one
 * adds it to the legend under its own glyph, or a free one). `void` (the padding) is not paintable.
 */
export function palette(doc: EditorDoc): PaletteEntry[] {
  const f = doc.file;
  const out: PaletteEntry[] = [];
  const named = new Set<string>();
  const used = new Set(Object.keys(f.legend));
  const tileOf = (name: string) => f.tiles[name];
  for (const [glyph, entry] of Object.entries(f.legend)) {
    if (typeof entry === 'string') {
      named.add(entry);
      const t = tileOf(entry);
      out.push({ glyph, tile: entry, label: entry === 'agent' ? 'the agent (starts here)' : (t?.label ?? entry), colour: t?.colour ?? '#ffffff', inLegend: true });
    } else {
      const t = tileOf(entry.otherwise);
      out.push({ glyph, tile: entry.candidate, label: `a candidate cell of "${entry.candidate}" (drawn per episode; otherwise ${entry.otherwise})`, colour: t?.colour ?? '#ffffff', inLegend: true });
    }
  }
  for (const [name, t] of Object.entries(f.tiles)) {
    if (named.has(name) || name === 'void') continue;
    const glyph = freeGlyph(used, t.glyph ?? '');
    if (!glyph) continue;
    used.add(glyph);
    out.push({ glyph, tile: name, label: t.label ?? name, colour: t.colour ?? '#ffffff', inLegend: false });
  }
  return out;
}

/** Paints cell (x, y) with a palette entry; a tile not yet in the legend is added to it. Out of range: unchanged. */
export function paint(doc: EditorDoc, x: number, y: number, entry: PaletteEntry): EditorDoc {
  const rows = mapRows(doc);
  if (y < 0 || y >= rows.length || x < 0 || x >= rows[y].length) return doc;
  let file = doc.file;
  if (!entry.inLegend && !Object.hasOwn(file.legend, entry.glyph)) file = { ...file, legend: { ...file.legend, [entry.glyph]: entry.tile } };
  // the agent has one start: painting it again moves it
  const agentGlyphs = Object.entries(file.legend).filter(([, e]) => e === 'agent').map(([g]) => g);
  const floorGlyph = Object.entries(file.legend).find(([, e]) => e === 'floor')?.[0];
  const next = rows.map((r) => (agentGlyphs.includes(entry.glyph) && floorGlyph ? [...r].map((c) => (agentGlyphs.includes(c) ? floorGlyph : c)).join('') : r));
  next[y] = next[y].slice(0, x) + entry.glyph + next[y].slice(x + 1);
  return setRows({ ...doc, file }, next);
}

/** Adds or removes a row or column at the far edge (filled with the first wall-like glyph, else the first glyph). */
export function resize(doc: EditorDoc, width: number, height: number): EditorDoc {
  const rows = mapRows(doc);
  const w = Math.max(3, Math.min(64, Math.floor(width)));
  const h = Math.max(3, Math.min(64, Math.floor(height)));
  if (w * h > MAX_CELLS) return doc;
  const fill = Object.entries(doc.file.legend).find(([, e]) => e === 'wall')?.[0] ?? rows[0][0];
  const out: string[] = [];
  for (let y = 0; y < h; y++) {
    const r = rows[y] ?? fill.repeat(w);
    out.push(r.length >= w ? r.slice(0, w) : r + fill.repeat(w - r.length));
  }
  return setRows(doc, out);
}

/** The numbers worth a knob: the scenario's params, its horizon, and its telemetry rates. */
export function keyNumbers(doc: EditorDoc): KeyNumber[] {
  const f = doc.file;
  const out: KeyNumber[] = [{ path: ['horizon'], label: 'horizon (steps per episode)', value: f.horizon, integer: true, min: 1, max: 100000 }];
  for (const [k, v] of Object.entries(f.params)) out.push({ path: ['params', k], label: k, value: v, integer: false, min: -1e6, max: 1e6 });
  const fw = f.telemetry?.firewall;
  if (fw) {
    for (const [k, v] of Object.entries(fw.sees ?? {})) out.push({ path: ['telemetry', 'firewall', 'sees', k], label: `firewall sees ${k} (probability)`, value: v, integer: false, min: 0, max: 1 });
    if (typeof fw.falsePositiveRate === 'number') out.push({ path: ['telemetry', 'firewall', 'falsePositiveRate'], label: 'firewall false positives per step', value: fw.falsePositiveRate, integer: false, min: 0, max: 1 });
  }
  return out;
}

/** Sets one key number (the path must be one keyNumbers offered). The schema judges the value on validation. */
export function setNumber(doc: EditorDoc, path: readonly string[], value: number): EditorDoc {
  if (!keyNumbers(doc).some((k) => k.path.join('.') === path.join('.'))) return doc;
  const file = structuredClone(doc.file) as unknown as Record<string, unknown>;
  let o = file;
  for (const k of path.slice(0, -1)) o = o[k] as Record<string, unknown>;
  o[path[path.length - 1]] = value;
  return { ...doc, file: file as unknown as ScenarioFile };
}

/** The document as scenario YAML, standalone: loads with `sidequest` and back into the editor unchanged. */
export function toYaml(doc: EditorDoc): string {
  return stringifyYaml(doc.file, { lineWidth: 0 });
}

/** Sources for validation: a standalone file needs none, so any `extends` or `import` left in is refused. */
const NO_SOURCES: Sources = {};

/** Compiles YAML exactly as the CLI does (schema, then compiler), and says where it fails. */
export function validateText(text: string, origin = 'edited scenario'): Validation {
  if (text.length > MAX_SCENARIO_BYTES) return { ok: false, where: '', message: `${origin}: expected at most ${MAX_SCENARIO_BYTES} bytes, found ${text.length}` };
  try {
    return { ok: true, scenario: parseScenarioText(text, origin, NO_SOURCES) };
  } catch (e) {
    if (e instanceof ScenarioError) return { ok: false, where: e.where, message: e.message };
    return { ok: false, where: '', message: `${origin}: ${(e as Error).message}` };
  }
}

export function validate(doc: EditorDoc): Validation {
  return validateText(toYaml(doc));
}

/** A loaded scenario file, as a document: it must compile standalone (a shipped id it extends is resolved by `sources`). */
export function docFromText(text: string, origin: string, sources: Sources = {}): { ok: true; doc: EditorDoc } | { ok: false; message: string } {
  if (text.length > MAX_SCENARIO_BYTES) return { ok: false, message: `${origin}: expected at most ${MAX_SCENARIO_BYTES} bytes, found ${text.length}` };
  try {
    return { ok: true, doc: docFromScenario(parseScenarioText(text, origin, sources)) };
  } catch (e) {
    return { ok: false, message: e instanceof ScenarioError ? e.message : `${origin}: ${(e as Error).message}` };
  }
}
