// Node-side scenario loading: finds a scenario by id (in scenarios/) or by path, resolves `extends` against the
// same folder and tile libraries (`<id>.tiles.yaml`) against the same folder, then the shipped one. The only
// sim/ module that touches the file system; the browser uses scenario.ts directly. Reads are bounded: only
// regular files, at most MAX_SCENARIO_BYTES, so a directory, a FIFO or /dev/zero named as a scenario gets a
// one-line error instead of a hang.
import { closeSync, constants, existsSync, fstatSync, openSync, readdirSync, readSync } from 'node:fs';
import { basename, dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { MAX_SCENARIO_BYTES, parseScenarioText, ScenarioError, type Scenario } from './scenario.ts';

/** The shipped scenarios folder. */
export const SCENARIOS_DIR = resolve(dirname(fileURLToPath(import.meta.url)), '..', 'scenarios');
const LIBRARY_SUFFIX = '.tiles.yaml';

/** Ids of the scenarios in a folder (files ending in .yaml, tile libraries excepted). */
export function listScenarios(dir = SCENARIOS_DIR): string[] {
  return readdirSync(dir)
    .filter((f) => f.endsWith('.yaml') && !f.endsWith(LIBRARY_SUFFIX))
    .map((f) => basename(f, '.yaml'))
    .sort();
}

/** Loads `rome` (a shipped id) or `path/to/file.yaml`. */
export function loadScenario(nameOrPath: string): Scenario {
  if (nameOrPath.length > 1024) throw new ScenarioError(`${nameOrPath.slice(0, 40)}…`, '', `expected a scenario id or path of at most 1024 characters, found ${nameOrPath.length}`);
  const isPath = nameOrPath.endsWith('.yaml') || nameOrPath.endsWith('.yml') || nameOrPath.includes('/');
  if (!isPath && !/^[a-z][a-z0-9-]{0,39}$/.test(nameOrPath)) {
    throw new ScenarioError(JSON.stringify(nameOrPath), '', `no such scenario: expected a file or one of ${listScenarios().join(', ')}`);
  }
  const file = isPath ? resolve(nameOrPath) : join(SCENARIOS_DIR, `${nameOrPath}.yaml`);
  if (!existsSync(file)) {
    throw new ScenarioError(displayPath(file), '', `no such scenario: expected a file or one of ${listScenarios().join(', ')}`);
  }
  const dir = dirname(file);
  const parent = (id: string) => {
    const f = join(dir, `${id}.yaml`);
    if (!/^[a-z][a-z0-9-]{0,39}$/.test(id) || !existsSync(f)) throw new ScenarioError(displayPath(file), 'extends', `expected a scenario "${id.slice(0, 40)}" beside this file, found no ${displayPath(f)}`);
    return readBounded(f);
  };
  const library = (id: string) => {
    for (const d of [dir, SCENARIOS_DIR]) {
      const f = join(d, `${id}${LIBRARY_SUFFIX}`);
      if (existsSync(f)) return readBounded(f);
    }
    throw new ScenarioError(displayPath(file), 'import', `expected a tile library ${id}${LIBRARY_SUFFIX} beside this file or in ${displayPath(SCENARIOS_DIR)}, found none`);
  };
  const { text, origin } = readBounded(file);
  return parseScenarioText(text, origin, { scenario: parent, library });
}

/** Reads a regular file of at most MAX_SCENARIO_BYTES as UTF-8. */
export function readBounded(f: string, max = MAX_SCENARIO_BYTES): { text: string; origin: string } {
  const origin = displayPath(f);
  let fd: number;
  try {
    // non-blocking, so a FIFO cannot stall the open; fstat then refuses it
    fd = openSync(f, constants.O_RDONLY | constants.O_NONBLOCK);
  } catch (e) {
    throw new ScenarioError(origin, '', `expected a readable file, found ${(e as NodeJS.ErrnoException).code ?? 'an error'}`);
  }
  try {
    const st = fstatSync(fd);
    if (!st.isFile()) throw new ScenarioError(origin, '', `expected a regular file, found ${st.isDirectory() ? 'a directory' : 'a special file'}`);
    if (st.size > max) throw new ScenarioError(origin, '', `expected a file of at most ${Math.round(max / 1024)} KB, found ${Math.round(st.size / 1024)} KB`);
    const buf = Buffer.alloc(st.size);
    let got = 0;
    while (got < st.size) {
      const n = readSync(fd, buf, got, st.size - got, got);
      if (n === 0) break;
      got += n;
    }
    return { text: buf.subarray(0, got).toString('utf8'), origin };
  } finally {
    closeSync(fd);
  }
}

function displayPath(f: string): string {
  const rel = relative(process.cwd(), f);
  return rel.startsWith('..') ? f : rel;
}
