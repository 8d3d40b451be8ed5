// The play controls: first / back / play-pause / forward / last, the scrubber, the step label and the speed.
// Owns the current frame, the playback timer and the keyboard; whoever shows frames subscribes with onFrame. The button
// label keeps one width ("play" and "pause" alike), so a second click in the same place pauses.
import { byId } from './dom.ts';
import { nextAlertFrame, type Replay } from './model.ts';

export const SPEEDS = [0.5, 1, 2, 4, 8];
/** One step per this many ms at speed 1. */
const STEP_MS = 250;

export class Player {
  frame = 0;
  frames = 0;
  playing = false;
  speed = 1;
  private timer: number | undefined;
  private readonly playButton = byId<HTMLButtonElement>('btn-play');
  private readonly scrubber = byId<HTMLInputElement>('scrubber');
  private readonly label = byId('frame-label');
  private readonly speedSelect = byId<HTMLSelectElement>('speed');

  constructor(private readonly onFrame: (frame: number) => void, private readonly onStop: () => void = () => {}) {
    this.playButton.addEventListener('click', () => this.toggle());
    byId('btn-fwd').addEventListener('click', () => this.seek(this.frame + 1));
    byId('btn-back').addEventListener('click', () => this.seek(this.frame - 1));
    byId('btn-start').addEventListener('click', () => this.seek(0));
    byId('btn-end').addEventListener('click', () => this.seek(Number.MAX_SAFE_INTEGER));
    this.scrubber.addEventListener('input', () => this.seek(Number(this.scrubber.value)));
    this.speedSelect.addEventListener('change', () => this.setSpeed(Number(this.speedSelect.value)));
  }

  /** A new episode of `frames` frames (steps + the start), shown from `frame`. */
  load(frames: number, frame = 0): void {
    this.stop();
    this.frames = frames;
    this.scrubber.max = String(Math.max(0, frames - 1));
    this.show(frame);
  }

  /** Stops playback and shows `frame` (clamped). */
  seek(frame: number): void {
    this.stop();
    this.show(frame);
  }

  private show(frame: number): void {
    if (this.frames === 0) return;
    this.frame = Math.max(0, Math.min(this.frames - 1, Math.round(frame)));
    this.scrubber.value = String(this.frame);
    // step k: the world after the k-th action (step 0: the start), as in the HUD, the timeline and the terminal
    this.label.textContent = `step ${this.frame} / ${this.frames - 1}`;
    this.onFrame(this.frame);
  }

  toggle(): void {
    if (this.playing) this.stop();
    else this.play();
  }

  play(): void {
    if (this.frames === 0) return;
    if (this.frame >= this.frames - 1) this.show(0);
    this.playing = true;
    this.playButton.textContent = 'pause';
    this.playButton.setAttribute('aria-pressed', 'true');
    const tick = () => {
      if (!this.playing) return;
      if (this.frame >= this.frames - 1) return this.stop();
      this.show(this.frame + 1);
      this.timer = window.setTimeout(tick, STEP_MS / this.speed);
    };
    this.timer = window.setTimeout(tick, STEP_MS / this.speed);
  }

  stop(): void {
    const was = this.playing;
    this.playing = false;
    if (this.timer !== undefined) window.clearTimeout(this.timer);
    this.playButton.textContent = 'play';
    this.playButton.setAttribute('aria-pressed', 'false');
    if (was) this.onStop();
  }

  setSpeed(s: number): void {
    if (!SPEEDS.includes(s)) return;
    this.speed = s;
    this.speedSelect.value = String(s);
  }

  faster(by: 1 | -1): void {
    const i = SPEEDS.indexOf(this.speed);
    this.setSpeed(SPEEDS[Math.max(0, Math.min(SPEEDS.length - 1, i + by))]);
  }

  /** No episode: the controls show nothing to play. */
  clear(): void {
    this.stop();
    this.frames = 0;
    this.frame = 0;
    this.scrubber.max = '0';
    this.scrubber.value = '0';
    this.label.textContent = 'step — / —';
  }
}

/**
 * The keyboard: space plays or pauses, ← → step, Home End, + − speed, `a` jumps to the next firewall alert of
 * the open episode. Keys typed into a field or a menu are theirs.
 */
export function bindKeys(player: Player, replay: () => Replay | null): void {
  document.addEventListener('keydown', (e) => {
    const t = e.target as HTMLElement;
    if (t.tagName === 'SELECT' || (t.tagName === 'INPUT' && (t as HTMLInputElement).type !== 'range')) return;
    if (e.key === ' ') { e.preventDefault(); player.toggle(); }
    else if (e.key === 'ArrowRight') { e.preventDefault(); player.seek(player.frame + 1); }
    else if (e.key === 'ArrowLeft') { e.preventDefault(); player.seek(player.frame - 1); }
    else if (e.key === 'Home') player.seek(0);
    else if (e.key === 'End') player.seek(Number.MAX_SAFE_INTEGER);
    else if (e.key === '+' || e.key === '=') player.faster(1);
    else if (e.key === '-') player.faster(-1);
    else if (e.key === 'a') {
      const r = replay();
      const f = r ? nextAlertFrame(r, player.frame + 1) : -1;
      if (f >= 0) player.seek(f);
    }
  });
}
