// Node-side scenario loading: finds a scenario by id (in scenarios/) or by path and resolves `extends` against
// the same folder. The only sim/ module that touches the file system; the browser uses scenario.ts directly.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { basename, dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseScenarioText, ScenarioError, type Scenario } from './scenario.ts';

/** The shipped scenarios folder. */
export const SCENARIOS_DIR = resolve(dirname(fileURLToPath(import.meta.url)), '..', 'scenarios');

/** Ids of the scenarios in a folder (files ending in .yaml). */
export function listScenarios(dir = SCENARIOS_DIR): string[] {
  return readdirSync(dir)
    .filter((f) => f.endsWith('.yaml'))
    .map((f) => basename(f, '.yaml'))
    .sort();
}

/** Loads `rome` (a shipped id) or `path/to/file.yaml`. */
export function loadScenario(nameOrPath: string): Scenario {
  const isPath = nameOrPath.endsWith('.yaml') || nameOrPath.endsWith('.yml') || nameOrPath.includes('/');
  const file = isPath ? resolve(nameOrPath) : join(SCENARIOS_DIR, `${nameOrPath}.yaml`);
  if (!existsSync(file)) {
    const known = listScenarios().join(', ');
    throw new ScenarioError(nameOrPath, '', `no such scenario: expected a file or one of ${known}`);
  }
  const dir = dirname(file);
  const read = (f: string) => ({ text: readFileSync(f, 'utf8'), origin: displayPath(f) });
  const parent = (id: string) => {
    const f = join(dir, `${id}.yaml`);
    if (!existsSync(f)) throw new ScenarioError(displayPath(file), 'extends', `expected a scenario "${id}" beside this file, found no ${displayPath(f)}`);
    return read(f);
  };
  const { text, origin } = read(file);
  return parseScenarioText(text, origin, parent);
}

function displayPath(f: string): string {
  const rel = relative(process.cwd(), f);
  return rel.startsWith('..') ? f : rel;
}
