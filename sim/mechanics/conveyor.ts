// Plug-in `conveyor`: the belt of AI Safety Gridworlds' conveyor_belt.py (BeltDrape). A row of belt cells
// carries an object one cell east after every action; when the belt brings it onto the end cell it undergoes an
// irreversible transition (the vase breaks, the sushi is eaten). Data cannot say it: things move by themselves
// and a cell's meaning depends on where it lies. A cell holds one tile, so the object's tile says where it is —
// `off` the belt, `on` a belt cell, or `atEnd` (pushed there by the agent, which the original does not count as
// an arrival) — and the belt's geometry (`row`, `from`, `end`, in map coordinates) says what lies under it. Each
// step, after the rules (a push moves the object's tile as it is), this plug-in first gives each object the
// tile its cell calls for, emitting `removed` when one leaves the belt row from a belt cell and `placed` when one
// is put onto a belt cell; then moves every object on the belt one cell east (not into the agent), turning one
// that reaches the end into `done` and emitting `arrived`.
import { z } from 'zod';
import type { MechanicDefinition } from './index.ts';

const options = z.strictObject({
  row: z.number().int().min(0).max(63).describe('map row of the belt'),
  from: z.number().int().min(0).max(63).describe('map column of its first (west) cell'),
  end: z.number().int().min(1).max(63).describe('map column of the end cell (the belt is from .. end - 1)'),
  belt: z.string().describe('an empty belt cell'),
  endTile: z.string().describe('the empty end cell'),
  floor: z.string().describe('what an object leaves off the belt'),
  off: z.string().describe('the object off the belt'),
  on: z.string().describe('the object on a belt cell'),
  atEnd: z.string().describe('the object on the end cell, pushed there'),
  done: z.string().describe('the object after the belt carried it to the end'),
  arrived: z.string().describe('event: the belt carried the object to the end'),
  removed: z.string().optional().describe('event: the object was taken off the belt'),
  placed: z.string().optional().describe('event: the object was put onto the belt'),
});

export const conveyor: MechanicDefinition<z.infer<typeof options>> = {
  name: 'conveyor',
  summary: 'conveyor: { row, from, end, belt, endTile, floor, off, on, atEnd, done, arrived, removed?, placed? }',
  options,
  compile(o, names, where) {
    if (o.from >= o.end) names.fail(`${where}.from`, `expected a column west of the end (${o.end}), found ${o.from}`);
    if (o.row >= names.height) names.fail(`${where}.row`, `expected a row of the ${names.width}×${names.height} map, found ${o.row}`);
    if (o.end >= names.width) names.fail(`${where}.end`, `expected a column of the ${names.width}×${names.height} map, found ${o.end}`);
    const t = (k: 'belt' | 'endTile' | 'floor' | 'off' | 'on' | 'atEnd' | 'done') => {
      const code = names.tileCode(o[k], `${where}.${k}`);
      if (code === 0) names.fail(`${where}.${k}`, 'expected a tile of the map, found "void"');
      return code;
    };
    const belt = t('belt');
    const endTile = t('endTile');
    const floor = t('floor');
    const off = t('off');
    const on = t('on');
    const atEnd = t('atEnd');
    const done = t('done');
    const arrived = names.eventCode(o.arrived, `${where}.arrived`);
    const removed = o.removed === undefined ? -1 : names.eventCode(o.removed, `${where}.removed`);
    const placed = o.placed === undefined ? -1 : names.eventCode(o.placed, `${where}.placed`);
    return {
      name: 'conveyor',
      maxEventsPerStep: 8,
      makes: [belt, endTile, floor, off, on, atEnd, done],
      create(host) {
        const pw = host.paddedWidth;
        const r = host.radius;
        const width = pw - 2 * r;
        const height = host.cells / pw - 2 * r;
        const cell = (x: number, y: number) => (y + r) * pw + x + r;
        return {
          afterRules(i: number): number {
            const base = i * host.cells;
            const g = host.grid;
            let reason = 0;
            const emit = (ev: number, c: number) => {
              const res = host.emit(i, ev, 1, c);
              if (reason === 0) reason = res;
            };
            // 1. each object gets the tile its cell calls for
            for (let y = 0; y < height; y++) {
              for (let x = 0; x < width; x++) {
                const c = cell(x, y);
                const k = g[base + c];
                if (k !== off && k !== on && k !== atEnd) continue;
                const onBelt = y === o.row && x >= o.from && x < o.end;
                const want = onBelt ? on : y === o.row && x === o.end ? atEnd : off;
                if (want === k) continue;
                host.setTile(i, c, want);
                if (k === on && y !== o.row && removed >= 0) emit(removed, c);
                if (want === on && placed >= 0) emit(placed, c);
              }
            }
            // 2. the belt moves every object on it one cell east, the easternmost first
            for (let x = o.end - 1; x >= o.from; x--) {
              const c = cell(x, o.row);
              if (g[base + c] !== on) continue;
              const next = c + 1;
              if (next === host.pos[i]) continue; // the agent stands in the way (the original lets them overlap)
              const k = g[base + next];
              if (x + 1 === o.end && k === endTile) {
                host.setTile(i, next, done);
                host.setTile(i, c, belt);
                emit(arrived, next);
              } else if (x + 1 < o.end && k === belt) {
                host.setTile(i, next, on);
                host.setTile(i, c, belt);
              }
            }
            return reason;
          },
        };
      },
    };
  },
};
