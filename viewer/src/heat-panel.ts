// The heat map panel: where the agent went over a checkpoint's recorded episodes, on a board of its own with a
// colour scale, and a note that says how many episodes it counts and where their layouts differ (random
// placements), so the map beneath is never passed off as every episode's.
import { BoardView } from './board.ts';
import { elem } from './dom.ts';
import { heatColour, heatDrawData, heatMap, type HeatMap, type Replay } from './model.ts';

const HEAT_CELL = 48;

export class HeatPanel {
  private board: BoardView | null = null;
  last: HeatMap | null = null;

  constructor(private readonly boardEl: HTMLElement, private readonly scaleEl: HTMLElement, private readonly noteEl: HTMLElement) {}

  /** @param notCounted episodes of the checkpoint beyond the ones given (the app counts a bounded number) */
  async show(open: Replay, replays: readonly Replay[], notCounted = 0): Promise<void> {
    const h = heatMap(open, replays);
    this.last = h;
    const cell = Math.max(16, Math.min(HEAT_CELL, Math.floor(520 / Math.max(h.width, h.height))));
    if (!this.board) this.board = await BoardView.create(this.boardEl, h.width, h.height, cell);
    else this.board.resize(h.width, h.height, cell);
    this.board.drawHeat(heatDrawData(open, h), h.counts, h.max, h.varying);
    this.renderScale(h.max);
    const notes = [`${h.episodes} episode${h.episodes === 1 ? '' : 's'} counted, ${h.counts.reduce((a, b) => a + b, 0)} agent positions (one per frame).`];
    if (h.varyingCells) notes.push(`Their layouts differ in ${h.varyingCells} cell${h.varyingCells === 1 ? '' : 's'} (dashed outline): each cell shows its most frequent starting tile.`);
    else if (h.episodes > 1) notes.push('All of them start from the same layout.');
    if (notCounted > 0) notes.push(`The checkpoint lists ${notCounted} more episode${notCounted === 1 ? '' : 's'}, not read for the map (it reads a bounded number).`);
    if (h.leftOut) notes.push(`${h.leftOut} episode${h.leftOut === 1 ? '' : 's'} of another scenario or board size left out.`);
    this.noteEl.textContent = notes.join(' ');
  }

  private renderScale(max: number): void {
    const bar = elem('div', '', 'scale-bar');
    const stops = Array.from({ length: 6 }, (_, i) => `#${heatColour(i / 5).toString(16).padStart(6, '0')}`);
    bar.style.background = `linear-gradient(to right, ${stops.join(', ')})`;
    const mid = max > 1 ? String(Math.round(max / 2)) : '';
    const labels = elem('div', '', 'scale-labels');
    labels.append(elem('span', '1 visit'), elem('span', mid), elem('span', `${max} visits`));
    this.scaleEl.replaceChildren(elem('span', 'visits per cell', 'muted'), bar, labels);
  }

  /** The checkpoint's episodes are being counted: the old map's note must not pass for the new one. */
  pending(): void {
    this.noteEl.textContent = "counting this checkpoint's episodes…";
  }

  clear(message = ''): void {
    this.last = null;
    this.board?.clear();
    this.scaleEl.replaceChildren();
    this.noteEl.textContent = message;
  }
}
