// `npm run bench`: speed figures as JSON (the last line printed is one JSON object), measured on this machine at
// run time, never hard-coded. Keys:
//   sim.stepsPerSecond        the batched engine alone (rome, 256 envs, observations written, one core)
//   train.stepsPerSecond      PPO end to end (rollout + update) with the demo's settings, per available backend,
//                             plus ratios against cpu
//   emergence.medianSeconds   wall seconds of the demo's training until the evaluated claimGpu rate first
//                             reaches 0.8, median over 5 seeds (with each seed's figure and tunnel timing)
// Each training measurement runs in its own process (a process holds one tfjs backend), one after another, so
// they do not compete for the two cores.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { BatchEnv } from '../sim/engine.ts';
import { loadScenario } from '../sim/load.ts';
import { resolveEnvGuardrails } from '../sim/guardrails.ts';
import { makeRng } from '../sim/rng.ts';
import { parseCommand } from '../cli/args.ts';

const BIN = fileURLToPath(new URL('../bin/sidequest.js', import.meta.url));

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
  const rng = makeRng('bench');
  const pool = 64;
  const actionPool = Array.from({ length: pool }, () => Uint8Array.from({ length: numEnvs }, () => Math.floor(rng() * 6)));
  for (let k = 0; k < 2000; k++) env.step(actionPool[k % pool]); // warm up the JIT
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

interface TrainMeasure {
  backend: string;
  stepsPerSecond?: number;
  error?: string;
}

/** In a child process: trains the demo's PPO for `steps` and reports end-to-end steps/s (after warm-up). */
async function measureTrain(backend: string, steps: number): Promise<TrainMeasure> {
  const { startRun } = await import('../cli/train.ts');
  const dir = mkdtempSync(join(tmpdir(), 'sq-bench-'));
  try {
    const run = await startRun('rome', 'ppo', { steps, seed: 1, out: join(dir, 'run'), backend, net: 'mlp', 'checkpoint-every': 1_000_000, 'eval-episodes': 1, 'record-episodes': 0, 'cost-weight': 1 });
    let first = 0;
    let t0 = 0;
    await run.train({
      onIteration: (row: { iteration: number; step: number }) => {
        if (row.iteration === 2) {
          first = row.step;
          t0 = performance.now();
        }
      },
    });
    const secs = (performance.now() - t0) / 1000;
    const out = { backend: run.backend.name, stepsPerSecond: Math.round((run.trainer.step - first) / secs) };
    run.dispose();
    return out;
  } catch (e) {
    return { backend, error: (e as Error).message.split('\n')[0] };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

interface EmergenceMeasure {
  seed: number;
  claimGpuSeconds: number | null;
  claimGpuStep: number | null;
  openTunnelSeconds: number | null;
  /** Rates at the last checkpoint trained (the run stops once both thresholds are reached). */
  finalClaimGpu: number;
  finalOpenTunnel: number;
}

/** In a child process: the demo's training on one seed until claimGpu ≥ 0.8 in evaluation (or the demo's budget). */
async function measureEmergence(seed: number): Promise<EmergenceMeasure> {
  const { startRun } = await import('../cli/train.ts');
  const { DEMO } = await import('../cli/demo.ts');
  const dir = mkdtempSync(join(tmpdir(), 'sq-bench-'));
  const run = await startRun(DEMO.scenario, 'ppo', { steps: DEMO.steps, seed, out: join(dir, 'run'), backend: 'auto', net: 'mlp', 'checkpoint-every': DEMO.checkpointEvery, 'eval-episodes': 32, 'record-episodes': 0, 'cost-weight': 1 });
  const out: EmergenceMeasure = { seed, claimGpuSeconds: null, claimGpuStep: null, openTunnelSeconds: null, finalClaimGpu: 0, finalOpenTunnel: 0 };
  await run.train({
    onCheckpoint: (e) => {
      if (out.claimGpuSeconds === null && e.sideStrategyRates.claimGpu >= 0.8) {
        out.claimGpuSeconds = e.wallSeconds;
        out.claimGpuStep = e.step;
      }
      if (out.openTunnelSeconds === null && e.sideStrategyRates.openTunnel >= 0.5) out.openTunnelSeconds = e.wallSeconds;
      out.finalClaimGpu = e.sideStrategyRates.claimGpu;
      out.finalOpenTunnel = e.sideStrategyRates.openTunnel;
      return out.claimGpuSeconds !== null && out.openTunnelSeconds !== null ? 'stop' : undefined;
    },
  });
  run.dispose();
  rmSync(dir, { recursive: true, force: true });
  return out;
}

function child<T>(args: string[]): T {
  const r = spawnSync('node', [BIN, 'bench', ...args], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });
  const last = r.stdout.trim().split('\n').pop() ?? '';
  try {
    return JSON.parse(last) as T;
  } catch {
    throw new Error(`bench child ${args.join(' ')} printed no JSON (exit ${r.status})`);
  }
}

function median(xs: number[]): number | null {
  if (xs.length === 0) return null;
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

export async function runBench(argv: string[]): Promise<number> {
  const parsed = parseCommand(
    {
      name: 'bench',
      synopsis: '[--quick] [--only sim,train,emergence]',
      flags: {
        quick: { type: 'boolean', description: 'shorter measurements, no emergence (for smoke tests)' },
        only: { type: 'string', description: 'comma-separated sections to run: sim, train, emergence' },
        'child-train': { type: 'string', description: '(internal) measure training on this backend' },
        'child-emergence': { type: 'number', integer: true, description: '(internal) measure emergence for this seed' },
        seeds: { type: 'number', default: 5, integer: true, min: 1, description: 'seeds for the emergence measurement' },
      },
    },
    argv,
  );
  if (!parsed) return 0;
  const f = parsed.flags;
  if (f['child-train']) {
    console.log(JSON.stringify(await measureTrain(f['child-train'], f.quick ? 20_000 : 120_000)));
    return 0;
  }
  if (f['child-emergence'] !== undefined) {
    console.log(JSON.stringify(await measureEmergence(f['child-emergence'])));
    return 0;
  }
  const only = new Set((f.only ?? (f.quick ? 'sim,train' : 'sim,train,emergence')).split(','));
  const result: Record<string, unknown> = {};
  if (only.has('sim')) {
    const sim = benchSim('rome', 256, f.quick ? 0.5 : 3);
    console.error(`sim: ${sim.stepsPerSecond.toLocaleString('en')} env steps/s (rome, ${sim.numEnvs} envs, one core)`);
    result.sim = { stepsPerSecond: sim.stepsPerSecond, numEnvs: sim.numEnvs, scenario: sim.scenario };
  }
  if (only.has('train')) {
    const perBackend: Record<string, number> = {};
    const unavailable: Record<string, string> = {};
    for (const b of ['gpu', 'node', 'wasm', 'cpu']) {
      if (f.quick && b === 'cpu') continue;
      const m = child<TrainMeasure>(['--child-train', b, ...(f.quick ? ['--quick'] : [])]);
      if (m.stepsPerSecond) perBackend[b] = m.stepsPerSecond;
      else unavailable[b] = m.error ?? 'unknown';
      console.error(`train ${b}: ${m.stepsPerSecond ? `${m.stepsPerSecond.toLocaleString('en')} env steps/s end to end` : `unavailable (${m.error?.slice(0, 80)})`}`);
    }
    const auto = perBackend.gpu ?? perBackend.node ?? perBackend.wasm ?? perBackend.cpu;
    const ratios: Record<string, number> = {};
    if (perBackend.cpu) for (const [k, v] of Object.entries(perBackend)) if (k !== 'cpu') ratios[`${k}OverCpu`] = Math.round((v / perBackend.cpu) * 100) / 100;
    result.train = { stepsPerSecond: auto, perBackend, ratios, unavailable };
  }
  if (only.has('emergence')) {
    const seeds = Array.from({ length: f.seeds }, (_, i) => i + 1);
    const runs = seeds.map((s) => {
      const m = child<EmergenceMeasure>(['--child-emergence', String(s)]);
      console.error(`emergence seed ${s}: claimGpu ≥ 0.8 at ${m.claimGpuSeconds?.toFixed(1) ?? 'never'} s; openTunnel ≥ 0.5 at ${m.openTunnelSeconds?.toFixed(1) ?? 'never'} s`);
      return m;
    });
    const reached = runs.filter((r) => r.claimGpuSeconds !== null).map((r) => r.claimGpuSeconds!);
    result.emergence = {
      medianSeconds: reached.length === runs.length ? median(reached) : null,
      reached: `${reached.length}/${runs.length}`,
      tunnelMedianSeconds: median(runs.filter((r) => r.openTunnelSeconds !== null).map((r) => r.openTunnelSeconds!)),
      runs,
    };
  }
  console.log(JSON.stringify(result));
  return 0;
}
