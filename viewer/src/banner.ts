// The status line above the board: a verified replay, a mismatch with its first divergent step (numbered as on
// the scrubber: the file's t = 7 is step 8), or an error in plain words. Text only: messages quote files.
import { elem } from './dom.ts';
import type { ReplayResult } from '../../sim/replay.ts';

export function banner(el: HTMLElement, kind: 'ok' | 'warn' | 'error' | 'none', text = ''): void {
  el.replaceChildren();
  if (kind !== 'none') el.append(elem('span', text, kind));
}

export function verificationBanner(el: HTMLElement, v: ReplayResult): void {
  if (v.ok) return banner(el, 'ok', `✓ Replay verified: re-simulated ${v.steps} steps, every state hash and event matches the recording.`);
  const d = v.divergence!;
  const where = d.step < 0 ? 'before the first step' : `at step ${d.step + 1}`;
  banner(el, 'warn', `⚠ Replay mismatch: the re-simulation first differs ${where} (${d.what}) — recorded ${d.expected}, replayed ${d.found}. What you see is the re-simulation.`);
}
