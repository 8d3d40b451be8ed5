// Fuzzed scenario files: fast-check mutates the parsed objects of rome.yaml and of the hostile fixtures' base
// world (test/scenario.test.ts's WORLD with a side strategy) — values replaced, keys deleted, added or copied at
// random paths, map cells changed, and lines of the YAML text duplicated, dropped or cut — and checks that the
// loader gives either a Scenario or a clean ScenarioError (one line, bounded, printable), never another
// exception; and that an accepted scenario runs 200 random steps in a BatchEnv of 2–8 envs under a random
// guardrail set keeping the engine's invariants (test/helpers/hostile.ts), within a time bound. Fixed seeds,
// so a failure reproduces; numRuns keeps the file well under a minute on one core.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse, stringify } from 'yaml';
import { SCENARIOS_DIR } from '../sim/load.ts';
import { parseScenarioText, ScenarioError, type Scenario, type Sources } from '../sim/scenario.ts';
import { expectCleanMessage, GUARDRAIL_SETS, runChecked, shippedSources } from './helpers/hostile.ts';

const BASE = readFileSync(join(import.meta.dirname, 'fixtures', 'hostile', 'scenarios', 'base.yaml'), 'utf8');
const ROME = readFileSync(join(SCENARIOS_DIR, 'rome.yaml'), 'utf8');
const sources: Sources = {
  ...shippedSources,
  scenario: (id) => (id === 'base' ? { text: BASE, origin: 'base.yaml' } : shippedSources.scenario!(id)),
};
/** Per case: compiling plus 200 steps of up to 8 envs takes milliseconds; a hang or a blow-up takes far more. */
const CASE_BOUND_MS = 2000;
const NUM_RUNS = 400;

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };
type Path = Array<string | number>;

/** Every path to a value in `v` (the root excluded). */
function paths(v: Json, prefix: Path = [], out: Path[] = []): Path[] {
  const visit = (k: string | number, x: Json) => {
    out.push([...prefix, k]);
    paths(x, [...prefix, k], out);
  };
  if (Array.isArray(v)) v.forEach((x, k) => visit(k, x));
  else if (v !== null && typeof v === 'object') for (const k of Object.keys(v)) visit(k, v[k]);
  return out;
}

function parentOf(root: Json, path: Path): Json {
  let v = root;
  for (const seg of path.slice(0, -1)) v = (v as Record<string | number, Json>)[seg];
  return v;
}

/** Sets an own property, even one named __proto__ (plain assignment would change the prototype instead). */
function setOwn(o: Record<string, Json> | Json[], k: string | number, v: Json): void {
  Object.defineProperty(o, k, { value: v, writable: true, enumerable: true, configurable: true });
}

function nest(depth: number): Json {
  let v: Json = 1;
  for (let d = 0; d < depth; d++) v = d % 2 ? [v] : { a: v };
  return v;
}

/** Names a formula or a reference might use: the world's own, the language's, and ones that should not resolve. */
function vocabulary(obj: Record<string, Json>): string[] {
  const keysOf = (k: string) => (obj[k] && typeof obj[k] === 'object' && !Array.isArray(obj[k]) ? Object.keys(obj[k] as object) : []);
  return [...new Set([
    ...keysOf('params'), ...keysOf('variables'), ...keysOf('define'), ...keysOf('tiles'), ...keysOf('events'), ...keysOf('behaviours'),
    'floor', 'wall', 'void', 'outside', 'watched', 'terminal', 'gpuFree', 'agent', 'jobProgress',
  ])];
}

const ODD_NAMES = ['__proto__', 'constructor', 'toString', 'valueOf', 'hasOwnProperty', 'void', 'agent', 'and', 'not', 't', 'step', 'value',
  'floor', 'é', ' ', '', 'a'.repeat(41), 'x-y', '0a', 'Ab_9', 'actionBlocked', 'horizon', 'monitorAlert'];
const SYMBOLS = ['+', '-', '*', '/', '%', '(', ')', ',', '<', '<=', '>', '>=', '==', '!=', '!', '&&', '||', 'and', 'or', 'not', 'true', 'false',
  '0', '1', '0.5', '1e12', '1e13', '1e-12', '.5', '3.', 'floor(', 'ceil(', 'round(', 'abs(', 'min(', 'max(', 'mod(', 'clamp(', 'random()',
  'is(', 'tagged(', 'guardrail(', 'here', 'target', 'from', 'ahead', 'heading', 't', 'horizon', 'value', 'up', 'left', 'toString(', '$', '#', '"'];

const NUMBERS = [1e300, -1e300, 1e12, -1e12, 1e9, 1e9 + 1, 2 ** 31, 2 ** 53, -0, 5e-324, 0.1, 0, 1, -1, 2, 3, 7, 65, 4097, 100001, 255, 256];

function valueArb(vocab: readonly string[]): fc.Arbitrary<Json> {
  const name = fc.constantFrom(...vocab, ...ODD_NAMES);
  return fc.oneof(
    fc.constantFrom<Json>(...NUMBERS, true, false, null),
    fc.constantFrom<Json>('NaN', '.nan', 'Infinity', '-.inf', '1e999', '0x10', '1_000', 'null', '~', 'yes', ''),
    name,
    fc.array(name, { maxLength: 4 }),
    fc.array(fc.constantFrom(...SYMBOLS, ...vocab), { maxLength: 40 }).map((t) => t.join(' ')),
    fc.integer({ min: 1, max: 6 }).chain((n) => fc.array(fc.constantFrom(...vocab), { minLength: n, maxLength: n })).map((t) => t.join(' + ')),
    fc.integer({ min: 300, max: 30_000 }).map((n) => 'x'.repeat(n)),
    fc.string({ unit: 'binary', maxLength: 20 }),
    fc.array(fc.integer({ min: 0, max: 31 }), { minLength: 1, maxLength: 6 }).map((cs) => `${String.fromCharCode(...cs)}x`),
    fc.integer({ min: 10, max: 60 }).map(nest),
    fc.jsonValue({ maxDepth: 3 }) as fc.Arbitrary<Json>,
  );
}

type Mutation =
  | { op: 'tweak'; at: number; n: number; name: string; formula: string }
  | { op: 'replace' | 'add'; at: number; value: Json; name: string }
  | { op: 'delete'; at: number }
  | { op: 'copy'; at: number; to: number; name: string }
  | { op: 'cell'; at: number; ch: string }
  | { op: 'line'; how: 'duplicate' | 'drop' | 'cut'; at: number };

function mutationArb(vocab: readonly string[], legend: readonly string[]): fc.Arbitrary<Mutation> {
  const at = fc.nat();
  const key = fc.constantFrom(...vocab, ...ODD_NAMES, 'do', 'if', 'on', 'tile', 'extends', 'emit', 'set', 'replace', 'at', 'push', 'use', 'per', 'min', 'max', 'init');
  const formula = fc.array(fc.constantFrom(...SYMBOLS, ...vocab), { maxLength: 12 }).map((t) => t.join(' '));
  return fc.oneof(
    { arbitrary: fc.record({ op: fc.constant('tweak' as const), at, n: fc.constantFrom(...NUMBERS), name: fc.constantFrom(...vocab), formula }), weight: 6 },
    { arbitrary: fc.record({ op: fc.constant('replace' as const), at, value: valueArb(vocab), name: key }), weight: 4 },
    { arbitrary: fc.record({ op: fc.constant('add' as const), at, value: valueArb(vocab), name: key }), weight: 2 },
    { arbitrary: fc.record({ op: fc.constant('delete' as const), at }), weight: 2 },
    { arbitrary: fc.record({ op: fc.constant('copy' as const), at, to: fc.nat(), name: key }), weight: 2 },
    { arbitrary: fc.record({ op: fc.constant('cell' as const), at, ch: fc.constantFrom(...legend, 'A', '\t', 'é', '\n', ' ') }), weight: 2 },
    { arbitrary: fc.record({ op: fc.constant('line' as const), how: fc.constantFrom('duplicate' as const, 'drop' as const, 'cut' as const), at }), weight: 1 },
  );
}

/** Applies the object mutations, serialises, then applies the text ones. */
function mutate(original: Json, ms: readonly Mutation[]): string {
  const root = structuredClone(original);
  for (const m of ms) {
    if (m.op === 'line' || m.op === 'cell') continue;
    const ps = paths(root);
    if (ps.length === 0) break;
    const p = ps[m.at % ps.length];
    const parent = parentOf(root, p) as Record<string, Json> | Json[];
    const k = p[p.length - 1];
    const old = (parent as Record<string | number, Json>)[k];
    if (m.op === 'tweak') {
      // type-preserving, so the file stays plausible and reaches the compiler and the engine more often
      if (typeof old === 'number') setOwn(parent, k, m.n);
      else if (typeof old === 'boolean') setOwn(parent, k, !old);
      else if (typeof old === 'string') setOwn(parent, k, m.at % 2 ? m.name : m.formula || m.name);
      else if (Array.isArray(old) && old.length > 0) old.splice(m.at % old.length, 1);
    } else if (m.op === 'replace') setOwn(parent, k, m.value);
    else if (m.op === 'delete') {
      if (Array.isArray(parent)) parent.splice(k as number, 1);
      else delete parent[k as string];
    } else if (m.op === 'add') {
      const target = (parent as Record<string | number, Json>)[k];
      if (Array.isArray(target)) target.push(m.value);
      else if (target !== null && typeof target === 'object') setOwn(target, m.name, m.value);
      else setOwn(parent, k, m.value);
    } else if (m.op === 'copy') {
      // copy a subtree to a sibling of another value: a duplicated rule, a tile under a second name...
      const q = ps[m.to % ps.length];
      const dest = parentOf(root, q) as Record<string, Json> | Json[];
      const v = structuredClone((parent as Record<string | number, Json>)[k]);
      if (Array.isArray(dest)) dest.push(v);
      else setOwn(dest, m.name, v);
    }
  }
  const obj = root as Record<string, Json>;
  for (const m of ms) {
    if (m.op !== 'cell' || typeof obj.map !== 'string' || obj.map.length === 0) continue;
    const i = m.at % obj.map.length;
    obj.map = obj.map.slice(0, i) + m.ch + obj.map.slice(i + 1);
  }
  let text = stringify(root, { lineWidth: 0 });
  for (const m of ms) {
    if (m.op !== 'line') continue;
    const lines = text.split('\n');
    const i = m.at % lines.length;
    if (m.how === 'duplicate') lines.splice(i, 0, lines[i]);
    else if (m.how === 'drop') lines.splice(i, 1);
    else lines.length = i;
    text = lines.join('\n');
  }
  return text;
}

interface Tally { accepted: number; refused: number; ran: number }

/** The property: a clean outcome, and a checked run when accepted. */
function fuzz(source: string, seed: number, tally: Tally): void {
  const original = parse(source) as Json;
  const obj = original as Record<string, Json>;
  const vocab = vocabulary(obj);
  const legend = Object.keys(obj.legend as object);
  const caseArb = fc.record({
    mutations: fc.array(mutationArb(vocab, legend), { minLength: 1, maxLength: 3 }),
    numEnvs: fc.integer({ min: 2, max: 8 }),
    guardrails: fc.constantFrom(...GUARDRAIL_SETS),
    actions: fc.array(fc.integer({ min: 0, max: 5 }), { minLength: 200, maxLength: 200 }),
    seed: fc.nat(),
  });
  fc.assert(
    fc.property(caseArb, (c) => {
      const text = mutate(original, c.mutations);
      const t0 = performance.now();
      let scenario: Scenario | undefined;
      try {
        scenario = parseScenarioText(text, 'fuzz.yaml', sources);
      } catch (e) {
        if (!(e instanceof ScenarioError)) throw new Error(`not a ScenarioError: ${(e as Error).stack}\n--- file:\n${text.slice(0, 2000)}`, { cause: e });
        expectCleanMessage(e);
        tally.refused++;
      }
      if (scenario) {
        tally.accepted++;
        if (runChecked(scenario, c.guardrails, c.numEnvs, c.actions, c.seed)) tally.ran++;
      }
      const ms = performance.now() - t0;
      if (ms > CASE_BOUND_MS) throw new Error(`case took ${Math.round(ms)} ms\n--- file:\n${text.slice(0, 2000)}`);
    }),
    { seed, numRuns: NUM_RUNS, endOnFailure: true },
  );
}

describe('fuzzed scenario files (fast-check)', () => {
  it.each([
    ['rome.yaml', ROME, 20261202],
    ['the base world', BASE, 42],
  ])('mutations of %s load cleanly or fail cleanly, and what loads runs within its invariants', (_name, source, seed) => {
    const tally: Tally = { accepted: 0, refused: 0, ran: 0 };
    fuzz(source, seed, tally);
    // the mutations are worth something only if some reach the engine and some are refused
    expect(tally.refused).toBeGreaterThan(NUM_RUNS / 4);
    expect(tally.ran).toBeGreaterThan(NUM_RUNS / 10);
  });
});
