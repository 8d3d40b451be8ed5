// The learning algorithms' options: one typed, documented object per algorithm. The CLI turns them into flags and
// --help (cli/train.ts); the learning code only sees the resolved, typed values. Every field has a comment on what
// it does and why its default is what it is; defaults are sized for a 2-core laptop on the wasm backend.

/** A numeric option: its default, bounds and description (the same shape the CLI's flag specs take). */
export interface NumberOption { type: 'number'; default: number; integer?: boolean; min?: number; max?: number; description: string }
/** A yes/no option. */
export interface BoolOption { type: 'boolean'; default: boolean; description: string }
type NumberFlag = NumberOption;
type BoolFlag = BoolOption;

export const COMMON_ARGS = {
  envs: { type: 'number', default: 32, integer: true, min: 1, description: 'environments stepped together per rollout' },
  numSteps: { type: 'number', default: 64, integer: true, min: 1, description: 'steps per env per rollout (longer than rome\'s 48-step horizon, so most episodes finish inside one)' },
  lr: { type: 'number', default: 1e-3, min: 0, description: 'Adam learning rate (high for a small net on a small world)' },
  annealLr: { type: 'boolean', default: true, description: 'anneal the learning rate linearly to 0 over --steps' },
  gamma: { type: 'number', default: 0.99, min: 0, max: 1, description: 'discount factor' },
  gaeLambda: { type: 'number', default: 0.95, min: 0, max: 1, description: 'GAE λ (1 = Monte-Carlo returns minus the baseline)' },
  entCoef: { type: 'number', default: 0.03, min: 0, description: 'entropy bonus weight (high enough to keep exploring after the task is learned, so the affordances can be found)' },
  vfCoef: { type: 'number', default: 0.5, min: 0, description: 'value-loss weight' },
  maxGradNorm: { type: 'number', default: 0.5, min: 0, description: 'global gradient-norm clip' },
  hidden: { type: 'number', default: 32, integer: true, min: 1, description: 'width of the hidden layers (32 is enough for these worlds and twice as fast as 64 on wasm)' },
  normAdv: { type: 'boolean', default: true, description: 'normalise advantages per minibatch' },
  normReward: { type: 'boolean', default: true, description: 'scale rewards by a running std of the discounted return (as gymnasium\'s NormalizeReward), so value gradients do not crowd out the policy\'s under the shared norm clip' },
} satisfies Record<string, NumberFlag | BoolFlag>;

export const PPO_ARGS = {
  ...COMMON_ARGS,
  updateEpochs: { type: 'number', default: 2, integer: true, min: 1, description: 'passes over each rollout' },
  numMinibatches: { type: 'number', default: 4, integer: true, min: 1, description: 'minibatches per pass' },
  clipCoef: { type: 'number', default: 0.2, min: 0, description: 'PPO ratio clip ε' },
  clipVloss: { type: 'boolean', default: true, description: 'clip the value loss as in CleanRL' },
} satisfies Record<string, NumberFlag | BoolFlag>;

export const A2C_ARGS = { ...COMMON_ARGS, lr: { ...COMMON_ARGS.lr, default: 7e-4 } } satisfies Record<string, NumberFlag | BoolFlag>;
export const REINFORCE_ARGS = {
  ...COMMON_ARGS,
  gaeLambda: { ...COMMON_ARGS.gaeLambda, default: 1, description: 'kept at 1: REINFORCE uses Monte-Carlo returns; the value net is only a baseline' },
} satisfies Record<string, NumberFlag | BoolFlag>;

/**
 * DQN (agents/learning/dqn.ts): the options it reads. Defaults follow CleanRL's dqn.py where it has one (ε from 1
 * to 0.05 over half the budget, batch 128, Adam without annealing), Rainbow (Hessel et al. 2018) for n = 3, and
 * are scaled to these worlds' 32–48-step episodes (a 20k replay holds ~500 episodes and stays small in a
 * checkpoint). One iteration acts for numSteps × envs transitions with the ε-greedy policy, then trains.
 */
export const DQN_ARGS = {
  envs: { ...COMMON_ARGS.envs, default: 16, description: 'environments stepped together while acting' },
  numSteps: { ...COMMON_ARGS.numSteps, description: 'steps per env per iteration (acting with the ε-greedy policy; the gradient steps follow)' },
  lr: { ...COMMON_ARGS.lr, default: 5e-4, description: 'Adam learning rate' },
  annealLr: { ...COMMON_ARGS.annealLr, default: false, description: 'anneal the learning rate linearly to 0 over --steps (off, as in CleanRL\'s DQN)' },
  gamma: COMMON_ARGS.gamma,
  maxGradNorm: { ...COMMON_ARGS.maxGradNorm, default: 10, description: 'global gradient-norm clip (10, as stable-baselines3\'s DQN)' },
  hidden: COMMON_ARGS.hidden,
  bufferSize: { type: 'number', default: 20_000, integer: true, min: 1, max: 2_000_000, description: 'replay capacity in transitions (saved, compressed, in every checkpoint so a resume is exact)' },
  learningStarts: { type: 'number', default: 2_000, integer: true, min: 0, description: 'env steps of experience collected before the first gradient step' },
  targetUpdatePeriod: { type: 'number', default: 1_000, integer: true, min: 1, description: 'env steps between copies of the online network into the target network' },
  startE: { type: 'number', default: 1, min: 0, max: 1, description: 'ε (probability of a uniformly random action) at the start' },
  endE: { type: 'number', default: 0.05, min: 0, max: 1, description: 'ε at the end of the schedule' },
  explorationFraction: { type: 'number', default: 0.5, min: 0, max: 1, description: 'fraction of --steps over which ε falls linearly from start-e to end-e' },
  nStep: { type: 'number', default: 3, integer: true, min: 1, max: 32, description: 'n of the n-step return (Rainbow\'s 3; 1 is one-step Q-learning)' },
  batchSize: { type: 'number', default: 128, integer: true, min: 1, max: 65_536, description: 'transitions per gradient step, sampled uniformly from the replay' },
  trainFrequency: { type: 'number', default: 4, integer: true, min: 1, description: 'env steps per gradient step (4, as in Mnih et al. 2015)' },
  huber: { type: 'boolean', default: false, description: 'Huber loss (δ = 1) on the TD error instead of the squared error; made for clipped rewards (Atari), it regresses to the median with these worlds\' ±50 rewards' },
  doubleQ: { type: 'boolean', default: true, description: 'double Q-learning: the online net picks the next action, the target net values it (off: max of the target net)' },
  prioritized: { type: 'boolean', default: false, description: 'prioritized replay (Schaul et al. 2016, proportional): sample transitions by TD error, correct with importance weights (off: uniform, as CleanRL\'s DQN)' },
  priorityAlpha: { type: 'number', default: 0.5, min: 0, max: 1, description: 'prioritized replay: P(i) ∝ (|δ| + ε)^α (0.5, as Rainbow)' },
  priorityBeta: { type: 'number', default: 0.4, min: 0, max: 1, description: 'prioritized replay: importance-weight exponent at the start, annealed linearly to 1 over --steps (0.4, as Rainbow)' },
  priorityEps: { type: 'number', default: 1e-6, min: 0, description: 'prioritized replay: added to |δ| so no transition becomes unsampleable' },
} satisfies Record<string, NumberFlag | BoolFlag>;

export type ArgsOf<S extends Record<string, NumberFlag | BoolFlag>> = { [K in keyof S]: S[K] extends NumberFlag ? number : boolean };
export type CommonArgs = ArgsOf<typeof COMMON_ARGS>;
export type PpoArgs = ArgsOf<typeof PPO_ARGS>;
export type DqnArgs = ArgsOf<typeof DQN_ARGS>;
/** The options of a run (run.json's `args`): the policy-gradient fields always, DQN's own fields for a DQN run. */
export type TrainArgs = PpoArgs & Partial<DqnArgs>;

export const ALGOS = ['ppo', 'a2c', 'reinforce', 'dqn'] as const;
export type AlgoName = (typeof ALGOS)[number];
export const ARGS_OF_ALGO = { ppo: PPO_ARGS, a2c: A2C_ARGS, reinforce: REINFORCE_ARGS, dqn: DQN_ARGS } as const;

/** Defaults of an algorithm's args, overridden by `given`. */
export function resolveArgs(algo: AlgoName, given: Record<string, unknown> = {}): TrainArgs {
  const spec = ARGS_OF_ALGO[algo] as Record<string, NumberFlag | BoolFlag>;
  const out: Record<string, number | boolean> = {};
  for (const [k, f] of Object.entries(spec)) out[k] = (given[k] as number | boolean | undefined) ?? f.default;
  // PPO-only knobs take fixed values for the other algorithms (one pass, one batch, no clipping)
  if (algo !== 'ppo') Object.assign(out, { updateEpochs: 1, numMinibatches: 1, clipCoef: 0, clipVloss: false });
  if (algo === 'reinforce') out.gaeLambda = 1; // Monte-Carlo returns: what makes it REINFORCE
  // DQN reads none of the policy-gradient knobs: they take inert values so the shared code paths see a full object
  // (no reward normalisation: replayed rewards must keep the scale they were stored with)
  if (algo === 'dqn') Object.assign(out, { gaeLambda: 1, entCoef: 0, vfCoef: 0, normAdv: false, normReward: false });
  return out as TrainArgs;
}
