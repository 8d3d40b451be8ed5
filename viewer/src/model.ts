// The replay model: pure functions from a recorded episode (and a step index) to what the viewer shows — board
// cells, the agent, the HUD, the timeline's items, heat maps. It re-simulates the episode with sim/ (never
// trusting the file's own account of the world) and checks it against the recorded hashes; Pixi and the DOM
// only draw what these functions return. No DOM or Pixi imports here, so it is unit-tested in Node.
import { Env } from '../../sim/env.ts';
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

export function buildReplay(rec: EpisodeRecord): Replay {
  const scenario = scenarioOfEpisode(rec);
  // events too frequent to be worth a mark each on the timeline (work at the terminal...)
  const routine = routineEvents(scenario);
  const env = new Env(scenario, rec.header.guardrails);
  env.reset({ seed: rec.header.seed });
  const frames: Frame[] = [snapshot(env, scenario, null, null, [], [])];
  const timeline: TimelineItem[] = [];
  let ended = false;
  for (const st of rec.steps) {
    // steps recorded past the episode's end are not simulated (the verification reports them as a divergence)
    if (frames.length > 1 && ended) break;
    const r = env.step(st.a);
    ended = r.terminated || r.truncated;
    const events = r.events.map((e) => [e.kind, e.x, e.y, e.value] as [string, number, number, number]);
    // the frame must show the world after this step, even when the episode ended on it
    frames.push(snapshot(env, scenario, st.a, st.p ?? null, events, [...r.alerts], frames[frames.length - 1]));
    for (const e of events) {
      if (!routine.has(e[0])) timeline.push({ frame: st.t + 1, lane: 'events', kind: e[0], label: `step ${st.t}: ${e[0]}` });
    }
    // the first time each unrewarded routine event happens is worth a mark ("first jobDone")
    for (const e of events) {
      const code = scenario.eventByName.get(e[0])?.code ?? -1;
      const rewarded = code >= 0 && (scenario.rewardByEvent[code] !== 0 || scenario.rewardExpr[code] >= 0);
      if (routine.has(e[0]) && !rewarded && !timeline.some((i) => i.kind === e[0])) timeline.push({ frame: st.t + 1, lane: 'events', kind: e[0], label: `step ${st.t}: first ${e[0]}` });
    }
    for (const a of r.alerts) timeline.push({ frame: st.t + 1, lane: 'firewall', kind: a, label: `step ${st.t}: firewall alert (${a})` });
  }
  return {
    record: rec,
    scenario,
    width: scenario.width,
    height: scenario.height,
    frames,
    timeline,
    verification: verifyEpisode(rec, scenario),
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

export interface DrawData {
  width: number;
  height: number;
  cells: Array<{ x: number; y: number; color: number; glyph?: string; tile: number }>;
  agent: { x: number; y: number; heading: number };
  /** Cells where something happened on this step (pulsed by the board). */
  highlights: Array<{ x: number; y: number; kind: string; color: number }>;
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
  return { width: replay.width, height: replay.height, cells, agent: f.agent, highlights };
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
