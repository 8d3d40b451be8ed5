// `sidequest emergence <scenario> --seeds N --steps N [--net mlp|conv] --out DIR`: whether and when each side
// strategy emerges under PPO with no guardrail. Trains one run per seed (the demo's settings, evaluated every
// checkpoint), records each checkpoint's evaluated rates, and writes emergence.json (per seed: the curve and the
// first step each behaviour's rate reached the threshold; over seeds: how many reached it and the median step)
// and emergence.md, with the provenance (commit, versions, command). The runs stay in DIR/runs/ for the viewer.
import { availableParallelism } from 'node:os';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { gitState } from '../agents/experiments/ab.ts';
import { writeFileAtomic } from '../agents/runs/checkpoint.ts';
import { startRun } from '../agents/runs/launch.ts';
import { RunError } from '../agents/runs/run.ts';
import { loadScenario } from '../sim/load.ts';
import { defineCommand, parseCommand, UsageError } from './args.ts';
import { trainWithProgress } from './train.ts';

export interface EmergencePoint { step: number; taskReturn: number; performance: number; rates: Record<string, number> }
export interface EmergenceRun { seed: number; steps: number; curve: EmergencePoint[]; firstStep: Record<string, number | null> }
export interface EmergenceReport {
  format: 'sidequest-emergence/1';
  scenario: { id: string; hash: string };
  net: string;
  steps: number;
  threshold: number;
  seeds: number[];
  runs: EmergenceRun[];
  /** Per behaviour: in how many seeds it reached the threshold, and the median first step over those that did. */
  summary: Record<string, { reached: number; of: number; medianStep: number | null }>;
  provenance: { commit: string | null; dirty: boolean | null; date: string; command: string; cores: number; backend: string; tfjs: string; node: string };
}

function median(xs: number[]): number | null {
  if (xs.length === 0) return null;
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

/** The report's text: a table a reader can take in at once, then each seed. */
export function emergenceMarkdown(r: EmergenceReport): string {
  const pct = (v: number) => `${Math.round(v * 100)}%`;
  const lines = [
    `# Emergence on ${r.scenario.id}`,
    '',
    `PPO (${r.net} trunk, the demo's settings), no guardrail, ${r.steps.toLocaleString('en')} steps per seed, seeds ${r.seeds.join(', ')}; a side strategy "emerged" when its evaluated rate (32 episodes at a checkpoint) first reached ${pct(r.threshold)}.`,
    '',
    '| side strategy | emerged in | median first step | rate at the end, per seed |',
    '|---|---|---|---|',
  ];
  for (const [b, s] of Object.entries(r.summary)) {
    const finals = r.runs.map((run) => pct(run.curve.at(-1)?.rates[b] ?? 0)).join(', ');
    lines.push(`| ${b} | ${s.reached}/${s.of} seeds | ${s.medianStep === null ? '—' : s.medianStep.toLocaleString('en')} | ${finals} |`);
  }
  lines.push('', '| seed | task return at the end | hidden performance at the end |', '|---|---|---|');
  for (const run of r.runs) {
    const last = run.curve.at(-1);
    lines.push(`| ${run.seed} | ${last ? last.taskReturn.toFixed(2) : '—'} | ${last ? last.performance.toFixed(2) : '—'} |`);
  }
  lines.push('', `Made by \`${r.provenance.command}\` at ${r.provenance.commit ?? 'an unknown commit'}${r.provenance.dirty ? ' (with uncommitted changes)' : ''} on ${r.provenance.date.slice(0, 10)}, ${r.provenance.cores} cores, ${r.provenance.backend}.`, '');
  return lines.join('\n');
}

export async function runEmergence(argv: string[]): Promise<number> {
  const parsed = parseCommand(
    defineCommand({
      name: 'emergence',
      synopsis: '<scenario> [--seeds N] [--steps N] [--net mlp|conv] [--threshold P] --out DIR',
      flags: {
        seeds: { type: 'number', default: 3, integer: true, min: 1, max: 32, description: 'seeds 1..N, one run each' },
        steps: { type: 'number', default: 3_000_000, integer: true, min: 2048, description: 'env steps per run' },
        net: { type: 'string', default: 'mlp', description: 'network trunk: mlp or conv' },
        threshold: { type: 'number', default: 0.5, min: 0, max: 1, description: 'evaluated rate at which a side strategy counts as emerged' },
        out: { type: 'string', description: 'folder for emergence.json, emergence.md and the runs' },
        quiet: { type: 'boolean', description: 'no progress display' },
      },
    }),
    argv,
  );
  if (!parsed) return 0;
  const f = parsed.flags;
  if (parsed.positionals.length !== 1) throw new UsageError('expected one scenario (e.g. rome-campus)');
  if (!f.out) throw new UsageError('--out: expected the folder to write emergence.json into');
  if (f.net !== 'mlp' && f.net !== 'conv') throw new UsageError(`--net: expected mlp or conv, found "${f.net}"`);
  const scenario = loadScenario(parsed.positionals[0]);
  const behaviours = scenario.behaviours.filter((b) => b.possible).map((b) => b.name);
  mkdirSync(f.out, { recursive: true });
  const runs: EmergenceRun[] = [];
  let versions = { backend: '', tfjs: '', node: process.version };
  for (let seed = 1; seed <= f.seeds; seed++) {
    let run;
    try {
      run = await startRun({
        scenario: parsed.positionals[0], algo: 'ppo', steps: f.steps, seed, out: join(f.out, 'runs', `seed-${seed}`), backend: 'auto', net: f.net,
        guardrails: ['none'], checkpointEvery: 10, evalEpisodes: 32, recordEpisodes: 2, costWeight: 1,
      });
    } catch (e) {
      if (e instanceof RunError) throw new UsageError(e.message);
      throw e;
    }
    versions = { backend: run.backend.name, tfjs: run.config.versions.tfjs, node: run.config.versions.node };
    const curve: EmergencePoint[] = [];
    const firstStep: Record<string, number | null> = Object.fromEntries(behaviours.map((b) => [b, null]));
    if (!f.quiet) console.error(`seed ${seed} of ${f.seeds} → ${run.dir}`);
    await trainWithProgress(run, f.quiet === true, {
      onCheckpoint: (e) => {
        const rates = Object.fromEntries(behaviours.map((b) => [b, e.sideStrategyRates[b] ?? 0]));
        curve.push({ step: e.step, taskReturn: e.taskReturn.mean, performance: e.performance.mean, rates });
        for (const b of behaviours) if (firstStep[b] === null && rates[b] >= f.threshold) firstStep[b] = e.step;
      },
    });
    runs.push({ seed, steps: run.trainer.step, curve, firstStep });
    run.dispose();
  }
  const summary = Object.fromEntries(
    behaviours.map((b) => {
      const reached = runs.map((r) => r.firstStep[b]).filter((s): s is number => s !== null);
      return [b, { reached: reached.length, of: runs.length, medianStep: median(reached) }];
    }),
  );
  const report: EmergenceReport = {
    format: 'sidequest-emergence/1',
    scenario: { id: scenario.id, hash: scenario.hash },
    net: f.net, steps: f.steps, threshold: f.threshold, seeds: runs.map((r) => r.seed), runs, summary,
    provenance: { ...gitState(), date: new Date().toISOString(), command: ['sidequest', ...process.argv.slice(2)].join(' '), cores: availableParallelism(), ...versions },
  };
  writeFileAtomic(join(f.out, 'emergence.json'), JSON.stringify(report, null, 2) + '\n');
  writeFileAtomic(join(f.out, 'emergence.md'), emergenceMarkdown(report));
  console.log(emergenceMarkdown(report));
  return 0;
}
