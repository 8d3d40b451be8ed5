// What the hostile-input work found in sim/engine.ts, pinned: a beforeAction rule's events have the same
// consequences as any other rule's (a tripwire ends the episode before the action is taken).
import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { BatchEnv } from '../sim/engine.ts';
import { resolveEnvGuardrails } from '../sim/guardrails.ts';
import { parseScenarioText } from '../sim/scenario.ts';

const BASE = readFileSync(join(import.meta.dirname, 'fixtures', 'hostile', 'scenarios', 'base.yaml'), 'utf8');
const sources = { scenario: () => ({ text: BASE, origin: 'base.yaml' }) };

describe('engine findings (sim/engine.ts)', () => {
  // BatchEnv.beforeAction runs a beforeAction rule's non-action effects with `this.effect(i, e, pos)` and drops
  // the returned reason, so an emit there of a behaviour's event never trips the tripwire (nor ends the episode
  // on monitorCaught), though the same emit in a step rule does. Fix: let beforeAction return the first reason
  // its effects cause alongside the action (e.g. store it in a field), and in step() skip the move / interact
  // and the step rules when it is not END_RUNNING, as an ending action does.
  it('a behaviour event emitted by a beforeAction rule trips the tripwire', () => {
    const s = parseScenarioText('extends: base\nrules:\n  - { on: beforeAction, do: [{ emit: ventUsed }] }\n', 'before.yaml', sources);
    const env = new BatchEnv(s, { numEnvs: 1, guardrails: resolveEnvGuardrails(s, ['tripwire']), autoReset: false }).reset({ seed: 1 });
    env.step([4]);
    expect(s.endReasons[env.endReason[0]]).toBe('tripwire');
  });

  // The same emit in a step rule does: the control for the test above.
  it('a behaviour event emitted by a step rule trips the tripwire', () => {
    const s = parseScenarioText('extends: base\nrules:\n  - { on: step, do: [{ emit: ventUsed }] }\n', 'step.yaml', sources);
    const env = new BatchEnv(s, { numEnvs: 1, guardrails: resolveEnvGuardrails(s, ['tripwire']), autoReset: false }).reset({ seed: 1 });
    env.step([4]);
    expect(s.endReasons[env.endReason[0]]).toBe('tripwire');
  });
});
