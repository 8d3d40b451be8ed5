// Two `sidequest train` processes on one run folder, as the issue found them (both "succeeded", interleaving
// rows from two seeds under a run.json naming one): the second writer — a new run or a --resume — gets one line
// naming the process that holds the folder; after that process is killed -9, --resume takes the stale lock over.
import { describe, expect, it } from 'vitest';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const BIN = join(import.meta.dirname, '..', 'bin', 'sidequest.js');
const sq = (args: string[]) => spawnSync('node', [BIN, ...args], { encoding: 'utf8', timeout: 120_000 });

describe('one writer per run folder', () => {
  it('a second train or --resume is refused while the first runs; a killed one leaves a stale lock that resume takes over', async () => {
    const dir = join(mkdtempSync(join(tmpdir(), 'sq-two-writers-')), 'run');
    const tiny = ['--envs', '4', '--num-steps', '16', '--hidden', '16', '--eval-episodes', '1', '--record-episodes', '0', '--backend', 'wasm', '--quiet'];
    const first = spawn('node', [BIN, 'train', 'rome', '--out', dir, '--steps', '100000000', '--checkpoint-every', '2', ...tiny], { stdio: 'ignore' });
    try {
      // wait until it has written a checkpoint, so the folder holds history worth protecting
      const t0 = Date.now();
      while (!existsSync(join(dir, 'checkpoints', 'LATEST')) && Date.now() - t0 < 60_000) await new Promise((r) => setTimeout(r, 200));
      expect(existsSync(join(dir, 'checkpoints', 'LATEST'))).toBe(true);

      const second = sq(['train', 'rome', '--out', dir, '--seed', '2', ...tiny]);
      expect(second.status).toBe(2);
      expect(second.stderr).toMatch(new RegExp(`^sidequest train: ${dir} is in use by process ${first.pid} \\(training since [^)]+\\): wait for it, or stop it first\\n$`));
      const resume = sq(['train', '--resume', dir, '--quiet']);
      expect(resume.status).toBe(2);
      expect(resume.stderr).toContain(`is in use by process ${first.pid}`);
      expect(JSON.parse(readFileSync(join(dir, 'run.json'), 'utf8'))).toMatchObject({ seed: 1 });
    } finally {
      first.kill('SIGKILL');
      await new Promise((r) => first.on('exit', r));
    }
    expect(JSON.parse(readFileSync(join(dir, 'run.lock'), 'utf8'))).toMatchObject({ pid: first.pid }); // left by the crash
    const resumed = spawn('node', [BIN, 'train', '--resume', dir], { stdio: ['ignore', 'ignore', 'pipe'] });
    let err = '';
    const started = new Promise<void>((resolve) =>
      resumed.stderr.on('data', (d: Buffer) => {
        err += d.toString();
        if (err.includes('resuming')) resolve();
      }),
    );
    const exited = new Promise<number | null>((r) => resumed.on('exit', r));
    await Promise.race([started, exited]);
    resumed.kill('SIGKILL');
    await exited;
    expect(err).toMatch(new RegExp(`(^|\\n)resuming ${dir} at step [\\d,]+ of 100,000,000`));
  }, 180_000);
});
