// Draws a board with Pixi v8: cells, glyphs, the agent with its heading, this step's highlights, or a
// visitation heat map. Owns no state beyond Pixi objects: it draws the DrawData that model.ts computes.
import { Application, Container, Graphics, Text } from 'pixi.js';
import type { DrawData } from './model.ts';

export const AGENT_COLOR = 0xffffff;
export class BoardView {
  private readonly tiles = new Graphics();
  private readonly marks = new Graphics();
  private readonly agent = new Graphics();
  private readonly glyphs = new Container();
  private glyphTexts: Text[] = [];

  private constructor(readonly app: Application, readonly cell: number) {
    app.stage.addChild(this.tiles, this.glyphs, this.marks, this.agent);
  }

  static async create(parent: HTMLElement, width: number, height: number, cell = 56): Promise<BoardView> {
    const app = new Application();
    // preserveDrawingBuffer: the tests (and screenshots) read the canvas back after a frame is drawn
    await app.init({ width: width * cell, height: height * cell, background: 0x0b0e14, antialias: true, preference: 'webgl', preserveDrawingBuffer: true, autoStart: false });
    parent.replaceChildren(app.canvas);
    return new BoardView(app, cell);
  }

  resize(width: number, height: number): void {
    this.app.renderer.resize(width * this.cell, height * this.cell);
  }

  draw(d: DrawData): void {
    const c = this.cell;
    this.tiles.clear();
    for (const cell of d.cells) this.tiles.roundRect(cell.x * c + 1, cell.y * c + 1, c - 2, c - 2, 4).fill(cell.color);
    this.setGlyphs(d.cells.map((cell) => ({ x: cell.x, y: cell.y, text: cell.glyph ?? '' })));
    this.marks.clear();
    for (const h of d.highlights) {
      this.marks.roundRect(h.x * c + 3, h.y * c + 3, c - 6, c - 6, 6).stroke({ width: 4, color: h.color });
    }
    const { x, y, heading } = d.agent;
    const cx = x * c + c / 2;
    const cy = y * c + c / 2;
    const r = c * 0.3;
    // heading: up, right, down, left
    const dir = [[0, -1], [1, 0], [0, 1], [-1, 0]][heading];
    this.agent.clear();
    this.agent.circle(cx, cy, r).fill(AGENT_COLOR).stroke({ width: 2, color: 0x000000 });
    this.agent
      .poly([cx + dir[0] * (r + 9), cy + dir[1] * (r + 9), cx + dir[1] * 7 + dir[0] * r, cy - dir[0] * 7 + dir[1] * r, cx - dir[1] * 7 + dir[0] * r, cy + dir[0] * 7 + dir[1] * r])
      .fill(AGENT_COLOR);
    this.app.render();
  }

  /** A heat map: cells shaded by visits (0 … max), the map's tiles faint beneath. */
  drawHeat(d: DrawData, counts: Float64Array, max: number): void {
    const c = this.cell;
    this.tiles.clear();
    for (const cell of d.cells) {
      this.tiles.rect(cell.x * c, cell.y * c, c, c).fill({ color: cell.color, alpha: 0.35 });
      const v = max > 0 ? counts[cell.y * d.width + cell.x] / max : 0;
      if (v > 0) this.tiles.rect(cell.x * c + 2, cell.y * c + 2, c - 4, c - 4).fill({ color: 0xff3d00, alpha: 0.15 + 0.85 * v });
    }
    this.setGlyphs(d.cells.map((cell) => ({ x: cell.x, y: cell.y, text: cell.glyph ?? '' })));
    this.marks.clear();
    this.agent.clear();
    this.app.render();
  }

  private setGlyphs(items: Array<{ x: number; y: number; text: string }>): void {
    while (this.glyphTexts.length < items.length) {
      const t = new Text({ text: '', style: { fontFamily: 'monospace', fontSize: Math.round(this.cell * 0.4), fill: 0xffffff, fontWeight: 'bold' } });
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
    this.app.destroy(true, { children: true });
  }
}
