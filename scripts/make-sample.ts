// Generates the sample run the static site ships (viewer/public/sample/, copied into viewer/dist by Vite): a real
// short PPO run on rome, trained by the CLI (`sidequest train`), of which a few checkpoints' recorded evaluation
// episodes, evals.jsonl and run.json are kept, plus runs.json, the listing `sidequest view` would serve for that
// folder (describeFolder of cli/view.ts), so the static viewer opens it with no server API.
// Usage: npx tsx scripts/make-sample.ts [--steps N] [--seed N]   (a few minutes on a busy 2-core machine)
import { execFileSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describeFolder } from '../cli/view.ts';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const OUT = join(ROOT, 'viewer', 'public', 'sample');
const NAME = 'rome-ppo-s1';
const arg = (k: string, d: number) => {
  const i = process.argv.indexOf(k);
  return i >= 0 ? Number(process.argv[i + 1]) : d;
};
// 300 iterations of 2,048 steps: past the step where rome's side strategies become habits (docs/train-page.md)
const steps = arg('--steps', 614_400);
const seed = arg('--seed', 1);
const every = arg('--checkpoint-every', 60);

const tmp = mkdtempSync(join(tmpdir(), 'sidequest-sample-'));
const run = join(tmp, NAME);
const cmd = ['bin/sidequest.js', 'train', 'rome', '--steps', String(steps), '--seed', String(seed), '--checkpoint-every', String(every), '--eval-episodes', '16', '--record-episodes', '2', '--backend', 'wasm', '--quiet', '--out', run];
console.info(`node ${cmd.join(' ')}`);
execFileSync(process.execPath, cmd, { cwd: ROOT, stdio: 'inherit' });

rmSync(OUT, { recursive: true, force: true });
const dest = join(OUT, NAME);
mkdirSync(dest, { recursive: true });
for (const f of ['run.json', 'evals.jsonl']) cpSync(join(run, f), join(dest, f));
cpSync(join(run, 'episodes'), join(dest, 'episodes'), { recursive: true });
const listing = [{ ...describeFolder(dest, 0), base: `sample/${NAME}/` }];
writeFileSync(join(OUT, 'runs.json'), `${JSON.stringify(listing)}\n`);
rmSync(tmp, { recursive: true, force: true });

let bytes = 0;
const walk = (d: string): void => {
  for (const e of readdirSync(d, { withFileTypes: true })) {
      if (e.isDirectory()) walk(join(d, e.name));
      else bytes += statSync(join(d, e.name)).size;
    }
};
walk(OUT);
console.info(`wrote ${OUT}: ${listing[0].checkpoints.length} checkpoints, ${(bytes / 1024).toFixed(0)} KiB`);
