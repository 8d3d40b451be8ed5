// Training curves as SVG: task return and each side-strategy rate over training steps, from evals.jsonl. Pure
// string building (chartSvg) plus a click handler that reports the checkpoint under a point.

export interface EvalPoint {
  step: number;
  checkpoint: string;
  taskReturn: { mean: number };
  sideStrategyRates: Record<string, number>;
}

/** A side strategy as the chart draws it: its name and colour, from the scenario file. */
export interface SeriesStyle {
  name: string;
  colour: string;
}

const RETURN_COLOUR = '#ffffff';

/**
 * Builds the chart; rates use the left axis (0–100%), task return the right axis (0–max). `series` are the
 * scenario's behaviours in order (a rate key not among them is drawn grey).
 */
export function chartSvg(points: readonly EvalPoint[], series: readonly SeriesStyle[], width = 720, height = 220): string {
  if (points.length === 0) return '<p>No evaluations recorded yet.</p>';
  // names and checkpoints come from files: only these characters reach the markup
  const esc = (t: string) => String(t).replace(/[^A-Za-z0-9_.-]/g, '');
  const pad = { l: 44, r: 48, t: 10, b: 28 };
  const maxStep = Math.max(...points.map((p) => p.step));
  const maxRet = Math.max(1e-9, ...points.map((p) => p.taskReturn.mean));
  const x = (s: number) => pad.l + ((width - pad.l - pad.r) * s) / maxStep;
  const yRate = (v: number) => height - pad.b - (height - pad.t - pad.b) * v;
  const yRet = (v: number) => height - pad.b - ((height - pad.t - pad.b) * v) / maxRet;
  const names = [...new Set([...series.map((x) => x.name), ...points.flatMap((p) => Object.keys(p.sideStrategyRates))])];
  const colour = (b: string) => series.find((x) => x.name === b)?.colour ?? '#9e9e9e';
  const present = names.filter((b) => points.some((p) => (p.sideStrategyRates[b] ?? 0) > 0));

  const line = (ys: number[], color: string, key: string) =>
    `<path data-series="${key}" d="${ys.map((y, i) => `${i ? 'L' : 'M'}${x(points[i].step).toFixed(1)},${y.toFixed(1)}`).join('')}" fill="none" stroke="${color}" stroke-width="2"/>`;
  const dots = (ys: number[], color: string) =>
    ys.map((y, i) => `<circle class="point" data-checkpoint="${esc(points[i].checkpoint)}" cx="${x(points[i].step).toFixed(1)}" cy="${y.toFixed(1)}" r="4" fill="${color}"><title>${esc(points[i].checkpoint)}</title></circle>`).join('');
  const parts: string[] = [];
  parts.push(`<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" role="img" aria-label="training curves">`);
  for (const v of [0, 0.5, 1]) parts.push(`<line x1="${pad.l}" x2="${width - pad.r}" y1="${yRate(v)}" y2="${yRate(v)}" stroke="#2a3140"/><text x="${pad.l - 6}" y="${yRate(v) + 4}" fill="#8b95a7" font-size="11" text-anchor="end">${v * 100}%</text>`);
  parts.push(`<text x="${width - pad.r + 6}" y="${yRet(maxRet) + 4}" fill="#8b95a7" font-size="11">${maxRet.toFixed(0)}</text><text x="${width - pad.r + 6}" y="${yRet(0) + 4}" fill="#8b95a7" font-size="11">0</text>`);
  parts.push(`<text x="${width / 2}" y="${height - 6}" fill="#8b95a7" font-size="11" text-anchor="middle">env steps (0 – ${maxStep.toLocaleString('en')})</text>`);
  const retYs = points.map((p) => yRet(p.taskReturn.mean));
  parts.push(line(retYs, RETURN_COLOUR, 'taskReturn'));
  for (const b of present) parts.push(line(points.map((p) => yRate(p.sideStrategyRates[b] ?? 0)), colour(b), esc(b)));
  parts.push(dots(retYs, RETURN_COLOUR));
  let lx = pad.l;
  for (const key of ['taskReturn', ...present]) {
    parts.push(`<rect x="${lx}" y="${pad.t}" width="10" height="10" fill="${key === 'taskReturn' ? RETURN_COLOUR : colour(key)}"/><text x="${lx + 14}" y="${pad.t + 9}" fill="#d8dee9" font-size="11">${key === 'taskReturn' ? 'task return (right axis)' : esc(key)}</text>`);
    lx += key === 'taskReturn' ? 160 : 100;
  }
  parts.push('</svg>');
  return parts.join('');
}
