// The emergence chart as SVG: each side strategy's rate (left axis, 0–100 %) and the per-episode values — task
// return, hidden performance, firewall alerts — (right axis) over training steps, from evals.jsonl; axis ticks
// on both axes and the step axis, and a marker at the checkpoint being watched. Pure string building: the
// legend (outside the plot, each entry toggles its series) is built as DOM by the curves panel from
// chartSeries(), and clicking a point opens its checkpoint.

export interface EvalPoint {
  step: number;
  checkpoint: string;
  taskReturn: { mean: number };
  sideStrategyRates: Record<string, number>;
  /** Hidden performance (older runs may lack it). */
  performance?: { mean: number };
  alertsPerEpisode?: number;
}

/** A side strategy as the chart draws it: its name and colour, from the scenario file. */
export interface SeriesStyle {
  name: string;
  colour: string;
}

/** One line of the chart, as its legend names it. */
export interface ChartSeries {
  key: string;
  label: string;
  colour: string;
  axis: 'rate' | 'value';
  dashed?: boolean;
}

const RETURN_COLOUR = '#ffffff';
const PERFORMANCE_COLOUR = '#b0bec5';
const ALERTS_COLOUR = '#ff1744';
const GRID = '#2a3140';
const TICK = '#8b95a7';

/** Names and checkpoints come from files: only these characters reach the markup. */
const esc = (t: string) => String(t).replace(/[^A-Za-z0-9_.-]/g, '');

/** A value of a series at a point (undefined: not recorded). */
function valueOf(p: EvalPoint, key: string): number | undefined {
  if (key === 'taskReturn') return p.taskReturn.mean;
  if (key === 'performance') return p.performance?.mean;
  if (key === 'alerts') return p.alertsPerEpisode;
  return p.sideStrategyRates[key.slice('rate:'.length)] ?? 0;
}

/**
 * The series the points hold: the per-episode values recorded, then the side strategies that ever happened (the
 * scenario's in its order, then any other rate key, drawn grey).
 */
export function chartSeries(points: readonly EvalPoint[], series: readonly SeriesStyle[]): ChartSeries[] {
  const out: ChartSeries[] = [{ key: 'taskReturn', label: 'task return', colour: RETURN_COLOUR, axis: 'value' }];
  if (points.some((p) => typeof p.performance?.mean === 'number')) out.push({ key: 'performance', label: 'hidden performance', colour: PERFORMANCE_COLOUR, axis: 'value', dashed: true });
  if (points.some((p) => typeof p.alertsPerEpisode === 'number')) out.push({ key: 'alerts', label: 'firewall alerts per episode', colour: ALERTS_COLOUR, axis: 'value', dashed: true });
  const names = [...new Set([...series.map((x) => x.name), ...points.flatMap((p) => Object.keys(p.sideStrategyRates))])];
  for (const b of names.filter((n) => points.some((p) => (p.sideStrategyRates[n] ?? 0) > 0))) {
    out.push({ key: `rate:${esc(b)}`, label: `${esc(b)} (% of episodes)`, colour: series.find((x) => x.name === b)?.colour ?? '#9e9e9e', axis: 'rate' });
  }
  return out;
}

/**
 * Round tick values, about `count` of them at 1, 2 or 5 × a power of ten: inside [lo, hi], or (`cover`) reaching
 * just past both ends, for an axis whose range the ticks then define.
 */
export function niceTicks(lo: number, hi: number, count = 4, cover = false): number[] {
  if (!(hi > lo)) return [lo];
  const raw = (hi - lo) / count;
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((m) => m * mag).find((s) => s >= raw) ?? 10 * mag;
  const first = (cover ? Math.floor(lo / step) : Math.ceil(lo / step)) * step;
  const last = cover ? Math.ceil(hi / step) * step : hi;
  const ticks: number[] = [];
  for (let k = 0; first + k * step <= last + step * 1e-9 && k < 50; k++) ticks.push(Number((first + k * step).toPrecision(12)));
  return ticks;
}

const fmtTick = (v: number) => (Math.abs(v) >= 1000 ? `${Number((v / 1000).toPrecision(3))}k` : String(Number(v.toPrecision(3))));

/** "watching" beside the marker, on whichever side has room. */
function watchLabel(at: number, right: number, y: number): string {
  const left = at > right - 60;
  return `<text x="${(at + (left ? -4 : 4)).toFixed(1)}" y="${y}" fill="#00e5ff" font-size="11" text-anchor="${left ? 'end' : 'start'}">watching</text>`;
}

export interface ChartOptions {
  width?: number;
  height?: number;
  /** The checkpoint being watched: a vertical marker at its step. */
  marker?: string;
  /** Series keys not drawn (toggled off in the legend). */
  hidden?: ReadonlySet<string>;
  /** A compared run's evaluations, drawn faint and dotted under the same series. */
  overlay?: readonly EvalPoint[];
}

/** Builds the chart; `series` are the scenario's behaviours in order (a rate key not among them is drawn grey). */
export function chartSvg(points: readonly EvalPoint[], series: readonly SeriesStyle[], opts: ChartOptions = {}): string {
  if (points.length === 0) return '<p>No evaluations recorded yet.</p>';
  const width = opts.width ?? 720;
  const height = opts.height ?? 220;
  const hidden = opts.hidden ?? new Set<string>();
  const pad = { l: 44, r: 48, t: 10, b: 34 };
  const all = chartSeries(points, series);
  const shown = all.filter((s) => !hidden.has(s.key));
  const overlay = opts.overlay ?? [];
  const both = [...points, ...overlay];
  const maxStep = Math.max(1, ...both.map((p) => p.step));
  const values = shown.filter((s) => s.axis === 'value').flatMap((s) => both.map((p) => valueOf(p, s.key)).filter((v): v is number => typeof v === 'number' && Number.isFinite(v)));
  const vTicks = niceTicks(Math.min(0, ...values), Math.max(1, ...values), 4, true);
  const vLo = vTicks[0];
  const vHi = Math.max(vTicks[vTicks.length - 1], vLo + 1e-9);
  const x = (s: number) => pad.l + ((width - pad.l - pad.r) * s) / maxStep;
  const yRate = (v: number) => height - pad.b - (height - pad.t - pad.b) * v;
  const yVal = (v: number) => height - pad.b - ((height - pad.t - pad.b) * (v - vLo)) / (vHi - vLo);
  const y = (s: ChartSeries, v: number) => (s.axis === 'rate' ? yRate(v) : yVal(v));

  const parts: string[] = [];
  parts.push(`<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" role="img" aria-label="emergence over training">`);
  // left axis: rates
  for (const v of [0, 0.25, 0.5, 0.75, 1]) parts.push(`<line x1="${pad.l}" x2="${width - pad.r}" y1="${yRate(v)}" y2="${yRate(v)}" stroke="${GRID}"/><text class="tick rate" x="${pad.l - 6}" y="${yRate(v) + 4}" fill="${TICK}" font-size="11" text-anchor="end">${v * 100}%</text>`);
  // right axis: per-episode values
  for (const v of vTicks) parts.push(`<line x1="${width - pad.r}" x2="${width - pad.r + 4}" y1="${yVal(v).toFixed(1)}" y2="${yVal(v).toFixed(1)}" stroke="${TICK}"/><text class="tick value" x="${width - pad.r + 7}" y="${(yVal(v) + 4).toFixed(1)}" fill="${TICK}" font-size="11">${fmtTick(v)}</text>`);
  // step axis
  for (const s of niceTicks(0, maxStep, 5)) parts.push(`<line x1="${x(s).toFixed(1)}" x2="${x(s).toFixed(1)}" y1="${height - pad.b}" y2="${height - pad.b + 4}" stroke="${TICK}"/><text class="tick step" x="${x(s).toFixed(1)}" y="${height - pad.b + 15}" fill="${TICK}" font-size="11" text-anchor="middle">${fmtTick(s)}</text>`);
  parts.push(`<text x="${(width / 2).toFixed(0)}" y="${height - 3}" fill="${TICK}" font-size="11" text-anchor="middle">env steps</text>`);
  const marked = points.find((p) => p.checkpoint === opts.marker);
  if (marked) parts.push(`<line class="marker" data-checkpoint="${esc(marked.checkpoint)}" x1="${x(marked.step).toFixed(1)}" x2="${x(marked.step).toFixed(1)}" y1="${pad.t}" y2="${height - pad.b}" stroke="#00e5ff" stroke-width="2" stroke-dasharray="4 3"/>${watchLabel(x(marked.step), width - pad.r, pad.t + 10)}`);
  // the compared run first, beneath: the same colours, faint and dotted, not clickable (its checkpoints are not this run's)
  for (const s of shown) {
    const pts = overlay.map((p) => [p, valueOf(p, s.key)] as const).filter((e): e is readonly [EvalPoint, number] => typeof e[1] === 'number' && Number.isFinite(e[1]));
    if (pts.length) parts.push(`<path class="overlay" data-series="${s.key}" d="${pts.map(([p, v], i) => `${i ? 'L' : 'M'}${x(p.step).toFixed(1)},${y(s, v).toFixed(1)}`).join('')}" fill="none" stroke="${s.colour}" stroke-width="1.5" stroke-opacity="0.5" stroke-dasharray="2 3"/>`);
  }
  for (const s of shown) {
    const pts = points.map((p) => [p, valueOf(p, s.key)] as const).filter((e): e is readonly [EvalPoint, number] => typeof e[1] === 'number' && Number.isFinite(e[1]));
    if (!pts.length) continue;
    parts.push(`<path data-series="${s.key}" d="${pts.map(([p, v], i) => `${i ? 'L' : 'M'}${x(p.step).toFixed(1)},${y(s, v).toFixed(1)}`).join('')}" fill="none" stroke="${s.colour}" stroke-width="2"${s.dashed ? ' stroke-dasharray="5 3"' : ''}/>`);
    parts.push(pts.map(([p, v]) => `<circle class="point" data-series="${s.key}" data-checkpoint="${esc(p.checkpoint)}" cx="${x(p.step).toFixed(1)}" cy="${y(s, v).toFixed(1)}" r="4" fill="${s.colour}"><title>${esc(p.checkpoint)}</title></circle>`).join(''));
  }
  parts.push('</svg>');
  return parts.join('');
}
