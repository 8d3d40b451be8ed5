// Seeded random streams (seedrandom's alea: fast, and identical in Node and browsers). Every stream can be
// saved and restored, so a killed training run resumes exactly. The only source of randomness in sim/ and
// agents/ (the global unseeded generator is forbidden there by lint).
import seedrandom from 'seedrandom';

/** A uniform [0, 1) stream whose state can be captured. */
export interface Rng {
  (): number;
  state(): RngState;
}
export interface RngState {
  readonly c: number;
  readonly s0: number;
  readonly s1: number;
  readonly s2: number;
}

export function makeRng(seed: string): Rng {
  return seedrandom.alea(seed, { state: true }) as unknown as Rng;
}

export function restoreRng(state: RngState): Rng {
  return seedrandom.alea('', { state: state as unknown as seedrandom.State.Alea }) as unknown as Rng;
}
