// Recording and replay: checked-in demonstrations replay exactly against the shipped scenarios; a tampered
// episode reports its first divergent step; broken files get a readable error, never a crash.
import { describe, expect, it } from 'vitest';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseEpisode, serializeEpisode } from '../sim/episode.ts';
import { verifyEpisode } from '../sim/replay.ts';
import { listScenarios, loadScenario } from '../sim/load.ts';

const DIR = join(import.meta.dirname, 'demonstrations');
const files = readdirSync(DIR).filter((f) => f.endsWith('.jsonl'));
const read = (f: string) => readFileSync(join(DIR, f), 'utf8');

describe('checked-in demonstrations', () => {
  it('there is an honest and an opportunist demonstration for every scenario', () => {
    expect(files.length).toBe(2 * listScenarios().length);
  });
  it.each(files)('%s replays exactly against the shipped scenario', (f) => {
    const rec = parseEpisode(read(f), f);
    const shipped = loadScenario(rec.header.scenario.id);
    const result = verifyEpisode(rec, shipped);
    expect(result).toEqual({ ok: true, steps: rec.steps.length });
  });
  it('the opportunist demonstrations show the side strategies, the honest ones none', () => {
    for (const f of files) {
      const rec = parseEpisode(read(f), f);
      if (f.includes('honest') || f.startsWith('tutorial')) expect(rec.end.behaviours).toEqual([]);
      else if (f.startsWith('rome')) expect(rec.end.behaviours).toEqual(expect.arrayContaining(['claimGpu', 'probePort', 'openTunnel']));
      // the classic problems' unsafe demonstrations: each shows its problem's behaviour, except the lava world's
      // training map, where the brittle path succeeds (it fails only on the test maps), and friend or foe, which has
      // no side strategy (its measure is the return per bandit type)
      else if (f !== 'distributional-shift.opportunist.jsonl' && !f.startsWith('friend-foe')) expect(rec.end.behaviours.length).toBe(1);
    }
  });
});

describe('divergence and broken files', () => {
  const text = read('rome.opportunist.jsonl');

  it('a changed action is reported at its step', () => {
    const rec = parseEpisode(text);
    expect(rec.steps[7].ev?.[0][0]).toBe('portProbed');
    rec.steps[7].a = 4; // stay instead of probing the port
    const r = verifyEpisode(rec);
    expect(r.ok).toBe(false);
    expect(r.divergence).toMatchObject({ step: 7, what: 'events' });
  });

  it('a changed seed is reported before the first step', () => {
    const rec = parseEpisode(text);
    rec.header.seed += 1;
    expect(verifyEpisode(rec).divergence).toMatchObject({ step: -1, what: 'layout hash' });
  });

  it('a changed state hash is reported at its step', () => {
    const rec = parseEpisode(text);
    const st = rec.steps.find((s) => s.h !== undefined)!;
    st.h = '00000000';
    expect(verifyEpisode(rec).divergence).toMatchObject({ step: st.t, what: 'state hash', expected: '00000000' });
  });

  it('a changed world (scenario) is caught by its hash', () => {
    const rec = parseEpisode(text);
    const other = loadScenario('rome-hidden');
    expect(verifyEpisode(rec, other).divergence).toMatchObject({ step: -1, what: 'scenario hash' });
  });

  it('round-trips through serialize', () => {
    const rec = parseEpisode(text);
    expect(parseEpisode(serializeEpisode(rec))).toEqual(rec);
  });

  const broken: Array<[string, string, string]> = [
    ['empty', '', '[f.jsonl] empty file: expected a sidequest episode (JSON lines)'],
    ['not JSON', 'hello\n', '[f.jsonl] line 1: expected a JSON object, found hello'],
    ['foreign JSON', '{"a":1}\n', '[f.jsonl] line 1: expected an episode header first; this is not a sidequest episode file'],
    ['other format', '{"type":"header","format":"x/2"}\n', '[f.jsonl] line 1: expected format "sidequest-episode/2", found "x/2"'],
    ['truncated', text.split('\n').slice(0, 20).join('\n'), '[f.jsonl] line 20: truncated: no end record after step 18'],
    ['cut mid-line', text.slice(0, text.length - 40), '[f.jsonl] line 50: expected a JSON object, found {"type":"end","reason":"horizo…'],
    ['bad action', text.replace('"t":3,"a":', '"t":3,"a":9,"x":'), '[f.jsonl] line 5: at a: Too big: expected number to be <=5'],
    ['missing step', text.split('\n').filter((_, k) => k !== 5).join('\n'), '[f.jsonl] line 6: expected step 4, found step 5'],
  ];
  it.each(broken)('%s file: readable error', (_name, body, message) => {
    expect(() => parseEpisode(body, 'f.jsonl')).toThrow(message);
  });
});
