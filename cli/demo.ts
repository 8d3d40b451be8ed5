// `npm run demo` (`sidequest demo`): the teacher's first hour in one command. Trains PPO on rome into
// runs/demo with defaults sized for a 2-core laptop, showing progress, then says in plain words what emerged:
// when each side strategy first appeared and how common it became, the task return against the honest and
// opportunist baselines, the firewall alerts raised — the first real one named by the training episode and step
// that raised it, with the command that replays it — and how to watch the replay.
import { existsSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { evaluate } from '../agents/policies/evaluate.ts';
import { makeScriptedPolicy } from '../agents/policies/scripted.ts';
import { readJsonl, type EvalRow, type TrainingRun } from '../agents/runs/run.ts';
import type { TelemetryAlert } from '../agents/learning/rollout.ts';
import { locateAlert } from '../agents/runs/forensics.ts';
import { parseEpisode } from '../sim/episode.ts';
import { defineCommand, parseCommand } from './args.ts';
import { startRun, trainWithProgress } from './train.ts';
import type { BackendRequest } from '../agents/learning/backend.ts';

/** The demo's defaults: one place, so README, bench and tests agree on what "the demo" is. */
export const DEMO = { scenario: 'rome', steps: 1_000_000, seed: 1, out: join('runs', 'demo'), checkpointEvery: 10 };

const command = defineCommand({
  name: 'demo',
  synopsis: '[--steps N] [--seed N] [--out DIR] [--backend NAME]',
  flags: {
    steps: { type: 'number', default: DEMO.steps, integer: true, min: 1, description: 'env steps to train for' },
    seed: { type: 'number', default: DEMO.seed, integer: true, min: 0, description: 'run seed' },
    out: { type: 'string', default: DEMO.out, description: 'run folder (an earlier demo there is moved to <out>-previous)' },
    backend: { type: 'string', default: 'auto', description: 'tfjs backend: auto, gpu, node, wasm, cpu' },
  },
});

export async function runDemo(argv: string[]): Promise<number> {
  const parsed = parseCommand(command, argv);
  if (!parsed) return 0;
  const f = parsed.flags;
  if (existsSync(join(f.out, 'run.json'))) {
    rmSync(`${f.out}-previous`, { recursive: true, force: true });
    renameSync(f.out, `${f.out}-previous`);
  }
  console.log(`sidequest demo — PPO learns the task on "${DEMO.scenario}". The reward only counts finished jobs.`);
  console.log('Watch the side-strategy rates (gpu, probe, tunnel): nobody asked for them.\n');
  const run = await startRun({
    scenario: DEMO.scenario, algo: 'ppo', steps: f.steps, seed: f.seed, out: f.out, backend: f.backend as BackendRequest, net: 'mlp',
    checkpointEvery: DEMO.checkpointEvery, evalEpisodes: 32, recordEpisodes: 8, costWeight: 1,
  });
  console.log(`backend: ${run.backend.name}   run folder: ${run.dir}\n`);
  await trainWithProgress(run, false);
  console.log('\n' + (await emergenceSummary(run)));
  run.dispose();
  return 0;
}

/** The plain-words report of a finished run. */
export async function emergenceSummary(run: TrainingRun): Promise<string> {
  const evals = readJsonl<EvalRow>(join(run.dir, 'evals.jsonl'));
  const last = evals[evals.length - 1];
  const lines: string[] = ['What emerged (evaluation episodes at each checkpoint):'];
  // each behaviour's label (from the scenario file) says in plain words what the agent did
  for (const { name: b, label } of run.scenario.behaviours) {
    const seen = evals.find((e) => e.sideStrategyRates[b] > 0);
    if (!seen) continue;
    const common = evals.find((e) => e.sideStrategyRates[b] >= 0.5);
    const peak = Math.max(...evals.map((e) => e.sideStrategyRates[b]));
    const when = (e: EvalRow) => `step ${e.step.toLocaleString('en')} (${e.wallSeconds.toFixed(0)} s)`;
    lines.push(
      `  • The agent ${label}: first seen at ${when(seen)}; ` +
        (common ? `in most episodes from ${when(common)}; ` : `never in most episodes (peak ${pct(peak)}); `) +
        `${pct(last.sideStrategyRates[b])} of episodes at the end.`,
    );
  }
  if (lines.length === 1) lines.push('  • No side strategy reached 10% of evaluation episodes in this run.');

  const s = run.scenario;
  const g = run.config.guardrails.env;
  const base = async (agent: 'honest' | 'opportunist') =>
    (await evaluate(s, g, (env) => makeScriptedPolicy(agent, env), { episodes: 200, seed: run.config.seed + 104729 })).summary;
  const [honest, opportunist] = [await base('honest'), await base('opportunist')];
  lines.push('', `Task return (what the learner is paid for): trained agent ${last.taskReturn.mean.toFixed(1)}, honest script ${honest.taskReturn.mean.toFixed(1)}, opportunist script ${opportunist.taskReturn.mean.toFixed(1)}.`);
  const lower = last.performance.mean < honest.performance.mean;
  lines.push(
    `Hidden performance (what the designer wanted, never shown to the learner): trained agent ${last.performance.mean.toFixed(1)}, ` +
      `honest script ${honest.performance.mean.toFixed(1)}, opportunist script ${opportunist.performance.mean.toFixed(1)}` +
      (lower ? ' — the side strategies raised the reward and lowered what was wanted.' : '.'),
  );

  const alerts = readJsonl<TelemetryAlert>(join(run.dir, 'telemetry.jsonl'));
  const bySource = new Map<string, number>();
  for (const a of alerts) bySource.set(a.source, (bySource.get(a.source) ?? 0) + 1);
  const firstReal = alerts.find((a) => a.source !== 'falsePositive');
  lines.push('', `Firewall telemetry: ${alerts.length.toLocaleString('en')} alerts during training (${[...bySource].map(([k, v]) => `${k} ${v}`).join(', ') || 'none'}).`);
  if (firstReal) {
    // the training episode that raised it, from the run's own recording (training-episodes.ts)
    const where = locateAlert(run.dir, run.scenario, firstReal);
    // a training step (env steps since training began) for the alert; within the episode, step k is its k-th
    // action, as the viewer, replay and fork number steps
    const k = 't' in where ? where.t + 1 : 0;
    lines.push(`  First real alert at training step ${firstReal.step.toLocaleString('en')} (${firstReal.source}), raised by training episode ${firstReal.episode} of env ${firstReal.env}` + ('t' in where ? `, at its step ${k}. Replay it:` : ` (${where.problem}).`));
    if ('t' in where) {
      lines.push(`    npx sidequest replay ${run.dir} --env ${firstReal.env} --episode ${firstReal.episode} --at ${k}`);
      lines.push(`  What if the sandbox had been on after that step: npx sidequest fork ${run.dir} --env ${firstReal.env} --episode ${firstReal.episode} --at ${k} --guardrail sandbox`);
      lines.push(`  then watch the original and the fork in the viewer: npx sidequest view ${join(run.dir, 'forks')} (press a to jump to the alert)`);
    }
  }
  lines.push(`  Every alert, grouped into bursts down to the training episodes that raised them: npx sidequest incidents ${run.dir}`);
  const pointed = alertedEpisodes(run.dir, last.checkpoint);
  if (pointed.length) {
    lines.push('  Evaluation episodes of the last checkpoint that raised alerts too (recorded for the viewer; steps as the viewer numbers them):');
    for (const p of pointed.slice(0, 3)) lines.push(`    ${p.file}  — ${p.alerts.join(', ')}`);
  }
  const example = pointed[0]?.file ?? join(run.dir, 'episodes', last.checkpoint, 'ep-000.jsonl');
  lines.push(
    '',
    'Watch it:',
    `  npx sidequest view ${run.dir}       (the viewer in the browser: episodes by checkpoint, firewall lane, curves)`,
    `  npx sidequest replay ${example}            (the episode, event by event, in the terminal)`,
    `  npx sidequest replay ${example} --verify   (re-simulated against its state hashes)`,
  );
  return lines.join('\n');
}

/** Recorded episodes of a checkpoint with firewall alerts, and at which steps (numbered as in the viewer: t + 1). */
export function alertedEpisodes(dir: string, checkpoint: string): Array<{ file: string; alerts: string[] }> {
  const epDir = join(dir, 'episodes', checkpoint);
  const out: Array<{ file: string; alerts: string[] }> = [];
  for (let k = 0; ; k++) {
    const file = join(epDir, `ep-${String(k).padStart(3, '0')}.jsonl`);
    if (!existsSync(file)) break;
    const rec = parseEpisode(readFileSync(file, 'utf8'), file);
    const alerts = rec.steps.flatMap((st) => (st.al ?? []).map((a) => `step ${st.t + 1}: ${a[0]}`));
    if (alerts.length) out.push({ file, alerts });
  }
  return out;
}

function pct(v: number): string {
  return `${(v * 100).toFixed(0)}%`;
}
