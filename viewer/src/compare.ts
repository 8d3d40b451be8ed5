// What compare mode puts beside the open episode: the same episode index of another run at the same checkpoint
// position, or of another checkpoint of the same run (before/after). The picker's options, and which episode
// the other pane shows.
import type { RunEntry } from './api.ts';
import { checkpointLabel, runEpisodeRef, type EpisodeRef } from './sources.ts';

export interface CompareChoice {
  run: RunEntry;
  /** A checkpoint of `run` (before/after), or null: the one at the open episode's checkpoint position. */
  checkpoint: string | null;
}

/** Fills the picker (values `run:ID` or `cp:NAME`), keeping the choice if it is still offered; returns it. */
export function fillComparePicker(picker: HTMLSelectElement, runs: readonly RunEntry[], current: RunEntry | null): string {
  const keep = picker.value;
  picker.replaceChildren(new Option('—', ''));
  if (runs.length) {
    const group = document.createElement('optgroup');
    group.label = 'another run';
    for (const run of runs) group.append(new Option(run.name, `run:${run.id}`));
    picker.append(group);
  }
  if (current?.kind === 'run' && current.checkpoints.length > 1) {
    const group = document.createElement('optgroup');
    group.label = `${current.name}: another checkpoint`;
    for (const c of current.checkpoints) group.append(new Option(checkpointLabel(current, c.name), `cp:${c.name}`));
    picker.append(group);
  }
  picker.value = Array.from(picker.querySelectorAll('option')).some((o) => o.value === keep) ? keep : '';
  return picker.value;
}

export function compareChoice(value: string, runs: readonly RunEntry[], current: RunEntry | null): CompareChoice | null {
  if (value.startsWith('run:')) {
    const run = runs.find((r) => r.id === Number(value.slice(4)));
    return run ? { run, checkpoint: null } : null;
  }
  const cp = value.slice(3);
  if (value.startsWith('cp:') && current && current.checkpoints.some((c) => c.name === cp)) return { run: current, checkpoint: cp };
  return null;
}

/** The episode the compare pane shows for episode `index` of `checkpoint` of the open run (null: none). */
export function comparedRef(choice: CompareChoice, open: RunEntry | null, checkpoint: string, index: number): EpisodeRef | null {
  const cr = choice.run;
  const pos = open ? open.checkpoints.findIndex((c) => c.name === checkpoint) : 0;
  const other = choice.checkpoint !== null ? cr.checkpoints.find((c) => c.name === choice.checkpoint) : cr.checkpoints[Math.max(0, Math.min(pos, cr.checkpoints.length - 1))];
  return other ? runEpisodeRef(cr, other.name, Math.min(index, other.episodes.length - 1)) : null;
}
