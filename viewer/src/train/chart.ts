// The live emergence chart of the train page: task return (right axis, with the random agent's as a dashed line),
// each side strategy's rate in training episodes (left axis, 0–100%) and firewall alerts per episode (scaled to
// its own maximum, said in the legend), over env steps. Built with DOM calls (names come from scenario files, so
// they only ever reach textContent), redrawn whole on each row: a run has at most a few thousand rows.
import type { PageRow } from './session.ts';

const NS = 'http://www.w3.org/2000/svg';
const RETURN = '#ffffff';
const ALERTS = '#ff5252';

export interface Series {
  name: string;
  label: string;
  colour: string;
}

function el(tag: string, attrs: Record<string, string | number>, text?: string): SVGElement {
  const e = document.createElementNS(NS, tag);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, String(v));
  if (text !== undefined) e.textContent = text;
  return e;
}

export function drawChart(host: HTMLElement, rows: readonly PageRow[], series: readonly Series[], randomReturn: number | null, width = 760, height = 240): void {
  if (rows.length === 0) {
    const p = document.createElement('p');
    p.className = 'muted';
    p.textContent = 'The chart grows here as training runs: one point per iteration.';
    host.replaceChildren(p);
    return;
  }
  const pad = { l: 44, r: 52, t: 12, b: 30 };
  const maxStep = Math.max(...rows.map((r) => r.step));
  const maxRet = Math.max(1e-9, randomReturn ?? 0, ...rows.map((r) => r.taskReturn));
  const maxAlerts = Math.max(0, ...rows.map((r) => r.alertsPerEpisode));
  const x = (s: number) => pad.l + ((width - pad.l - pad.r) * s) / maxStep;
  const yRate = (v: number) => height - pad.b - (height - pad.t - pad.b) * v;
  const yRet = (v: number) => yRate(v / maxRet);
  // the viewBox lets a page scale the chart with CSS (the lesson draws it narrower) without clipping it
  const svg = el('svg', { width, height, viewBox: `0 0 ${width} ${height}`, role: 'img', 'aria-label': 'emergence over training' });
  for (const v of [0, 0.5, 1]) {
    svg.append(el('line', { x1: pad.l, x2: width - pad.r, y1: yRate(v), y2: yRate(v), stroke: '#2a3140' }));
    svg.append(el('text', { x: pad.l - 6, y: yRate(v) + 4, fill: '#8b95a7', 'font-size': 11, 'text-anchor': 'end' }, `${v * 100}%`));
  }
  svg.append(el('text', { x: width - pad.r + 6, y: yRet(maxRet) + 4, fill: '#8b95a7', 'font-size': 11 }, maxRet.toFixed(1)));
  svg.append(el('text', { x: width - pad.r + 6, y: yRet(0) + 4, fill: '#8b95a7', 'font-size': 11 }, '0'));
  svg.append(el('text', { x: width / 2, y: height - 8, fill: '#8b95a7', 'font-size': 11, 'text-anchor': 'middle' }, `env steps (0 – ${maxStep.toLocaleString('en')})`));
  const path = (ys: number[], colour: string, key: string, dash?: string) => {
    const d = ys.map((y, i) => `${i ? 'L' : 'M'}${x(rows[i].step).toFixed(1)},${y.toFixed(1)}`).join('');
    const p = el('path', { d, fill: 'none', stroke: colour, 'stroke-width': 2, 'data-series': key });
    if (dash) p.setAttribute('stroke-dasharray', dash);
    svg.append(p);
  };
  if (randomReturn !== null) {
    const l = el('line', { x1: pad.l, x2: width - pad.r, y1: yRet(randomReturn), y2: yRet(randomReturn), stroke: RETURN, 'stroke-dasharray': '3 4', opacity: 0.6, 'data-series': 'random' });
    svg.append(l);
  }
  const present = series.filter((s) => rows.some((r) => (r.sideStrategyRates[s.name] ?? 0) > 0));
  for (const s of present) path(rows.map((r) => yRate(r.sideStrategyRates[s.name] ?? 0)), s.colour, s.name);
  if (maxAlerts > 0) path(rows.map((r) => yRate(r.alertsPerEpisode / maxAlerts)), ALERTS, 'alerts', '6 3');
  path(rows.map((r) => yRet(r.taskReturn)), RETURN, 'taskReturn');
  // the legend sits below the plot, one entry per drawn series
  const legend = document.createElement('div');
  legend.className = 'chart-legend';
  const key = (colour: string, text: string, dashed = false) => {
    const k = document.createElement('span');
    const sw = document.createElement('i');
    sw.style.borderColor = colour;
    if (dashed) sw.style.borderStyle = 'dashed';
    k.append(sw, document.createTextNode(text));
    legend.append(k);
  };
  key(RETURN, 'task return (right axis)');
  if (randomReturn !== null) key(RETURN, `random agent's return (${randomReturn.toFixed(2)})`, true);
  for (const s of present) key(s.colour, `${s.name}: ${s.label} (rate, left axis)`);
  if (maxAlerts > 0) key(ALERTS, `firewall alerts per episode (top = ${maxAlerts.toFixed(2)})`, true);
  host.replaceChildren(svg, legend);
}
