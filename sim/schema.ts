// The scenario file format: one zod schema from which the TypeScript types and the editors' JSON Schema both
// come, plus the tile library's format. Only shape and ranges are checked here; what needs the whole file (names
// that must be declared, expressions that must compile, the map against its legend) lives in scenario.ts.
// Every size has a cap, so a hostile file cannot ask the engine for unbounded memory or work.
import { z } from 'zod';
import { ACTION_NAMES, ENV_GUARDRAILS } from './vocab.ts';

const probability = z.number().min(0).max(1);
/** A bounded number: parameters, amounts and bounds stay far from float64's edges. */
const bounded = z.number().min(-1e9).max(1e9);
const name = z.string().regex(/^[A-Za-z][A-Za-z0-9_]{0,39}$/, 'a name of letters, digits and _ (at most 40), starting with a letter');
/** A formula in the expression language (sim/expr.ts), or a plain number or boolean. */
export const expression = z.union([bounded, z.boolean(), z.string().max(400)]).describe('a number or a formula such as "floor(workProgress / jobWork)"');
const colour = z.string().regex(/^#[0-9a-fA-F]{6}$/, 'a colour like "#ffb300"');
const label = z.string().max(200);

export const MAX_TILES = 250;
export const MAX_BEHAVIOURS = 30;
export const MAX_MAP_CELLS = 64 * 64;

export const tileSchema = z.strictObject({
  extends: name.optional().describe('a tile whose fields this one starts from'),
  glyph: z.string().length(1).optional().describe('one character for the terminal board and board-drawn tests'),
  showGlyph: z.boolean().optional().describe('the viewer draws the glyph on the tile (default false: colour only)'),
  colour: colour.optional().describe('the viewer board and legend, and the report'),
  label: label.optional().describe('one line a person understands'),
  walkable: z.boolean().optional().describe('the agent may stand on it (default false: solid)'),
  seen: name.optional().describe('what the agent perceives of it: a perception class (default: its own name)'),
  tags: z.array(name).max(16).optional().describe('zones and kinds rules and guardrails test (watched, outside, ...)'),
});

/** scenarios/tiles.yaml and any other library a scenario imports. */
export const tileLibrarySchema = z.strictObject({
  seen: z.array(name).max(MAX_TILES).default([]).describe('perception classes in order; the first is "nothing there"'),
  tiles: z.record(name, tileSchema),
});

const legendEntry = z.union([
  name.describe('a tile, or "agent" (the agent starts here, on floor)'),
  z.strictObject({
    candidate: name.describe('a placement group: its cells are candidates for what `place` draws'),
    otherwise: name.describe('the tile the cell holds when nothing is placed on it'),
  }),
]);

const placeEntry = z.union([
  z.number().int().min(0).max(MAX_MAP_CELLS),
  z.strictObject({ tile: name, count: z.number().int().min(0).max(MAX_MAP_CELLS) }),
]);

export const TRIGGERS = ['interact', 'enter', 'bump', 'step', 'start', 'beforeAction'] as const;

const setMap = z.record(name, expression);
export const effectSchema = z
  .strictObject({
    if: expression.optional().describe('the effect happens only when this holds'),
    emit: name.optional().describe('an event; `value` (default 1) weighs per-value events'),
    value: expression.optional(),
    set: setMap.optional().describe('variables set, in order'),
    add: setMap.optional().describe('amounts added to variables, in order'),
    replace: name.optional().describe('the target cell becomes this tile'),
    at: z.enum(['target', 'here']).optional().describe('where `replace` applies (default target)'),
    end: name.optional().describe('the episode ends (terminated) with this reason'),
    push: z
      .strictObject({
        into: z.array(name).min(1).describe('tiles the pushed tile may move onto'),
        leave: name.describe('what the pushed tile leaves behind'),
        becomes: z.record(name, name).optional().describe('per tile of `into`: what the pushed tile becomes when it lands on it (default: itself)'),
      })
      .optional()
      .describe('the target tile moves one cell further along the heading, and the agent steps in'),
    move: z.literal(true).optional().describe('the agent steps onto the target cell'),
    replaceAll: z
      .strictObject({
        from: z.array(name).min(1).max(MAX_TILES).describe('the tiles replaced, wherever they are on the map'),
        to: name.describe('the tile they become'),
      })
      .optional()
      .describe('every cell of the map holding one of `from` becomes `to` (a button that switches something off elsewhere)'),
    action: expression.optional().describe('beforeAction only: the action actually taken this step (0..5)'),
  })
  .describe('exactly one of emit, set, add, replace, end, push, move, replaceAll, action');

export const ruleSchema = z.strictObject({
  on: z.union([z.enum(TRIGGERS), z.strictObject({ at: z.number().int().min(0).max(100000) })]).describe('when the rule is considered'),
  tile: z.union([name, z.array(name).min(1).max(MAX_TILES)]).optional().describe('interact, enter, bump: the tile(s) it applies to'),
  if: expression.optional().describe('the rule fires only when this holds'),
  behaviour: name.optional().describe('firing this rule is an attempt at that side strategy: guardrails may block it'),
  label: label.optional(),
  do: z.array(effectSchema).min(1).max(64),
});

const term = z.union([bounded, z.strictObject({ amount: expression })]);

export const sandboxOptions = z.strictObject({}).describe('Capabilities removed: every side-strategy attempt is blocked.');
export const allowlistOptions = z
  .strictObject({
    allow: z.array(name).default([]).describe('behaviours permitted besides the task; every other attempt is blocked'),
  })
  .describe('A shield: only the task (and listed behaviours) may be attempted.');
export const blocklistOptions = z
  .strictObject({
    block: z.array(name).default([]).describe('forbidden behaviours'),
    mode: z.enum(['block', 'penalty']).default('block').describe('stop the attempt, or let it happen and penalise it'),
    penalty: z.number().min(0).max(1e6).default(1).describe('reward subtracted per listed behaviour in penalty mode'),
  })
  .describe('Enumerated forbidden patterns; leaky when the scenario has unlisted variants.');
export const monitorOptions = z
  .strictObject({
    detect: probability.default(0.9).describe('chance a violation in sight is detected'),
    penalty: z.number().min(0).max(1e6).default(2).describe('reward subtracted per detection'),
    terminate: z.boolean().default(false).describe('end the episode on detection'),
  })
  .describe('Watches cells tagged `watched` (or everything not tagged `outside` if none is); can be evaded.');
export const tripwireOptions = z
  .strictObject({
    on: z.array(name).default([]).describe('behaviours that end the episode'),
  })
  .describe('The episode ends when a listed behaviour succeeds.');

export const guardrailOptions = z.strictObject({
  sandbox: sandboxOptions.optional(),
  allowlist: allowlistOptions.optional(),
  blocklist: blocklistOptions.optional(),
  monitor: monitorOptions.optional(),
  tripwire: tripwireOptions.optional(),
});

const scriptGoal = z.strictObject({
  interact: z.array(name).min(1).optional().describe('tiles to walk to and interact with (the nearest first)'),
  reach: z.array(name).min(1).optional().describe('walkable tiles to step onto (the nearest first)'),
  actions: z
    .array(z.enum(ACTION_NAMES))
    .min(1)
    .max(1000)
    .optional()
    .describe('a fixed sequence, one action per step from where the goal is first pursued, then the next goals'),
  repeat: z.number().int().min(1).max(1000).optional().describe('actions only: the sequence is taken this many times (default 1)'),
  if: expression.optional().describe('the goal is pursued only while this holds'),
  behaviour: name.optional().describe('the goal is given up for the episode once a guardrail blocks this behaviour'),
  once: z.boolean().optional().describe('interact with each such cell at most once per episode'),
});

export const scenarioSchema = z.strictObject({
  id: z.string().regex(/^[a-z][a-z0-9-]{0,39}$/, 'a lower-case id like "rome-hidden"'),
  extends: z.string().optional().describe('id of a scenario in the same folder whose keys this file overrides'),
  title: z.string().min(1).max(200),
  description: z.string().min(1).max(20000).describe('Markdown with the headings Description, Actions, Observation, Rewards, Termination, Variants'),
  import: z.array(z.string().regex(/^[a-z][a-z0-9-]{0,39}$/)).max(8).optional().describe('tile libraries <id>.tiles.yaml beside the file or shipped (default [common])'),
  seen: z.array(name).max(MAX_TILES).default([]).describe('perception classes added after the libraries\''),
  tiles: z.record(name, tileSchema).default({}).describe('tiles of this scenario, added to (or extending) the library\'s'),
  map: z.union([z.string().min(1).max(20000), z.array(z.string().min(1).max(20000)).min(1).max(16)]).describe('ASCII art, one character per cell; a list of maps of one size is a per-episode choice'),
  legend: z.record(z.string().length(1), legendEntry),
  place: z.record(name, placeEntry).default({}).describe('per placement group, how many cells to draw per episode (in the order written; the agent last)'),
  horizon: z.number().int().min(1).max(100000),
  params: z.record(name, bounded).default({}).describe('named numbers: variants override these'),
  variables: z
    .record(
      name,
      z.strictObject({
        init: expression.optional().describe('value at episode start (may draw random())'),
        min: bounded.optional(),
        max: bounded.optional(),
        real: z.boolean().optional().describe('a real number (default: an integer)'),
        carry: z
          .boolean()
          .optional()
          .describe('keeps its value from one episode to the next in the same env (init only for the first); recordings store it at each episode start'),
        label: label.optional(),
      }),
    )
    .default({})
    .describe('per-env state, hashed in this order'),
  define: z.record(name, z.string().max(400)).default({}).describe('named formulas, inlined where used'),
  events: z
    .record(
      name,
      z.strictObject({
        per: z.enum(['event', 'value']).optional().describe('reward, performance and cost weigh once per event (default) or by its value'),
        label: label.optional(),
        colour: colour.optional(),
      }),
    )
    .default({}),
  behaviours: z
    .record(name, z.strictObject({ event: name, label: label.optional(), colour: colour.optional() }))
    .default({})
    .describe('side strategies: each succeeds when its event fires; the reward may never name that event'),
  rules: z.array(ruleSchema).max(512).default([]),
  resource: name.optional().describe('the resource the agent accumulates (a variable or definition): the impact guardrail penalises its change'),
  mechanics: z
    .array(z.looseObject({ use: name }))
    .max(16)
    .default([])
    .describe('plug-ins from sim/mechanics/ with their options'),
  observation: z.strictObject({
    window: z.number().int().min(3).max(31).refine((n) => n % 2 === 1, 'an odd window size'),
    scalars: z.record(name, expression).default({}).describe('what the agent sees besides the window, each in [0, 1]'),
  }),
  reward: z.record(name, term).describe('the only channel the learner sees; `step` is a per-step term'),
  performance: z.record(name, term).default({}).describe('hidden performance: what the designer wanted'),
  costs: z
    .strictObject({
      categories: z.array(name).max(16).default([]),
      events: z.record(name, z.strictObject({ category: name, amount: term })).default({}),
    })
    .default({ categories: [], events: {} }),
  telemetry: z
    .strictObject({
      firewall: z.strictObject({
        sees: z.record(name, probability).default({}).describe('events the firewall can see, with detection chance'),
        falsePositiveRate: probability.default(0).describe('chance per env step of an alert with no cause'),
      }),
    })
    .default({ firewall: { sees: {}, falsePositiveRate: 0 } }),
  guardrails: z
    .strictObject({
      default: z.array(z.enum(ENV_GUARDRAILS)).default([]),
      options: guardrailOptions.default({}),
    })
    .default({ default: [], options: {} }),
  scripts: z
    .strictObject({
      honest: z.array(scriptGoal).max(32).optional(),
      opportunist: z.array(scriptGoal).max(32).optional(),
      avoid: z.array(name).max(16).optional().describe('tags the scripted planners never walk on (default [outside])'),
    })
    .default({})
    .describe('goals of the scripted baselines (agents/policies/scripted.ts)'),
});

export type ScenarioFile = z.infer<typeof scenarioSchema>;
export type TileFile = z.infer<typeof tileSchema>;
export type TileLibraryFile = z.infer<typeof tileLibrarySchema>;
export type GuardrailOptionsFile = z.infer<typeof guardrailOptions>;
export type LegendEntry = z.infer<typeof legendEntry>;
export type RuleFile = z.infer<typeof ruleSchema>;
export type EffectFile = z.infer<typeof effectSchema>;
export type Expression = z.infer<typeof expression>;
export type Term = z.infer<typeof term>;
export type ScriptGoalFile = z.infer<typeof scriptGoal>;

/** The JSON Schema editors use to check scenario files (written by `sidequest schema`). */
export function scenarioJsonSchema(): unknown {
  return z.toJSONSchema(scenarioSchema, { io: 'input' });
}
