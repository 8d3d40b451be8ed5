// Hostile scenario files (test/fixtures/hostile/scenarios/, plus a few generated here because they are large):
// each is loaded through sim/load.ts as a user's file would be, and must give either a clean ScenarioError
// (one line, bounded, printable) matching its expected message, or — where the file is legal — a scenario whose
// engine keeps its invariants under every guardrail set. Each case's expectation is written in the table, and
// each must finish within a time bound: a hang or a stack trace is a failure. The fixture folder's base.yaml is
// the legal world the others extend, so each fixture changes one thing.
import { describe, expect, it } from 'vitest';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadScenario } from '../sim/load.ts';
import { parseScenarioText, ScenarioError, type Scenario, type Sources } from '../sim/scenario.ts';
import { expectCleanMessage, GUARDRAIL_SETS, runChecked, shippedSources } from './helpers/hostile.ts';

const DIR = join(import.meta.dirname, 'fixtures', 'hostile', 'scenarios');
/** Per case: far above what a loaded 2-core machine takes (speed is the bench's job), far below what a hang or a quadratic blow-up takes. */
const TIME_BOUND_MS = 20_000;

/** 'legal': the file must load and run; a RegExp: the ScenarioError's message must match it. */
type Expectation = 'legal' | RegExp;

/** Every fixture file and what it must give. */
const FILES: Record<string, Expectation> = {
  'base.yaml': 'legal',
  'billion-laughs.yaml': /expected YAML without excessive aliases/,
  'merge-key-laughs.yaml': /expected YAML without excessive aliases/,
  'deep-nesting.yaml': /expected YAML nested at most 32 levels deep/,
  'duplicate-keys.yaml': /expected each key once in a mapping, found "horizon" twice/,
  'bad-yaml.yaml': /expected valid YAML/,
  'empty.yaml': /expected a YAML mapping at the top level, found null/,
  'not-a-mapping.yaml': /expected a YAML mapping at the top level, found a list/,
  'yaml11-types.yaml': /expected string, found a mapping → at id/,
  'extends-self.yaml': /extends forms a cycle/,
  'extends-loop-a.yaml': /extends forms a cycle/,
  'extends-loop-b.yaml': /extends forms a cycle/,
  'extends-missing.yaml': /expected a scenario "nowhere" beside this file/,
  'extends-proto.yaml': /unknown key "__proto__"/,
  'extends-traversal.yaml': /expected a scenario "\.\.\/\.\.\/\.\.\/\.\.\/scenarios\/rome" beside this file/,
  'import-missing.yaml': /expected a tile library nosuchlibrary\.tiles\.yaml/,
  'tile-cycle.yaml': /tile inheritance forms a cycle: key → door → lock → key/,
  'tile-self-extends.yaml': /tile inheritance forms a cycle: door → door/,
  'tile-extends-prototype.yaml': /expected a tile to extend \(.*\), found "toString" → at tiles\.door\.extends/,
  'define-self.yaml': /definition "loop" refers to itself/,
  'define-mutual.yaml': /refers to itself \(b → c → a → b\)/,
  'define-exponential.yaml': /expected a formula of at most \d+ operations once definitions are inlined/,
  'define-exponential-deep.yaml': /expected definitions inlined at most 16 levels deep/,
  'formula-too-long.yaml': /expected string to have <=400 characters/,
  'formula-too-deep.yaml': /expected at most 24 levels of nesting/,
  'division-by-zero.yaml': 'legal',
  'overflow.yaml': 'legal',
  'mod-overflow.yaml': 'legal',
  'reward-overflow.yaml': 'legal',
  'number-too-big.yaml': /expected a number of at most 1e12, found 1e13/,
  'number-nan.yaml': /expected number, found number NaN → at horizon/,
  'number-infinite.yaml': /expected number, found number Infinity → at params\.stepCost/,
  'number-huge-param.yaml': /expected number to be <=1000000000, found number 1e\+300/,
  'variable-min-gt-max.yaml': /expected min ≤ max, found min 5 > max 1/,
  'placements-over.yaml': /expected at most 1 \(the vents candidate cells in map\), found 3 → at place\.vents/,
  'map-one-cell.yaml': 'legal',
  'map-one-row.yaml': 'legal',
  'map-64x64.yaml': 'legal',
  'map-too-big.yaml': /expected at most 4096 cells, found 65×64/,
  'effect-two-verbs.yaml': /expected exactly one of emit, .*, found emit and set/,
  'effect-no-verb.yaml': /expected exactly one of emit, .*, found none/,
  'effect-emit-undeclared.yaml': /expected a declared event \(.*\), found "nothingLikeIt"/,
  'effect-emit-engine-event.yaml': /found "monitorAlert" \(the engine's own event\)/,
  'effect-emit-in-start.yaml': /expected no emit in an episode-start rule/,
  'effect-value-with-set.yaml': /expected value only with emit, found it with set/,
  'effect-set-undeclared.yaml': /expected a declared variable \(hasKey\), found "stepCost"/,
  'effect-add-formula-error.yaml': /expected an expression, found "hasKey \+": expected a number, a name or '\('/,
  'effect-replace-unknown.yaml': /expected a tile \(.*\), found "lava"/,
  'effect-replace-step-no-here.yaml': /expected at: here on a step rule/,
  'effect-at-with-emit.yaml': /expected at only with replace, found it with emit/,
  'effect-end-engine-reason.yaml': /expected a reason of the scenario's own, found "horizon"/,
  'effect-end-in-before-action.yaml': /expected end only on a step's rules, found it on beforeAction/,
  'effect-push-on-enter.yaml': /expected push only on a bump or interact rule/,
  'effect-move-on-step.yaml': /expected move only on a bump or interact rule/,
  'effect-action-on-interact.yaml': /expected action only on a beforeAction rule/,
  'effect-action-out-of-range.yaml': 'legal',
  'rule-on-void.yaml': /found "void" \(the padding around the map; no rule may apply to it\) → at rules\[0\]\.tile\[1\]/,
  'push-into-void.yaml': /found "void" \(nothing may be pushed off the map\)/,
  'plugin-bad-options.yaml': /expected array, received string \(patrol: .*\) → at mechanics\[0\]\.over/,
  'plugin-prototype-name.yaml': /expected a plug-in \(patrol, boxWalls, tomatoes, conveyor, count\), found "toString"/,
  'plugin-patrol-void.yaml': /expected a tile of the map, found "void" .* → at mechanics\[0\]\.forward/,
  'void-walkable.yaml': /expected void \(the padding around the map\) to be solid/,
  'void-walkable-inherited.yaml': /expected void \(the padding around the map\) to be solid/,
  'reserved-tile-name.yaml': /"and" is a reserved word/,
  'reserved-variable-name.yaml': /"heading" is a reserved word/,
  'prototype-function.yaml': /unknown function "toString"/,
  'prototype-name.yaml': /unknown name "constructor"/,
  'prototype-resource.yaml': /expected a variable or definition, found "valueOf"/,
  'control-characters.yaml': /expected a glyph no other tile uses, found '\?' \(also box\)/,
  'control-key.yaml': /unknown key "\?\[2J\?\[31mpwned"/,
  'seen-overflow.yaml': /expected .*250.* → at seen/,
  'long-name-list.yaml': /expected a tile \(wall, floor, .*, … and \d+ more\), found "lava"/,
  'unicode-names.yaml': /expected a name of letters, digits and _ .* found "dör"/,
  'agent-on-wall.yaml': /expected the agent to start on a walkable tile, found "wall"/,
  'agent-fixed-on-solid-floor.yaml': /expected the agent to start on a walkable tile, found "floor"/,
  'replace-under-agent.yaml': /expected a walkable tile \(the agent stands on the cell\), found "wall" → at rules\[0\]\.do\[0\]\.replace/,
  'replace-here-solid.yaml': /expected a walkable tile \(the agent stands on the cell\), found "door" → at rules\[0\]\.do\[0\]\.replace/,
};

/** Cases too large to commit, generated here; `extends: base` resolves to the fixture folder's base.yaml. */
const GENERATED: Record<string, { text: () => string; expect: Expectation }> = {
  'a 300 KB file': { text: () => `id: big\n# ${'x'.repeat(300 * 1024)}\n`, expect: /expected a scenario file of at most 256 KB, found 300 KB/ },
  'the head of a 1e9-key mapping': {
    text: () => Array.from({ length: 40_000 }, (_, k) => `k${k}: ${k}`).join('\n'),
    expect: /expected a scenario file of at most 256 KB/,
  },
  '25,000 keys under the size cap': { text: () => `{${Array.from({ length: 25_000 }, (_, k) => `k${k}: 0`).join(',')}}`, expect: /expected at most 20000 YAML nodes/ },
  '100,000 nested lists': { text: () => `id: ${'['.repeat(100_000)}`, expect: /expected valid YAML|nested at most 32 levels/ },
  'a tile inheritance chain of 8,000': {
    text: () => `extends: base\ntiles:\n${Array.from({ length: 8000 }, (_, k) => `  t${k}: { extends: t${k + 1} }`).join('\n')}\n  t8000: { glyph: 'z' }\n`,
    expect: /expected at most 250 tiles/,
  },
  'a definition chain of 3,000': {
    text: () => `extends: base\ndefine:\n${Array.from({ length: 3000 }, (_, k) => `  d${k}: d${k + 1} + 1`).join('\n')}\n  d3000: hasKey\nobservation: { window: 5, scalars: { hasKey: d0 } }\n`,
    expect: /expected definitions inlined at most \d+ levels deep/,
  },
};

const fixtureSources: Sources = {
  ...shippedSources,
  scenario: (id) => (id === 'base' ? { text: readFileSync(join(DIR, 'base.yaml'), 'utf8'), origin: 'base.yaml' } : shippedSources.scenario!(id)),
};

/** Loads, times and checks one case. */
function check(load: () => Scenario, expectation: Expectation): void {
  const t0 = performance.now();
  let scenario: Scenario | undefined;
  let error: unknown;
  try {
    scenario = load();
  } catch (e) {
    error = e;
  }
  if (error !== undefined) {
    expect(error, (error as Error).stack).toBeInstanceOf(ScenarioError);
    const m = expectCleanMessage(error);
    expect(expectation, `a legal file was refused: ${m}`).toBeInstanceOf(RegExp);
    expect(m).toMatch(expectation as RegExp);
  } else {
    expect(expectation, 'expected an error, the file was accepted').toBe('legal');
    const actions = Array.from({ length: 100 }, (_, k) => (k * 7 + (k >> 3)) % 6);
    for (const g of GUARDRAIL_SETS) runChecked(scenario!, g, 2, actions, 3);
  }
  expect(performance.now() - t0).toBeLessThan(TIME_BOUND_MS);
}

describe('hostile scenario files', () => {
  it('the table lists every fixture (and nothing else)', () => {
    const files = readdirSync(DIR).filter((f) => f.endsWith('.yaml')).sort();
    expect(files.length).toBeGreaterThanOrEqual(30);
    expect(Object.keys(FILES).sort()).toEqual(files);
  });
  it.each(Object.entries(FILES))('%s', (f, expectation) => {
    check(() => loadScenario(join(DIR, f)), expectation);
  });
  it.each(Object.entries(GENERATED))('%s', (_name, c) => {
    check(() => parseScenarioText(c.text(), 'generated.yaml', fixtureSources), c.expect);
  });
});
