/// <reference types="vite/client" />
// The shipped scenarios, embedded in the build as text (Vite's import.meta.glob), and the in-memory `Sources`
// that let sim/scenario.ts resolve their `extends` and tile libraries without a file system. The page and the
// training worker both read them from here, so the world the board draws is the one the worker trains on.
import { parseScenarioText, ScenarioError, type Scenario, type Sources } from '../../../sim/scenario.ts';

const FILES = import.meta.glob('../../../scenarios/*.yaml', { query: '?raw', import: 'default', eager: true }) as Record<string, string>;
const LIBRARY_SUFFIX = '.tiles.yaml';

const scenarios = new Map<string, string>();
const libraries = new Map<string, string>();
for (const [path, text] of Object.entries(FILES)) {
  const file = path.slice(path.lastIndexOf('/') + 1);
  if (file.endsWith(LIBRARY_SUFFIX)) libraries.set(file.slice(0, -LIBRARY_SUFFIX.length), text);
  else scenarios.set(file.slice(0, -'.yaml'.length), text);
}

/** Ids of the shipped scenarios, sorted (tutorial and rome among them). */
export const SHIPPED_SCENARIOS: readonly string[] = [...scenarios.keys()].sort();

export const SOURCES: Sources = {
  scenario(id) {
    const text = scenarios.get(id);
    if (text === undefined) throw new ScenarioError('embedded scenarios', 'extends', `no shipped scenario "${id.slice(0, 40)}"`);
    return { text, origin: `scenarios/${id}.yaml` };
  },
  library(id) {
    const text = libraries.get(id);
    if (text === undefined) throw new ScenarioError('embedded scenarios', 'import', `no shipped tile library "${id.slice(0, 40)}"`);
    return { text, origin: `scenarios/${id}${LIBRARY_SUFFIX}` };
  },
};

/** Compiles a shipped scenario by id (the same text, so the same hash, as `loadScenario(id)` in Node). */
export function shippedScenario(id: string): Scenario {
  const text = scenarios.get(id);
  if (text === undefined) throw new ScenarioError(JSON.stringify(id.slice(0, 40)), '', `no such scenario: expected one of ${SHIPPED_SCENARIOS.join(', ')}`);
  return parseScenarioText(text, `scenarios/${id}.yaml`, SOURCES);
}
