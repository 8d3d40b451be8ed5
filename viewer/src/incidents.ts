// The Incidents view: the run's firewall alerts over the whole of training, one lane per kind, each burst of
// `sidequest incidents` (GET api/runs/<i>/incidents, agents/runs/forensics-api.ts) a bar placed by its training
// steps; clicking a burst lists its episodes, clicking an episode opens it (GET api/runs/<i>/training/<env>/
// <episode>.jsonl, re-simulated by the server) at the alerting step through the `open` callback the page gives.
// The layout is a pure function (tested in node); the DOM is built with textContent only, never HTML from data.
import type { Burst, IncidentReport } from '../../agents/runs/incidents.ts';

export interface IncidentMark {
  burst: Burst;
  lane: number;
  /** Left edge and width in px within the plot. */
  x: number;
  w: number;
}

export interface IncidentsLayout {
  lanes: string[];
  marks: IncidentMark[];
  width: number;
  trainingSteps: number;
}

/** Lanes (declared kinds first, falsePositive last) and one mark per burst, at least `minWidth` px wide. */
export function incidentsLayout(r: IncidentReport, width: number, minWidth = 3): IncidentsLayout {
  const kinds = [...new Set(r.bursts.map((b) => b.kind))];
  kinds.sort((a, b) => Number(a === 'falsePositive') - Number(b === 'falsePositive') || Object.keys(r.sees).indexOf(a) - Object.keys(r.sees).indexOf(b) || (a < b ? -1 : 1));
  const total = Math.max(1, r.trainingSteps, ...r.bursts.map((b) => b.lastStep + 1));
  const x = (s: number) => (s / total) * width;
  const marks = r.bursts.map((b) => {
    const left = Math.min(width - minWidth, Math.max(0, x(b.firstStep)));
    return { burst: b, lane: kinds.indexOf(b.kind), x: left, w: Math.max(minWidth, Math.min(width - left, x(b.lastStep + 1) - x(b.firstStep))) };
  });
  return { lanes: kinds, marks, width, trainingSteps: total };
}

/** The URL of a training episode the server re-simulates as an episode file. */
export function trainingEpisodeUrl(runId: number, env: number, episode: number): string {
  return `api/runs/${runId}/training/${env}/${episode}.jsonl`;
}

const el = <K extends keyof HTMLElementTagNameMap>(tag: K, cls?: string, text?: string): HTMLElementTagNameMap[K] => {
  const e = document.createElement(tag);
  if (cls) e.className = cls;
  if (text !== undefined) e.textContent = text;
  return e;
};

/**
 * Fills `parent` with the Incidents view of served run `runId`. `open(url, step, label)` is called with a training
 * episode's URL and the alerting step within it, step k being its k-th action as the viewer numbers steps (the
 * page opens it in its player there).
 */
export async function mountIncidents(parent: HTMLElement, runId: number, open: (url: string, step: number, label: string) => void): Promise<void> {
  parent.replaceChildren(el('p', 'incidents-status', 'loading the firewall alerts…'));
  const res = await fetch(`api/runs/${runId}/incidents`);
  const body = await res.text();
  if (!res.ok) {
    parent.replaceChildren(el('p', 'incidents-status', `no incidents view for this run: ${body.slice(0, 300)}`));
    return;
  }
  const report = JSON.parse(body) as IncidentReport & { recordedEpisodes?: number };
  const width = Math.max(320, parent.clientWidth - 140);
  const layout = incidentsLayout(report, width);
  const head = el('p', 'incidents-summary', `${report.alerts.toLocaleString('en')} firewall alerts over ${report.trainingSteps.toLocaleString('en')} training steps in ${report.bursts.length} bursts; stated false-positive rate ${report.falsePositiveRate} per step (${Math.round(report.expectedFalsePositivesOverall).toLocaleString('en')} expected, ${report.labelledFalsePositivesOverall.toLocaleString('en')} labelled).`);
  const plot = el('div', 'incidents-plot');
  const list = el('div', 'incidents-episodes');
  layout.lanes.forEach((kind, lane) => {
    const row = el('div', 'incidents-lane');
    row.append(el('span', 'incidents-kind', kind));
    const track = el('div', 'incidents-track');
    track.style.width = `${width}px`;
    for (const m of layout.marks.filter((k) => k.lane === lane)) {
      const b = el('button', `incidents-burst${m.burst.likelyNoise ? ' noise' : ''}`);
      b.style.left = `${m.x}px`;
      b.style.width = `${m.w}px`;
      b.title = `#${m.burst.rank} ${m.burst.kind}: steps ${m.burst.firstStep.toLocaleString('en')}–${m.burst.lastStep.toLocaleString('en')}, ${m.burst.alerts} alerts, ${m.burst.expectedFalsePositives.toFixed(1)} false positives expected (p ${m.burst.pNoise.toPrecision(2)})`;
      b.addEventListener('click', () => showBurst(list, runId, m.burst, open));
      track.append(b);
    }
    row.append(track);
    plot.append(row);
  });
  parent.replaceChildren(head, plot, list);
  const first = report.bursts[0];
  if (first) showBurst(list, runId, first, open);
}

function showBurst(list: HTMLElement, runId: number, b: Burst, open: (url: string, step: number, label: string) => void): void {
  const items = el('ol', 'incidents-list');
  for (const e of b.episodes) {
    const li = el('li');
    const at = e.episodeSteps?.[0];
    const label = `env ${e.env} episode ${e.episode}: ${e.alerts} alert${e.alerts === 1 ? '' : 's'}${at === undefined ? ' (not recorded)' : ` from step ${at}`}`;
    if (at === undefined) li.textContent = label;
    else {
      const btn = el('button', 'incidents-open', label);
      btn.addEventListener('click', () => open(trainingEpisodeUrl(runId, e.env, e.episode), at, `training env ${e.env} episode ${e.episode}`));
      li.append(btn);
    }
    items.append(li);
  }
  const more = b.episodeCount > b.episodes.length ? ` (the first ${b.episodes.length} of ${b.episodeCount})` : '';
  list.replaceChildren(el('h3', undefined, `#${b.rank} ${b.kind}: ${b.alerts} alerts in ${b.episodeCount} episodes${more}`), items);
}
