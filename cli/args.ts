// Flag parsing for every subcommand from one declarative spec (name → type, default, description), so
// `--help` text and parsing never disagree. Algorithm args objects (agents/ppo.ts...) feed the same specs.
import { parseArgs } from 'node:util';

export class UsageError extends Error {}

export type FlagSpec =
  | { type: 'string'; default?: string; description: string; short?: string }
  | { type: 'number'; default?: number; description: string; integer?: boolean; min?: number; max?: number }
  | { type: 'boolean'; default?: boolean; description: string };

export type Flags = Record<string, FlagSpec>;

type ValueOf<F extends FlagSpec> = F extends { type: 'number' } ? number : F extends { type: 'boolean' } ? boolean : string;
export type Parsed<S extends Flags> = { [K in keyof S]: S[K] extends { default: unknown } ? ValueOf<S[K]> : ValueOf<S[K]> | undefined };

export interface Command<S extends Flags> {
  name: string;
  synopsis: string;
  flags: S;
  /** Names of positional arguments, for help; the last may end in `...` for "one or more". */
  positionals?: string[];
}

/** Declares a command with its flags' literal types kept (for typed parse results). */
export function defineCommand<S extends Flags>(cmd: Command<S>): Command<S> {
  return cmd;
}

export function helpText<S extends Flags>(cmd: Command<S>): string {
  const lines = [`usage: sidequest ${cmd.name} ${cmd.synopsis}`, '', 'options:'];
  const width = Math.max(...Object.keys(cmd.flags).map((k) => k.length + 8), 12);
  for (const [k, f] of Object.entries(cmd.flags)) {
    const flag = f.type === 'boolean' && f.default === true ? `--[no-]${k}` : `--${k}${f.type === 'boolean' ? '' : ` <${f.type === 'number' ? 'n' : 'value'}>`}`;
    const def = f.default !== undefined ? (f.type !== 'boolean' ? ` (default ${f.default})` : f.default ? ' (default on)' : '') : '';
    lines.push(`  ${flag.padEnd(width + 8)} ${f.description}${def}`);
  }
  lines.push(`  ${'--help'.padEnd(width + 8)} show this help`);
  return lines.join('\n');
}

/** Parses argv against a command's spec; returns null after printing help. Throws UsageError on bad input. */
export function parseCommand<S extends Flags>(cmd: Command<S>, argv: string[]): { flags: Parsed<S>; positionals: string[] } | null {
  const options: Record<string, { type: 'string' | 'boolean'; short?: string }> = { help: { type: 'boolean', short: 'h' } };
  for (const [k, f] of Object.entries(cmd.flags)) {
    options[k] = { type: f.type === 'boolean' ? 'boolean' : 'string' };
    if (f.type === 'boolean') options[`no-${k}`] = { type: 'boolean' }; // Node 20's parseArgs has no allowNegative
  }
  let parsed: ReturnType<typeof parseArgs>;
  try {
    parsed = parseArgs({ args: argv, options, allowPositionals: true, strict: true });
  } catch (e) {
    throw new UsageError(`${(e as Error).message.replace(/\. To specify a positional.*$/s, '')}\n\n${helpText(cmd)}`);
  }
  if (parsed.values.help) {
    console.log(helpText(cmd));
    return null;
  }
  const out: Record<string, unknown> = {};
  for (const [k, f] of Object.entries(cmd.flags)) {
    const raw = parsed.values[k];
    if (f.type === 'boolean' && parsed.values[`no-${k}`]) {
      out[k] = false;
      continue;
    }
    if (raw === undefined) {
      out[k] = f.default;
      continue;
    }
    if (f.type === 'number') {
      const v = Number(raw);
      if (typeof raw !== 'string' || raw.trim() === '' || !Number.isFinite(v)) throw new UsageError(`--${k}: expected a number, found "${String(raw)}"`);
      if (f.integer && !Number.isInteger(v)) throw new UsageError(`--${k}: expected a whole number, found ${raw}`);
      if (f.min !== undefined && v < f.min) throw new UsageError(`--${k}: expected at least ${f.min}, found ${raw}`);
      if (f.max !== undefined && v > f.max) throw new UsageError(`--${k}: expected at most ${f.max}, found ${raw}`);
      out[k] = v;
    } else out[k] = raw;
  }
  return { flags: out as Parsed<S>, positionals: parsed.positionals };
}

/** Splits `a,b c` style lists given to flags like --guardrail. */
export { splitList as listFlag } from '../agents/args.ts';
