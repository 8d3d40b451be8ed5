// `sidequest replay FILE --verify`: re-simulates a recorded episode and reports whether it matches, or the
// first divergent step. Without --verify it prints the episode's story (its events, step by step).
// `sidequest replay RUN --env E --episode K`: the same for a training episode (agents/runs/training-episodes.ts):
// re-simulated from its compact record and checked against its hashes, with the acting checkpoint's action
// probabilities where that checkpoint is kept; --out writes it as an ordinary episode file (viewer, --verify).
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseEpisode, EpisodeFileError, serializeEpisode, type EpisodeRecord } from '../sim/episode.ts';
import { scenarioOfEpisode, verifyEpisode } from '../sim/replay.ts';
import { routineEvents } from '../sim/scenario.ts';
import { ACTION_NAMES } from '../sim/vocab.ts';
import { defineCommand, parseCommand, printable, UsageError } from './args.ts';

const command = defineCommand({
  name: 'replay',
  synopsis: '<episode.jsonl> [--verify] [--json]   or   <run folder> --env E --episode K [--at STEP] [--out FILE]',
  flags: {
    verify: { type: 'boolean' as const, description: 're-simulate and check every recorded hash and event' },
    json: { type: 'boolean' as const, description: 'print the verification result as JSON' },
    env: { type: 'number' as const, integer: true, min: 0, description: 'a training episode: its env (as telemetry.jsonl names it)' },
    episode: { type: 'number' as const, integer: true, min: 0, description: 'a training episode: its index in that env' },
    at: { type: 'number' as const, integer: true, min: 1, description: 'a training episode: mark step N and show the steps around it (e.g. the alerting step; step N is the N-th action, as in the viewer)' },
    out: { type: 'string' as const, description: 'a training episode: also write it as an episode file (for the viewer and --verify)' },
    backend: { type: 'string' as const, default: 'auto', description: 'tfjs backend for the action probabilities: auto, gpu, node, wasm, cpu' },
  },
});

export async function runReplay(argv: string[]): Promise<number> {
  const parsed = parseCommand(command, argv);
  if (!parsed) return 0;
  if (parsed.positionals.length !== 1) throw new UsageError('expected one episode file, or one run folder with --env and --episode');
  const file = parsed.positionals[0];
  const f = parsed.flags;
  if (existsSync(join(file, 'run.json'))) return replayTraining(file, f);
  for (const k of ['env', 'episode', 'at', 'out'] as const) if (f[k] !== undefined) throw new UsageError(`--${k} is for a training episode of a run folder; ${file} is not a run folder (no run.json)`);
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    throw new EpisodeFileError(file, 0, `cannot read: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
  const rec = parseEpisode(text, file);
  if (!f.verify) {
    printStory(rec);
    return 0;
  }
  const result = verifyEpisode(rec);
  if (f.json) console.log(JSON.stringify(result));
  else if (result.ok) console.log(`OK: ${file} replays exactly (${result.steps} steps, every state hash and event matches)`);
  else {
    const d = result.divergence!;
    // numbered as everywhere else people read steps (the file's t = 7 is step 8); the JSON keeps the file's index
    console.log(`DIVERGED: ${file} first differs ${where(d.step)} (${d.what})\n  recorded: ${d.expected}\n  replayed: ${d.found}`);
  }
  return result.ok ? 0 : 1;
}

const where = (t: number) => (t < 0 ? 'before the first step' : `at step ${t + 1}`);

/**
 * The episode's story: side strategies, guardrail events and alerts get a line each; routine work is summarised.
 * Step k is the k-th action (the file's t = k - 1), as on the viewer's scrubber; `around` marks step k.
 */
export function printStory(rec: EpisodeRecord, opts: { globalSteps?: readonly number[]; around?: number } = {}): void {
  const h = rec.header;
  console.log(printable(`${h.scenario.id} · agent ${h.agent} · seed ${h.seed} · guardrails: ${h.guardrails.names.join(', ') || 'none'}`));
  const routine = routineEvents(scenarioOfEpisode(rec));
  let routineSteps = 0;
  const near = (t: number) => opts.around !== undefined && Math.abs(t + 1 - opts.around) <= 2;
  for (const st of rec.steps) {
    const kinds = (st.ev ?? []).map((e) => e[0]);
    if (kinds.some((k) => routine.has(k))) routineSteps++;
    if (!near(st.t) && !st.al && kinds.every((k) => routine.has(k))) continue;
    const al = st.al ? `  [firewall alert: ${st.al.map((a) => a[0]).join(', ')}]` : '';
    const g = opts.globalSteps ? ` (global ${opts.globalSteps[st.t].toLocaleString('en')})` : '';
    const p = st.p ? `  p=${st.p[st.a].toFixed(3)} [${st.p.map((v, k) => `${ACTION_NAMES[k]} ${v.toFixed(2)}`).join(' ')}]` : '';
    const mark = opts.around === st.t + 1 ? '→' : ' ';
    console.log(printable(`${mark} step ${String(st.t + 1).padStart(3)}${g}  ${ACTION_NAMES[st.a].padEnd(8)}  ${kinds.join(', ')}${al}${p}`));
  }
  console.log(printable(`  ${routineSteps} steps of routine events (${[...routine].join(', ') || 'none'}); at the end: ${Object.entries(rec.end.vars).map(([k, v]) => `${k} ${v}`).join(', ') || 'no variables'}`));
  console.log(printable(`  end: ${rec.end.reason} after ${rec.end.steps} steps, return ${rec.end.return}, side strategies: ${rec.end.behaviours.join(', ') || 'none'}`));
}

async function replayTraining(runDir: string, f: { verify?: boolean; json?: boolean; env?: number; episode?: number; at?: number; out?: string; backend: string }): Promise<number> {
  if (f.env === undefined || f.episode === undefined) throw new UsageError(`${runDir} is a run folder: name a training episode with --env E --episode K (telemetry.jsonl and sidequest incidents give them)`);
  const { openTrainingEpisode, resimulateTraining, checkpointProbs } = await import('../agents/runs/forensics.ts');
  const { writeFileAtomic } = await import('../agents/runs/checkpoint.ts');
  const { BackendError } = await import('../agents/learning/backend.ts');
  const opened = openTrainingEpisode(runDir, f.env, f.episode);
  const { found, acting, config, scenario } = opened;
  const ep = found.episode;
  if (f.at !== undefined && f.at > ep.length) throw new UsageError(`--at ${f.at} is past the end: env ${f.env} episode ${f.episode} has ${ep.length} steps (1..${ep.length})`);
  let probs: Awaited<ReturnType<typeof checkpointProbs>> | undefined;
  // DQN acts ε-greedily on Q-values: a softmax of them is no distribution it sampled from, so none is shown
  const dqn = config.algo === 'dqn';
  try {
    probs = await checkpointProbs(config, scenario, dqn ? [] : acting, f.backend as never);
  } catch (e) {
    if (e instanceof BackendError) throw new UsageError(e.message);
    throw e;
  }
  const meta = { run: config.name, training: true, env: ep.env, episode: ep.index, startStep: ep.startTick * found.header.numEnvs + ep.env, segment: found.file, actingCheckpoints: acting.map((a) => ({ from: a.from, to: a.to, checkpoint: a.checkpoint, kept: a.kept })) };
  const res = await resimulateTraining(scenario, opened.guardrails, found, { agent: `${config.algo}@training`, meta, probs: probs.probs });
  probs.dispose();
  if (f.json) {
    console.log(JSON.stringify({ ok: res.ok, steps: ep.length, divergence: res.divergence, actingCheckpoints: meta.actingCheckpoints }));
    return res.ok ? 0 : 1;
  }
  if (!res.ok) {
    const d = res.divergence!;
    console.log(printable(`DIVERGED: ${runDir} env ${ep.env} episode ${ep.index} first differs ${where(d.step)} (${d.what})\n  recorded: ${d.expected}\n  replayed: ${d.found}`));
    return 1;
  }
  const rec = res.record!;
  if (!f.verify) {
    printStory(rec, { globalSteps: res.globalSteps, around: f.at });
    if (dqn) console.log('  a DQN run acts ε-greedily on its Q-values, not by sampling a distribution: no action probabilities are shown');
    for (const a of dqn ? [] : acting) {
      const span = a.from === a.to ? `step ${a.from + 1}` : `steps ${a.from + 1}–${a.to + 1}`;
      console.log(
        a.kept
          ? `  ${span}: acted by checkpoint ${a.checkpoint} (kept): the action probabilities shown are that checkpoint's`
          : `  ${span}: acted by the weights of iteration ${a.iteration}, which were not kept (${a.iteration === 0 ? 'the initial weights are never saved' : `checkpoints every ${config.checkpointEvery} iterations`}): no probabilities shown for them`,
      );
    }
    const unlikely = rec.steps.filter((st) => st.p && st.p[st.a] < 1e-4);
    if (unlikely.length) console.log(`  warning: at ${unlikely.length} steps the kept checkpoint gives the recorded action a probability below 0.0001 — it may not be the weights that acted`);
  }
  console.log(`OK: env ${ep.env} episode ${ep.index} of ${runDir} replays exactly (${ep.length} steps; layout, ${ep.hashes.length} state hashes, end, return, side strategies and alert count match training)`);
  if (f.out) {
    writeFileAtomic(f.out, serializeEpisode(rec));
    console.log(printable(`wrote ${f.out} (open it in the viewer, or: npx sidequest replay ${f.out} --verify)`));
  }
  return 0;
}
