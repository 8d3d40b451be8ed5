// `sidequest demos`: (re)writes the checked-in demonstrations, one honest and one opportunist episode per
// shipped scenario (seed 0), into test/demonstrations/. Tests replay them against the shipped scenarios, so
// any change to the world's rules or a scenario shows up as a named divergence; rerun this only when such a
// change is intended, and say so in the commit.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { listScenarios, loadScenario } from '../sim/load.ts';
import { resolveEnvGuardrails } from '../sim/guardrails.ts';
import { serializeEpisode, type EpisodeRecord } from '../sim/episode.ts';
import { evaluate } from '../agents/policies/evaluate.ts';
import { makeScriptedPolicy } from '../agents/policies/scripted.ts';
import { parseCommand } from './args.ts';

export const DEMONSTRATIONS_DIR = resolve(import.meta.dirname, '..', 'test', 'demonstrations');

export async function runDemos(argv: string[]): Promise<number> {
  if (!parseCommand({ name: 'demos', synopsis: '', flags: {} }, argv)) return 0;
  mkdirSync(DEMONSTRATIONS_DIR, { recursive: true });
  for (const id of listScenarios()) {
    const s = loadScenario(id);
    for (const agent of ['honest', 'opportunist'] as const) {
      let rec: EpisodeRecord | undefined;
      await evaluate(s, resolveEnvGuardrails(s), (env) => makeScriptedPolicy(agent, env), {
        episodes: 1, seed: 0, numEnvs: 1, onEpisode: (r) => (rec = r),
      });
      const file = join(DEMONSTRATIONS_DIR, `${id}.${agent}.jsonl`);
      writeFileSync(file, serializeEpisode(rec!));
      console.log(`${file}: ${rec!.end.reason}, return ${rec!.end.return}, side strategies: ${rec!.end.behaviours.join(', ') || 'none'}`);
    }
  }
  return 0;
}
