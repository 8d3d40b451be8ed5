// Which backend `auto` tries first in the page: the faster one for this small network, as measured in headless
// Chromium by `npm run bench` (browser section; figures in docs/viewer.md). cpu is always the last resort.
import type { BrowserBackendRequest } from '../../../agents/learning/backend.ts';

export const AUTO_ORDER: ReadonlyArray<'webgl' | 'wasm'> = ['wasm', 'webgl'];

/** The page's backend choices (agents/learning/backend.ts BROWSER_BACKENDS; repeated here so the page itself does not load tfjs). */
export const PAGE_BACKENDS = ['auto', 'webgl', 'wasm', 'cpu'] as const satisfies readonly BrowserBackendRequest[];
