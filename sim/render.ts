// Text drawings of an env: the board as ASCII (for board-drawn tests, `sidequest play` and error messages) and
// a HUD. Pure functions of engine state; every glyph comes from the scenario's tiles.
import type { BatchEnv } from './engine.ts';
import type { Scenario } from './scenario.ts';
import { Effect } from './rules.ts';

export const AGENT_CHARS = ['^', '>', 'v', '<'] as const;

/**
 * Tile codes a scenario can put on the board, void excepted: its maps and placements, then (to a fixed point) what
 * the rules that can fire turn tiles into — a rule about a tile that never appears cannot fire.
 */
export function boardTiles(s: Scenario): number[] {
  const used = new Set<number>();
  for (const m of s.maps) for (const c of m.grid) used.add(c);
  for (const p of s.placements) if (p.count > 0) used.add(p.tile);
  for (const m of s.mechanics) for (const t of m.makes) used.add(t);
  const r = s.rules;
  const made = (e: number) => (r.effOp[e] === Effect.replace ? r.effA[e] : r.effOp[e] === Effect.push || r.effOp[e] === Effect.replaceAll ? r.effB[e] : -1);
  for (let grew = true; grew; ) {
    grew = false;
    for (let rule = 0; rule < r.trigger.length; rule++) {
      const onTile = r.trigger[rule] <= 2; // interact, enter, bump
      if (onTile && ![...used].some((t) => r.ruleMatchesTile(rule, t))) continue;
      for (let e = r.effStart[rule]; e < r.effEnd[rule]; e++) {
        const t = made(e);
        if (t >= 0 && !used.has(t)) {
          used.add(t);
          grew = true;
        }
        if (r.effOp[e] !== Effect.push) continue;
        // what a pushed tile becomes where it lands
        const nt = s.tiles.length;
        for (let k = 0; k < nt; k++) {
          const b = r.pushBecome[r.effA[e] * nt + k];
          if (b >= 0 && !used.has(b)) {
            used.add(b);
            grew = true;
          }
        }
      }
    }
  }
  used.delete(0);
  return [...used].sort((a, b) => a - b);
}

/** The terminal's legend: each board tile's glyph and label, from the scenario, then the agent. */
export function renderLegend(s: Scenario): string {
  return [...boardTiles(s).map((c) => `${s.tiles[c].glyph} ${s.tiles[c].label}`), '^>v< you'].join(' · ');
}

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
