// `sidequest incidents RUN`: the run's firewall alerts triaged as a SOC would (agents/runs/incidents.ts): bursts
// over training time per kind, the false positives the scenario's stated rate predicts for each, and the training
// episodes and steps that raised each burst, ranked, with the command that replays each one. `--json` for scripts.
import { existsSync, lstatSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { compileScenario } from '../sim/scenario.ts';
import { defineCommand, parseCommand, printable, UsageError } from './args.ts';
import type { IncidentReport } from '../agents/runs/incidents.ts';

const command = defineCommand({
  name: 'incidents',
  synopsis: '<run folder> [--gap STEPS] [--top N] [--json]',
  flags: {
    gap: { type: 'number' as const, integer: true, min: 1, description: 'an alert more than this many env steps after the last of its kind starts a new burst (default: 4 iterations of the run)' },
    top: { type: 'number' as const, default: 5, integer: true, min: 0, description: 'episodes listed per burst (0: all)' },
    'noise-p': { type: 'number' as const, default: 0.01, min: 0, max: 1, description: 'a burst is "likely noise" when false positives alone raise as many alerts with at least this probability' },
    json: { type: 'boolean' as const, description: 'print the report as JSON' },
  },
});

export async function runIncidents(argv: string[]): Promise<number> {
  const parsed = parseCommand(command, argv);
  if (!parsed) return 0;
  if (parsed.positionals.length !== 1) throw new UsageError('expected one run folder (e.g. runs/demo)');
  const dir = parsed.positionals[0];
  const f = parsed.flags;
  const { readRunConfig, RunError } = await import('../agents/runs/run.ts');
  const { groupIncidents, readTelemetry, recordedEpisodes } = await import('../agents/runs/incidents.ts');
  const config = readRunConfig(dir);
  let scenario;
  try {
    scenario = compileScenario(config.scenario.file, `${config.scenario.id} (from ${dir}/run.json)`);
  } catch (e) {
    throw new RunError(`${dir}: the scenario in run.json does not compile: ${(e as Error).message}`);
  }
  const numEnvs = config.args?.envs;
  const numSteps = config.args?.numSteps;
  if (!Number.isInteger(numEnvs) || numEnvs < 1 || numEnvs > 4096 || !Number.isInteger(numSteps) || numSteps < 1) throw new RunError(`${dir}/run.json: expected args.envs (1..4096) and args.numSteps`);
  const gap = f.gap ?? 4 * numEnvs * numSteps;
  const alerts = readTelemetry(dir);
  const { index, problems } = recordedEpisodes(dir, scenario);
  const report = groupIncidents(alerts, { scenario, numEnvs, gap, run: dir, trainingSteps: lastStep(dir), index, top: f.top, noiseP: f['noise-p'] });
  if (f.json) {
    console.log(JSON.stringify({ ...report, recordedEpisodes: index.size, problems }));
    return 0;
  }
  console.log(printable(formatReport(report, { recorded: index.size > 0, problems })));
  return 0;
}

/** The last training step metrics.jsonl reached (its last complete row), if readable. */
function lastStep(dir: string): number | undefined {
  const f = join(dir, 'metrics.jsonl');
  if (!existsSync(f) || !lstatSync(f).isFile() || lstatSync(f).size > 512 * 1024 * 1024) return undefined;
  const lines = readFileSync(f, 'utf8').split('\n');
  lines.pop();
  for (let k = lines.length - 1; k >= 0 && k >= lines.length - 3; k--) {
    try {
      const step = (JSON.parse(lines[k]) as { step?: unknown }).step;
      if (typeof step === 'number' && Number.isSafeInteger(step) && step >= 0) return step;
    } catch {
      /* a broken row: try the one before */
    }
  }
  return undefined;
}

const n = (v: number) => v.toLocaleString('en');
const plural = (v: number, w: string) => `${n(v)} ${w}${v === 1 ? '' : 's'}`;
const fmtP = (p: number) => (p < 1e-12 ? '< 1e-12' : p < 0.001 ? p.toExponential(1) : p.toFixed(3));

export function formatReport(r: IncidentReport, o: { recorded: boolean; problems: string[] }): string {
  const out: string[] = [];
  out.push(`Incidents in ${r.run} (${r.scenario}, ${n(r.trainingSteps)} training steps, ${r.numEnvs} envs): ${n(r.alerts)} firewall alerts in ${r.bursts.length} bursts (a burst ends after ${n(r.gap)} steps without an alert of its kind)`);
  out.push(`The firewall sees ${Object.entries(r.sees).map(([k, p]) => `${k} (p ${p})`).join(', ') || 'nothing'}; its stated false-positive rate is ${r.falsePositiveRate} per env step: ${n(Math.round(r.expectedFalsePositivesOverall))} expected over training; the simulation labels ${n(r.labelledFalsePositivesOverall)} alerts falsePositive.`);
  if (!o.recorded) out.push('This run has no recorded training episodes: the episodes are named, but cannot be replayed (train with recording on, the default).');
  for (const p of o.problems.slice(0, 3)) out.push(`warning: ${p}`);
  for (const b of r.bursts) {
    const verdict = b.kind === 'falsePositive'
      ? `the firewall's alerts with no cause: the stated rate predicts ${b.expectedFalsePositives.toFixed(1)} over this window (p ${fmtP(b.pNoise)} of as many)`
      : b.likelyNoise
      ? `consistent with false positives alone (p ${fmtP(b.pNoise)})`
      : `more than false positives explain (p ${fmtP(b.pNoise)} under noise alone)`;
    out.push('');
    out.push(
      `#${b.rank} ${b.kind}${b.declared ? '' : ' (not declared by the scenario)'}: steps ${n(b.firstStep)}–${n(b.lastStep)}, ${plural(b.alerts, 'alert')} in ${plural(b.episodeCount, 'episode')}; ` +
        (b.kind === 'falsePositive' ? verdict : `false positives over its ${n(b.windowSteps)}-step window: ${b.expectedFalsePositives.toFixed(1)} expected at most → ${verdict}`),
    );
    for (const e of b.episodes) {
      const at = e.episodeSteps ? `step ${e.episodeSteps.join(', ')} of the episode (global ${e.steps.map(n).join(', ')})` : `global step ${e.steps.map(n).join(', ')}`;
      const cmd = e.episodeSteps ? `  npx sidequest replay ${r.run} --env ${e.env} --episode ${e.episode} --at ${e.episodeSteps[0]}` : '';
      out.push(`    env ${e.env} episode ${e.episode}: ${plural(e.alerts, 'alert')} at ${at.length > 120 ? `${at.slice(0, 119)}…` : at}${cmd}`);
    }
    if (b.episodeCount > b.episodes.length) out.push(`    … and ${n(b.episodeCount - b.episodes.length)} more episodes (--top 0 lists all)`);
  }
  return out.join('\n');
}
