// The single-env API on top of the batched engine, for clarity and for people: Gymnasium's reset/step with
// plain objects (allocation here is fine; the hot path is BatchEnv). No auto-reset: after an episode ends,
// call reset() again.
import { BatchEnv } from './engine.ts';
import { FALSE_POSITIVE } from './engine.ts';
import type { EnvGuardrailConfig } from './guardrails.ts';
import type { Scenario } from './scenario.ts';

export interface StepEvent {
  readonly kind: string;
  readonly x: number;
  readonly y: number;
  readonly value: number;
}

export interface Observation {
  /** [window * window] perception codes, see observation.ts. */
  readonly cells: Uint8Array;
  readonly scalars: Float32Array;
}

export interface StepResult {
  readonly observation: Observation;
  readonly reward: number;
  readonly terminated: boolean;
  readonly truncated: boolean;
  readonly performance: number;
  /** Cost of this step per category (the scenario's costs.categories). */
  readonly cost: Readonly<Record<string, number>>;
  readonly events: readonly StepEvent[];
  /** Firewall alerts raised this step: the event that caused each, or 'falsePositive'. */
  readonly alerts: readonly string[];
  /** Why the episode ended ('running' while it goes on). */
  readonly reason: string;
}

export class Env {
  readonly batch: BatchEnv;

  constructor(readonly scenario: Scenario, guardrails: EnvGuardrailConfig) {
    this.batch = new BatchEnv(scenario, { numEnvs: 1, guardrails, autoReset: false });
  }

  /**
   * Starts an episode whose layout and random streams come from `seed`; carried variables keep their values from
   * this env's last episode, or start from `carried` (in the order of batch.carriedVars) when given.
   */
  reset(opts: { seed: number; carried?: ArrayLike<number> }): Observation {
    this.batch.resetEnv(0, opts.seed, opts.carried);
    return this.observation();
  }

  step(action: number): StepResult {
    const b = this.batch;
    const s = this.scenario;
    b.step([action]);
    const events: StepEvent[] = [];
    for (let k = 0; k < b.events.count; k++) {
      events.push({ kind: s.events[b.events.kind[k]].name, x: b.events.x[k], y: b.events.y[k], value: b.events.value[k] });
    }
    const alerts: string[] = [];
    for (let k = 0; k < b.alerts.count; k++) {
      const src = b.alerts.source[k];
      alerts.push(src === FALSE_POSITIVE ? 'falsePositive' : s.events[src].name);
    }
    const cost = Object.fromEntries(s.costCategories.map((c, j) => [c, b.cost[j]]));
    return {
      observation: this.observation(),
      reward: b.reward[0],
      terminated: b.terminated[0] === 1,
      truncated: b.truncated[0] === 1,
      performance: b.performance[0],
      cost,
      events,
      alerts,
      reason: s.endReasons[b.endReason[0]],
    };
  }

  private observation(): Observation {
    const w = this.scenario.window;
    return { cells: this.batch.obs.slice(0, w * w), scalars: this.batch.scalars.slice(0, this.batch.numScalars) };
  }

  stateHash(): string {
    return this.batch.stateHash(0);
  }
}
