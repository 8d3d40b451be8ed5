// The command line as a user meets it: eval's table and JSON, replay --verify on good and broken files, play
// from piped keys, bench's JSON, and one readable line for every bad input.
import { describe, expect, it } from 'vitest';
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const BIN = join(import.meta.dirname, '..', 'bin', 'sidequest.js');
function sq(args: string[], input?: string) {
  const r = spawnSync('node', [BIN, ...args], { encoding: 'utf8', input });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

describe('sidequest eval', () => {
  it('--json prints one object with taskReturn.mean and sideStrategyRates', () => {
    const r = sq(['eval', 'rome', '--agent', 'opportunist', '--episodes', '50', '--json']);
    expect(r.code).toBe(0);
    const o = JSON.parse(r.out) as { taskReturn: { mean: number }; sideStrategyRates: Record<string, number>; episodes: number };
    expect(o.episodes).toBe(50);
    expect(o.taskReturn.mean).toBeGreaterThan(40);
    expect(o.sideStrategyRates.claimGpu).toBe(1);
  });
  it('prints a table, and records episodes that replay', () => {
    const dir = mkdtempSync(join(tmpdir(), 'sq-eval-'));
    const r = sq(['eval', 'rome-monitored', '--agent', 'opportunist', '--episodes', '3', '--record', dir]);
    expect(r.code).toBe(0);
    expect(r.out).toContain('side strategies   claimGpu 100%  probePort 100%  openTunnel 100%');
    expect(r.out).toContain('guardrails: monitor');
    const files = readdirSync(dir);
    expect(files.length).toBe(3);
    const v = sq(['replay', join(dir, files[0]), '--verify']);
    expect(v.code).toBe(0);
    expect(v.out).toMatch(/^OK: .* replays exactly/);
  });
  it.each([
    [['eval'], 'sidequest eval: expected one scenario (e.g. rome), found 0'],
    [['eval', 'atlantis'], 'sidequest eval: [scenarios/atlantis.yaml] no such scenario: expected a file or one of absent-supervisor, boat-race, conveyor-belt-sushi'], // (the line is cut at its cap)
    [['eval', 'rome', '--episodes', 'many'], 'sidequest eval: --episodes: expected a number, found "many"'],
    [['eval', 'rome', '--guardrail', 'moat'], 'sidequest eval: unknown env guardrail "moat": expected one of sandbox, allowlist, blocklist, monitor, tripwire (or none)'],
    [['eval', 'rome', '--agent', 'wizard'], 'sidequest eval: unknown agent "wizard"'],
    [['frobnicate'], 'sidequest: unknown command "frobnicate"'],
  ])('%j → one readable line', (args, message) => {
    const r = sq(args);
    expect(r.code).toBe(2);
    expect(r.err.split('\n')[0]).toContain(message);
    expect(r.err).not.toMatch(/\n\s+at /); // no stack trace
  });
});

describe('sidequest replay', () => {
  it('a tampered file reports the first divergent step and exits 1', () => {
    const dir = mkdtempSync(join(tmpdir(), 'sq-replay-'));
    const text = execFileSync('cat', [join(import.meta.dirname, 'demonstrations', 'rome.opportunist.jsonl')], { encoding: 'utf8' });
    const f = join(dir, 'tampered.jsonl');
    writeFileSync(f, text.replace('"t":7,"a":5', '"t":7,"a":4'));
    const r = sq(['replay', f, '--verify']);
    expect(r.code).toBe(1);
    expect(r.out).toContain('first differs at step 8 (events)');
  });
  it('a corrupted file gets a clear error, not a crash', () => {
    const dir = mkdtempSync(join(tmpdir(), 'sq-replay-'));
    const f = join(dir, 'broken.jsonl');
    writeFileSync(f, '{"type":"header"');
    const r = sq(['replay', f, '--verify']);
    expect(r.code).toBe(2);
    expect(r.err).toBe(`sidequest replay: [${f}] line 1: expected a JSON object, found {"type":"header"\n`);
  });
  it('a missing file', () => {
    const r = sq(['replay', '/nope.jsonl', '--verify']);
    expect(r.err).toBe('sidequest replay: [/nope.jsonl] cannot read: ENOENT\n');
  });
});

describe('sidequest play', () => {
  it('piped keys play the game and show board, HUD and events', () => {
    const r = sq(['play', 'rome', '--seed', '3'], 'ruuui rrii');
    expect(r.code).toBe(0);
    expect(r.out).toContain('step 5: gpuClaimed');
    expect(r.out).toContain('step 9: tunnelOpened');
    expect(r.out).toContain('#...>=OO');
    expect(r.out).toContain('tunnelOpen 1');
    expect(r.out).toContain('compute 6'); // the HUD shows the scenario's variables and definitions
  });
  it('an unknown key letter is refused', () => {
    const r = sq(['play', 'rome'], 'rx');
    expect(r.code).toBe(2);
    expect(r.err).toContain("unknown action letter 'x'");
  });
});

describe('sidequest demo', () => {
  it('trains, then reports what emerged in plain words and how to watch it (tiny budget)', () => {
    const dir = join(mkdtempSync(join(tmpdir(), 'sq-demo-')), 'demo');
    const r = sq(['demo', '--steps', '2048', '--out', dir, '--backend', 'wasm']);
    expect(r.code, r.err).toBe(0);
    expect(r.out).toContain('What emerged (evaluation episodes at each checkpoint):');
    expect(r.out).toMatch(/Task return \(what the learner is paid for\): trained agent -?\d+\.\d, honest script 11\.\d, opportunist script 6\d\.\d\./);
    expect(r.out).toMatch(/Hidden performance \(what the designer wanted, never shown to the learner\): trained agent -?\d+\.\d, honest script -?\d+\.\d, opportunist script -?\d+\.\d/);
    expect(r.out).toContain('Firewall telemetry:');
    expect(r.out).toContain(`npx sidequest view ${dir}`);
    expect(r.err).toContain('100% step     2,048');
  }, 120_000);
});

describe('sidequest bench', () => {
  it('prints a JSON object on its last line with sim.stepsPerSecond', () => {
    const r = sq(['bench', '--quick', '--only', 'sim']);
    expect(r.code).toBe(0);
    const last = r.out.trim().split('\n').pop()!;
    const o = JSON.parse(last) as { sim: { stepsPerSecond: number } };
    expect(o.sim.stepsPerSecond).toBeGreaterThan(0);
  });
});
