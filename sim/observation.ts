// The observation's layout, documented in one place and exported for the agents.
//
// Per env the engine writes two things:
//   obs     [window * window] Uint8, row-major, centred on the agent (egocentric, not rotated): the perception
//           code of each cell (the tile's `seen` class, scenario.seenNames; a hidden port is seen as firewall,
//           the padding around the map as void's class). Agents one-hot it into window * window * (numSeen - 1)
//           channels: code 0 (the first class, "nothing there") is the absence of every channel.
//   scalars [numScalars] Float32, the scenario's `observation.scalars` formulas in file order, clamped to [0, 1].
// Both widths follow from the scenario; a checkpoint records its spec and a mismatch is a clear error.
import type { Scenario } from './scenario.ts';

/** Shapes the agents build their networks from. */
export interface ObservationSpec {
  /** Side of the square egocentric window. */
  readonly window: number;
  /** One-hot channels per cell: the perception classes other than the first. */
  readonly channels: number;
  readonly numScalars: number;
  /** Length of the flat one-hot + scalars vector an MLP sees. */
  readonly flatSize: number;
}

/**
 * Whether a policy trained on `trained` can act in `other`: the same window, perception classes (in order) and
 * scalars, or the network would read one world's features as another's. null if so; otherwise both described.
 */
export function observationMismatch(trained: Scenario, other: Scenario): { trained: string; other: string } | null {
  const t = observationSpec(trained);
  const o = observationSpec(other);
  const same =
    t.window === o.window && t.channels === o.channels && t.numScalars === o.numScalars &&
    trained.seenNames.join() === other.seenNames.join() && trained.scalarNames.join() === other.scalarNames.join();
  if (same) return null;
  const show = (s: Scenario, x: ObservationSpec) => `${x.window}×${x.window} window, perception ${s.seenNames.join('/')}, scalars ${s.scalarNames.join('/') || 'none'}`;
  return { trained: show(trained, t), other: show(other, o) };
}

export function observationSpec(scenario: Scenario): ObservationSpec {
  const w = scenario.window;
  const channels = Math.max(1, scenario.seenNames.length - 1);
  const numScalars = scenario.scalarNames.length;
  return { window: w, channels, numScalars, flatSize: w * w * channels + numScalars };
}
