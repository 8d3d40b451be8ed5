// The messages between the train page and its worker: plain data only (structured clone), one union each way.
import type { BrowserBackendInfo, BrowserBackendRequest } from '../../../agents/learning/backend.ts';
import type { PageRow, TrainSetup } from './session.ts';

export type ToWorker =
  /** `world`: an edited world's scenario text, trained instead of the shipped scenario `setup.scenario`. */
  | { type: 'start'; setup: TrainSetup; backend: BrowserBackendRequest; world?: string }
  | { type: 'pause' }
  | { type: 'resume' }
  | { type: 'stop' }
  /** The page finished showing the last watched episode and wants the current policy's next one. */
  | { type: 'watch' };

export type FromWorker =
  | { type: 'backend'; info: BrowserBackendInfo }
  | { type: 'baseline'; randomReturn: number; episodes: number }
  | { type: 'iteration'; row: PageRow; of: number }
  | { type: 'milestone'; text: string; step: number }
  /** One episode of the current policy, as episode JSONL (the page re-simulates and checks it like any file). */
  | { type: 'episode'; text: string; step: number }
  /** Evaluation episodes of the policy at a checkpoint (episode JSONL each), recorded as `sidequest train` records them. */
  | { type: 'checkpoint'; step: number; episodes: string[] }
  | { type: 'state'; state: 'running' | 'paused' | 'stopped' | 'done' }
  | { type: 'error'; message: string };
