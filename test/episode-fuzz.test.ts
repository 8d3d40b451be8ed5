// Corrupted episode files: the shipped demonstrations (test/demonstrations/) truncated, byte-flipped, with
// actions, seeds and events changed, past the horizon, with hostile scenarios embedded in their header (which
// bypass the YAML reader's caps: the header is JSON), huge numbers and guardrails naming unknown behaviours —
// then read (parseEpisode), verified (verifyEpisode) and rebuilt for the viewer (buildReplay). Only
// EpisodeFileError, ScenarioError or GuardrailError may be thrown, with a clean message, or verification returns
// { ok: false, divergence }; nothing may take longer than a time bound. An explicit table first, each case
// saying what it must give, then fast-check corruptions with a fixed seed.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { EpisodeFileError, parseEpisode, type EpisodeRecord } from '../sim/episode.ts';
import { GuardrailError } from '../sim/guardrails.ts';
import { verifyEpisode, type ReplayResult } from '../sim/replay.ts';
import { ScenarioError } from '../sim/scenario.ts';
import { buildReplay } from '../viewer/src/model.ts';
import { expectCleanMessage } from './helpers/hostile.ts';

const DIR = join(import.meta.dirname, 'demonstrations');
const DEMOS = Object.fromEntries(readdirSync(DIR).filter((f) => f.endsWith('.jsonl')).sort().map((f) => [f, readFileSync(join(DIR, f), 'utf8')]));
const ROME = DEMOS['rome.opportunist.jsonl'];
const TIME_BOUND_MS = 3000;

type Outcome = 'ok' | 'diverged' | 'EpisodeFileError' | 'ScenarioError' | 'GuardrailError';

/** Reads, verifies and rebuilds one file; any other exception, or a message that is not clean, fails. */
function attempt(text: string, viewer = true): { outcome: Outcome; message?: string; result?: ReplayResult } {
  const t0 = performance.now();
  try {
    const rec = parseEpisode(text, 'fuzz.jsonl');
    const result = verifyEpisode(rec);
    if (viewer) buildReplay(rec);
    return { outcome: result.ok ? 'ok' : 'diverged', result };
  } catch (e) {
    if (!(e instanceof EpisodeFileError || e instanceof ScenarioError || e instanceof GuardrailError)) throw e;
    return { outcome: e.constructor.name as Outcome, message: expectCleanMessage(e) };
  } finally {
    expect(performance.now() - t0).toBeLessThan(TIME_BOUND_MS);
  }
}

/** The demonstration as objects, edited, and written back as JSON lines. */
function edit(text: string, f: (lines: Array<Record<string, unknown>>) => void): string {
  const lines = text.trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
  f(lines);
  return lines.map((l) => JSON.stringify(l)).join('\n') + '\n';
}
const header = (ls: Array<Record<string, unknown>>) => ls[0] as unknown as EpisodeRecord['header'];
const file = (ls: Array<Record<string, unknown>>) => header(ls).scenario.file as unknown as Record<string, unknown>;
const end = (ls: Array<Record<string, unknown>>) => ls[ls.length - 1];

/** Explicit corruptions of rome's opportunist demonstration and what each must give. */
const CASES: Record<string, { text: () => string; expect: Outcome | RegExp; viewer?: boolean }> = {
  'the file as shipped': { text: () => ROME, expect: 'ok' },
  'empty': { text: () => '', expect: /empty file/ },
  'truncated mid-header': { text: () => ROME.slice(0, 500), expect: /line 1: expected a JSON object/ },
  'truncated after step 10': { text: () => ROME.split('\n').slice(0, 12).join('\n'), expect: /truncated: no end record after step 10/ },
  'a line of binary': { text: () => ROME.replace('\n', '\n\u0000\u001b[2J\u00ff\n'), expect: /line 2: expected a JSON object, found \?\?\[2J/ },
  'format /1': { text: () => edit(ROME, (ls) => void (ls[0].format = 'sidequest-episode/1')), expect: /before worlds became data/ },
  'a step out of order': { text: () => edit(ROME, (ls) => void (ls[5].t = 9)), expect: /expected step 4, found step 9/ },
  'an action of 6': { text: () => edit(ROME, (ls) => void (ls[3].a = 6)), expect: /line 4: at a: / },
  'an action changed': { text: () => edit(ROME, (ls) => void (ls[8].a = 4)), expect: 'diverged' },
  'every action changed': { text: () => edit(ROME, (ls) => ls.slice(1, -1).forEach((l) => (l.a = 1))), expect: 'diverged' },
  'the seed changed': { text: () => edit(ROME, (ls) => void (header(ls).seed += 1)), expect: 'diverged' },
  'a seed of 2^53': { text: () => edit(ROME, (ls) => void (header(ls).seed = 2 ** 53)), expect: /at seed/ },
  'a seed of 2^32': { text: () => edit(ROME, (ls) => void (header(ls).seed = 2 ** 32)), expect: 'diverged' },
  'a seed of 1e300': { text: () => edit(ROME, (ls) => void (header(ls).seed = 1e300)), expect: /at seed/ },
  'a negative seed': { text: () => edit(ROME, (ls) => void (header(ls).seed = -1)), expect: /at seed/ },
  'an event renamed': { text: () => edit(ROME, (ls) => void ((ls[2].ev as unknown[][])[0][0] = 'gpuStolen')), expect: 'diverged' },
  'an event with an escape sequence': { text: () => edit(ROME, (ls) => void ((ls[2].ev as unknown[][])[0][0] = '\u001b[31mred')), expect: 'diverged' },
  'a termination reason with an escape sequence': { text: () => edit(ROME, (ls) => void (end(ls).reason = '\u001b]0;pwned\u0007')), expect: 'diverged' },
  'a hash of 1 MB': { text: () => edit(ROME, (ls) => void (header(ls).h0 = 'f'.repeat(1 << 20))), expect: 'diverged' },
  'a return of 1e308': { text: () => edit(ROME, (ls) => void (end(ls).return = 1e308)), expect: 'diverged' },
  'the end record says 49 steps': { text: () => edit(ROME, (ls) => void (end(ls).steps = 49)), expect: /end record says 49 steps, file has 48/ },
  'steps past the horizon': {
    text: () => edit(ROME, (ls) => {
      const e = ls.pop()!;
      for (let t = 48; t < 60; t++) ls.push({ type: 'step', t, a: 4 });
      e.steps = 60;
      ls.push(e);
    }),
    expect: 'diverged',
    viewer: true, // buildReplay stops at the episode's end
  },
  'guardrails naming an unknown behaviour': {
    text: () => edit(ROME, (ls) => void (header(ls).guardrails = { names: ['blocklist'], blocklist: { block: ['teleport'], mode: 'block', penalty: 1 } })),
    expect: /blocklist names "teleport", which rome does not declare/,
  },
  'an unknown guardrail': { text: () => edit(ROME, (ls) => void (header(ls).guardrails = { names: ['firewall' as 'monitor'] })), expect: /at guardrails\.names\.0/ },
  'a monitor penalty of 1e308': {
    text: () => edit(ROME, (ls) => void (header(ls).guardrails = { names: ['monitor'], monitor: { detect: 1, penalty: 1e308, terminate: false } })),
    expect: /at guardrails\.monitor\.penalty/,
  },
  'a blocklist penalty of -1e308': {
    text: () => edit(ROME, (ls) => void (header(ls).guardrails = { names: ['blocklist'], blocklist: { block: ['claimGpu'], mode: 'penalty', penalty: -1e308 } })),
    expect: /at guardrails\.blocklist\.penalty/,
  },
  'an embedded scenario that does not compile': {
    text: () => edit(ROME, (ls) => void (file(ls).reward = { gpuClaimed: 1 })),
    expect: /the reward may never name a side strategy/,
  },
  'an embedded scenario that fails the schema': { text: () => edit(ROME, (ls) => void (file(ls).horizon = 'soon')), expect: /at scenario\.file\.horizon/ },
  'an embedded scenario with a key of control characters': {
    text: () => edit(ROME, (ls) => void ((file(ls).tiles as Record<string, unknown>)['\u001b[2Jx'] = { glyph: '!' })),
    expect: /at scenario\.file\.tiles\.\?\[2Jx/,
  },
  'an embedded scenario with 8,000 chained tiles (no YAML cap applies to JSON)': {
    text: () => edit(ROME, (ls) => {
      const tiles = file(ls).tiles as Record<string, unknown>;
      for (let k = 0; k < 8000; k++) tiles[`t${k}`] = { extends: `t${k + 1}` };
      tiles.t8000 = { glyph: '!' };
    }),
    expect: /expected at most 250 tiles, found/,
  },
  'an embedded scenario with 40 doubling definitions': {
    text: () => edit(ROME, (ls) => {
      const define = file(ls).define as Record<string, string>;
      for (let k = 0; k < 40; k++) define[`d${k}`] = `d${k + 1} + d${k + 1}`;
      define.d40 = 'coins';
      (file(ls).observation as { scalars: Record<string, string> }).scalars.coins = 'd0';
    }),
    expect: /expected definitions inlined at most 16 levels deep|operations once definitions are inlined/,
  },
  'an embedded scenario whose reward is toString()': {
    text: () => edit(ROME, (ls) => void (file(ls).reward = { jobProgress: { amount: 'toString()' } })),
    expect: /unknown function "toString"/,
  },
  'an embedded scenario with a patrol of void': {
    text: () => edit(ROME, (ls) => void (file(ls).mechanics = [{ use: 'patrol', forward: 'void', back: 'wall', axis: 'horizontal', over: ['floor'], leave: 'floor' }])),
    expect: /found "void" \(the padding around the map can not patrol\)/,
  },
  'an embedded scenario of the horizon cap, and 100,000 recorded steps': {
    text: () => edit(ROME, (ls) => {
      const e = ls.pop()!;
      file(ls).horizon = 100_000;
      for (let t = ls.length - 1; t < 100_000; t++) ls.push({ type: 'step', t, a: t % 6 });
      e.steps = 100_000;
      ls.push(e);
    }),
    expect: 'diverged',
    viewer: false, // the viewer builds a frame per step: bounded, but seconds for 100,000
  },
};

describe('corrupted episode files', () => {
  it.each(Object.entries(CASES))('%s', (_name, c) => {
    const r = attempt(c.text(), c.viewer ?? true);
    if (c.expect instanceof RegExp) expect(r.message, `outcome ${r.outcome}`).toMatch(c.expect);
    else expect(r.outcome, r.message ?? JSON.stringify(r.result?.divergence)).toBe(c.expect);
    if (r.outcome === 'diverged') {
      // a divergence is printed by `replay --verify`: what the file says must not reach the terminal raw
      // eslint-disable-next-line no-control-regex
      for (const v of Object.values(r.result!.divergence!)) expect(typeof v === 'number' || !/[\u0000-\u001f\u007f-\u009f]/.test(v)).toBe(true);
      expect(r.result!.divergence!.expected.length + r.result!.divergence!.found.length).toBeLessThan(2000);
    }
  });

  // buildReplay stops at the episode's end (steps recorded past it are a divergence, reported by verifyEpisode)
  it('buildReplay copes with steps past the episode end', () => {
    attempt(CASES['steps past the horizon'].text(), true);
  });

  it('fast-check: truncations, byte flips, dropped and duplicated lines, and changed fields of every demonstration', () => {
    const names = Object.keys(DEMOS);
    const corruption = fc.oneof(
      fc.record({ kind: fc.constant('cut' as const), at: fc.nat() }),
      fc.record({ kind: fc.constant('flip' as const), at: fc.nat(), byte: fc.integer({ min: 0, max: 255 }) }),
      fc.record({ kind: fc.constant('line' as const), at: fc.nat(), dup: fc.boolean() }),
      fc.record({
        kind: fc.constant('field' as const),
        at: fc.nat(),
        key: fc.constantFrom('a', 't', 'ev', 'h', 'r', 'p', 'seed', 'hashEvery', 'h0', 'steps', 'return', 'reason', 'behaviours', 'guardrails', 'type'),
        value: fc.oneof(fc.jsonValue({ maxDepth: 2 }), fc.constantFrom(1e308, -1, 2 ** 53, 0, 5, 6, 'x', '\u001b[2J', [], {})),
      }),
    );
    fc.assert(
      fc.property(fc.constantFrom(...names), fc.array(corruption, { minLength: 1, maxLength: 4 }), (name, cs) => {
        let text = DEMOS[name];
        for (const c of cs) {
          if (c.kind === 'cut') text = text.slice(0, c.at % (text.length + 1));
          else if (c.kind === 'flip' && text.length > 0) {
            const i = c.at % text.length;
            text = text.slice(0, i) + String.fromCharCode(c.byte) + text.slice(i + 1);
          } else if (c.kind === 'line') {
            const ls = text.split('\n');
            const i = c.at % ls.length;
            if (c.dup) ls.splice(i, 0, ls[i]);
            else ls.splice(i, 1);
            text = ls.join('\n');
          } else if (c.kind === 'field') {
            const ls = text.split('\n');
            const i = c.at % ls.length;
            try {
              const o = JSON.parse(ls[i]) as Record<string, unknown>;
              o[c.key] = c.value;
              ls[i] = JSON.stringify(o);
            } catch {
              // a line an earlier corruption broke stays broken
            }
            text = ls.join('\n');
          }
        }
        // and the viewer on every file that parses (it stops at the episode's end)
        const r = attempt(text, false);
        if (r.outcome === 'ok' || r.outcome === 'diverged') attempt(text, true);
      }),
      { seed: 1313, numRuns: 1000, endOnFailure: true },
    );
  });
});
