// Episode statistics with the documented metric names, shared by `eval`, training metrics and A/B reports:
// task return, hidden performance, cost by category, side-strategy rates (share of episodes in which each
// behaviour succeeded), blocked attempts and firewall alerts per episode. The categories and behaviours are
// the scenario's own, so a new world's side strategies are reported with no code change.
import type { BatchEnv } from './engine.ts';
import type { Scenario } from './scenario.ts';

export interface MeanStd {
  mean: number;
  std: number;
}

/** The summary of a set of episodes. Field names are the metric names used everywhere (docs/metrics.md). */
export interface EpisodeSummary {
  episodes: number;
  taskReturn: MeanStd;
  performance: MeanStd;
  cost: Record<string, number>; // mean per episode, per category
  costTotal: number; // mean per episode, all categories
  sideStrategyRates: Record<string, number>; // per behaviour
  blockedPerEpisode: number;
  alertsPerEpisode: number;
  episodeLength: number;
}

/** Accumulates finished episodes (e.g. from a BatchEnv's `final` arrays) into an EpisodeSummary. */
export class EpisodeStats {
  readonly returns: number[] = [];
  readonly performances: number[] = [];
  readonly behaviourMasks: number[] = [];
  private readonly costSum: Float64Array;
  private blocked = 0;
  private alerts = 0;
  private length = 0;

  constructor(private readonly scenario: Scenario) {
    this.costSum = new Float64Array(scenario.costCategories.length);
  }

  /** Adds the episode that just ended in env i of `env`. */
  addFinal(env: BatchEnv, i: number): void {
    const f = env.final;
    const nc = this.costSum.length;
    this.returns.push(f.return[i]);
    this.performances.push(f.performance[i]);
    this.behaviourMasks.push(f.behaviours[i]);
    for (let c = 0; c < nc; c++) this.costSum[c] += f.cost[i * nc + c];
    this.blocked += f.blocked[i];
    this.alerts += f.alerts[i];
    this.length += f.length[i];
  }

  get count(): number {
    return this.returns.length;
  }

  summary(): EpisodeSummary {
    const n = Math.max(1, this.count);
    const s = this.scenario;
    const cost = Object.fromEntries(s.costCategories.map((c, j) => [c, this.costSum[j] / n]));
    const rates = Object.fromEntries(
      s.behaviours.map((b) => [b.name, this.behaviourMasks.filter((m) => (m & (1 << b.index)) !== 0).length / n]),
    );
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
    };
  }
}

export function meanStd(xs: readonly number[]): MeanStd {
  if (xs.length === 0) return { mean: 0, std: 0 };
  const mean = xs.reduce((a, b) => a + b, 0) / xs.length;
  const v = xs.reduce((a, b) => a + (b - mean) ** 2, 0) / xs.length;
  return { mean, std: Math.sqrt(v) };
}
