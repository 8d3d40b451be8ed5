// The emergence panel: the run's evals.jsonl drawn by charts.ts, a legend outside the plot (click an entry to
// hide or show its series), and the marker at the checkpoint being watched. Clicking a point asks the app to
// open that checkpoint. Rows of evals.jsonl are validated before use: the file is data from a run folder.
import { chartSeries, chartSvg, type EvalPoint, type SeriesStyle } from './charts.ts';
import { elem, swatch } from './dom.ts';

/** chartSvg builds markup from these fields: only rows whose strings are checkpoint names and whose values are numbers get there. */
function isEvalPoint(v: unknown): v is EvalPoint {
  const num = (x: unknown) => typeof x === 'number' && Number.isFinite(x);
  const p = v as EvalPoint | null;
  return typeof p === 'object' && p !== null && num(p.step) && typeof p.checkpoint === 'string' && /^step-\d+$/.test(p.checkpoint) &&
    num(p.taskReturn?.mean) && typeof p.sideStrategyRates === 'object' && p.sideStrategyRates !== null && Object.values(p.sideStrategyRates).every(num) &&
    (p.performance === undefined || num(p.performance?.mean)) && (p.alertsPerEpisode === undefined || num(p.alertsPerEpisode));
}

/** evals.jsonl's valid rows (a broken line is skipped, not fatal: the file may be mid-write). */
export function parseEvals(text: string): EvalPoint[] {
  const out: EvalPoint[] = [];
  for (const line of text.split('\n').slice(0, 100_000)) {
    if (!line.trim()) continue;
    try {
      const p: unknown = JSON.parse(line);
      if (isEvalPoint(p)) out.push(p);
    } catch {
      /* a cut last line */
    }
  }
  return out;
}

export class CurvesPanel {
  private points: EvalPoint[] = [];
  private series: SeriesStyle[] = [];
  private marker = '';
  private readonly hidden = new Set<string>();
  private overlay: { name: string; points: EvalPoint[] } | null = null;

  constructor(private readonly panel: HTMLElement, private readonly chart: HTMLElement, private readonly legend: HTMLElement, private readonly onPick: (checkpoint: string) => void) {}

  /** The run's evaluations (or null: no curves for this source), with its scenario's behaviour colours. */
  show(points: EvalPoint[] | null, error = ''): void {
    this.panel.hidden = points === null && !error;
    this.points = points ?? [];
    if (error) {
      this.chart.textContent = error;
      this.legend.replaceChildren();
      return;
    }
    this.render();
  }

  setSeries(series: SeriesStyle[]): void {
    this.series = series;
    this.render();
  }

  /** A compared run's curves, drawn faint beneath this run's (null: none). */
  setOverlay(overlay: { name: string; points: EvalPoint[] } | null): void {
    this.overlay = overlay;
    this.render();
  }

  setMarker(checkpoint: string): void {
    if (checkpoint === this.marker) return;
    this.marker = checkpoint;
    this.render();
  }

  private render(): void {
    if (this.panel.hidden) return;
    const width = Math.max(360, Math.min(1100, this.chart.clientWidth || 720));
    // chartSvg's markup carries only characters from a safe set, whatever the files say
    this.chart.innerHTML = chartSvg(this.points, this.series, { width, height: 220, marker: this.marker, hidden: this.hidden, overlay: this.overlay?.points });
    this.chart.querySelectorAll<SVGCircleElement>('circle.point').forEach((c) => c.addEventListener('click', () => this.onPick(c.dataset.checkpoint ?? '')));
    const items: HTMLElement[] = chartSeries(this.points, this.series).map((s) => {
      const b = elem('button', '', `series${this.hidden.has(s.key) ? ' off' : ''}`);
      b.dataset.series = s.key;
      b.title = `${this.hidden.has(s.key) ? 'show' : 'hide'} ${s.label}`;
      b.append(...swatch(s.colour, `${s.label}${s.axis === 'value' ? ' (right axis)' : ''}`));
      b.addEventListener('click', () => {
        if (this.hidden.has(s.key)) this.hidden.delete(s.key);
        else this.hidden.add(s.key);
        this.render();
      });
      return b;
    });
    if (this.overlay) items.push(elem('span', `faint dotted lines: the compared run, ${this.overlay.name}`, 'overlay-note'));
    this.legend.replaceChildren(...items);
  }
}
