// The plug-in mechanics: what a scenario's data cannot say (objects that move on their own, say) lives in one
// file per mechanic in this folder, registered here by name and enabled from a scenario with
// `mechanics: [{ use: <name>, ...options }]`. This module owns the one interface every plug-in implements and
// the registry; the engine calls the hooks, and a plug-in touches the world only through MechanicHost.
//
// The contract, in full:
// - `compile(options, names)` runs once per scenario: validate the options (zod) and resolve tile and event
//   names, failing with names.fail(where, detail). It returns the compiled mechanic.
// - `maxEventsPerStep` bounds the events one env's step may emit through this mechanic (the engine sizes its
//   buffers by it).
// - `create(host)` runs once per BatchEnv and may allocate its scratch there; the hooks must not allocate.
// - `begin(env)` (optional) runs at every episode start, after placement, variable initialisation and the start
//   rules; it may change tiles and variables (it emits nothing: there is no step to report it in).
// - `afterRules(env)` runs each step after the step's rules, unless the episode already ended; it may change
//   tiles (host.setTile) and emit events (host.emit); it returns an end reason code (0 = running).
// - A mechanic keeps no state of its own outside the grid and the scenario's variables, so state hashes,
//   snapshots and replays cover it with no extra code. Its randomness comes from host.random (the env's seeded
//   world stream, the one `random()` draws from), declared with `usesRandom: true`.
import type { z } from 'zod';
import { patrol } from './patrol.ts';
import { boxWalls } from './box-walls.ts';
import { tomatoes } from './tomatoes.ts';
import { conveyor } from './conveyor.ts';
import { count } from './count.ts';

export interface MechanicNames {
  fail(where: string, detail: string): never;
  tileCode(name: string, where: string): number;
  eventCode(name: string, where: string): number;
  endReasons: string[];
  /** Whether the agent may stand on a tile (by code). */
  walkable(code: number): boolean;
  /** A declared variable's index, or -1. */
  varIndex(name: string): number;
  /** The map's size (every map of a scenario has the same). */
  readonly width: number;
  readonly height: number;
}

/** What a plug-in may read and change in the batched engine. */
export interface MechanicHost {
  readonly numEnvs: number;
  /** Width of an env's padded grid and its cell count (cells of env i start at i * cells). */
  readonly paddedWidth: number;
  readonly cells: number;
  /** Void cells padding each side of the map (map cell (x, y) is padded cell (y + radius) * paddedWidth + x + radius). */
  readonly radius: number;
  /** [numEnvs * numVars] the scenario's variables: read freely, write only through setVariable. */
  readonly vars: Float64Array;
  readonly numVars: number;
  /** Writes a variable (clamped and truncated as the scenario declares it). */
  setVariable(env: number, variable: number, value: number): void;
  /** A draw in [0, 1) from the env's seeded world stream (only for a mechanic compiled with usesRandom). */
  random(env: number): number;
  /** [numEnvs * cells] tile codes: read freely, write only through setTile. */
  readonly grid: Uint8Array;
  /** Padded cell of each env's agent. */
  readonly pos: Int32Array;
  setTile(env: number, cell: number, tile: number): void;
  /** Emits an event at a padded cell, with its reward, cost, telemetry and guardrail consequences. */
  emit(env: number, event: number, value: number, cell: number): number;
}

export interface MechanicInstance {
  begin?(env: number): void;
  afterRules(env: number): number;
}

export interface CompiledMechanic {
  readonly name: string;
  readonly maxEventsPerStep: number;
  /** Tiles this mechanic may put on the board (legends list them). */
  readonly makes: readonly number[];
  /** It draws from host.random (the engine then keeps, snapshots and restores the world streams). */
  readonly usesRandom?: boolean;
  create(host: MechanicHost): MechanicInstance;
}

export interface MechanicDefinition<O> {
  readonly name: string;
  /** One line for docs and errors. */
  readonly summary: string;
  readonly options: z.ZodType<O>;
  compile(options: O, names: MechanicNames, where: string): CompiledMechanic;
}

/** The registry: a new plug-in is its own file plus one line here. */
export const MECHANICS: Readonly<Record<string, MechanicDefinition<never>>> = {
  patrol: patrol as MechanicDefinition<never>,
  boxWalls: boxWalls as MechanicDefinition<never>,
  tomatoes: tomatoes as MechanicDefinition<never>,
  conveyor: conveyor as MechanicDefinition<never>,
  count: count as MechanicDefinition<never>,
};

export function compileMechanics(list: ReadonlyArray<{ use: string } & Record<string, unknown>>, names: MechanicNames): CompiledMechanic[] {
  return list.map((entry, k) => {
    const where = `mechanics[${k}]`;
    // own properties only: `use: toString` must not find Object.prototype's
    const def = Object.hasOwn(MECHANICS, entry.use) ? MECHANICS[entry.use] : undefined;
    if (!def) names.fail(`${where}.use`, `expected a plug-in (${Object.keys(MECHANICS).join(', ')}), found "${entry.use}"`);
    const { use: _use, ...opts } = entry;
    const parsed = (def.options as z.ZodType<unknown>).safeParse(opts);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      const msg = issue.message.replace(/^Invalid (input|option): /, '');
      names.fail(`${where}${issue.path.length ? `.${issue.path.join('.')}` : ''}`, `${msg.startsWith('expected') ? msg : `expected ${msg}`} (${def.summary})`);
    }
    return def.compile(parsed.data as never, names, where);
  });
}
