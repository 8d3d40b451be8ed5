// The replay model: pure functions from a recorded episode (and a step index) to what the viewer shows — board
// cells, the agent, the HUD, the timeline's items, heat maps. It re-simulates the episode with sim/ (never
// trusting the file's own account of the world) and checks it against the recorded hashes; Pixi and the DOM
// only draw what these functions return. No DOM or Pixi imports here, so it is unit-tested in Node.
import { Env } from '../../sim/env.ts';
import { parseEpisode, type EpisodeRecord } from '../../sim/episode.ts';
import { scenarioOfEpisode, verifyEpisode, type ReplayResult } from '../../sim/replay.ts';
import type { Scenario } from '../../sim/scenario.ts';
import { ACTION_NAMES, COST_CATEGORIES, TERMINATION_NAMES, Tile, type CostCategory } from '../../sim/vocab.ts';

export interface Hud {
  step: number;
  horizon: number;
  reward: number; // return so far
  performance: number;
  cost: Record<CostCategory, number>;
  compute: number;
  coins: number;
  jobs: number;
  tunnel: 'closed' | 'open';
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

/** Events too frequent to be worth a mark each on the timeline (work at the terminal). */
const ROUTINE = new Set(['jobProgress', 'egress', 'jobDone']);

/** Parses and re-simulates an episode file. Throws EpisodeFileError (with a readable message) on a bad file. */
export function loadReplay(text: string, origin: string): Replay {
  return buildReplay(parseEpisode(text, origin));
}

export function buildReplay(rec: EpisodeRecord): Replay {
  const scenario = scenarioOfEpisode(rec);
  const env = new Env(scenario, rec.header.guardrails);
  env.reset({ seed: rec.header.seed });
  const frames: Frame[] = [snapshot(env, scenario, null, null, [], [])];
  const timeline: TimelineItem[] = [];
  for (const st of rec.steps) {
    const r = env.step(st.a);
    const events = r.events.map((e) => [e.kind, e.x, e.y, e.value] as [string, number, number, number]);
    // the frame must show the world after this step, even when the episode ended on it
    frames.push(snapshot(env, scenario, st.a, st.p ?? null, events, [...r.alerts]));
    for (const e of events) {
      if (!ROUTINE.has(e[0])) timeline.push({ frame: st.t + 1, lane: 'events', kind: e[0], label: `step ${st.t}: ${e[0]}` });
    }
    const firstJob = events.find((e) => e[0] === 'jobDone') && !timeline.some((i) => i.kind === 'jobDone');
    if (firstJob) timeline.push({ frame: st.t + 1, lane: 'events', kind: 'jobDone', label: `step ${st.t}: first job done` });
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

function snapshot(env: Env, s: Scenario, action: number | null, probs: number[] | null, events: Frame['events'], alerts: string[]): Frame {
  const b = env.batch;
  const tiles = new Uint8Array(s.width * s.height);
  for (let y = 0; y < s.height; y++) for (let x = 0; x < s.width; x++) tiles[y * s.width + x] = b.tileAt(0, x, y);
  // the single-env API does not auto-reset, so after the last step the live counters still hold the episode
  const cost = Object.fromEntries(COST_CATEGORIES.map((c, j) => [c, b.epCost[j]])) as Record<CostCategory, number>;
  return {
    tiles,
    agent: { ...b.agentXY(0), heading: b.heading[0] },
    hud: {
      step: b.t[0],
      horizon: s.horizon,
      reward: b.epReturn[0],
      performance: b.epPerformance[0],
      cost,
      compute: b.compute(0),
      coins: b.coins[0],
      jobs: b.jobsDone[0],
      tunnel: b.tunnelOpen[0] ? 'open' : 'closed',
      action: action === null ? null : ACTION_NAMES[action],
      probs,
    },
    events,
    alerts,
  };
}

// ---- draw data -------------------------------------------------------------------------------------------

/** Colours and labels of the board, one place (the legend in the UI is generated from it). */
export const TILE_STYLE: Readonly<Record<number, { color: number; label: string; glyph?: string }>> = {
  [Tile.Void]: { color: 0x0b0e14, label: 'void' },
  [Tile.Wall]: { color: 0x3a4150, label: 'wall' },
  [Tile.Floor]: { color: 0x1c2230, label: 'floor' },
  [Tile.WatchedFloor]: { color: 0x2d2440, label: 'watched floor (monitor sees it)' },
  [Tile.Terminal]: { color: 0x2f8f5b, label: 'job terminal', glyph: 'T' },
  [Tile.GpuFree]: { color: 0x5c6bc0, label: 'GPU rack, idle', glyph: 'G' },
  [Tile.GpuClaimed]: { color: 0xffb300, label: 'GPU rack, claimed', glyph: 'C' },
  [Tile.GpuMining]: { color: 0xff6f00, label: 'GPU rack, mining', glyph: '$' },
  [Tile.Firewall]: { color: 0xb71c1c, label: 'firewall' },
  [Tile.PortClosed]: { color: 0xe57373, label: 'misconfigured port', glyph: 'p' },
  [Tile.PortHidden]: { color: 0xb71c1c, label: 'hidden port (looks like firewall)' },
  [Tile.PortFound]: { color: 0xff8a80, label: 'port, probed', glyph: 'P' },
  [Tile.Tunnel]: { color: 0x00e5ff, label: 'reverse tunnel, open', glyph: '=' },
  [Tile.Outside]: { color: 0x0d3b4f, label: 'outside the sandbox' },
  [Tile.Monitor]: { color: 0xab47bc, label: 'monitor camera', glyph: 'M' },
};

export interface DrawData {
  width: number;
  height: number;
  cells: Array<{ x: number; y: number; color: number; glyph?: string; tile: number }>;
  agent: { x: number; y: number; heading: number };
  /** Cells where something happened on this step (pulsed by the board). */
  highlights: Array<{ x: number; y: number; kind: string }>;
}

export function drawData(replay: Replay, frame: number): DrawData {
  const f = replay.frames[clampFrame(replay, frame)];
  const cells: DrawData['cells'] = [];
  for (let y = 0; y < replay.height; y++) {
    for (let x = 0; x < replay.width; x++) {
      const tile = f.tiles[y * replay.width + x];
      const st = TILE_STYLE[tile];
      cells.push({ x, y, tile, color: st.color, glyph: st.glyph });
    }
  }
  const highlights = f.events.filter((e) => !ROUTINE.has(e[0])).map((e) => ({ x: e[1], y: e[2], kind: e[0] }));
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

export { TERMINATION_NAMES };
