// Flag parsing for every subcommand from one declarative spec (name → type, default, description), so
// `--help` text and parsing never disagree. Algorithm args objects (agents/learning/ppo.ts...) feed the same specs.
// Also what the CLI echoes back: an unknown flag is named with the nearest real one, never the whole help, and
// anything echoed to the terminal passes through `printable` (no escape sequences, no megabyte lines).
import { parseArgs } from 'node:util';

export class UsageError extends Error {}

/** Edit distance (insertions, deletions, substitutions), for "did you mean". */
export function levenshtein(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    for (let j = 1; j <= b.length; j++) cur[j] = Math.min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
    prev = cur;
  }
  return prev[b.length];
}

/** The candidate closest to `name`, if it is close enough to be a typo (or `name` is a prefix of it). */
export function nearest(name: string, candidates: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestD = Infinity;
  for (const c of candidates) {
    const d = c.startsWith(name) && name.length >= 3 ? 1 : levenshtein(name, c);
    if (d < bestD) [best, bestD] = [c, d];
  }
  return bestD <= Math.max(2, Math.floor(name.length / 3)) ? best : undefined;
}

/**
 * Text safe to print: control characters and escape sequences (which could move the cursor, retitle or clear
 * the terminal) shown as \xNN, and every line cut to `maxLine` characters (a 1 MB argument echoed whole is noise).
 */
export function printable(text: string, maxLine = 300): string {
  return text
    .split('\n')
    .map((line) => {
      // eslint-disable-next-line no-control-regex
      const safe = line.replace(/[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`);
      return safe.length > maxLine ? `${safe.slice(0, maxLine)}… (${safe.length - maxLine} more characters)` : safe;
    })
    .join('\n');
}

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
  const args = checkFlags(cmd, argv, options);
  let parsed: ReturnType<typeof parseArgs>;
  try {
    parsed = parseArgs({ args, options, allowPositionals: true, strict: true });
  } catch (e) {
    // what checkFlags lets through is rare; Node's message, without its advice on positionals
    throw new UsageError((e as Error).message.replace(/\. To specify a positional.*$/s, '').replace(/\.? ?Did you forget.*$/s, ''));
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

/**
 * Checks every flag name before parseArgs sees them, so the error names the flag and the nearest real one; a
 * value given after a flag that takes one is bound to it even when it starts with a dash (`--episodes -5`
 * becomes `--episodes=-5`, then fails the range check with a message instead of parseArgs' "ambiguous").
 */
function checkFlags<S extends Flags>(cmd: Command<S>, argv: string[], options: Record<string, { type: 'string' | 'boolean'; short?: string }>): string[] {
  const out: string[] = [];
  const names = Object.keys(options);
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--') return [...out, ...argv.slice(i)];
    if (a === '-h') {
      out.push(a);
      continue;
    }
    if (!a.startsWith('-') || a === '-') {
      out.push(a);
      continue;
    }
    const name = a.startsWith('--') ? a.slice(2).split('=')[0] : a.slice(1);
    const spec = options[name];
    if (!spec || !a.startsWith('--')) {
      const guess = nearest(name, names.filter((n) => !n.startsWith('no-') || name.startsWith('no-')));
      throw new UsageError(`unknown flag ${a.split('=')[0]}${guess ? `: did you mean --${guess}?` : ''} (sidequest ${cmd.name} --help lists them)`);
    }
    if (spec.type === 'boolean' && a.includes('=')) throw new UsageError(`${a.split('=')[0]}: takes no value, found ${a}`);
    if (spec.type === 'string' && !a.includes('=')) {
      if (i + 1 >= argv.length) throw new UsageError(`${a}: expected a value after it`);
      if (argv[i + 1].startsWith('--')) throw new UsageError(`${a}: expected a value, found the flag ${argv[i + 1].split('=')[0]} (write ${a}=VALUE for a value that starts with --)`);
      out.push(`${a}=${argv[++i]}`);
      continue;
    }
    out.push(a);
  }
  return out;
}

/** Splits `a,b c` style lists given to flags like --guardrail. */
export function listFlag(v: string | undefined): string[] | undefined {
  return v === undefined ? undefined : v.split(/[,\s]+/).filter(Boolean);
}

/** An option field's command-line flag: numSteps → num-steps. */
export function flagName(field: string): string {
  return field.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);
}
