// The `sidequest` command line: parses the subcommand and hands over to its module. Every error ends here as
// one readable line and a non-zero exit code: 2 for bad input (usage, scenario, episode, run-folder and file
// errors), 1 for anything else — its message only, never a stack trace or a dependency's minified source, unless
// SIDEQUEST_DEBUG=1 asks for the stack. Everything echoed passes through `printable`.
import { readFileSync } from 'node:fs';
import { ScenarioError } from '../sim/scenario.ts';
import { EpisodeFileError } from '../sim/episode.ts';
import { GuardrailError } from '../sim/guardrails.ts';
import { nearest, printable, UsageError } from './args.ts';

interface CommandEntry {
  summary: string;
  run: (argv: string[]) => Promise<number>;
  /** Maintainer commands: they work, but are not in the user's help. */
  hidden?: boolean;
}

const COMMANDS: Record<string, CommandEntry> = {
  eval: { summary: 'evaluate an agent on a scenario: sidequest eval rome --agent opportunist', run: async (a) => (await import('./eval.ts')).runEval(a) },
  replay: { summary: 'replay or verify a recorded episode: sidequest replay FILE --verify, or a training episode: sidequest replay RUN --env E --episode K', run: async (a) => (await import('./replay.ts')).runReplay(a) },
  play: { summary: 'play a scenario in the terminal: sidequest play rome', run: async (a) => (await import('./play.ts')).runPlay(a) },
  train: { summary: 'train an agent into a run folder: sidequest train rome', run: async (a) => (await import('./train.ts')).runTrain(a) },
  demo: { summary: 'the teaching demo: train PPO on rome, then say what emerged', run: async (a) => (await import('./demo.ts')).runDemo(a) },
  ab: { summary: 'guardrail A/B: sidequest ab rome --arms none,allowlist,penalty --seeds 5', run: async (a) => (await import('./ab.ts')).runAb(a) },
  classic: { summary: 'the classic problems: PPO, A2C and DQN on each, read against the paper: sidequest classic --out DIR', run: async (a) => (await import('./classic.ts')).runClassic(a) },
  emergence: { summary: 'when each side strategy emerges: sidequest emergence rome-campus --seeds 3 --out DIR', run: async (a) => (await import('./emergence.ts')).runEmergence(a) },
  incidents: { summary: 'triage a run\'s firewall alerts into bursts, down to the training episodes: sidequest incidents runs/demo', run: async (a) => (await import('./incidents.ts')).runIncidents(a) },
  fork: { summary: 'continue a recorded episode from a step under another guardrail or agent: sidequest fork runs/demo --env 3 --episode 17 --at 9 --guardrail sandbox', run: async (a) => (await import('./fork.ts')).runFork(a) },
  view: { summary: 'open the viewer on run folders: sidequest view runs/demo', run: async (a) => (await import('./view.ts')).runView(a) },
  schema: { summary: 'write the scenario JSON Schema: sidequest schema --out FILE', run: async (a) => (await import('./schema.ts')).runSchema(a) },
  scenarios: { summary: 'list the shipped scenarios', run: async (a) => (await import('./schema.ts')).runList(a) },
  demos: { summary: 'rewrite the checked-in demonstrations in test/demonstrations/', run: async (a) => (await import('./demos.ts')).runDemos(a), hidden: true },
  bench: { summary: 'measure speed, print JSON (last line)', run: async (a) => (await import('../bench/bench.ts')).runBench(a) },
};

export function usage(): string {
  const shown = Object.entries(COMMANDS).filter(([, c]) => !c.hidden);
  const width = Math.max(...shown.map(([name]) => name.length));
  return [
    'sidequest — RL agents that discover side strategies, and guardrails against them',
    '',
    'usage: sidequest <command> [options]   (sidequest <command> --help for its options; sidequest --version)',
    '',
    ...shown.map(([name, c]) => `  ${name.padEnd(width)}  ${c.summary}`),
  ].join('\n');
}

export function version(): string {
  const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string };
  return pkg.version;
}

/** Errors from the file system that are the user's input, with what to do about them. */
const FILE_ERRORS: Record<string, string> = {
  EISDIR: 'is a folder, expected a file',
  ENOTDIR: 'a part of the path is not a folder',
  ENOENT: 'no such file or folder',
  ENAMETOOLONG: 'name too long for the file system',
  EACCES: 'permission denied',
  EPERM: 'not permitted',
  ELOOP: 'too many symlinks',
  EADDRINUSE: 'address already in use: choose another with --port N (0 = any free port)',
  EADDRNOTAVAIL: 'address not available on this machine (see --host)',
  ENOSPC: 'no space left on the device',
  EMFILE: 'too many open files',
  ERR_FS_FILE_TOO_LARGE: 'file too large to read (over 2 GB)',
  ERR_STRING_TOO_LONG: 'file too large to read as text (over 512 MB)',
};

/** Run-folder and checkpoint errors are bad input too; their classes live with the modules that load tfjs. */
const INPUT_ERRORS = new Set(['RunError', 'CheckpointError', 'BackendError', 'TrainingDivergedError', 'TrainingGuardrailError', 'AbError', 'TrainingRecordError', 'ForkError', 'IncidentsError']);

/** The one line (and exit code) an error becomes. */
export function describeError(e: unknown): { message: string; code: number } {
  if (e instanceof ScenarioError || e instanceof EpisodeFileError || e instanceof GuardrailError || e instanceof UsageError) return { message: e.message, code: 2 };
  if (e instanceof Error && INPUT_ERRORS.has(e.constructor.name)) return { message: e.message, code: 2 };
  const errno = e as NodeJS.ErrnoException;
  if (e instanceof Error && typeof errno.code === 'string' && FILE_ERRORS[errno.code]) {
    const where = errno.path ?? (errno.code.startsWith('EADDR') ? /\S+$/.exec(e.message)?.[0] : undefined);
    return { message: `${where ? `${where}: ` : ''}${FILE_ERRORS[errno.code]} (${errno.code})`, code: 2 };
  }
  const message = e instanceof Error ? e.message.split('\n')[0] : String(e);
  return { message: `internal error: ${message} (SIDEQUEST_DEBUG=1 shows the stack)`, code: 1 };
}

/** Prints an error as one line (the stack too with SIDEQUEST_DEBUG=1) and returns the exit code. */
export function reportError(prefix: string, e: unknown): number {
  const { message, code } = describeError(e);
  console.error(printable(`${prefix}: ${message}`));
  if (process.env.SIDEQUEST_DEBUG === '1' && e instanceof Error) console.error(e.stack);
  return code;
}

/** Said before a command runs: what it will not do with the flags given (silently ignored flags are a trap). */
async function notices(cmd: string, argv: string[]): Promise<void> {
  if (cmd === 'train' && argv.some((a) => a === '--resume' || a.startsWith('--resume='))) {
    const { ignoredOnResume } = await import('../agents/runs/run.ts');
    const ignored = ignoredOnResume(argv);
    if (ignored.length) {
      console.error(printable(`sidequest train: --resume continues with the run's own settings from its run.json; ignoring ${ignored.map((f) => `--${f}`).join(', ')} (only --backend and --quiet apply)`));
    }
  }
}

export async function main(argv: string[]): Promise<number> {
  const [cmd, ...rest] = argv;
  if (!cmd || cmd === '--help' || cmd === '-h' || cmd === 'help') {
    console.log(usage());
    return cmd ? 0 : 1;
  }
  if (cmd === '--version' || cmd === '-V') {
    console.log(`sidequest ${version()}`);
    return 0;
  }
  const command = COMMANDS[cmd];
  if (!command) {
    const guess = nearest(cmd, Object.keys(COMMANDS).filter((c) => !COMMANDS[c].hidden));
    console.error(printable(`sidequest: unknown command "${cmd}"${guess ? `: did you mean ${guess}?` : ''} (sidequest --help lists them)`));
    return 2;
  }
  try {
    await notices(cmd, rest);
    return await command.run(rest);
  } catch (e) {
    return reportError(`sidequest ${cmd}`, e);
  }
}
