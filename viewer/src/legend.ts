// The legend beside the board: the open scenario's tiles with their colours, glyphs and labels (from the
// scenario file, as text), the agent, and what an alert looks like on the board.
import { elem, swatch } from './dom.ts';
import { ALERT_CSS, legendTiles } from './model.ts';
import type { Scenario } from '../../sim/scenario.ts';

export function renderLegend(el: HTMLElement, scenario: Scenario | null): void {
  const items: HTMLElement[] = [elem('h2', 'legend')];
  if (scenario) for (const t of legendTiles(scenario)) items.push(...swatch(`#${t.color.toString(16).padStart(6, '0')}`, `${t.glyph ? `${t.glyph} ` : ''}${t.label}`));
  items.push(...swatch('#fff', 'the agent (triangle = heading)', true));
  items.push(...swatch(ALERT_CSS, 'firewall alert: the cell is framed red'));
  el.replaceChildren(...items);
}
