// DQN (Mnih et al. 2015) with the two Rainbow parts (Hessel et al. 2018) that matter for these worlds: double
// Q-learning (van Hasselt et al. 2016: the online net picks the next action, the target net values it) and n-step
// returns. Shape after CleanRL's dqn.py: ε-greedy acting on a linear schedule, uniform replay, a periodically
// copied target network, learning after `learningStarts` steps, one gradient step per `trainFrequency` env steps;
// the squared TD error, as CleanRL's (Huber with `--huber`: made for clipped rewards). Optional (`--prioritized`, off by
// default): proportional prioritized replay, Rainbow's third part (replay.ts), with importance-weighted losses.
//
// It plugs into the shared trainer (trainer.ts) as its rollout and its update: an iteration acts for
// numSteps × envs steps with the ε-greedy policy into the same RolloutBuffer the policy-gradient learners fill (so
// the training-side guardrails shape its rewards unchanged and the metrics row is the same), pushes those rows into
// the replay, then takes the gradient steps those env steps are owed. The Q-values are the network's action head
// (network.ts: the same trunk, one output per action; its value head is unused), so checkpoints, evaluation and the
// policy loader need nothing new: a DQN policy is the greedy argmax of that head. The target network and the replay
// are saved in the checkpoint's trainer state, so a resumed run continues exactly.
//
// Truncation at the horizon is treated as an episode end (no bootstrap): the engine's auto-reset leaves no final
// observation to bootstrap from, and the rome family observes the time left, so a state at the horizon is
// distinguishable from one mid-episode.
import * as tf from '@tensorflow/tfjs';
import type { BatchEnv } from '../../sim/engine.ts';
import { EpisodeStats } from '../../sim/metrics.ts';
import type { Rng } from '../../sim/rng.ts';
import { NUM_ACTIONS } from '../../sim/vocab.ts';
import type { UpdateStats } from './batch.ts';
import { featurize, featurizeTransposed } from './features.ts';
import { clippedStep } from './losses.ts';
import { makeActorCritic, type ActorCritic } from './network.ts';
import { DQN_ARGS, type BoolOption, type DqnArgs, type NumberOption, type TrainArgs } from './options.ts';
import { ReplayBuffer, type ReplaySnapshot } from './replay.ts';
import { policyStep, recordStepOutcome, type RolloutBuffer, type RolloutRecorder, type RolloutResult, type TelemetryAlert } from './rollout.ts';

/** What DQN adds to the trainer's checkpointed state. */
export interface DqnState {
  /** base64 of the target network's weights (float32, variables in order). */
  target: string;
  replay: ReplaySnapshot;
}

/** DQN's extra per-iteration figures for the metrics row (docs/metrics.md). */
export interface DqnStats {
  epsilon: number;
  qMean: number;
  gradientSteps: number;
  replaySize: number;
}

/** A DQN option (from a run.json or a caller) out of its documented range, or checkpoint state that does not fit. */
export class DqnError extends Error {}

/** The DQN fields of a run's args, checked against their specs (a run.json is read from disk, and sizes allocate). */
export function dqnArgs(args: TrainArgs): DqnArgs {
  const a = args as unknown as Record<string, unknown>;
  const out: Record<string, number | boolean> = {};
  for (const [k, spec] of Object.entries(DQN_ARGS) as Array<[string, NumberOption | BoolOption]>) {
    const v = a[k];
    const bad = (why: string) => new DqnError(`dqn: option ${k} ${why} (found ${JSON.stringify(v)?.slice(0, 40)})`);
    if (typeof v !== spec.type) throw bad(`is missing or not a ${spec.type}`);
    if (spec.type === 'number') {
      const n = v as number;
      if (!Number.isFinite(n) || (spec.integer && !Number.isInteger(n))) throw bad(`must be a finite ${spec.integer ? 'integer' : 'number'}`);
      if ((spec.min !== undefined && n < spec.min) || (spec.max !== undefined && n > spec.max)) throw bad(`must be within [${spec.min ?? '-∞'}, ${spec.max ?? '∞'}]`);
    }
    out[k] = v as number | boolean;
  }
  return out as DqnArgs;
}

/** ε at env step `step`: linear from startE to endE over explorationFraction of the budget, then endE (CleanRL's linear_schedule). */
export function epsilonAt(step: number, totalSteps: number, a: Pick<DqnArgs, 'startE' | 'endE' | 'explorationFraction'>): number {
  const duration = a.explorationFraction * totalSteps;
  if (duration <= 0) return a.endE;
  const slope = (a.endE - a.startE) / duration;
  return a.startE < a.endE ? Math.min(a.startE + slope * step, a.endE) : Math.max(a.startE + slope * step, a.endE);
}

/**
 * TD targets y = G + d · Q̂(s', a*) per row, from the n-step returns G and bootstrap discounts d (γ^n, or 0 where the
 * episode ended), and both nets' Q-values at the bootstrap state, [B × NUM_ACTIONS]. Double Q: a* = argmax of the
 * online net, valued by the target net; otherwise a* = argmax of the target net itself (DQN's max).
 */
export function tdTargets(returns: Float32Array, discounts: Float32Array, qOnlineNext: Float32Array | null, qTargetNext: Float32Array, doubleQ: boolean, out = new Float32Array(returns.length)): Float32Array {
  const A = NUM_ACTIONS;
  for (let i = 0; i < returns.length; i++) {
    const pick = doubleQ ? qOnlineNext! : qTargetNext;
    let best = 0;
    for (let k = 1; k < A; k++) if (pick[i * A + k] > pick[i * A + best]) best = k;
    out[i] = returns[i] + (discounts[i] === 0 ? 0 : discounts[i] * qTargetNext[i * A + best]);
  }
  return out;
}

export class DqnLearner {
  readonly args: DqnArgs;
  readonly target: ActorCritic;
  readonly replay: ReplayBuffer;
  private readonly xObs: Float32Array;
  private readonly xObsT: Float32Array;
  private readonly xNext: Float32Array;
  private readonly xAct: Float32Array;
  private readonly explore: Uint8Array;
  private readonly actions: Uint8Array;

  constructor(readonly net: ActorCritic, args: TrainArgs, readonly totalSteps: number, seed: number) {
    this.args = dqnArgs(args);
    this.target = makeActorCritic(net.spec, net.config, seed + 1);
    for (const v of this.target.variables) v.trainable = false;
    this.syncTarget();
    const per = this.args.prioritized ? { alpha: this.args.priorityAlpha, eps: this.args.priorityEps } : undefined;
    this.replay = new ReplayBuffer(net.spec, args.envs, this.args.bufferSize, this.args.nStep, per);
    const b = this.args.batchSize;
    this.xObs = new Float32Array(b * net.spec.flatSize);
    this.xObsT = new Float32Array(b * net.spec.flatSize);
    this.xNext = new Float32Array(b * net.spec.flatSize);
    this.xAct = new Float32Array(args.envs * net.spec.flatSize);
    this.explore = new Uint8Array(args.envs);
    this.actions = new Uint8Array(args.envs);
  }

  epsilon(step: number): number {
    return epsilonAt(step, this.totalSteps, this.args);
  }

  syncTarget(): void {
    this.net.variables.forEach((v, i) => this.target.variables[i].assign(v));
  }

  /**
   * Fills `buf` with numSteps of ε-greedy experience (collectRollout's bookkeeping: costs, compute change, episode
   * ends, finished episodes and firewall alerts). `rng` draws the exploration; `globalStep` is the env-step count
   * before this rollout (ε's clock and the alerts' stamps).
   */
  async collect(env: BatchEnv, buf: RolloutBuffer, rng: Rng, globalStep: number, recorder?: RolloutRecorder): Promise<RolloutResult> {
    const n = env.numEnvs;
    const spec = this.net.spec;
    const cells = spec.window * spec.window;
    const episodes = new EpisodeStats(env.scenario);
    const resource = env.scenario.resourceExpr;
    const ns = env.numScalars;
    const alerts: TelemetryAlert[] = [];
    const computeBefore = new Float64Array(n);
    const { explore, actions } = this;
    for (let t = 0; t < buf.numSteps; t++) {
      const base = t * n;
      buf.codes.set(env.obs, base * cells);
      buf.scalars.set(env.scalars, base * ns);
      // ---- ε-greedy: one draw per env decides, a second picks the random action
      const eps = this.epsilon(globalStep + base);
      let greedy = 0;
      for (let i = 0; i < n; i++) {
        explore[i] = rng() < eps ? 1 : 0;
        if (explore[i]) actions[i] = Math.min(NUM_ACTIONS - 1, Math.floor(rng() * NUM_ACTIONS));
        else greedy++;
      }
      if (greedy > 0) {
        featurize(spec, env.obs, env.scalars, n, this.xAct);
        // argmax of softmax(Q) is argmax of Q: the shared inference path serves the Q head too
        const { probs } = await policyStep(this.net, this.xAct, n);
        for (let i = 0; i < n; i++) {
          if (explore[i]) continue;
          let best = 0;
          for (let k = 1; k < NUM_ACTIONS; k++) if (probs[i * NUM_ACTIONS + k] > probs[i * NUM_ACTIONS + best]) best = k;
          actions[i] = best;
        }
      }
      for (let i = 0; i < n; i++) {
        buf.actions[base + i] = actions[i];
        buf.values[base + i] = 0;
        buf.logprobs[base + i] = 0;
        computeBefore[i] = resource >= 0 ? env.evaluate(i, resource) : 0;
      }
      env.step(actions);
      // the replay learns Q of what the world did: an interrupted agent's action became UP, a drunk one's random
      buf.actions.set(env.applied, base);
      recorder?.afterStep(env, actions, globalStep / n + t);
      recordStepOutcome(env, buf, base, computeBefore, episodes, alerts, globalStep + base);
    }
    buf.lastValues.fill(0);
    return { episodes, alerts };
  }

  /** Gradient steps owed for env steps up to `step` (one per trainFrequency steps past learningStarts). */
  private stepsOwed(step: number): number {
    return Math.floor(Math.max(0, step - this.args.learningStarts) / this.args.trainFrequency);
  }

  /**
   * Stores the rollout (with the learner's rewards) in the replay, then takes the gradient steps the env steps
   * from `stepBefore` to `stepAfter` are owed, sampling with `rng`, copying the target every targetUpdatePeriod
   * env steps' worth of gradient steps.
   */
  async update(optimizer: tf.Optimizer, buf: RolloutBuffer, rng: Rng, stepBefore: number, stepAfter: number): Promise<{ stats: UpdateStats; explainedVariance: number; dqn: DqnStats }> {
    const a = this.args;
    this.replay.push(buf);
    const done = this.stepsOwed(stepBefore);
    const owed = this.replay.size > 0 ? this.stepsOwed(stepAfter) - done : 0;
    const syncEvery = Math.max(1, Math.round(a.targetUpdatePeriod / a.trainFrequency));
    let loss = 0;
    let gradNorm = 0;
    let qMean = 0;
    let ev = 0;
    for (let g = 0; g < owed; g++) {
      if (done + g === 0) this.syncTarget(); // the first step ever starts from the net as it is now (after any pretraining)
      const r = await this.gradientStep(optimizer, rng, this.beta(a.learningStarts + (done + g + 1) * a.trainFrequency));
      loss += r.loss;
      gradNorm += r.gradNorm;
      qMean += r.qMean;
      ev += r.explainedVariance;
      if ((done + g + 1) % syncEvery === 0) this.syncTarget();
    }
    const m = Math.max(1, owed);
    return {
      stats: { policyLoss: 0, valueLoss: loss / m, entropy: 0, approxKl: 0, clipFrac: 0, gradNorm: gradNorm / m },
      explainedVariance: owed > 0 ? ev / m : Number.NaN,
      dqn: { epsilon: this.epsilon(stepAfter), qMean: qMean / m, gradientSteps: owed, replaySize: this.replay.size },
    };
  }

  /** Prioritized replay's importance-weight exponent at env step `step`: priorityBeta rising linearly to 1 over the budget. */
  beta(step: number): number {
    return Math.min(1, this.args.priorityBeta + (step * (1 - this.args.priorityBeta)) / Math.max(1, this.totalSteps));
  }

  private async gradientStep(optimizer: tf.Optimizer, rng: Rng, beta: number): Promise<Record<string, number>> {
    const a = this.args;
    const B = a.batchSize;
    const spec = this.net.spec;
    const s = this.replay.sample(B, a.gamma, rng, beta);
    featurize(spec, this.replay.codes, this.replay.scalars, B, this.xObs, s.obs);
    featurizeTransposed(spec, this.replay.codes, this.replay.scalars, B, this.xObsT, s.obs); // the fast weight gradient (network.ts)
    featurize(spec, this.replay.codes, this.replay.scalars, B, this.xNext, s.next);
    const [tgT, onT] = tf.tidy(() => {
      const next = tf.tensor2d(this.xNext, [B, spec.flatSize]);
      const out: tf.Tensor2D[] = [this.target.apply(next).logits];
      if (a.doubleQ) out.push(this.net.apply(next).logits);
      return out;
    }) as [tf.Tensor2D, tf.Tensor2D | undefined];
    const [qOn, qTg] = (await Promise.all([onT ? onT.data() : Promise.resolve(null), tgT.data()])) as [Float32Array | null, Float32Array];
    onT?.dispose();
    tgT.dispose();
    const y = tdTargets(s.returns, s.discounts, qOn, qTg, a.doubleQ);
    let tdError: tf.Tensor1D | undefined;
    const out = await clippedStep(optimizer, this.net.variables, a.maxGradNorm, () => {
      const q = this.net.apply(tf.tensor2d(this.xObs, [B, spec.flatSize]), tf.tensor2d(this.xObsT, [spec.flatSize, B])).logits;
      const qa = tf.sum(tf.mul(q, tf.oneHot(tf.tensor1d(s.actions, 'int32'), NUM_ACTIONS)), 1) as tf.Tensor1D;
      const target = tf.tensor1d(y);
      // prioritized: the importance weights scale each transition's loss; uniform: the plain mean
      // the squared error, as CleanRL's dqn.py: the Huber loss (Mnih et al.'s error clipping) assumes rewards clipped
      // to ±1; with a −1 step cost and a rare +50 or episode end it is a median regression, which ignores exactly
      // those rare targets (Q drifted to −1/(1−γ), as if episodes never ended, and the greedy policy looped)
      const weights = a.prioritized ? tf.tensor1d(s.weights) : undefined;
      const loss = (a.huber ? tf.losses.huberLoss(target, qa, weights) : tf.losses.meanSquaredError(target, qa, weights)) as tf.Scalar;
      if (a.prioritized) tdError = tf.keep(tf.sub(target, qa) as tf.Tensor1D); // before this step's update, as the priorities want
      const { variance: vy } = tf.moments(target);
      const { variance: vr } = tf.moments(tf.sub(target, qa));
      const explainedVariance = tf.sub(1, tf.div(vr, tf.add(vy, 1e-8))) as tf.Scalar;
      return { loss, report: { qMean: tf.mean(qa) as tf.Scalar, explainedVariance } };
    });
    if (tdError) {
      this.replay.updatePriorities(s.obs, (await tdError.data()) as Float32Array);
      tdError.dispose();
    }
    return out;
  }

  state(): DqnState {
    const parts = this.target.variables.map((v) => v.dataSync() as Float32Array);
    const all = new Float32Array(parts.reduce((s, p) => s + p.length, 0));
    let o = 0;
    for (const p of parts) {
      all.set(p, o);
      o += p.length;
    }
    return { target: Buffer.from(all.buffer).toString('base64'), replay: this.replay.snapshot() };
  }

  restore(s: DqnState): void {
    if (typeof s?.target !== 'string' || typeof s.replay !== 'object' || s.replay === null) throw new DqnError('dqn: checkpoint state lacks the target network or the replay');
    const raw = Buffer.from(s.target, 'base64');
    const expected = this.target.variables.reduce((n, v) => n + v.size, 0);
    if (raw.length !== expected * 4) throw new DqnError(`dqn: checkpoint's target network has ${raw.length / 4} weights, this network ${expected}`);
    const all = new Float32Array(raw.buffer.slice(raw.byteOffset, raw.byteOffset + raw.length));
    for (const w of all) if (!Number.isFinite(w)) throw new DqnError('dqn: checkpoint\'s target network has NaN or infinite weights');
    let o = 0;
    for (const v of this.target.variables) {
      tf.tidy(() => v.assign(tf.tensor(all.subarray(o, o + v.size), v.shape)));
      o += v.size;
    }
    try {
      this.replay.restore(s.replay);
    } catch (e) {
      throw new DqnError(`dqn: the checkpoint's replay cannot be restored (${(e as Error).message})`);
    }
  }

  dispose(): void {
    this.target.dispose();
  }
}
