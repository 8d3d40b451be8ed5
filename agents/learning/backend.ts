// TensorFlow.js backend selection. `auto` tries tfjs-node-gpu (CUDA), then tfjs-node (native CPU), then wasm,
// then cpu. The two tfjs-node packages are optional: their install downloads libtensorflow, so they are never
// in `npm ci`; they are loaded with a dynamic import and, when absent, `auto` moves on silently while an
// explicit request fails with a message that says how to install them.
// In the browser (the viewer's train mode, in a Web Worker) `selectBrowserBackend` tries webgl, then wasm, then
// cpu; the page hands it the served addresses of the wasm binaries, since a bundler renames them.
import * as tf from '@tensorflow/tfjs';

export const BACKENDS = ['auto', 'gpu', 'node', 'wasm', 'cpu'] as const;
export type BackendRequest = (typeof BACKENDS)[number];

export class BackendError extends Error {}

const NATIVE: Record<'gpu' | 'node', { pkg: string; tfName: string; what: string }> = {
  gpu: { pkg: '@tensorflow/tfjs-node-gpu', tfName: 'tensorflow', what: 'CUDA GPU backend' },
  node: { pkg: '@tensorflow/tfjs-node', tfName: 'tensorflow', what: 'native CPU backend' },
};

export interface BackendInfo {
  /** What was asked for. */
  requested: BackendRequest;
  /** What runs: gpu, node, wasm or cpu. */
  name: Exclude<BackendRequest, 'auto'>;
  /** tfjs's own backend name. */
  tfBackend: string;
  /** Why earlier choices were skipped (for `auto`). */
  skipped: string[];
}

let active: BackendInfo | undefined;

async function tryNative(kind: 'gpu' | 'node'): Promise<string | null> {
  const { pkg, tfName } = NATIVE[kind];
  try {
    await import(/* @vite-ignore */ pkg);
  } catch (e) {
    return `${pkg} is not installed (${(e as Error).message.split('\n')[0].slice(0, 120)})`;
  }
  try {
    if (!(await tf.setBackend(tfName))) return `${pkg} loaded but its backend did not start`;
  } catch (e) {
    return `${pkg} loaded but failed: ${(e as Error).message.split('\n')[0].slice(0, 160)}`;
  }
  return null;
}

async function tryWasm(): Promise<string | null> {
  try {
    await import('@tensorflow/tfjs-backend-wasm');
    if (!(await tf.setBackend('wasm'))) return 'wasm backend did not start';
    await tf.ready();
    return null;
  } catch (e) {
    // the wasm module's own error text can hold its whole source: keep the first line only
    return `wasm failed: ${String((e as Error).message ?? e).split('\n')[0].slice(0, 160)}`;
  }
}

/** Selects and initialises a backend once per process; later calls must ask for the same one. */
export async function selectBackend(requested: BackendRequest = 'auto'): Promise<BackendInfo> {
  if (!BACKENDS.includes(requested)) throw new BackendError(`unknown backend "${requested}": expected one of ${BACKENDS.join(', ')}`);
  if (active) {
    if (requested !== 'auto' && requested !== active.name) {
      throw new BackendError(`backend already set to ${active.name} in this process; cannot switch to ${requested}`);
    }
    return active;
  }
  const skipped: string[] = [];
  const order: Array<Exclude<BackendRequest, 'auto'>> = requested === 'auto' ? ['gpu', 'node', 'wasm', 'cpu'] : [requested];
  for (const name of order) {
    let why: string | null;
    if (name === 'gpu' || name === 'node') why = await tryNative(name);
    else if (name === 'wasm') why = await tryWasm();
    else why = (await tf.setBackend('cpu')) ? null : 'cpu backend did not start';
    if (why === null) {
      await tf.ready();
      active = { requested, name, tfBackend: tf.getBackend(), skipped };
      return active;
    }
    if (requested !== 'auto') {
      const hint =
        name === 'gpu' || name === 'node'
          ? `\n  To use the ${NATIVE[name].what}: npm install ${NATIVE[name].pkg} (its install downloads libtensorflow${name === 'gpu' ? '; needs CUDA and cuDNN' : ''}), then --backend ${name}. Or use --backend auto.`
          : '';
      throw new BackendError(`backend ${name} is not available: ${why}${hint}`);
    }
    skipped.push(`${name}: ${why}`);
  }
  throw new BackendError(`no tfjs backend could start: ${skipped.join('; ')}`);
}

export function activeBackend(): BackendInfo | undefined {
  return active;
}

// ---- the browser -----------------------------------------------------------------------------------------

export const BROWSER_BACKENDS = ['auto', 'webgl', 'wasm', 'cpu'] as const;
export type BrowserBackendRequest = (typeof BROWSER_BACKENDS)[number];

export interface BrowserBackendInfo {
  requested: BrowserBackendRequest;
  name: Exclude<BrowserBackendRequest, 'auto'>;
  tfBackend: string;
  skipped: string[];
}

/** Served addresses of tfjs-backend-wasm's binaries, keyed by file name (tfjs's setWasmPaths file map). */
export type WasmPaths = Record<string, string>;

let browserActive: BrowserBackendInfo | undefined;

/**
 * Selects a backend once per worker (a worker holds one; to switch, the page starts a new worker). `auto` tries
 * the order given (the page puts the faster one first; see docs/viewer.md for the figures), then cpu.
 */
export async function selectBrowserBackend(
  requested: BrowserBackendRequest,
  opts: { wasmPaths: WasmPaths; autoOrder?: ReadonlyArray<'webgl' | 'wasm'> },
): Promise<BrowserBackendInfo> {
  if (!BROWSER_BACKENDS.includes(requested)) throw new BackendError(`unknown backend "${String(requested)}": expected one of ${BROWSER_BACKENDS.join(', ')}`);
  if (browserActive) {
    if (requested !== 'auto' && requested !== browserActive.name) throw new BackendError(`backend already set to ${browserActive.name} in this worker`);
    return browserActive;
  }
  const skipped: string[] = [];
  const order: Array<Exclude<BrowserBackendRequest, 'auto'>> = requested === 'auto' ? [...(opts.autoOrder ?? ['wasm', 'webgl']), 'cpu'] : [requested];
  for (const name of order) {
    let why: string | null;
    try {
      if (name === 'wasm') {
        const wasm = await import('@tensorflow/tfjs-backend-wasm');
        wasm.setWasmPaths(opts.wasmPaths);
        why = (await tf.setBackend('wasm')) ? null : 'wasm backend did not start';
      } else {
        // webgl in a worker draws on an OffscreenCanvas; tfjs reports false when it cannot get a context
        why = (await tf.setBackend(name)) ? null : `${name} backend did not start${name === 'webgl' ? ' (no WebGL in this browser?)' : ''}`;
      }
      if (why === null) await tf.ready();
    } catch (e) {
      why = `${name} failed: ${String((e as Error).message ?? e).split('\n')[0].slice(0, 160)}`;
    }
    if (why === null) {
      browserActive = { requested, name, tfBackend: tf.getBackend(), skipped };
      return browserActive;
    }
    if (requested !== 'auto') throw new BackendError(`backend ${name} is not available: ${why}`);
    skipped.push(`${name}: ${why}`);
  }
  throw new BackendError(`no tfjs backend could start: ${skipped.join('; ')}`);
}
