// Scenario files: every shipped one loads, and every validation error path says file, place, expected and
// found — pinned here word for word so a change to a message is a deliberate one.
import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { listScenarios, loadScenario, SCENARIOS_DIR } from '../sim/load.ts';
import { parseScenarioText } from '../sim/scenario.ts';
import { scenarioJsonSchema } from '../sim/schema.ts';

const romeText = readFileSync(join(SCENARIOS_DIR, 'rome.yaml'), 'utf8');
const parent = (id: string) => ({ text: readFileSync(join(SCENARIOS_DIR, `${id}.yaml`), 'utf8'), origin: `scenarios/${id}.yaml` });

function errorOf(text: string, origin = 'scenarios/bad.yaml'): string {
  try {
    parseScenarioText(text, origin, parent);
  } catch (e) {
    return (e as Error).message;
  }
  throw new Error('expected a validation error');
}

/** rome.yaml with one top-level block replaced. */
function romeWith(key: string, replacement: string): string {
  const re = new RegExp(`^${key}:.*(?:\\n(?: .*|))*?(?=\\n\\S)`, 'm');
  if (!re.test(romeText)) throw new Error(`no ${key} in rome.yaml`);
  return romeText.replace(re, replacement);
}

describe('shipped scenarios', () => {
  it('ships the five scenarios of the brief', () => {
    expect(listScenarios()).toEqual(['rome', 'rome-hidden', 'rome-mining', 'rome-monitored', 'tutorial']);
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
  it('no reward names an affordance: only task events may be rewarded', () => {
    for (const id of listScenarios()) expect(Object.keys(loadScenario(id).file.reward).every((k) => k === 'jobDone' || k === 'jobProgress')).toBe(true);
    expect(errorOf(romeWith('reward', 'reward: { jobDone: 1, gpuClaimed: 5 }'))).toBe(
      '[scenarios/bad.yaml] unknown key "gpuClaimed"; expected only the documented keys (see scenarios/scenario.schema.json) → at reward (line 55)',
    );
  });
});

describe('validation errors name file, place, expected and found', () => {
  it('unknown top-level key', () => {
    expect(errorOf(`${romeText}\nspeed: 3\n`)).toBe(
      '[scenarios/bad.yaml] unknown key "speed"; expected only the documented keys (see scenarios/scenario.schema.json) → at (top level) (line 2)',
    );
  });
  it('wrong type', () => {
    expect(errorOf(romeWith('horizon', 'horizon: soon'))).toBe('[scenarios/bad.yaml] expected number, found "soon" → at horizon (line 51)');
  });
  it('out of range', () => {
    expect(errorOf(romeWith('horizon', 'horizon: 0'))).toBe('[scenarios/bad.yaml] expected number to be >=1, found number 0 → at horizon (line 51)');
  });
  it('even window', () => {
    expect(errorOf(romeWith('observation', 'observation: { window: 8 }'))).toBe('[scenarios/bad.yaml] expected an odd window size, found number 8 → at observation.window (line 52)');
  });
  it('unknown legend tile', () => {
    expect(errorOf(romeText.replace("'.': floor", "'.': lava"))).toBe(
      `[scenarios/bad.yaml] expected a tile name (wall, floor, watchedFloor, terminal, gpu, firewall, port, outside, monitor, agent) or { candidate, otherwise }, found "lava" → at legend['.'] (line 43)`,
    );
  });
  it('map character missing from the legend, with its row and column', () => {
    expect(errorOf(romeText.replace('t.aa.pOO\n  t....', 't.aa.pOO\n  t..x.'))).toBe(
      "[scenarios/bad.yaml] expected a character from the legend ('#' '.' 'F' 'O' 'a' 'g' 'p' 't'), found 'x' → at map row 5, col 4",
    );
  });
  it('ragged map', () => {
    expect(errorOf(romeText.replace('t.aa.pOO\n  t....', 't.aa.pOO\n  t...'))).toBe('[scenarios/bad.yaml] expected every map row to be 8 wide (as row 1), found 7 → at map row 5');
  });
  it('two agents', () => {
    const text = romeText.replace("  a: { candidate: agent, otherwise: floor }", "  a: agent").replace('place: { agent: 1, ', 'place: { ');
    expect(errorOf(text)).toBe('[scenarios/bad.yaml] expected exactly one agent start (a fixed agent cell or place.agent: 1), found 4 → at map row 3, col 4');
  });
  it('no agent', () => {
    expect(errorOf(romeText.replace('place: { agent: 1, ', 'place: { '))).toBe(
      '[scenarios/bad.yaml] expected exactly one agent start (a fixed agent cell or place.agent: 1), found 0 → at place.agent',
    );
  });
  it('more placements than candidates', () => {
    expect(errorOf(romeText.replace('gpu: 2', 'gpu: 9'))).toBe('[scenarios/bad.yaml] expected at most 4 (the gpu candidate cells in the map), found 9 → at place.gpu');
  });
  it('no terminal', () => {
    expect(errorOf(romeText.replace('terminal: 1 }', 'terminal: 0 }'))).toBe('[scenarios/bad.yaml] expected at least one terminal (the task), found none → at map');
  });
  it('missing description heading', () => {
    expect(errorOf(romeText.replace('## Variants', '## Variations'))).toBe('[scenarios/bad.yaml] expected a "## Variants" heading in the description, found none → at description');
  });
  it('zero reward', () => {
    expect(errorOf(romeWith('reward', 'reward: { jobDone: 0 }'))).toBe(
      '[scenarios/bad.yaml] expected at least one non-zero task reward (jobDone or jobProgress), found none → at reward',
    );
  });
  it('bad YAML', () => {
    expect(errorOf('id: [unclosed\n')).toMatch(/^\[scenarios\/bad\.yaml\] expected valid YAML, found: .+ → at line \d+, col \d+$/);
  });
  it('not a mapping', () => {
    expect(errorOf('- a\n- b\n')).toBe('[scenarios/bad.yaml] expected a YAML mapping at the top level, found a list');
  });
  it('extends a missing scenario', () => {
    const missing = (id: string) => {
      throw new Error(`no ${id}`);
    };
    expect(() => parseScenarioText('extends: nowhere\nid: x\n', 'x.yaml', missing)).toThrow('no nowhere');
    expect(() => loadScenario('/definitely/not/here.yaml')).toThrow('no such scenario: expected a file or one of rome, rome-hidden, rome-mining, rome-monitored, tutorial');
  });
  it('extends cycle', () => {
    const loop = (id: string) => ({ text: `extends: ${id === 'a' ? 'b' : 'a'}\nid: ${id}\n`, origin: `${id}.yaml` });
    expect(() => parseScenarioText('extends: a\nid: c\n', 'c.yaml', loop)).toThrow('extends forms a cycle: a → b → a');
  });
  it('a variant overrides only what it names', () => {
    const hidden = loadScenario('rome-hidden');
    const rome = loadScenario('rome');
    expect(hidden.hiddenPort).toBe(true);
    expect(hidden.file.map).toBe(rome.file.map);
    expect(hidden.hash).not.toBe(rome.hash);
  });
});
