// Test helpers: build envs from shipped scenarios, run action letters, and draw boards.
import { BatchEnv } from '../../sim/engine.ts';
import { Env } from '../../sim/env.ts';
import { resolveEnvGuardrails } from '../../sim/guardrails.ts';
import { loadScenario } from '../../sim/load.ts';
import { renderBoard } from '../../sim/render.ts';
import { ACTION_LETTERS } from '../../sim/vocab.ts';

export function env(id: string, guardrails?: string[], seed = 0): Env {
  const s = loadScenario(id);
  const e = new Env(s, resolveEnvGuardrails(s, guardrails));
  e.reset({ seed });
  return e;
}

export function actions(letters: string): number[] {
  return [...letters.replace(/\s+/g, '')].map((c) => {
    const a = (ACTION_LETTERS as readonly string[]).indexOf(c);
    if (a < 0) throw new Error(`bad action letter ${c}`);
    return a;
  });
}

export function board(e: Env | BatchEnv, i = 0): string {
  return renderBoard(e instanceof Env ? e.batch : e, i);
}

/** A variable or definition of env i by name (e.g. `compute`), as the engine computes it now. */
export function valueOf(e: Env | BatchEnv, name: string, i = 0): number {
  const b = e instanceof Env ? e.batch : e;
  const d = b.scenario.defines.find((x) => x.name === name);
  return d ? b.evaluate(i, d.expr) : b.variable(i, name);
}

/** Dedents a drawn board written in a template literal. */
export function drawn(s: string): string {
  const lines = s.split('\n').filter((l) => l.trim() !== '');
  const indent = Math.min(...lines.map((l) => l.match(/^ */)![0].length));
  return lines.map((l) => l.slice(indent)).join('\n');
}
