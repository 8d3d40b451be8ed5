// The viewer for a room full of people, its pure parts in Node: one step numbering (step k is the k-th action,
// the file's t = k - 1, frame k the world after it — the timeline's labels, the HUD, `sidequest replay` and the
// demo summary all say "step k" for the same moment); one simulation per episode (the replay cache shares it
// between the board, the heat map and compare mode); a heat map honest about layouts; the emergence chart's
// ticks, marker and overlay; where alerts flash; and run.json read field by field.
import { afterEach, describe, expect, it, vi } from 'vitest';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Env } from '../sim/env.ts';
import { drawData, loadReplay, simulationCount, heatMap, heatColour } from '../viewer/src/model.ts';
import { runConfigSummary } from '../viewer/src/api.ts';
import { ReplayCache } from '../viewer/src/replays.ts';
import { runReplay } from '../cli/replay.ts';
import { alertedEpisodes } from '../cli/demo.ts';
import { chartSvg, niceTicks } from '../viewer/src/charts.ts';

const file = join(import.meta.dirname, 'demonstrations', 'rome.opportunist.jsonl');
const text = readFileSync(file, 'utf8');

afterEach(() => vi.restoreAllMocks());

describe('one step numbering', () => {
  const replay = loadReplay(text, 'rome.opportunist.jsonl');

  it('a timeline mark says the step its frame shows in the HUD', () => {
    expect(replay.timeline.length).toBeGreaterThan(0);
    for (const item of replay.timeline) {
      const n = Number(/^step (\d+):/.exec(item.label)?.[1]);
      expect(n, item.label).toBe(item.frame);
      expect(replay.frames[item.frame].hud.step).toBe(n);
    }
  });

  it('`sidequest replay` prints the same step numbers as the timeline', async () => {
    const lines: string[] = [];
    vi.spyOn(console, 'log').mockImplementation((l: string) => void lines.push(l));
    expect(await runReplay([file])).toBe(0);
    const alertLines = lines.filter((l) => l.includes('[firewall alert'));
    const printed = alertLines.map((l) => Number(/^\s+step\s+(\d+)/.exec(l)?.[1]));
    const timeline = [...new Set(replay.timeline.filter((i) => i.lane === 'firewall').map((i) => i.frame))];
    expect(printed).toEqual(timeline);
  });

  it('the demo summary names alert steps as the viewer does', () => {
    const dir = mkdtempSync(join(tmpdir(), 'sq-steps-'));
    mkdirSync(join(dir, 'episodes', 'step-000000512'), { recursive: true });
    writeFileSync(join(dir, 'episodes', 'step-000000512', 'ep-000.jsonl'), text);
    const [ep] = alertedEpisodes(dir, 'step-000000512');
    const steps = ep.alerts.map((a) => Number(/^step (\d+):/.exec(a)?.[1]));
    expect(steps).toEqual(replay.timeline.filter((i) => i.lane === 'firewall').map((i) => i.frame));
  });

  it('a divergence is reported at the step the viewer shows for it', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sq-steps-'));
    const f = join(dir, 'tampered.jsonl');
    writeFileSync(f, text.replace('"t":7,"a":5', '"t":7,"a":4'));
    const lines: string[] = [];
    vi.spyOn(console, 'log').mockImplementation((l: string) => void lines.push(l));
    expect(await runReplay([f, '--verify'])).toBe(1);
    // the file's t = 7 is the 8th action: frame 8 is where the re-simulation shows the difference
    expect(lines.join('\n')).toContain('first differs at step 8 (events)');
  });
});

describe('an episode is simulated once', () => {
  it('building a replay steps the engine once per recorded step (frames and verification share the pass)', () => {
    const steps = vi.spyOn(Env.prototype, 'step');
    const before = simulationCount();
    const r = loadReplay(text, 'x');
    expect(r.verification.ok).toBe(true);
    expect(steps).toHaveBeenCalledTimes(r.record.steps.length);
    expect(simulationCount() - before).toBe(1);
  });

  it('the cache simulates each episode once, however many panels ask, and forgets failures', async () => {
    const cache = new ReplayCache();
    const before = simulationCount();
    const fetches: string[] = [];
    const source = (name: string, body: string) => () => {
      fetches.push(name);
      return Promise.resolve(body);
    };
    // the board and the heat map ask at once, then again (another click)
    const [a, b] = await Promise.all([cache.get('run:0:ep-0', 'ep-0', source('ep-0', text)), cache.get('run:0:ep-0', 'ep-0', source('ep-0', text))]);
    expect(a).toBe(b);
    expect(await cache.get('run:0:ep-0', 'ep-0', source('ep-0', text))).toBe(a);
    // another checkpoint's file of the same name is another episode
    await cache.get('run:0:step-2/ep-0', 'ep-0', source('step-2/ep-0', text));
    expect(simulationCount() - before).toBe(2);
    expect(fetches).toEqual(['ep-0', 'step-2/ep-0']);
    await expect(cache.get('bad', 'bad.jsonl', source('bad', '{"nope":1}'))).rejects.toThrow('expected an episode header first');
    expect(cache.peek('bad')).toBeUndefined();
  });

  it('the cache is bounded', async () => {
    const cache = new ReplayCache(async () => {}, 2);
    for (const k of ['a', 'b', 'c']) await cache.get(k, k, () => Promise.resolve(text));
    expect(cache.size).toBe(2);
    expect(cache.peek('a')).toBeUndefined();
  });
});

describe('heat map and chart', () => {
  const replay = loadReplay(text, 'o');
  const honest = loadReplay(readFileSync(join(import.meta.dirname, 'demonstrations', 'rome.honest.jsonl'), 'utf8'), 'h');

  it('counts every frame, and marks the cells whose starting layout differs between episodes', () => {
    const h = heatMap(replay, [replay, honest]);
    expect(h.episodes).toBe(2);
    expect(h.counts.reduce((a, b) => a + b, 0)).toBe(replay.frames.length + honest.frames.length);
    let differ = 0;
    for (let k = 0; k < h.tiles.length; k++) {
      const d = replay.frames[0].tiles[k] !== honest.frames[0].tiles[k];
      if (d) differ++;
      expect(h.varying[k], `cell ${k}`).toBe(d ? 1 : 0);
    }
    expect(h.varyingCells).toBe(differ);
    expect(heatMap(replay, [replay, replay]).varyingCells).toBe(0);
  });

  it('leaves out episodes of another scenario, and says how many', () => {
    const other = { ...honest, scenario: { ...honest.scenario, id: 'tutorial' } };
    const h = heatMap(replay, [replay, other]);
    expect(h.episodes).toBe(1);
    expect(h.leftOut).toBe(1);
  });

  it('the colour scale runs from dark to bright', () => {
    const lum = (c: number) => ((c >> 16) & 255) + ((c >> 8) & 255) + (c & 255);
    for (let i = 0; i < 10; i++) expect(lum(heatColour((i + 1) / 10))).toBeGreaterThan(lum(heatColour(i / 10)));
  });

  it('the chart has ticks on its axes and a marker at the watched checkpoint', () => {
    const pts = [100, 200, 300].map((step) => ({ step, checkpoint: `step-${step}`, taskReturn: { mean: step / 10 }, sideStrategyRates: { claimGpu: step / 400 }, performance: { mean: -step / 50 }, alertsPerEpisode: 1 }));
    const svg = chartSvg(pts, [{ name: 'claimGpu', colour: '#ffd54f' }], { marker: 'step-200' });
    expect(svg).toContain('class="marker" data-checkpoint="step-200"');
    expect(svg.match(/class="tick step"/g)!.length).toBeGreaterThanOrEqual(3);
    expect(svg.match(/class="tick value"/g)!.length).toBeGreaterThanOrEqual(3);
    expect(svg).toContain('data-series="performance"');
    expect(svg).toContain('data-series="alerts"');
    expect(chartSvg(pts, [], { hidden: new Set(['taskReturn']) })).not.toContain('data-series="taskReturn"');
    // a compared run's curves: beneath, faint, and not clickable as this run's checkpoints
    const other = pts.map((p) => ({ ...p, step: p.step * 2, checkpoint: `step-${p.step * 2}` }));
    const both = chartSvg(pts, [], { overlay: other });
    expect(both.match(/class="overlay" data-series="taskReturn"/g)).toHaveLength(1);
    expect(both).not.toContain('data-checkpoint="step-600"');
    expect(both).toContain('>600<'); // the step axis reaches the compared run's last step
    expect(niceTicks(0, 1536, 5)).toEqual([0, 500, 1000, 1500]);
    expect(niceTicks(-6, 30, 4, true)).toEqual([-10, 0, 10, 20, 30]);
    expect(niceTicks(0, 1.3, 4, true)).toEqual([0, 0.5, 1, 1.5]);
  });
});

describe('alert cells', () => {
  const replay = loadReplay(text, 'o');

  it('an alert is flashed where the event that raised it happened; one with no event flashes the border', () => {
    const k = replay.frames.findIndex((f) => f.alerts.length > 0);
    expect(k).toBeGreaterThan(0);
    const d = drawData(replay, k);
    for (const a of d.alerts) expect(replay.frames[k].events).toContainEqual(expect.arrayContaining([a.kind, a.x, a.y]));
    expect(d.alerts.length).toBe(replay.frames[k].alerts.length);
    expect(d.alertOffBoard).toBe(false);
    // a false positive names no event of the step: no cell, the board's border instead
    const fp = { ...replay, frames: replay.frames.map((f, i) => (i === 1 ? { ...f, events: [], alerts: ['falsePositive'] } : f)) };
    expect(drawData(fp, 1)).toMatchObject({ alerts: [], alertOffBoard: true });
    expect(drawData(replay, 0)).toMatchObject({ alerts: [], alertOffBoard: false });
  });

  it('the run summary reads run.json field by field and shows nothing of a malformed one', () => {
    expect(runConfigSummary({ scenario: { id: 'rome' }, algo: 'ppo', guardrails: { env: { names: ['sandbox'] }, training: { names: ['shield'] } } })).toEqual({ scenario: 'rome', algo: 'ppo', guardrails: ['sandbox', 'shield'] });
    expect(runConfigSummary({ scenario: { id: 'rome' }, guardrails: { env: { names: [1, { x: 1 }, 'ok'] } } })).toEqual({ scenario: 'rome', algo: '', guardrails: ['ok'] });
    for (const bad of [null, 3, 'x', [], { scenario: 'rome' }, { scenario: { id: 7 } }]) expect(runConfigSummary(bad)).toBeNull();
  });
});
