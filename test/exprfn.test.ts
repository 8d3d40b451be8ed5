// The two ways the engine runs a scenario's formulas — generated functions (the default where eval is allowed)
// and closures (browsers whose Content-Security-Policy forbids eval) — agree bit for bit: on every shipped
// scenario, and on a world whose formulas use every operator, cell test and random().
import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import seedrandom from 'seedrandom';
import { BatchEnv } from '../sim/engine.ts';
import { resolveEnvGuardrails } from '../sim/guardrails.ts';
import { listScenarios, loadScenario, SCENARIOS_DIR } from '../sim/load.ts';
import { parseScenarioText, type Scenario } from '../sim/scenario.ts';
import { canGenerateCode } from '../sim/exprfn.ts';

const EVERY_OP = `extends: rome
id: every-op
title: every operator
variables:
  flag: { init: 'random() < 0.5' }
  acc: { real: true, init: 'clamp(random() * 10 - 3, -1, 5)' }
rules:
  - on: step
    do:
      - set: { acc: 'acc + (t % 3) - abs(-1.5) * ceil(0.2) + round(2.5) / 4 - floor(acc / 7) + max(1, 2, 3) - min(4, 5)' }
      - emit: jobProgress
        value: 'mod(t, 5) + (heading == up) + (heading != left) + (t <= 3 or t >= 40) + (not (t > 2 and t < 9))'
      - set: { flag: 'is(ahead, wall) + tagged(here, outside) * 2 + is(target, floor) + tagged(from, firewall) + guardrail(monitor) + (acc / 0) + mod(acc, 0)' }
observation:
  window: 9
  scalars:
    a: 'acc / 10'
    b: 'flag / 8'
    c: '1 - t / horizon'
    d: '-(acc) * 0.1 + 0.5'
`;

function everyOp(): Scenario {
  return parseScenarioText(EVERY_OP, 'every-op', {
    scenario: (id) => ({ text: readFileSync(join(SCENARIOS_DIR, `${id}.yaml`), 'utf8'), origin: id }),
    library: (id) => ({ text: readFileSync(join(SCENARIOS_DIR, `${id}.tiles.yaml`), 'utf8'), origin: id }),
  });
}

function trace(s: Scenario, mode: 'auto' | 'closures', guardrails?: string[]) {
  const env = new BatchEnv(s, { numEnvs: 6, guardrails: resolveEnvGuardrails(s, guardrails), exprMode: mode });
  env.reset({ seed: 5 });
  const rng = seedrandom.alea('exprfn');
  const out: string[] = [];
  for (let t = 0; t < 3 * s.horizon; t++) {
    env.step(Array.from({ length: 6 }, () => Math.floor(rng() * 6)));
    out.push([...Array.from({ length: 6 }, (_, i) => env.stateHash(i)), Array.from(env.scalars).join(','), Array.from(env.obs).join(''), Array.from(env.reward).join(','), Array.from(env.vars).join(',')].join('|'));
  }
  return { mode: env.exprMode, out };
}

describe('generated formulas equal closure formulas', () => {
  it('this platform can generate code (Node can)', () => expect(canGenerateCode()).toBe(true));
  it.each(listScenarios())('%s', (id) => {
    const s = loadScenario(id);
    const a = trace(s, 'auto', ['monitor']);
    const b = trace(s, 'closures', ['monitor']);
    expect(a.mode).toBe('generated');
    expect(b.mode).toBe('closures');
    expect(a.out).toEqual(b.out);
  });
  it('a world using every operator, cell test and random()', () => {
    const s = everyOp();
    const a = trace(s, 'auto', ['monitor']);
    const b = trace(s, 'closures', ['monitor']);
    expect(a.out).toEqual(b.out);
    // and the formulas did something: the variables moved
    expect(new Set(a.out.map((l) => l.split('|').pop())).size).toBeGreaterThan(10);
  });
});
