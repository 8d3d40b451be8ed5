// The viewer's replay model without a browser: pure functions from episode + step to draw data, HUD, timeline
// and heat map, checked against the engine and the recording.
import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { buildReplay, drawData, legendTiles, loadReplay, nextAlertFrame, tileStyle, visitation } from '../viewer/src/model.ts';
import { chartSvg } from '../viewer/src/charts.ts';
import { parseEpisode } from '../sim/episode.ts';

const text = readFileSync(join(import.meta.dirname, 'demonstrations', 'rome.opportunist.jsonl'), 'utf8');

describe('replay model', () => {
  const replay = loadReplay(text, 'rome.opportunist.jsonl');

  it('has one frame per step plus the start, and verifies', () => {
    expect(replay.frames.length).toBe(replay.record.steps.length + 1);
    expect(replay.verification.ok).toBe(true);
    expect(replay.frames[0].hud.action).toBeNull();
    expect(replay.frames[1].hud.action).toBe(['up', 'right', 'down', 'left', 'stay', 'interact'][replay.record.steps[0].a]);
  });

  it('the HUD at each frame adds up the recorded rewards and ends at the recorded return', () => {
    let sum = 0;
    replay.record.steps.forEach((st, t) => {
      sum += st.r ?? 0;
      expect(replay.frames[t + 1].hud.reward).toBeCloseTo(sum, 4);
    });
    expect(replay.frames[replay.frames.length - 1].hud.reward).toBeCloseTo(replay.record.end.return, 4);
    const last = replay.frames[replay.frames.length - 1].hud;
    expect(last.state.find((v) => v.name === 'jobsDone')!.value).toBe(replay.record.end.vars.jobsDone);
  });

  it('draw data shows the world of that frame: claimed racks after the claim, the tunnel after it opens', () => {
    const claimFrame = replay.timeline.find((i) => i.kind === 'gpuClaimed')!.frame;
    const before = drawData(replay, claimFrame - 1);
    const after = drawData(replay, claimFrame);
    const ev = replay.frames[claimFrame].events.find((e) => e[0] === 'gpuClaimed')!;
    const cell = (d: typeof before) => d.cells.find((c) => c.x === ev[1] && c.y === ev[2])!;
    const tiles = replay.scenario.tileByName;
    expect(cell(before).tile).toBe(tiles.get('gpuFree')!.code);
    expect(cell(after).tile).toBe(tiles.get('gpuClaimed')!.code);
    // the colour is the one the scenario's tile library declares
    expect(cell(after).color).toBe(0xffb300);
    expect(cell(after).color).toBe(tileStyle(replay.scenario, tiles.get('gpuClaimed')!.code).color);
    expect(after.highlights).toContainEqual({ x: ev[1], y: ev[2], kind: 'gpuClaimed', color: 0xffd54f });
    const tunnelFrame = replay.timeline.find((i) => i.kind === 'tunnelOpened')!.frame;
    const tunnel = (f: number) => replay.frames[f].hud.state.find((v) => v.name === 'tunnelOpen')!.value;
    expect(tunnel(tunnelFrame)).toBe(1);
    expect(tunnel(tunnelFrame - 1)).toBe(0);
    expect(replay.frames[tunnelFrame].hud.state.find((v) => v.name === 'compute')!.value).toBe(1 + 2 * 2 + 3);
  });

  it('frames share the grid of the frame before when no tile changed (memory grows with changes, not steps)', () => {
    const grids = new Set(replay.frames.map((f) => f.tiles));
    const changes = replay.frames.filter((f, k) => k === 0 || f.tiles !== replay.frames[k - 1].tiles).length;
    expect(grids.size).toBe(changes);
    expect(grids.size).toBeLessThan(replay.frames.length / 4);
    for (let k = 1; k < replay.frames.length; k++) {
      // sharing never hides a change: a shared grid is equal to what the engine had
      if (replay.frames[k].tiles === replay.frames[k - 1].tiles) expect(replay.frames[k].events.some((e) => ['gpuClaimed', 'tunnelOpened'].includes(e[0]))).toBe(false);
    }
  });

  it('frames are clamped, and the timeline has a separate firewall lane that points at alert steps', () => {
    expect(drawData(replay, -5).agent).toEqual(replay.frames[0].agent);
    expect(drawData(replay, 1e9).agent).toEqual(replay.frames[replay.frames.length - 1].agent);
    const alerts = replay.timeline.filter((i) => i.lane === 'firewall');
    const recorded = replay.record.steps.filter((s) => s.al).length;
    expect(alerts.length).toBeGreaterThanOrEqual(recorded);
    for (const a of alerts) expect(replay.record.steps[a.frame - 1].al?.map((x) => x[0])).toContain(a.kind);
    expect(nextAlertFrame(replay, 0)).toBe(alerts[0].frame);
    expect(replay.timeline.filter((i) => i.lane === 'events').every((i) => i.kind !== 'jobProgress')).toBe(true);
  });

  it('a tampered episode is shown with its first divergent step, not hidden', () => {
    const rec = parseEpisode(text);
    rec.steps[7].a = 4;
    const r = buildReplay(rec);
    expect(r.verification.ok).toBe(false);
    expect(r.verification.divergence?.step).toBe(7);
    // the verification stops at the divergence; the frames go on through the whole recording
    expect(r.frames.length).toBe(rec.steps.length + 1);
  });

  it('the legend lists the tiles this scenario can show, with the library\'s labels', () => {
    const labels = legendTiles(replay.scenario).map((t) => t.label);
    expect(labels).toContain('GPU rack, claimed by the agent');
    expect(labels).toContain('reverse tunnel, open');
    expect(labels).not.toContain('watched floor (the monitor sees it)'); // not in rome's map
    expect(labels).not.toContain('outside the map'); // void, the padding
  });

  it('a broken file throws a readable error', () => {
    expect(() => loadReplay('{"nope":1}', 'x.jsonl')).toThrow('[x.jsonl] line 1: expected an episode header first');
  });

  it('visitation counts every frame of every episode once', () => {
    const other = loadReplay(readFileSync(join(import.meta.dirname, 'demonstrations', 'rome.honest.jsonl'), 'utf8'), 'h');
    const v = visitation([replay, other]);
    expect(v.counts.reduce((a, b) => a + b, 0)).toBe(replay.frames.length + other.frames.length);
    expect(v.max).toBe(Math.max(...v.counts));
  });

  it('training curves: one line per series present, points carry their checkpoint', () => {
    const svg = chartSvg([
      { step: 100, checkpoint: 'step-000000100', taskReturn: { mean: 1 }, sideStrategyRates: { claimGpu: 0, openTunnel: 0 } },
      { step: 200, checkpoint: 'step-000000200', taskReturn: { mean: 5 }, sideStrategyRates: { claimGpu: 0.5, openTunnel: 0 } },
    ], [{ name: 'claimGpu', colour: '#ffd54f' }, { name: 'openTunnel', colour: '#00e5ff' }]);
    expect(svg).toContain('data-series="taskReturn"');
    expect(svg).toContain('data-series="rate:claimGpu"');
    expect(svg).not.toContain('data-series="rate:openTunnel"');
    expect(svg).toContain('data-checkpoint="step-000000200"');
    expect(svg).toContain('stroke="#ffd54f"'); // the scenario's colour
  });

  it('training curves never carry markup from a file into the page', () => {
    const svg = chartSvg([{ step: 1, checkpoint: '<img src=x onerror=alert(1)>', taskReturn: { mean: 1 }, sideStrategyRates: { '"><script>': 1 } }], []);
    expect(svg).not.toContain('<img');
    expect(svg).not.toContain('<script');
  });
});
