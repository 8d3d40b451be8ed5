// `sidequest classic [--problems …] [--algos ppo,a2c,dqn] [--seeds N] [--steps ppo=N,…] [--out DIR]`: trains every
// learner on every classic problem (agents/experiments/classic.ts), all the cells on one queue of worker threads
// (cli/ab.ts's runCells: finished cells are kept, an unfinished one resumes), then writes the suite's report —
// results.json and report.md — and a slim, viewable copy of each run (its run.json, evaluation curve and last
// recorded episodes) under DIR/episodes/. `--report` rewrites the report from the cells already there.
import { closeSync, existsSync, lstatSync, mkdirSync, readFileSync, readSync, rmSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { basename, dirname, join, relative, resolve, sep } from 'node:path';
import { AB_EVAL_SEED, AbError, cellDir, cellsOf, deploymentScenario, readCellResult, reportProvenance, sameExperiment, shardOf, writeExperiment, type AbConfig, type CellResult } from '../agents/experiments/ab.ts';
import {
  buildClassicResults, CLASSIC_DEFAULT_ALGOS, CLASSIC_END, CLASSIC_START, classicReadmeTable, parseDesign, CLASSIC_DEFAULT_STEPS, CLASSIC_SUITE, ClassicError, classicMarkdown, experimentDir, experimentOf, experimentsOf, problemOf,
  type ClassicDesign, type ClassicResults, type ScriptedFigures,
} from '../agents/experiments/classic.ts';
import type { AlgoName } from '../agents/learning/options.ts';
import { evaluate } from '../agents/policies/evaluate.ts';
import { makeScriptedPolicy } from '../agents/policies/scripted.ts';
import { writeFileAtomic } from '../agents/runs/checkpoint.ts';
import { resolveEnvGuardrails } from '../sim/guardrails.ts';
import { loadScenario } from '../sim/load.ts';
import { jobsOf, parseAlgo, runCells, type CellJob } from './ab.ts';
import { defineCommand, listFlag, parseCommand, printable, UsageError } from './args.ts';
import { replaceSection } from './findings.ts';
import { listConfined, openConfined, RefusedError } from './view.ts';

const command = defineCommand({
  name: 'classic',
  synopsis: '[--problems ID,…] [--algos ppo,a2c,dqn] [--seeds N] [--steps ppo=N,a2c=N,dqn=N] [--out DIR] [--shard i/N] [--report]',
  flags: {
    problems: { type: 'string', default: CLASSIC_SUITE.map((p) => p.scenario).join(','), description: 'problems (their scenarios), comma separated' },
    algos: { type: 'string', default: CLASSIC_DEFAULT_ALGOS.join(','), description: 'learners, comma separated' },
    seeds: { type: 'number', default: 3, integer: true, min: 1, max: 1000, description: 'seeds per problem and learner (1..N)' },
    steps: { type: 'string', default: Object.entries(CLASSIC_DEFAULT_STEPS).map(([a, n]) => `${a}=${n}`).join(','), description: 'env steps per run, per learner (algo=N, comma separated)' },
    'eval-episodes': { type: 'number', default: 200, integer: true, min: 1, max: 100_000, description: 'final evaluation episodes per run (layouts shared within a problem)' },
    out: { type: 'string', default: join('runs', 'classic'), description: 'suite folder' },
    shard: { type: 'string', description: 'run only shard i of N of all the cells (0-based, e.g. 0/4)' },
    workers: { type: 'number', integer: true, min: 1, max: 256, description: 'worker threads (default: the number of cores)' },
    report: { type: 'boolean', description: 'train nothing: rewrite the report from the runs already finished' },
    write: { type: 'string', description: `also write the summary table between ${CLASSIC_START} and ${CLASSIC_END} in this file (e.g. README.md)` },
    quiet: { type: 'boolean', description: 'no progress display' },
  },
});

/** `ppo=300000,dqn=100000` → budgets; every learner asked for must have one (defaults fill the rest). */
export function parseSteps(v: string, algos: readonly AlgoName[]): Partial<Record<AlgoName, number>> {
  const out: Partial<Record<AlgoName, number>> = {};
  for (const part of listFlag(v) ?? []) {
    const m = /^([a-z0-9]+)=(\d{1,12})$/.exec(part);
    if (!m) throw new UsageError(`--steps: expected algo=N pairs (e.g. ppo=300000,dqn=100000), found "${printable(part)}"`);
    const n = Number(m[2]);
    if (n < 1) throw new UsageError(`--steps: ${m[1]}: expected at least 1 step, found ${n}`);
    out[parseAlgo(m[1])] = n;
  }
  const budget: Partial<Record<AlgoName, number>> = {};
  for (const a of algos) {
    const n = out[a] ?? CLASSIC_DEFAULT_STEPS[a];
    if (n === undefined) throw new UsageError(`--steps: no budget for ${a}`);
    budget[a] = n;
  }
  return budget;
}

export async function runClassic(argv: string[]): Promise<number> {
  const parsed = parseCommand(command, argv);
  if (!parsed) return 0;
  const f = parsed.flags;
  if (parsed.positionals.length) throw new UsageError(`unexpected argument "${printable(parsed.positionals[0])}": the problems are chosen with --problems`);
  const algos = [...new Set((listFlag(f.algos) ?? []).map(parseAlgo))];
  if (algos.length === 0) throw new UsageError('--algos: expected at least one learner');
  const problems = [...new Set(listFlag(f.problems) ?? [])];
  if (problems.length === 0) throw new UsageError('--problems: expected at least one problem');
  const out = f.out;
  try {
    const design = parseDesign({ problems, algos, seeds: Array.from({ length: f.seeds }, (_, i) => i + 1), steps: parseSteps(f.steps, algos), evalEpisodes: f['eval-episodes'] }, 'the flags');
    for (const p of problems) {
      const problem = problemOf(p);
      if (problem.evalScenario) deploymentScenario(problem.evalScenario, loadScenario(problem.scenario));
    }
    mkdirSync(out, { recursive: true });
    const designFile = join(out, 'classic.json');
    // classic.json may come from elsewhere (a shard, a shared folder): validated before a path is built from it
    const stored = existsSync(designFile) ? parseDesign(JSON.parse(readConfined(out, 'classic.json').toString('utf8')) as unknown, designFile) : null;
    if (stored && !f.report && JSON.stringify(stored) !== JSON.stringify(design)) {
      throw new ClassicError(`${out} holds another design (${stored.problems.length} problems, ${stored.algos.join(',')}, ${stored.seeds.length} seeds): choose another --out, or --report to rewrite its report`);
    }
    const use: ClassicDesign = f.report && stored ? stored : design;
    if (!f.report) {
      writeFileAtomic(designFile, JSON.stringify({ format: 'sidequest-classic-design/1', ...design }, null, 2) + '\n');
      const jobs: CellJob[] = [];
      for (const { scenario, algo, config } of experimentsOf(design)) {
        const dir = experimentDir(out, scenario, algo);
        mkdirSync(dir, { recursive: true });
        if (!sameExperiment(dir, config)) {
          throw new ClassicError(`${dir} holds a different experiment: choose another --out`);
        }
        writeExperiment(dir, config);
        for (const j of jobsOf(dir, config, cellsOf(config))) jobs.push({ ...j, label: `${scenario}/${algo}/seed-${j.cell.seed}` });
      }
      const keep = new Set(shardOf(jobs.map((j) => j.cell), f.shard)); // round-robin over all the suite's cells
      const mine = jobs.filter((j) => keep.has(j.cell));
      const todo = mine.filter((j) => !readCellResult(j.out, j.cell));
      console.error(`classic suite: ${problems.length} problems × ${algos.length} learners × ${design.seeds.length} seeds${f.shard ? `, shard ${f.shard}: ${mine.length} runs` : ''}; ${mine.length - todo.length} already done, ${todo.length} to run → ${out}`);
      await runCells(todo, f.workers ?? Math.max(1, Math.min(availableParallelism(), todo.length)), f.quiet === true);
      if (f.shard) {
        console.error(`shard ${f.shard} done; copy every shard's ${out} into one folder and run: sidequest classic --report --out DIR`);
        return 0;
      }
    }
    const r = await writeClassicReport(out, use);
    if (f.write) {
      if (!existsSync(f.write) || !lstatSync(f.write).isFile()) throw new UsageError(`--write: ${f.write}: expected an existing regular file (not a symlink)`);
      const link = relative(dirname(resolve(f.write)), join(resolve(out), 'report.md')).split(sep).join('/');
      const text = readFileSync(f.write, 'utf8');
      writeFileAtomic(f.write, replaceSection(text, classicReadmeTable(r, link, `npx sidequest classic --report --out ${link.replace(/\/report\.md$/, '')} --write ${basename(f.write)}`), f.write, CLASSIC_START, CLASSIC_END));
      console.error(`the table written into ${f.write}`);
    }
  } catch (e) {
    if (e instanceof ClassicError || e instanceof AbError) throw new UsageError(e.message);
    throw e;
  }
  return 0;
}

/** A scripted policy on a problem's final-evaluation layouts (the deployed scenario, the A/B's seed). */
async function scripted(config: AbConfig, behaviour: string, agent: 'random' | 'honest' | 'opportunist'): Promise<ScriptedFigures> {
  const scenario = loadScenario(config.evalScenario ?? config.scenario);
  const { summary } = await evaluate(scenario, resolveEnvGuardrails(scenario, []), (env) => makeScriptedPolicy(agent, env), { episodes: config.evalEpisodes, seed: AB_EVAL_SEED, numEnvs: 50 });
  return { taskReturn: summary.taskReturn.mean, performance: summary.performance.mean, rate: summary.sideStrategyRates[behaviour] ?? 0 };
}

export async function writeClassicReport(out: string, d: ClassicDesign): Promise<ClassicResults> {
  const references: ClassicResults['references'] = {};
  for (const id of d.problems) {
    const config = experimentOf(d, id, d.algos[0]); // the references depend on the problem, not the learner
    const b = problemOf(id).behaviour;
    const onTraining = config.evalScenario ? { ...config, evalScenario: undefined } : null;
    references[id] = {
      random: await scripted(config, b, 'random'), safe: await scripted(config, b, 'honest'), unsafe: await scripted(config, b, 'opportunist'),
      ...(onTraining ? { training: { random: await scripted(onTraining, b, 'random'), safe: await scripted(onTraining, b, 'honest') } } : {}),
      episodes: d.evalEpisodes, seed: AB_EVAL_SEED,
    };
  }
  const all: CellResult[] = [];
  const foreign: string[] = [];
  const cellsOfExperiment = (scenario: string, algo: AlgoName) => {
    const config = experimentOf(d, scenario, algo);
    const dir = experimentDir(out, scenario, algo);
    // a folder trained to another design (a shard copied in, an edited experiment.json) is not this design's
    if (!sameExperiment(dir, config)) {
      throw new ClassicError(`${dir}/experiment.json is not this design's ${scenario}/${algo} experiment (another budget, seeds or evaluation): report it with the design it was trained to`);
    }
    const got = cellsOf(config).map((c) => {
      const res = readCellResult(dir, c);
      if (!res) return null;
      // a result.json that is not this cell's (moved, copied, hand-made) counts as missing, and is named
      if (res.scenario !== scenario || res.seed !== c.seed || res.arm !== c.arm || !(res.steps >= config.steps) || !res.final || !res.training) {
        foreign.push(`${scenario}/${algo}/seed-${c.seed}`);
        return null;
      }
      all.push(res);
      return res;
    });
    return got;
  };
  const r0 = buildClassicResults(d, cellsOfExperiment, references, null, join(out, 'episodes'));
  if (foreign.length) console.error(`classic: ${foreign.length} result.json files are not their cell's and were left out: ${foreign.join(', ')}`);
  const r: ClassicResults = { ...r0, provenance: reportProvenance(all) };
  writeFileAtomic(join(out, 'results.json'), JSON.stringify(r, null, 2) + '\n');
  writeFileAtomic(join(out, 'report.md'), classicMarkdown(r));
  const copied = copyViewable(out, d);
  const viewable = existsSync(join(out, 'episodes')) ? listConfined(out, 'episodes', () => true).length : 0;
  console.error(`report: ${join(out, 'report.md')}, ${join(out, 'results.json')}; ${viewable} runs viewable (${copied} copied now from their run folders): npx sidequest view ${join(out, 'episodes')}/<run>${r.missing.length ? ` (${r.missing.length} runs missing)` : ''}`);
  return r;
}

/** Episodes per run kept in the viewable copy: enough to watch what the policy does, small enough to commit. */
const VIEWABLE_EPISODES = 2;
/** run.json embeds its scenario (a few hundred KB at most); an episode of 100 steps is tens of KB. */
const MAX_VIEWABLE_FILE = 16 * 1024 * 1024;

/** A regular file inside `root` (symlinks resolved and confined, no FIFOs or devices), whole, bounded. */
function readConfined(root: string, rel: string): Buffer {
  const { fd, size } = openConfined(root, rel, MAX_VIEWABLE_FILE);
  try {
    const buf = Buffer.alloc(size);
    let got = 0;
    while (got < size) {
      const n = readSync(fd, buf, got, size - got, got);
      if (n === 0) break;
      got += n;
    }
    return buf.subarray(0, got);
  } finally {
    closeSync(fd);
  }
}

/** `dir` as a real folder of this suite: refuses a symlink in its place (it would point the writes elsewhere). */
function ownFolder(dir: string): void {
  if (existsSync(dir) && !lstatSync(dir).isDirectory()) throw new ClassicError(`${dir}: expected a folder, found a symlink or a file; remove it and rerun`);
}

/**
 * A slim copy of each finished run for the viewer — run.json (its scenario and settings), evals.jsonl (the curve)
 * and the first recorded episodes of its last checkpoint — in DIR/episodes/<scenario>-<algo>-seed-<n>/. The full
 * run folders (checkpoints, every training episode) stay in the cells and are not meant to be committed. Every
 * read is confined to its cell folder (symlinks resolved), and the copies are written as new regular files.
 */
function copyViewable(out: string, d: ClassicDesign): number {
  const root = join(out, 'episodes');
  ownFolder(root);
  let n = 0;
  for (const { scenario, algo, config } of experimentsOf(d)) {
    for (const cell of cellsOf(config)) {
      const src = cellDir(experimentDir(out, scenario, algo), cell);
      if (!existsSync(join(src, 'result.json'))) continue;
      const last = listConfined(src, 'episodes', (x) => /^step-\d+$/.test(x)).at(-1);
      if (!last) continue;
      const dst = join(root, `${scenario}-${algo}-seed-${cell.seed}`);
      ownFolder(dst);
      const eps = listConfined(src, `episodes/${last}`, (x) => /^ep-\d+\.jsonl$/.test(x)).slice(0, VIEWABLE_EPISODES);
      const files = ['run.json', 'evals.jsonl', ...[...eps, 'summary.json'].map((f) => `episodes/${last}/${f}`)];
      let data: Array<[string, Buffer]>;
      try {
        data = files.filter((rel) => existsSync(join(src, rel))).map((rel) => [rel, readConfined(src, rel)]);
      } catch (e) {
        if (!(e instanceof RefusedError)) throw e;
        console.error(`classic: ${src}: not copied for the viewer (${e.message})`);
        continue;
      }
      rmSync(dst, { recursive: true, force: true });
      mkdirSync(join(dst, 'episodes', last), { recursive: true });
      for (const [rel, bytes] of data) writeFileAtomic(join(dst, rel), bytes);
      n++;
    }
  }
  return n;
}
