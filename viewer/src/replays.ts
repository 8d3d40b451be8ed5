// Replays by episode: each episode is fetched and simulated once, and the result is shared by everything that
// shows it — the board, the heat map of its checkpoint, compare mode, a share link. No DOM here (tested in Node).
import { loadReplay, type Replay } from './model.ts';

/** Episodes kept simulated: enough for a few checkpoints' heat maps; older ones are simulated again if reopened. */
export const MAX_CACHED_REPLAYS = 128;

export class ReplayCache {
  private readonly entries = new Map<string, Promise<Replay>>();

  /**
   * @param beforeSimulate awaited between fetching and simulating (the page lets its loading indicator paint)
   */
  constructor(private readonly beforeSimulate: () => Promise<void> = async () => {}, private readonly max = MAX_CACHED_REPLAYS) {}

  /**
   * The replay of the episode under `key` (a run and file, or an opened file's own id). Concurrent calls share
   * one simulation; a failure is not kept, so a file that becomes readable can be opened again.
   */
  get(key: string, origin: string, text: () => Promise<string>): Promise<Replay> {
    const hit = this.entries.get(key);
    if (hit) {
      // most recently used last: the oldest entry is the one dropped
      this.entries.delete(key);
      this.entries.set(key, hit);
      return hit;
    }
    const p = (async () => {
      const t = await text();
      await this.beforeSimulate();
      return loadReplay(t, origin);
    })();
    this.entries.set(key, p);
    p.catch(() => {
      if (this.entries.get(key) === p) this.entries.delete(key);
    });
    while (this.entries.size > this.max) this.entries.delete(this.entries.keys().next().value!);
    return p;
  }

  /** The replay if it is already simulated or under way (never starts a simulation). */
  peek(key: string): Promise<Replay> | undefined {
    return this.entries.get(key);
  }

  get size(): number {
    return this.entries.size;
  }
}
