// Flag parsing from declarative specs: types, ranges, defaults, and --no- for booleans that default on.
import { describe, expect, it } from 'vitest';
import { defineCommand, parseCommand, UsageError } from '../cli/args.ts';

const cmd = defineCommand({
  name: 't',
  synopsis: '',
  flags: {
    steps: { type: 'number', default: 10, integer: true, min: 1, description: 'steps' },
    anneal: { type: 'boolean', default: true, description: 'anneal' },
    quiet: { type: 'boolean', description: 'quiet' },
  },
});

describe('parseCommand', () => {
  it('applies defaults and parses values', () => {
    expect(parseCommand(cmd, [])!.flags).toEqual({ steps: 10, anneal: true, quiet: undefined });
    expect(parseCommand(cmd, ['--steps', '5', '--quiet', 'x'])).toEqual({ flags: { steps: 5, anneal: true, quiet: true }, positionals: ['x'] });
  });
  it('--no-<flag> turns off a boolean that defaults on', () => {
    expect(parseCommand(cmd, ['--no-anneal'])!.flags.anneal).toBe(false);
  });
  it.each([
    [['--steps', '1.5'], '--steps: expected a whole number, found 1.5'],
    [['--steps', '0'], '--steps: expected at least 1, found 0'],
    [['--steps', 'many'], '--steps: expected a number, found "many"'],
    [['--colour'], 'unknown flag --colour (sidequest t --help lists them)'],
  ])('%j → %s', (argv, message) => {
    expect(() => parseCommand(cmd, argv)).toThrow(UsageError);
    expect(() => parseCommand(cmd, argv)).toThrow(message);
  });
});
