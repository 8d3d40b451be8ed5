// The train page's Web Worker: all of training happens here, so the page never freezes. It selects one tfjs
// backend (a worker holds one; switching starts a new worker), builds the Trainer with viewer/src/train/session.ts
// and iterates, posting each metrics row, milestones and, when the page asks, one episode of the current policy.
// Between iterations it yields to its event loop, so pause, resume, stop and watch requests are read promptly.
import wasmPlain from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm.wasm?url';
import wasmSimd from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-simd.wasm?url';
import wasmThreaded from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-threaded-simd.wasm?url';
import { selectBrowserBackend } from '../../../agents/learning/backend.ts';
import { evaluate } from '../../../agents/policies/evaluate.ts';
import { makeScriptedPolicy } from '../../../agents/policies/scripted.ts';
import { AUTO_ORDER } from './backend-order.ts';
import type { FromWorker, ToWorker } from './protocol.ts';
import { shippedScenario } from './scenarios.ts';
import { checkpointEvery, makeTrainer, Milestones, pageRow, recordCheckpoint, watchEpisode } from './session.ts';
import { validateText } from '../editor/model.ts';


const post = (m: FromWorker) => postMessage(m);
let started = false;
let paused = false;
let stopped = false;
let watchWanted = false;
let wake: (() => void) | null = null;
/** Set while the loop is outside `iterate()` for good or for a while (paused, finished): a watch is served at once. */
let serveNow: (() => void) | null = null;

const tick = () => new Promise<void>((r) => setTimeout(r, 0));

onmessage = (ev: MessageEvent<ToWorker>) => {
  const m = ev.data;
  if (m?.type === 'start' && !started) {
    started = true;
    run(m).catch((e: unknown) => post({ type: 'error', message: String((e as Error)?.message ?? e).split('\n')[0].slice(0, 300) }));
  } else if (m?.type === 'pause') paused = true;
  else if (m?.type === 'resume' || m?.type === 'stop') {
    if (m.type === 'stop') stopped = true;
    paused = false;
    wake?.();
  } else if (m?.type === 'watch') {
    watchWanted = true;
    serveNow?.();
  }
};

async function run(m: Extract<ToWorker, { type: 'start' }>): Promise<void> {
  const info = await selectBrowserBackend(m.backend, {
    wasmPaths: { 'tfjs-backend-wasm.wasm': wasmPlain, 'tfjs-backend-wasm-simd.wasm': wasmSimd, 'tfjs-backend-wasm-threaded-simd.wasm': wasmThreaded },
    autoOrder: AUTO_ORDER,
  });
  post({ type: 'backend', info });
  // an edited world is compiled standalone by the same schema and compiler as the editor and the CLI
  let scenario;
  if (m.world !== undefined) {
    const v = validateText(m.world, 'the edited world');
    if (!v.ok) throw new Error(v.message);
    scenario = v.scenario;
  } else scenario = shippedScenario(m.setup.scenario);
  const { trainer, guardrails } = makeTrainer(scenario, m.setup);
  // the random agent on the same guardrails: the line a learning curve has to clear
  const episodes = 32;
  const base = await evaluate(scenario, guardrails, (env) => makeScriptedPolicy('random', env, m.setup.seed), { episodes, seed: m.setup.seed + 1, numEnvs: 32 });
  post({ type: 'baseline', randomReturn: base.summary.taskReturn.mean, episodes });
  const milestones = new Milestones(scenario, base.summary.taskReturn.mean);
  post({ type: 'state', state: 'running' });
  let watchSeed = m.setup.seed * 7919 + 1;
  let busy = false;
  const serveWatch = async () => {
    if (!watchWanted || busy) return;
    busy = true;
    watchWanted = false;
    post({ type: 'episode', text: await watchEpisode(trainer, scenario, guardrails, watchSeed++), step: trainer.step });
    busy = false;
  };
  const report = (e: unknown) => post({ type: 'error', message: String((e as Error)?.message ?? e).split('\n')[0].slice(0, 300) });
  const every = checkpointEvery(trainer.numIterations);
  let lastCheckpoint = -1;
  const checkpoint = async () => {
    if (trainer.iteration === lastCheckpoint) return;
    lastCheckpoint = trainer.iteration;
    post({ type: 'checkpoint', step: trainer.step, episodes: await recordCheckpoint(trainer, scenario, guardrails, m.setup.seed) });
  };
  await trainer.pretrain();
  while (!trainer.done && !stopped) {
    const { row, alerts } = await trainer.iterate();
    post({ type: 'iteration', row: pageRow(row), of: trainer.numIterations });
    if (trainer.iteration % every === 0) await checkpoint();
    for (const text of milestones.observe(row, alerts)) post({ type: 'milestone', text, step: row.step });
    await serveWatch();
    await tick();
    if (paused) {
      post({ type: 'state', state: 'paused' });
      serveNow = () => void serveWatch().catch(report);
      while (paused) await new Promise<void>((r) => (wake = r));
      serveNow = null;
      wake = null;
      while (busy) await tick();
      if (!stopped) post({ type: 'state', state: 'running' });
    }
  }
  // the policy the run ends with is a checkpoint too (a stop between checkpoints included)
  if (trainer.iteration > 0) await checkpoint();
  post({ type: 'state', state: stopped ? 'stopped' : 'done' });
  // the finished policy keeps playing on the board until the page closes the worker
  serveNow = () => void serveWatch().catch(report);
  serveNow();
}
