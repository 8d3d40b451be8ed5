// `npm run bench`: speed figures as JSON (the last line printed is one JSON object), measured on this machine at
// run time, never hard-coded. Keys:
//   sim.stepsPerSecond        the batched engine alone on policy-like actions (rome, 256 envs, observations
//                             written, one core): the opportunist script's actions, recorded beforehand and
//                             replayed, so ~2 events fire per step as in training; sim.randomActions the same
//                             on uniform random actions (which fire almost none); sim.eventsPerStep; and
//                             sim.large, the same on a 24×24 world with 16 racks and 22 ports
//   train.stepsPerSecond      PPO end to end (rollout + update) with the demo's settings, per available backend,
//                             plus ratios against cpu
//   train.ofEngine           train.stepsPerSecond as a fraction of sim.stepsPerSecond (how much the network costs)
//   train.recordingOverhead  steps/s with training-episode recording over steps/s without (same process, 8 runs
//                             alternated off/on/on/off…, all runs and each arm's fastest), the recorder's own share
//                             of the wall time, and the disk it takes per million steps
//   profile                   where a PPO iteration's time goes (wasm, the demo's settings, rome): the rollout
//                             (policy inference, featurisation, engine steps) and the update (tfjs kernels by
//                             time), and the first layer's weight gradient as tfjs computes it (a transposed
//                             product) against the feature-major product training uses, measured alternately
//   emergence.medianSeconds   wall seconds of the demo's training until the evaluated claimGpu rate first
//                             reaches 0.8, median over 5 seeds (with each seed's figure and tunnel timing)
//   browser.wasm, .webgl      PPO in the viewer's train page (viewer/train.html, a Web Worker) in headless
//                             Chromium (Debian's /usr/bin/chromium; skipped with the reason when absent), rome with
//                             the demo's settings for a few iterations: the page's own steps/s after its first
//                             iteration. WebGL here is SwiftShader (a CPU emulation), so that figure is a floor.
//                             browser.emergence (full runs only): wall seconds in the page, default backend, until
//                             the claimGpu rate of the training episodes first reaches 0.8 (the demo's 1M budget)
// Each training measurement runs in its own process (a process holds one tfjs backend), one after another, so
// they do not compete for the two cores.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { BatchEnv } from '../sim/engine.ts';
import { loadScenario, readBounded, SCENARIOS_DIR } from '../sim/load.ts';
import { parseScenarioText, type Scenario } from '../sim/scenario.ts';
import { makeScriptedPolicy } from '../agents/policies/scripted.ts';
import { resolveEnvGuardrails } from '../sim/guardrails.ts';
import type { BackendRequest } from '../agents/learning/backend.ts';
import type { Tensor } from '@tensorflow/tfjs';
import { makeRng } from '../sim/rng.ts';
import { parseCommand } from '../cli/args.ts';

const BIN = fileURLToPath(new URL('../bin/sidequest.js', import.meta.url));

export interface SimBench {
  scenario: string;
  numEnvs: number;
  actions: 'policy' | 'random';
  steps: number;
  seconds: number;
  stepsPerSecond: number;
  eventsPerStep: number;
}

/**
 * Times the batched engine alone: the actions are made in advance so the policy costs nothing. `policy` records
 * the opportunist script's actions over `recordSteps` steps (from the same seed) and replays them, so the replay
 * walks exactly the recorded trajectory; `random` draws uniform actions.
 */
export function benchSim(scenario: Scenario | string = 'rome', opts: { numEnvs?: number; seconds?: number; actions?: 'policy' | 'random' } = {}): SimBench {
  const s = typeof scenario === 'string' ? loadScenario(scenario) : scenario;
  const numEnvs = opts.numEnvs ?? 256;
  const kind = opts.actions ?? 'policy';
  const recordSteps = 2 * s.horizon * 8;
  const make = () => new BatchEnv(s, { numEnvs, guardrails: resolveEnvGuardrails(s) }).reset({ seed: 1 });
  const script: Uint8Array[] = [];
  if (kind === 'policy') {
    const env = make();
    const policy = makeScriptedPolicy('opportunist', env);
    for (let k = 0; k < recordSteps; k++) {
      const a = new Uint8Array(numEnvs);
      void policy.act(env, a);
      script.push(a);
      env.step(a);
    }
  } else {
    const rng = makeRng('bench');
    for (let k = 0; k < recordSteps; k++) script.push(Uint8Array.from({ length: numEnvs }, () => Math.floor(rng() * 6)));
  }
  // warm up the JIT on one pass, then time whole passes (each from a fresh reset, which is not timed)
  let env = make();
  for (const a of script) env.step(a);
  let steps = 0;
  let events = 0;
  let elapsed = 0;
  while (elapsed < (opts.seconds ?? 3) * 1000) {
    env = make();
    const t0 = performance.now();
    for (const a of script) {
      env.step(a);
      events += env.events.count;
    }
    elapsed += performance.now() - t0;
    steps += script.length * numEnvs;
  }
  const secs = elapsed / 1000;
  return { scenario: s.id, numEnvs, actions: kind, steps, seconds: secs, stepsPerSecond: Math.round(steps / secs), eventsPerStep: Math.round((events / steps) * 100) / 100 };
}

/** A larger world for the engine bench: rome's rules on a 24×24 room with 16 racks and 22 ports along the walls. */
export function largeScenario(): Scenario {
  const w = 24;
  const rows: string[] = [];
  for (let y = 0; y < w; y++) {
    let row = '';
    for (let x = 0; x < w; x++) {
      const edge = y === 0 || y === w - 1;
      if (x === w - 1) row += 'F';
      else if (x === w - 2) row += edge ? '#' : 'p';
      else if (x === 0) row += edge ? '#' : 't';
      else if (edge) row += 'g';
      else row += x < w / 2 && y > 4 && y < w - 5 ? 'a' : '.';
    }
    rows.push(row);
  }
  const text = [
    'extends: rome', 'id: bench-large', 'title: bench', 'map: |', ...rows.map((r) => `  ${r}`),
    'place:', '  gpu: { tile: gpuFree, count: 16 }', '  port: { tile: portClosed, count: 22 }', 'observation: { window: 9 }',
  ].join('\n');
  return parseScenarioText(text, 'bench-large', {
    scenario: (id) => readBounded(join(SCENARIOS_DIR, `${id}.yaml`)),
    library: (id) => readBounded(join(SCENARIOS_DIR, `${id}.tiles.yaml`)),
  });
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
    const run = await startRun({ scenario: 'rome', algo: 'ppo', steps, seed: 1, out: join(dir, 'run'), backend: backend as BackendRequest, net: 'mlp', checkpointEvery: 1_000_000, evalEpisodes: 1, recordEpisodes: 0, costWeight: 1 });
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

interface RecordingMeasure {
  backend: string;
  /** steps/s with recording ÷ steps/s without, over all runs of each arm (1 = free; 0.95 = 5% slower). */
  ratio: number;
  /** The same from each arm's fastest run (the one other jobs on a shared machine disturbed least). */
  ratioBest: number;
  stepsPerSecondOff: number;
  stepsPerSecondOn: number;
  /** Seconds inside the recorder (per-step hook, segment encoding, writing, fsync, pruning) ÷ training wall seconds, in the recording runs. */
  recorderShare: number;
  bytesPerMillionSteps: number;
  steps: number;
  /** Each run's steps/s in order, so the spread a shared machine adds is visible beside the ratio. */
  perRun?: Array<{ record: boolean; stepsPerSecond: number }>;
  error?: string;
}

/**
 * In a child process: the demo's PPO with and without training-episode recording, alternated (off, on, on, off, twice)
 * so drift in a shared machine's load falls on both; checkpoints every 10 iterations as in the demo, so segment
 * writing is included. Also times the recorder itself by wrapping its hook and the checkpoint's segment write.
 */
async function measureRecording(backend: string, steps: number): Promise<RecordingMeasure> {
  const { startRun } = await import('../cli/train.ts');
  const { listSegments } = await import('../agents/runs/training-episodes.ts');
  const { statSync } = await import('node:fs');
  const dir = mkdtempSync(join(tmpdir(), 'sq-bench-'));
  const rate = { off: [0, 0], on: [0, 0] }; // [steps, seconds] after warm-up
  let recorderSeconds = 0;
  let wallOn = 0;
  let bytes = 0;
  let recordedSteps = 0;
  let name = backend;
  const perRun: Array<{ record: boolean; stepsPerSecond: number }> = [];
  try {
    for (const [k, record] of [false, true, true, false, false, true, true, false].entries()) {
      const out = join(dir, `run${k}`);
      const run = await startRun({
        scenario: 'rome', algo: 'ppo', steps, seed: 1, out, backend: backend as BackendRequest, net: 'mlp', checkpointEvery: 10, evalEpisodes: 1,
        recordEpisodes: 0, costWeight: 1, trainingEpisodes: { record },
      });
      name = run.backend.name;
      const rec = run.recorder;
      if (rec) {
        const hook = rec.afterStep.bind(rec);
        rec.afterStep = (env, actions, tick) => {
          const t = performance.now();
          hook(env, actions, tick);
          recorderSeconds += (performance.now() - t) / 1000;
        };
      }
      let first = 0;
      let t0 = 0;
      const tStart = performance.now();
      await run.train({
        onIteration: (row: { iteration: number; step: number }) => {
          if (row.iteration === 2) {
            first = row.step;
            t0 = performance.now();
          }
        },
      });
      const arm = record ? rate.on : rate.off;
      const secs = (performance.now() - t0) / 1000;
      arm[0] += run.trainer.step - first;
      arm[1] += secs;
      perRun.push({ record, stepsPerSecond: Math.round((run.trainer.step - first) / secs) });
      console.error(`recording ${record ? 'on ' : 'off'}: ${perRun[perRun.length - 1].stepsPerSecond.toLocaleString('en')} steps/s`);
      if (record) {
        recorderSeconds += run.recordingSeconds;
        wallOn += (performance.now() - tStart) / 1000;
        const segs = listSegments(out);
        bytes += segs.reduce((a, sg) => a + statSync(sg.path).size, 0);
        recordedSteps += segs.length ? segs[segs.length - 1].toStep : 0;
      }
      run.dispose();
    }
    const off = rate.off[0] / rate.off[1];
    const on = rate.on[0] / rate.on[1];
    const best = (record: boolean) => Math.max(...perRun.filter((r) => r.record === record).map((r) => r.stepsPerSecond));
    return {
      backend: name, ratio: Math.round((on / off) * 1000) / 1000, ratioBest: Math.round((best(true) / best(false)) * 1000) / 1000, stepsPerSecondOff: Math.round(off), stepsPerSecondOn: Math.round(on),
      recorderShare: Math.round((recorderSeconds / wallOn) * 10000) / 10000, bytesPerMillionSteps: Math.round((bytes / recordedSteps) * 1e6), steps, perRun,
    };
  } catch (e) {
    return { backend, ratio: 0, ratioBest: 0, stepsPerSecondOff: 0, stepsPerSecondOn: 0, recorderShare: 0, bytesPerMillionSteps: 0, steps, error: (e as Error).message.split('\n')[0] };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

interface ProfileMeasure {
  backend: string;
  iterationMs: number;
  rolloutMs: number;
  updateMs: number;
  /** Summed over one rollout's 64 steps. */
  rollout: { policyInferenceMs: number; featurizeMs: number; engineStepMs: number };
  /** One PPO update's tfjs kernels, by total time (top 6). */
  updateKernels: Array<{ kernel: string; count: number; ms: number }>;
  firstLayerWeightGrad: { tfjsTransposedMs: number; featureMajorMs: number; speedup: number };
}

/** In a child process: one PPO iteration taken apart (see the header). */
async function measureProfile(): Promise<ProfileMeasure> {
  const tf = await import('@tensorflow/tfjs');
  const { selectBackend } = await import('../agents/learning/backend.ts');
  const { Trainer } = await import('../agents/learning/trainer.ts');
  const { resolveArgs } = await import('../agents/learning/options.ts');
  const { collectRollout, policyStep } = await import('../agents/learning/rollout.ts');
  const { ppoUpdate } = await import('../agents/learning/ppo.ts');
  const { featurize, featurizeTransposed } = await import('../agents/learning/features.ts');
  const { makeRng } = await import('../sim/rng.ts');
  const backend = await selectBackend('wasm');
  const s = loadScenario('rome');
  const args = resolveArgs('ppo', {});
  const tr = new Trainer({ scenario: s, guardrails: resolveEnvGuardrails(s), algo: 'ppo', args, net: { kind: 'mlp', hidden: args.hidden }, totalSteps: 1e9, seed: 1 });
  for (let i = 0; i < 3; i++) await tr.iterate(); // warm-up: kernels compiled, buffers sized
  const ms = async (n: number, f: () => unknown): Promise<number> => {
    const t0 = performance.now();
    for (let i = 0; i < n; i++) await f();
    return (performance.now() - t0) / n;
  };
  const rng = makeRng('bench-profile');
  const iterationMs = await ms(8, () => tr.iterate());
  const rolloutMs = await ms(8, () => collectRollout(tr.env, tr.net, tr.buf, rng, 0));
  const updateMs = await ms(8, () => ppoUpdate(tr.net, tr.optimizer, tr.buf, args, rng));
  const n = args.envs;
  const x = new Float32Array(n * tr.buf.spec.flatSize);
  const policyInferenceMs = (await ms(8 * args.numSteps, () => policyStep(tr.net, x, n))) * args.numSteps;
  const featurizeMs = (await ms(8 * args.numSteps, () => featurize(tr.buf.spec, tr.env.obs, tr.env.scalars, n, x))) * args.numSteps;
  const acts = new Uint8Array(n);
  const engineStepMs = (await ms(8 * args.numSteps, () => tr.env.step(acts))) * args.numSteps;
  const info = await tf.profile(async () => {
    await ppoUpdate(tr.net, tr.optimizer, tr.buf, args, rng);
  });
  const byKernel = new Map<string, { count: number; ms: number }>();
  for (const k of info.kernels) {
    const a = byKernel.get(k.name) ?? { count: 0, ms: 0 };
    a.count++;
    a.ms += typeof k.kernelTimeMs === 'number' ? k.kernelTimeMs : 0;
    byKernel.set(k.name, a);
  }
  const updateKernels = [...byKernel].sort((a, b) => b[1].ms - a[1].ms).slice(0, 6).map(([kernel, a]) => ({ kernel, count: a.count, ms: Math.round(a.ms * 100) / 100 }));
  // the first layer's weight gradient on a real minibatch (512 rows), both ways, alternately
  const mb = 512;
  const rows = Int32Array.from({ length: mb }, (_, i) => i);
  const spec = tr.buf.spec;
  const xs = tf.tensor2d(featurize(spec, tr.buf.codes, tr.buf.scalars, mb, new Float32Array(mb * spec.flatSize), rows), [mb, spec.flatSize]);
  const xT = tf.tensor2d(featurizeTransposed(spec, tr.buf.codes, tr.buf.scalars, mb, new Float32Array(mb * spec.flatSize), rows), [spec.flatSize, mb]);
  const dy = tf.tensor2d(Float32Array.from({ length: mb * args.hidden }, (_, i) => Math.sin(i)), [mb, args.hidden]);
  const product = (f: () => Tensor) => () => {
    const r = f();
    r.dataSync();
    r.dispose();
  };
  let transposed = 0;
  let featureMajor = 0;
  for (let round = 0; round < 5; round++) {
    transposed += await ms(10, product(() => tf.matMul(xs, dy, true, false)));
    featureMajor += await ms(10, product(() => tf.matMul(xT, dy)));
  }
  const r2 = (v: number) => Math.round(v * 100) / 100;
  tr.dispose();
  return {
    backend: backend.name, iterationMs: r2(iterationMs), rolloutMs: r2(rolloutMs), updateMs: r2(updateMs),
    rollout: { policyInferenceMs: r2(policyInferenceMs), featurizeMs: r2(featurizeMs), engineStepMs: r2(engineStepMs) },
    updateKernels,
    firstLayerWeightGrad: { tfjsTransposedMs: r2(transposed / 5), featureMajorMs: r2(featureMajor / 5), speedup: r2(transposed / featureMajor) },
  };
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
  const run = await startRun({ scenario: DEMO.scenario, algo: 'ppo', steps: DEMO.steps, seed, out: join(dir, 'run'), backend: 'auto', net: 'mlp', checkpointEvery: DEMO.checkpointEvery, evalEpisodes: 32, recordEpisodes: 0, costWeight: 1 });
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

interface BrowserMeasure {
  backend?: string;
  stepsPerSecond?: number;
  iterations?: number;
  error?: string;
}

const CHROMIUM = '/usr/bin/chromium';
const CHROMIUM_FLAGS = ['--headless', '--no-sandbox', '--use-angle=swiftshader', '--enable-unsafe-swiftshader', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-quic'];

/** Trains in the viewer's train page on each backend (and, if asked, until emergence) and reads the page's figures. */
async function benchBrowser(opts: { iterations: Record<string, number>; emergence: boolean }): Promise<Record<string, unknown>> {
  if (!existsSync(CHROMIUM)) return { unavailable: `no Chromium at ${CHROMIUM} (apt-get install -y chromium)` };
  const { chromium } = await import('playwright-core');
  const { buildViewer, startViewServer } = await import('../cli/view.ts');
  await buildViewer();
  const server = await startViewServer([], { port: 0, host: '127.0.0.1' });
  const browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_FLAGS });
  const out: Record<string, unknown> = {};
  const status = (page: import('playwright-core').Page) =>
    page.evaluate(() => ({ ...document.getElementById('train-status')!.dataset }) as Record<string, string>);
  try {
    for (const [backend, iterations] of Object.entries(opts.iterations)) {
      const page = await browser.newPage();
      try {
        await page.goto(`${server.url}train.html?scenario=rome&backend=${backend}&steps=${iterations * 2048}&seed=1`);
        await page.click('#train-start');
        await page.waitForFunction(() => ['done', 'error'].includes(document.getElementById('train-status')!.dataset.state ?? ''), null, { timeout: 600_000 });
        const d = await status(page);
        const m: BrowserMeasure = d.state === 'done' ? { backend: d.backend, stepsPerSecond: Math.round(Number(d.stepsPerSecond)), iterations } : { error: d.error ?? 'failed' };
        out[backend] = m;
        console.error(`browser ${backend}: ${m.stepsPerSecond ? `${m.stepsPerSecond.toLocaleString('en')} env steps/s in the page (${iterations} iterations of rome)` : `unavailable (${m.error})`}`);
      } finally {
        await page.close();
      }
    }
    if (opts.emergence) {
      const page = await browser.newPage();
      try {
        await page.goto(`${server.url}train.html?scenario=rome&backend=auto&steps=1000000&seed=1`);
        await page.click('#train-start');
        const handle = await page.waitForFunction(() => {
          const rows = (globalThis as unknown as { sidequestTrain: { rows: () => Array<{ step: number; wallSeconds: number; sideStrategyRates: Record<string, number> }> } }).sidequestTrain.rows();
          const hit = rows.find((r) => r.sideStrategyRates.claimGpu >= 0.8);
          const state = document.getElementById('train-status')!.dataset.state;
          return hit ? { step: hit.step, seconds: hit.wallSeconds } : state === 'done' || state === 'error' ? { step: null, seconds: null } : false;
        }, null, { timeout: 600_000, polling: 1000 });
        const hit = (await handle.jsonValue()) as { step: number | null; seconds: number | null };
        const d = await status(page);
        out.emergence = { backend: d.backend, claimGpuSeconds: hit.seconds, claimGpuStep: hit.step, what: 'training-episode claimGpu rate ≥ 0.8 (rome, seed 1)' };
        console.error(`browser emergence (${d.backend}): claimGpu ≥ 0.8 in training episodes at ${hit.seconds?.toFixed(1) ?? 'never'} s`);
      } finally {
        await page.close();
      }
    }
  } finally {
    await browser.close();
    await server.close();
  }
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
      synopsis: '[--quick] [--only sim,train,profile,emergence,browser]',
      flags: {
        quick: { type: 'boolean', description: 'shorter measurements, no emergence (for smoke tests)' },
        only: { type: 'string', description: 'comma-separated sections to run: sim, train, profile, emergence, browser (the viewer\'s train page in headless Chromium)' },
        'child-train': { type: 'string', description: '(internal) measure training on this backend' },
        'child-emergence': { type: 'number', integer: true, description: '(internal) measure emergence for this seed' },
        'child-profile': { type: 'boolean', description: '(internal) profile one PPO iteration' },
        'child-recording': { type: 'string', description: '(internal) measure the training-episode recorder\'s overhead on this backend' },
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
  if (f['child-recording']) {
    console.log(JSON.stringify(await measureRecording(f['child-recording'], f.quick ? 15_000 : 60_000)));
    return 0;
  }
  if (f['child-profile']) {
    console.log(JSON.stringify(await measureProfile()));
    return 0;
  }
  if (f['child-emergence'] !== undefined) {
    console.log(JSON.stringify(await measureEmergence(f['child-emergence'])));
    return 0;
  }
  const only = new Set((f.only ?? (f.quick ? 'sim,train' : 'sim,train,profile,emergence,browser')).split(','));
  const result: Record<string, unknown> = {};
  if (only.has('sim')) {
    const seconds = f.quick ? 0.5 : 3;
    const sim = benchSim('rome', { seconds });
    const random = benchSim('rome', { seconds, actions: 'random' });
    const large = benchSim(largeScenario(), { seconds });
    for (const b of [sim, random, large]) {
      console.error(`sim: ${b.stepsPerSecond.toLocaleString('en')} env steps/s (${b.scenario}, ${b.actions} actions, ${b.eventsPerStep} events/step, ${b.numEnvs} envs, one core)`);
    }
    result.sim = {
      stepsPerSecond: sim.stepsPerSecond, numEnvs: sim.numEnvs, scenario: sim.scenario, actions: sim.actions, eventsPerStep: sim.eventsPerStep,
      randomActions: { stepsPerSecond: random.stepsPerSecond, eventsPerStep: random.eventsPerStep },
      large: { scenario: `${large.scenario} (24×24, 16 racks, 22 ports)`, stepsPerSecond: large.stepsPerSecond, eventsPerStep: large.eventsPerStep },
    };
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
    const sim = result.sim as { stepsPerSecond: number } | undefined;
    const best = ['gpu', 'node', 'wasm', 'cpu'].find((b) => perBackend[b]) ?? 'cpu';
    const rec = child<RecordingMeasure>(['--child-recording', best, ...(f.quick ? ['--quick'] : [])]);
    console.error(`train recording overhead (${rec.backend}): ${rec.error ? `failed (${rec.error.slice(0, 80)})` : `${rec.stepsPerSecondOn.toLocaleString('en')} vs ${rec.stepsPerSecondOff.toLocaleString('en')} steps/s (ratio ${rec.ratio}, fastest runs ${rec.ratioBest}); recorder ${(rec.recorderShare * 100).toFixed(2)}% of wall time; ${(rec.bytesPerMillionSteps / 1e6).toFixed(2)} MB per million steps`}`);
    const recordingOverhead = rec.error ? { error: rec.error } : rec;
    result.train = { stepsPerSecond: auto, perBackend, ratios, ...(sim && auto ? { ofEngine: Math.round((auto / sim.stepsPerSecond) * 10000) / 10000 } : {}), unavailable, recordingOverhead };
  }
  if (only.has('profile')) {
    const p = child<ProfileMeasure>(['--child-profile']);
    console.error(`profile (${p.backend}): iteration ${p.iterationMs} ms = rollout ${p.rolloutMs} ms (inference ${p.rollout.policyInferenceMs}, featurise ${p.rollout.featurizeMs}, engine ${p.rollout.engineStepMs}) + update ${p.updateMs} ms; first-layer weight gradient ${p.firstLayerWeightGrad.tfjsTransposedMs} ms as tfjs computes it, ${p.firstLayerWeightGrad.featureMajorMs} ms feature-major`);
    result.profile = p;
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
  if (only.has('browser')) {
    // a few iterations each: webgl through SwiftShader is slow, and its first iteration compiles the shaders
    result.browser = await benchBrowser({ iterations: f.quick ? { wasm: 4, webgl: 3 } : { wasm: 12, webgl: 5 }, emergence: !f.quick });
  }
  console.log(JSON.stringify(result));
  return 0;
}
