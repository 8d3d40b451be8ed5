// Plug-in `patrol`: tiles that move by themselves, one cell per step, back and forth along a line (a guard on
// its round, a conveyor's load, a drifting hazard). Data cannot say "every tile of this kind moves", so this is
// a mechanic. The direction is carried by the tile itself (one tile kind per direction), so the grid remains the
// whole state. A patroller moves onto a tile of `over` (leaving `leave` behind); when blocked — by anything
// else, or by the agent — it turns into its reverse tile and, if `touch` is set, blocking on the agent emits
// that event.
import { z } from 'zod';
import type { MechanicDefinition } from './index.ts';

const options = z.strictObject({
  forward: z.string().describe('the tile moving in +direction (east or south)'),
  back: z.string().describe('the tile moving in -direction (west or north)'),
  axis: z.enum(['horizontal', 'vertical']),
  over: z.array(z.string()).min(1).describe('tiles a patroller may move onto'),
  leave: z.string().describe('what a patroller leaves behind'),
  touch: z.string().optional().describe('event emitted when the agent blocks a patroller'),
});

export const patrol: MechanicDefinition<z.infer<typeof options>> = {
  name: 'patrol',
  summary: 'patrol: { forward, back, axis, over, leave, touch? }',
  options,
  compile(o, names, where) {
    const forward = names.tileCode(o.forward, `${where}.forward`);
    const back = names.tileCode(o.back, `${where}.back`);
    // void pads every env's grid: patrolling void would move the padding, and its moves would cross into the
    // neighbouring env's cells (or out of the grid)
    if (forward === 0) names.fail(`${where}.forward`, 'expected a tile of the map, found "void" (the padding around the map can not patrol)');
    if (back === 0) names.fail(`${where}.back`, 'expected a tile of the map, found "void" (the padding around the map can not patrol)');
    if (forward === back) names.fail(`${where}.back`, `expected a tile other than forward's, found "${o.back}"`);
    const overCodes = o.over.map((t, k) => names.tileCode(t, `${where}.over[${k}]`));
    if (overCodes.includes(0)) names.fail(`${where}.over`, 'expected tiles of the map, found "void" (a patroller may not leave the map)');
    const leave = names.tileCode(o.leave, `${where}.leave`);
    // a walkable patroller can carry the agent's cell away from under it: what it leaves must be walkable too
    if ((names.walkable(forward) || names.walkable(back)) && !names.walkable(leave)) {
      names.fail(`${where}.leave`, `expected a walkable tile (the agent may stand on a walkable patroller), found "${o.leave}"`);
    }
    const touch = o.touch === undefined ? -1 : names.eventCode(o.touch, `${where}.touch`);
    return {
      name: 'patrol',
      maxEventsPerStep: 64,
      makes: [forward, back, leave],
      create(host) {
        const over = new Uint8Array(256);
        for (const c of overCodes) over[c] = 1;
        // cells to move this step, collected first so a moved patroller is not moved twice
        const movers = new Int32Array(host.cells);
        const stride = o.axis === 'horizontal' ? 1 : host.paddedWidth;
        return {
          afterRules(i: number): number {
            const base = i * host.cells;
            const g = host.grid;
            let n = 0;
            for (let c = 0; c < host.cells; c++) {
              const t = g[base + c];
              if (t === forward || t === back) movers[n++] = c;
            }
            let reason = 0;
            let touches = 0;
            for (let k = 0; k < n; k++) {
              const c = movers[k];
              const t = g[base + c];
              const to = t === forward ? c + stride : c - stride;
              const onAgent = to === host.pos[i];
              if (!onAgent && over[g[base + to]]) {
                host.setTile(i, to, t);
                host.setTile(i, c, leave);
              } else {
                host.setTile(i, c, t === forward ? back : forward);
                if (onAgent && touch >= 0 && touches < 32) {
                  touches++;
                  const r = host.emit(i, touch, 1, c);
                  if (reason === 0) reason = r;
                }
              }
            }
            return reason;
          },
        };
      },
    };
  },
};
