// The single-env API on top of the batched engine, for clarity and for people: Gymnasium's reset/step with
// plain objects (allocation here is fine; the hot path is BatchEnv). No auto-reset: after an episode ends,
// call reset() again.
import { BatchEnv } from './engine.ts';
import type { EnvGuardrailConfig } from './guardrails.ts';
import type { Scenario } from './scenario.ts';
import { COST_CATEGORIES, EVENT_NAMES, TERMINATION_NAMES, type CostCategory, type EventName } from './vocab.ts';
import { NUM_SCALARS } from './observation.ts';

export interface StepEvent {
  readonly kind: EventName;
  readonly x: number;
  readonly y: number;
  readonly value: number;
}

export interface Observation {
  /** [window * window] seen-tile codes, see observation.ts. */
  readonly cells: Uint8Array;
  readonly scalars: Float32Array;
}

export interface StepResult {
  readonly observation: Observation;
  readonly reward: number;
  readonly terminated: boolean;
  readonly truncated: boolean;
  readonly performance: number;
  readonly cost: Readonly<Record<CostCategory, number>>;
  readonly events: readonly StepEvent[];
  /** Firewall alerts raised this step: the event that caused each, or 'falsePositive'. */
  readonly alerts: readonly (EventName | 'falsePositive')[];
  readonly reason: (typeof TERMINATION_NAMES)[number];
}

export class Env {
  readonly batch: BatchEnv;

  constructor(readonly scenario: Scenario, guardrails: EnvGuardrailConfig) {
    this.batch = new BatchEnv(scenario, { numEnvs: 1, guardrails, autoReset: false });
  }

  /** Starts an episode whose layout and random streams come from `seed`. */
  reset(opts: { seed: number }): Observation {
    this.batch.resetEnv(0, opts.seed);
    return this.observation();
  }

  step(action: number): StepResult {
    const b = this.batch;
    b.step([action]);
    const events: StepEvent[] = [];
    for (let k = 0; k < b.events.count; k++) {
      events.push({ kind: EVENT_NAMES[b.events.kind[k]], x: b.events.x[k], y: b.events.y[k], value: b.events.value[k] });
    }
    const alerts: (EventName | 'falsePositive')[] = [];
    for (let k = 0; k < b.alerts.count; k++) {
      const s = b.alerts.source[k];
      alerts.push(s < EVENT_NAMES.length ? EVENT_NAMES[s] : 'falsePositive');
    }
    const cost = Object.fromEntries(COST_CATEGORIES.map((c, j) => [c, b.cost[j]])) as Record<CostCategory, number>;
    return {
      observation: this.observation(),
      reward: b.reward[0],
      terminated: b.terminated[0] === 1,
      truncated: b.truncated[0] === 1,
      performance: b.performance[0],
      cost,
      events,
      alerts,
      reason: TERMINATION_NAMES[b.endReason[0]],
    };
  }

  private observation(): Observation {
    const w = this.scenario.window;
    return { cells: this.batch.obs.slice(0, w * w), scalars: this.batch.scalars.slice(0, NUM_SCALARS) };
  }

  stateHash(): string {
    return this.batch.stateHash(0);
  }
}

