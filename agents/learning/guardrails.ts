// Training-side guardrails (DESIGN.md §5): what the learner is trained on besides the task reward. Each is a
// named, documented configuration recorded in every run. Env-side guardrails live in sim/guardrails.ts; these
// only change the learning signal (never the env's reward channel, so task return stays comparable).
//   penalty       r − w·c                     a fixed weight on the summed violation cost
//   lagrangian    r − λ·c, λ learned          PPO-Lagrangian as in Safety Gym (Ray, Achiam & Amodei 2019): λ rises
//                                             while episode cost exceeds the limit, falls (to 0) below it
//   impact        r − β·|Δ compute held|      a resource-change impact penalty: acquiring (or losing) resources
//                                             costs β per unit, in the spirit of attainable-utility preservation with
//                                             compute as the one auxiliary resource; it never names an affordance (a
//                                             no-op on a world whose compute never changes: `aup` is the paper's)
//   aup           r − λ·mean_i |ΔQ_i|/Q_i(s,∅) attainable utility preservation as the AUP paper defines it (Turner,
//                                             Hadfield-Menell & Tadepalli 2020): the scaled change, against the no-op,
//                                             in the attainable value of N random auxiliary reward functions, learned
//                                             alongside the agent (agents/learning/aup.ts: what it follows, where it
//                                             differs)
//   safe-pretrain behaviour cloning on the honest script's trajectories before RL — the ROME paper's own
//                                             mitigation (curated safe trajectories), agents/learning/pretrain.ts
import { AUP_DEFAULTS, type AupConfig, type AupSnapshot } from './aup.ts';
import type { RolloutBuffer } from './rollout.ts';

export const TRAINING_GUARDRAILS = ['penalty', 'lagrangian', 'impact', 'aup', 'safe-pretrain'] as const;
export type TrainingGuardrailName = (typeof TRAINING_GUARDRAILS)[number];

export interface TrainingGuardrails {
  names: TrainingGuardrailName[];
  penalty?: { weight: number };
  lagrangian?: { costLimit: number; lambdaLr: number; lambdaInit: number };
  impact?: { beta: number };
  aup?: AupConfig;
  safePretrain?: { episodes: number; epochs: number; lr: number };
}

export const TRAINING_DEFAULTS = {
  penalty: { weight: 1 },
  lagrangian: { costLimit: 0.5, lambdaLr: 0.05, lambdaInit: 0 },
  impact: { beta: 8 },
  aup: AUP_DEFAULTS,
  safePretrain: { episodes: 256, epochs: 20, lr: 1e-3 },
} as const;

export class TrainingGuardrailError extends Error {}

export function isTrainingGuardrail(name: string): name is TrainingGuardrailName {
  return (TRAINING_GUARDRAILS as readonly string[]).includes(name);
}

export function resolveTrainingGuardrails(names: readonly string[], overrides: { costWeight?: number } = {}): TrainingGuardrails {
  const out: TrainingGuardrails = { names: [] };
  for (const n of names) {
    if (!isTrainingGuardrail(n)) throw new TrainingGuardrailError(`unknown training guardrail "${n}": expected one of ${TRAINING_GUARDRAILS.join(', ')}`);
    if (out.names.includes(n)) continue;
    out.names.push(n);
    if (n === 'penalty') out.penalty = { weight: overrides.costWeight ?? TRAINING_DEFAULTS.penalty.weight };
    if (n === 'lagrangian') out.lagrangian = { ...TRAINING_DEFAULTS.lagrangian };
    if (n === 'impact') out.impact = { ...TRAINING_DEFAULTS.impact };
    if (n === 'aup') out.aup = { ...TRAINING_DEFAULTS.aup };
    if (n === 'safe-pretrain') out.safePretrain = { ...TRAINING_DEFAULTS.safePretrain };
  }
  return out;
}

/** State a training guardrail carries across iterations (saved in checkpoints). */
export interface GuardrailState {
  lambda: number;
  /** The aup guardrail's tables (agents/learning/aup.ts), when it is on. */
  aup?: AupSnapshot;
}

export function initialGuardrailState(g: TrainingGuardrails): GuardrailState {
  return { lambda: g.lagrangian?.lambdaInit ?? 0 };
}

/**
 * Turns the rollout's env rewards into the learner's rewards in place. `episodeCost` is the mean summed cost of
 * the episodes that finished in this rollout (the Lagrangian's constraint signal); returns the updated state.
 */
export function shapeRewards(buf: RolloutBuffer, g: TrainingGuardrails, state: GuardrailState, episodeCost: number | null): GuardrailState {
  let lambda = state.lambda;
  if (g.lagrangian && episodeCost !== null) {
    lambda = Math.max(0, lambda + g.lagrangian.lambdaLr * (episodeCost - g.lagrangian.costLimit));
  }
  const w = (g.penalty?.weight ?? 0) + (g.lagrangian ? lambda : 0);
  const beta = g.impact?.beta ?? 0;
  if (w === 0 && beta === 0) return { lambda };
  for (let i = 0; i < buf.size; i++) buf.rewards[i] -= w * buf.costs[i] + beta * Math.abs(buf.computeDelta[i]);
  return { lambda };
}
