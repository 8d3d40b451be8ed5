// The replay model: pure functions from a recorded episode (and a step index) to what the viewer shows — board
// cells, the agent, the HUD, the timeline's items, heat maps. It re-simulates the episode with sim/ (never
// trusting the file's own account of the world) and checks it against the recorded hashes; Pixi and the DOM
// only draw what these functions return. No DOM or Pixi imports here, so it is unit-tested in Node.
import { Env, type StepResult } from '../../sim/env.ts';
import { parseEpisode, type EpisodeRecord } from '../../sim/episode.ts';
import { scenarioOfEpisode, verifyEpisode, type ReplayResult } from '../../sim/replay.ts';
import { routineEvents, type Scenario } from '../../sim/scenario.ts';
import { ACTION_NAMES } from '../../sim/vocab.ts';
import { boardTiles } from '../../sim/render.ts';

export interface Hud {
  step: number;
  horizon: number;
  reward: number; // return so far
  performance: number;
  /** Cost so far per category (the scenario's). */
  cost: Record<string, number>;
  /** The scenario's variables and definitions (compute, coins, jobsDone...), in file order, with their labels. */
  state: Array<{ name: string; label: string; value: number }>;
  /** The action that led to this frame (none at frame 0). */
  action: string | null;
  /** The policy's action probabilities for that action's step, if recorded. */
  probs: number[] | null;
}

export interface Frame {
  /** Engine tiles [height * width], row-major. */
  tiles: Uint8Array;
  agent: { x: number; y: number; heading: number };
  hud: Hud;
  /** Events of the step that led here: [kind, x, y, value]. */
  events: Array<[string, number, number, number]>;
  alerts: string[];
}

export interface TimelineItem {
  frame: number; // the frame the event belongs to (step t → frame t + 1)
  lane: 'events' | 'firewall';
  kind: string;
  label: string;
}

export interface Replay {
  record: EpisodeRecord;
  scenario: Scenario;
  width: number;
  height: number;
  frames: Frame[];
  timeline: TimelineItem[];
  verification: ReplayResult;
  outcome: { reason: string; steps: number; return: number; behaviours: string[] };
}

/** Parses and re-simulates an episode file. Throws EpisodeFileError (with a readable message) on a bad file. */
export function loadReplay(text: string, origin: string): Replay {
  return buildReplay(parseEpisode(text, origin));
}

/** Episodes simulated by this module so far: the viewer's tests count them (one per episode opened, never more). */
let simulations = 0;
export function simulationCount(): number {
  return simulations;
}

/**
 * Re-simulates the episode once: the verification's own pass against the recorded hashes also yields the
 * frames. If it stops at a divergence, the same env plays on through the recorded actions, so the viewer
 * shows the re-simulation to the end and says where it parted from the recording.
 */
export function buildReplay(rec: EpisodeRecord): Replay {
  simulations++;
  const scenario = scenarioOfEpisode(rec);
  // events too frequent to be worth a mark each on the timeline (work at the terminal...)
  const routine = routineEvents(scenario);
  const env = new Env(scenario, rec.header.guardrails);
  const frames: Frame[] = [];
  const timeline: TimelineItem[] = [];
  let ended = false;
  let simulated = 0; // recorded steps the env has played
  const onStep = (r: StepResult, st: EpisodeRecord['steps'][number]) => {
    simulated++;
    ended = r.terminated || r.truncated;
    const events = r.events.map((e) => [e.kind, e.x, e.y, e.value] as [string, number, number, number]);
    // the frame must show the world after this step, even when the episode ended on it
    frames.push(snapshot(env, scenario, st.a, st.p ?? null, events, [...r.alerts], frames[frames.length - 1]));
    const step = st.t + 1; // the numbering people see: step k is the k-th action, frame k the world after it
    for (const e of events) {
      if (!routine.has(e[0])) timeline.push({ frame: st.t + 1, lane: 'events', kind: e[0], label: `step ${step}: ${e[0]}` });
    }
    // the first time each unrewarded routine event happens is worth a mark ("first jobDone")
    for (const e of events) {
      const code = scenario.eventByName.get(e[0])?.code ?? -1;
      const rewarded = code >= 0 && (scenario.rewardByEvent[code] !== 0 || scenario.rewardExpr[code] >= 0);
      if (routine.has(e[0]) && !rewarded && !timeline.some((i) => i.kind === e[0])) timeline.push({ frame: st.t + 1, lane: 'events', kind: e[0], label: `step ${step}: first ${e[0]}` });
    }
    for (const a of r.alerts) timeline.push({ frame: st.t + 1, lane: 'firewall', kind: a, label: `step ${step}: firewall alert (${a})` });
  };
  const verification = verifyEpisode(rec, scenario, {
    onReset: () => frames.push(snapshot(env, scenario, null, null, [], [])),
    onStep: (_env, r, st) => onStep(r, st),
  }, env);
  // a divergence stops the verification early: play the rest of the recording; steps recorded past the
  // episode's end are not simulated (the verification reports them as a divergence)
  for (const st of rec.steps.slice(simulated)) {
    if (ended) break;
    onStep(env.step(st.a), st);
  }
  return {
    record: rec,
    scenario,
    width: scenario.width,
    height: scenario.height,
    frames,
    timeline,
    verification,
    outcome: { reason: rec.end.reason, steps: rec.end.steps, return: rec.end.return, behaviours: rec.end.behaviours },
  };
}

function snapshot(env: Env, s: Scenario, action: number | null, probs: number[] | null, events: Frame['events'], alerts: string[], previous?: Frame): Frame {
  const b = env.batch;
  let tiles: Uint8Array = new Uint8Array(s.width * s.height);
  for (let y = 0; y < s.height; y++) for (let x = 0; x < s.width; x++) tiles[y * s.width + x] = b.tileAt(0, x, y);
  // most steps change no tile: frames then share the previous grid, so memory grows with the changes, not the steps
  if (previous && previous.tiles.every((v, k) => v === tiles[k])) tiles = previous.tiles;
  // the single-env API does not auto-reset, so after the last step the live counters still hold the episode
  const cost = Object.fromEntries(s.costCategories.map((c, j) => [c, b.epCost[j]]));
  const state = [
    ...s.variables.map((v) => ({ name: v.name, label: v.label, value: b.vars[v.index] })),
    ...s.defines.map((d) => ({ name: d.name, label: d.name, value: b.evaluate(0, d.expr) })),
  ];
  return {
    tiles,
    agent: { ...b.agentXY(0), heading: b.heading[0] },
    hud: {
      step: b.t[0],
      horizon: s.horizon,
      reward: b.epReturn[0],
      performance: b.epPerformance[0],
      cost,
      state,
      action: action === null ? null : ACTION_NAMES[action],
      probs,
    },
    events,
    alerts,
  };
}

// ---- draw data -------------------------------------------------------------------------------------------

/**
 * How a tile is drawn: its colour, label and (if the scenario says so) glyph, all from the scenario's tile
 * declarations — the board, the legend and the terminal read the same ones.
 */
export function tileStyle(s: Scenario, code: number): { color: number; label: string; glyph?: string } {
  const t = s.tiles[code];
  return { color: t.colour, label: t.label, glyph: t.showGlyph ? t.glyph : undefined };
}

/** Tiles worth a legend row in this scenario: those its maps, placements and rules can put on the board. */
export function legendTiles(s: Scenario): Array<{ color: number; label: string; glyph?: string }> {
  return boardTiles(s).map((c) => tileStyle(s, c));
}

/** Colour of an event on the timeline and the board: its own, or its behaviour's. */
export function eventColour(s: Scenario, kind: string): string {
  const e = s.eventByName.get(kind);
  if (!e) return '#ffffff';
  const b = s.behaviourOfEvent[e.code];
  return b >= 0 ? s.behaviours[b].colourHex : e.colourHex;
}

/** A firewall alert's colour, on the board, the timeline, the HUD and the legend alike. */
export const ALERT_COLOUR = 0xff1744;
export const ALERT_CSS = '#ff1744';

export interface DrawData {
  width: number;
  height: number;
  cells: Array<{ x: number; y: number; color: number; glyph?: string; tile: number }>;
  agent: { x: number; y: number; heading: number };
  /** Cells where something happened on this step (pulsed by the board). */
  highlights: Array<{ x: number; y: number; kind: string; color: number }>;
  /** Cells of this step's firewall alerts: where the event that raised each one happened (flashed by the board). */
  alerts: Array<{ x: number; y: number; kind: string }>;
  /** An alert of this step has no cell (a false positive): the board flashes its border instead. */
  alertOffBoard: boolean;
}

export function drawData(replay: Replay, frame: number): DrawData {
  const f = replay.frames[clampFrame(replay, frame)];
  const cells: DrawData['cells'] = [];
  for (let y = 0; y < replay.height; y++) {
    for (let x = 0; x < replay.width; x++) {
      const tile = f.tiles[y * replay.width + x];
      const st = tileStyle(replay.scenario, tile);
      cells.push({ x, y, tile, color: st.color, glyph: st.glyph });
    }
  }
  const routine = routineEvents(replay.scenario);
  const highlights = f.events
    .filter((e) => !routine.has(e[0]))
    .map((e) => ({ x: e[1], y: e[2], kind: e[0], color: parseInt(eventColour(replay.scenario, e[0]).slice(1), 16) }));
  const alerts: DrawData['alerts'] = [];
  let alertOffBoard = false;
  for (const a of f.alerts) {
    const ev = f.events.find((e) => e[0] === a);
    if (ev) alerts.push({ x: ev[1], y: ev[2], kind: a });
    else alertOffBoard = true;
  }
  return { width: replay.width, height: replay.height, cells, agent: f.agent, highlights, alerts, alertOffBoard };
}

export function clampFrame(replay: Replay, frame: number): number {
  return Math.max(0, Math.min(replay.frames.length - 1, Math.round(frame)));
}

/** The first frame at or after `from` whose step raised a firewall alert, or -1. */
export function nextAlertFrame(replay: Replay, from: number): number {
  const item = replay.timeline.find((i) => i.lane === 'firewall' && i.frame >= from);
  return item ? item.frame : -1;
}

/** Visits per cell over a set of episodes of one scenario: [height * width] counts of agent positions. */
export function visitation(replays: readonly Replay[]): { width: number; height: number; counts: Float64Array; max: number } {
  if (replays.length === 0) return { width: 0, height: 0, counts: new Float64Array(0), max: 0 };
  const { width, height } = replays[0];
  const counts = new Float64Array(width * height);
  for (const r of replays) {
    if (r.width !== width || r.height !== height) continue;
    for (const f of r.frames) counts[f.agent.y * width + f.agent.x]++;
  }
  let max = 0;
  for (const c of counts) max = Math.max(max, c);
  return { width, height, counts, max };
}

export interface HeatMap {
  width: number;
  height: number;
  counts: Float64Array;
  max: number;
  /** Episodes counted (same scenario and size as the one it is drawn for). */
  episodes: number;
  /** Episodes left out: another scenario or board size, whose cells do not line up. */
  leftOut: number;
  /** The map drawn beneath: each cell's most frequent starting tile over the counted episodes. */
  tiles: Uint8Array;
  /** Cells whose starting tile differs between the counted episodes (1), marked on the map. */
  varying: Uint8Array;
  varyingCells: number;
}

/**
 * The heat map of a checkpoint, honest about layouts: visits of every episode of the open one's scenario and
 * size, over each cell's most frequent starting tile, with the cells whose layout differs between episodes
 * (random placements) marked and counted, and the episodes that do not line up left out and counted.
 */
export function heatMap(open: Replay, replays: readonly Replay[]): HeatMap {
  const { width, height } = open;
  const n = width * height;
  const same = replays.filter((r) => r.scenario.id === open.scenario.id && r.width === width && r.height === height);
  const v = visitation(same.length ? same : [open]);
  const counted = same.length ? same : [open];
  const tiles = new Uint8Array(n);
  const varying = new Uint8Array(n);
  let varyingCells = 0;
  const freq = new Map<number, number>();
  for (let k = 0; k < n; k++) {
    freq.clear();
    for (const r of counted) freq.set(r.frames[0].tiles[k], (freq.get(r.frames[0].tiles[k]) ?? 0) + 1);
    let best = open.frames[0].tiles[k];
    for (const [t, c] of freq) if (c > (freq.get(best) ?? 0)) best = t;
    tiles[k] = best;
    if (freq.size > 1) {
      varying[k] = 1;
      varyingCells++;
    }
  }
  return { width, height, counts: v.counts, max: v.max, episodes: counted.length, leftOut: replays.length - same.length, tiles, varying, varyingCells };
}

/** The heat map's colour scale (dark purple → red → yellow) at a fraction 0…1 of the most visited cell. */
export function heatColour(f: number): number {
  const stops = [[0x3b, 0x0f, 0x70], [0x8c, 0x29, 0x81], [0xde, 0x49, 0x68], [0xfe, 0x9f, 0x6d], [0xfc, 0xfd, 0xbf]];
  const x = Math.max(0, Math.min(1, f)) * (stops.length - 1);
  const i = Math.min(stops.length - 2, Math.floor(x));
  const u = x - i;
  const c = stops[i].map((a, j) => Math.round(a + (stops[i + 1][j] - a) * u));
  return (c[0] << 16) | (c[1] << 8) | c[2];
}

/** The heat map drawn as board cells: draw data whose tiles are the heat map's starting layout. */
export function heatDrawData(open: Replay, h: HeatMap): DrawData {
  const cells: DrawData['cells'] = [];
  for (let y = 0; y < h.height; y++) {
    for (let x = 0; x < h.width; x++) {
      const tile = h.tiles[y * h.width + x];
      const st = tileStyle(open.scenario, tile);
      cells.push({ x, y, tile, color: st.color, glyph: st.glyph });
    }
  }
  return { width: h.width, height: h.height, cells, agent: open.frames[0].agent, highlights: [], alerts: [], alertOffBoard: false };
}
