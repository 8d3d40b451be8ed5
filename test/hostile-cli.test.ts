// The command line against hostile and unlucky input: a run-folder corruption matrix given to `eval --agent`
// (each file truncated, emptied, replaced, symlinked out, made a folder), an uncaught error after the wasm backend
// has loaded, flags a new user gets wrong, names the file system refuses, a busy port, and escape sequences in
// echoed input. Each must end as one line that says what is wrong, exit 2 (bad input) or 1 (our bug), and no
// stack trace or minified dependency source.
import { beforeAll, describe, expect, it } from 'vitest';
import { spawnSync, spawn } from 'node:child_process';
import { closeSync, cpSync, ftruncateSync, mkdirSync, mkdtempSync, openSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { createHash } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadScenario } from '../sim/load.ts';
import { resolveEnvGuardrails } from '../sim/guardrails.ts';
import { resolveArgs } from '../agents/learning/options.ts';
import { TrainingRun } from '../agents/runs/run.ts';

const BIN = join(import.meta.dirname, '..', 'bin', 'sidequest.js');
function sq(args: string[], env: Record<string, string> = {}) {
  const r = spawnSync('node', [BIN, ...args], { encoding: 'utf8', timeout: 60_000, env: { ...process.env, ...env } });
  return { code: r.status, out: r.stdout, err: r.stderr, hung: r.error !== undefined };
}
/** One readable line on stderr: no stack frames, no wall of minified source. */
function expectOneLine(r: ReturnType<typeof sq>, code: number) {
  expect(r.hung, 'hung').toBe(false);
  expect(r.code, r.err.slice(0, 500)).toBe(code);
  expect(r.err.trimEnd().split('\n'), r.err.slice(0, 500)).toHaveLength(1);
  expect(r.err).not.toMatch(/\n\s+at /);
  expect(r.err.length).toBeLessThan(1500);
}

let run: string; // a finished run with one checkpoint
const CKPT = 'checkpoints/step-000000064';
function copy(): string {
  const d = join(mkdtempSync(join(tmpdir(), 'sq-hostile-cli-')), 'run');
  cpSync(run, d, { recursive: true });
  return d;
}

beforeAll(async () => {
  run = join(mkdtempSync(join(tmpdir(), 'sq-hostile-cli-')), 'run');
  const s = loadScenario('rome');
  const r = await TrainingRun.create(run, {
    name: 'hostile', scenario: { id: s.id, hash: s.hash, file: s.file }, guardrails: { env: resolveEnvGuardrails(s), training: { names: [] } },
    algo: 'ppo', args: resolveArgs('ppo', { envs: 4, numSteps: 16, hidden: 16 }), net: { kind: 'mlp', hidden: 16 },
    totalSteps: 64, seed: 2, checkpointEvery: 1, evalEpisodes: 1, recordEpisodes: 0, backend: 'wasm',
  });
  await r.train();
  r.dispose();
}, 120_000);

const FILES = ['run.json', 'checkpoints/LATEST', `${CKPT}/checkpoint.json`, `${CKPT}/weights.bin`];
const BREAKS: Record<string, (f: string) => void> = {
  truncated: (f) => writeFileSync(f, readFileSync(f).subarray(0, Math.floor(readFileSync(f).length / 2))),
  emptied: (f) => writeFileSync(f, ''),
  replaced: (f) => writeFileSync(f, '{"format":"something-else/9","tensors":"no"}'),
  'symlinked out': (f) => {
    rmSync(f);
    symlinkSync('/etc/passwd', f);
  },
  'made a folder': (f) => {
    rmSync(f);
    mkdirSync(f);
  },
};
const MATRIX = FILES.flatMap((file) => Object.keys(BREAKS).map((how) => [file, how] as const));

describe('eval --agent on a broken run folder: one line, never a stack trace', () => {
  it.each(MATRIX)('%s %s', (file, how) => {
    const dir = copy();
    BREAKS[how](join(dir, file));
    const r = sq(['eval', 'rome', '--agent', dir, '--episodes', '2', '--envs', '2', '--backend', 'wasm']);
    // LATEST broken with a valid checkpoint beside it: evaluating that checkpoint is the right answer
    if (file === 'checkpoints/LATEST') {
      expect(r.code, r.err).toBe(0);
      return;
    }
    expectOneLine(r, 2);
    expect(r.err).toMatch(/^sidequest eval: /);
  });

  it('NaN weights with a matching checksum are refused, not evaluated as a "safe" agent', () => {
    const dir = copy();
    const f = join(dir, CKPT, 'weights.bin');
    const w = readFileSync(f);
    new Float32Array(w.buffer, w.byteOffset, w.length / 4).fill(Number.NaN, 0, 64);
    writeFileSync(f, w);
    const m = JSON.parse(readFileSync(join(dir, CKPT, 'checkpoint.json'), 'utf8')) as { weights: { sha256: string } };
    m.weights.sha256 = createHash('sha256').update(w).digest('hex');
    writeFileSync(join(dir, CKPT, 'checkpoint.json'), JSON.stringify(m));
    const r = sq(['eval', 'rome', '--agent', dir, '--episodes', '2', '--backend', 'wasm']);
    expectOneLine(r, 2);
    expect(r.err).toContain('64 of');
    expect(r.err).toContain('weights are NaN or infinite');
  });

  it('an unexpected error after the wasm backend has loaded: its message only, exit 1; the stack with SIDEQUEST_DEBUG=1', () => {
    const dir = copy();
    const f = join(dir, CKPT, 'checkpoint.json');
    const m = JSON.parse(readFileSync(f, 'utf8')) as { tensors: Array<{ shape: unknown }> };
    m.tensors[0].shape = 'not-a-list'; // nothing checks this: it fails deep inside loading, as a TypeError
    writeFileSync(f, JSON.stringify(m));
    const r = sq(['eval', 'rome', '--agent', join(dir, CKPT), '--episodes', '2', '--backend', 'wasm']);
    expectOneLine(r, 1);
    expect(r.err).toMatch(/^sidequest eval: internal error: .*join is not a function \(SIDEQUEST_DEBUG=1 shows the stack\)\n$/);
    const d = sq(['eval', 'rome', '--agent', join(dir, CKPT), '--episodes', '2', '--backend', 'wasm'], { SIDEQUEST_DEBUG: '1' });
    expect(d.code).toBe(1);
    expect(d.err).toMatch(/\n\s+at /);
  });
});

describe('a new user’s first hour', () => {
  it.each([
    [['eval', 'rome', '--epsiodes', '5'], 'sidequest eval: unknown flag --epsiodes: did you mean --episodes? (sidequest eval --help lists them)'],
    [['eval', 'rome', '--colour'], 'sidequest eval: unknown flag --colour (sidequest eval --help lists them)'],
    [['eval', 'rome', '--episodes', '-5'], 'sidequest eval: --episodes: expected at least 1, found -5'],
    [['eval', 'rome', '--episodes'], 'sidequest eval: --episodes: expected a value after it'],
    [['eval', 'rome', '--json=yes'], 'sidequest eval: --json: takes no value, found --json=yes'],
    [['trian', 'rome'], 'sidequest: unknown command "trian": did you mean train? (sidequest --help lists them)'],
  ])('%j → %s', (args, message) => {
    const r = sq(args);
    expectOneLine(r, 2);
    expect(r.err).toBe(`${message}\n`);
  });

  it('--version prints the version; the maintainer command demos is not in the help but still works', () => {
    const pkg = JSON.parse(readFileSync(join(import.meta.dirname, '..', 'package.json'), 'utf8')) as { version: string };
    expect(sq(['--version']).out).toBe(`sidequest ${pkg.version}\n`);
    const help = sq(['--help']);
    expect(help.out).toContain('  eval ');
    expect(help.out).not.toMatch(/^\s+demos\s/m);
    expect(sq(['demos', '--help']).out).toContain('usage: sidequest demos');
  });

  it('train --resume says which flags it ignores', () => {
    const dir = copy();
    const r = sq(['train', '--resume', dir, '--lr', '0.5', '--seed', '9', '--backend', 'wasm', '--quiet']);
    expect(r.code, r.err).toBe(0);
    expect(r.err).toContain("sidequest train: --resume continues with the run's own settings from its run.json; ignoring --lr, --seed (only --backend and --quiet apply)");
  });
});

describe('names and ports the system refuses, and escape sequences', () => {
  it('a folder given as a scenario file (EISDIR)', () => {
    const dir = join(mkdtempSync(join(tmpdir(), 'sq-eisdir-')), 'scenario.yaml');
    mkdirSync(dir);
    const r = sq(['eval', dir, '--episodes', '1']);
    expectOneLine(r, 2);
    expect(r.err).toMatch(/folder|directory/); // the scenario loader's words, or the CLI's EISDIR mapping
  });

  it('a scenario file over 512 MB (too long for one string)', () => {
    const f = join(mkdtempSync(join(tmpdir(), 'sq-huge-')), 'huge.yaml');
    const fd = openSync(f, 'w');
    ftruncateSync(fd, 600 * 1024 ** 2); // sparse
    closeSync(fd);
    const r = sq(['eval', f, '--episodes', '1']);
    expectOneLine(r, 2);
    expect(r.err).toMatch(/too large|at most/);
  });

  it('a 100 kB scenario name is echoed cut short, not whole', () => {
    for (const name of ['a'.repeat(100_000), `x/${'b'.repeat(100_000)}.yaml`]) {
      const r = sq(['eval', name, '--episodes', '1']);
      expectOneLine(r, 2);
    }
  });

  it('a busy port (EADDRINUSE) says so and how to choose another', async () => {
    const blocker = createServer();
    await new Promise<void>((r) => blocker.listen(0, '127.0.0.1', r));
    const port = (blocker.address() as AddressInfo).port;
    const dir = mkdtempSync(join(tmpdir(), 'sq-port-'));
    const child = spawn('node', [BIN, 'view', dir, '--port', String(port)], { stdio: ['ignore', 'pipe', 'pipe'] });
    let err = '';
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    const code = await new Promise<number | null>((r) => child.on('exit', r));
    blocker.close();
    expect(code).toBe(2);
    expect(err).toBe(`sidequest view: port ${port} on 127.0.0.1 is in use: choose another with --port N (0 = any free port)\n`);
  });

  it('escape sequences in echoed input reach the terminal as text', () => {
    const r = sq(['eval', 'rome\x1b]0;owned\x07\x1b[2J', '--episodes', '1']);
    expectOneLine(r, 2);
    expect(r.err).not.toContain('\x1b');
    expect(r.err).not.toContain('\x07');
    expect(r.err).toMatch(/rome\\(x1b|u001b)\]0;owned/); // shown escaped, as \x1b (printable) or \u001b (JSON)
  });
});
