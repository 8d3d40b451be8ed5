// Worker-thread entry for `sidequest ab`: registers tsx in this thread, then loads the TypeScript worker.
import { register } from 'tsx/esm/api';

register();
await import('../agents/experiments/ab-worker.ts');
