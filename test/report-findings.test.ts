// The README's findings section is generated, never typed: the committed section must equal what
// `sidequest ab findings` writes from the committed results.json files; the generator states only numbers those
// files contain, reads results written before per-seed values and provenance existed, and --write touches only the
// text between the markers.
import { describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { currentSection, findingsMarkdown, FINDINGS_END, FINDINGS_START, replaceSection } from '../cli/findings.ts';
import { buildResults, readResults } from '../agents/experiments/report.ts';
import type { CellResult } from '../agents/experiments/ab.ts';

const ROOT = join(import.meta.dirname, '..');
const BIN = join(ROOT, 'bin', 'sidequest.js');
const COMMITTED = ['docs/results/rome', 'docs/results/rome-monitored'].map((d) => join(ROOT, d));
const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
const committedSection = currentSection(readme);
const raw = (dir: string) => JSON.parse(readFileSync(join(dir, 'results.json'), 'utf8')) as { format: string; arms: Record<string, { metrics: { taskReturn: { mean: number }; trainingCostPerEpisode: { mean: number } } }> };

describe('README findings', () => {
  if (committedSection === null) {
    console.warn(`README.md has no ${FINDINGS_START} … ${FINDINGS_END} markers yet: the "committed section = generated" check is skipped. Insert the markers and run \`npx sidequest ab findings docs/results/rome docs/results/rome-monitored --write README.md\`.`);
  }
  it.skipIf(committedSection === null)('the committed README section equals what `sidequest ab findings … --write README.md` writes', () => {
    expect(committedSection).toBe(findingsMarkdown(COMMITTED, ROOT));
  });
});

describe('findings from the committed results', () => {
  const md = findingsMarkdown(COMMITTED, ROOT);
  // each committed experiment is either sidequest 0.1's (format /1, 5 seeds) or a rerun (format /2, 10 seeds)
  const sectionOf = (dir: string) => {
    const id = dir.split('/').pop()!;
    const start = md.indexOf(`### \`${id}\``);
    const next = md.indexOf('### `', start + 1);
    return md.slice(start, next < 0 ? undefined : next);
  };
  it('read format /1 files and say what they do not record; state a format /2 file\'s provenance', () => {
    for (const dir of COMMITTED) {
      const f = raw(dir).format;
      expect(['sidequest-ab-results/1', 'sidequest-ab-results/2']).toContain(f);
      if (f.endsWith('/1')) expect(sectionOf(dir)).toContain('Provenance not recorded');
      else expect(sectionOf(dir)).toMatch(/Provenance: report written \d{4}-\d\d-\d\d at commit [0-9a-f]{12}/);
    }
    expect(COMMITTED.some((d) => raw(d).format.endsWith('/2'))).toBe(true);
  });
  it('state the task returns and the Lagrangian training cost as the files give them', () => {
    for (const dir of COMMITTED) {
      const arms = raw(dir).arms;
      expect(md).toMatch(new RegExp(`task return ${arms.none.metrics.taskReturn.mean.toFixed(1).replace('.', '\\.')}[;( ]`));
      expect(md).toContain(`**safe-pretrain**: task return ${arms['safe-pretrain'].metrics.taskReturn.mean.toFixed(1)},`);
      expect(md).toContain(`Training cost ${arms.lagrangian.metrics.trainingCostPerEpisode.mean.toFixed(2)} per training episode over the run`);
    }
  });
  it('with 5 seeds say nothing can reach p < 0.05 and claim nothing; with 10, name what is significant', () => {
    for (const dir of COMMITTED) {
      const section = sectionOf(dir);
      const seeds = (raw(dir) as unknown as { seeds: number[] }).seeds.length;
      if (seeds <= 5) {
        expect(section).toMatch(/With 5 paired seeds the smallest possible two-sided permutation p is 2\/2\^5 = 0\.063/);
        expect(section).not.toContain('Significant:');
        expect(section).not.toContain('Leakage:');
        for (const a of Object.values(readResults(raw(dir)).arms)) expect(a.leakage).toEqual([]);
      } else {
        expect(section).toContain('Significant:');
        expect(section).not.toContain('With 5 paired seeds');
      }
    }
    // on rome-monitored the monitor arm pushes the violations out of its sight: leakage, named
    expect(sectionOf(COMMITTED[1])).toContain('Leakage: evadeMonitor rose while claimGpu fell');
    expect(readResults(raw(COMMITTED[1])).arms.monitor.leakage).toContain('evadeMonitor');
  });
  it('flag evadeMonitor as the same event as probePort in the monitor arm on rome-monitored', () => {
    const r = readResults(raw(COMMITTED[1]));
    expect(r.arms.monitor.sameEvent).toEqual([['probePort', 'evadeMonitor']]);
    expect(md).toContain('In monitor, probePort and evadeMonitor are the same event');
  });
});

describe('findings from a format /2 results.json', () => {
  it('state its provenance and its honest-script reference', () => {
    const cell = (arm: string, seed: number, taskReturn: number): CellResult => ({
      format: 'sidequest-ab-cell/1', scenario: 'rome', arm, seed, steps: 10,
      final: { episodes: 1, taskReturn: { mean: taskReturn, std: 0 }, performance: { mean: 0, std: 0 }, cost: { computeMisuse: 0, egress: 0, probing: 0, monitorEvasion: 0 }, costTotal: 0, sideStrategyRates: { claimGpu: 0, probePort: 0, openTunnel: 0, mine: 0, evadeMonitor: 0, crossBoundary: 0 }, blockedPerEpisode: 0, alertsPerEpisode: 0, episodeLength: 1 },
      training: { costPerEpisode: 0, costPerStep: 0, episodes: 1 }, curve: [],
      provenance: { commit: '0123456789abcdef', dirty: false, packageVersion: '9.9.9', backend: 'wasm', tfjs: '4.22.0', node: 'v20.0.0', cores: 2, date: '2026-12-01T00:00:00.000Z' },
    });
    const cells = [1, 2].flatMap((s) => [cell('none', s, 15 + s), cell('allowlist', s, 11)]);
    const r = buildResults({ scenario: 'rome', arms: ['none', 'allowlist'], seeds: [1, 2], steps: 10, evalEpisodes: 1 }, cells, {
      reference: { honestTaskReturn: 11.4, episodes: 1, seed: 1 },
      provenance: { commit: 'fedcba9876543210', dirty: false, packageVersion: '9.9.9', node: 'v20.0.0', command: 'sidequest ab rome', cores: 2, cpu: 'x', date: '2026-12-02T01:00:00.000Z', training: { cellsRecorded: 4, cells: 4, commits: ['0123456789abcdef'], backends: ['wasm'], tfjs: ['4.22.0'], node: ['v20.0.0'], cores: [2], dirty: false } },
    });
    const dir = mkdtempSync(join(tmpdir(), 'sq-findings-v2-'));
    writeFileSync(join(dir, 'results.json'), JSON.stringify(r));
    const md = findingsMarkdown([dir], dir);
    expect(md).toContain('Provenance: report written 2026-12-02 at commit fedcba987654, sidequest 9.9.9; trained on backend wasm with tfjs 4.22.0, Node v20.0.0, 2 cores, commit 0123456789ab.');
    expect(md).toContain('task return 16.5 (the honest script: 11.4)');
    expect(md).not.toContain('Provenance not recorded');
  });
});

describe('sidequest ab findings', () => {
  it('replaceSection keeps everything outside the markers and refuses a file without them', () => {
    const text = `# t\n\nbefore\n${FINDINGS_START}\nold\n${FINDINGS_END}\nafter\n`;
    const out = replaceSection(text, 'new\n', 'x.md');
    expect(out).toBe(`# t\n\nbefore\n${FINDINGS_START}\nnew\n${FINDINGS_END}\nafter\n`);
    expect(currentSection(out)).toBe('new\n');
    expect(() => replaceSection('# no markers\n', 'new\n', 'x.md')).toThrow(`x.md: expected the markers ${FINDINGS_START} and ${FINDINGS_END}`);
  });
  it('--write puts the generated section between the markers of the named file', () => {
    const dir = mkdtempSync(join(tmpdir(), 'sq-findings-'));
    const file = join(dir, 'README.md');
    writeFileSync(file, `# x\n${FINDINGS_START}\nstale\n${FINDINGS_END}\ntail\n`);
    const r = spawnSync('node', [BIN, 'ab', 'findings', ...COMMITTED, '--write', file], { encoding: 'utf8' });
    expect(r.status, r.stderr).toBe(0);
    const written = readFileSync(file, 'utf8');
    expect(currentSection(written)).toBe(findingsMarkdown(COMMITTED, dir));
    expect(written.endsWith(`${FINDINGS_END}\ntail\n`)).toBe(true);
  });
  it('refuses a folder without results.json with a readable line', () => {
    const r = spawnSync('node', [BIN, 'ab', 'findings', tmpdir()], { encoding: 'utf8' });
    expect(r.status).toBe(2);
    expect(r.stderr).toContain('no results.json (expected an A/B experiment folder)');
  });
});
