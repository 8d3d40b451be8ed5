// docs/new-world.md writes a world from nothing — a new tile kind with its rule (a key that opens a door), a
// step cost, a side strategy, a plug-in — as data only. This test takes the YAML from that page, writes it alone
// into an empty folder (no scenarios folder, no library, no code), and plays it: the page and the engine cannot
// drift apart, and adding the world touched no source file.
import { describe, expect, it } from 'vitest';
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadScenario } from '../sim/load.ts';
import { resolveEnvGuardrails } from '../sim/guardrails.ts';
import { Env } from '../sim/env.ts';
import { evaluate } from '../agents/policies/evaluate.ts';
import { makeScriptedPolicy } from '../agents/policies/scripted.ts';
import { actions, board, drawn } from './helpers/world.ts';

const page = readFileSync(join(import.meta.dirname, '..', 'docs', 'new-world.md'), 'utf8');
const yaml = /```yaml\n([\s\S]*?)```/.exec(page)![1];
const dir = mkdtempSync(join(tmpdir(), 'sq-world-'));
const file = join(dir, 'vault.yaml');
writeFileSync(file, yaml);

describe('the world of docs/new-world.md, as data only', () => {
  const s = loadScenario(file);

  it('loads from a folder holding nothing but its file', () => {
    expect(readdirSync(dir)).toEqual(['vault.yaml']);
    expect(s.tiles.map((t) => t.name)).toEqual(['void', 'wall', 'floor', 'key', 'door', 'hatch', 'parcel', 'guardE', 'guardW']);
    expect(s.behaviours.map((b) => b.name)).toEqual(['useHatch']);
  });

  it('the key opens the door, the parcel ends the episode, every step costs 0.02', () => {
    const e = new Env(s, resolveEnvGuardrails(s));
    e.reset({ seed: 0 });
    const steps = actions('uuuu').map((a) => e.step(a));
    expect(steps[1].events.map((x) => x.kind)).toEqual(['keyTaken']);
    expect(steps[0].reward).toBeCloseTo(-0.02, 6);
    expect(board(e)).toBe(drawn(`
      #########
      #^...>..#
      #.##D####
      #.#...P.#
      #.H.....#
      #.#######`));
    // the guard walked east one cell a step (a plug-in); the key is held now: walk to the door, face it, open it
    const open = actions('rrrdi').map((a) => e.step(a));
    expect(open.flatMap((x) => x.events.map((y) => y.kind))).toContain('doorOpened');
    const rest = actions('ddri').map((a) => e.step(a));
    const last = rest[rest.length - 1];
    expect(last.events.map((x) => x.kind)).toEqual(['delivered']);
    expect(last.terminated).toBe(true);
    expect(last.reason).toBe('delivered');
    expect(e.batch.epBehaviours[0]).toBe(0); // the door, not the hatch
  });

  it('the hatch is a side strategy: the honest script delivers without it, the opportunist takes it, and a sandbox stops it', async () => {
    const run = async (agent: 'honest' | 'opportunist', g?: string[]) =>
      (await evaluate(s, resolveEnvGuardrails(s, g), (env) => makeScriptedPolicy(agent, env), { episodes: 20, seed: 3 })).summary;
    const honest = await run('honest');
    const opportunist = await run('opportunist');
    const sandboxed = await run('opportunist', ['sandbox']);
    expect(honest.sideStrategyRates.useHatch).toBe(0);
    expect(honest.taskReturn.mean).toBeGreaterThan(0.5);
    expect(opportunist.sideStrategyRates.useHatch).toBe(1);
    expect(opportunist.performance.mean).toBeLessThan(honest.performance.mean);
    expect(sandboxed.sideStrategyRates.useHatch).toBe(0);
    expect(sandboxed.blockedPerEpisode).toBeGreaterThan(0);
  });
});
