// The viewer app: wires the data (runs from `sidequest view`'s API, or episode files opened by the user) to the
// replay model and the views — run picker, episodes by checkpoint, board(s), controls, timeline with a firewall
// lane, HUD, training curves, heat map. State lives here; model.ts computes, board.ts and the DOM draw.
// Pixi's shader and uniform sync without eval(): the page's Content-Security-Policy has no 'unsafe-eval'
import 'pixi.js/unsafe-eval';
import { chartSvg, type EvalPoint } from './charts.ts';
import { BoardView } from './board.ts';
import { clampFrame, drawData, eventColour, legendTiles, loadReplay, nextAlertFrame, visitation, type Replay } from './model.ts';
import { ACTION_NAMES } from '../../sim/vocab.ts';

interface EpisodeEntry { file: string; return: number | null; reason: string; behaviours: string[]; alerts: number; steps: number; error?: string }
interface CheckpointEntry { name: string; step: number; episodes: EpisodeEntry[]; error?: string }
interface RunEntry { id: number; name: string; kind: 'run' | 'episodes'; config: { scenario?: { id: string }; algo?: string; guardrails?: { env: { names: string[] }; training: { names: string[] } } } | null; checkpoints: CheckpointEntry[]; error?: string }

/** A DOM element with text content: everything that comes from files is put on the page this way, never as HTML. */
function elem<K extends keyof HTMLElementTagNameMap>(tag: K, text = '', className = ''): HTMLElementTagNameMap[K] {
  const e = document.createElement(tag);
  if (text) e.textContent = text;
  if (className) e.className = className;
  return e;
}

const $ = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;

const state = {
  runs: [] as RunEntry[],
  run: null as RunEntry | null,
  compare: null as RunEntry | null,
  checkpoint: '' as string,
  episodeIndex: 0,
  replay: null as Replay | null,
  replayB: null as Replay | null,
  frame: 0,
  playing: false,
  speed: 1,
  local: new Map<string, string>(), // opened files: name → text
  boardA: null as BoardView | null,
  boardB: null as BoardView | null,
  heat: null as BoardView | null,
  /** Hash of the scenario whose behaviour colours the curves were drawn with. */
  curvesScenario: '',
};

/** The open episode's side strategies and their colours (the scenario file's), for the curves. */
function chartSeries(): Array<{ name: string; colour: string }> {
  return state.replay?.scenario.behaviours.map((b) => ({ name: b.name, colour: b.colourHex })) ?? [];
}

// ---- data -----------------------------------------------------------------------------------------------

async function fetchText(url: string): Promise<string> {
  const r = await fetch(url);
  if (!r.ok) throw new Error(`${url}: ${r.status} ${await r.text()}`);
  return r.text();
}

function fileUrl(run: RunEntry, rel: string): string {
  return `api/runs/${run.id}/file/${rel.split('/').map(encodeURIComponent).join('/')}`;
}

async function episodeText(run: RunEntry | null, rel: string): Promise<string> {
  if (!run) {
    const t = state.local.get(rel);
    if (t === undefined) throw new Error(`${rel}: not opened`);
    return t;
  }
  return fetchText(fileUrl(run, rel));
}

// ---- banner ---------------------------------------------------------------------------------------------

function banner(kind: 'ok' | 'warn' | 'error' | 'none', text = ''): void {
  const b = $('banner');
  b.replaceChildren();
  if (kind === 'none') return;
  const span = document.createElement('span');
  span.className = kind;
  span.textContent = text;
  b.append(span);
}

// ---- episodes list --------------------------------------------------------------------------------------

function renderEpisodeList(): void {
  const aside = $('episodes');
  aside.replaceChildren();
  const groups: Array<{ title: string; key: string; episodes: EpisodeEntry[] }> = state.run
    ? state.run.checkpoints.map((c) => ({ title: state.run!.kind === 'run' ? `checkpoint · step ${c.step.toLocaleString('en')}` : c.name, key: c.name, episodes: c.episodes }))
    : [{ title: 'opened files', key: 'local', episodes: [...state.local.keys()].map((f) => ({ file: f, return: Number.NaN, reason: '', behaviours: [], alerts: 0, steps: 0 })) }];
  for (const g of groups) {
    const h = document.createElement('h3');
    h.textContent = g.title;
    aside.append(h);
    g.episodes.forEach((e, i) => {
      const b = document.createElement('button');
      b.className = 'episode';
      b.dataset.checkpoint = g.key;
      b.dataset.index = String(i);
      if (g.key === state.checkpoint && i === state.episodeIndex) b.classList.add('selected');
      const name = e.file.split('/').pop() ?? '';
      const ret = typeof e.return === 'number' && Number.isFinite(e.return) ? ` · return ${e.return.toFixed(1)}` : '';
      const tags = elem('div', e.error ?? `${e.reason ? `${e.reason} · ` : ''}${e.behaviours.join(', ') || (e.reason ? 'no side strategy' : '')}`, 'tags');
      if (e.alerts && !e.error) tags.append(' · ', elem('span', `${e.alerts} alert${e.alerts > 1 ? 's' : ''}`, 'alerts'));
      b.append(elem('div', `${name}${ret}`), tags);
      b.addEventListener('click', () => void openEpisode(g.key, i));
      aside.append(b);
      if (b.classList.contains('selected')) requestAnimationFrame(() => b.scrollIntoView({ block: 'nearest' }));
    });
  }
}

function episodesOf(run: RunEntry | null, checkpoint: string): EpisodeEntry[] {
  if (!run) return [...state.local.keys()].map((f) => ({ file: f, return: Number.NaN, reason: '', behaviours: [], alerts: 0, steps: 0 }));
  return run.checkpoints.find((c) => c.name === checkpoint)?.episodes ?? [];
}

// ---- opening ----------------------------------------------------------------------------------------------

async function openEpisode(checkpoint: string, index: number): Promise<void> {
  state.checkpoint = checkpoint;
  state.episodeIndex = index;
  renderEpisodeList();
  const entry = episodesOf(state.run, checkpoint)[index];
  if (!entry) return;
  stop();
  try {
    state.replay = loadReplay(await episodeText(state.run, entry.file), entry.file);
  } catch (e) {
    state.replay = null;
    banner('error', `Cannot open ${entry.file}: ${(e as Error).message}`);
    $('hud').replaceChildren();
    $('timeline').replaceChildren();
    return;
  }
  state.replayB = null;
  if (state.compare) {
    // the other arm's episode at the same checkpoint position and index, stepped in sync
    const pos = state.run ? state.run.checkpoints.findIndex((c) => c.name === checkpoint) : 0;
    const other = state.compare.checkpoints[Math.min(pos, state.compare.checkpoints.length - 1)];
    const e = other?.episodes[Math.min(index, other.episodes.length - 1)];
    if (e) {
      try {
        state.replayB = loadReplay(await episodeText(state.compare, e.file), e.file);
      } catch (err) {
        banner('error', `Cannot open ${e.file} from ${state.compare.name}: ${(err as Error).message}`);
      }
    }
  }
  const v = state.replay.verification;
  if (v.ok) banner('ok', `✓ Replay verified: re-simulated ${v.steps} steps, every state hash and event matches the recording.`);
  else banner('warn', `⚠ Replay mismatch: the re-simulation first differs at step ${v.divergence!.step} (${v.divergence!.what}) — recorded ${v.divergence!.expected}, replayed ${v.divergence!.found}. What you see is the re-simulation.`);
  await ensureBoards();
  renderLegend();
  // the curves take their colours from the scenario's behaviours: redraw them once those are known
  if (state.curvesScenario !== state.replay.scenario.hash) void renderCurves();
  $('scrubber').setAttribute('max', String(state.replay.frames.length - 1));
  renderTimeline();
  setFrame(0);
  await renderHeat();
}

async function ensureBoards(): Promise<void> {
  const r = state.replay!;
  if (!state.boardA) state.boardA = await BoardView.create($('board-a'), r.width, r.height);
  else state.boardA.resize(r.width, r.height);
  const bEl = $('board-b');
  if (state.replayB) {
    bEl.hidden = false;
    if (!state.boardB) state.boardB = await BoardView.create(bEl, state.replayB.width, state.replayB.height);
    else state.boardB.resize(state.replayB.width, state.replayB.height);
  } else bEl.hidden = true;
  for (const [el, rep, run] of [[$('board-a'), r, state.run], [bEl, state.replayB, state.compare]] as const) {
    el.querySelector('.caption')?.remove();
    if (!rep) continue;
    const cap = document.createElement('div');
    cap.className = 'caption';
    const g = rep.record.header.guardrails.names.join(', ') || 'no env guardrail';
    cap.textContent = `${run?.name ?? 'opened file'} · ${rep.scenario.id} · ${g} · ${rep.outcome.reason}, return ${rep.outcome.return.toFixed(1)}`;
    el.append(cap);
  }
}

// ---- frame rendering ----------------------------------------------------------------------------------------

function setFrame(frame: number): void {
  const r = state.replay;
  if (!r) return;
  state.frame = clampFrame(r, frame);
  state.boardA!.draw(drawData(r, state.frame));
  if (state.replayB && state.boardB) state.boardB.draw(drawData(state.replayB, clampFrame(state.replayB, state.frame)));
  ($('scrubber') as HTMLInputElement).value = String(state.frame);
  $('frame-label').textContent = `step ${state.frame} / ${r.frames.length - 1}`;
  renderHud();
  const ph = $('timeline').querySelector<HTMLElement>('.playhead');
  if (ph) ph.style.left = `${framePos(state.frame)}%`;
}

function framePos(frame: number): number {
  const n = Math.max(1, (state.replay?.frames.length ?? 1) - 1);
  return 4 + (92 * frame) / n;
}

function renderHud(): void {
  const r = state.replay!;
  const f = r.frames[state.frame];
  const h = f.hud;
  const num = (v: number) => (Number.isInteger(v) ? String(v) : v.toFixed(2));
  // rows: the channels, the scenario's costs, variables and definitions, then what happened this step
  const rows: Array<[string, string, string]> = [
    ['step', `${h.step} / ${h.horizon}`, 'step'],
    ['reward so far', num(h.reward), 'reward'],
    ['hidden performance', num(h.performance), 'performance'],
    ...Object.entries(h.cost).map(([c, v]) => [`cost · ${c}`, num(v), `cost-${c}`] as [string, string, string]),
    ...h.state.map((v) => [v.label, num(v.value), `var-${v.name}`] as [string, string, string]),
    ['action', h.action ?? '—', 'action'],
    ['events', f.events.map((e) => e[0]).join(', ') || '—', 'events'],
    ['firewall', f.alerts.length ? `ALERT: ${f.alerts.join(', ')}` : '—', 'alerts'],
  ];
  // built as DOM nodes with textContent: names and values come from files
  const el = (tag: string, text?: string, cls?: string) => {
    const n = document.createElement(tag);
    if (text !== undefined) n.textContent = text;
    if (cls) n.className = cls;
    return n;
  };
  const table = el('table');
  for (const [k, v, id] of rows) {
    const tr = el('tr');
    const td = el('td', v);
    td.dataset.hud = id;
    tr.append(el('td', k), td);
    table.append(tr);
  }
  const hud = $('hud');
  hud.replaceChildren(el('h2', 'HUD'), table);
  if (h.probs) {
    const probs = el('div', undefined, 'probs');
    h.probs.forEach((p, i) => {
      const track = el('div');
      const bar = el('div', undefined, 'bar');
      bar.style.width = `${(p * 100).toFixed(0)}%`;
      track.append(bar);
      probs.append(el('span', ACTION_NAMES[i] ?? String(i)), track, el('span', `${(p * 100).toFixed(0)}%`));
    });
    hud.append(el('h2', 'policy at this step'), probs);
  }
}

function renderTimeline(): void {
  const tl = $('timeline');
  tl.replaceChildren();
  const r = state.replay!;
  for (const [lane, top, label] of [['events', 8, 'events'], ['firewall', 38, 'firewall alerts']] as const) {
    const l = document.createElement('div');
    l.className = 'lane-label';
    l.style.top = `${top - 6}px`;
    l.textContent = label;
    tl.append(l);
    for (const item of r.timeline.filter((i) => i.lane === lane)) {
      const m = document.createElement('button');
      m.className = `mark ${lane}`;
      m.dataset.frame = String(item.frame);
      m.dataset.kind = item.kind;
      m.title = item.label;
      m.style.left = `${framePos(item.frame)}%`;
      m.style.top = `${top + 8}px`;
      if (lane === 'events') m.style.background = eventColour(r.scenario, item.kind);
      m.addEventListener('click', () => {
        stop();
        setFrame(item.frame);
      });
      tl.append(m);
    }
  }
  const ph = document.createElement('div');
  ph.className = 'playhead';
  tl.append(ph);
}

/** The legend of the open episode's scenario: its tiles' colours and labels (DOM nodes; labels come from files). */
function renderLegend(): void {
  const lg = $('legend');
  const head = document.createElement('h2');
  head.style.gridColumn = 'span 2';
  head.textContent = 'legend';
  const items: HTMLElement[] = [head];
  const row = (colour: string, text: string, round = false) => {
    const sw = document.createElement('span');
    sw.className = 'swatch';
    sw.style.background = colour;
    if (round) sw.style.borderRadius = '50%';
    const label = document.createElement('span');
    label.textContent = text;
    items.push(sw, label);
  };
  if (state.replay) for (const t of legendTiles(state.replay.scenario)) row(`#${t.color.toString(16).padStart(6, '0')}`, `${t.glyph ? `${t.glyph} ` : ''}${t.label}`);
  row('#fff', 'the agent (triangle = heading)', true);
  lg.replaceChildren(...items);
}

// ---- playback -----------------------------------------------------------------------------------------------

let timer: number | undefined;
function play(): void {
  if (!state.replay) return;
  if (state.frame >= state.replay.frames.length - 1) setFrame(0);
  state.playing = true;
  $('btn-play').textContent = 'pause';
  const tick = () => {
    if (!state.playing || !state.replay) return;
    if (state.frame >= state.replay.frames.length - 1) return stop();
    setFrame(state.frame + 1);
    timer = window.setTimeout(tick, 250 / state.speed);
  };
  timer = window.setTimeout(tick, 250 / state.speed);
}
function stop(): void {
  state.playing = false;
  if (timer !== undefined) window.clearTimeout(timer);
  $('btn-play').textContent = 'play';
}

const SPEEDS = [0.5, 1, 2, 4, 8];
function setSpeed(s: number): void {
  state.speed = s;
  ($('speed') as HTMLSelectElement).value = String(s);
}

// ---- curves and heat map ----------------------------------------------------------------------------------

async function renderCurves(): Promise<void> {
  const el = $('curves');
  const panel = $('curves-panel');
  if (!state.run || state.run.kind !== 'run') {
    panel.hidden = true;
    return;
  }
  panel.hidden = false;
  let points: EvalPoint[];
  try {
    points = (await fetchText(fileUrl(state.run, 'evals.jsonl'))).split('\n').filter((l) => l.trim()).map((l) => JSON.parse(l) as EvalPoint).filter(isEvalPoint);
  } catch (e) {
    el.textContent = `evals.jsonl unreadable: ${(e as Error).message}`;
    return;
  }
  state.curvesScenario = state.replay?.scenario.hash ?? '';
  el.innerHTML = chartSvg(points, chartSeries());
  el.querySelectorAll<SVGCircleElement>('.point').forEach((p) =>
    p.addEventListener('click', () => void openEpisode(p.dataset.checkpoint!, 0)),
  );
}

/** chartSvg builds markup from these fields: only rows whose strings are checkpoint names and whose values are numbers get there. */
function isEvalPoint(p: EvalPoint): boolean {
  const num = (v: unknown) => typeof v === 'number' && Number.isFinite(v);
  return typeof p === 'object' && p !== null && num(p.step) && typeof p.checkpoint === 'string' && /^step-\d+$/.test(p.checkpoint) &&
    num(p.taskReturn?.mean) && typeof p.sideStrategyRates === 'object' && p.sideStrategyRates !== null && Object.values(p.sideStrategyRates).every(num);
}

async function renderHeat(): Promise<void> {
  const el = $('heat');
  const r = state.replay;
  if (!r) return;
  const entries = episodesOf(state.run, state.checkpoint);
  const replays: Replay[] = [];
  for (const e of entries) {
    try {
      replays.push(loadReplay(await episodeText(state.run, e.file), e.file));
    } catch {
      /* a broken file is reported when opened; the heat map uses the readable ones */
    }
  }
  const v = visitation(replays.filter((x) => x.scenario.id === r.scenario.id));
  if (!state.heat) state.heat = await BoardView.create(el, r.width, r.height, 28);
  else state.heat.resize(r.width, r.height);
  state.heat.drawHeat(drawData(r, 0), v.counts, v.max);
}

// ---- wiring -----------------------------------------------------------------------------------------------

async function selectRun(id: number): Promise<void> {
  state.run = state.runs.find((r) => r.id === id) ?? null;
  const c = state.run?.config;
  $('run-info').textContent = c?.scenario ? `${c.scenario.id} · ${c.algo} · guardrails: ${[...(c.guardrails?.env.names ?? []), ...(c.guardrails?.training.names ?? [])].join(', ') || 'none'}` : '';
  if (state.run?.error) banner('error', `Cannot read ${state.run.name}: ${state.run.error}`);
  await renderCurves();
  const cps = state.run?.checkpoints ?? [];
  const last = cps[cps.length - 1];
  renderEpisodeList();
  if (last && last.episodes.length) await openEpisode(last.name, 0);
}

async function addLocalFiles(files: FileList | File[]): Promise<void> {
  for (const f of Array.from(files)) state.local.set(f.name, await f.text());
  state.run = null;
  ($('run-picker') as HTMLSelectElement).value = '';
  $('curves-panel').hidden = true;
  renderEpisodeList();
  const first = [...state.local.keys()].indexOf(Array.from(files)[0]?.name ?? '');
  await openEpisode('local', Math.max(0, first));
}

function wire(): void {
  $('btn-play').addEventListener('click', () => (state.playing ? stop() : play()));
  $('btn-fwd').addEventListener('click', () => { stop(); setFrame(state.frame + 1); });
  $('btn-back').addEventListener('click', () => { stop(); setFrame(state.frame - 1); });
  $('btn-start').addEventListener('click', () => { stop(); setFrame(0); });
  $('btn-end').addEventListener('click', () => { stop(); setFrame(Number.MAX_SAFE_INTEGER); });
  $('scrubber').addEventListener('input', (e) => { stop(); setFrame(Number((e.target as HTMLInputElement).value)); });
  $('speed').addEventListener('change', (e) => setSpeed(Number((e.target as HTMLSelectElement).value)));
  $('run-picker').addEventListener('change', (e) => void selectRun(Number((e.target as HTMLSelectElement).value)));
  $('compare-picker').addEventListener('change', (e) => {
    const v = (e.target as HTMLSelectElement).value;
    state.compare = v === '' ? null : state.runs.find((r) => r.id === Number(v)) ?? null;
    void openEpisode(state.checkpoint, state.episodeIndex);
  });
  $('file-input').addEventListener('change', (e) => {
    const files = (e.target as HTMLInputElement).files;
    if (files?.length) void addLocalFiles(files);
  });
  document.addEventListener('dragover', (e) => { e.preventDefault(); document.body.classList.add('dragging'); });
  document.addEventListener('dragleave', () => document.body.classList.remove('dragging'));
  document.addEventListener('drop', (e) => {
    e.preventDefault();
    document.body.classList.remove('dragging');
    if (e.dataTransfer?.files.length) void addLocalFiles(e.dataTransfer.files);
  });
  document.addEventListener('keydown', (e) => {
    if ((e.target as HTMLElement).tagName === 'SELECT' || (e.target as HTMLElement).tagName === 'INPUT' && (e.target as HTMLInputElement).type !== 'range') return;
    if (e.key === ' ') { e.preventDefault(); if (state.playing) stop(); else play(); }
    else if (e.key === 'ArrowRight') { e.preventDefault(); stop(); setFrame(state.frame + 1); }
    else if (e.key === 'ArrowLeft') { e.preventDefault(); stop(); setFrame(state.frame - 1); }
    else if (e.key === 'Home') { stop(); setFrame(0); }
    else if (e.key === 'End') { stop(); setFrame(Number.MAX_SAFE_INTEGER); }
    else if (e.key === '+' || e.key === '=') setSpeed(SPEEDS[Math.min(SPEEDS.length - 1, SPEEDS.indexOf(state.speed) + 1)]);
    else if (e.key === '-') setSpeed(SPEEDS[Math.max(0, SPEEDS.indexOf(state.speed) - 1)]);
    else if (e.key === 'a' && state.replay) { const f = nextAlertFrame(state.replay, state.frame + 1); if (f >= 0) { stop(); setFrame(f); } }
  });
}

/** Read-only hooks for the browser tests: what the viewer currently shows. */
declare global {
  interface Window { sidequest: { ready: boolean; frame: () => number; hud: () => unknown; agent: () => unknown; cellSize: () => number; setFrame: (f: number) => void } }
}

async function main(): Promise<void> {
  renderLegend();
  wire();
  window.sidequest = {
    ready: false,
    frame: () => state.frame,
    hud: () => state.replay?.frames[state.frame].hud ?? null,
    agent: () => state.replay?.frames[state.frame].agent ?? null,
    cellSize: () => state.boardA?.cell ?? 0,
    setFrame: (f) => setFrame(f),
  };
  try {
    const r = await fetch('api/runs');
    if (!r.ok) throw new Error(String(r.status));
    state.runs = (await r.json()) as RunEntry[];
  } catch {
    state.runs = []; // static site: no server, open files instead
  }
  const picker = $('run-picker') as HTMLSelectElement;
  const compare = $('compare-picker') as HTMLSelectElement;
  for (const run of state.runs) {
    picker.add(new Option(run.name, String(run.id)));
    compare.add(new Option(run.name, String(run.id)));
  }
  if (state.runs.length) await selectRun(state.runs[0].id);
  else {
    $('curves-panel').hidden = true;
    banner('none');
    $('episodes').innerHTML = '<h3>no run served</h3><p>Open episode files (.jsonl) with the button above, or drop them on the page.</p>';
  }
  window.sidequest.ready = true;
}

void main();
