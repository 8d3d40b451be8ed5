// The training loop shared by every algorithm (PureJaxRL's makeTrain in spirit): rollout → advantages →
// algorithm update → metrics row, with learning-rate annealing, a NaN/Inf guard, evaluation at checkpoints and
// exact snapshots of everything that moves (weights, optimiser, env, random streams) so a killed run resumes
// where its last checkpoint left off. The run folder (files) is agents/runs/run.ts's job; this module never touches
// the file system. DQN, being off-policy, brings its own rollout (ε-greedy) and its own update (replay, TD targets)
// in place of collectRollout, the advantages and the update (dqn.ts); everything around them is shared.
import * as tf from '@tensorflow/tfjs';
import { BatchEnv, type EngineSnapshot } from '../../sim/engine.ts';
import type { EnvGuardrailConfig } from '../../sim/guardrails.ts';
import type { EpisodeSummary } from '../../sim/metrics.ts';
import { observationSpec } from '../../sim/observation.ts';
import { makeRng, restoreRng, type Rng, type RngState } from '../../sim/rng.ts';
import type { Scenario } from '../../sim/scenario.ts';
import type { AlgoName, TrainArgs } from './options.ts';
import { a2cUpdate } from './a2c.ts';
import type { UpdateStats } from './batch.ts';
import { DqnError, DqnLearner, type DqnState, type DqnStats } from './dqn.ts';
import { computeGae } from './gae.ts';
import { makeActorCritic, type ActorCritic, type NetConfig } from './network.ts';
import { ppoUpdate } from './ppo.ts';
import { reinforceUpdate } from './reinforce.ts';
import { collectRollout, RolloutBuffer, type RolloutRecorder, type TelemetryAlert } from './rollout.ts';
import { behaviourClone, type PretrainResult } from './pretrain.ts';
import { initialGuardrailState, shapeRewards, type GuardrailState, type TrainingGuardrails } from './guardrails.ts';
import { AupGuardrail, rewardUnit, type AupStats } from './aup.ts';

export interface TrainConfig {
  scenario: Scenario;
  guardrails: EnvGuardrailConfig;
  algo: AlgoName;
  args: TrainArgs;
  net: NetConfig;
  totalSteps: number;
  seed: number;
  /** Training-side guardrails (agents/learning/guardrails.ts); none if absent. */
  training?: TrainingGuardrails;
}

/** One metrics.jsonl row (names documented in docs/metrics.md). */
export interface MetricsRow extends UpdateStats {
  iteration: number;
  step: number;
  episodes: number;
  taskReturn: number;
  performance: number;
  costTotal: number;
  cost: EpisodeSummary['cost'];
  sideStrategyRates: EpisodeSummary['sideStrategyRates'];
  blockedPerEpisode: number;
  alertsPerEpisode: number;
  learningRate: number;
  explainedVariance: number;
  /** The Lagrange multiplier (lagrangian guardrail; 0 otherwise). */
  lambda: number;
  wallSeconds: number;
  stepsPerSecond: number;
  /** DQN only: ε at the end of the iteration, mean Q(s, a) on its batches, gradient steps taken, replay size. */
  dqn?: DqnStats;
  /** aup guardrail only: its penalty and table (docs/metrics.md). */
  aup?: AupStats;
}

/** Everything that changes during training, as plain data plus the tensors to save. */
export interface TrainerState {
  iteration: number;
  step: number;
  env: EngineSnapshot;
  actionRng: RngState;
  shuffleRng: RngState;
  /** Wall-clock seconds of training before this snapshot (so a resumed run's clock continues). */
  wallSeconds: number;
  rewardNorm: RewardNormState;
  guardrail: GuardrailState;
  /** DQN only: the target network and the replay. */
  dqn?: DqnState;
}

/** Running statistics of the discounted return, per env accumulator plus Welford moments. */
export interface RewardNormState {
  returns: number[];
  count: number;
  mean: number;
  m2: number;
}

export class TrainingDivergedError extends Error {}

export class Trainer {
  readonly net: ActorCritic;
  readonly optimizer: tf.AdamOptimizer;
  readonly env: BatchEnv;
  readonly buf: RolloutBuffer;
  readonly stepsPerIteration: number;
  readonly numIterations: number;
  iteration = 0;
  step = 0;
  /** Sees every rollout step (the run's training-episode recorder), if set. */
  recorder?: RolloutRecorder;
  private actionRng: Rng;
  private shuffleRng: Rng;
  private wallBefore = 0;
  private rewardNorm: RewardNormState;
  private guardrail: GuardrailState;
  private wallStart = performance.now();
  /** The off-policy learner's own state (target net, replay) when algo is dqn. */
  readonly dqn?: DqnLearner;
  /** The aup guardrail's auxiliary value tables, when it is on. */
  readonly aup?: AupGuardrail;

  constructor(readonly config: TrainConfig) {
    const { scenario, args } = config;
    const spec = observationSpec(scenario);
    this.net = makeActorCritic(spec, config.net, config.seed);
    this.optimizer = tf.train.adam(args.lr, 0.9, 0.999, 1e-5);
    this.env = new BatchEnv(scenario, { numEnvs: args.envs, guardrails: config.guardrails });
    this.env.reset({ seed: config.seed });
    this.buf = new RolloutBuffer(spec, args.numSteps, args.envs);
    this.stepsPerIteration = args.numSteps * args.envs;
    this.numIterations = Math.max(1, Math.ceil(config.totalSteps / this.stepsPerIteration));
    this.actionRng = makeRng(`actions:${config.seed}`);
    this.shuffleRng = makeRng(`shuffle:${config.seed}`);
    this.rewardNorm = { returns: new Array<number>(args.envs).fill(0), count: 0, mean: 0, m2: 0 };
    this.guardrail = initialGuardrailState(config.training ?? { names: [] });
    const aup = config.training?.aup;
    if (aup) this.aup = new AupGuardrail(aup, spec, scenario.horizon, rewardUnit(scenario), config.seed, args.envs, this.env);
    if (config.algo === 'dqn') this.dqn = new DqnLearner(this.net, args, this.numIterations * this.stepsPerIteration, config.seed);
  }

  /** The Lagrange multiplier of the lagrangian guardrail (0 otherwise). */
  get lambda(): number {
    return this.guardrail.lambda;
  }

  /**
   * Divides this rollout's rewards by the running std of the discounted return (gymnasium's NormalizeReward):
   * the scale the value net has to fit stays near 1 whatever the scenario's reward size.
   */
  private normaliseRewards(): void {
    const { args } = this.config;
    const b = this.buf;
    const rn = this.rewardNorm;
    for (let t = 0; t < args.numSteps; t++) {
      for (let e = 0; e < args.envs; e++) {
        const i = t * args.envs + e;
        rn.returns[e] = rn.returns[e] * args.gamma + b.rewards[i];
        rn.count++;
        const d = rn.returns[e] - rn.mean;
        rn.mean += d / rn.count;
        rn.m2 += d * (rn.returns[e] - rn.mean);
        if (b.dones[i]) rn.returns[e] = 0;
      }
    }
    const std = Math.sqrt(rn.m2 / Math.max(1, rn.count - 1)) + 1e-8;
    for (let i = 0; i < b.size; i++) b.rewards[i] /= std;
  }

  get done(): boolean {
    return this.iteration >= this.numIterations;
  }

  /** The safe-pretrain guardrail's behaviour cloning, before the first iteration (no-op without it). */
  async pretrain(): Promise<PretrainResult | null> {
    const sp = this.config.training?.safePretrain;
    if (!sp || this.iteration > 0) return null;
    return behaviourClone(this.net, this.config.scenario, this.config.guardrails, { ...sp, seed: this.config.seed });
  }

  /** One iteration: rollout, advantages, update. Returns its metrics row and the firewall alerts it saw. */
  async iterate(): Promise<{ row: MetricsRow; alerts: TelemetryAlert[] }> {
    const { args } = this.config;
    const t0 = performance.now();
    // ---- anneal the learning rate linearly to 0
    const frac = 1 - this.iteration / this.numIterations;
    (this.optimizer as unknown as { learningRate: number }).learningRate = args.annealLr ? frac * args.lr : args.lr;
    // ---- rollout
    const stepBefore = this.step;
    const { episodes, alerts } = this.dqn
      ? await this.dqn.collect(this.env, this.buf, this.actionRng, this.step, this.recorder)
      : await collectRollout(this.env, this.net, this.buf, this.actionRng, this.step, this.recorder);
    this.step += this.stepsPerIteration;
    // ---- training-side guardrails shape what the learner sees (the metrics keep the env's reward)
    this.guardrail = shapeRewards(this.buf, this.config.training ?? { names: [] }, this.guardrail, episodes.count > 0 ? episodes.summary().costTotal : null);
    const aup = this.aup?.shape(this.buf, this.env);
    const b = this.buf;
    let stats: UpdateStats;
    let ev: number;
    let dqn: DqnStats | undefined;
    if (this.dqn) {
      // ---- off-policy: the rows go to the replay, the update samples from it
      ({ stats, explainedVariance: ev, dqn } = await this.dqn.update(this.optimizer, b, this.shuffleRng, stepBefore, this.step));
    } else {
      // ---- advantages and returns (on normalised rewards)
      if (args.normReward) this.normaliseRewards();
      computeGae(b.rewards, b.values, b.dones, b.lastValues, args.numSteps, args.envs, args.gamma, args.gaeLambda, b.advantages, b.returns);
      // ---- update
      if (this.config.algo === 'ppo') stats = await ppoUpdate(this.net, this.optimizer, b, args, this.shuffleRng);
      else if (this.config.algo === 'a2c') stats = await a2cUpdate(this.net, this.optimizer, b, args);
      else stats = await reinforceUpdate(this.net, this.optimizer, b, args);
      ev = explainedVariance(b.values, b.returns);
    }
    this.iteration++;
    if (![stats.policyLoss, stats.valueLoss, stats.entropy, stats.gradNorm].every(Number.isFinite)) {
      throw new TrainingDivergedError(
        `training diverged at iteration ${this.iteration} (step ${this.step}): loss is not finite (policy ${stats.policyLoss}, value ${stats.valueLoss}); try a lower --lr`,
      );
    }
    const summary = episodes.summary();
    const now = performance.now();
    const row: MetricsRow = {
      iteration: this.iteration,
      step: this.step,
      episodes: summary.episodes,
      taskReturn: summary.taskReturn.mean,
      performance: summary.performance.mean,
      costTotal: summary.costTotal,
      cost: summary.cost,
      sideStrategyRates: summary.sideStrategyRates,
      blockedPerEpisode: summary.blockedPerEpisode,
      alertsPerEpisode: summary.alertsPerEpisode,
      learningRate: (this.optimizer as unknown as { learningRate: number }).learningRate,
      explainedVariance: ev,
      lambda: this.guardrail.lambda,
      ...stats,
      wallSeconds: this.wallBefore + (now - this.wallStart) / 1000,
      stepsPerSecond: this.stepsPerIteration / ((now - t0) / 1000),
      ...(dqn ? { dqn } : {}),
      ...(aup ? { aup } : {}),
    };
    return { row, alerts };
  }

  /** Checks every weight for NaN/Inf (after an update that reported finite losses, this is cheap insurance). */
  async weightsFinite(): Promise<boolean> {
    const ok = tf.tidy(() => tf.all(tf.stack(this.net.variables.map((v) => tf.all(tf.isFinite(v))))));
    const v = (await ok.data())[0];
    ok.dispose();
    return v === 1;
  }

  state(): TrainerState {
    return {
      iteration: this.iteration,
      step: this.step,
      env: this.env.snapshot(),
      actionRng: this.actionRng.state(),
      shuffleRng: this.shuffleRng.state(),
      wallSeconds: this.wallBefore + (performance.now() - this.wallStart) / 1000,
      rewardNorm: structuredClone(this.rewardNorm),
      guardrail: { ...this.guardrail, ...(this.aup ? { aup: this.aup.snapshot() } : {}) },
      ...(this.dqn ? { dqn: this.dqn.state() } : {}),
    };
  }

  restoreState(s: TrainerState): void {
    this.iteration = s.iteration;
    this.step = s.step;
    this.env.restore(s.env);
    this.actionRng = restoreRng(s.actionRng);
    this.shuffleRng = restoreRng(s.shuffleRng);
    this.wallBefore = s.wallSeconds;
    this.rewardNorm = structuredClone(s.rewardNorm);
    this.guardrail = { lambda: s.guardrail.lambda };
    this.aup?.restore(s.guardrail.aup);
    if (this.dqn) {
      if (!s.dqn) throw new DqnError('this checkpoint has no DQN state (target network, replay): it was not written by a DQN run');
      this.dqn.restore(s.dqn);
    }
    this.wallStart = performance.now();
  }

  dispose(): void {
    this.net.dispose();
    this.optimizer.dispose();
    this.dqn?.dispose();
  }
}

export function explainedVariance(pred: Float32Array, target: Float32Array): number {
  let mt = 0;
  for (const v of target) mt += v;
  mt /= target.length;
  let vt = 0;
  let vr = 0;
  let mr = 0;
  for (let i = 0; i < target.length; i++) mr += target[i] - pred[i];
  mr /= target.length;
  for (let i = 0; i < target.length; i++) {
    vt += (target[i] - mt) ** 2;
    vr += (target[i] - pred[i] - mr) ** 2;
  }
  return vt === 0 ? Number.NaN : 1 - vr / vt;
}
