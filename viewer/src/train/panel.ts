// The train page (viewer/train.html): pick a scenario, guardrails and a backend, press Train. Training runs in a
// Web Worker (./worker.ts); this module only draws what the worker reports: the status line, the live chart,
// milestones, and the current policy playing one episode at a time on the board (re-simulated and checked by
// the replay model, as any episode file is). Every text from a scenario or the worker goes in with textContent.
import 'pixi.js/unsafe-eval';
import type { BrowserBackendRequest } from '../../../agents/learning/backend.ts';
import { TRAINING_GUARDRAILS } from '../../../agents/learning/guardrails.ts';
import { ENV_GUARDRAILS } from '../../../sim/vocab.ts';
import { parseEpisode } from '../../../sim/episode.ts';
import type { Scenario } from '../../../sim/scenario.ts';
import { BoardView } from '../board.ts';
import { buildReplay, drawData, type Replay } from '../model.ts';
import { drawChart } from './chart.ts';
import type { FromWorker, ToWorker } from './protocol.ts';
import { SHIPPED_SCENARIOS, shippedScenario } from './scenarios.ts';
import { SETUP_LIMITS, type PageRow, type TrainSetup } from './session.ts';
import { AUTO_ORDER, PAGE_BACKENDS } from './backend-order.ts';
import { PPO_ARGS, type PpoArgs } from '../../../agents/learning/options.ts';
import { validateText } from '../editor/model.ts';
import { encodeWorld, formatTrainLink, parseTrainLink, type TrainLink } from './link.ts';
import { handOff, WORLD_KEY, type HandoffEpisode } from '../handoff.ts';

const $ = <T extends HTMLElement = HTMLElement>(id: string) => document.getElementById(id) as T;
const CELL = 44;
/** Board frames per second while watching: slow enough to follow the agent. */
const WATCH_FPS = 8;

interface State {
  worker: Worker | null;
  scenario: Scenario;
  rows: PageRow[];
  randomReturn: number | null;
  run: 'idle' | 'starting' | 'running' | 'paused' | 'stopped' | 'done' | 'error';
  board: BoardView | null;
  boardSize: string;
  replay: Replay | null;
  frame: number;
  timer: ReturnType<typeof setInterval> | null;
  /** An edited world's scenario text (from the editor or a link), trained instead of a shipped scenario. */
  world: string | null;
  /** That world as a link field; null when it is too long to put in a link. */
  worldField: string | null;
  /** Evaluation episodes the worker recorded at each checkpoint of the current run. */
  checkpoints: Array<{ step: number; episodes: string[] }>;
  /** The setup and backend the current run started with, and its milestones as told. */
  started: { setup: TrainSetup; backend: BrowserBackendRequest; scenario: Scenario } | null;
  milestones: string[];
  backendUsed: string;
  listeners: Array<(run: State['run']) => void>;
}

const state: State = { worker: null, scenario: shippedScenario(SHIPPED_SCENARIOS.includes('tutorial') ? 'tutorial' : SHIPPED_SCENARIOS[0]), rows: [], randomReturn: null, run: 'idle', board: null, boardSize: '', replay: null, frame: 0, timer: null, world: null, worldField: null, checkpoints: [], started: null, milestones: [], backendUsed: '', listeners: [] };

// ---- the setup form ------------------------------------------------------------------------------------------

function option(select: HTMLSelectElement, value: string, label = value): void {
  const o = document.createElement('option');
  o.value = value;
  o.textContent = label;
  select.append(o);
}

/** The option for an edited world in the scenario picker. */
const EDITED = '__edited__';

async function buildForm(): Promise<void> {
  const params = new URLSearchParams(location.search);
  const sc = $<HTMLSelectElement>('train-scenario');
  for (const id of SHIPPED_SCENARIOS) option(sc, id);
  const wanted = params.get('scenario');
  sc.value = wanted && SHIPPED_SCENARIOS.includes(wanted) ? wanted : state.scenario.id;
  const be = $<HTMLSelectElement>('train-backend');
  for (const b of PAGE_BACKENDS) option(be, b, b === 'auto' ? `auto (${[...AUTO_ORDER, 'cpu'].join(', then ')})` : b);
  const wb = params.get('backend');
  be.value = wb && (PAGE_BACKENDS as readonly string[]).includes(wb) ? wb : 'auto';
  const num = (id: string, key: string, lo: number, hi: number) => {
    const v = Number(params.get(key));
    if (params.has(key) && Number.isInteger(v) && v >= lo && v <= hi) $<HTMLInputElement>(id).value = String(v);
  };
  num('train-steps', 'steps', 2048, SETUP_LIMITS.maxSteps);
  num('train-seed', 'seed', 0, SETUP_LIMITS.maxSeed);
  buildArgs();
  sc.addEventListener('change', () => {
    if (sc.value !== EDITED) selectScenario(sc.value);
    updateHash();
  });
  selectScenario(sc.value);
  $('train-start').addEventListener('click', start);
  $('train-pause').addEventListener('click', () => send({ type: 'pause' }));
  $('train-resume').addEventListener('click', () => send({ type: 'resume' }));
  $('train-stop').addEventListener('click', () => send({ type: 'stop' }));
  $('train-replay').addEventListener('click', openReplay);
  $('train-share').addEventListener('click', () => {
    updateHash();
    const out = $('train-link-msg');
    out.classList.remove('error');
    out.textContent = state.world !== null && state.worldField === null ? 'this edited world is too large to put in a link: download it from the editor and share the file' : location.href;
    void navigator.clipboard?.writeText(location.href).then(() => (out.textContent = `copied: ${location.href}`), () => {});
  });
  be.addEventListener('change', () => {
    if (state.run === 'running' || state.run === 'paused') note(`the ${be.value} backend applies from the next Train (a run keeps the backend it started on)`);
  });
  $('train-setup').addEventListener('change', () => updateHash());
  setRun('idle');
  // an edited world handed over by the editor waits in this tab's sessionStorage (a world of any size fits there)
  if (params.get('world') === 'session') {
    const text = sessionStorage.getItem(WORLD_KEY);
    if (text === null) linkError('the editor\'s world is no longer in this tab (open it again from the editor)');
    else await useWorld(text, 'the world from the editor');
  }
  if (location.hash) await applyLink(location.hash);
  else updateHash();
}

function linkError(text: string): void {
  const out = $('train-link-msg');
  out.classList.add('error');
  out.textContent = `This link cannot be opened: ${text}. The form shows the defaults instead.`;
}

/** Fills the form from a link; a link that does not parse, or names a world that does not compile, says why. */
async function applyLink(hash: string): Promise<void> {
  const parsed = await parseTrainLink(hash);
  if (!parsed.ok) return linkError(parsed.error);
  const l = parsed.link;
  if (!l) return;
  if (l.world !== undefined) {
    if (!(await useWorld(l.world, 'the linked world'))) return;
  } else if (!SHIPPED_SCENARIOS.includes(l.setup.scenario)) {
    return linkError(`its scenario "${l.setup.scenario}" is not shipped with this page (shipped: ${SHIPPED_SCENARIOS.join(', ')})`);
  } else {
    $<HTMLSelectElement>('train-scenario').value = l.setup.scenario;
    selectScenario(l.setup.scenario);
  }
  fillForm(l);
  updateHash();
}

/** Compiles an edited world with the scenario schema and compiler (the editor's validateText) and selects it. */
async function useWorld(text: string, origin: string): Promise<boolean> {
  const v = validateText(text, origin);
  if (!v.ok) {
    linkError(v.message);
    return false;
  }
  state.world = text;
  state.worldField = await encodeWorld(text);
  const sc = $<HTMLSelectElement>('train-scenario');
  sc.querySelector(`option[value="${EDITED}"]`)?.remove();
  option(sc, EDITED, `edited world: ${v.scenario.id}`);
  sc.value = EDITED;
  setScenario(v.scenario);
  note(state.worldField === null ? 'this edited world is too large to put in a link' : '');
  return true;
}

function fillForm(l: TrainLink): void {
  $<HTMLSelectElement>('train-backend').value = l.backend;
  $<HTMLInputElement>('train-steps').value = String(l.setup.steps);
  $<HTMLInputElement>('train-seed').value = String(l.setup.seed);
  const names = new Set(l.setup.guardrails);
  for (const c of Array.from(document.querySelectorAll<HTMLInputElement>('#train-guardrails input'))) c.checked = names.has(c.value);
  const args = l.setup.args ?? {};
  for (const k of Object.keys(PPO_ARGS) as Array<keyof PpoArgs>) {
    const input = document.querySelector<HTMLInputElement>(`#train-args input[data-arg="${k}"]`);
    if (!input) continue;
    const v = args[k] ?? PPO_ARGS[k].default;
    if (input.type === 'checkbox') input.checked = Boolean(v);
    else input.value = String(v);
  }
}

/** One input per PPO option (agents/learning/options.ts), its default filled in and its description as tooltip. */
function buildArgs(): void {
  const host = $('train-args');
  for (const [k, spec] of Object.entries(PPO_ARGS)) {
    const l = document.createElement('label');
    const input = document.createElement('input');
    input.dataset.arg = k;
    if (spec.type === 'boolean') {
      input.type = 'checkbox';
      input.checked = spec.default;
    } else {
      input.type = 'number';
      input.value = String(spec.default);
      input.step = 'integer' in spec && spec.integer ? '1' : 'any';
      if (spec.min !== undefined) input.min = String(spec.min);
    }
    l.title = spec.description;
    l.append(document.createTextNode(`${k} `), input);
    host.append(l);
  }
}

/** The PPO options that differ from their defaults (what the link carries and the worker is given). */
function readArgs(): Partial<PpoArgs> {
  const out: Record<string, number | boolean> = {};
  for (const input of Array.from(document.querySelectorAll<HTMLInputElement>('#train-args input'))) {
    const k = input.dataset.arg as keyof PpoArgs;
    const spec = PPO_ARGS[k];
    const v = input.type === 'checkbox' ? input.checked : Number(input.value);
    if (typeof v === 'number' && (!Number.isFinite(v) || input.value.trim() === '')) continue;
    if (v !== spec.default) out[k] = v;
  }
  return out as Partial<PpoArgs>;
}

/** Keeps the address bar's hash in step with the form (replaceState: no history entry per edit). */
function updateHash(): void {
  const backend = $<HTMLSelectElement>('train-backend').value as BrowserBackendRequest;
  const setup = readSetup();
  let hash = '';
  if (state.world === null) hash = formatTrainLink(setup, backend);
  else if (state.worldField !== null) hash = formatTrainLink(setup, backend, state.worldField);
  if (hash !== location.hash) history.replaceState(null, '', hash || location.pathname + location.search);
}

/** Guardrail checkboxes: the env-side ones the scenario can use (its defaults ticked) and the training-side ones. */
function selectScenario(id: string): void {
  state.world = null;
  state.worldField = null;
  $<HTMLSelectElement>('train-scenario').querySelector(`option[value="${EDITED}"]`)?.remove();
  setScenario(shippedScenario(id));
}

function setScenario(scenario: Scenario): void {
  state.scenario = scenario;
  const box = $('train-guardrails');
  box.replaceChildren();
  const defaults = new Set<string>(state.scenario.file.guardrails.default);
  const add = (name: string, side: string) => {
    const l = document.createElement('label');
    const c = document.createElement('input');
    c.type = 'checkbox';
    c.value = name;
    c.dataset.side = side;
    c.checked = defaults.has(name);
    l.append(c, document.createTextNode(` ${name}`));
    l.title = `${side}-side guardrail`;
    box.append(l);
  };
  for (const g of ENV_GUARDRAILS) add(g, 'env');
  for (const g of TRAINING_GUARDRAILS) add(g, 'training');
  $('train-scenario-title').textContent = state.scenario.title;
}

function readSetup(): TrainSetup {
  const checked = Array.from(document.querySelectorAll<HTMLInputElement>('#train-guardrails input:checked'));
  const env = checked.filter((c) => c.dataset.side === 'env').map((c) => c.value);
  const training = checked.filter((c) => c.dataset.side === 'training').map((c) => c.value);
  // explicit: what is ticked is what runs (no env-side box ticked means none, even if the scenario has defaults)
  const guardrails = [...(env.length ? env : ['none']), ...training];
  const args = readArgs();
  return {
    scenario: state.scenario.id,
    guardrails,
    seed: Math.trunc(Number($<HTMLInputElement>('train-seed').value)) || 0,
    steps: Math.trunc(Number($<HTMLInputElement>('train-steps').value)) || 0,
    ...(Object.keys(args).length ? { args } : {}),
  };
}

// ---- the worker --------------------------------------------------------------------------------------------

function send(m: ToWorker): void {
  state.worker?.postMessage(m);
}

function start(): void {
  state.worker?.terminate();
  stopWatching();
  state.rows = [];
  state.randomReturn = null;
  state.checkpoints = [];
  state.milestones = [];
  state.backendUsed = '';
  $('train-replay').hidden = true;
  $('milestones').replaceChildren();
  drawChart($('train-chart'), [], [], null);
  const setup = readSetup();
  const backend = $<HTMLSelectElement>('train-backend').value as BrowserBackendRequest;
  state.started = { setup, backend, scenario: state.scenario };
  const w = new Worker(new URL('./worker.ts', import.meta.url), { type: 'module', name: 'sidequest-train' });
  state.worker = w;
  w.onmessage = (ev: MessageEvent<FromWorker>) => {
    if (state.worker === w) onWorker(ev.data);
  };
  w.onerror = (ev) => {
    if (state.worker !== w) return;
    fail(`the training worker failed: ${ev.message || 'could not load'}`);
  };
  setRun('starting');
  note('');
  status('starting the worker and the tfjs backend…');
  w.postMessage({ type: 'start', setup, backend, ...(state.world !== null ? { world: state.world } : {}) } satisfies ToWorker);
}

function onWorker(m: FromWorker): void {
  const panel = $('train-status');
  switch (m.type) {
    case 'backend':
      panel.dataset.backend = m.info.name;
      state.backendUsed = m.info.name;
      $('train-backend-used').textContent = `backend: ${m.info.name}${m.info.skipped.length ? ` (skipped ${m.info.skipped.join('; ')})` : ''}`;
      break;
    case 'baseline':
      state.randomReturn = m.randomReturn;
      panel.dataset.randomReturn = String(m.randomReturn);
      break;
    case 'iteration': {
      state.rows.push(m.row);
      const r = m.row;
      const sps = pageStepsPerSecond(state.rows);
      Object.assign(panel.dataset, { iteration: String(r.iteration), step: String(r.step), return: String(r.taskReturn), stepsPerSecond: String(sps ?? r.stepsPerSecond), iterations: String(m.of) });
      status(`iteration ${r.iteration}/${m.of} · step ${r.step.toLocaleString('en')} · return ${r.taskReturn.toFixed(2)}${state.randomReturn !== null ? ` (random ${state.randomReturn.toFixed(2)})` : ''} · ${Math.round(sps ?? r.stepsPerSecond).toLocaleString('en')} steps/s`);
      drawChart($('train-chart'), state.rows, state.scenario.behaviours.map((b) => ({ name: b.name, label: b.label, colour: b.colourHex })), state.randomReturn);
      if (!state.replay && !state.timer) requestWatch();
      break;
    }
    case 'milestone': {
      const li = document.createElement('li');
      li.textContent = m.text;
      state.milestones.push(m.text);
      $('milestones').append(li);
      break;
    }
    case 'episode':
      showEpisode(m.text, m.step).catch((e: unknown) => fail(`could not show the watched episode: ${(e as Error).message}`));
      break;
    case 'checkpoint':
      state.checkpoints.push({ step: m.step, episodes: m.episodes });
      $('train-status').dataset.checkpoints = String(state.checkpoints.length);
      if (state.run === 'stopped' || state.run === 'done') $('train-replay').hidden = false;
      break;
    case 'state':
      setRun(m.state);
      if ((m.state === 'stopped' || m.state === 'done') && state.checkpoints.length) $('train-replay').hidden = false;
      if (m.state === 'done') status(`${$('train-status').textContent ?? ''} · done`);
      break;
    case 'error':
      fail(m.message);
      break;
  }
}

/** Steps per second over the run after its first iteration (which pays for warm-up and shader compiles). */
function pageStepsPerSecond(rows: readonly PageRow[]): number | null {
  if (rows.length < 3) return null;
  const a = rows[0];
  const b = rows[rows.length - 1];
  return (b.step - a.step) / Math.max(1e-9, b.wallSeconds - a.wallSeconds);
}

// ---- the watched episode -----------------------------------------------------------------------------------

let watchPending = false;
function requestWatch(): void {
  if (watchPending) return;
  watchPending = true;
  send({ type: 'watch' });
}

function stopWatching(): void {
  if (state.timer) clearInterval(state.timer);
  state.timer = null;
  state.replay = null;
  watchPending = false;
}

async function showEpisode(text: string, step: number): Promise<void> {
  watchPending = false;
  const replay = buildReplay(parseEpisode(text, `the policy at step ${step}`));
  if (!replay.verification.ok) throw new Error(`the episode did not re-simulate (${replay.verification.divergence?.what ?? 'unknown'})`);
  const size = `${replay.width}x${replay.height}`;
  if (!state.board) state.board = await BoardView.create($('train-board'), replay.width, replay.height, CELL);
  else if (state.boardSize !== size) state.board.resize(replay.width, replay.height);
  state.boardSize = size;
  state.replay = replay;
  state.frame = 0;
  if (state.timer) clearInterval(state.timer);
  const caption = $('train-caption');
  const draw = () => {
    const r = state.replay!;
    state.board!.draw(drawData(r, state.frame));
    const f = r.frames[state.frame];
    const ev = f.events.map((e) => e[0]).join(', ');
    caption.textContent = `the policy at step ${step.toLocaleString('en')} · episode step ${f.hud.step}/${f.hud.horizon} · return ${f.hud.reward.toFixed(1)}${ev ? ` · ${ev}` : ''}${f.alerts.length ? ' · FIREWALL ALERT' : ''}`;
    caption.classList.toggle('alert', f.alerts.length > 0);
  };
  draw();
  state.timer = setInterval(() => {
    if (!state.replay) return;
    if (state.frame < state.replay.frames.length - 1) {
      state.frame++;
      draw();
    } else {
      // the episode is over: ask for the current policy's next one, and keep the last frame until it comes
      clearInterval(state.timer!);
      state.timer = null;
      requestWatch();
    }
  }, 1000 / WATCH_FPS);
}

// ---- status --------------------------------------------------------------------------------------------------

function setRun(run: State['run']): void {
  state.run = run;
  for (const f of state.listeners) f(run);
  $('train-status').dataset.state = run;
  const live = run === 'running' || run === 'paused' || run === 'starting';
  $<HTMLButtonElement>('train-start').disabled = run === 'starting';
  $<HTMLButtonElement>('train-start').textContent = live ? 'Restart' : 'Train';
  $<HTMLButtonElement>('train-pause').disabled = run !== 'running';
  $<HTMLButtonElement>('train-resume').disabled = run !== 'paused';
  $<HTMLButtonElement>('train-stop').disabled = !live || run === 'starting';
  $('train-run-state').textContent = run;
}

function status(text: string): void {
  $('train-status').textContent = text;
}

function note(text: string): void {
  $('train-note').textContent = text;
}

function fail(message: string): void {
  setRun('error');
  const s = $('train-status');
  s.dataset.error = message;
  status(`error: ${message}`);
}

// ---- to the replay viewer ---------------------------------------------------------------------------------

/** The recorded checkpoint episodes as files for the viewer, named by checkpoint step (sorted as trained). */
function checkpointFiles(): HandoffEpisode[] {
  return state.checkpoints.flatMap((c) => c.episodes.map((text, i) => ({ name: `step-${String(c.step).padStart(9, '0')}-ep-${i}.jsonl`, text })));
}

/** Opens the checkpoints' episodes in the replay viewer (this tab), the last checkpoint's first episode on screen. */
function openReplay(): void {
  const files = checkpointFiles();
  if (!files.length) return;
  const firsts = files.filter((f) => f.name.endsWith('-ep-0.jsonl'));
  const url = handOff(files, (firsts[firsts.length - 1] ?? files[files.length - 1]).name);
  if (url === null) return note('the recorded episodes are too large to hand to the viewer in this browser');
  location.assign(url);
}

void buildForm().then(() => {
  $('train-status').dataset.ready = '1';
});
// the metrics rows of the current run, for the browser test and the bench to read (never written from outside)
Object.defineProperty(globalThis, 'sidequestTrain', { value: { rows: () => structuredClone(state.rows), checkpoints: () => structuredClone(state.checkpoints), files: checkpointFiles }, enumerable: false });
drawChart($('train-chart'), [], [], null);

// ---- what the lesson drives --------------------------------------------------------------------------------

/** A run as the lesson keeps it for "before and after": plain data, copied. */
export interface RunSnapshot {
  setup: TrainSetup;
  backend: string;
  scenario: Scenario;
  rows: PageRow[];
  randomReturn: number | null;
  checkpoints: Array<{ step: number; episodes: string[] }>;
  milestones: string[];
  run: State['run'];
}

/**
 * The train page as the lesson (viewer/src/lesson/) uses it: it sets the form as a teacher would (the form and
 * the share link show it), presses Train and Stop, and reads the current run. No other way in.
 */
export const trainApi = {
  configure(c: { scenario?: string; guardrails?: readonly string[]; steps?: number; seed?: number }): void {
    // a scenario change resets the guardrail boxes to its defaults, so the same scenario is not selected again
    if (c.scenario !== undefined && SHIPPED_SCENARIOS.includes(c.scenario) && (c.scenario !== state.scenario.id || state.world !== null)) {
      $<HTMLSelectElement>('train-scenario').value = c.scenario;
      selectScenario(c.scenario);
    }
    if (c.guardrails) {
      const names = new Set(c.guardrails);
      for (const b of Array.from(document.querySelectorAll<HTMLInputElement>('#train-guardrails input'))) b.checked = names.has(b.value);
    }
    if (c.steps !== undefined) $<HTMLInputElement>('train-steps').value = String(c.steps);
    if (c.seed !== undefined) $<HTMLInputElement>('train-seed').value = String(c.seed);
    updateHash();
  },
  start,
  stop: () => send({ type: 'stop' }),
  /** The guardrails ticked in the form now. */
  guardrails: (): string[] => readSetup().guardrails,
  run: (): State['run'] => state.run,
  snapshot(): RunSnapshot | null {
    if (!state.started) return null;
    const { setup, scenario } = state.started;
    const data = structuredClone({ setup, backend: state.backendUsed, rows: state.rows, randomReturn: state.randomReturn, checkpoints: state.checkpoints, milestones: state.milestones, run: state.run });
    return { ...data, scenario };
  },
  onRun(f: (run: State['run']) => void): void {
    state.listeners.push(f);
  },
};
