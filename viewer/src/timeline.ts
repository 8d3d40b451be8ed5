// The timeline under the board: the episode's notable events on one lane, firewall alerts on their own lane,
// a playhead, and a colour key naming every kind of mark shown. A click on a mark seeks to its step.
import { elem, swatch } from './dom.ts';
import { ALERT_CSS, eventColour, type Replay } from './model.ts';

/** Horizontal position (%) of a frame on the timeline. */
export function framePos(frame: number, frames: number): number {
  const n = Math.max(1, frames - 1);
  return 4 + (92 * frame) / n;
}

export class TimelineView {
  private frames = 1;

  constructor(private readonly root: HTMLElement, private readonly key: HTMLElement, private readonly seek: (frame: number) => void) {}

  show(r: Replay): void {
    this.frames = r.frames.length;
    this.root.replaceChildren();
    for (const [lane, top, label] of [['events', 8, 'events'], ['firewall', 38, 'firewall alerts']] as const) {
      const l = elem('div', label, `lane-label ${lane}`);
      l.style.top = `${top - 6}px`;
      this.root.append(l);
      for (const item of r.timeline.filter((i) => i.lane === lane)) {
        const m = elem('button', '', `mark ${lane}`);
        m.dataset.frame = String(item.frame);
        m.dataset.kind = item.kind;
        m.title = item.label;
        m.setAttribute('aria-label', item.label);
        m.style.left = `${framePos(item.frame, this.frames)}%`;
        m.style.top = `${top + 8}px`;
        if (lane === 'events') m.style.background = eventColour(r.scenario, item.kind);
        m.addEventListener('click', () => this.seek(item.frame));
        this.root.append(m);
      }
    }
    this.root.append(elem('div', '', 'playhead'));
    // the key: each kind of event mark present, in timeline order, then the alert mark (always: its absence says something too)
    const kinds = [...new Set(r.timeline.filter((i) => i.lane === 'events').map((i) => i.kind))];
    const items: HTMLElement[] = [elem('span', 'key:', 'key-title')];
    for (let i = 0; i < kinds.length; i++) items.push(elem('span', '', 'key-item'));
    this.key.replaceChildren(...items);
    kinds.forEach((k, i) => items[i + 1].append(...swatch(eventColour(r.scenario, k), k)));
    const alerts = r.timeline.filter((i) => i.lane === 'firewall').length;
    const al = elem('span', '', 'key-item alert');
    al.append(...swatch(ALERT_CSS, `firewall alert (${alerts} in this episode)`));
    this.key.append(al);
  }

  setFrame(frame: number): void {
    const ph = this.root.querySelector<HTMLElement>('.playhead');
    if (ph) ph.style.left = `${framePos(frame, this.frames)}%`;
  }

  clear(): void {
    this.root.replaceChildren();
    this.key.replaceChildren();
  }
}
