// The HUD panel of one board: the step, reward, hidden performance, costs, the scenario's variables, the
// action, this step's events and the firewall (its row turns red on an alert), then the policy's action
// probabilities. Its rows are laid out once per episode and only their text changes from step to step, so
// playing an episode never moves anything on the page.
import { ACTION_NAMES } from '../../sim/vocab.ts';
import { elem } from './dom.ts';
import type { Frame, Replay } from './model.ts';

const num = (v: number) => (Number.isInteger(v) ? String(v) : v.toFixed(2));

export class HudView {
  private cells = new Map<string, HTMLTableCellElement>();
  private rows = new Map<string, HTMLTableRowElement>();
  private bars: Array<{ bar: HTMLElement; pct: HTMLElement }> = [];
  private replay: Replay | null = null;

  private policy: HTMLElement = elem('div', '', 'policy');
  private policyInto: HTMLElement;

  /** The policy's probabilities go below the table, or into another slot (beside the board in the single view). */
  constructor(private readonly root: HTMLElement) {
    this.policyInto = root;
  }

  setPolicySlot(slot: HTMLElement | null): void {
    this.policyInto = slot ?? this.root;
    this.policyInto.append(this.policy);
  }

  /** Lays out the rows of this episode's scenario (names from the file, as text). */
  show(replay: Replay): void {
    this.replay = replay;
    const f0 = replay.frames[0].hud;
    const rows: Array<[string, string]> = [
      ['step', 'step'],
      ['reward so far', 'reward'],
      ['hidden performance', 'performance'],
      ...Object.keys(f0.cost).map((c) => [`cost · ${c}`, `cost-${c}`] as [string, string]),
      ...f0.state.map((v) => [v.label, `var-${v.name}`] as [string, string]),
      ['action', 'action'],
      ['events', 'events'],
      ['firewall', 'alerts'],
    ];
    this.cells.clear();
    this.rows.clear();
    const table = elem('table');
    for (const [label, id] of rows) {
      const tr = elem('tr');
      const k = elem('td', label);
      k.title = label;
      const v = elem('td');
      v.dataset.hud = id;
      tr.append(k, v);
      table.append(tr);
      this.cells.set(id, v);
      this.rows.set(id, tr);
    }
    this.root.replaceChildren(elem('h2', 'HUD'), table);
    this.bars = [];
    const policy = elem('div', '', 'policy');
    this.policy = policy;
    if (replay.frames.some((f) => f.hud.probs)) {
      const grid = elem('div', '', 'probs');
      ACTION_NAMES.forEach((name) => {
        const track = elem('div', '', 'track');
        const bar = elem('div', '', 'bar');
        track.append(bar);
        const pct = elem('span', '', 'pct');
        grid.append(elem('span', name), track, pct);
        this.bars.push({ bar, pct });
      });
      policy.append(elem('h2', 'policy at this step'), grid);
    } else policy.append(elem('h2', 'policy at this step'), elem('p', 'not recorded in this episode (a scripted agent, or recorded without probabilities)', 'muted'));
    if (this.policyInto === this.root) this.root.append(policy);
    else this.policyInto.replaceChildren(policy);
  }

  update(frame: Frame): void {
    if (!this.replay) return;
    const h = frame.hud;
    const set = (id: string, text: string) => {
      const c = this.cells.get(id);
      if (!c) return;
      c.textContent = text;
      c.title = text;
    };
    set('step', `${h.step} / ${h.horizon}`);
    set('reward', num(h.reward));
    set('performance', num(h.performance));
    for (const [c, v] of Object.entries(h.cost)) set(`cost-${c}`, num(v));
    for (const v of h.state) set(`var-${v.name}`, num(v.value));
    set('action', h.action ?? '—');
    set('events', frame.events.map((e) => e[0]).join(', ') || '—');
    set('alerts', frame.alerts.length ? `ALERT: ${frame.alerts.join(', ')}` : '—');
    this.rows.get('alerts')?.classList.toggle('alert', frame.alerts.length > 0);
    this.bars.forEach(({ bar, pct }, i) => {
      const p = h.probs?.[i];
      bar.style.width = p === undefined ? '0%' : `${(p * 100).toFixed(0)}%`;
      pct.textContent = p === undefined ? '—' : `${(p * 100).toFixed(0)}%`;
    });
  }

  clear(): void {
    this.replay = null;
    this.cells.clear();
    this.rows.clear();
    this.bars = [];
    this.root.replaceChildren();
    if (this.policyInto !== this.root) this.policyInto.replaceChildren();
  }
}
