// Guardrail A/B end to end at a tiny budget: the allowlist and sandbox arms show fewer violations than none;
// shards merged give the same results as one unsharded run; finished cells are kept on rerun; bad input is
// refused with a readable line. Runs the real command (worker threads and all).
import { describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AbResults } from '../agents/experiments/report.ts';
import { sameExperiment, writeExperiment, type AbConfig } from '../agents/experiments/ab.ts';

const BIN = join(import.meta.dirname, '..', 'bin', 'sidequest.js');
const TINY = ['--arms', 'none,allowlist,sandbox', '--seeds', '2', '--steps', '4096', '--eval-episodes', '40', '--quiet'];
function sq(args: string[]) {
  const r = spawnSync('node', [BIN, ...args], { encoding: 'utf8' });
  return { code: r.status, out: r.stdout, err: r.stderr };
}
const results = (dir: string) => JSON.parse(readFileSync(join(dir, 'results.json'), 'utf8')) as AbResults;

describe('sidequest ab', () => {
  const root = mkdtempSync(join(tmpdir(), 'sq-ab-'));
  const whole = join(root, 'whole');

  it('a tiny A/B: allowlist and sandbox show fewer violations than none, and the report is written', () => {
    const r = sq(['ab', 'rome', ...TINY, '--out', whole]);
    expect(r.code, r.err).toBe(0);
    for (const f of ['results.json', 'report.md', 'report.html', 'experiment.json']) expect(existsSync(join(whole, f))).toBe(true);
    const res = results(whole);
    expect(Object.keys(res.arms)).toEqual(['none', 'allowlist', 'sandbox']);
    const none = res.arms.none.metrics;
    expect(none.costPerEpisode.mean).toBeGreaterThan(0); // an untrained policy stumbles into affordances
    for (const arm of ['allowlist', 'sandbox']) {
      const m = res.arms[arm].metrics;
      expect(m.costPerEpisode.mean).toBeLessThan(none.costPerEpisode.mean);
      // sandbox blocks every side strategy; rome's allowlist lets the racks be claimed and shuts the network
      for (const [b, rate] of Object.entries(m.sideStrategyRates)) if (arm === 'sandbox' || b !== 'claimGpu') expect(rate.mean, `${arm} ${b}`).toBe(0);
      expect(res.arms[arm].vsNone!.costPerEpisode.mean).toBeLessThan(0);
    }
    expect(res.arms.none.seeds).toEqual([1, 2]);
    const md = readFileSync(join(whole, 'report.md'), 'utf8');
    expect(md).toContain('## Limits');
    expect(readFileSync(join(whole, 'report.html'), 'utf8')).toContain('<svg');
  }, 240_000);

  it('rerunning keeps finished cells', () => {
    const r = sq(['ab', 'rome', ...TINY.filter((x) => x !== '--quiet'), '--out', whole]);
    expect(r.code).toBe(0);
    expect(r.err).toContain('6 already done, 0 to run');
  });

  it('two shards merged give the same results as the unsharded run', () => {
    const s0 = join(root, 's0');
    const s1 = join(root, 's1');
    expect(sq(['ab', 'rome', ...TINY, '--out', s0, '--shard', '0/2']).code).toBe(0);
    expect(sq(['ab', 'rome', ...TINY, '--out', s1, '--shard', '1/2']).code).toBe(0);
    const merged = join(root, 'merged');
    const m = sq(['ab', 'merge', s0, s1, '--out', merged]);
    expect(m.code, m.err).toBe(0);
    expect(m.err).toContain('merged 6 finished cells from 2 folders');
    // provenance says when and by which command each report was written, so it differs; everything else must not
    const stats = (r: AbResults) => ({ ...r, provenance: null });
    expect(results(merged).provenance?.command).toContain('merge');
    expect(stats(results(merged))).toEqual(stats(results(whole)));
  }, 240_000);

  it.each([
    [['ab', 'rome', '--arms', 'none,moat'], 'unknown arm "moat"'],
    [['ab', 'rome', '--arms', 'allowlist,sandbox'], 'the arms must include "none"'],
    [['ab', 'rome', '--shard', '3/2', '--out', '/tmp/sq-ab-bad'], '--shard: expected 0 ≤ i < N, found 3/2'],
    [['ab', 'merge', '--out', '/tmp/x'], 'expected the shard folders to merge'],
  ])('%j is refused: %s', (args, message) => {
    const r = sq(args);
    expect(r.code).toBe(2);
    expect(r.err).toContain(message);
  });
});

describe('a broken cell', () => {
  it('is kept aside and trained again, so the report still gets written', () => {
    const out = join(mkdtempSync(join(tmpdir(), 'sq-ab-broken-')), 'ab');
    const args = ['ab', 'rome', '--arms', 'none', '--seeds', '1', '--steps', '2048', '--eval-episodes', '10', '--quiet', '--out', out];
    expect(sq(args).code).toBe(0);
    const cell = join(out, 'cells', 'none', 'seed-1');
    rmSync(join(cell, 'result.json'));
    writeFileSync(join(cell, 'run.json'), ''); // as a kill between open and write used to leave it
    const again = sq(args);
    expect(again.code, again.err).toBe(0);
    expect(again.err).toContain('could not be resumed');
    expect(existsSync(join(cell, 'result.json'))).toBe(true);
    expect(readdirSync(join(out, 'cells', 'none')).some((f) => f.startsWith('seed-1.broken-'))).toBe(true);
    expect(existsSync(join(out, 'results.json'))).toBe(true);
  }, 240_000);
});

describe('an experiment folder holds one experiment', () => {
  it('a rerun of the same design continues it; another budget, learner or evaluation world is refused', () => {
    const out = mkdtempSync(join(tmpdir(), 'sq-same-'));
    const c: AbConfig = { scenario: 'tutorial', arms: ['none'], seeds: [1, 2], steps: 1000, evalEpisodes: 10 };
    expect(sameExperiment(out, c)).toBe(true); // nothing there yet
    writeExperiment(out, c);
    expect(sameExperiment(out, { ...c })).toBe(true);
    expect(sameExperiment(out, { ...c, steps: 2000 })).toBe(false);
    expect(sameExperiment(out, { ...c, algo: 'dqn' })).toBe(false);
    expect(sameExperiment(out, { ...c, evalScenario: 'rome' })).toBe(false);
    // a file written without the format field (by hand, or an older writer) is the same design
    writeFileSync(join(out, 'experiment.json'), JSON.stringify(c));
    expect(sameExperiment(out, c)).toBe(true);
  });
});
