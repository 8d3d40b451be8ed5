// A worker thread of `sidequest ab`: receives cells, runs them (its own tfjs and wasm instance), reports
// progress and results to the main thread. One cell at a time per worker; one worker per core.
import { parentPort } from 'node:worker_threads';
import type { AbConfig, Cell } from './ab.ts';
import { runCell } from './ab-cell.ts';

export type ToWorker = { type: 'cell'; out: string; cell: Cell; config: AbConfig } | { type: 'exit' };
export type FromWorker =
  | { type: 'progress'; cell: Cell; step: number; total: number }
  | { type: 'done'; cell: Cell }
  | { type: 'failed'; cell: Cell; error: string };

const port = parentPort!;
port.on('message', (msg: ToWorker) => {
  if (msg.type === 'exit') return void process.exit(0);
  let last = 0;
  runCell(msg.out, msg.cell, msg.config, (step, total) => {
    const now = Date.now();
    if (now - last > 500) {
      last = now;
      port.postMessage({ type: 'progress', cell: msg.cell, step, total } satisfies FromWorker);
    }
  })
    .then(() => port.postMessage({ type: 'done', cell: msg.cell } satisfies FromWorker))
    .catch((e: unknown) => port.postMessage({ type: 'failed', cell: msg.cell, error: String((e as Error).message ?? e).split('\n')[0] } satisfies FromWorker));
});
