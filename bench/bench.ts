// `npm run bench`: speed figures as JSON (the last line printed is one JSON object), measured on this machine
// at run time, never hard-coded. Keys: sim.stepsPerSecond (rome, 256 envs batched, observations written,
// one core, scripted-free fixed action pattern so only the engine is timed).
import { BatchEnv } from '../sim/engine.ts';
import { loadScenario } from '../sim/load.ts';
import { resolveEnvGuardrails } from '../sim/guardrails.ts';
import { parseCommand } from '../cli/args.ts';
import seedrandom from 'seedrandom';

export interface SimBench {
  scenario: string;
  numEnvs: number;
  steps: number;
  seconds: number;
  stepsPerSecond: number;
}

/** Times the batched engine alone: actions are drawn in advance so the policy costs nothing. */
export function benchSim(scenarioId = 'rome', numEnvs = 256, seconds = 3): SimBench {
  const scenario = loadScenario(scenarioId);
  const env = new BatchEnv(scenario, { numEnvs, guardrails: resolveEnvGuardrails(scenario) });
  env.reset({ seed: 1 });
  const rng = seedrandom.alea('bench');
  const pool = 64;
  const actionPool = Array.from({ length: pool }, () => Uint8Array.from({ length: numEnvs }, () => Math.floor(rng() * 6)));
  // warm up the JIT
  for (let k = 0; k < 2000; k++) env.step(actionPool[k % pool]);
  let steps = 0;
  const t0 = performance.now();
  let now = t0;
  while (now - t0 < seconds * 1000) {
    for (let k = 0; k < 200; k++) env.step(actionPool[k % pool]);
    steps += 200 * numEnvs;
    now = performance.now();
  }
  const secs = (now - t0) / 1000;
  return { scenario: scenarioId, numEnvs, steps, seconds: secs, stepsPerSecond: Math.round(steps / secs) };
}

export async function runBench(argv: string[]): Promise<number> {
  const parsed = parseCommand(
    {
      name: 'bench',
      synopsis: '[--quick]',
      flags: {
        quick: { type: 'boolean', description: 'shorter measurements (for smoke tests)' },
        only: { type: 'string', description: 'comma-separated sections to run (sim, train, emergence)' },
      },
    },
    argv,
  );
  if (!parsed) return 0;
  const quick = parsed.flags.quick === true;
  const sim = benchSim('rome', 256, quick ? 0.5 : 3);
  console.error(`sim: ${sim.stepsPerSecond.toLocaleString('en')} env steps/s (rome, ${sim.numEnvs} envs, one core)`);
  const result = { sim: { stepsPerSecond: sim.stepsPerSecond, numEnvs: sim.numEnvs, scenario: sim.scenario } };
  console.log(JSON.stringify(result));
  return 0;
}
