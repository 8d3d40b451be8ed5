// Generalised advantage estimation (Schulman et al. 2016) over a step-major rollout, as in CleanRL's ppo.py.
// Buffers are [numSteps * numEnvs], step-major. dones[t] marks that the episode ended *at* step t (so the
// value after step t is not bootstrapped); lastValues are V(s_T) for the observation after the last step.

export function computeGae(
  rewards: Float32Array,
  values: Float32Array,
  dones: Uint8Array,
  lastValues: Float32Array,
  numSteps: number,
  numEnvs: number,
  gamma: number,
  lambda: number,
  advantages: Float32Array,
  returns: Float32Array,
): void {
  for (let e = 0; e < numEnvs; e++) {
    let lastGae = 0;
    for (let t = numSteps - 1; t >= 0; t--) {
      const i = t * numEnvs + e;
      const notDone = dones[i] ? 0 : 1;
      const nextValue = t === numSteps - 1 ? lastValues[e] : values[(t + 1) * numEnvs + e];
      const delta = rewards[i] + gamma * nextValue * notDone - values[i];
      lastGae = delta + gamma * lambda * notDone * lastGae;
      advantages[i] = lastGae;
      returns[i] = lastGae + values[i];
    }
  }
}
