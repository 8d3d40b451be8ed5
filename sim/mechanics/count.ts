// Plug-in `count`: how many cells of the map hold one of some tiles, kept in a variable (at the episode start
// and after every step). Formulas cannot count over the grid, by design (docs/scenarios.md); a world whose
// reward counts things — rocks and diamonds in a goal area — reads the count from this variable instead. The
// variable is ordinary state: rules read it (a beforeAction rule sees the count as the previous step left it),
// and hashes and snapshots cover it.
import { z } from 'zod';
import type { MechanicDefinition } from './index.ts';

const options = z.strictObject({
  tiles: z.array(z.string()).min(1).max(64).describe('the tiles counted'),
  variable: z.string().describe('the variable that holds the count'),
});

export const count: MechanicDefinition<z.infer<typeof options>> = {
  name: 'count',
  summary: 'count: { tiles, variable }',
  options,
  compile(o, names, where) {
    const codes = o.tiles.map((t, k) => names.tileCode(t, `${where}.tiles[${k}]`));
    const variable = names.varIndex(o.variable);
    if (variable < 0) names.fail(`${where}.variable`, `expected a declared variable, found "${o.variable}"`);
    return {
      name: 'count',
      maxEventsPerStep: 0,
      makes: [],
      create(host) {
        const counted = new Uint8Array(256);
        for (const c of codes) if (c !== 0) counted[c] = 1; // never the padding
        const pw = host.paddedWidth;
        const r = host.radius;
        const width = pw - 2 * r;
        const height = host.cells / pw - 2 * r;
        const tally = (i: number): void => {
          const base = i * host.cells;
          let n = 0;
          for (let y = 0; y < height; y++) {
            for (let c = base + (y + r) * pw + r, last = c + width; c < last; c++) n += counted[host.grid[c]];
          }
          host.setVariable(i, variable, n);
        };
        return {
          begin: tally,
          afterRules(i: number): number {
            tally(i);
            return 0;
          },
        };
      },
    };
  },
};
