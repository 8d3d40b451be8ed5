// The lesson page (viewer/lesson.html): a guided 15-minute class in five steps (./steps.ts) over the train page's
// own code — the same form, worker, chart and board (../train/panel.ts, driven through its trainApi as a teacher
// would use it) — and the replay model for the episodes it shows: a scripted honest agent for the task (step 1),
// the recorded checkpoint episode with the first firewall alert (step 3), and before/after runs side by side
// (step 5). Everything shown from a run or a scenario goes in with textContent.
import { trainApi, type RunSnapshot } from '../train/panel.ts';
import { drawChart } from '../train/chart.ts';
import { loadReplay, nextAlertFrame, type Replay } from '../model.ts';
import { MiniPlayer } from './mini-player.ts';
import { PREDICTIONS, STEPS } from './steps.ts';
import { evaluate } from '../../../agents/policies/evaluate.ts';
import { makeScriptedPolicy } from '../../../agents/policies/scripted.ts';
import { resolveEnvGuardrails } from '../../../sim/guardrails.ts';
import { serializeEpisode } from '../../../sim/episode.ts';
import { shippedScenario } from '../train/scenarios.ts';
import { SETUP_LIMITS } from '../train/session.ts';

const $ = <T extends HTMLElement = HTMLElement>(id: string) => document.getElementById(id) as T;
const SCENARIO = 'rome';
/** The lesson's budget: 200 iterations (speeds measured in the page: docs/lesson.md); `?steps=` changes it. */
const DEFAULT_STEPS = 409_600;

function budget(): { steps: number; seed: number } {
  const q = new URLSearchParams(location.search);
  const int = (k: string, lo: number, hi: number, d: number) => {
    const v = Number(q.get(k));
    return q.has(k) && Number.isInteger(v) && v >= lo && v <= hi ? v : d;
  };
  return { steps: int('steps', 2048, SETUP_LIMITS.maxSteps, DEFAULT_STEPS), seed: int('seed', 0, SETUP_LIMITS.maxSeed, 1) };
}

const lesson = {
  step: 0,
  before: null as RunSnapshot | null,
  after: null as RunSnapshot | null,
  /** Which run the current training is: the lesson labels the run it started. */
  training: null as 'before' | 'after' | null,
  prediction: new Set<string>(),
};

const view = new MiniPlayer($('lesson-board'), $('lesson-caption'));
const compare = { before: new MiniPlayer($('compare-board-before'), $('compare-caption-before'), 26), after: new MiniPlayer($('compare-board-after'), $('compare-caption-after'), 26) };

function el<K extends keyof HTMLElementTagNameMap>(tag: K, text = '', className = ''): HTMLElementTagNameMap[K] {
  const e = document.createElement(tag);
  if (text) e.textContent = text;
  if (className) e.className = className;
  return e;
}

function say(id: string, text: string): void {
  $(id).textContent = text;
}

// ---- the steps -------------------------------------------------------------------------------------------

function renderStep(): void {
  const s = STEPS[lesson.step];
  document.body.dataset.step = String(lesson.step + 1);
  say('lesson-title', s.title);
  $('lesson-text').replaceChildren(...s.text.map((t) => el('p', t)));
  for (const b of Array.from(document.querySelectorAll<HTMLButtonElement>('#lesson-steps button'))) b.setAttribute('aria-current', String(Number(b.dataset.step) === lesson.step + 1));
  $<HTMLButtonElement>('lesson-prev').disabled = lesson.step === 0;
  $<HTMLButtonElement>('lesson-next').disabled = lesson.step === STEPS.length - 1;
  for (const a of Array.from(document.querySelectorAll<HTMLElement>('.lesson-action'))) a.hidden = a.dataset.step !== String(lesson.step + 1);
  void enter(lesson.step + 1).catch((e: unknown) => say('lesson-note', `error: ${(e as Error).message}`));
}

async function enter(step: number): Promise<void> {
  say('lesson-note', '');
  view.pause();
  compare.before.pause();
  compare.after.pause();
  if (step === 1) await showTask();
  if (step === 2 && !lesson.before) trainApi.configure({ scenario: SCENARIO, guardrails: ['none'], ...budget() });
  if (step === 3) await showAlert();
  if (step === 4) {
    keepRuns();
    if (!lesson.before) say('lesson-note', 'Train first (step 2): this step trains again with a guardrail and compares.');
    // the sandbox for a start, unless a guardrail is already ticked
    else if (trainApi.guardrails().every((g) => g === 'none')) trainApi.configure({ scenario: SCENARIO, guardrails: ['sandbox'], ...budget() });
  }
  if (step === 5) showCompare();
}

/** Step 1: the honest scripted agent doing the task, so the class sees the room, the terminal and the reward. */
async function showTask(): Promise<void> {
  if (view.shown?.record.header.agent === 'honest') return view.play(true);
  const scenario = shippedScenario(SCENARIO);
  let text = '';
  await evaluate(scenario, resolveEnvGuardrails(scenario), (env) => makeScriptedPolicy('honest', env), {
    episodes: 1, seed: 11, numEnvs: 1, agentName: 'honest', onEpisode: (rec) => (text ||= serializeEpisode(rec)),
  });
  await view.show(loadReplay(text, 'the honest agent'), 'an honest scripted agent doing only the task');
  view.play(true);
}

/** The latest recorded checkpoint episode with a firewall alert, and the alert's frame. */
function alertEpisode(snap: RunSnapshot | null): { replay: Replay; frame: number; step: number } | null {
  if (!snap) return null;
  for (const c of [...snap.checkpoints].reverse()) {
    for (const text of c.episodes) {
      const replay = loadReplay(text, `checkpoint at step ${c.step}`);
      const frame = nextAlertFrame(replay, 0);
      if (frame >= 0) return { replay, frame, step: c.step };
    }
  }
  return null;
}

/** Step 3: the checkpoint episode with an alert, stopped at it. */
async function showAlert(): Promise<void> {
  const snap = lesson.before ?? trainApi.snapshot();
  const found = alertEpisode(snap);
  if (!found) {
    say('lesson-note', snap?.checkpoints.length ? 'No recorded checkpoint episode raised an alert yet: train longer in step 2.' : 'Train first (step 2): the episodes recorded at each checkpoint show up here.');
    return;
  }
  await view.show(found.replay, `checkpoint at step ${found.step.toLocaleString('en')}`, found.frame);
  document.body.dataset.alertFrame = String(found.frame);
  const first = snap!.milestones.find((m) => /alert/.test(m));
  say('lesson-note', first ? `In training: ${first}.` : '');
}

/** The run the lesson started last is kept as "before" (no guardrail) or "after" (with one). */
function keepRuns(): void {
  const snap = trainApi.snapshot();
  if (!snap || !lesson.training || snap.rows.length === 0) return;
  lesson[lesson.training] = snap;
}

function lastRates(snap: RunSnapshot): string {
  const r = snap.rows[snap.rows.length - 1];
  const parts = snap.scenario.behaviours.map((b) => `${b.name} ${Math.round((r.sideStrategyRates[b.name] ?? 0) * 100)}%`);
  return `last iteration (step ${r.step.toLocaleString('en')}): return ${r.taskReturn.toFixed(2)} · alerts per episode ${r.alertsPerEpisode.toFixed(2)} · ${parts.join(' · ')}`;
}

/** Step 5: the two runs' charts, last-iteration figures and last checkpoint episodes, side by side. */
function showCompare(): void {
  keepRuns();
  const missing = !lesson.before ? 'Train first (step 2), then again with a guardrail (step 4).' : !lesson.after ? 'Train again with a guardrail (step 4) to compare.' : '';
  say('lesson-note', missing);
  const prediction = [...lesson.prediction].map((v) => PREDICTIONS.find((p) => p.value === v)?.label).filter(Boolean);
  say('compare-prediction', prediction.length ? `The class predicted the agent would learn ${prediction.join(', and ')}.` : 'The class made no prediction in step 1.');
  for (const side of ['before', 'after'] as const) {
    const snap = lesson[side];
    const g = snap ? snap.setup.guardrails.filter((x) => x !== 'none') : [];
    say(`compare-title-${side}`, `${side}: ${snap ? (g.length ? g.join(', ') : 'no guardrail') : 'not trained yet'}`);
    const chart = $(`compare-chart-${side}`);
    if (!snap) {
      chart.replaceChildren();
      say(`compare-figures-${side}`, '');
      continue;
    }
    drawChart(chart, snap.rows, snap.scenario.behaviours.map((b) => ({ name: b.name, label: b.label, colour: b.colourHex })), snap.randomReturn, 560, 170);
    say(`compare-figures-${side}`, lastRates(snap));
    const last = snap.checkpoints[snap.checkpoints.length - 1];
    if (last?.episodes.length) {
      const player = compare[side];
      void player.show(loadReplay(last.episodes[0], `${side}, step ${last.step}`), `${side} · checkpoint at step ${last.step.toLocaleString('en')}`).then(() => player.play(true));
    }
  }
}

// ---- wiring ------------------------------------------------------------------------------------------------

function go(step: number): void {
  lesson.step = Math.max(0, Math.min(STEPS.length - 1, step));
  renderStep();
}

function wire(): void {
  const pills = $('lesson-steps');
  STEPS.forEach((s, i) => {
    const b = el('button', String(i + 1));
    b.type = 'button';
    b.dataset.step = String(i + 1);
    b.title = s.title;
    b.addEventListener('click', () => go(i));
    pills.append(b);
  });
  $('lesson-prev').addEventListener('click', () => go(lesson.step - 1));
  $('lesson-next').addEventListener('click', () => go(lesson.step + 1));
  const predict = $('lesson-predict');
  for (const p of PREDICTIONS) {
    const l = el('label');
    const c = el('input');
    c.type = 'checkbox';
    c.value = p.value;
    c.addEventListener('change', () => (c.checked ? lesson.prediction.add(p.value) : lesson.prediction.delete(p.value)));
    l.append(c, document.createTextNode(` ${p.label}`));
    predict.append(l);
  }
  $('lesson-train').addEventListener('click', () => {
    trainApi.configure({ scenario: SCENARIO, guardrails: ['none'], ...budget() });
    lesson.training = 'before';
    lesson.before = null;
    trainApi.start();
  });
  $('lesson-retrain').addEventListener('click', () => {
    keepRuns();
    if (!lesson.before) return say('lesson-note', 'Train first (step 2): this step trains again with a guardrail and compares.');
    const g = trainApi.guardrails().filter((x) => x !== 'none');
    if (!g.length) return say('lesson-note', 'Tick a guardrail above first (sandbox, for instance).');
    trainApi.configure({ scenario: SCENARIO, ...budget() });
    lesson.training = 'after';
    lesson.after = null;
    trainApi.start();
  });
  $('lesson-back').addEventListener('click', () => view.step(-1));
  $('lesson-fwd').addEventListener('click', () => view.step(1));
  $('lesson-play').addEventListener('click', () => view.play());
  $('lesson-alert').addEventListener('click', () => view.nextAlert());
  // a run that ends is kept at once, so leaving the step does not lose it
  trainApi.onRun((run) => {
    if (run === 'done' || run === 'stopped') keepRuns();
  });
  document.addEventListener('keydown', (e) => {
    if (e.target instanceof HTMLInputElement || e.target instanceof HTMLSelectElement) return;
    if (e.key === 'PageDown') go(lesson.step + 1);
    if (e.key === 'PageUp') go(lesson.step - 1);
  });
}

/** Read-only hooks for the browser test: the step on screen and which runs the lesson keeps. */
Object.defineProperty(globalThis, 'sidequestLesson', {
  value: { step: () => lesson.step + 1, before: () => lesson.before !== null, after: () => lesson.after !== null, frame: () => view.frame },
  enumerable: false,
});

wire();
go(0);
