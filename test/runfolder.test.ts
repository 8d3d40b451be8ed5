// A run folder as an unlucky user leaves it: two writers at once, a crash that leaves the lock behind, LATEST
// missing, empty or pointing at a deleted or incomplete checkpoint, weights flipped or NaN, a jsonl file cut
// mid-row. Resume must continue from the newest valid checkpoint or refuse with a message — never restart from
// step 0 over the history — and say what it dropped.
import { beforeAll, describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadScenario } from '../sim/load.ts';
import { resolveEnvGuardrails } from '../sim/guardrails.ts';
import { resolveArgs } from '../agents/learning/options.ts';
import { acquireRunLock, ignoredOnResume, LOCK_FILE, readJsonl, TrainingRun } from '../agents/runs/run.ts';
import { chooseCheckpoint, loadCheckpoint } from '../agents/runs/checkpoint.ts';
import { makeActorCritic } from '../agents/learning/network.ts';
import { observationSpec } from '../sim/observation.ts';

const REPO = join(import.meta.dirname, '..');
const config = (dir: string) => {
  const s = loadScenario('rome');
  return {
    name: 'runfolder-test',
    scenario: { id: s.id, hash: s.hash, file: s.file },
    guardrails: { env: resolveEnvGuardrails(s), training: { names: [] } },
    algo: 'ppo' as const,
    args: resolveArgs('ppo', { envs: 4, numSteps: 16, hidden: 16 }),
    net: { kind: 'mlp' as const, hidden: 16 },
    totalSteps: 64 * 3,
    seed: 3,
    checkpointEvery: 1,
    evalEpisodes: 2,
    recordEpisodes: 1,
    backend: 'wasm' as const,
    dir,
  };
};

let trained: string; // a finished run: 3 iterations, a checkpoint after each
/** A fresh copy of the finished run, to break. */
function copy(): string {
  const d = join(mkdtempSync(join(tmpdir(), 'sq-runfolder-')), 'run');
  cpSync(trained, d, { recursive: true });
  return d;
}
const ckpt = (dir: string, step: number) => join(dir, 'checkpoints', `step-${String(step).padStart(9, '0')}`);

/** Resumes, collecting what resume tells the user. */
async function resume(dir: string): Promise<{ run: TrainingRun; said: string[] }> {
  const said: string[] = [];
  const run = await TrainingRun.resume(dir, 'wasm', (m) => said.push(m));
  return { run, said };
}

beforeAll(async () => {
  trained = join(mkdtempSync(join(tmpdir(), 'sq-runfolder-')), 'run');
  const run = await TrainingRun.create(trained, config(trained));
  await run.train();
  run.dispose();
}, 120_000);

describe('the run lock', () => {
  it('a second writer (create or resume) on a folder in use gets one clear line', async () => {
    const dir = join(mkdtempSync(join(tmpdir(), 'sq-runfolder-')), 'run');
    const a = await TrainingRun.create(dir, config(dir));
    await expect(TrainingRun.create(dir, config(dir))).rejects.toThrow(new RegExp(`^${dir} is in use by process ${process.pid} \\(training since .*\\): wait for it, or stop it first$`));
    await expect(TrainingRun.resume(dir, 'wasm')).rejects.toThrow(/is in use by process/);
    a.dispose();
    expect(existsSync(join(dir, LOCK_FILE))).toBe(false);
    const b = await TrainingRun.resume(dir, 'wasm', () => {});
    b.dispose();
  });

  it('a lock left by a killed process is stale and taken over; a live one in another process is not', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sq-lock-'));
    const script = `import { acquireRunLock } from ${JSON.stringify(join(REPO, 'agents', 'runs', 'run.ts'))};
acquireRunLock(${JSON.stringify(dir)}); console.log('locked'); setInterval(() => {}, 1000);`;
    const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { cwd: REPO, stdio: ['ignore', 'pipe', 'inherit'] });
    await new Promise<void>((resolve) => child.stdout!.on('data', (d: Buffer) => d.toString().includes('locked') && resolve()));
    expect(() => acquireRunLock(dir)).toThrow(`is in use by process ${child.pid}`);
    child.kill('SIGKILL'); // a crash: the lock file stays behind
    await new Promise((r) => child.on('exit', r));
    expect(JSON.parse(readFileSync(join(dir, LOCK_FILE), 'utf8'))).toMatchObject({ pid: child.pid, hostname: hostname() });
    const release = acquireRunLock(dir);
    expect(JSON.parse(readFileSync(join(dir, LOCK_FILE), 'utf8'))).toMatchObject({ pid: process.pid });
    release();
  }, 30_000);

  it('--resume on a folder that is not a run says so, and creates nothing there', async () => {
    const dir = join(mkdtempSync(join(tmpdir(), 'sq-lock-')), 'typo');
    await expect(TrainingRun.resume(dir, 'wasm')).rejects.toThrow(`${dir}: not a run folder (no run.json)`);
    expect(existsSync(dir)).toBe(false);
  });

  it('a lock whose pid now belongs to another process (pid reuse) is stale', () => {
    const dir = mkdtempSync(join(tmpdir(), 'sq-lock-'));
    // this process's pid is alive, but it was not this process that wrote the lock
    writeFileSync(join(dir, LOCK_FILE), JSON.stringify({ pid: process.pid, hostname: hostname(), startedAt: '2026-01-01T00:00:00.000Z', processStart: 'another-boot:1' }));
    const release = acquireRunLock(dir);
    expect(JSON.parse(readFileSync(join(dir, LOCK_FILE), 'utf8'))).toMatchObject({ pid: process.pid, startedAt: expect.not.stringContaining('2026-01-01') });
    release();
  });

  it('a lock from another host is not second-guessed: the message says how to remove it', () => {
    const dir = mkdtempSync(join(tmpdir(), 'sq-lock-'));
    writeFileSync(join(dir, LOCK_FILE), JSON.stringify({ pid: 1234, hostname: 'gpu-node-7', startedAt: '2026-01-01T00:00:00.000Z' }));
    expect(() => acquireRunLock(dir)).toThrow(`${dir} is locked by process 1234 on host gpu-node-7 (since 2026-01-01T00:00:00.000Z); if nothing is training there, delete ${join(dir, LOCK_FILE)}`);
  });
});

describe('resume never restarts from step 0 while a checkpoint exists', () => {
  it.each([
    ['LATEST missing', (d: string) => rmSync(join(d, 'checkpoints', 'LATEST')), 3, 'LATEST is missing: using step-000000192, the newest valid checkpoint'],
    ['LATEST empty', (d: string) => writeFileSync(join(d, 'checkpoints', 'LATEST'), ''), 3, 'LATEST is empty: using step-000000192'],
    ['LATEST names a deleted checkpoint', (d: string) => rmSync(ckpt(d, 192), { recursive: true }), 2, 'LATEST names step-000000192, which is gone: using step-000000128'],
    ['the newest checkpoint has no weights', (d: string) => rmSync(join(ckpt(d, 192), 'weights.bin')), 2, 'weights.bin is missing): using step-000000128'],
    ['the newest checkpoint is cut', (d: string) => writeFileSync(join(ckpt(d, 192), 'weights.bin'), readFileSync(join(ckpt(d, 192), 'weights.bin')).subarray(0, 100)), 2, '(cut or replaced)): using step-000000128'],
    ['the newest manifest is empty', (d: string) => writeFileSync(join(ckpt(d, 192), 'checkpoint.json'), ''), 2, 'unreadable'],
  ])('%s → the newest valid checkpoint, and says so', async (_what, breakIt, iteration, said) => {
    const dir = copy();
    breakIt(dir);
    const { run, said: heard } = await resume(dir);
    expect(run.trainer.iteration).toBe(iteration);
    expect(readJsonl(join(dir, 'metrics.jsonl')).length).toBe(iteration);
    expect(readJsonl(join(dir, 'evals.jsonl')).length).toBe(iteration);
    expect(heard.join('\n')).toContain(said);
    run.dispose();
  });

  it('no valid checkpoint left → refuses, and the history is untouched', async () => {
    const dir = copy();
    for (const s of [64, 128, 192]) rmSync(join(ckpt(dir, s), 'weights.bin'));
    const metrics = readFileSync(join(dir, 'metrics.jsonl'), 'utf8');
    await expect(TrainingRun.resume(dir, 'wasm', () => {})).rejects.toThrow(/no valid checkpoint to resume from \(step-000000192: .*weights\.bin is missing.*\); refusing to restart from step 0 over its history/);
    expect(readFileSync(join(dir, 'metrics.jsonl'), 'utf8')).toBe(metrics);
    expect(existsSync(join(dir, LOCK_FILE))).toBe(false);
  });
});

describe('checkpoints are verified on load', () => {
  const net = () => makeActorCritic(observationSpec(loadScenario('rome')), { kind: 'mlp', hidden: 16 }, 3);

  it('a flipped byte in weights.bin fails its sha256; resume falls back past it', async () => {
    const dir = copy();
    const f = join(ckpt(dir, 192), 'weights.bin');
    const w = readFileSync(f);
    w[40] ^= 0x10;
    writeFileSync(f, w);
    await expect(loadCheckpoint(ckpt(dir, 192), net())).rejects.toThrow(`${ckpt(dir, 192)}: weights.bin does not match its sha256 in checkpoint.json (corrupt or altered)`);
    expect(chooseCheckpoint(join(dir, 'checkpoints')).path).toBe(ckpt(dir, 128));
  });

  it('NaN weights (with a matching checksum) are refused, not evaluated as a "safe" agent', async () => {
    const dir = copy();
    const f = join(ckpt(dir, 192), 'weights.bin');
    const w = readFileSync(f);
    const floats = new Float32Array(w.buffer, w.byteOffset, w.length / 4);
    for (let i = 0; i < 64; i++) floats[i] = Number.NaN;
    writeFileSync(f, w);
    const m = JSON.parse(readFileSync(join(ckpt(dir, 192), 'checkpoint.json'), 'utf8')) as { weights: { sha256: string } };
    m.weights.sha256 = createHash('sha256').update(w).digest('hex');
    writeFileSync(join(ckpt(dir, 192), 'checkpoint.json'), JSON.stringify(m));
    await expect(loadCheckpoint(ckpt(dir, 192), net())).rejects.toThrow(/: 64 of \d+ weights are NaN or infinite; refusing a corrupt checkpoint$/);
  });
});

describe('jsonl files on resume', () => {
  it('a file cut mid-row: the half line is dropped and the missing rows are reported', async () => {
    const dir = copy();
    const f = join(dir, 'evals.jsonl');
    const text = readFileSync(f, 'utf8');
    writeFileSync(f, text.slice(0, text.length - 40)); // the last row loses its end and its newline
    const { run, said } = await resume(dir);
    expect(run.trainer.iteration).toBe(3);
    expect(readJsonl(f).length).toBe(2);
    expect(run.evals.length).toBe(2);
    expect(said).toContain(`${dir}: evals.jsonl has 2 complete rows, the checkpoint covers 3: 1 are missing (the file was cut)`);
    expect(readFileSync(f, 'utf8').endsWith('}\n')).toBe(true);
    run.dispose();
  });
});

describe('--resume says which flags it ignores', () => {
  it('every flag but --backend and --quiet is fixed by run.json', () => {
    expect(ignoredOnResume(['--resume', 'runs/x', '--lr', '0.1', '--steps=5', '--seed', '3', '--backend', 'cpu', '--quiet', '--no-norm-adv', '--lr', '1'])).toEqual(['lr', 'steps', 'seed', 'norm-adv']);
    expect(ignoredOnResume(['--resume', 'runs/x', '--backend', 'wasm'])).toEqual([]);
  });
});
