// `sidequest schema` writes the scenario JSON Schema for editors; `sidequest scenarios` lists the shipped ones.
import { writeFileSync } from 'node:fs';
import { scenarioJsonSchema } from '../sim/schema.ts';
import { listScenarios, loadScenario } from '../sim/load.ts';
import { parseCommand } from './args.ts';

export async function runSchema(argv: string[]): Promise<number> {
  const parsed = parseCommand({ name: 'schema', synopsis: '[--out FILE]', flags: { out: { type: 'string', description: 'write here instead of stdout' } } }, argv);
  if (!parsed) return 0;
  const text = JSON.stringify(scenarioJsonSchema(), null, 2) + '\n';
  if (parsed.flags.out) writeFileSync(parsed.flags.out, text);
  else process.stdout.write(text);
  return 0;
}

export async function runList(argv: string[]): Promise<number> {
  if (!parseCommand({ name: 'scenarios', synopsis: '', flags: {} }, argv)) return 0;
  const ids = listScenarios();
  const width = Math.max(16, ...ids.map((id) => id.length));
  for (const id of ids) {
    const s = loadScenario(id);
    console.log(`${id.padEnd(width)} ${s.title}`);
  }
  return 0;
}
