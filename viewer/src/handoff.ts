// Hands data between the app's pages in one tab. Episodes: from one page of the app to the replay viewer in the same tab: the train page (and the lesson)
// leave the recorded checkpoint episodes in sessionStorage and open index.html?from=train; the viewer takes them
// through the path it opens files from disk with (LocalFiles), so they are parsed, re-simulated and checked like
// any file. Worlds: the editor leaves an edited world for train.html, which validates it with the scenario schema.
// sessionStorage is data like any file: its shape and sizes are checked before use.
import { formatLink } from './link.ts';

export interface HandoffEpisode {
  name: string;
  text: string;
}

const KEY = 'sidequest:handoff';
/** Where the editor leaves the world it sends to the train page (this tab only; train.html?world=session reads it). */
export const WORLD_KEY = 'sidequest:world';
/** Episodes handed over at most, and characters in all (sessionStorage holds about 5 M characters per origin). */
export const MAX_HANDOFF_FILES = 64;
export const MAX_HANDOFF_CHARS = 4_000_000;
const NAME = /^[\w.-]{1,120}\.jsonl$/;

/** Stores the episodes and returns the viewer's address showing `open` at step 0, or null when they do not fit. */
export function handOff(files: readonly HandoffEpisode[], open: string, page = './index.html'): string | null {
  const kept = files.slice(-MAX_HANDOFF_FILES);
  const text = JSON.stringify(kept);
  if (text.length > MAX_HANDOFF_CHARS) return null;
  try {
    sessionStorage.setItem(KEY, text);
  } catch {
    return null;
  }
  return `${page}?from=train${formatLink({ run: '', checkpoint: 'local', episode: open, step: 0 })}`;
}

/** The episodes handed to this tab, checked; [] when there are none or they are not what handOff wrote. */
export function takeHandoff(): { files: HandoffEpisode[]; error?: string } {
  const raw = sessionStorage.getItem(KEY);
  if (raw === null) return { files: [], error: 'the episodes from training are no longer in this tab' };
  if (raw.length > MAX_HANDOFF_CHARS) return { files: [], error: 'the episodes from training are too large' };
  let v: unknown;
  try {
    v = JSON.parse(raw);
  } catch {
    return { files: [], error: 'the episodes from training are not readable' };
  }
  if (!Array.isArray(v) || v.length > MAX_HANDOFF_FILES) return { files: [], error: 'the episodes from training are not a list of files' };
  const files: HandoffEpisode[] = [];
  for (const f of v as unknown[]) {
    const o = f as Partial<HandoffEpisode> | null;
    if (!o || typeof o.name !== 'string' || typeof o.text !== 'string' || !NAME.test(o.name)) return { files: [], error: 'the episodes from training are not a list of files' };
    files.push({ name: o.name, text: o.text });
  }
  return { files };
}
