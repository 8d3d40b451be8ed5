// The scenario file format: one zod schema from which the TypeScript types and the editors' JSON Schema both
// come. Only shape and ranges are checked here; cross-field rules (the map against its legend, placements
// against candidates) live in scenario.ts, which turns a parsed file into a compiled Scenario.
import { z } from 'zod';
import { BEHAVIOURS, COST_CATEGORIES, EVENT_NAMES, TASK_EVENTS } from './vocab.ts';

const probability = z.number().min(0).max(1);
const behaviour = z.enum(BEHAVIOURS);
const eventName = z.enum(EVENT_NAMES);

/** Tiles a legend character may stand for. `agent` is the agent's fixed start, on floor. */
export const LEGEND_TILES = [
  'wall', 'floor', 'watchedFloor', 'terminal', 'gpu', 'firewall', 'port', 'outside', 'monitor', 'agent',
] as const;
/** Objects whose position can be drawn per episode from candidate cells. */
export const PLACEABLE = ['agent', 'gpu', 'port', 'terminal'] as const;
/** What a candidate cell is when nothing is placed on it. */
const CANDIDATE_BASE = ['floor', 'watchedFloor', 'wall', 'firewall'] as const;

const legendEntry = z.union([
  z.enum(LEGEND_TILES),
  z.strictObject({
    candidate: z.enum(PLACEABLE).describe('object that may be placed here at each episode start'),
    otherwise: z.enum(CANDIDATE_BASE).describe('what the cell is when nothing is placed on it'),
  }),
]);

export const sandboxOptions = z.strictObject({}).describe('Capabilities removed: GPUs locked, firewall sealed.');
export const allowlistOptions = z
  .strictObject({
    allow: z.array(behaviour).default([]).describe('behaviours permitted besides the task; everything else is blocked'),
  })
  .describe('A shield: only the task (and listed behaviours) may be attempted.');
export const blocklistOptions = z
  .strictObject({
    block: z.array(behaviour).default(['claimGpu', 'openTunnel']).describe('forbidden behaviours'),
    mode: z.enum(['block', 'penalty']).default('block').describe('stop the attempt, or let it happen and penalise it'),
    penalty: z.number().min(0).default(1).describe('reward subtracted per listed behaviour in penalty mode'),
  })
  .describe('Enumerated forbidden patterns; leaky when the scenario has unlisted variants.');
export const monitorOptions = z
  .strictObject({
    detect: probability.default(0.9).describe('chance a violation in sight is detected'),
    penalty: z.number().min(0).default(2).describe('reward subtracted per detection'),
    terminate: z.boolean().default(false).describe('end the episode on detection'),
  })
  .describe('Watches the watched floor (or the whole inside if none is marked); can be evaded.');
export const tripwireOptions = z
  .strictObject({
    on: z.array(behaviour).default(['openTunnel', 'crossBoundary']).describe('behaviours that end the episode'),
  })
  .describe('The episode ends when a boundary is crossed.');

export const guardrailOptions = z.strictObject({
  sandbox: sandboxOptions.optional(),
  allowlist: allowlistOptions.optional(),
  blocklist: blocklistOptions.optional(),
  monitor: monitorOptions.optional(),
  tripwire: tripwireOptions.optional(),
});

const costEntry = z.strictObject({
  category: z.enum(COST_CATEGORIES),
  amount: z.number().min(0),
});

const rewardShape = Object.fromEntries(TASK_EVENTS.map((e) => [e, z.number().optional()])) as Record<
  (typeof TASK_EVENTS)[number],
  z.ZodOptional<z.ZodNumber>
>;

export const scenarioSchema = z.strictObject({
  id: z.string().regex(/^[a-z][a-z0-9-]*$/, 'a lower-case id like "rome-hidden"'),
  extends: z.string().optional().describe('id of a scenario in the same folder whose keys this file overrides'),
  title: z.string().min(1),
  description: z.string().min(1).describe('Markdown with the headings Description, Actions, Observation, Rewards, Termination, Variants'),
  map: z.string().min(1).describe('ASCII art, one character per cell, rows of equal width'),
  legend: z.record(z.string().length(1), legendEntry),
  place: z
    .strictObject({
      agent: z.number().int().min(0).optional(),
      gpu: z.number().int().min(0).optional(),
      port: z.number().int().min(0).optional(),
      terminal: z.number().int().min(0).optional(),
    })
    .default({})
    .describe('how many of each object to draw per episode from its candidate cells'),
  horizon: z.number().int().min(1).max(100000),
  observation: z.strictObject({ window: z.number().int().min(3).max(31).refine((n) => n % 2 === 1, 'an odd window size') }),
  task: z.strictObject({
    jobWork: z.number().int().min(1).describe('work units one job needs'),
    jobs: z.number().int().min(0).default(0).describe('jobs in the queue; 0 = endless'),
  }),
  compute: z.strictObject({
    base: z.number().int().min(1).describe('work per step at the terminal with nothing claimed'),
    perGpu: z.number().int().min(0).describe('extra work per step per claimed rack'),
    outside: z.number().int().min(0).describe('extra work per step while the tunnel is open (outside compute)'),
    mining: z
      .strictObject({
        enabled: z.boolean(),
        coinsPerStep: z.number().min(0).describe('coins per mining rack per step, paid only while egress exists'),
        computePrice: z.number().min(0.001).describe('coins for one unit of compute, bought automatically'),
      })
      .default({ enabled: false, coinsPerStep: 0, computePrice: 1 }),
  }),
  ports: z.strictObject({ hidden: z.boolean().describe('ports look like firewall until probed') }).default({ hidden: false }),
  reward: z.strictObject(rewardShape).describe('the only thing the learner sees; task events only'),
  performance: z.partialRecord(eventName, z.number()).describe('hidden performance: what the designer wanted'),
  costs: z.partialRecord(eventName, costEntry).describe('violation costs per event, by category'),
  telemetry: z.strictObject({
    firewall: z.strictObject({
      sees: z.partialRecord(eventName, probability).describe('events the firewall can see, with detection chance'),
      falsePositiveRate: probability.describe('chance per env step of an alert with no cause'),
    }),
  }),
  guardrails: z
    .strictObject({
      default: z.array(z.enum(['sandbox', 'allowlist', 'blocklist', 'monitor', 'tripwire'])).default([]),
      options: guardrailOptions.default({}),
    })
    .default({ default: [], options: {} }),
});

export type ScenarioFile = z.infer<typeof scenarioSchema>;
export type GuardrailOptionsFile = z.infer<typeof guardrailOptions>;
export type LegendEntry = z.infer<typeof legendEntry>;

/** The JSON Schema editors use to check scenario files (written by `sidequest schema`). */
export function scenarioJsonSchema(): unknown {
  return z.toJSONSchema(scenarioSchema, { io: 'input' });
}
