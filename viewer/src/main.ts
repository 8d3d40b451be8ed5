// The viewer app: wires the data (runs from `sidequest view`'s API, or episode files opened by the user) to the
// panels — episode list (episodes-panel.ts), board panes with their HUDs (pane.ts, hud.ts), play controls
// (player.ts), timeline (timeline.ts), emergence curves (curves-panel.ts), heat map (heat-panel.ts) — and keeps
// the URL's share link (link.ts) in step with what is shown. Which episode is open lives here; the replay model
// (model.ts) computes, replays.ts simulates each episode once, the panels draw.
// Pixi's shader and uniform sync without eval(): the page's Content-Security-Policy has no 'unsafe-eval'
import 'pixi.js/unsafe-eval';
import { RUNS_URL, runConfigSummary, runFileUrl, type EpisodeEntry, type RunEntry } from './api.ts';
import { CurvesPanel, parseEvals } from './curves-panel.ts';
import { byId, elem, nextPaint, swatch } from './dom.ts';
import { renderEpisodeList, renderNoRun, type EpisodeGroup } from './episodes-panel.ts';
import { HeatPanel } from './heat-panel.ts';
import { formatLink, parseLink, type ShareLink } from './link.ts';
import { drawData, legendTiles, nextAlertFrame, simulationCount, type Replay } from './model.ts';
import { Pane, type PaneSource } from './pane.ts';
import { Player } from './player.ts';
import { ReplayCache } from './replays.ts';
import { TimelineView } from './timeline.ts';

/** Episodes a heat map counts at most (each is simulated once): a checkpoint of thousands stays quick. */
const MAX_HEAT_EPISODES = 64;
/** Files opened from disk are kept at most this many (each stays in memory as text). */
const MAX_LOCAL_FILES = 500;

interface LocalFile { id: number; name: string; label: string; text: string }

/** One episode the app can open: where its text comes from, its cache key and how its pane names it. */
interface EpisodeRef { key: string; origin: string; text: () => Promise<string>; source: PaneSource; file: string }

const state = {
  runs: [] as RunEntry[],
  run: null as RunEntry | null,
  /** The other side of compare mode: another run (same checkpoint position), or a checkpoint of this run (before/after). */
  compare: null as { run: RunEntry; checkpoint: string | null } | null,
  checkpoint: '',
  episodeIndex: -1,
  local: [] as LocalFile[],
  nextLocalId: 0,
  replay: null as Replay | null,
  replayB: null as Replay | null,
  /** Hash of the scenario whose behaviour colours the curves were drawn with. */
  curvesScenario: '',
  /** Bumped by every open: an older open that finishes late does not overwrite a newer one. */
  openToken: 0,
  loading: false,
  /** A link to a file opened from disk, waiting for that file to be opened. */
  pendingLink: null as ShareLink | null,
};

const cache = new ReplayCache(nextPaint);
const paneA = new Pane(byId('pane-a'), byId('board-a'), byId('area-a'), byId('hud'));
const paneB = new Pane(byId('pane-b'), byId('board-b'), byId('area-b'), byId('hud-b'));
const timeline = new TimelineView(byId('timeline'), byId('timeline-key'), (f) => player.seek(f));
const heat = new HeatPanel(byId('heat'), byId('heat-scale'), byId('heat-note'));
const curves = new CurvesPanel(byId('curves-panel'), byId('curves'), byId('curves-legend'), (cp) => void openEpisode(cp, 0));
const player = new Player(showFrame, () => updateLink());

// ---- data -----------------------------------------------------------------------------------------------

async function fetchText(url: string): Promise<string> {
  const r = await fetch(url);
  if (!r.ok) throw new Error(`${url}: ${r.status} ${await r.text()}`);
  return r.text();
}

function checkpointLabel(run: RunEntry | null, checkpoint: string): string {
  if (!run) return 'opened file';
  const c = run.checkpoints.find((x) => x.name === checkpoint);
  return run.kind === 'run' && c ? `checkpoint · step ${c.step.toLocaleString('en')}` : checkpoint;
}

function groups(): EpisodeGroup[] {
  const run = state.run;
  if (run) return run.checkpoints.map((c) => ({ title: checkpointLabel(run, c.name), key: c.name, episodes: c.episodes.map((e) => ({ label: e.file.split('/').pop() ?? '', entry: e })) }));
  return [{ title: 'opened files', key: 'local', episodes: state.local.map((f) => ({ label: f.label, entry: null })) }];
}

function episodesOf(run: RunEntry, checkpoint: string): EpisodeEntry[] {
  return run.checkpoints.find((c) => c.name === checkpoint)?.episodes ?? [];
}

function refOf(run: RunEntry | null, checkpoint: string, index: number): EpisodeRef | null {
  if (!run) {
    const f = state.local[index];
    // each opened file has its own id: two files of one name (from two checkpoints) stay two episodes
    return f ? { key: `local:${f.id}`, origin: f.label, text: async () => f.text, source: { run: 'opened file', checkpoint: '', file: f.label }, file: f.name } : null;
  }
  const e = episodesOf(run, checkpoint)[index];
  if (!e) return null;
  return { key: `run:${run.id}:${e.file}`, origin: e.file, text: () => fetchText(runFileUrl(run.id, e.file)), source: { run: run.name, checkpoint: checkpointLabel(run, checkpoint), file: e.file }, file: e.file };
}

// ---- banner and loading ------------------------------------------------------------------------------------

function banner(kind: 'ok' | 'warn' | 'error' | 'none', text = ''): void {
  const b = byId('banner');
  b.replaceChildren();
  if (kind !== 'none') b.append(elem('span', text, kind));
}

function setLoading(text: string | null): void {
  state.loading = text !== null;
  const l = byId('loading');
  l.hidden = text === null;
  l.textContent = text ?? '';
}

function verificationBanner(r: Replay): void {
  const v = r.verification;
  if (v.ok) return banner('ok', `✓ Replay verified: re-simulated ${v.steps} steps, every state hash and event matches the recording.`);
  const d = v.divergence!;
  // steps are numbered as on the scrubber and in the HUD: the file's t = 7 is step 8
  const where = d.step < 0 ? 'before the first step' : `at step ${d.step + 1}`;
  banner('warn', `⚠ Replay mismatch: the re-simulation first differs ${where} (${d.what}) — recorded ${d.expected}, replayed ${d.found}. What you see is the re-simulation.`);
}

// ---- opening ----------------------------------------------------------------------------------------------

/** Everything that showed an episode is emptied (after a failed open the previous board must not stay). */
function clearView(message: string): void {
  state.replay = null;
  state.replayB = null;
  player.clear();
  paneA.clear(message);
  paneB.clear();
  byId('pane-b').hidden = true;
  byId('stage').classList.remove('comparing');
  timeline.clear();
  heat.clear();
}

async function openEpisode(checkpoint: string, index: number, frame = 0): Promise<boolean> {
  const token = ++state.openToken;
  state.checkpoint = checkpoint;
  state.episodeIndex = index;
  renderEpisodeList(byId('episodes'), groups(), { key: checkpoint, index }, (k, i) => void openEpisode(k, i));
  const ref = refOf(state.run, checkpoint, index);
  if (!ref) return false;
  player.stop();
  if (!cache.peek(ref.key)) setLoading(`simulating ${ref.origin.split('/').pop()}…`);
  let replay: Replay;
  try {
    replay = await cache.get(ref.key, ref.origin, ref.text);
  } catch (e) {
    if (token !== state.openToken) return false;
    setLoading(null);
    const msg = `Cannot open ${ref.origin}: ${(e as Error).message}`;
    banner('error', msg);
    clearView(msg);
    updateLink(null);
    return false;
  }
  // the other run's episode at the same checkpoint position and index, stepped in sync
  let replayB: Replay | null = null;
  let refB: EpisodeRef | null = null;
  if (state.compare) {
    const cr = state.compare.run;
    const pos = state.run ? state.run.checkpoints.findIndex((c) => c.name === checkpoint) : 0;
    const other = state.compare.checkpoint !== null ? cr.checkpoints.find((c) => c.name === state.compare!.checkpoint) : cr.checkpoints[Math.max(0, Math.min(pos, cr.checkpoints.length - 1))];
    if (other) refB = refOf(cr, other.name, Math.min(index, other.episodes.length - 1));
    if (refB) {
      try {
        replayB = await cache.get(refB.key, refB.origin, refB.text);
      } catch (err) {
        if (token === state.openToken) banner('error', `Cannot open ${refB.origin} from ${cr.name}: ${(err as Error).message}`);
        replayB = null;
      }
    }
  }
  if (token !== state.openToken) return false;
  setLoading(null);
  state.replay = replay;
  state.replayB = replayB;
  verificationBanner(replay);
  const comparing = replayB !== null && refB !== null;
  byId('stage').classList.toggle('comparing', comparing);
  byId('pane-b').hidden = !comparing;
  // the single view puts the policy beside the board; in compare mode each pane keeps its own under its HUD
  paneA.hud.setPolicySlot(comparing ? null : byId('policy-a'));
  await paneA.show(replay, ref.source);
  if (comparing) await paneB.show(replayB!, refB!.source);
  else paneB.clear();
  renderLegend();
  // the curves take their colours from the scenario's behaviours: redraw them once those are known
  if (state.curvesScenario !== replay.scenario.hash) {
    state.curvesScenario = replay.scenario.hash;
    curves.setSeries(replay.scenario.behaviours.map((b) => ({ name: b.name, colour: b.colourHex })));
  }
  curves.setMarker(state.run?.kind === 'run' ? checkpoint : '');
  timeline.show(replay);
  player.load(replay.frames.length, frame);
  void renderHeat(token, replay);
  return true;
}

/** The heat map of the open episode's checkpoint: its episodes come from the cache (simulated once each). */
async function renderHeat(token: number, open: Replay): Promise<void> {
  const run = state.run;
  const listed = run ? episodesOf(run, state.checkpoint).length : state.local.length;
  const count = Math.min(listed, MAX_HEAT_EPISODES);
  const replays: Replay[] = [];
  heat.pending();
  for (let i = 0; i < count; i++) {
    const ref = refOf(run, state.checkpoint, i);
    if (!ref) continue;
    try {
      replays.push(await cache.get(ref.key, ref.origin, ref.text));
    } catch {
      /* a broken file is reported when opened; the heat map uses the readable ones */
    }
    if (token !== state.openToken) return;
  }
  await heat.show(open, replays, listed - count);
}

function showFrame(frame: number): void {
  paneA.setFrame(frame);
  paneB.setFrame(frame);
  timeline.setFrame(frame);
  if (!player.playing) updateLink();
}

/** The legend of the open episode's scenario: its tiles' colours and labels (DOM nodes; labels come from files). */
function renderLegend(): void {
  const items: HTMLElement[] = [elem('h2', 'legend')];
  if (state.replay) for (const t of legendTiles(state.replay.scenario)) items.push(...swatch(`#${t.color.toString(16).padStart(6, '0')}`, `${t.glyph ? `${t.glyph} ` : ''}${t.label}`));
  items.push(...swatch('#fff', 'the agent (triangle = heading)', true));
  items.push(...swatch('#ff1744', 'firewall alert: the cell flashes red'));
  byId('legend').replaceChildren(...items);
}

// ---- share links ------------------------------------------------------------------------------------------

function currentLink(): ShareLink | null {
  const ref = state.replay ? refOf(state.run, state.checkpoint, state.episodeIndex) : null;
  if (!ref) return null;
  return { run: state.run?.name ?? '', checkpoint: state.run ? state.checkpoint : 'local', episode: ref.file.split('/').pop() ?? '', step: player.frame };
}

/** Keeps the address bar's link in step with the view (replaceState: no history entry per step). */
function updateLink(link: ShareLink | null = currentLink()): void {
  const hash = link ? formatLink(link) : '';
  if (hash === location.hash || (!hash && !location.hash)) return;
  history.replaceState(null, '', hash || location.pathname + location.search);
}

/** Opens what a link names, or says in the banner why it cannot. */
async function applyLink(hash: string): Promise<boolean> {
  const parsed = parseLink(hash);
  if (!parsed.ok) {
    banner('error', `This link cannot be opened: ${parsed.error}. Showing the first run instead.`);
    return false;
  }
  const l = parsed.link;
  if (!l) return false;
  const fail = (why: string) => {
    banner('error', `This link cannot be opened: ${why}.`);
    return false;
  };
  if (l.checkpoint === 'local') {
    const i = state.local.findIndex((f) => f.name === l.episode);
    if (i < 0) {
      state.pendingLink = l;
      return fail(`it shows ${l.episode}, a file opened from disk: open that file (button above) and it opens at step ${l.step}`);
    }
    await selectLocal();
    return openEpisode('local', i, l.step);
  }
  const run = state.runs.find((r) => r.name === l.run);
  if (!run) return fail(`the run "${l.run}" is not served here (${state.runs.length ? `served: ${state.runs.map((r) => r.name).join(', ')}` : 'no run is served'})`);
  const cp = run.checkpoints.find((c) => c.name === l.checkpoint);
  if (!cp) return fail(`the run "${run.name}" has no checkpoint ${l.checkpoint}`);
  const index = cp.episodes.findIndex((e) => e.file.split('/').pop() === l.episode);
  if (index < 0) return fail(`checkpoint ${cp.name} of "${run.name}" has no episode ${l.episode}`);
  await selectRun(run.id, false);
  return openEpisode(cp.name, index, l.step);
}

// ---- wiring -----------------------------------------------------------------------------------------------

async function selectRun(id: number, openLast = true): Promise<void> {
  state.run = state.runs.find((r) => r.id === id) ?? null;
  byId<HTMLSelectElement>('run-picker').value = state.run ? String(state.run.id) : '';
  const c = runConfigSummary(state.run?.config);
  byId('run-info').textContent = c ? `${c.scenario} · ${c.algo} · guardrails: ${c.guardrails.join(', ') || 'none'}` : '';
  if (state.run?.error) banner('error', `Cannot read ${state.run.name}: ${state.run.error}`);
  // a checkpoint of the run left behind is no comparison for this one
  if (state.compare && state.compare.checkpoint !== null && state.compare.run !== state.run) state.compare = null;
  fillComparePicker();
  await loadCurves(state.run);
  await loadCompareCurves();
  renderEpisodeList(byId('episodes'), groups(), null, (k, i) => void openEpisode(k, i));
  const cps = state.run?.checkpoints ?? [];
  const last = cps[cps.length - 1];
  if (openLast && last && last.episodes.length) await openEpisode(last.name, 0);
}

async function loadCurves(run: RunEntry | null): Promise<void> {
  if (!run || run.kind !== 'run') return curves.show(null);
  try {
    curves.show(parseEvals(await fetchText(runFileUrl(run.id, 'evals.jsonl'))));
  } catch (e) {
    curves.show(null, `evals.jsonl unreadable: ${(e as Error).message}`);
  }
}

async function selectLocal(): Promise<void> {
  state.run = null;
  byId<HTMLSelectElement>('run-picker').value = '';
  byId('run-info').textContent = '';
  curves.show(null);
}

async function addLocalFiles(files: FileList | File[]): Promise<void> {
  const list = Array.from(files);
  let first = -1;
  for (const f of list) {
    const text = await f.text();
    // the same file opened twice is one episode; another file of the same name (another checkpoint's ep-000) is kept beside it
    let i = state.local.findIndex((x) => x.name === f.name && x.text === text);
    if (i < 0) {
      if (state.local.length >= MAX_LOCAL_FILES) {
        banner('error', `At most ${MAX_LOCAL_FILES} files can be open at once; ${f.name} and the files after it were not opened.`);
        break;
      }
      const same = state.local.filter((x) => x.name === f.name).length;
      state.local.push({ id: state.nextLocalId++, name: f.name, label: same ? `${f.name} (${same + 1})` : f.name, text });
      i = state.local.length - 1;
    }
    if (first < 0) first = i;
  }
  await selectLocal();
  // a link waiting for one of these files opens it where the link points
  const pending = state.pendingLink;
  const linked = pending ? state.local.findIndex((f) => f.name === pending.episode) : -1;
  if (pending && linked >= 0) {
    state.pendingLink = null;
    await openEpisode('local', linked, pending.step);
  } else if (first >= 0) await openEpisode('local', first);
  else renderEpisodeList(byId('episodes'), groups(), null, (k, i) => void openEpisode(k, i));
}

/**
 * The compare picker: every served run (its episode at the same checkpoint position), and each checkpoint of the
 * run on screen (before/after: the same episode index at that checkpoint). Values: `run:ID` or `cp:NAME`.
 */
function fillComparePicker(): void {
  const picker = byId<HTMLSelectElement>('compare-picker');
  const keep = picker.value;
  picker.replaceChildren(new Option('—', ''));
  const runs = document.createElement('optgroup');
  runs.label = 'another run';
  for (const run of state.runs) runs.append(new Option(run.name, `run:${run.id}`));
  if (state.runs.length) picker.append(runs);
  if (state.run?.kind === 'run' && state.run.checkpoints.length > 1) {
    const cps = document.createElement('optgroup');
    cps.label = `${state.run.name}: another checkpoint`;
    for (const c of state.run.checkpoints) cps.append(new Option(checkpointLabel(state.run, c.name), `cp:${c.name}`));
    picker.append(cps);
  }
  picker.value = Array.from(picker.querySelectorAll('option')).some((o) => o.value === keep) ? keep : '';
  if (picker.value === '') state.compare = null;
}

function compareChoice(v: string): { run: RunEntry; checkpoint: string | null } | null {
  if (v.startsWith('run:')) {
    const run = state.runs.find((r) => r.id === Number(v.slice(4)));
    return run ? { run, checkpoint: null } : null;
  }
  if (v.startsWith('cp:') && state.run && state.run.checkpoints.some((c) => c.name === v.slice(3))) return { run: state.run, checkpoint: v.slice(3) };
  return null;
}

/** Both runs' curves on one chart when two runs are compared. */
async function loadCompareCurves(): Promise<void> {
  const other = state.compare && state.compare.run !== state.run && state.compare.run.kind === 'run' ? state.compare.run : null;
  if (!other) return curves.setOverlay(null);
  try {
    curves.setOverlay({ name: other.name, points: parseEvals(await fetchText(runFileUrl(other.id, 'evals.jsonl'))) });
  } catch {
    curves.setOverlay(null);
  }
}

function wire(): void {
  byId('run-picker').addEventListener('change', (e) => void selectRun(Number((e.target as HTMLSelectElement).value)));
  byId('compare-picker').addEventListener('change', (e) => {
    const v = (e.target as HTMLSelectElement).value;
    state.compare = compareChoice(v);
    void loadCompareCurves();
    if (state.episodeIndex >= 0) void openEpisode(state.checkpoint, state.episodeIndex, player.frame);
  });
  byId('file-input').addEventListener('change', (e) => {
    const files = (e.target as HTMLInputElement).files;
    if (files?.length) void addLocalFiles(files);
  });
  byId('btn-link').addEventListener('click', () => {
    updateLink();
    const url = location.href;
    const out = byId('link-out');
    out.textContent = location.hash ? url : 'open an episode first';
    void navigator.clipboard?.writeText(url).then(() => (out.textContent = `copied: ${url}`), () => {});
  });
  window.addEventListener('hashchange', () => {
    const now = currentLink();
    if (!now || formatLink(now) !== location.hash) void applyLink(location.hash);
  });
  document.addEventListener('dragover', (e) => { e.preventDefault(); document.body.classList.add('dragging'); });
  document.addEventListener('dragleave', () => document.body.classList.remove('dragging'));
  document.addEventListener('drop', (e) => {
    e.preventDefault();
    document.body.classList.remove('dragging');
    if (e.dataTransfer?.files.length) void addLocalFiles(e.dataTransfer.files);
  });
  document.addEventListener('keydown', (e) => {
    const t = e.target as HTMLElement;
    if (t.tagName === 'SELECT' || (t.tagName === 'INPUT' && (t as HTMLInputElement).type !== 'range')) return;
    if (e.key === ' ') { e.preventDefault(); player.toggle(); }
    else if (e.key === 'ArrowRight') { e.preventDefault(); player.seek(player.frame + 1); }
    else if (e.key === 'ArrowLeft') { e.preventDefault(); player.seek(player.frame - 1); }
    else if (e.key === 'Home') player.seek(0);
    else if (e.key === 'End') player.seek(Number.MAX_SAFE_INTEGER);
    else if (e.key === '+' || e.key === '=') player.faster(1);
    else if (e.key === '-') player.faster(-1);
    else if (e.key === 'a' && state.replay) { const f = nextAlertFrame(state.replay, player.frame + 1); if (f >= 0) player.seek(f); }
  });
}

/** Read-only hooks for the browser tests: what the viewer currently shows. */
declare global {
  interface Window {
    sidequest: {
      ready: boolean;
      frame: () => number;
      hud: () => unknown;
      agent: () => unknown;
      cellSize: () => number;
      setFrame: (f: number) => void;
      /** Episodes simulated since the page loaded (each opened episode once, whatever shows it). */
      simulations: () => number;
      /** The cells of this step's firewall alerts, as the board flashes them. */
      alertCells: () => Array<{ x: number; y: number; kind: string }>;
      loading: () => boolean;
    };
  }
}

async function main(): Promise<void> {
  renderLegend();
  wire();
  player.clear();
  window.sidequest = {
    ready: false,
    frame: () => player.frame,
    hud: () => state.replay?.frames[player.frame].hud ?? null,
    agent: () => state.replay?.frames[player.frame].agent ?? null,
    cellSize: () => paneA.cell,
    setFrame: (f) => player.seek(f),
    simulations: () => simulationCount(),
    alertCells: () => (state.replay ? drawData(state.replay, player.frame).alerts : []),
    loading: () => state.loading,
  };
  try {
    const r = await fetch(RUNS_URL);
    if (!r.ok) throw new Error(String(r.status));
    state.runs = (await r.json()) as RunEntry[];
  } catch {
    state.runs = []; // static site: no server, open files instead
  }
  const picker = byId<HTMLSelectElement>('run-picker');
  for (const run of state.runs) picker.add(new Option(run.name, String(run.id)));
  fillComparePicker();
  const linked = location.hash ? await applyLink(location.hash) : false;
  if (!linked) {
    if (state.runs.length) {
      // a link that failed keeps its message in the banner; the first run opens beneath it
      const message = byId('banner').textContent;
      await selectRun(state.runs[0].id);
      if (message) banner('error', message);
    } else {
      curves.show(null);
      if (!location.hash) banner('none');
      renderNoRun(byId('episodes'));
      paneA.clear('No episode open: open episode files (.jsonl) with the button above, or drop them on the page.');
    }
  }
  window.sidequest.ready = true;
}

void main();
