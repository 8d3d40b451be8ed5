// Where episodes come from: a served run's files (fetched from `sidequest view`'s API) or files opened from
// disk, each named by an EpisodeRef — its cache key, where its text comes from, and how a pane captions it.
// Two opened files of one name (two checkpoints' ep-000.jsonl) are two episodes with two keys.
import { fileUrlOf, type EpisodeEntry, type RunEntry } from './api.ts';
import type { EpisodeGroup } from './episodes-panel.ts';
import type { PaneSource } from './pane.ts';

/** Files opened from disk are kept at most this many (each stays in memory as text). */
export const MAX_LOCAL_FILES = 500;

/** One episode the app can open. */
export interface EpisodeRef {
  /** The replay cache's key: unique per episode, whatever its file is called. */
  key: string;
  /** Its name in messages (the path inside the run, or the opened file's label). */
  origin: string;
  text: () => Promise<string>;
  source: PaneSource;
  /** The file's name as a share link carries it. */
  file: string;
}

export async function fetchText(url: string): Promise<string> {
  const r = await fetch(url);
  if (!r.ok) throw new Error(`${url}: ${r.status} ${await r.text()}`);
  return r.text();
}

export function checkpointLabel(run: RunEntry, checkpoint: string): string {
  const c = run.checkpoints.find((x) => x.name === checkpoint);
  return run.kind === 'run' && c ? `checkpoint · step ${c.step.toLocaleString('en')}` : checkpoint;
}

export function episodesOf(run: RunEntry, checkpoint: string): EpisodeEntry[] {
  return run.checkpoints.find((c) => c.name === checkpoint)?.episodes ?? [];
}

export function runEpisodeRef(run: RunEntry, checkpoint: string, index: number): EpisodeRef | null {
  const e = episodesOf(run, checkpoint)[index];
  if (!e) return null;
  return { key: `run:${run.id}:${e.file}`, origin: e.file, text: () => fetchText(fileUrlOf(run, e.file)), source: { run: run.name, checkpoint: checkpointLabel(run, checkpoint), file: e.file }, file: e.file };
}

export function runGroups(run: RunEntry): EpisodeGroup[] {
  return run.checkpoints.map((c) => ({ title: checkpointLabel(run, c.name), key: c.name, episodes: c.episodes.map((e) => ({ label: e.file.split('/').pop() ?? '', entry: e })) }));
}

interface LocalFile { id: number; name: string; label: string; text: string }

/** Episode files opened from disk (the file picker or a drop), in the order opened. */
export class LocalFiles {
  private files: LocalFile[] = [];
  private nextId = 0;

  /**
   * Adds a file and returns its index; the same file (name and content) opened again is the one already there,
   * another file of the same name is kept beside it with a numbered label. Null when the list is full.
   */
  add(name: string, text: string): number | null {
    const i = this.files.findIndex((x) => x.name === name && x.text === text);
    if (i >= 0) return i;
    if (this.files.length >= MAX_LOCAL_FILES) return null;
    const same = this.files.filter((x) => x.name === name).length;
    this.files.push({ id: this.nextId++, name, label: same ? `${name} (${same + 1})` : name, text });
    return this.files.length - 1;
  }

  get length(): number {
    return this.files.length;
  }

  indexOfName(name: string): number {
    return this.files.findIndex((f) => f.name === name);
  }

  ref(index: number): EpisodeRef | null {
    const f = this.files[index];
    return f ? { key: `local:${f.id}`, origin: f.label, text: async () => f.text, source: { run: 'opened file', checkpoint: '', file: f.label }, file: f.name } : null;
  }

  group(): EpisodeGroup {
    return { title: 'opened files', key: 'local', episodes: this.files.map((f) => ({ label: f.label, entry: null })) };
  }
}
