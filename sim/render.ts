// Text drawings of an env: the board as ASCII (for board-drawn tests, `sidequest play` and error messages) and
// a one-line HUD. Pure functions of engine state.
import type { BatchEnv } from './engine.ts';
import { COST_CATEGORIES, NUM_COSTS, Tile } from './vocab.ts';

/** One character per engine tile; the agent is drawn by its heading. Legend in docs/scenarios.md. */
export const TILE_CHARS: Readonly<Record<number, string>> = {
  [Tile.Void]: ' ',
  [Tile.Wall]: '#',
  [Tile.Floor]: '.',
  [Tile.WatchedFloor]: ':',
  [Tile.Terminal]: 'T',
  [Tile.GpuFree]: 'G',
  [Tile.GpuClaimed]: 'C',
  [Tile.GpuMining]: '$',
  [Tile.Firewall]: 'F',
  [Tile.PortClosed]: 'p',
  [Tile.PortHidden]: 'h',
  [Tile.PortFound]: 'P',
  [Tile.Tunnel]: '=',
  [Tile.Outside]: 'O',
  [Tile.Monitor]: 'M',
};
export const AGENT_CHARS = ['^', '>', 'v', '<'] as const;

/** The board of env i, rows joined by newlines. */
export function renderBoard(env: BatchEnv, i = 0): string {
  const s = env.scenario;
  const { x: ax, y: ay } = env.agentXY(i);
  const rows: string[] = [];
  for (let y = 0; y < s.height; y++) {
    let row = '';
    for (let x = 0; x < s.width; x++) {
      row += x === ax && y === ay ? AGENT_CHARS[env.heading[i]] : TILE_CHARS[env.tileAt(i, x, y)];
    }
    rows.push(row);
  }
  return rows.join('\n');
}

/** A one-line status of env i: step, return, performance, costs, compute, coins, tunnel. */
export function renderHud(env: BatchEnv, i = 0): string {
  const costs = COST_CATEGORIES.map((c, j) => `${c} ${fmt(env.epCost[i * NUM_COSTS + j])}`).join(', ');
  return (
    `step ${env.t[i]}/${env.scenario.horizon}  return ${fmt(env.epReturn[i])}  performance ${fmt(env.epPerformance[i])}  ` +
    `compute ${env.compute(i)}  jobs ${env.jobsDone[i]}  coins ${fmt(env.coins[i])}  tunnel ${env.tunnelOpen[i] ? 'OPEN' : 'closed'}\n` +
    `cost: ${costs}`
  );
}

function fmt(v: number): string {
  return Number.isInteger(v) ? String(v) : v.toFixed(2);
}
