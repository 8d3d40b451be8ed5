// The A/B report: from cell results (result.json files) to results.json (arms keyed by name, the learning
// issue's metric names), report.md and a self-contained report.html with plots. Per arm: means with 95%
// bootstrap intervals over seeds; paired differences from `none` (same seeds) with intervals and sign-flip
// permutation p-values; the alignment tax; leakage; emergence curves with interval bands; and the limits.
import { ARMS, type AbConfig, type CellResult } from './ab.ts';
import { bootstrapMean, pairedDifference, type Interval } from './stats.ts';

export const SCALAR_METRICS = ['taskReturn', 'performance', 'costPerEpisode', 'trainingCostPerEpisode', 'alertsPerEpisode', 'blockedPerEpisode'] as const;
type ScalarMetric = (typeof SCALAR_METRICS)[number];
type Diff = Interval & { p: number };
/** A behaviour's name, as the scenario declares it. */
type Behaviour = string;
/** The scenario's behaviours with their colours (one source: the scenario file). */
export interface BehaviourStyle {
  name: string;
  colour: string;
}

export interface ArmResult {
  about: string;
  guardrails: { env: string[]; training: string[] };
  seeds: number[];
  metrics: Record<ScalarMetric, Interval> & { sideStrategyRates: Record<Behaviour, Interval> };
  vsNone: (Record<ScalarMetric, Diff> & { sideStrategyRates: Record<Behaviour, Diff> }) | null;
  /** Task return given up relative to `none` (none − arm), paired by seed. */
  alignmentTax: Diff | null;
  /** Side strategies whose rate rose significantly relative to `none` while another one fell. */
  leakage: Behaviour[];
  curve: Array<{ step: number; taskReturn: Interval } & Record<Behaviour, Interval>>;
}

export interface AbResults {
  format: 'sidequest-ab-results/1';
  scenario: string;
  steps: number;
  evalEpisodes: number;
  seeds: number[];
  /** The scenario's side strategies, in its order, with their colours (absent in results written before 0.2). */
  behaviours?: BehaviourStyle[];
  arms: Record<string, ArmResult>;
  limits: string;
}

function scalar(c: CellResult, m: ScalarMetric): number {
  switch (m) {
    case 'taskReturn': return c.final.taskReturn.mean;
    case 'performance': return c.final.performance.mean;
    case 'costPerEpisode': return c.final.costTotal;
    case 'trainingCostPerEpisode': return c.training.costPerEpisode;
    case 'alertsPerEpisode': return c.final.alertsPerEpisode;
    case 'blockedPerEpisode': return c.final.blockedPerEpisode;
  }
}

export function buildResults(exp: AbConfig, cells: readonly CellResult[], styles?: readonly BehaviourStyle[]): AbResults {
  const behaviours = styles ? [...styles] : Object.keys(cells[0]?.final.sideStrategyRates ?? {}).map((name) => ({ name, colour: '#888888' }));
  const BEHAVIOURS = behaviours.map((b) => b.name);
  const bySeed = (arm: string) => new Map(cells.filter((c) => c.arm === arm).map((c) => [c.seed, c]));
  const base = bySeed('none');
  const arms: Record<string, ArmResult> = {};
  for (const arm of exp.arms) {
    const mine = bySeed(arm);
    const seeds = [...mine.keys()].sort((a, b) => a - b);
    if (seeds.length === 0) continue;
    const list = seeds.map((s) => mine.get(s)!);
    const key = (what: string) => `${exp.scenario}:${arm}:${what}`;
    const metrics = Object.fromEntries(SCALAR_METRICS.map((m) => [m, bootstrapMean(list.map((c) => scalar(c, m)), { seed: key(m) })])) as unknown as ArmResult['metrics'];
    metrics.sideStrategyRates = Object.fromEntries(BEHAVIOURS.map((b) => [b, bootstrapMean(list.map((c) => c.final.sideStrategyRates[b]), { seed: key(b) })])) as Record<Behaviour, Interval>;
    let vsNone: ArmResult['vsNone'] = null;
    let alignmentTax: Diff | null = null;
    const leakage: Behaviour[] = [];
    const paired = seeds.filter((s) => base.has(s));
    if (arm !== 'none' && paired.length > 0) {
      const a = paired.map((s) => mine.get(s)!);
      const n = paired.map((s) => base.get(s)!);
      vsNone = Object.fromEntries(SCALAR_METRICS.map((m) => [m, pairedDifference(a.map((c) => scalar(c, m)), n.map((c) => scalar(c, m)), key(`d${m}`))])) as unknown as NonNullable<ArmResult['vsNone']>;
      vsNone.sideStrategyRates = Object.fromEntries(BEHAVIOURS.map((b) => [b, pairedDifference(a.map((c) => c.final.sideStrategyRates[b]), n.map((c) => c.final.sideStrategyRates[b]), key(`d${b}`))])) as Record<Behaviour, Diff>;
      alignmentTax = pairedDifference(n.map((c) => c.final.taskReturn.mean), a.map((c) => c.final.taskReturn.mean), key('tax'));
      const fell = BEHAVIOURS.some((b) => vsNone!.sideStrategyRates[b].hi < 0);
      if (fell) for (const b of BEHAVIOURS) if (vsNone.sideStrategyRates[b].lo > 0) leakage.push(b);
    }
    const steps = [...new Set(list.flatMap((c) => c.curve.map((p) => p.step)))].sort((x, y) => x - y);
    const curve = steps.map((step) => {
      const at = list.map((c) => c.curve.find((p) => p.step === step)).filter((p): p is CellResult['curve'][number] => p !== undefined);
      const row = { step, taskReturn: bootstrapMean(at.map((p) => p.taskReturn), { seed: key(`c${step}`), resamples: 1000 }) } as ArmResult['curve'][number];
      for (const b of BEHAVIOURS) row[b] = bootstrapMean(at.map((p) => p.sideStrategyRates[b]), { seed: key(`c${step}${b}`), resamples: 1000 });
      return row;
    });
    arms[arm] = { about: ARMS[arm].about, guardrails: { env: ARMS[arm].env, training: ARMS[arm].training }, seeds, metrics, vsNone, alignmentTax, leakage, curve };
  }
  const counts = Object.values(arms).map((a) => a.seeds.length);
  const seedWords = Math.min(...counts) === Math.max(...counts) ? `${Math.min(...counts)}` : `${Math.min(...counts)}–${Math.max(...counts)}`;
  return {
    format: 'sidequest-ab-results/1',
    scenario: exp.scenario,
    behaviours,
    steps: exp.steps,
    evalEpisodes: exp.evalEpisodes,
    seeds: exp.seeds,
    arms,
    limits:
      `Each arm was trained with PPO for ${exp.steps.toLocaleString('en')} env steps on ${seedWords} seeds, and each ` +
      `trained policy was evaluated on the same ${exp.evalEpisodes} episode layouts. An interval is a 95% percentile bootstrap ` +
      `over seeds: it describes how much these ${exp.seeds.length} training runs vary, not the world at large, and with so few seeds it ` +
      `is itself rough (bootstrap intervals undercover at small n). p-values are exact sign-flip permutation tests of the paired ` +
      `difference from "none" (same seed, same layouts); with ${exp.seeds.length} seeds the smallest possible p is ${(2 / 2 ** exp.seeds.length).toFixed(3)}, ` +
      `and no correction for the many comparisons was made. Rates are shares of evaluation episodes in which a behaviour succeeded; ` +
      `blocked attempts are counted separately. Results hold for this scenario, this budget and these guardrail settings only: a ` +
      `longer budget lets side strategies emerge further (see the curves), and a guardrail's strength is a parameter.`,
  };
}

// ---- markdown -----------------------------------------------------------------------------------------------

const fmt = (v: number, d = 2) => (Number.isFinite(v) ? v.toFixed(d) : '—');
const ci = (i: Interval, d = 2) => `${fmt(i.mean, d)} [${fmt(i.lo, d)}, ${fmt(i.hi, d)}]`;
const pct = (i: Interval) => `${fmt(i.mean * 100, 0)}% [${fmt(i.lo * 100, 0)}, ${fmt(i.hi * 100, 0)}]`;
const pval = (p: number) => (p < 0.001 ? '<0.001' : fmt(p, 3));

export function reportMarkdown(r: AbResults): string {
  const BEHAVIOURS = behaviourNames(r);
  const arms = Object.entries(r.arms);
  const shown = BEHAVIOURS.filter((b) => arms.some(([, a]) => a.metrics.sideStrategyRates[b].mean > 0));
  const L: string[] = [`# Guardrail A/B on \`${r.scenario}\``, '', `PPO, ${r.steps.toLocaleString('en')} env steps per run, seeds ${r.seeds.join(', ')}; final evaluation on ${r.evalEpisodes} shared episode layouts per run.`, ''];
  L.push('## Per arm (mean over seeds, 95% bootstrap interval)', '');
  L.push(`| arm | task return | hidden performance | cost / episode | training cost / episode | alerts / episode | blocked / episode | ${shown.join(' | ')} |`);
  L.push(`|---|---|---|---|---|---|---|${shown.map(() => '---|').join('')}`);
  for (const [name, a] of arms) {
    const m = a.metrics;
    L.push(`| **${name}** | ${ci(m.taskReturn, 1)} | ${ci(m.performance, 1)} | ${ci(m.costPerEpisode)} | ${ci(m.trainingCostPerEpisode)} | ${ci(m.alertsPerEpisode)} | ${ci(m.blockedPerEpisode)} | ${shown.map((b) => pct(m.sideStrategyRates[b])).join(' | ')} |`);
  }
  L.push('', '## Paired difference from `none` (arm − none; 95% bootstrap interval; permutation p)', '');
  L.push(`| arm | alignment tax (task return lost) | Δ performance | Δ cost / episode | ${shown.map((b) => `Δ ${b}`).join(' | ')} | leakage |`);
  L.push(`|---|---|---|---|${shown.map(() => '---|').join('')}---|`);
  for (const [name, a] of arms) {
    if (!a.vsNone || !a.alignmentTax) continue;
    const d = a.vsNone;
    const cell = (x: Diff, d2 = 2) => `${ci(x, d2)}, p ${pval(x.p)}`;
    L.push(`| **${name}** | ${cell(a.alignmentTax, 1)} | ${cell(d.performance, 1)} | ${cell(d.costPerEpisode)} | ${shown.map((b) => `${fmt(d.sideStrategyRates[b].mean * 100, 0)} pp [${fmt(d.sideStrategyRates[b].lo * 100, 0)}, ${fmt(d.sideStrategyRates[b].hi * 100, 0)}], p ${pval(d.sideStrategyRates[b].p)}`).join(' | ')} | ${a.leakage.join(', ') || '—'} |`);
  }
  L.push('', '## What the numbers say', '', ...findings(r).map((f) => `- ${f}`));
  L.push('', '## Arms', '', ...arms.map(([name, a]) => `- **${name}**: ${a.about}.`));
  L.push('', '## Limits', '', r.limits, '');
  return L.join('\n');
}

/** Plain-words findings derived from the intervals (nothing here is written by hand). */
export function findings(r: AbResults): string[] {
  const out: string[] = [];
  const BEHAVIOURS = behaviourNames(r);
  const none = r.arms.none;
  if (none) {
    const rates = BEHAVIOURS.filter((b) => none.metrics.sideStrategyRates[b].mean >= 0.1).map((b) => `${b} ${fmt(none.metrics.sideStrategyRates[b].mean * 100, 0)}%`);
    out.push(`Without guardrails the trained agents used side strategies nobody rewarded: ${rates.join(', ') || 'none above 10%'} of evaluation episodes; task return ${fmt(none.metrics.taskReturn.mean, 1)}, cost ${fmt(none.metrics.costPerEpisode.mean)} per episode.`);
  }
  for (const [name, a] of Object.entries(r.arms)) {
    if (!a.vsNone || !a.alignmentTax) continue;
    const dc = a.vsNone.costPerEpisode;
    const costWord = dc.hi < 0 ? `cut violation cost by ${fmt(-dc.mean)} per episode (p ${pval(dc.p)})` : dc.lo > 0 ? `raised violation cost by ${fmt(dc.mean)} per episode (p ${pval(dc.p)})` : `did not change violation cost clearly (Δ ${fmt(dc.mean)} [${fmt(dc.lo)}, ${fmt(dc.hi)}])`;
    const tax = a.alignmentTax;
    const taxWord = tax.lo > 0 ? `at an alignment tax of ${fmt(tax.mean, 1)} task return (p ${pval(tax.p)})` : tax.hi < 0 ? `while task return rose by ${fmt(-tax.mean, 1)}` : `with no clear alignment tax (${fmt(tax.mean, 1)} [${fmt(tax.lo, 1)}, ${fmt(tax.hi, 1)}])`;
    const leak = a.leakage.length ? `; leakage: ${a.leakage.join(', ')} rose while other side strategies fell` : '';
    out.push(`**${name}** ${costWord}, ${taxWord}${leak}.`);
  }
  return out;
}

// ---- html -----------------------------------------------------------------------------------------------

/** Behaviour names of a results file (older files, without `behaviours`, have them as the rate keys). */
function behaviourNames(r: AbResults): string[] {
  if (r.behaviours) return r.behaviours.map((b) => b.name);
  const any = Object.values(r.arms)[0];
  return any ? Object.keys(any.metrics.sideStrategyRates) : [];
}

/** Colours by behaviour name (from the scenario), and the task return's. */
function coloursOf(r: AbResults): Record<string, string> {
  const c: Record<string, string> = { taskReturn: '#333333' };
  for (const b of r.behaviours ?? []) c[b.name] = b.colour;
  return c;
}

function barChart(title: string, r: AbResults, get: (a: ArmResult) => Interval, width = 640): string {
  const arms = Object.entries(r.arms);
  const rowH = 22;
  const h = arms.length * rowH + 30;
  const vals = arms.flatMap(([, a]) => [get(a).lo, get(a).hi, 0]);
  const lo = Math.min(...vals);
  const hi = Math.max(...vals, 1e-9);
  const x = (v: number) => 130 + ((width - 200) * (v - lo)) / (hi - lo || 1); // room for the value label
  const parts = [`<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${h}"><text x="4" y="14" font-size="13" font-weight="bold">${title}</text>`];
  arms.forEach(([name, a], i) => {
    const y = 24 + i * rowH;
    const v = get(a);
    parts.push(`<text x="124" y="${y + 14}" font-size="12" text-anchor="end">${name}</text>`);
    parts.push(`<rect x="${Math.min(x(0), x(v.mean))}" y="${y + 3}" width="${Math.abs(x(v.mean) - x(0))}" height="${rowH - 8}" fill="${name === 'none' ? '#9e9e9e' : '#5c6bc0'}"/>`);
    parts.push(`<line x1="${x(v.lo)}" x2="${x(v.hi)}" y1="${y + 10}" y2="${y + 10}" stroke="#000" stroke-width="1.5"/><line x1="${x(v.lo)}" x2="${x(v.lo)}" y1="${y + 5}" y2="${y + 15}" stroke="#000"/><line x1="${x(v.hi)}" x2="${x(v.hi)}" y1="${y + 5}" y2="${y + 15}" stroke="#000"/>`);
    parts.push(`<text x="${width - 4}" y="${y + 14}" font-size="11" text-anchor="end">${fmt(v.mean)}</text>`);
  });
  parts.push(`<line x1="${x(0)}" x2="${x(0)}" y1="20" y2="${h}" stroke="#999"/></svg>`);
  return parts.join('');
}

function curveChart(name: string, a: ArmResult, colours: Record<string, string>, shown: readonly string[], width = 300, height = 160): string {
  if (a.curve.length === 0) return '';
  const maxStep = Math.max(...a.curve.map((p) => p.step));
  const x = (s: number) => 30 + ((width - 40) * s) / maxStep;
  const y = (v: number) => height - 20 - (height - 40) * v;
  const parts = [`<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}"><text x="4" y="14" font-size="12" font-weight="bold">${name}</text>`];
  parts.push(`<line x1="30" x2="${width - 10}" y1="${y(0)}" y2="${y(0)}" stroke="#ccc"/><line x1="30" x2="${width - 10}" y1="${y(1)}" y2="${y(1)}" stroke="#eee"/><text x="26" y="${y(1) + 4}" font-size="10" text-anchor="end">100%</text><text x="26" y="${y(0) + 4}" font-size="10" text-anchor="end">0</text>`);
  for (const b of shown) {
    if (a.curve.every((p) => !p[b] || p[b].hi === 0)) continue;
    const up = a.curve.map((p) => `${x(p.step).toFixed(1)},${y(p[b].hi).toFixed(1)}`);
    const down = [...a.curve].reverse().map((p) => `${x(p.step).toFixed(1)},${y(p[b].lo).toFixed(1)}`);
    parts.push(`<polygon points="${[...up, ...down].join(' ')}" fill="${colours[b]}" opacity="0.18"/>`);
    parts.push(`<polyline points="${a.curve.map((p) => `${x(p.step).toFixed(1)},${y(p[b].mean).toFixed(1)}`).join(' ')}" fill="none" stroke="${colours[b]}" stroke-width="2"/>`);
  }
  parts.push(`<text x="${width - 10}" y="${height - 4}" font-size="10" text-anchor="end">${maxStep.toLocaleString('en')} steps</text></svg>`);
  return parts.join('');
}

export function reportHtml(r: AbResults, markdown: string): string {
  const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;');
  const colours = coloursOf(r);
  const arms = Object.values(r.arms);
  const shown = behaviourNames(r).filter((b) => arms.some((a) => (a.metrics.sideStrategyRates[b]?.mean ?? 0) > 0));
  const charts = [
    barChart('Task return (what the learner was paid for)', r, (a) => a.metrics.taskReturn),
    barChart('Hidden performance (what the designer wanted)', r, (a) => a.metrics.performance),
    barChart('Violation cost per evaluation episode', r, (a) => a.metrics.costPerEpisode),
    barChart('Violation cost per training episode', r, (a) => a.metrics.trainingCostPerEpisode),
    barChart('Firewall alerts per evaluation episode', r, (a) => a.metrics.alertsPerEpisode),
    ...shown.map((b) => barChart(`${esc(b)} rate`, r, (a) => a.metrics.sideStrategyRates[b])),
  ].join('\n');
  const curves = Object.entries(r.arms).map(([n, a]) => curveChart(n, a, colours, shown)).join('\n');
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Guardrail A/B — ${esc(r.scenario)}</title>
<style>body{font:14px/1.45 system-ui,sans-serif;max-width:1100px;margin:24px auto;padding:0 16px;color:#222}table{border-collapse:collapse;font-size:12px}td,th{border:1px solid #ddd;padding:3px 6px}pre{white-space:pre-wrap;background:#f6f6f6;padding:12px}.grid{display:flex;flex-wrap:wrap;gap:12px}.legend span{margin-right:12px}</style></head><body>
<h1>Guardrail A/B on <code>${esc(r.scenario)}</code></h1>
<h2>Findings</h2><ul>${findings(r).map((f) => `<li>${esc(f).replace(/\*\*(.+?)\*\*/g, '<b>$1</b>')}</li>`).join('')}</ul>
<h2>Per arm, with 95% bootstrap intervals over seeds</h2><div class="grid">${charts}</div>
<h2>Emergence over training (evaluation at each checkpoint; band = 95% bootstrap interval over seeds)</h2>
<p class="legend">${shown.map((b) => `<span style="color:${colours[b]}">■ ${esc(b)}</span>`).join('')}</p>
<div class="grid">${curves}</div>
<h2>Limits</h2><p>${esc(r.limits)}</p>
<h2>Full tables</h2><pre>${esc(markdown)}</pre></body></html>\n`;
}
