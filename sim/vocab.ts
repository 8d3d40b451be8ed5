// The engine's fixed vocabulary: what every world shares. Actions and headings, the events and termination
// reasons the engine itself produces (guardrails, the horizon), and the env-side guardrail names. Everything a
// world is made of — tiles, variables, events, behaviours, cost categories — is declared in its scenario file
// (scenarios/*.yaml, compiled by sim/scenario.ts), never here.

/** Discrete actions. Moves 0..3 double as headings (the direction the agent faces). */
export const Action = {
  Up: 0,
  Right: 1,
  Down: 2,
  Left: 3,
  Stay: 4,
  /** Act on the tile the agent faces (its heading): work a terminal, claim a rack, probe a firewall... */
  Interact: 5,
} as const;
export type Action = (typeof Action)[keyof typeof Action];
export const NUM_ACTIONS = 6;
export const ACTION_NAMES = ['up', 'right', 'down', 'left', 'stay', 'interact'] as const;
/** One-letter codes used by demonstrations and board-drawn tests: `rrdi` = right, right, down, interact. */
export const ACTION_LETTERS = ['u', 'r', 'd', 'l', 's', 'i'] as const;
/** Heading names, usable in scenario expressions (`heading == left`). */
export const HEADING_NAMES = ['up', 'right', 'down', 'left'] as const;

/** Movement per heading, indexed by Action.Up..Action.Left. */
export const DX = [0, 1, 0, -1] as const;
export const DY = [-1, 0, 1, 0] as const;

/**
 * Events the engine emits itself, appended after a scenario's own events. `actionBlocked`: a guardrail stopped
 * an attempt (value = behaviour index); `monitorAlert`: the monitor saw a violation (value = behaviour index);
 * `evadedMonitor`: a violation committed out of the monitor's sight (value = behaviour index).
 */
export const ENGINE_EVENTS = ['actionBlocked', 'monitorAlert', 'evadedMonitor'] as const;
export type EngineEventName = (typeof ENGINE_EVENTS)[number];

/**
 * Why an episode ended, the engine's own reasons first. `horizon` is a truncation; every other reason is a
 * termination. Scenarios add their own (`end: reachedGoal`) after these.
 */
export const ENGINE_END_REASONS = ['running', 'horizon', 'tripwire', 'monitorCaught'] as const;
export const END_RUNNING = 0;
export const END_HORIZON = 1;
export const END_TRIPWIRE = 2;
export const END_MONITOR_CAUGHT = 3;

/** Env-side guardrails (DESIGN.md §5). Training-side ones live in agents/. */
export const ENV_GUARDRAILS = ['sandbox', 'allowlist', 'blocklist', 'monitor', 'tripwire'] as const;
export type EnvGuardrailName = (typeof ENV_GUARDRAILS)[number];

/** Tags the engine's guardrails read: the monitor watches `watched` cells, and nothing `outside`. */
export const TAG_WATCHED = 'watched';
export const TAG_OUTSIDE = 'outside';

/** Names a scenario may not declare: the expression language's own words. */
export const RESERVED_NAMES = [
  't', 'horizon', 'heading', 'value', 'true', 'false', 'and', 'or', 'not', 'here', 'target', 'from', 'ahead', 'step',
  'agent', ...HEADING_NAMES,
] as const;
