// The `sidequest` command line: parses the subcommand and hands over to its module. Every user-facing error
// ends here as one readable line (no stack traces) and a non-zero exit code.
import { ScenarioError } from '../sim/scenario.ts';
import { EpisodeFileError } from '../sim/episode.ts';
import { GuardrailError } from '../sim/guardrails.ts';
import { UsageError } from './args.ts';

const COMMANDS: Record<string, { summary: string; run: (argv: string[]) => Promise<number> }> = {
  eval: { summary: 'evaluate an agent on a scenario: sidequest eval rome --agent opportunist', run: async (a) => (await import('./eval.ts')).runEval(a) },
  replay: { summary: 'verify a recorded episode: sidequest replay FILE --verify', run: async (a) => (await import('./replay.ts')).runReplay(a) },
  play: { summary: 'play a scenario in the terminal: sidequest play rome', run: async (a) => (await import('./play.ts')).runPlay(a) },
  train: { summary: 'train an agent into a run folder: sidequest train rome', run: async (a) => (await import('./train.ts')).runTrain(a) },
  demo: { summary: 'the teaching demo: train PPO on rome, then say what emerged', run: async (a) => (await import('./demo.ts')).runDemo(a) },
  ab: { summary: 'guardrail A/B: sidequest ab rome --arms none,allowlist,penalty --seeds 5', run: async (a) => (await import('./ab.ts')).runAb(a) },
  view: { summary: 'open the viewer on run folders: sidequest view runs/demo', run: async (a) => (await import('./view.ts')).runView(a) },
  schema: { summary: 'write the scenario JSON Schema: sidequest schema --out FILE', run: async (a) => (await import('./schema.ts')).runSchema(a) },
  scenarios: { summary: 'list the shipped scenarios', run: async (a) => (await import('./schema.ts')).runList(a) },
  demos: { summary: 'rewrite the checked-in demonstrations in test/demonstrations/', run: async (a) => (await import('./demos.ts')).runDemos(a) },
  bench: { summary: 'measure speed, print JSON (last line)', run: async (a) => (await import('../bench/bench.ts')).runBench(a) },
};

export function usage(): string {
  const width = Math.max(...Object.keys(COMMANDS).map((c) => c.length));
  return [
    'sidequest — RL agents that discover side strategies, and guardrails against them',
    '',
    'usage: sidequest <command> [options]   (sidequest <command> --help for its options)',
    '',
    ...Object.entries(COMMANDS).map(([name, c]) => `  ${name.padEnd(width)}  ${c.summary}`),
  ].join('\n');
}

export async function main(argv: string[]): Promise<number> {
  const [cmd, ...rest] = argv;
  if (!cmd || cmd === '--help' || cmd === '-h' || cmd === 'help') {
    console.log(usage());
    return cmd ? 0 : 1;
  }
  const command = COMMANDS[cmd];
  if (!command) {
    console.error(`sidequest: unknown command "${cmd}"\n\n${usage()}`);
    return 2;
  }
  try {
    return await command.run(rest);
  } catch (e) {
    if (e instanceof ScenarioError || e instanceof EpisodeFileError || e instanceof GuardrailError || e instanceof UsageError) {
      console.error(`sidequest ${cmd}: ${e.message}`);
      return 2;
    }
    throw e;
  }
}
