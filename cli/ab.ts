// `sidequest ab <scenario> --arms … --seeds N [--steps …] [--out DIR] [--shard i/N] [--workers N]`: trains every
// arm on the same seeds, spread over worker threads (one per core), with one progress display; then writes the
// report (with its provenance: this command line, checkout and machine). `sidequest ab merge DIR… --out DIR` joins
// shards (their result.json files) into one report. `sidequest ab findings DIR…` is cli/findings.ts.
import { cpSync, existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { AB_EVAL_SEED, AbError, ARMS, cellDir, deploymentScenario, cellsOf, DEFAULT_ARMS, readCellResult, readExperiment, reportProvenance, sameExperiment, shardOf, validateArms, writeExperiment, type AbConfig, type Cell, type CellResult } from '../agents/experiments/ab.ts';
import type { FromWorker, ToWorker } from '../agents/experiments/ab-worker.ts';
import { evaluate } from '../agents/policies/evaluate.ts';
import { buildResults, reportHtml, reportMarkdown, type Reference } from '../agents/experiments/report.ts';
import { makeScriptedPolicy } from '../agents/policies/scripted.ts';
import { resolveEnvGuardrails } from '../sim/guardrails.ts';
import { loadScenario } from '../sim/load.ts';
import { ALGOS, type AlgoName } from '../agents/learning/options.ts';
import { defineCommand, listFlag, parseCommand, printable, UsageError } from './args.ts';

/** `--algo`'s value, checked against the learners that exist. */
export function parseAlgo(v: string): AlgoName {
  if (!(ALGOS as readonly string[]).includes(v)) throw new UsageError(`--algo: expected one of ${ALGOS.join(', ')}, found "${printable(v)}"`);
  return v as AlgoName;
}

const command = defineCommand({
  name: 'ab',
  synopsis: `<scenario> [--arms ${DEFAULT_ARMS.join(',')}] [--seeds N] [--steps N] [--out DIR] [--shard i/N]\n       sidequest ab merge DIR [DIR …] --out DIR\n       sidequest ab findings DIR [DIR …] [--write README.md]`,
  flags: {
    arms: { type: 'string', default: DEFAULT_ARMS.join(','), description: `arms, comma separated, from: ${Object.keys(ARMS).join(', ')}` },
    seeds: { type: 'number', default: 5, integer: true, min: 1, description: 'paired seeds per arm (1..N)' },
    steps: { type: 'number', default: 300_000, integer: true, min: 1, description: 'env steps per training run' },
    algo: { type: 'string', default: 'ppo', description: `the learner every cell trains with: ${ALGOS.join(', ')}` },
    'eval-scenario': { type: 'string', description: 'deploy the final policies on this scenario instead (same observation; e.g. distributional-shift-test)' },
    'eval-episodes': { type: 'number', default: 200, integer: true, min: 1, description: 'final evaluation episodes per run (shared layouts)' },
    out: { type: 'string', description: 'experiment folder (default runs/ab-<scenario>)' },
    shard: { type: 'string', description: 'run only shard i of N (0-based, e.g. 0/4), for a Slurm array or Kubernetes Indexed Job' },
    workers: { type: 'number', integer: true, min: 1, description: 'worker threads (default: the number of cores)' },
    quiet: { type: 'boolean', description: 'no progress display' },
  },
});

export async function runAb(argv: string[]): Promise<number> {
  if (argv[0] === 'merge') return runMerge(argv.slice(1));
  if (argv[0] === 'findings') return (await import('./findings.ts')).runFindings(argv.slice(1));
  const parsed = parseCommand(command, argv);
  if (!parsed) return 0;
  const f = parsed.flags;
  if (parsed.positionals.length !== 1) throw new UsageError('expected one scenario (e.g. rome), or: sidequest ab merge DIR… --out DIR');
  const scenario = loadScenario(parsed.positionals[0]);
  const out = f.out ?? join('runs', `ab-${scenario.id}`);
  const config: AbConfig = {
    scenario: parsed.positionals[0],
    arms: listFlag(f.arms) ?? DEFAULT_ARMS,
    seeds: Array.from({ length: f.seeds }, (_, i) => i + 1),
    steps: f.steps,
    evalEpisodes: f['eval-episodes'],
    // ppo is left implicit so experiments written before the flag existed still match on a rerun
    ...(f.algo !== 'ppo' ? { algo: parseAlgo(f.algo) } : {}),
    ...(f['eval-scenario'] ? { evalScenario: f['eval-scenario'] } : {}),
  };
  try {
    validateArms(config.arms);
    if (config.evalScenario) deploymentScenario(config.evalScenario, scenario);
    mkdirSync(out, { recursive: true });
    if (!sameExperiment(out, config)) {
      const before = readExperiment(out);
      throw new AbError(`${out} holds a different experiment (${before.scenario}, arms ${before.arms.join(',')}, ${before.seeds.length} seeds, ${before.steps} steps): choose another --out`);
    }
    writeExperiment(out, config);
    const mine = shardOf(cellsOf(config), f.shard);
    const todo = mine.filter((c) => !readCellResult(out, c));
    console.error(`A/B on ${scenario.id}: ${config.arms.length} arms × ${config.seeds.length} seeds${f.shard ? `, shard ${f.shard}: ${mine.length} cells` : ''}; ${mine.length - todo.length} already done, ${todo.length} to run → ${out}`);
    await runCells(jobsOf(out, config, todo), f.workers ?? Math.max(1, Math.min(availableParallelism(), todo.length)), f.quiet === true);
    if (f.shard) {
      console.error(`shard ${f.shard} done. Join the shards with: sidequest ab merge <shard folders…> --out DIR`);
      return 0;
    }
    await writeReport(out, config);
  } catch (e) {
    if (e instanceof AbError) throw new UsageError(e.message);
    throw e;
  }
  return 0;
}

/** One cell to train: its experiment's folder and design, and the name the progress line shows it by. */
export interface CellJob { out: string; config: AbConfig; cell: Cell; label: string }

/** The jobs of one experiment's cells, labelled arm/seed. */
export function jobsOf(out: string, config: AbConfig, cells: readonly Cell[]): CellJob[] {
  return cells.map((cell) => ({ out, config, cell, label: `${cell.arm}/seed-${cell.seed}` }));
}

/**
 * Runs cells on worker threads, at most `workers` at a time, with one progress line. The cells may belong to
 * several experiments (the classic suite queues every problem's together so no core idles between them). Throws
 * if any cell failed, after the others have finished.
 */
export async function runCells(todo: readonly CellJob[], workers: number, quiet: boolean): Promise<void> {
  if (todo.length === 0) return;
  const queue = [...todo];
  const progress = new Map<string, number>();
  const failures: string[] = [];
  let done = 0;
  const tty = process.stderr.isTTY === true;
  let lastPrint = 0;
  const show = (force = false) => {
    if (quiet) return;
    const now = Date.now();
    if (!force && !tty && now - lastPrint < 10_000) return;
    lastPrint = now;
    const running = [...progress].map(([k, v]) => `${k} ${(v * 100).toFixed(0)}%`).join(', ');
    const line = `cells ${done}/${todo.length} done${running ? ` · running: ${running}` : ''}`;
    process.stderr.write(tty ? `\r\x1b[K${line}` : `${line}\n`);
  };
  await Promise.all(
    Array.from({ length: Math.min(workers, queue.length) }, () =>
      new Promise<void>((resolve, reject) => {
        const w = new Worker(new URL('../bin/ab-worker.js', import.meta.url));
        let job: CellJob | undefined;
        const next = () => {
          job = queue.shift();
          if (!job) {
            w.postMessage({ type: 'exit' } satisfies ToWorker);
            return;
          }
          mkdirSync(cellDir(job.out, job.cell), { recursive: true });
          progress.set(job.label, 0);
          w.postMessage({ type: 'cell', out: job.out, cell: job.cell, config: job.config } satisfies ToWorker);
        };
        w.on('message', (m: FromWorker) => {
          // one cell at a time per worker: the message is about this worker's job
          const label = job?.label ?? `${m.cell.arm}/seed-${m.cell.seed}`;
          if (m.type === 'progress') progress.set(label, m.step / m.total);
          else {
            progress.delete(label);
            done++;
            if (m.type === 'failed') failures.push(`${label}: ${m.error}`);
            next();
          }
          show(m.type !== 'progress');
        });
        w.on('error', reject);
        w.on('exit', () => resolve());
        next();
      }),
    ),
  );
  if (!quiet && tty) process.stderr.write('\n');
  if (failures.length) throw new AbError(`${failures.length} cell(s) failed (rerun to retry them; finished cells are kept):\n  ${failures.join('\n  ')}`);
}

/**
 * The honest script on the cells' evaluation layouts (no guardrail): the bar the report uses for "has learned the
 * task". Scripted, so it takes well under a second and is the same on every machine.
 */
export async function honestReference(config: AbConfig): Promise<Reference> {
  const scenario = loadScenario(config.evalScenario ?? config.scenario);
  const { summary } = await evaluate(scenario, resolveEnvGuardrails(scenario, []), (env) => makeScriptedPolicy('honest', env), { episodes: config.evalEpisodes, seed: AB_EVAL_SEED, numEnvs: 50 });
  return { honestTaskReturn: summary.taskReturn.mean, episodes: config.evalEpisodes, seed: AB_EVAL_SEED };
}

export async function writeReport(out: string, config: AbConfig): Promise<void> {
  const results: CellResult[] = cellsOf(config).map((c) => readCellResult(out, c)).filter((r): r is CellResult => r !== null);
  const missing = cellsOf(config).length - results.length;
  // behaviour names and colours come from the scenario the cells trained on (recorded in each cell's result)
  const behaviours = results.find((c) => c.behaviours)?.behaviours;
  const r = buildResults(config, results, { provenance: reportProvenance(results), reference: await honestReference(config), behaviours });
  writeFileSync(join(out, 'results.json'), JSON.stringify(r, null, 2) + '\n');
  writeFileSync(join(out, 'report.md'), reportMarkdown(r));
  writeFileSync(join(out, 'report.html'), reportHtml(r));
  console.error(`report: ${join(out, 'report.md')}, ${join(out, 'report.html')}, ${join(out, 'results.json')}${missing ? ` (${missing} cells missing)` : ''}`);
}

async function runMerge(argv: string[]): Promise<number> {
  const parsed = parseCommand(defineCommand({ name: 'ab merge', synopsis: 'DIR [DIR …] --out DIR', flags: { out: { type: 'string', description: 'merged experiment folder' } } }), argv);
  if (!parsed) return 0;
  if (!parsed.flags.out) throw new UsageError('--out: expected the merged folder');
  if (parsed.positionals.length === 0) throw new UsageError('expected the shard folders to merge');
  try {
    const configs = parsed.positionals.map((d) => readExperiment(d));
    const config = configs[0];
    for (const [i, c] of configs.entries()) {
      if (JSON.stringify(c) !== JSON.stringify(config)) throw new AbError(`${parsed.positionals[i]} is a different experiment from ${parsed.positionals[0]}: only shards of one experiment can be merged`);
    }
    const out = parsed.flags.out;
    mkdirSync(out, { recursive: true });
    writeExperiment(out, config);
    let copied = 0;
    for (const dir of parsed.positionals) {
      const cellsRoot = join(dir, 'cells');
      if (!existsSync(cellsRoot)) continue;
      for (const arm of readdirSync(cellsRoot)) {
        for (const seedDir of readdirSync(join(cellsRoot, arm))) {
          const src = join(cellsRoot, arm, seedDir, 'result.json');
          if (!existsSync(src)) continue;
          const dst = join(out, 'cells', arm, seedDir);
          mkdirSync(dst, { recursive: true });
          cpSync(src, join(dst, 'result.json'));
          copied++;
        }
      }
    }
    console.error(`merged ${copied} finished cells from ${parsed.positionals.length} folders`);
    await writeReport(out, config);
  } catch (e) {
    if (e instanceof AbError) throw new UsageError(e.message);
    throw e;
  }
  return 0;
}
