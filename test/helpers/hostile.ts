// Shared by the hostile-input tests (scenario fuzzing, hostile fixtures, episode fuzzing): what a clean error
// is, the file-system sources a scenario's `extends` and imports resolve against, and one bounded engine run
// that checks the invariants every accepted scenario must keep. Not a test file itself (no .test.ts suffix).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect } from 'vitest';
import { BatchEnv } from '../../sim/engine.ts';
import { GuardrailError, resolveEnvGuardrails } from '../../sim/guardrails.ts';
import { SCENARIOS_DIR } from '../../sim/load.ts';
import { ScenarioError, type Scenario, type Sources } from '../../sim/scenario.ts';
import { ENV_GUARDRAILS, NUM_ACTIONS } from '../../sim/vocab.ts';

/** Longest error message a person should have to read. */
export const MAX_MESSAGE = 600;
// C0 and C1 control characters: a message must never carry a terminal escape sequence
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/;

/** Asserts `e` is one line, bounded, printable; returns its message. */
export function expectCleanMessage(e: unknown): string {
  expect(e).toBeInstanceOf(Error);
  const m = (e as Error).message;
  expect(m.length, m.slice(0, 200)).toBeLessThanOrEqual(MAX_MESSAGE);
  expect(CONTROL.test(m), JSON.stringify(m)).toBe(false);
  return m;
}

/** Shipped scenarios and libraries, resolved as sim/load.ts does: an unknown id is a ScenarioError. */
export const shippedSources: Sources = {
  scenario: (id) => read(join(SCENARIOS_DIR, `${id}.yaml`), id, 'extends'),
  library: (id) => read(join(SCENARIOS_DIR, `${id}.tiles.yaml`), id, 'import'),
};

function read(file: string, id: string, where: string): { text: string; origin: string } {
  if (!/^[a-z][a-z0-9-]{0,39}$/.test(id)) throw new ScenarioError('fuzz', where, `no such id "${id.slice(0, 40)}"`);
  try {
    return { text: readFileSync(file, 'utf8'), origin: file };
  } catch {
    throw new ScenarioError('fuzz', where, `no such id "${id}"`);
  }
}

/** Guardrail sets worth trying: none, each alone, all. */
export const GUARDRAIL_SETS: ReadonlyArray<readonly string[]> = [[], ...ENV_GUARDRAILS.map((g) => [g]), [...ENV_GUARDRAILS]];

/**
 * Steps a BatchEnv of `numEnvs` with the given actions and checks the invariants on every step: observations are
 * perception codes of the scenario and scalars in [0, 1], the agent stands on a walkable tile, reward,
 * performance and cost are finite (no NaN, no Infinity). A GuardrailError (a guardrail naming a behaviour the world lacks) is acceptable;
 * anything else thrown is a failure. Returns false when the guardrails did not apply.
 */
export function runChecked(s: Scenario, guardrails: readonly string[], numEnvs: number, actions: readonly number[], seed: number): boolean {
  let env: BatchEnv;
  try {
    env = new BatchEnv(s, { numEnvs, guardrails: resolveEnvGuardrails(s, guardrails) });
  } catch (e) {
    if (e instanceof GuardrailError) return false;
    throw e;
  }
  env.reset({ seed });
  const a = new Int32Array(numEnvs);
  const check = (k: number) => {
    for (let j = 0; j < env.obs.length; j++) if (env.obs[j] >= s.seenNames.length) throw new Error(`step ${k}: perception code ${env.obs[j]} ≥ ${s.seenNames.length}`);
    for (let j = 0; j < env.scalars.length; j++) {
      const v = env.scalars[j];
      if (!(v >= 0 && v <= 1)) throw new Error(`step ${k}: scalar ${s.scalarNames[j % s.scalarNames.length]} = ${v}`);
    }
    for (let i = 0; i < numEnvs; i++) {
      const tile = env.grid[i * env.cells + env.pos[i]];
      if (s.walkable[tile] !== 1) throw new Error(`step ${k}: env ${i}'s agent stands on ${s.tiles[tile]?.name ?? tile}, which is not walkable`);
      // finite, not merely not NaN: an infinite reward is as useless to a learner, and the next one may be NaN
      if (!Number.isFinite(env.reward[i]) || !Number.isFinite(env.performance[i])) throw new Error(`step ${k}: reward ${env.reward[i]}, performance ${env.performance[i]}`);
      if (Number.isNaN(env.final.return[i]) || Number.isNaN(env.final.performance[i])) throw new Error(`step ${k}: NaN episode return or performance`);
    }
    for (let j = 0; j < env.cost.length; j++) if (!Number.isFinite(env.cost[j])) throw new Error(`step ${k}: cost ${env.cost[j]}`);
  };
  check(-1);
  for (let k = 0; k < actions.length; k++) {
    for (let i = 0; i < numEnvs; i++) a[i] = actions[(k * numEnvs + i) % actions.length] % NUM_ACTIONS;
    env.step(a);
    check(k);
  }
  return true;
}
