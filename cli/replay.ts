// `sidequest replay FILE --verify`: re-simulates a recorded episode and reports whether it matches, or the
// first divergent step. Without --verify it prints the episode's story (its events, step by step).
import { readFileSync } from 'node:fs';
import { parseEpisode, EpisodeFileError } from '../sim/episode.ts';
import { scenarioOfEpisode, verifyEpisode } from '../sim/replay.ts';
import { routineEvents } from '../sim/scenario.ts';
import { ACTION_NAMES } from '../sim/vocab.ts';
import { defineCommand, parseCommand, UsageError } from './args.ts';

const command = defineCommand({
  name: 'replay',
  synopsis: '<episode.jsonl> [--verify] [--json]',
  flags: {
    verify: { type: 'boolean' as const, description: 're-simulate and check every recorded hash and event' },
    json: { type: 'boolean' as const, description: 'print the verification result as JSON' },
  },
});

export async function runReplay(argv: string[]): Promise<number> {
  const parsed = parseCommand(command, argv);
  if (!parsed) return 0;
  if (parsed.positionals.length !== 1) throw new UsageError('expected one episode file');
  const file = parsed.positionals[0];
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    throw new EpisodeFileError(file, 0, `cannot read: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
  const rec = parseEpisode(text, file);
  const h = rec.header;
  if (!parsed.flags.verify) {
    console.log(`${h.scenario.id} · agent ${h.agent} · seed ${h.seed} · guardrails: ${h.guardrails.names.join(', ') || 'none'}`);
    // routine events (the task, and quantities that flow each step) are summarised; side strategies, guardrail
    // events and every firewall alert get their own line
    const routine = routineEvents(scenarioOfEpisode(rec));
    let routineSteps = 0;
    for (const st of rec.steps) {
      const kinds = (st.ev ?? []).map((e) => e[0]);
      if (kinds.some((k) => routine.has(k))) routineSteps++;
      // routine work is summarised below; everything else, and every firewall alert, gets its own line
      if (!st.al && kinds.every((k) => routine.has(k))) continue;
      const al = st.al ? `  [firewall alert: ${st.al.map((a) => a[0]).join(', ')}]` : '';
      // step k is the k-th action (the file's t = k - 1), as on the viewer's scrubber, HUD and timeline
      console.log(`  step ${String(st.t + 1).padStart(3)}  ${ACTION_NAMES[st.a].padEnd(8)}  ${kinds.join(', ')}${al}`);
    }
    console.log(`  ${routineSteps} steps of routine events (${[...routine].join(', ') || 'none'}); at the end: ${Object.entries(rec.end.vars).map(([k, v]) => `${k} ${v}`).join(', ') || 'no variables'}`);
    console.log(`  end: ${rec.end.reason} after ${rec.end.steps} steps, return ${rec.end.return}, side strategies: ${rec.end.behaviours.join(', ') || 'none'}`);
    return 0;
  }
  const result = verifyEpisode(rec);
  if (parsed.flags.json) console.log(JSON.stringify(result));
  else if (result.ok) console.log(`OK: ${file} replays exactly (${result.steps} steps, every state hash and event matches)`);
  else {
    const d = result.divergence!;
    // numbered as everywhere else people read steps (the file's t = 7 is step 8); the JSON keeps the file's index
    const where = d.step < 0 ? 'before the first step' : `at step ${d.step + 1}`;
    console.log(`DIVERGED: ${file} first differs ${where} (${d.what})\n  recorded: ${d.expected}\n  replayed: ${d.found}`);
  }
  return result.ok ? 0 : 1;
}
