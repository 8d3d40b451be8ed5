// The observation's layout, documented in one place and exported for the agents.
//
// Per env the engine writes two things:
//   obs     [window * window] Uint8, row-major, centred on the agent (egocentric, not rotated): the *seen*
//           code of each cell (vocab.ts SEEN_OF_TILE; a hidden port is seen as firewall, padding as void).
//           Agents one-hot it into window * window * (NUM_SEEN - 1) channels: code 0 (floor) is the
//           absence of every channel.
//   scalars [NUM_SCALARS] Float32 in [0, 1], named by SCALAR_NAMES.
import type { Scenario } from './scenario.ts';
import { NUM_SEEN } from './vocab.ts';

export const SCALAR_NAMES = [
  'compute', // compute held / scenario maxCompute
  'timeLeft', // 1 - t / horizon
  'headingUp',
  'headingRight',
  'headingDown',
  'headingLeft',
  'tunnelOpen', // 1 while the reverse tunnel is open
  'jobProgress', // work toward the current job / jobWork
  'coins', // coins / computePrice, capped at 1 (0 when mining is off)
] as const;
export const NUM_SCALARS = SCALAR_NAMES.length;
export const Scalar = Object.fromEntries(SCALAR_NAMES.map((n, i) => [n, i])) as {
  readonly [K in (typeof SCALAR_NAMES)[number]]: number;
};

/** Shapes the agents build their networks from. */
export interface ObservationSpec {
  /** Side of the square egocentric window. */
  readonly window: number;
  /** One-hot channels per cell: the seen codes other than floor (code 0). */
  readonly channels: number;
  readonly numScalars: number;
  /** Length of the flat one-hot + scalars vector an MLP sees. */
  readonly flatSize: number;
}

export function observationSpec(scenario: Scenario): ObservationSpec {
  const w = scenario.window;
  return { window: w, channels: NUM_SEEN - 1, numScalars: NUM_SCALARS, flatSize: w * w * (NUM_SEEN - 1) + NUM_SCALARS };
}
