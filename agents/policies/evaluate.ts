// Runs a policy for an exact number of episodes over a batched env and summarises them (sim/metrics.ts).
// Each env contributes a fixed quota of episodes, so the set does not favour short episodes.
import { BatchEnv } from '../../sim/engine.ts';
import type { EnvGuardrailConfig } from '../../sim/guardrails.ts';
import { EpisodeStats, type EpisodeSummary } from '../../sim/metrics.ts';
import { EpisodeRecorder } from '../../sim/record.ts';
import type { EpisodeRecord } from '../../sim/episode.ts';
import type { Scenario } from '../../sim/scenario.ts';
import type { BatchPolicy } from './scripted.ts';

export interface EvaluateOptions {
  episodes: number;
  seed: number;
  numEnvs?: number;
  /** Receives every finished episode's record (recording costs time; leave unset for speed). */
  onEpisode?: (rec: EpisodeRecord) => void;
  agentName?: string;
  /** Action probabilities of the last act(), [numEnvs * NUM_ACTIONS], recorded when present. */
  probs?: () => Float32Array | undefined;
}

export interface Evaluation {
  summary: EpisodeSummary;
  stats: EpisodeStats;
}

export async function evaluate(
  scenario: Scenario,
  guardrails: EnvGuardrailConfig,
  makePolicy: (env: BatchEnv) => BatchPolicy,
  opts: EvaluateOptions,
): Promise<Evaluation> {
  const numEnvs = Math.max(1, Math.min(opts.numEnvs ?? 64, opts.episodes));
  const env = new BatchEnv(scenario, { numEnvs, guardrails });
  env.reset({ seed: opts.seed });
  const policy = makePolicy(env);
  const quota = Int32Array.from({ length: numEnvs }, (_, i) => Math.floor(opts.episodes / numEnvs) + (i < opts.episodes % numEnvs ? 1 : 0));
  const stats = new EpisodeStats(scenario);
  const actions = new Uint8Array(numEnvs);
  const counted = new Int32Array(numEnvs);
  let recorder: EpisodeRecorder | undefined;
  if (opts.onEpisode) {
    const sink = opts.onEpisode;
    recorder = new EpisodeRecorder(
      env,
      { agent: opts.agentName ?? policy.name, meta: (envIndex, episode) => ({ env: envIndex, episode }) },
      (rec) => {
        // only the episodes inside each env's quota belong to this evaluation
        if (Number(rec.header.meta.episode) < quota[Number(rec.header.meta.env)]) sink(rec);
      },
    );
  }
  let remaining = opts.episodes;
  while (remaining > 0) {
    await policy.act(env, actions);
    recorder?.before(actions, opts.probs?.());
    env.step(actions);
    for (let i = 0; i < numEnvs; i++) {
      if ((env.terminated[i] || env.truncated[i]) && counted[i] < quota[i]) {
        stats.addFinal(env, i);
        counted[i]++;
        remaining--;
      }
    }
    recorder?.after();
  }
  return { summary: stats.summary(), stats };
}
