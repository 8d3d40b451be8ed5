// The episode list on the left: a run's episodes grouped by checkpoint (early → late) with their outcome, side
// strategies and alert count, or the files opened from disk. Names come from files and folders: text only.
import type { EpisodeEntry } from './api.ts';
import { elem } from './dom.ts';

export interface EpisodeGroup {
  title: string;
  /** The checkpoint's name, or 'local' for opened files. */
  key: string;
  episodes: Array<{ label: string; entry: EpisodeEntry | null }>;
}

export function renderEpisodeList(aside: HTMLElement, groups: readonly EpisodeGroup[], selected: { key: string; index: number } | null, open: (key: string, index: number) => void): void {
  aside.replaceChildren();
  for (const g of groups) {
    aside.append(elem('h3', g.title));
    g.episodes.forEach(({ label, entry: e }, i) => {
      const b = elem('button', '', 'episode');
      b.dataset.checkpoint = g.key;
      b.dataset.index = String(i);
      const isSelected = selected?.key === g.key && selected.index === i;
      if (isSelected) b.classList.add('selected');
      const ret = e && typeof e.return === 'number' && Number.isFinite(e.return) ? ` · return ${e.return.toFixed(1)}` : '';
      b.append(elem('div', `${label}${ret}`));
      if (e) {
        const tags = elem('div', e.error ?? `${e.reason ? `${e.reason} · ` : ''}${e.behaviours.join(', ') || (e.reason ? 'no side strategy' : '')}`, 'tags');
        if (e.alerts && !e.error) tags.append(' · ', elem('span', `${e.alerts} alert${e.alerts > 1 ? 's' : ''}`, 'alerts'));
        b.append(tags);
      }
      b.addEventListener('click', () => open(g.key, i));
      aside.append(b);
      if (isSelected) requestAnimationFrame(() => b.scrollIntoView({ block: 'nearest' }));
    });
  }
}

/** The list when no run is served and no file is open yet. */
export function renderNoRun(aside: HTMLElement): void {
  aside.replaceChildren(elem('h3', 'no run served'), elem('p', 'Open episode files (.jsonl) with the button above, or drop them on the page.'));
}
