// A small episode player for the lesson's boards: one board, a caption, and step / play / jump-to-alert, over the
// replay model (model.ts) the viewer uses, so an episode shown here is parsed, re-simulated and checked as in
// the replay viewer. Captions go in with textContent.
import { BoardView } from '../board.ts';
import { clampFrame, drawData, nextAlertFrame, type Replay } from '../model.ts';

const FPS = 8;

export class MiniPlayer {
  private board: BoardView | null = null;
  private replay: Replay | null = null;
  private label = '';
  private timer: ReturnType<typeof setInterval> | null = null;
  frame = 0;

  constructor(
    private readonly host: HTMLElement,
    private readonly caption: HTMLElement,
    private readonly cell = 40,
  ) {}

  async show(replay: Replay, label: string, frame = 0): Promise<void> {
    this.pause();
    if (!this.board) this.board = await BoardView.create(this.host, replay.width, replay.height, this.cell);
    else this.board.resize(replay.width, replay.height);
    this.replay = replay;
    this.label = label;
    this.seek(frame);
  }

  get shown(): Replay | null {
    return this.replay;
  }

  seek(frame: number): void {
    const r = this.replay;
    if (!r || !this.board) return;
    this.frame = clampFrame(r, frame);
    this.board.draw(drawData(r, this.frame));
    const f = r.frames[this.frame];
    const ev = f.events.map((e) => e[0]).join(', ');
    this.caption.textContent = `${this.label} · step ${f.hud.step}/${f.hud.horizon} · return ${f.hud.reward.toFixed(2)}${ev ? ` · ${ev}` : ''}${f.alerts.length ? ' · FIREWALL ALERT' : ''}`;
    this.caption.classList.toggle('alert', f.alerts.length > 0);
  }

  step(d: number): void {
    this.pause();
    this.seek(this.frame + d);
  }

  /** The first alert at or after the next frame (wrapping to the first), or -1 when the episode has none. */
  nextAlert(): number {
    const r = this.replay;
    if (!r) return -1;
    const f = nextAlertFrame(r, this.frame + 1);
    const at = f >= 0 ? f : nextAlertFrame(r, 0);
    if (at >= 0) {
      this.pause();
      this.seek(at);
    }
    return at;
  }

  /** Plays from the start; `loop` starts over at the end (the compare boards keep playing). */
  play(loop = false): void {
    this.pause();
    this.seek(0);
    this.timer = setInterval(() => {
      const r = this.replay;
      if (!r) return this.pause();
      if (this.frame < r.frames.length - 1) this.seek(this.frame + 1);
      else if (loop) this.seek(0);
      else this.pause();
    }, 1000 / FPS);
  }

  pause(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }
}
