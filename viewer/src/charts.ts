// Training curves as SVG: task return and each side-strategy rate over training steps, from evals.jsonl. Pure
// string building (chartSvg) plus a click handler that reports the checkpoint under a point.
import { BEHAVIOURS } from '../../sim/vocab.ts';

export interface EvalPoint {
  step: number;
  checkpoint: string;
  taskReturn: { mean: number };
  sideStrategyRates: Record<string, number>;
}

export const SERIES_COLORS: Record<string, string> = {
  taskReturn: '#ffffff', claimGpu: '#ffd54f', probePort: '#ff8a80', openTunnel: '#00e5ff', mine: '#ff6f00',
  evadeMonitor: '#ab47bc', crossBoundary: '#69f0ae',
};

/** Builds the chart; rates use the left axis (0–100%), task return the right axis (0–max). */
export function chartSvg(points: readonly EvalPoint[], width = 720, height = 220): string {
  if (points.length === 0) return '<p>No evaluations recorded yet.</p>';
  const pad = { l: 44, r: 48, t: 10, b: 28 };
  const maxStep = Math.max(...points.map((p) => p.step));
  const maxRet = Math.max(1e-9, ...points.map((p) => p.taskReturn.mean));
  const x = (s: number) => pad.l + ((width - pad.l - pad.r) * s) / maxStep;
  const yRate = (v: number) => height - pad.b - (height - pad.t - pad.b) * v;
  const yRet = (v: number) => height - pad.b - ((height - pad.t - pad.b) * v) / maxRet;
  const present = BEHAVIOURS.filter((b) => points.some((p) => (p.sideStrategyRates[b] ?? 0) > 0));
  const line = (ys: number[], color: string, key: string) =>
    `<path data-series="${key}" d="${ys.map((y, i) => `${i ? 'L' : 'M'}${x(points[i].step).toFixed(1)},${y.toFixed(1)}`).join('')}" fill="none" stroke="${color}" stroke-width="2"/>`;
  const dots = (ys: number[], color: string) =>
    ys.map((y, i) => `<circle class="point" data-checkpoint="${points[i].checkpoint}" cx="${x(points[i].step).toFixed(1)}" cy="${y.toFixed(1)}" r="4" fill="${color}"><title>${points[i].checkpoint}</title></circle>`).join('');
  const parts: string[] = [];
  parts.push(`<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" role="img" aria-label="training curves">`);
  for (const v of [0, 0.5, 1]) parts.push(`<line x1="${pad.l}" x2="${width - pad.r}" y1="${yRate(v)}" y2="${yRate(v)}" stroke="#2a3140"/><text x="${pad.l - 6}" y="${yRate(v) + 4}" fill="#8b95a7" font-size="11" text-anchor="end">${v * 100}%</text>`);
  parts.push(`<text x="${width - pad.r + 6}" y="${yRet(maxRet) + 4}" fill="#8b95a7" font-size="11">${maxRet.toFixed(0)}</text><text x="${width - pad.r + 6}" y="${yRet(0) + 4}" fill="#8b95a7" font-size="11">0</text>`);
  parts.push(`<text x="${width / 2}" y="${height - 6}" fill="#8b95a7" font-size="11" text-anchor="middle">env steps (0 – ${maxStep.toLocaleString('en')})</text>`);
  const retYs = points.map((p) => yRet(p.taskReturn.mean));
  parts.push(line(retYs, SERIES_COLORS.taskReturn, 'taskReturn'));
  for (const b of present) parts.push(line(points.map((p) => yRate(p.sideStrategyRates[b] ?? 0)), SERIES_COLORS[b], b));
  parts.push(dots(retYs, SERIES_COLORS.taskReturn));
  let lx = pad.l;
  for (const key of ['taskReturn', ...present]) {
    parts.push(`<rect x="${lx}" y="${pad.t}" width="10" height="10" fill="${SERIES_COLORS[key]}"/><text x="${lx + 14}" y="${pad.t + 9}" fill="#d8dee9" font-size="11">${key === 'taskReturn' ? 'task return (right axis)' : key}</text>`);
    lx += key === 'taskReturn' ? 160 : 100;
  }
  parts.push('</svg>');
  return parts.join('');
}
