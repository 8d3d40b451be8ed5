// One board pane: the Pixi board fitted to its space, a caption naming run, checkpoint and step, and the HUD of
// the same episode. The single view has one pane; compare mode has one per run, each with its own HUD.
import { BoardView } from './board.ts';
import { elem } from './dom.ts';
import { HudView } from './hud.ts';
import { clampFrame, drawData, type Replay } from './model.ts';

/** Cell size bounds (px): readable on a laptop, not absurd on a wall. */
const MIN_CELL = 12;
const MAX_CELL = 96;

export interface PaneSource {
  /** The run's folder name, or "opened file". */
  run: string;
  /** The checkpoint's label ("checkpoint · step 1,024"); '' for opened files. */
  checkpoint: string;
  file: string;
}

export class Pane {
  private board: BoardView | null = null;
  private creating: Promise<BoardView> | null = null;
  readonly hud: HudView;
  private readonly caption: HTMLElement;
  private readonly placeholder: HTMLElement;
  replay: Replay | null = null;
  private source: PaneSource | null = null;
  private frame = 0;

  constructor(readonly root: HTMLElement, private readonly boardEl: HTMLElement, private readonly area: HTMLElement, hudEl: HTMLElement) {
    this.hud = new HudView(hudEl);
    this.caption = elem('div', '', 'caption');
    this.placeholder = elem('div', '', 'placeholder');
    this.boardEl.append(this.caption);
    this.area.append(this.placeholder);
    new ResizeObserver(() => this.fit()).observe(this.area);
  }

  /** The largest cell size at which the board fits its area, caption included. */
  private cellSize(r: Replay): number {
    const w = this.area.clientWidth - 4;
    const h = this.area.clientHeight - this.caption.offsetHeight - 6;
    const fit = Math.floor(Math.min(w / r.width, h / r.height));
    return Math.max(MIN_CELL, Math.min(MAX_CELL, Number.isFinite(fit) ? fit : MIN_CELL));
  }

  async show(replay: Replay, source: PaneSource): Promise<void> {
    this.replay = replay;
    this.source = source;
    this.placeholder.textContent = '';
    this.root.classList.remove('empty');
    this.setCaption();
    const cell = this.cellSize(replay);
    if (!this.board) {
      this.creating ??= BoardView.create(this.boardEl, replay.width, replay.height, cell);
      this.board = await this.creating;
    }
    this.board.resize(replay.width, replay.height, cell);
    this.hud.show(replay);
    this.setFrame(0);
  }

  setFrame(frame: number): void {
    if (!this.replay || !this.board) return;
    this.frame = clampFrame(this.replay, frame);
    this.board.draw(drawData(this.replay, this.frame));
    this.hud.update(this.replay.frames[this.frame]);
    this.setCaption();
  }

  private setCaption(): void {
    const r = this.replay;
    const s = this.source;
    if (!r || !s) {
      this.caption.replaceChildren();
      return;
    }
    const g = r.record.header.guardrails.names.join(', ') || 'no env guardrail';
    // text nodes only: names come from files and folders
    this.caption.replaceChildren(
      elem('div', [s.run, s.checkpoint, s.file.split('/').pop() ?? ''].filter(Boolean).join(' · '), 'cap-title'),
      // the step first on its line: a narrow board (compare mode) cuts the end of a line, never the step
      elem('div', '', 'cap-line'),
    );
    this.caption.lastElementChild!.append(
      elem('span', `step ${this.frame} / ${r.frames.length - 1}`, 'cap-step'),
      ` · ${r.scenario.id} · ${g} · ${r.outcome.reason}, return ${r.outcome.return.toFixed(1)}`,
    );
  }

  /** Refits the board to its area (window resized, compare mode toggled) and redraws the frame. */
  fit(): void {
    const r = this.replay;
    if (!r || !this.board) return;
    const cell = this.cellSize(r);
    if (cell === this.board.cell) return;
    this.board.resize(r.width, r.height, cell);
    this.setFrame(this.frame);
  }

  /** No episode on this pane: the board, caption and HUD are emptied, and `message` says why. */
  clear(message = ''): void {
    this.replay = null;
    this.source = null;
    this.board?.clear();
    this.caption.replaceChildren();
    this.hud.clear();
    this.placeholder.textContent = message;
    this.root.classList.add('empty');
  }

  get cell(): number {
    return this.board?.cell ?? 0;
  }
}
