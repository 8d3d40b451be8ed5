// Scenario files: every shipped one loads, and every validation error path says file, place, expected and
// found — pinned here word for word so a change to a message is a deliberate one. The errors of the
// mechanics model (triggers, effects, variables, expressions, tile inheritance, the reward rule) are pinned on a
// small world written from nothing, so each test changes one thing.
import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { listScenarios, loadScenario, SCENARIOS_DIR } from '../sim/load.ts';
import { parseScenarioText, type Sources } from '../sim/scenario.ts';
import { scenarioJsonSchema } from '../sim/schema.ts';

const romeText = readFileSync(join(SCENARIOS_DIR, 'rome.yaml'), 'utf8');
const sources: Sources = {
  scenario: (id) => ({ text: readFileSync(join(SCENARIOS_DIR, `${id}.yaml`), 'utf8'), origin: `scenarios/${id}.yaml` }),
  library: (id) => ({ text: readFileSync(join(SCENARIOS_DIR, `${id}.tiles.yaml`), 'utf8'), origin: `scenarios/${id}.tiles.yaml` }),
};

function errorOf(text: string, origin = 'scenarios/bad.yaml', src: Sources = sources): string {
  try {
    parseScenarioText(text, origin, src);
  } catch (e) {
    return (e as Error).message;
  }
  throw new Error('expected a validation error');
}

/** A small world of its own: a step cost, a key, a door, a goal. */
const WORLD = `id: keys
title: Keys
description: |
  ## Description
  Fetch the key, open the door, reach the goal.
  ## Actions
  As rome.
  ## Observation
  A 5×5 window.
  ## Rewards
  -0.1 a step, 1 at the goal.
  ## Termination
  At the goal, or after 40 steps.
  ## Variants
  None.
import: []
seen: [empty, solid]
tiles:
  wall: { glyph: '#', seen: solid }
  floor: { glyph: '.', walkable: true, seen: empty }
  key: { glyph: 'k', walkable: true }
  door: { glyph: 'D' }
  goal: { glyph: 'G', walkable: true }
map: |
  #####
  #.kD#
  #A#G#
  #####
legend: { '#': wall, '.': floor, k: key, D: door, G: goal, A: agent }
horizon: 40
variables:
  hasKey: { max: 1 }
events:
  keyTaken: {}
  doorOpened: {}
  reachedGoal: {}
behaviours: {}
rules:
  - on: enter
    tile: key
    do:
      - replace: floor
      - set: { hasKey: 1 }
      - emit: keyTaken
  - on: bump
    tile: door
    if: hasKey > 0
    do:
      - replace: floor
      - emit: doorOpened
  - on: enter
    tile: goal
    do:
      - emit: reachedGoal
      - end: reachedGoal
observation:
  window: 5
  scalars: { hasKey: hasKey }
reward: { step: -0.1, reachedGoal: 1 }
`;

/** WORLD with one line replaced (the line must occur exactly once). */
function worldWith(from: string, to: string): string {
  if (WORLD.split(from).length !== 2) throw new Error(`"${from}" is not unique in WORLD`);
  return WORLD.replace(from, to);
}

describe('shipped scenarios', () => {
  it('ships the scenarios of the brief, the control, and the classic AI Safety Gridworlds problems', () => {
    expect(listScenarios()).toEqual([
      'absent-supervisor', 'boat-race', 'conveyor-belt-sushi', 'conveyor-belt-sushi-goal', 'conveyor-belt-sushi-goal2',
      'conveyor-belt-vase', 'distributional-shift', 'distributional-shift-test', 'friend-foe', 'island-navigation', 'rocks-diamonds',
      'rocks-diamonds-small', 'rome', 'rome-campus', 'rome-hidden', 'rome-inert', 'rome-mining', 'rome-monitored',
      'safe-interruptibility', 'safe-interruptibility-level0', 'safe-interruptibility-level2', 'side-effects-sokoban', 'side-effects-sokoban-coins', 'tomato-watering', 'tutorial',
      'whisky-gold',
    ]);
  });
  it.each(listScenarios())('%s loads, and its description has every heading', (id) => {
    const s = loadScenario(id);
    expect(s.id).toBe(id);
    for (const h of ['Description', 'Actions', 'Observation', 'Rewards', 'Termination', 'Variants']) expect(s.description).toContain(`## ${h}`);
  });
  it('the committed JSON Schema is the one the code emits', () => {
    const committed = JSON.parse(readFileSync(join(SCENARIOS_DIR, 'scenario.schema.json'), 'utf8')) as unknown;
    expect(committed).toEqual(JSON.parse(JSON.stringify(scenarioJsonSchema())));
  });
  it.each(listScenarios())('%s: no reward term names a side strategy\'s event', (id) => {
    const s = loadScenario(id);
    for (const b of s.behaviours) {
      expect(s.rewardByEvent[b.event]).toBe(0);
      expect(s.rewardExpr[b.event]).toBe(-1);
    }
  });
  it('a variant overrides only what it names', () => {
    const hidden = loadScenario('rome-hidden');
    const rome = loadScenario('rome');
    expect(hidden.placements.map((p) => [p.group, hidden.tiles[p.tile].name, p.count])).toEqual([
      ['terminal', 'terminal', 1], ['gpu', 'gpuFree', 2], ['port', 'portHidden', 1],
    ]);
    expect(hidden.file.map).toBe(rome.file.map);
    expect(hidden.file.rules).toEqual(rome.file.rules);
    expect(hidden.hash).not.toBe(rome.hash);
  });
  it('the world written from nothing in this file loads', () => {
    const s = parseScenarioText(WORLD, 'keys.yaml', sources);
    expect(s.tiles.map((t) => t.name)).toEqual(['void', 'wall', 'floor', 'key', 'door', 'goal']);
    expect(s.seenNames).toEqual(['empty', 'solid', 'void', 'key', 'door', 'goal']);
    expect(s.endReasons).toEqual(['running', 'horizon', 'tripwire', 'monitorCaught', 'reachedGoal']);
  });
});

describe('validation errors name file, place, expected and found', () => {
  it('unknown top-level key', () => {
    expect(errorOf(`${WORLD}speed: 3\n`)).toMatchInlineSnapshot(`"[scenarios/bad.yaml] unknown key "speed"; expected only the documented keys (see scenarios/scenario.schema.json) → at (top level) (line 1)"`);
  });
  it('wrong type', () => {
    expect(errorOf(worldWith('horizon: 40', 'horizon: soon'))).toMatchInlineSnapshot(`"[scenarios/bad.yaml] expected number, found "soon" → at horizon (line 30)"`);
  });
  it('out of range', () => {
    expect(errorOf(worldWith('horizon: 40', 'horizon: 0'))).toMatchInlineSnapshot(`"[scenarios/bad.yaml] expected number to be >=1, found number 0 → at horizon (line 30)"`);
  });
  it('even window', () => {
    expect(errorOf(worldWith('  window: 5', '  window: 4'))).toMatchInlineSnapshot(`"[scenarios/bad.yaml] expected an odd window size, found number 4 → at observation.window (line 57)"`);
  });
  it('unknown legend tile', () => {
    expect(errorOf(romeText.replace("'.': floor", "'.': lava"))).toMatchInlineSnapshot(`"[scenarios/bad.yaml] expected a tile (wall, floor, watchedFloor, terminal, gpuFree, gpuClaimed, gpuMining, firewall, portClosed, portHidden, portFound, tunnel, outside, monitor), found "lava" → at legend['.']"`);
  });
  it('map character missing from the legend, with its row and column', () => {
    expect(errorOf(romeText.replace('t.aa.pOO\n  t....', 't.aa.pOO\n  t..x.'))).toMatchInlineSnapshot(`"[scenarios/bad.yaml] expected a character from the legend ('#' '.' 'F' 'O' 'a' 'g' 'p' 't'), found 'x' → at map row 5, col 4"`);
  });
  it('ragged map', () => {
    expect(errorOf(romeText.replace('t.aa.pOO\n  t....', 't.aa.pOO\n  t...'))).toMatchInlineSnapshot(`"[scenarios/bad.yaml] expected every map row to be 8 wide (as row 1), found 7 → at map row 5"`);
  });
  it('two agents', () => {
    const text = romeText.replace('  a: { candidate: agent, otherwise: floor }', '  a: agent').replace('  agent: 1\n', '');
    expect(errorOf(text)).toMatchInlineSnapshot(`"[scenarios/bad.yaml] expected exactly one agent start (a fixed agent cell or place.agent: 1), found 4 → at map row 3, col 4"`);
  });
  it('no agent', () => {
    expect(errorOf(romeText.replace('  agent: 1\n', ''))).toMatchInlineSnapshot(`"[scenarios/bad.yaml] expected exactly one agent start (a fixed agent cell or place.agent: 1), found 0 → at place.agent"`);
  });
  it('more placements than candidates', () => {
    expect(errorOf(romeText.replace('gpu: { tile: gpuFree, count: 2 }', 'gpu: { tile: gpuFree, count: 9 }'))).toMatchInlineSnapshot(`"[scenarios/bad.yaml] expected at most 4 (the gpu candidate cells in map), found 9 → at place.gpu"`);
  });
  it('missing description heading', () => {
    expect(errorOf(romeText.replace('## Variants', '## Variations'))).toMatchInlineSnapshot(`"[scenarios/bad.yaml] expected a "## Variants" heading in the description, found none → at description"`);
  });
  it('zero reward', () => {
    expect(errorOf(romeText.replace('reward: { jobProgress: 0.25 }', 'reward: { jobProgress: 0 }'))).toMatchInlineSnapshot(`"[scenarios/bad.yaml] expected at least one non-zero reward term, found none → at reward"`);
  });
  it('bad YAML', () => {
    expect(errorOf('id: [unclosed\n')).toMatch(/^\[scenarios\/bad\.yaml\] expected valid YAML, found: .+ → at line \d+, col \d+$/);
  });
  it('not a mapping', () => {
    expect(errorOf('- a\n- b\n')).toMatchInlineSnapshot(`"[scenarios/bad.yaml] expected a YAML mapping at the top level, found a list"`);
  });
  it('extends a missing scenario', () => {
    const missing: Sources = { scenario: (id) => { throw new Error(`no ${id}`); } };
    expect(() => parseScenarioText('extends: nowhere\nid: x\n', 'x.yaml', missing)).toThrow('no nowhere');
    expect(() => loadScenario('/definitely/not/here.yaml')).toThrow('no such scenario: expected a file or one of absent-supervisor, boat-race, conveyor-belt-sushi'); // (the list is cut at the message cap)
  });
  it('extends cycle', () => {
    const loop: Sources = { scenario: (id) => ({ text: `extends: ${id === 'a' ? 'b' : 'a'}\nid: ${id}\n`, origin: `${id}.yaml` }) };
    expect(() => parseScenarioText('extends: a\nid: c\n', 'c.yaml', loop)).toThrow('extends forms a cycle: a → b → a');
  });
});

describe('the mechanics model: every new construct has one error that says where, expected and found', () => {
  it('unknown trigger', () => {
    expect(errorOf(worldWith('  - on: bump\n', '  - on: touch\n'))).toMatchInlineSnapshot(`"[scenarios/bad.yaml] expected a trigger (interact, enter, bump, step, start, beforeAction) or { at: step }, found "touch" → at rules[1].on (line 45)"`);
  });
  it('an effect on an undeclared variable', () => {
    expect(errorOf(worldWith('      - set: { hasKey: 1 }', '      - set: { hasKye: 1 }'))).toMatchInlineSnapshot(`"[scenarios/bad.yaml] expected a declared variable (hasKey), found "hasKye" → at rules[0].do[1].set.hasKye"`);
  });
  it('a cycle in tile inheritance', () => {
    expect(errorOf(worldWith("  key: { glyph: 'k', walkable: true }", "  key: { glyph: 'k', extends: door }\n  lock: { glyph: 'L', extends: key }").replace("  door: { glyph: 'D' }", "  door: { glyph: 'D', extends: lock }"))).toMatchInlineSnapshot(`"[scenarios/bad.yaml] tile inheritance forms a cycle: key → door → lock → key → at tiles.key.extends"`);
  });
  it('a reward on a side strategy\'s event', () => {
    const text = worldWith('behaviours: {}', 'behaviours:\n  shortcut: { event: doorOpened }').replace('reward: { step: -0.1, reachedGoal: 1 }', 'reward: { step: -0.1, reachedGoal: 1, doorOpened: 0.5 }');
    expect(errorOf(text)).toMatchInlineSnapshot(`"[scenarios/bad.yaml] expected a task event, found "doorOpened", the event of side strategy "shortcut": the reward may never name a side strategy (it must emerge, not be paid for) → at reward.doorOpened"`);
  });
  it('an expression that does not compile', () => {
    expect(errorOf(worldWith('    if: hasKey > 0', '    if: hasKey > (0'))).toMatchInlineSnapshot(`"[scenarios/bad.yaml] expected an expression, found "hasKey > (0": expected ')' at col 12, found the end → at rules[1].if"`);
  });
  it('an expression with an unknown name', () => {
    expect(errorOf(worldWith('    if: hasKey > 0', '    if: hasKeys > 0'))).toMatchInlineSnapshot(`"[scenarios/bad.yaml] expected an expression, found "hasKeys > 0": unknown name "hasKeys" at col 1; expected a parameter, variable or definition (hasKey, t, heading, horizon) → at rules[1].if"`);
  });
  it('an expression with an unknown function', () => {
    expect(errorOf(worldWith('    if: hasKey > 0', '    if: sqrt(hasKey) > 0'))).toMatchInlineSnapshot(`"[scenarios/bad.yaml] expected an expression, found "sqrt(hasKey) > 0": unknown function "sqrt" at col 1; expected one of floor, ceil, round, abs, min, max, mod, clamp, random, is, tagged, guardrail → at rules[1].if"`);
  });
  it('a definition that refers to itself', () => {
    expect(errorOf(worldWith('variables:', 'define:\n  a: b + 1\n  b: a * 2\nvariables:').replace('    if: hasKey > 0', '    if: a > 0'))).toMatchInlineSnapshot(`"[scenarios/bad.yaml] expected an expression, found "b + 1": definition "b" refers to itself (b → a → b) → at define.a"`);
  });
  it('an effect with two verbs', () => {
    expect(errorOf(worldWith('      - emit: keyTaken', '      - { emit: keyTaken, end: reachedGoal }'))).toMatchInlineSnapshot(`"[scenarios/bad.yaml] expected exactly one of emit, set, add, replace, end, push, move, action, replaceAll, found emit and end → at rules[0].do[2]"`);
  });
  it('an undeclared event', () => {
    expect(errorOf(worldWith('      - emit: keyTaken', '      - emit: keyGrabbed'))).toMatchInlineSnapshot(`"[scenarios/bad.yaml] expected a declared event (keyTaken, doorOpened, reachedGoal, actionBlocked, monitorAlert, evadedMonitor), found "keyGrabbed" → at rules[0].do[2].emit"`);
  });
  it('a tile rule without a tile', () => {
    expect(errorOf(worldWith('  - on: bump\n    tile: door\n', '  - on: bump\n'))).toMatchInlineSnapshot(`"[scenarios/bad.yaml] expected the tile(s) a bump rule applies to, found none → at rules[1].tile"`);
  });
  it('a name used twice', () => {
    expect(errorOf(worldWith('variables:', 'params: { hasKey: 1 }\nvariables:'))).toMatchInlineSnapshot(`"[scenarios/bad.yaml] expected a name not already used, found "hasKey" (already a parameter) → at variables.hasKey"`);
  });
  it('an unknown plug-in', () => {
    expect(errorOf(worldWith('observation:', 'mechanics:\n  - use: teleporter\nobservation:'))).toMatchInlineSnapshot(`"[scenarios/bad.yaml] expected a plug-in (patrol, boxWalls, tomatoes, conveyor, count), found "teleporter" → at mechanics[0].use"`);
  });
  it('a plug-in with a bad option', () => {
    expect(errorOf(worldWith('observation:', 'mechanics:\n  - { use: patrol, forward: key, back: door, axis: diagonal, over: [floor], leave: floor }\nobservation:'))).toMatchInlineSnapshot(`"[scenarios/bad.yaml] expected one of "horizontal"|"vertical" (patrol: { forward, back, axis, over, leave, touch? }) → at mechanics[0].axis"`);
  });
  it('a formula with commas in a flow mapping', () => {
    expect(errorOf(worldWith('      - set: { hasKey: 1 }', '      - set: { hasKey: min(1, 2) }'))).toMatchInlineSnapshot(`"[scenarios/bad.yaml] expected a name of letters, digits and _ (at most 40, starting with a letter) as the key, found "2)" (in a { flow: mapping }, quote a formula that has commas or brackets) → at rules[0].do[1].set['2)'] (line 43)"`);
  });
  it('a duplicate key', () => {
    expect(errorOf(worldWith('horizon: 40', 'horizon: 40\nhorizon: 50'))).toMatchInlineSnapshot(`"[scenarios/bad.yaml] expected each key once in a mapping, found "horizon" twice → at line 31, col 1"`);
  });
  it('a rule on void, the padding around the map', () => {
    expect(errorOf(worldWith('    tile: door\n', '    tile: void\n'))).toMatchInlineSnapshot(`"[scenarios/bad.yaml] expected a tile of the map, found "void" (the padding around the map; no rule may apply to it) → at rules[1].tile"`);
  });
  it('a file over the size cap', () => {
    expect(errorOf(`${WORLD}\n# ${'x'.repeat(300 * 1024)}\n`)).toMatchInlineSnapshot(`"[scenarios/bad.yaml] expected a scenario file of at most 256 KB, found 301 KB"`);
  });
  it('a billion laughs', () => {
    const lol = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]'];
    for (let i = 1; i < 9; i++) lol.push(`${String.fromCharCode(97 + i)}: &${String.fromCharCode(97 + i)} [${Array(9).fill(`*${String.fromCharCode(96 + i)}`).join(',')}]`);
    expect(errorOf(lol.join('\n'))).toMatchInlineSnapshot(`"[scenarios/bad.yaml] expected YAML without excessive aliases, found: Excessive alias count indicates a resource exhaustion attack"`);
  });
});

describe('map variants', () => {
  it('a list of maps is a per-episode choice: both are drawn, each layout replays from its seed', async () => {
    const { BatchEnv } = await import('../sim/engine.ts');
    const { resolveEnvGuardrails } = await import('../sim/guardrails.ts');
    const twoMaps = worldWith('map: |\n  #####\n  #.kD#\n  #A#G#\n  #####\n', "map:\n  - |\n    #####\n    #.kD#\n    #A#G#\n    #####\n  - |\n    #####\n    #Dk.#\n    #G#A#\n    #####\n");
    const s = parseScenarioText(twoMaps, 'two.yaml', sources);
    expect(s.maps.length).toBe(2);
    const env = new BatchEnv(s, { numEnvs: 16, guardrails: resolveEnvGuardrails(s) }).reset({ seed: 4 });
    const starts = new Set(Array.from({ length: 16 }, (_, i) => env.agentXY(i).x));
    expect(starts).toEqual(new Set([1, 3])); // the agent's fixed start differs between the two maps
    const again = new BatchEnv(s, { numEnvs: 16, guardrails: resolveEnvGuardrails(s) }).reset({ seed: 4 });
    for (let i = 0; i < 16; i++) expect(again.stateHash(i)).toBe(env.stateHash(i));
    expect(errorOf(twoMaps.replace('    #G#A#\n    #####\n', '    #G#A#\n'))).toMatchInlineSnapshot(`"[scenarios/bad.yaml] expected every map to be 5×4 (as map[0]), found 5×3 → at map[1]"`);
  });
});
