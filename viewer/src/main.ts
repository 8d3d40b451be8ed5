// The viewer app: wires the data — runs from `sidequest view`'s API or files opened from disk (sources.ts) — to
// the panels: episode list (episodes-panel.ts), board panes with their HUDs (pane.ts, hud.ts), play controls
// and keys (player.ts), timeline (timeline.ts), legend, banner, emergence curves (curves-panel.ts), heat map
// (heat-panel.ts), compare mode (compare.ts); and keeps the URL's share link (link.ts) in step with the view.
// Which episode is open lives here; model.ts computes, replays.ts simulates each episode once, panels draw.
// A new panel is a module of its own over model.ts, an element in index.html, built below and told about the
// open episode in openEpisode() and about each step in showFrame().
// Pixi's shader and uniform sync without eval(): the page's Content-Security-Policy has no 'unsafe-eval'
import 'pixi.js/unsafe-eval';
import { fileUrlOf, parseSampleListing, RUNS_URL, runConfigSummary, SAMPLE_URL, type RunEntry } from './api.ts';
import { takeHandoff } from './handoff.ts';
import { compareChoice, comparedRef, fillComparePicker, type CompareChoice } from './compare.ts';
import { CurvesPanel, parseEvals } from './curves-panel.ts';
import { banner, verificationBanner } from './banner.ts';
import { byId, elem, nextPaint } from './dom.ts';
import { renderEpisodeList, renderNoRun, type EpisodeGroup } from './episodes-panel.ts';
import { HeatPanel } from './heat-panel.ts';
import { mountIncidents } from './incidents.ts';
import { FORK_AGENT_LABELS, FORK_AGENTS, FORK_GUARDRAILS, forkReplay, type ForkAgent } from './fork-panel.ts';
import { formatLink, parseLink, type ShareLink } from './link.ts';
import { renderLegend } from './legend.ts';
import { drawData, simulationCount, type Replay } from './model.ts';
import { Pane } from './pane.ts';
import { bindKeys, Player } from './player.ts';
import { ReplayCache } from './replays.ts';
import { episodesOf, fetchText, LocalFiles, MAX_LOCAL_FILES, runEpisodeRef, runGroups, type EpisodeRef } from './sources.ts';
import { TimelineView } from './timeline.ts';

/** Episodes a heat map counts at most (each is simulated once): a checkpoint of thousands stays quick. */
const MAX_HEAT_EPISODES = 64;

const state = {
  runs: [] as RunEntry[],
  run: null as RunEntry | null,
  /** The other side of compare mode: another run (same checkpoint position), or a checkpoint of this run (before/after). */
  compare: null as CompareChoice | null,
  checkpoint: '',
  episodeIndex: -1,
  local: new LocalFiles(),
  replay: null as Replay | null,
  replayB: null as Replay | null,
  /** The fork shown beside the open episode ("fork here"), if any. */
  fork: null as Replay | null,
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

function groups(): EpisodeGroup[] {
  return state.run ? runGroups(state.run) : [state.local.group()];
}

function refOf(run: RunEntry | null, checkpoint: string, index: number): EpisodeRef | null {
  // 'local': a file opened from disk, or a training episode the Incidents panel fetched, whatever run is shown
  return run && checkpoint !== 'local' ? runEpisodeRef(run, checkpoint, index) : state.local.ref(index);
}

// ---- banner and loading ------------------------------------------------------------------------------------

function setLoading(text: string | null): void {
  state.loading = text !== null;
  const l = byId('loading');
  l.hidden = text === null;
  l.textContent = text ?? '';
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
    banner(byId('banner'), 'error', msg);
    clearView(msg);
    updateLink(null);
    return false;
  }
  // the other run's episode at the same checkpoint position and index, stepped in sync
  let replayB: Replay | null = null;
  let refB: EpisodeRef | null = null;
  if (state.compare) {
    refB = comparedRef(state.compare, state.run, checkpoint, index);
    if (refB) {
      if (!cache.peek(refB.key)) setLoading(`simulating ${refB.origin.split('/').pop()} (${state.compare.run.name})…`);
      try {
        replayB = await cache.get(refB.key, refB.origin, refB.text);
      } catch (err) {
        if (token === state.openToken) banner(byId('banner'), 'error', `Cannot open ${refB.origin} from ${state.compare.run.name}: ${(err as Error).message}`);
        replayB = null;
      }
    }
  }
  if (token !== state.openToken) return false;
  setLoading(null);
  state.replay = replay;
  state.replayB = replayB;
  verificationBanner(byId('banner'), replay.verification);
  const comparing = replayB !== null && refB !== null;
  byId('stage').classList.toggle('comparing', comparing);
  byId('pane-b').hidden = !comparing;
  // the single view puts the policy beside the board; in compare mode each pane keeps its own under its HUD
  paneA.hud.setPolicySlot(comparing ? null : byId('policy-a'));
  await paneA.show(replay, ref.source);
  if (comparing) await paneB.show(replayB!, refB!.source);
  else paneB.clear();
  renderLegend(byId('legend'), replay.scenario);
  // the curves take their colours from the scenario's behaviours: redraw them once those are known
  if (state.curvesScenario !== replay.scenario.hash) {
    state.curvesScenario = replay.scenario.hash;
    curves.setSeries(replay.scenario.behaviours.map((b) => ({ name: b.name, colour: b.colourHex })));
  }
  curves.setMarker(state.run?.kind === 'run' ? checkpoint : '');
  timeline.show(replay);
  player.load(replay.frames.length, frame);
  void renderHeat(token, replay);
  state.fork = null;
  byId('fork-panel').hidden = false;
  byId('fork-close').hidden = true;
  byId('fork-status').textContent = '';
  return true;
}

/** Forks the open episode after the step on screen and shows the fork beside it, stepping in sync. */
async function forkHere(): Promise<void> {
  const original = state.replay;
  if (!original) return;
  const at = player.frame;
  const guardrail = byId<HTMLSelectElement>('fork-guardrail').value;
  const agent = byId<HTMLSelectElement>('fork-agent').value as ForkAgent;
  const status = byId('fork-status');
  status.textContent = `forking after step ${at}…`;
  let fork;
  try {
    fork = await forkReplay(original, at, guardrail, agent);
  } catch (e) {
    status.textContent = `cannot fork here: ${(e as Error).message}`;
    return;
  }
  if (state.replay !== original) return; // another episode was opened meanwhile
  state.fork = fork;
  state.replayB = fork;
  byId('stage').classList.add('comparing');
  byId('pane-b').hidden = false;
  paneA.hud.setPolicySlot(null);
  await paneB.show(fork, { run: 'fork', checkpoint: `after step ${at} · ${guardrail} · ${FORK_AGENT_LABELS[agent]}`, file: fork.verification.ok ? 'verified' : 'does not verify' });
  byId('fork-close').hidden = false;
  status.textContent = `fork under ${guardrail} with ${FORK_AGENT_LABELS[agent]}: ${fork.outcome.reason} after ${fork.outcome.steps} steps, return ${fork.outcome.return.toFixed(2)}, side strategies ${fork.outcome.behaviours.join(', ') || 'none'} (original: ${original.outcome.behaviours.join(', ') || 'none'})`;
  player.load(Math.max(original.frames.length, fork.frames.length), at);
  byId('stage').scrollIntoView({ block: 'start' });
}

function closeFork(): void {
  if (!state.fork) return;
  state.fork = null;
  state.replayB = null;
  byId('stage').classList.remove('comparing');
  byId('pane-b').hidden = true;
  paneB.clear();
  paneA.hud.setPolicySlot(byId('policy-a'));
  byId('fork-close').hidden = true;
  byId('fork-status').textContent = '';
  if (state.replay) player.load(state.replay.frames.length, Math.min(player.frame, state.replay.frames.length - 1));
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
  byId('fork-step').textContent = `after step ${frame}:`;
  paneA.setFrame(frame);
  paneB.setFrame(frame);
  timeline.setFrame(frame);
  if (!player.playing) updateLink();
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
    banner(byId('banner'), 'error', `This link cannot be opened: ${parsed.error}. Showing the first run instead.`);
    return false;
  }
  const l = parsed.link;
  if (!l) return false;
  const fail = (why: string) => {
    banner(byId('banner'), 'error', `This link cannot be opened: ${why}.`);
    return false;
  };
  if (l.checkpoint === 'local') {
    const i = state.local.indexOfName(l.episode);
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
  if (state.run?.error) banner(byId('banner'), 'error', `Cannot read ${state.run.name}: ${state.run.error}`);
  // a checkpoint of the run left behind is no comparison for this one
  if (state.compare && state.compare.checkpoint !== null && state.compare.run !== state.run) state.compare = null;
  refillComparePicker();
  await loadCurves(state.run);
  await loadCompareCurves();
  void loadIncidents(state.run);
  renderEpisodeList(byId('episodes'), groups(), null, (k, i) => void openEpisode(k, i));
  const cps = state.run?.checkpoints ?? [];
  const last = cps[cps.length - 1];
  if (openLast && last && last.episodes.length) await openEpisode(last.name, 0);
}

/**
 * The Incidents panel, for a training run served by `sidequest view` (the static sample has no server to group
 * alerts): a training episode it opens is re-simulated by the server, added like an opened file, and shown at the
 * alerting step.
 */
async function loadIncidents(run: RunEntry | null): Promise<void> {
  const panel = byId('incidents-panel');
  panel.hidden = !(run && run.kind === 'run' && !run.base);
  if (panel.hidden || !run) return;
  // grouping a long run's alerts takes the server a moment: only when asked, not on every page load
  const show = elem('button', 'show the incidents of this run');
  show.type = 'button';
  show.id = 'incidents-show';
  byId('incidents').replaceChildren(show);
  show.addEventListener('click', () => {
    void mountIncidents(byId('incidents'), run.id, (url, step, label) => {
      void (async () => {
        let text: string;
        try {
          text = await fetchText(url);
        } catch (e) {
          banner(byId('banner'), 'error', `Cannot open ${label}: ${(e as Error).message}`);
          return;
        }
        const i = state.local.add(`${label}.jsonl`, text);
        if (i === null) {
          banner(byId('banner'), 'error', `Cannot open ${label}: ${MAX_LOCAL_FILES} files are open already`);
          return;
        }
        await openEpisode('local', i, step);
      })();
    });
  });
}

async function loadCurves(run: RunEntry | null): Promise<void> {
  if (!run || run.kind !== 'run') return curves.show(null);
  try {
    curves.show(parseEvals(await fetchText(fileUrlOf(run, 'evals.jsonl'))));
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
  let first = -1;
  for (const f of Array.from(files)) {
    const i = state.local.add(f.name, await f.text());
    if (i === null) {
      banner(byId('banner'), 'error', `At most ${MAX_LOCAL_FILES} files can be open at once; ${f.name} and the files after it were not opened.`);
      break;
    }
    if (first < 0) first = i;
  }
  await selectLocal();
  // a link waiting for one of these files opens it where the link points
  const pending = state.pendingLink;
  const linked = pending ? state.local.indexOfName(pending.episode) : -1;
  if (pending && linked >= 0) {
    state.pendingLink = null;
    await openEpisode('local', linked, pending.step);
  } else if (first >= 0) await openEpisode('local', first);
  else renderEpisodeList(byId('episodes'), groups(), null, (k, i) => void openEpisode(k, i));
}

/** Both runs' curves on one chart when two runs are compared. */
async function loadCompareCurves(): Promise<void> {
  const other = state.compare && state.compare.run !== state.run && state.compare.run.kind === 'run' ? state.compare.run : null;
  if (!other) return curves.setOverlay(null);
  try {
    curves.setOverlay({ name: other.name, points: parseEvals(await fetchText(fileUrlOf(other, 'evals.jsonl'))) });
  } catch {
    curves.setOverlay(null);
  }
}

function refillComparePicker(): void {
  if (fillComparePicker(byId<HTMLSelectElement>('compare-picker'), state.runs, state.run) === '') state.compare = null;
}

function wire(): void {
  byId('run-picker').addEventListener('change', (e) => void selectRun(Number((e.target as HTMLSelectElement).value)));
  byId('compare-picker').addEventListener('change', (e) => {
    const v = (e.target as HTMLSelectElement).value;
    state.compare = compareChoice(v, state.runs, state.run);
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
  bindKeys(player, () => state.replay);
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
  renderLegend(byId('legend'), null);
  wire();
  const fg = byId<HTMLSelectElement>('fork-guardrail');
  for (const g of FORK_GUARDRAILS) fg.append(new Option(g, g));
  fg.value = 'sandbox';
  const fa = byId<HTMLSelectElement>('fork-agent');
  for (const a of FORK_AGENTS) fa.append(new Option(FORK_AGENT_LABELS[a], a));
  byId('fork-go').addEventListener('click', () => void forkHere());
  byId('fork-close').addEventListener('click', closeFork);
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
    // static site: no server; the sample run the build ships (if any), and files opened from disk
    state.runs = [];
    try {
      const r = await fetch(SAMPLE_URL);
      if (r.ok) state.runs = parseSampleListing(await r.json());
    } catch (e) {
      banner(byId('banner'), 'error', `The sample run could not be read: ${(e as Error).message}`);
    }
  }
  // episodes handed over by the train page (or the lesson) in this tab open as opened files
  if (new URLSearchParams(location.search).get('from') === 'train') {
    const h = takeHandoff();
    if (h.error) banner(byId('banner'), 'error', `No episodes from training: ${h.error}.`);
    for (const f of h.files) state.local.add(f.name, f.text);
    if (h.files.length) {
      await selectLocal();
      renderEpisodeList(byId('episodes'), groups(), null, (k, i) => void openEpisode(k, i));
    }
  }
  const picker = byId<HTMLSelectElement>('run-picker');
  for (const run of state.runs) picker.add(new Option(run.name, String(run.id)));
  refillComparePicker();
  const linked = location.hash ? await applyLink(location.hash) : false;
  if (!linked) {
    if (state.runs.length) {
      // a link that failed keeps its message in the banner; the first run opens beneath it
      const message = byId('banner').textContent;
      await selectRun(state.runs[0].id);
      if (message) banner(byId('banner'), 'error', message);
    } else {
      curves.show(null);
      if (!location.hash) banner(byId('banner'), 'none');
      renderNoRun(byId('episodes'));
      paneA.clear('No episode open: open episode files (.jsonl) with the button above, or drop them on the page.');
    }
  }
  window.sidequest.ready = true;
}

void main();
