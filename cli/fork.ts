// `sidequest fork EPISODE --at STEP [--guardrail …] [--agent …]`: "what if the guardrail had been on at step t?"
// Continues a recorded episode — a training episode of a run folder (--env, --episode) or an episode file — after
// its step STEP (step k is its k-th action, as in the viewer; 0 = from the start) under other env-side guardrails, another agent (a scripted one, a run or checkpoint folder, the
// checkpoint that acted, or the recorded actions), in the same world state and random streams
// (agents/runs/forensics.ts). The fork is written as an ordinary episode file (replay --verify checks it, the
// viewer opens it) and compared with the original from that step.
import { existsSync, lstatSync, mkdirSync, readFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { EpisodeFileError, parseEpisode, serializeEpisode, type EpisodeRecord } from '../sim/episode.ts';
import { resolveEnvGuardrails, type EnvGuardrailConfig } from '../sim/guardrails.ts';
import { forkOf, scenarioOfEpisode, verifyEpisode } from '../sim/replay.ts';
import type { Scenario } from '../sim/scenario.ts';
import { defineCommand, listFlag, parseCommand, printable, UsageError } from './args.ts';
import { printStory } from './replay.ts';
import { formatLink } from '../viewer/src/link.ts';

const command = defineCommand({
  name: 'fork',
  synopsis: '<run folder> --env E --episode K --at STEP [--guardrail G] [--agent A]   or   <episode.jsonl> --at STEP [...]',
  flags: {
    at: { type: 'number' as const, integer: true, min: 0, description: 'the step after which the fork takes over: steps 1..STEP replay the original (step k is the k-th action, as in the viewer; 0 = from the start)' },
    env: { type: 'number' as const, integer: true, min: 0, description: 'a training episode: its env' },
    episode: { type: 'number' as const, integer: true, min: 0, description: 'a training episode: its index in that env' },
    guardrail: { type: 'string' as const, description: 'env-side guardrails from that step, comma separated (sandbox, allowlist, blocklist, monitor, tripwire) or none; default: the original\'s' },
    agent: { type: 'string' as const, default: 'recorded', description: 'who acts from that step: recorded (the original\'s actions, then stay), random, honest, opportunist, acting (the checkpoint that acted, if kept), or a run / checkpoint folder' },
    seed: { type: 'number' as const, default: 0, integer: true, min: 0, description: 'sampling seed of a learned or random agent' },
    out: { type: 'string' as const, description: 'the fork\'s episode file (default: <run>/forks/… or beside the episode file)' },
    backend: { type: 'string' as const, default: 'auto', description: 'tfjs backend for a learned agent: auto, gpu, node, wasm, cpu' },
    quiet: { type: 'boolean' as const, description: 'only the comparison, not the fork\'s story' },
  },
});

const safe = (s: string) => s.replace(/[^A-Za-z0-9_-]+/g, '_').slice(0, 40) || 'x';

export async function runFork(argv: string[]): Promise<number> {
  const parsed = parseCommand(command, argv);
  if (!parsed) return 0;
  if (parsed.positionals.length !== 1) throw new UsageError('expected one episode: a run folder with --env and --episode, or an episode file');
  const f = parsed.flags;
  if (f.at === undefined) throw new UsageError('--at STEP is required: the step after which the fork takes over (0 = from the start)');
  const src = parsed.positionals[0];
  const forensics = await import('../agents/runs/forensics.ts');
  const { writeFileAtomic } = await import('../agents/runs/checkpoint.ts');

  // ---- the original: its world, guardrails, actions, and full record
  let scenario: Scenario;
  let original: EpisodeRecord;
  let describe: Record<string, unknown>;
  let defaultOut: string;
  let acting: import('../agents/runs/forensics.ts').ActingCheckpoint[] = [];
  let runDir: string | undefined;
  if (existsSync(join(src, 'run.json'))) {
    if (f.env === undefined || f.episode === undefined) throw new UsageError(`${src} is a run folder: name a training episode with --env E --episode K`);
    runDir = src;
    const o = forensics.openTrainingEpisode(src, f.env, f.episode);
    const res = await forensics.resimulateTraining(o.scenario, o.guardrails, o.found, { agent: `${o.config.algo}@training`, meta: { run: o.config.name, training: true, env: f.env, episode: f.episode } });
    if (!res.ok) throw new forensics.ForkError(`env ${f.env} episode ${f.episode} does not replay (step ${res.divergence!.step + 1}: ${res.divergence!.what}); a fork needs an exact original`);
    scenario = o.scenario;
    original = res.record!;
    acting = o.acting;
    describe = { run: o.config.name, env: f.env, episode: f.episode, seed: o.found.episode.seed };
    const forks = join(src, 'forks');
    if (existsSync(forks) && !lstatSync(forks).isDirectory()) throw new UsageError(`${forks}: expected a folder (not a symlink or file); give --out`);
    defaultOut = join(forks, `e${f.env}-${f.episode}-at${f.at}`);
  } else {
    for (const k of ['env', 'episode'] as const) if (f[k] !== undefined) throw new UsageError(`--${k} is for a training episode of a run folder; ${src} is not a run folder (no run.json)`);
    let text: string;
    try {
      text = readFileSync(src, 'utf8');
    } catch (e) {
      throw new EpisodeFileError(src, 0, `cannot read: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
    }
    original = parseEpisode(text, src);
    scenario = scenarioOfEpisode(original);
    if (scenario.hash !== original.header.scenario.hash) {
      throw new forensics.ForkError(`${src} was recorded on ${original.header.scenario.id} version ${original.header.scenario.hash}, but the world it carries is version ${scenario.hash} (another version, or edited): a fork must run in the world the episode was recorded in`);
    }
    if (forkOf(original)) throw new forensics.ForkError(`${src} is itself a fork (of ${JSON.stringify(original.header.meta.fork).slice(0, 80)}); fork the original episode instead`);
    const v = verifyEpisode(original, scenario);
    if (!v.ok) throw new forensics.ForkError(`${src} does not replay (step ${v.divergence!.step + 1}: ${v.divergence!.what}); a fork needs an exact original`);
    describe = { file: basename(src), seed: original.header.seed, agent: original.header.agent };
    defaultOut = src.replace(/\.jsonl$/, '') + `.fork-at${f.at}`;
  }
  const n = original.steps.length;
  if (f.at >= n) throw new forensics.ForkError(`--at ${f.at} is past the end: the episode has ${n} steps, so a fork takes over after one of steps 0..${n - 1} (0 = from the start)`);

  // ---- the fork's guardrails and agent
  const names = listFlag(f.guardrail);
  let guardrails: EnvGuardrailConfig = original.header.guardrails;
  if (names) {
    const { isTrainingGuardrail } = await import('../agents/learning/guardrails.ts');
    const training = names.filter((g) => isTrainingGuardrail(g));
    if (training.length) throw new UsageError(`--guardrail ${training.join(',')}: training-side guardrails shape learning, not the world; a fork changes env-side guardrails only (sandbox, allowlist, blocklist, monitor, tripwire, none)`);
    guardrails = resolveEnvGuardrails(scenario, names);
  }
  const agent = f.agent;
  let policy: Parameters<typeof forensics.forkEpisode>[1]['policy'] = 'recorded';
  let probs: (() => Float32Array | undefined) | undefined;
  let agentName = 'recorded';
  let dispose = () => {};
  const { makeScriptedPolicy, SCRIPTED_AGENTS } = await import('../agents/policies/scripted.ts');
  if ((SCRIPTED_AGENTS as readonly string[]).includes(agent)) {
    policy = (env) => makeScriptedPolicy(agent as (typeof SCRIPTED_AGENTS)[number], env, f.seed);
    agentName = agent;
  } else if (agent !== 'recorded') {
    let path = agent;
    if (agent === 'acting') {
      if (!runDir) throw new UsageError('--agent acting is for a training episode of a run folder (the checkpoint that acted at that step)');
      // the fork's first step is the episode's step at + 1 (file index t = at)
      const a = acting.find((c) => f.at! >= c.from && f.at! <= c.to)!;
      if (!a.kept) throw new UsageError(`--agent acting: step ${f.at + 1} was acted by the weights of iteration ${a.iteration}, which were not kept; name a checkpoint folder (${join(runDir, 'checkpoints')}/step-…) or a scripted agent`);
      path = a.path;
    } else if (!existsSync(path)) {
      throw new UsageError(`--agent: unknown agent "${agent}": expected recorded, ${SCRIPTED_AGENTS.join(', ')}, acting, or a run / checkpoint folder`);
    }
    const { loadLearnedPolicy } = await import('../agents/policies/policy-loader.ts');
    const { BackendError } = await import('../agents/learning/backend.ts');
    let loaded;
    try {
      loaded = await loadLearnedPolicy(path, scenario, f.backend, f.seed);
    } catch (e) {
      if (e instanceof BackendError) throw new UsageError(e.message);
      throw e;
    }
    policy = loaded.makePolicy;
    probs = loaded.lastProbs;
    agentName = loaded.policy.name;
    dispose = () => loaded.policy.net.dispose();
  }

  const { record, stayedFrom } = await forensics.forkEpisode(
    { scenario, seed: original.header.seed, guardrails: original.header.guardrails, actions: original.steps.map((s) => s.a), hashEvery: original.header.hashEvery, carried: original.header.carried, describe },
    { at: f.at, guardrails, policy, agent: agentName, probs },
  );
  dispose();
  const check = verifyEpisode(record, scenario);
  if (!check.ok) throw new Error(`the fork does not verify (step ${check.divergence!.step}: ${check.divergence!.what})`);
  const out = f.out ?? `${defaultOut}-${safe(guardrails.names.join('+') || 'none')}-${safe(agentName)}.jsonl`;
  let originalOut: string | undefined;
  if (!f.out && runDir) {
    // the original beside its forks, so `sidequest view <run>/forks` shows them together
    mkdirSync(join(runDir, 'forks'), { recursive: true });
    originalOut = join(runDir, 'forks', `e${f.env}-${f.episode}.jsonl`);
    writeFileAtomic(originalOut, serializeEpisode(original));
  }
  writeFileAtomic(out, serializeEpisode(record));

  if (!f.quiet) printStory(record, { around: f.at + 1 });
  console.log(printable(compare(original, record, f.at, scenario)));
  if (stayedFrom !== undefined) console.log(`  (the original's actions ran out after step ${stayedFrom}: the fork stayed put from there until its episode ended)`);
  console.log(printable(`wrote ${out} — verify it: npx sidequest replay ${out} --verify`));
  if (originalOut) {
    // a share link (viewer/src/link.ts) that opens the original where the fork takes over; the fork is beside it
    const link = formatLink({ run: 'forks', checkpoint: 'episodes', episode: basename(originalOut), step: f.at });
    console.log(printable(`and the original as ${originalOut}; watch both: npx sidequest view ${join(runDir!, 'forks')}, then open http://127.0.0.1:5178/${link} (the original at step ${f.at}; a jumps to the next alert)`));
  }
  return 0;
}

/** The original and the fork side by side after step `at` (file index t >= at): what each did, and how each ended. */
export function compare(a: EpisodeRecord, b: EpisodeRecord, at: number, s: Scenario): string {
  const behaviourEvents = new Map(s.behaviours.map((x) => [s.events[x.event].name, x.name]));
  const after = (r: EpisodeRecord) => {
    const steps = r.steps.slice(at);
    const strategies = new Set<string>();
    let blocked = 0;
    let alerts = 0;
    for (const st of steps) {
      for (const e of st.ev ?? []) {
        const name = behaviourEvents.get(e[0]);
        if (name) strategies.add(name);
        if (e[0] === 'actionBlocked') blocked++;
      }
      alerts += st.al?.length ?? 0;
    }
    return { strategies: [...strategies], blocked, alerts };
  };
  const x = after(a);
  const y = after(b);
  const g = (r: EpisodeRecord) => r.header.guardrails.names.join(', ') || 'none';
  const row = (label: string, r: EpisodeRecord, v: typeof x) =>
    `  ${label.padEnd(9)} guardrails ${g(r).padEnd(10)} agent ${r.header.agent.slice(0, 30).padEnd(18)} side strategies ${(v.strategies.join(', ') || 'none').padEnd(36)} blocked ${String(v.blocked).padStart(3)}  alerts ${String(v.alerts).padStart(3)}  end ${r.end.reason} at step ${r.end.steps}, return ${r.end.return.toFixed(1)}, performance ${r.end.performance.toFixed(1)}`;
  const head = at === 0 ? 'From the start (the same layout and random streams):' : `After step ${at} (steps 1..${at} are the same in both; the fork acts from step ${at + 1}):`;
  return [head, row('original', a, x), row('fork', b, y)].join('\n');
}
