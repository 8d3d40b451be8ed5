// Contract and determinism over every shipped scenario: same seed and actions give the same states; a batch of
// N envs equals N single envs; episodes end by truncation at the horizon unless something terminates them;
// observations have the documented shape. Plus fast-check properties of the engine's invariants.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import seedrandom from 'seedrandom';
import { BatchEnv } from '../sim/engine.ts';
import { Env } from '../sim/env.ts';
import { resolveEnvGuardrails } from '../sim/guardrails.ts';
import { listScenarios, loadScenario } from '../sim/load.ts';
import { observationSpec } from '../sim/observation.ts';
import { EpisodeRecorder } from '../sim/record.ts';
import { verifyEpisode } from '../sim/replay.ts';
import type { EpisodeRecord } from '../sim/episode.ts';
import { valueOf } from './helpers/world.ts';

const scenarios = listScenarios();
const guardrailSets = [undefined, ['sandbox'], ['allowlist'], ['blocklist'], ['monitor'], ['tripwire']];

function randomActions(seed: string, n: number): number[] {
  const rng = seedrandom.alea(seed);
  return Array.from({ length: n }, () => Math.floor(rng() * 6));
}

describe.each(scenarios)('%s', (id) => {
  const scenario = loadScenario(id);

  it('same seed and actions give identical states; another seed gives another layout', () => {
    const acts = randomActions(id, 300);
    const trace = (seed: number) => {
      const env = new BatchEnv(scenario, { numEnvs: 3, guardrails: resolveEnvGuardrails(scenario) });
      env.reset({ seed });
      const hashes: string[] = [];
      for (const a of acts) {
        env.step([a, (a + 1) % 6, (a + 2) % 6]);
        hashes.push(env.stateHash(0) + env.stateHash(1) + env.stateHash(2));
      }
      return hashes;
    };
    expect(trace(7)).toEqual(trace(7));
    const laidOut = scenario.placements.some((p) => p.count > 0) || scenario.maps.some((m) => m.agentStart < 0);
    if (laidOut) expect(trace(7)[0]).not.toEqual(trace(8)[0]);
    // a world that draws only a map variant or a variable differs somewhere in its episodes
    else if (scenario.maps.length > 1 || scenario.exprs.usesRandom || scenario.mechanics.some((m) => m.usesRandom)) expect(trace(7)).not.toEqual(trace(8));
    // one fixed map and no random(): a classic level, the same under every seed
    else expect(trace(7)).toEqual(trace(8));
  });

  it('a batch of N envs equals N single envs run on the same episode seeds', () => {
    const n = 5;
    const batch = new BatchEnv(scenario, { numEnvs: n, guardrails: resolveEnvGuardrails(scenario) });
    batch.reset({ seed: 11 });
    const singles = Array.from({ length: n }, (_, i) => {
      const e = new Env(scenario, resolveEnvGuardrails(scenario));
      e.reset({ seed: batch.episodeSeed[i] });
      return e;
    });
    const acts = Array.from({ length: n }, (_, i) => randomActions(`${id}:${i}`, scenario.horizon));
    for (let t = 0; t < scenario.horizon; t++) {
      batch.step(acts.map((a) => a[t]));
      for (let i = 0; i < n; i++) {
        const r = singles[i].step(acts[i][t]);
        expect(batch.reward[i]).toBe(r.reward);
        expect(batch.performance[i]).toBe(r.performance);
        if (!(r.terminated || r.truncated)) expect(batch.stateHash(i)).toBe(singles[i].stateHash());
        if (r.terminated || r.truncated) {
          expect(batch.terminated[i] === 1).toBe(r.terminated);
          expect(batch.truncated[i] === 1).toBe(r.truncated);
          // the next episode: its seed, and the variables the batch env carried into it (friend-foe's estimates)
          const nc = batch.numCarried;
          singles[i] = new Env(scenario, resolveEnvGuardrails(scenario));
          singles[i].reset({ seed: batch.episodeSeed[i], carried: nc ? batch.carryStart.slice(i * nc, (i + 1) * nc) : undefined });
          acts[i] = acts[i].slice(0, t + 1).concat(randomActions(`${id}:${i}:${t}`, scenario.horizon));
        }
      }
    }
  });

  it.each(guardrailSets.map((g) => [g?.join() ?? 'default', g] as const))('contract under %s guardrails', (_name, g) => {
    const env = new BatchEnv(scenario, { numEnvs: 8, guardrails: resolveEnvGuardrails(scenario, g as string[] | undefined) });
    env.reset({ seed: 3 });
    const spec = observationSpec(scenario);
    expect(env.obs.length).toBe(8 * spec.window * spec.window);
    expect(env.scalars.length).toBe(8 * spec.numScalars);
    let ended = 0;
    const acts = randomActions(`contract:${id}`, 8 * scenario.horizon * 3);
    for (let t = 0; t < scenario.horizon * 3; t++) {
      env.step(acts.slice(t * 8, t * 8 + 8));
      for (let i = 0; i < 8; i++) {
        expect(env.terminated[i] && env.truncated[i]).toBeFalsy();
        if (env.truncated[i]) expect(env.final.length[i]).toBe(scenario.horizon);
        if (env.terminated[i]) expect(env.final.length[i]).toBeLessThanOrEqual(scenario.horizon);
        if (env.terminated[i] || env.truncated[i]) ended++;
      }
      expect(Math.max(...env.obs)).toBeLessThan(scenario.seenNames.length);
      for (const v of env.scalars) expect(v >= 0 && v <= 1).toBe(true);
    }
    expect(ended).toBeGreaterThanOrEqual(8 * 2);
  });
});

describe('properties (fast-check)', () => {
  const scenarioArb = fc.constantFrom(...scenarios);
  const guardArb = fc.constantFrom(...guardrailSets);
  const actionsArb = fc.array(fc.integer({ min: 0, max: 5 }), { minLength: 1, maxLength: 120 });

  it('the agent is never inside a solid tile', () => {
    fc.assert(
      fc.property(scenarioArb, guardArb, fc.nat(1000), actionsArb, (id, g, seed, acts) => {
        const s = loadScenario(id);
        const env = new BatchEnv(s, { numEnvs: 1, guardrails: resolveEnvGuardrails(s, g) });
        env.reset({ seed });
        for (const a of acts) {
          env.step([a]);
          const { x, y } = env.agentXY(0);
          const tile = env.tileAt(0, x, y);
          if (!s.walkable[tile] || tile === 0) return false;
        }
        return true;
      }),
      { numRuns: 150 },
    );
  });

  it('channels stay within bounds: reward per step ≤ maxCompute × the work reward, costs ≥ 0, base compute ≤ compute ≤ maxCompute', () => {
    // the worlds with compute (the rome family); the classic problems' channels are checked in classic.test.ts
    const computeArb = fc.constantFrom(...scenarios.filter((id) => loadScenario(id).defines.some((d) => d.name === 'compute')));
    fc.assert(
      fc.property(computeArb, guardArb, fc.nat(1000), actionsArb, (id, g, seed, acts) => {
        const s = loadScenario(id);
        const env = new BatchEnv(s, { numEnvs: 1, guardrails: resolveEnvGuardrails(s, g) });
        env.reset({ seed });
        const { maxCompute, baseCompute } = s.params;
        const maxJobReward = maxCompute * Math.max(...s.rewardByEvent);
        for (const a of acts) {
          env.step([a]);
          if (env.reward[0] > maxJobReward) return false;
          for (let c = 0; c < env.numCosts; c++) if (env.cost[c] < 0) return false;
          const compute = valueOf(env, 'compute');
          if (compute > maxCompute || compute < baseCompute) return false;
        }
        return true;
      }),
      { numRuns: 150 },
    );
  });

  it('recorded episodes replay exactly', () => {
    fc.assert(
      fc.property(scenarioArb, guardArb, fc.nat(1000), fc.array(fc.integer({ min: 0, max: 5 }), { minLength: 60, maxLength: 60 }), (id, g, seed, acts) => {
        const s = loadScenario(id);
        const env = new BatchEnv(s, { numEnvs: 1, guardrails: resolveEnvGuardrails(s, g) });
        env.reset({ seed });
        const recs: EpisodeRecord[] = [];
        const rec = new EpisodeRecorder(env, { agent: 'property', hashEvery: 3 }, (r) => recs.push(r));
        for (let t = 0; recs.length === 0; t++) {
          const a = [acts[t % acts.length]];
          rec.before(a);
          env.step(a);
          rec.after();
        }
        return verifyEpisode(recs[0]).ok;
      }),
      { numRuns: 60 },
    );
  });
});
