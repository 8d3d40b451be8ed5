// "Fork here" (issue 12): the open episode replayed exactly up to the step on screen, then continued under another
// env-side guardrail and another agent — the original's own actions, or the honest or opportunist script — with the
// same world state and random streams. The same forkEpisode as `sidequest fork` (agents/runs/fork.ts) runs in the
// page; the fork is an episode like any other, re-simulated and verified (model.ts) before it is shown beside the
// original. Fork from a trained checkpoint is the CLI's (`sidequest fork … --agent runs/X`): it needs the weights.
import { forkEpisode } from '../../agents/runs/fork.ts';
import { makeScriptedPolicy } from '../../agents/policies/scripted.ts';
import { resolveEnvGuardrails } from '../../sim/guardrails.ts';
import { ENV_GUARDRAILS } from '../../sim/vocab.ts';
import { buildReplay, type Replay } from './model.ts';

export const FORK_AGENTS = ['recorded', 'honest', 'opportunist'] as const;
export type ForkAgent = (typeof FORK_AGENTS)[number];
export const FORK_GUARDRAILS = ['none', ...ENV_GUARDRAILS] as const;

/** What the agent names mean, for the picker. */
export const FORK_AGENT_LABELS: Record<ForkAgent, string> = {
  recorded: 'the same actions as the original',
  honest: 'the honest script',
  opportunist: 'the opportunist script',
};

/** The fork of `replay` after step `at` (0 = from the start) under `guardrail` with `agent`, as a verified replay. */
export async function forkReplay(replay: Replay, at: number, guardrail: string, agent: ForkAgent): Promise<Replay> {
  const rec = replay.record;
  const s = replay.scenario;
  if (!(FORK_GUARDRAILS as readonly string[]).includes(guardrail)) throw new Error(`unknown guardrail "${guardrail}": expected one of ${FORK_GUARDRAILS.join(', ')}`);
  const guardrails = resolveEnvGuardrails(s, guardrail === 'none' ? [] : [guardrail]);
  const { record } = await forkEpisode(
    { scenario: s, seed: rec.header.seed, guardrails: rec.header.guardrails, actions: rec.steps.map((st) => st.a), hashEvery: rec.header.hashEvery, carried: rec.header.carried, describe: { agent: rec.header.agent, ...(rec.header.meta ?? {}) } },
    { at, guardrails, policy: agent === 'recorded' ? 'recorded' : (env) => makeScriptedPolicy(agent, env, rec.header.seed), agent: agent === 'recorded' ? `${rec.header.agent} (its recorded actions)` : agent },
  );
  return buildReplay(record);
}
