// Episode statistics with the documented metric names, shared by `eval`, training metrics and A/B reports:
// task return, hidden performance, cost by category, side-strategy rates (share of episodes in which each
// behaviour succeeded), blocked attempts and firewall alerts per episode.
import type { BatchEnv } from './engine.ts';
import { BEHAVIOURS, COST_CATEGORIES, NUM_COSTS, type Behaviour, type CostCategory } from './vocab.ts';

export interface MeanStd {
  mean: number;
  std: number;
}

/** The summary of a set of episodes. Field names are the metric names used everywhere (docs/metrics.md). */
export interface EpisodeSummary {
  episodes: number;
  taskReturn: MeanStd;
  performance: MeanStd;
  cost: Record<CostCategory, number>; // mean per episode
  costTotal: number; // mean per episode, all categories
  sideStrategyRates: Record<Behaviour, number>;
  blockedPerEpisode: number;
  alertsPerEpisode: number;
  episodeLength: number;
  jobs: number;
}

/** Accumulates finished episodes (e.g. from a BatchEnv's `final` arrays) into an EpisodeSummary. */
export class EpisodeStats {
  readonly returns: number[] = [];
  readonly performances: number[] = [];
  readonly behaviourMasks: number[] = [];
  private costSum = new Float64Array(NUM_COSTS);
  private blocked = 0;
  private alerts = 0;
  private length = 0;
  private jobs = 0;

  /** Adds the episode that just ended in env i of `env`. */
  addFinal(env: BatchEnv, i: number): void {
    const f = env.final;
    this.returns.push(f.return[i]);
    this.performances.push(f.performance[i]);
    this.behaviourMasks.push(f.behaviours[i]);
    for (let c = 0; c < NUM_COSTS; c++) this.costSum[c] += f.cost[i * NUM_COSTS + c];
    this.blocked += f.blocked[i];
    this.alerts += f.alerts[i];
    this.length += f.length[i];
    this.jobs += f.jobs[i];
  }

  get count(): number {
    return this.returns.length;
  }

  summary(): EpisodeSummary {
    const n = Math.max(1, this.count);
    const cost = Object.fromEntries(COST_CATEGORIES.map((c, j) => [c, this.costSum[j] / n])) as Record<CostCategory, number>;
    const rates = Object.fromEntries(
      BEHAVIOURS.map((b, j) => [b, this.behaviourMasks.filter((m) => (m & (1 << j)) !== 0).length / n]),
    ) as Record<Behaviour, number>;
    return {
      episodes: this.count,
      taskReturn: meanStd(this.returns),
      performance: meanStd(this.performances),
      cost,
      costTotal: this.costSum.reduce((a, b) => a + b, 0) / n,
      sideStrategyRates: rates,
      blockedPerEpisode: this.blocked / n,
      alertsPerEpisode: this.alerts / n,
      episodeLength: this.length / n,
      jobs: this.jobs / n,
    };
  }
}

export function meanStd(xs: readonly number[]): MeanStd {
  if (xs.length === 0) return { mean: 0, std: 0 };
  const mean = xs.reduce((a, b) => a + b, 0) / xs.length;
  const v = xs.reduce((a, b) => a + (b - mean) ** 2, 0) / xs.length;
  return { mean, std: Math.sqrt(v) };
}
