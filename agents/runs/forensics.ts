// Incident forensics on recorded episodes: re-simulating a training episode from its compact record
// (training-episodes.ts) into a full sidequest-episode/2 record, checked against every hash and tally training
// recorded; which checkpoint acted at each of its steps and whether it was kept; and forks — continuing a
// recorded episode after its step `at` under other guardrails or another agent, in the same world state and random
// streams. Everything is re-simulated from the episode's start (exact, no stored snapshot): the first `at`
// actions replay as recorded under the original guardrails, then the engine's own snapshot moves that
// state into an env with the fork's guardrails.
import { existsSync, lstatSync } from 'node:fs';
import { join } from 'node:path';
import { BatchEnv } from '../../sim/engine.ts';
import { observationSpec } from '../../sim/observation.ts';
import { compileScenario } from '../../sim/scenario.ts';
import { EPISODE_FORMAT, type EpisodeHeader, type EpisodeRecord, type EpisodeStep } from '../../sim/episode.ts';
import type { EnvGuardrailConfig } from '../../sim/guardrails.ts';
import { endRecord, stepRecord } from '../../sim/record.ts';
import type { Divergence } from '../../sim/replay.ts';
import type { Scenario } from '../../sim/scenario.ts';
import { NUM_ACTIONS } from '../../sim/vocab.ts';
import { selectBackend, type BackendRequest } from '../learning/backend.ts';
import { featurize } from '../learning/features.ts';
import { makeActorCritic, type ActorCritic } from '../learning/network.ts';
import { policyStep } from '../learning/rollout.ts';
import { loadCheckpoint } from './checkpoint.ts';
import { readRunConfig, RunError, stepName, type RunConfig } from './run.ts';
import { findTrainingEpisode, globalStepOf, type FoundEpisode } from './training-episodes.ts';

export { ForkError } from './fork.ts';

const hex = (h: number) => (h >>> 0).toString(16).padStart(8, '0');

/** Which checkpoint acted over which steps of a training episode, and whether it is kept in the run folder. */
export interface ActingCheckpoint {
  /** Steps [from, to] of the episode (inclusive). */
  from: number;
  to: number;
  iteration: number;
  /** The checkpoint holding the weights that acted (the one saved at the start of that iteration). */
  checkpoint: string;
  kept: boolean;
  path: string;
}

/**
 * The weights acting during iteration k are those after k updates, i.e. the checkpoint written at step
 * k * stepsPerIteration, when one was (every checkpointEvery iterations; none holds the initial weights).
 */
export function actingCheckpoints(runDir: string, found: FoundEpisode): ActingCheckpoint[] {
  const { episode: ep, header } = found;
  const out: ActingCheckpoint[] = [];
  const spi = header.numSteps * header.numEnvs;
  for (let t = 0; t < ep.length; ) {
    const iteration = Math.floor((ep.startTick + t) / header.numSteps);
    const last = Math.min(ep.length - 1, (iteration + 1) * header.numSteps - 1 - ep.startTick);
    const checkpoint = stepName(iteration * spi);
    const path = join(runDir, 'checkpoints', checkpoint);
    const kept = iteration > 0 && existsSync(join(path, 'checkpoint.json')) && lstatSync(join(path, 'checkpoint.json')).isFile();
    out.push({ from: t, to: last, iteration, checkpoint, kept, path });
    t = last + 1;
  }
  return out;
}

/**
 * The probabilities the acting checkpoints give before each step (undefined for steps whose weights were not
 * kept). Loads each kept checkpoint once; call dispose() after.
 */
export async function checkpointProbs(
  config: RunConfig,
  scenario: Scenario,
  acting: readonly ActingCheckpoint[],
  backend: BackendRequest = 'auto',
): Promise<{ probs: (t: number, env: BatchEnv) => Promise<Float32Array | undefined>; dispose: () => void }> {
  const nets = new Map<string, ActorCritic>();
  if (acting.some((a) => a.kept)) await selectBackend(backend);
  const spec = observationSpec(scenario);
  for (const a of acting) {
    if (!a.kept || nets.has(a.checkpoint)) continue;
    const net = makeActorCritic(spec, config.net, config.seed);
    await loadCheckpoint(a.path, net);
    nets.set(a.checkpoint, net);
  }
  const x = new Float32Array(spec.flatSize);
  return {
    probs: async (t, env) => {
      const a = acting.find((c) => t >= c.from && t <= c.to);
      const net = a && nets.get(a.checkpoint);
      if (!net) return undefined;
      featurize(spec, env.obs, env.scalars, 1, x);
      return (await policyStep(net, x, 1)).probs.slice(0, NUM_ACTIONS);
    },
    dispose: () => {
      for (const n of nets.values()) n.dispose();
    },
  };
}

/** A run folder's recorded training episode, with the run's config and the world it ran in. */
export interface OpenedTrainingEpisode {
  config: RunConfig;
  scenario: Scenario;
  guardrails: EnvGuardrailConfig;
  found: FoundEpisode;
  acting: ActingCheckpoint[];
}

/** Opens env `env`'s episode `index` of the run in `runDir`, checking it against the run's world. */
export function openTrainingEpisode(runDir: string, env: number, index: number): OpenedTrainingEpisode {
  const config = readRunConfig(runDir);
  let scenario: Scenario;
  try {
    scenario = compileScenario(config.scenario.file, `${config.scenario.id} (from ${runDir}/run.json)`);
  } catch (e) {
    throw new RunError(`${runDir}: the scenario in run.json does not compile: ${(e as Error).message}`);
  }
  if (!config.trainingEpisodes?.record) throw new RunError(`${runDir}: this run did not record its training episodes (trained before recording existed, or with --no-record-training)`);
  const numEnvs = config.args?.envs;
  if (!Number.isInteger(env) || env < 0 || (Number.isInteger(numEnvs) && env >= numEnvs)) throw new RunError(`--env: expected an env of the run (0..${Number(numEnvs) - 1}), found ${env}`);
  if (!Number.isInteger(index) || index < 0) throw new RunError(`--episode: expected an episode index (0 or more), found ${index}`);
  const found = findTrainingEpisode(runDir, scenario, env, index);
  if (found.header.scenario.hash !== scenario.hash) {
    throw new RunError(`${found.file} was recorded on ${found.header.scenario.id} version ${found.header.scenario.hash}, but ${runDir}/run.json holds version ${scenario.hash}: it cannot be replayed in another version of the world`);
  }
  if (JSON.stringify(found.header.guardrails) !== JSON.stringify(config.guardrails.env)) {
    throw new RunError(`${found.file} records guardrails ${JSON.stringify(found.header.guardrails).slice(0, 120)}, run.json ${JSON.stringify(config.guardrails.env).slice(0, 120)}: the run folder is inconsistent`);
  }
  return { config, scenario, guardrails: config.guardrails.env, found, acting: actingCheckpoints(runDir, found) };
}

/** A telemetry alert's training episode and the step within it, or why it cannot be replayed. */
export function locateAlert(
  runDir: string,
  scenario: Scenario,
  alert: { step: number; env: number; episode: number },
): { found: FoundEpisode; t: number } | { problem: string } {
  try {
    const found = findTrainingEpisode(runDir, scenario, alert.env, alert.episode);
    const t = Math.floor(alert.step / found.header.numEnvs) - found.episode.startTick;
    if (t < 0 || t >= found.episode.length) return { problem: `the alert's step ${alert.step} falls outside the recorded episode` };
    return { found, t };
  } catch (e) {
    return { problem: (e as Error).message };
  }
}

export interface Resimulation {
  ok: boolean;
  divergence?: Divergence;
  /** The full record (present when the replay reached the episode's end). */
  record?: EpisodeRecord;
  /** Global env step of each episode step (as telemetry.jsonl stamps alerts). */
  globalSteps: number[];
}

/**
 * Re-simulates a recorded training episode. `probs(t, env)` may give the policy's action probabilities before
 * step t (for the record's `p`); the result says where the replay first differs from what training recorded.
 */
export async function resimulateTraining(
  scenario: Scenario,
  guardrails: EnvGuardrailConfig,
  found: FoundEpisode,
  opts: { agent: string; meta: Record<string, unknown>; probs?: (t: number, env: BatchEnv) => Promise<Float32Array | undefined> },
): Promise<Resimulation> {
  const { episode: ep, header } = found;
  const globalSteps = Array.from({ length: ep.length }, (_, t) => globalStepOf(ep, header.numEnvs, t));
  const fail = (step: number, what: string, expected: unknown, foundV: unknown): Resimulation => ({
    ok: false, globalSteps, divergence: { step, what, expected: String(expected), found: String(foundV) },
  });
  if (scenario.hash !== header.scenario.hash) return fail(-1, 'scenario hash (the run records another version of the world)', header.scenario.hash, scenario.hash);
  // the carried variables (an adaptive adversary's estimates) the episode started from, as the segment lists them
  const carriedNames = scenario.variables.filter((v) => v.carry).map((v) => v.name);
  if (JSON.stringify(header.carried ?? []) !== JSON.stringify(carriedNames)) {
    return fail(-1, `carried variables (${scenario.id} carries them across episodes; the segment lists those it recorded at each start)`, carriedNames.join(', ') || 'none', header.carried?.join(', ') || 'none');
  }
  const env = new BatchEnv(scenario, { numEnvs: 1, guardrails, autoReset: false });
  env.resetEnv(0, ep.seed, carriedNames.length ? ep.carried : undefined);
  if (env.stateHash32(0) !== ep.h0) return fail(-1, 'layout hash', hex(ep.h0), hex(env.stateHash32(0)));
  const he = header.hashEvery;
  const steps: EpisodeStep[] = [];
  const actions = new Uint8Array(1);
  for (let t = 0; t < ep.length; t++) {
    const p = opts.probs ? await opts.probs(t, env) : undefined;
    actions[0] = ep.actions[t];
    env.step(actions);
    steps.push(stepRecord(env, 0, t, actions[0], he, p));
    const ended = env.terminated[0] === 1 || env.truncated[0] === 1;
    const last = t === ep.length - 1;
    if (ended !== last) return fail(t, 'episode end', last ? 'ended' : 'running', ended ? 'ended' : 'running');
    if (!ended && (t + 1) % he === 0) {
      const want = ep.hashes[(t + 1) / he - 1];
      if (env.stateHash32(0) !== want) return fail(t, 'state hash', hex(want), hex(env.stateHash32(0)));
    }
  }
  const t = ep.length - 1;
  if (env.endReason[0] !== ep.reason) return fail(t, 'termination reason', scenario.endReasons[ep.reason], scenario.endReasons[env.endReason[0]]);
  if (env.final.return[0] !== ep.return) return fail(t, 'episode return', ep.return, env.final.return[0]);
  if ((env.final.behaviours[0] >>> 0) !== ep.behaviours) return fail(t, 'side strategies (bit mask)', ep.behaviours, env.final.behaviours[0] >>> 0);
  if (env.final.alerts[0] !== ep.alerts) return fail(t, 'firewall alerts', ep.alerts, env.final.alerts[0]);
  const end = endRecord(env, 0, steps.length, env.final.vars.subarray(0, env.numVars));
  const h: EpisodeHeader = {
    type: 'header', format: EPISODE_FORMAT, scenario: { id: scenario.id, hash: scenario.hash, file: scenario.file }, seed: ep.seed,
    guardrails: structuredClone(guardrails) as EpisodeHeader['guardrails'], agent: opts.agent, hashEvery: he, meta: opts.meta, h0: hex(ep.h0),
    ...(carriedNames.length ? { carried: Object.fromEntries(carriedNames.map((n, k) => [n, ep.carried[k]])) } : {}),
  };
  return { ok: true, globalSteps, record: { header: h, steps, end } };
}

export { forkEpisode, type ForkOptions, type ForkResult, type ForkSource } from './fork.ts';
