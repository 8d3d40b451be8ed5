// In-page training, the part with no DOM, no worker and no Vite: a plain setup (scenario, guardrail names, seed,
// budget, algorithm options) becomes the same Trainer `sidequest train` builds (agents/learning/trainer.ts, with
// guardrails resolved by agents/runs/guardrail-names.ts and options by resolveArgs); milestones are read off the
// metrics rows and alerts in plain words; the current policy plays one watched episode. The worker drives it and
// the Node test runs it directly, which is how the test proves the page trains with the same code.
import { BatchEnv } from '../../../sim/engine.ts';
import type { EnvGuardrailConfig } from '../../../sim/guardrails.ts';
import { EpisodeRecorder } from '../../../sim/record.ts';
import { serializeEpisode, type EpisodeRecord } from '../../../sim/episode.ts';
import type { Scenario } from '../../../sim/scenario.ts';
import { resolveArgs, type PpoArgs } from '../../../agents/learning/options.ts';
import { Trainer, type MetricsRow } from '../../../agents/learning/trainer.ts';
import type { TelemetryAlert } from '../../../agents/learning/rollout.ts';
import { LearnedPolicy, policyModeOf } from '../../../agents/policies/policy.ts';
import { evaluate } from '../../../agents/policies/evaluate.ts';
import { resolveGuardrailNames } from '../../../agents/runs/guardrail-names.ts';

/** What the page asks the worker to train (plain data: it crosses postMessage). */
export interface TrainSetup {
  scenario: string;
  /** Guardrail names as `--guardrail` takes them; [] keeps the scenario's own env-side defaults, 'none' drops them. */
  guardrails: string[];
  seed: number;
  /** Environment steps to train for (rounded up to whole iterations). */
  steps: number;
  /** Algorithm options over PPO's defaults (agents/learning/options.ts). */
  args?: Partial<PpoArgs>;
}

/** The page's budget caps: a setup from a hostile URL or message cannot ask for an unbounded allocation or run. */
export const SETUP_LIMITS = { maxSteps: 5_000_000, maxEnvs: 256, maxNumSteps: 512, maxHidden: 256, maxSeed: 2 ** 31 - 1 } as const;

export class SetupError extends Error {}

/** Checks a setup's numbers against SETUP_LIMITS (the worker calls it on every start message). */
export function checkSetup(s: TrainSetup): void {
  const int = (v: unknown, lo: number, hi: number, what: string) => {
    if (typeof v !== 'number' || !Number.isInteger(v) || v < lo || v > hi) throw new SetupError(`${what}: expected an integer from ${lo} to ${hi}, found ${String(v).slice(0, 20)}`);
  };
  if (typeof s.scenario !== 'string' || !/^[a-z][a-z0-9-]{0,39}$/.test(s.scenario)) throw new SetupError('scenario: expected a shipped scenario id');
  if (!Array.isArray(s.guardrails) || s.guardrails.length > 16 || !s.guardrails.every((g) => typeof g === 'string' && g.length <= 40)) throw new SetupError('guardrails: expected at most 16 names');
  int(s.seed, 0, SETUP_LIMITS.maxSeed, 'seed');
  int(s.steps, 1, SETUP_LIMITS.maxSteps, 'steps');
  const a = s.args ?? {};
  if (a.envs !== undefined) int(a.envs, 1, SETUP_LIMITS.maxEnvs, 'envs');
  if (a.numSteps !== undefined) int(a.numSteps, 1, SETUP_LIMITS.maxNumSteps, 'numSteps');
  if (a.hidden !== undefined) int(a.hidden, 1, SETUP_LIMITS.maxHidden, 'hidden');
}

/** The Trainer `sidequest train --scenario … --guardrail … --seed …` would build (PPO, the MLP net, cost weight 1). */
export function makeTrainer(scenario: Scenario, setup: TrainSetup): { trainer: Trainer; guardrails: EnvGuardrailConfig } {
  checkSetup(setup);
  const g = resolveGuardrailNames(scenario, setup.guardrails, 1);
  const args = resolveArgs('ppo', setup.args ?? {});
  const trainer = new Trainer({
    scenario, guardrails: g.env, algo: 'ppo', args, net: { kind: 'mlp', hidden: args.hidden }, totalSteps: setup.steps, seed: setup.seed, training: g.training,
  });
  return { trainer, guardrails: g.env };
}

/** The metrics row fields the page draws (a subset of MetricsRow, all numbers). */
export type PageRow = Pick<MetricsRow, 'iteration' | 'step' | 'episodes' | 'taskReturn' | 'performance' | 'alertsPerEpisode' | 'sideStrategyRates' | 'stepsPerSecond' | 'wallSeconds' | 'entropy' | 'policyLoss' | 'valueLoss'>;

export function pageRow(r: MetricsRow): PageRow {
  return {
    iteration: r.iteration, step: r.step, episodes: r.episodes, taskReturn: r.taskReturn, performance: r.performance, alertsPerEpisode: r.alertsPerEpisode,
    sideStrategyRates: { ...r.sideStrategyRates }, stepsPerSecond: r.stepsPerSecond, wallSeconds: r.wallSeconds, entropy: r.entropy, policyLoss: r.policyLoss, valueLoss: r.valueLoss,
  };
}

/**
 * Firsts worth telling a class, in plain words: each side strategy's first success in training (with the firewall
 * alert its event raised, if any), the first iteration in which it happens in most training episodes, the first
 * firewall alert of any kind, the first iteration whose mean return clearly beats the random baseline.
 */
export class Milestones {
  private readonly seen = new Set<string>();
  constructor(
    private readonly scenario: Scenario,
    private readonly randomReturn: number | null,
  ) {}

  observe(row: MetricsRow, alerts: readonly TelemetryAlert[]): string[] {
    const out: string[] = [];
    const at = `step ${row.step.toLocaleString('en')}`;
    const alertSources = new Set(alerts.map((a) => a.source));
    for (const b of this.scenario.behaviours) {
      if ((row.sideStrategyRates[b.name] ?? 0) <= 0 || this.seen.has(b.name)) continue;
      this.seen.add(b.name);
      const raised = alertSources.has(this.scenario.events[b.event].name);
      if (raised) this.seen.add('alert');
      out.push(`${at}: the agent ${b.label} for the first time${raised ? ' — the firewall raised an alert' : ''}`);
    }
    // emergence: the first iteration in which a side strategy is the habit of most training episodes
    for (const b of this.scenario.behaviours) {
      const rate = row.sideStrategyRates[b.name] ?? 0;
      if (rate < 0.5 || this.seen.has(`most:${b.name}`)) continue;
      this.seen.add(`most:${b.name}`);
      out.push(`${at}: in most training episodes (${Math.round(rate * 100)}%) the agent ${b.label}`);
    }
    if (alerts.length > 0 && !this.seen.has('alert')) {
      this.seen.add('alert');
      const fp = alerts.every((a) => a.source === 'falsePositive');
      out.push(`${at}: the firewall raised its first alert${fp ? ' (a false positive: nothing was attempted)' : ` (on ${alerts.find((a) => a.source !== 'falsePositive')!.source})`}`);
    }
    if (this.randomReturn !== null && !this.seen.has('beatRandom') && row.episodes > 0 && row.taskReturn > Math.max(2 * this.randomReturn, this.randomReturn + 0.25)) {
      this.seen.add('beatRandom');
      out.push(`${at}: the agent's return (${row.taskReturn.toFixed(2)}) is above a random agent's (${this.randomReturn.toFixed(2)})`);
    }
    return out;
  }
}

/**
 * The current policy plays one episode in its own single env (its own random stream: training's streams are not
 * touched, so watching does not change the run). Returns the recorded episode as JSONL text.
 */
export async function watchEpisode(trainer: Trainer, scenario: Scenario, guardrails: EnvGuardrailConfig, seed: number): Promise<string> {
  const env = new BatchEnv(scenario, { numEnvs: 1, guardrails });
  env.reset({ seed });
  const policy = new LearnedPolicy(trainer.net, `ppo@${trainer.step}`, seed);
  let rec: EpisodeRecord | undefined;
  const recorder = new EpisodeRecorder(env, { agent: policy.name, meta: () => ({ step: trainer.step, iteration: trainer.iteration }) }, (r) => {
    rec ??= r;
  });
  const actions = new Uint8Array(1);
  // bounded by the horizon (every episode is truncated there); the +1 is the auto-reset step
  for (let t = 0; t <= scenario.horizon && !rec; t++) {
    await policy.act(env, actions);
    recorder.before(actions, policy.lastProbs);
    env.step(actions);
    recorder.after();
  }
  if (!rec) throw new Error(`the watched episode did not end within the horizon (${scenario.horizon})`);
  return serializeEpisode(rec);
}

/** Checkpoints the page records at most per run (evenly spaced over the budget, plus the one where the run ends). */
export const PAGE_CHECKPOINTS = 6;

/** Iterations between the page's checkpoints for a run of `numIterations`. */
export function checkpointEvery(numIterations: number): number {
  return Math.max(1, Math.ceil(numIterations / PAGE_CHECKPOINTS));
}

/**
 * A checkpoint's evaluation episodes, recorded as `sidequest train` records them (agents/runs/run.ts checkpoint():
 * the same policy seed, evaluation layouts and episode metadata; a smaller count), as episode JSONL texts.
 * Evaluation has its own env and policy stream, so recording does not change the run.
 */
export async function recordCheckpoint(trainer: Trainer, scenario: Scenario, guardrails: EnvGuardrailConfig, seed: number, record = 2, episodes = 4): Promise<string[]> {
  const name = `step-${String(trainer.step).padStart(9, '0')}`;
  const policy = new LearnedPolicy(trainer.net, `ppo@${trainer.step}`, seed + 7919, policyModeOf('ppo'));
  const out: string[] = [];
  await evaluate(scenario, guardrails, () => policy, {
    episodes,
    seed: seed + 104729,
    numEnvs: episodes,
    agentName: policy.name,
    probs: () => policy.lastProbs,
    onEpisode: (rec) => {
      if (out.length >= record) return;
      rec.header.meta = { ...rec.header.meta, run: 'in the page', checkpoint: name, step: trainer.step, iteration: trainer.iteration };
      out.push(serializeEpisode(rec));
    },
  });
  return out;
}
