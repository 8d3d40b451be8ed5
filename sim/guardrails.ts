// Env-side guardrails (DESIGN.md §5): resolving names and options into the compact form the engine checks on
// every attempt. The engine owns enforcement; this module owns what each guardrail means and its defaults.
// Guardrails are orthogonal to a world's rules: they act only on the behaviours a scenario declares (blocking an
// attempt, penalising or ending on a success), never on its physics, so naming one never switches a rule off.
import {
  allowlistOptions, blocklistOptions, monitorOptions, tripwireOptions, type GuardrailOptionsFile,
} from './schema.ts';
import { ENV_GUARDRAILS, type EnvGuardrailName } from './vocab.ts';
import type { Scenario } from './scenario.ts';

/** Resolved env-side guardrails: recorded verbatim in runs and episode headers, so a replay rebuilds them. */
export interface EnvGuardrailConfig {
  readonly names: readonly EnvGuardrailName[];
  readonly allowlist?: { readonly allow: readonly string[] };
  readonly blocklist?: { readonly block: readonly string[]; readonly mode: 'block' | 'penalty'; readonly penalty: number };
  readonly monitor?: { readonly detect: number; readonly penalty: number; readonly terminate: boolean };
  readonly tripwire?: { readonly on: readonly string[] };
}

/** What the engine checks: bit masks over behaviour indices. */
export interface CompiledGuardrails {
  /** Attempts of these behaviours are stopped (actionBlocked). */
  readonly blockMask: number;
  /** These behaviours succeed but cost `penaltyReward` each (blocklist in penalty mode). */
  readonly penaltyMask: number;
  readonly penaltyReward: number;
  readonly monitor: { readonly detect: number; readonly penalty: number; readonly terminate: boolean } | null;
  /** Succeeding at one of these ends the episode (tripwire). */
  readonly tripwireMask: number;
}

export class GuardrailError extends Error {}

/**
 * Resolves guardrail names (e.g. from `--guardrail monitor,tripwire` or the scenario's defaults) with the
 * scenario's options. `undefined` means "the scenario's defaults"; `[]` or `['none']` means none.
 */
export function resolveEnvGuardrails(scenario: Scenario, names?: readonly string[]): EnvGuardrailConfig {
  const chosen = names === undefined ? scenario.file.guardrails.default : names.filter((n) => n !== 'none');
  const opts: GuardrailOptionsFile = scenario.file.guardrails.options;
  const out: { -readonly [K in keyof EnvGuardrailConfig]: EnvGuardrailConfig[K] } = { names: [] };
  const seen: EnvGuardrailName[] = [];
  for (const n of chosen) {
    if (!(ENV_GUARDRAILS as readonly string[]).includes(n)) {
      throw new GuardrailError(`unknown env guardrail "${n}": expected one of ${ENV_GUARDRAILS.join(', ')} (or none)`);
    }
    const name = n as EnvGuardrailName;
    if (seen.includes(name)) continue;
    seen.push(name);
    if (name === 'allowlist') out.allowlist = allowlistOptions.parse(opts.allowlist ?? {});
    if (name === 'blocklist') out.blocklist = blocklistOptions.parse(opts.blocklist ?? {});
    if (name === 'monitor') out.monitor = monitorOptions.parse(opts.monitor ?? {});
    if (name === 'tripwire') out.tripwire = tripwireOptions.parse(opts.tripwire ?? {});
  }
  out.names = seen;
  return out;
}

/** Bit masks over the scenario's behaviours; a name the scenario does not declare is an error. */
export function compileGuardrails(cfg: EnvGuardrailConfig, scenario: Scenario): CompiledGuardrails {
  const maskOf = (list: readonly string[], what: string): number => {
    let m = 0;
    for (const b of list) {
      const def = scenario.behaviourByName.get(b);
      if (!def) throw new GuardrailError(`${what} names "${b}", which ${scenario.id} does not declare (its behaviours: ${[...scenario.behaviourByName.keys()].join(', ') || 'none'})`);
      m |= 1 << def.index;
    }
    return m;
  };
  // what an agent can attempt: the behaviours some rule is an attempt at (evadeMonitor is a consequence)
  let attemptable = 0;
  for (const b of scenario.behaviours) if (b.attempted) attemptable |= 1 << b.index;
  let blockMask = 0;
  let penaltyMask = 0;
  let penaltyReward = 0;
  if (cfg.names.includes('sandbox')) blockMask |= attemptable;
  if (cfg.allowlist) blockMask |= attemptable & ~maskOf(cfg.allowlist.allow, 'allowlist');
  if (cfg.blocklist) {
    if (cfg.blocklist.mode === 'block') blockMask |= maskOf(cfg.blocklist.block, 'blocklist');
    else {
      penaltyMask = maskOf(cfg.blocklist.block, 'blocklist');
      penaltyReward = cfg.blocklist.penalty;
    }
  }
  return {
    blockMask,
    penaltyMask,
    penaltyReward,
    monitor: cfg.monitor ?? null,
    tripwireMask: cfg.tripwire ? maskOf(cfg.tripwire.on, 'tripwire') : 0,
  };
}
