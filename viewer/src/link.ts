// Share links: the URL's hash names the run, checkpoint, episode and step on screen, so opening the link shows
// the same view. Pure parsing and formatting (tested in Node); a link that does not parse gets a message that
// says what is wrong with it, never a blank page. Links are data from anyone: every field is checked.

export interface ShareLink {
  /** The run's folder name as the server lists it ('' for files opened from disk). */
  run: string;
  /** Checkpoint name (step-000001024), 'episodes' for a folder of episodes, 'local' for opened files. */
  checkpoint: string;
  /** The episode file's name (ep-003.jsonl). */
  episode: string;
  /** Step on screen: 0 is the start, k the world after the k-th action. */
  step: number;
}

export type LinkParse = { ok: true; link: ShareLink | null } | { ok: false; error: string };

const KEYS = ['run', 'checkpoint', 'episode', 'step'] as const;
const MAX_LINK = 2000;
const CHECKPOINT = /^(step-\d{1,15}|episodes|local)$/;
/** A file name (no folder part) ending in .jsonl; control characters are refused separately. */
const EPISODE = /^[^/\\]{1,200}\.jsonl$/;
const hasControl = (t: string) => [...t].some((ch) => ch.charCodeAt(0) < 32 || ch.charCodeAt(0) === 127);

/**
 * A hash's fields, bounded and with its %-escapes checked (shared by the viewer's and the train page's links);
 * null for an empty hash. `what` names the link in the message ("a sidequest link").
 */
export function hashParams(hash: string, max: number, what: string): { ok: true; params: URLSearchParams | null } | { ok: false; error: string } {
  const h = hash.startsWith('#') ? hash.slice(1) : hash;
  if (h === '') return { ok: true, params: null };
  if (h.length > max) return { ok: false, error: `it is ${h.length} characters long; ${what} is at most ${max}` };
  try {
    // URLSearchParams never throws on bad escapes; decodeURIComponent does, so check the escapes first
    decodeURIComponent(h.replace(/\+/g, ' '));
    return { ok: true, params: new URLSearchParams(h) };
  } catch {
    return { ok: false, error: 'it has a broken %-escape' };
  }
}

/** Reads a location hash ('#run=…&checkpoint=…&episode=…&step=…'); an empty hash is no link. */
export function parseLink(hash: string): LinkParse {
  const read = hashParams(hash, MAX_LINK, 'a sidequest link');
  if (!read.ok) return read;
  if (read.params === null) return { ok: true, link: null };
  const params = read.params;
  const unknown = [...params.keys()].filter((k) => !(KEYS as readonly string[]).includes(k));
  if (unknown.length) return { ok: false, error: `it has ${unknown.length === 1 ? 'a field' : 'fields'} a sidequest link does not have: ${unknown.slice(0, 3).join(', ')} (expected ${KEYS.join(', ')})` };
  for (const k of KEYS) if (params.getAll(k).length > 1) return { ok: false, error: `it gives "${k}" more than once` };
  const missing = KEYS.filter((k) => k !== 'run' && !params.has(k));
  if (missing.length) return { ok: false, error: `it lacks ${missing.join(', ')}` };
  const run = params.get('run') ?? '';
  const checkpoint = params.get('checkpoint')!;
  const episode = params.get('episode')!;
  const stepText = params.get('step')!;
  if (run.length > 255 || /[/\\]/.test(run) || hasControl(run)) return { ok: false, error: 'its run is not a folder name' };
  if (!CHECKPOINT.test(checkpoint)) return { ok: false, error: 'its checkpoint is not a checkpoint name (step-NNN, episodes or local)' };
  if (!EPISODE.test(episode) || hasControl(episode)) return { ok: false, error: 'its episode is not an episode file name (NAME.jsonl)' };
  if (!/^\d{1,7}$/.test(stepText)) return { ok: false, error: `its step "${stepText.slice(0, 20)}" is not a whole number of steps` };
  return { ok: true, link: { run, checkpoint, episode, step: Number(stepText) } };
}

export function formatLink(l: ShareLink): string {
  const p = new URLSearchParams();
  if (l.run) p.set('run', l.run);
  p.set('checkpoint', l.checkpoint);
  p.set('episode', l.episode);
  p.set('step', String(l.step));
  return `#${p.toString()}`;
}
