// Draws a board with Pixi v8: cells, glyphs, the agent with its heading, this step's highlights, a flash on the
// cells of this step's firewall alerts, or a visitation heat map. Owns no state beyond Pixi objects and its cell
// size: it draws the DrawData that model.ts computes.
import { Application, Container, Graphics, Text } from 'pixi.js';
import { ALERT_COLOUR, heatColour, type DrawData } from './model.ts';

export const AGENT_COLOR = 0xffffff;
/** How long an alert flashes (ms), and how many times it blinks meanwhile. */
const FLASH_MS = 1200;
const FLASH_BLINKS = 3;

export class BoardView {
  private readonly tiles = new Graphics();
  private readonly marks = new Graphics();
  private readonly agent = new Graphics();
  private readonly flash = new Graphics();
  private readonly glyphs = new Container();
  private glyphTexts: Text[] = [];
  private flashTimer = 0;
  private width = 0;
  private height = 0;

  private constructor(readonly app: Application, public cell: number) {
    // the flash under the agent: the agent stays visible on an alert cell
    app.stage.addChild(this.tiles, this.glyphs, this.marks, this.flash, this.agent);
  }

  static async create(parent: HTMLElement, width: number, height: number, cell = 56): Promise<BoardView> {
    const app = new Application();
    // preserveDrawingBuffer: the tests (and screenshots) read the canvas back after a frame is drawn
    await app.init({ width: width * cell, height: height * cell, background: 0x0b0e14, antialias: true, preference: 'webgl', preserveDrawingBuffer: true, autoStart: false });
    parent.prepend(app.canvas);
    const view = new BoardView(app, cell);
    view.width = width;
    view.height = height;
    return view;
  }

  /** Board size in cells, and the size of a cell in pixels (the page fits the board to its space). */
  resize(width: number, height: number, cell = this.cell): void {
    if (cell !== this.cell) {
      // glyphs are sized by the cell: made again at the new size
      for (const t of this.glyphTexts) t.destroy();
      this.glyphTexts = [];
      this.glyphs.removeChildren();
    }
    this.cell = cell;
    this.width = width;
    this.height = height;
    this.app.renderer.resize(width * cell, height * cell);
  }

  draw(d: DrawData): void {
    const c = this.cell;
    this.tiles.clear();
    for (const cell of d.cells) this.tiles.roundRect(cell.x * c + 1, cell.y * c + 1, c - 2, c - 2, 4).fill(cell.color);
    this.setGlyphs(d.cells.map((cell) => ({ x: cell.x, y: cell.y, text: cell.glyph ?? '' })));
    this.marks.clear();
    for (const h of d.highlights) {
      this.marks.roundRect(h.x * c + 3, h.y * c + 3, c - 6, c - 6, 6).stroke({ width: Math.max(2, c / 14), color: h.color });
    }
    const { x, y, heading } = d.agent;
    const cx = x * c + c / 2;
    const cy = y * c + c / 2;
    const r = c * 0.3;
    const tip = c * 0.16;
    const half = c * 0.125;
    // heading: up, right, down, left
    const dir = [[0, -1], [1, 0], [0, 1], [-1, 0]][heading];
    this.agent.clear();
    this.agent.circle(cx, cy, r).fill(AGENT_COLOR).stroke({ width: 2, color: 0x000000 });
    this.agent
      .poly([cx + dir[0] * (r + tip), cy + dir[1] * (r + tip), cx + dir[1] * half + dir[0] * r, cy - dir[0] * half + dir[1] * r, cx - dir[1] * half + dir[0] * r, cy + dir[0] * half + dir[1] * r])
      .fill(AGENT_COLOR);
    this.startFlash(d);
    this.app.render();
  }

  /**
   * Alerts are meant to be unmissable: the alert cells (or the whole border, for an alert with no cell) get a
   * red frame for as long as the step is shown, and a red fill that blinks a few times when the step is reached.
   */
  private startFlash(d: DrawData): void {
    window.clearTimeout(this.flashTimer);
    const c = this.cell;
    const w = Math.max(4, Math.round(c / 9));
    // the outline stays while the frame is shown; the fill blinks over it
    const paint = (fill: boolean) => {
      this.flash.clear();
      for (const a of d.alerts) {
        if (fill) this.flash.rect(a.x * c, a.y * c, c, c).fill({ color: ALERT_COLOUR, alpha: 0.55 });
        this.flash.rect(a.x * c + w / 2, a.y * c + w / 2, c - w, c - w).stroke({ width: w, color: ALERT_COLOUR });
      }
      if (d.alertOffBoard) this.flash.rect(w / 2, w / 2, d.width * c - w, d.height * c - w).stroke({ width: w, color: ALERT_COLOUR });
    };
    paint(true);
    if (!d.alerts.length && !d.alertOffBoard) return;
    let phase = 0;
    const tick = () => {
      phase++;
      const last = phase >= FLASH_BLINKS * 2;
      paint(!last && phase % 2 === 0);
      this.app.render();
      if (!last) this.flashTimer = window.setTimeout(tick, FLASH_MS / (FLASH_BLINKS * 2));
    };
    this.flashTimer = window.setTimeout(tick, FLASH_MS / (FLASH_BLINKS * 2));
  }

  /** A heat map: visited cells in the scale's colour (0 … max visits), the map's tiles faint beneath. */
  drawHeat(d: DrawData, counts: Float64Array, max: number, varying?: Uint8Array): void {
    const c = this.cell;
    this.tiles.clear();
    for (const cell of d.cells) {
      this.tiles.rect(cell.x * c, cell.y * c, c, c).fill({ color: cell.color, alpha: 0.35 });
      const v = max > 0 ? counts[cell.y * d.width + cell.x] / max : 0;
      if (v > 0) this.tiles.rect(cell.x * c + 2, cell.y * c + 2, c - 4, c - 4).fill({ color: heatColour(v), alpha: 0.9 });
    }
    this.setGlyphs(d.cells.map((cell) => ({ x: cell.x, y: cell.y, text: cell.glyph ?? '' })));
    this.marks.clear();
    // cells whose layout differs between the episodes: a dashed-looking white outline (four short strokes)
    if (varying) {
      for (const cell of d.cells) {
        if (!varying[cell.y * d.width + cell.x]) continue;
        const x0 = cell.x * c + 3;
        const y0 = cell.y * c + 3;
        const s = c - 6;
        for (const [ax, ay, bx, by] of [[0, 0, s / 3, 0], [2 * s / 3, 0, s, 0], [0, s, s / 3, s], [2 * s / 3, s, s, s], [0, 0, 0, s / 3], [0, 2 * s / 3, 0, s], [s, 0, s, s / 3], [s, 2 * s / 3, s, s]]) {
          this.marks.moveTo(x0 + ax, y0 + ay).lineTo(x0 + bx, y0 + by);
        }
        this.marks.stroke({ width: 2, color: 0xffffff });
      }
    }
    this.agent.clear();
    this.flash.clear();
    this.app.render();
  }

  /** Nothing on the board (after a failed open: the previous episode must not stay on screen). */
  clear(): void {
    window.clearTimeout(this.flashTimer);
    for (const g of [this.tiles, this.marks, this.agent, this.flash]) g.clear();
    this.setGlyphs([]);
    this.app.render();
  }

  private setGlyphs(items: Array<{ x: number; y: number; text: string }>): void {
    while (this.glyphTexts.length < items.length) {
      const t = new Text({ text: '', style: { fontFamily: 'monospace', fontSize: Math.max(8, Math.round(this.cell * 0.4)), fill: 0xffffff, fontWeight: 'bold' } });
      t.anchor.set(0.5);
      this.glyphs.addChild(t);
      this.glyphTexts.push(t);
    }
    this.glyphTexts.forEach((t, i) => {
      const it = items[i];
      t.visible = !!it && it.text !== '';
      if (!it) return;
      t.text = it.text;
      t.position.set(it.x * this.cell + this.cell / 2, it.y * this.cell + this.cell / 2);
    });
  }

  destroy(): void {
    window.clearTimeout(this.flashTimer);
    this.app.destroy(true, { children: true });
  }
}
