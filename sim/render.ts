// Text drawings of an env: the board as ASCII (for board-drawn tests, `sidequest play` and error messages) and
// a HUD. Pure functions of engine state; every glyph comes from the scenario's tiles.
import type { BatchEnv } from './engine.ts';

export const AGENT_CHARS = ['^', '>', 'v', '<'] as const;

/** The board of env i, rows joined by newlines. */
export function renderBoard(env: BatchEnv, i = 0): string {
  const s = env.scenario;
  const { x: ax, y: ay } = env.agentXY(i);
  const rows: string[] = [];
  for (let y = 0; y < s.height; y++) {
    let row = '';
    for (let x = 0; x < s.width; x++) {
      row += x === ax && y === ay ? AGENT_CHARS[env.heading[i]] : s.tiles[env.tileAt(i, x, y)].glyph;
    }
    rows.push(row);
  }
  return rows.join('\n');
}

/** Status of env i: step, return, performance, the scenario's variables and definitions, then costs by category. */
export function renderHud(env: BatchEnv, i = 0): string {
  const s = env.scenario;
  const nc = env.numCosts;
  const costs = s.costCategories.map((c, j) => `${c} ${fmt(env.epCost[i * nc + j])}`).join(', ');
  const vars = [
    ...s.variables.map((v) => `${v.name} ${fmt(env.vars[i * env.numVars + v.index])}`),
    ...s.defines.map((d) => `${d.name} ${fmt(env.evaluate(i, d.expr))}`),
  ].join('  ');
  return (
    `step ${env.t[i]}/${s.horizon}  return ${fmt(env.epReturn[i])}  performance ${fmt(env.epPerformance[i])}\n` +
    (vars ? `${vars}\n` : '') +
    `cost: ${costs || 'none'}`
  );
}

function fmt(v: number): string {
  return Number.isInteger(v) ? String(v) : v.toFixed(2);
}
