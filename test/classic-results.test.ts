// The committed classic-suite results (docs/results/classic/): the report and the README's table are what the
// code makes of the committed results.json, the results.json rows are what the reading rule makes of the
// committed cells, and every viewable run's recorded episodes re-simulate exactly (they are what the viewer shows).
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cellDir, cellsOf, type CellResult } from '../agents/experiments/ab.ts';
import { buildClassicResults, CLASSIC_END, CLASSIC_START, classicMarkdown, classicReadmeTable, experimentDir, experimentOf, parseDesign, type ClassicResults } from '../agents/experiments/classic.ts';
import { currentSection } from '../cli/findings.ts';
import { parseEpisode } from '../sim/episode.ts';
import { verifyEpisode } from '../sim/replay.ts';

const DIR = 'docs/results/classic';
const results = JSON.parse(readFileSync(join(DIR, 'results.json'), 'utf8')) as ClassicResults;

describe('the committed classic results', () => {
  it('the design file is valid and is the one the results were made to', () => {
    expect(parseDesign(JSON.parse(readFileSync(join(DIR, 'classic.json'), 'utf8')), 'classic.json')).toEqual(results.design);
  });

  it('results.json is what the reading rule makes of the committed cells', () => {
    const cells = (scenario: string, algo: Parameters<typeof experimentDir>[2]) => {
      const config = experimentOf(results.design, scenario, algo);
      return cellsOf(config).map((c) => {
        const f = join(cellDir(experimentDir(DIR, scenario, algo), c), 'result.json');
        return existsSync(f) ? (JSON.parse(readFileSync(f, 'utf8')) as CellResult) : null;
      });
    };
    const rebuilt = buildClassicResults(results.design, cells, results.references, results.provenance, results.viewPath);
    expect(rebuilt.rows).toEqual(results.rows);
    expect(rebuilt.missing).toEqual([]);
    expect(results.rows.length).toBe(results.design.problems.length * results.design.algos.length);
  });

  it('report.md and the README table are generated from results.json, not typed', () => {
    expect(readFileSync(join(DIR, 'report.md'), 'utf8')).toBe(classicMarkdown(results));
    const readme = readFileSync('README.md', 'utf8');
    expect(currentSection(readme, CLASSIC_START, CLASSIC_END)).toBe(classicReadmeTable(results, `${DIR}/report.md`, `npx sidequest classic --report --out ${DIR} --write README.md`));
  });

  it('every run is viewable: its run.json and recorded episodes are there, and each episode re-simulates exactly', () => {
    const runs = readdirSync(join(DIR, 'episodes'));
    expect(runs.length).toBe(results.design.problems.length * results.design.algos.length * results.design.seeds.length);
    for (const run of runs) {
      const root = join(DIR, 'episodes', run);
      expect(existsSync(join(root, 'run.json')), run).toBe(true);
      const [step] = readdirSync(join(root, 'episodes'));
      const eps = readdirSync(join(root, 'episodes', step)).filter((f) => f.endsWith('.jsonl'));
      expect(eps.length, run).toBeGreaterThan(0);
      for (const ep of eps) {
        const rec = parseEpisode(readFileSync(join(root, 'episodes', step, ep), 'utf8'), ep);
        expect(verifyEpisode(rec).ok, `${run}/${ep}`).toBe(true);
      }
    }
  }, 120_000);
});
