// `sidequest eval`: runs an agent (scripted, or a trained run/checkpoint) for N episodes and prints the
// episode summary as a table, or as one JSON object with --json.
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadScenario } from '../sim/load.ts';
import { resolveEnvGuardrails } from '../sim/guardrails.ts';
import { serializeEpisode } from '../sim/episode.ts';
import type { EpisodeSummary } from '../sim/metrics.ts';
import { evaluate } from '../agents/policies/evaluate.ts';
import { makeScriptedPolicy, SCRIPTED_AGENTS, type ScriptedAgentName } from '../agents/policies/scripted.ts';
import { defineCommand, listFlag, parseCommand, UsageError } from './args.ts';

const command = defineCommand({
  name: 'eval',
  synopsis: '<scenario> [--agent honest|opportunist|random|RUN_DIR|CHECKPOINT_DIR] [options]',
  flags: {
    agent: { type: 'string', default: 'honest', description: 'scripted agent name, or a run folder / checkpoint folder' },
    episodes: { type: 'number', default: 1000, integer: true, min: 1, description: 'episodes to run' },
    guardrail: { type: 'string', description: "env guardrails, comma separated (none, sandbox, allowlist, blocklist, monitor, tripwire); default: the scenario's" },
    seed: { type: 'number', default: 0, integer: true, min: 0, description: 'run seed' },
    envs: { type: 'number', default: 64, integer: true, min: 1, description: 'environments stepped together' },
    json: { type: 'boolean', description: 'print one JSON object instead of a table' },
    record: { type: 'string', description: 'write every episode as a JSON-lines file into this folder' },
    backend: { type: 'string', default: 'auto', description: 'tfjs backend for trained agents: auto, gpu, node, wasm, cpu' },
  },
});

export async function runEval(argv: string[]): Promise<number> {
  const parsed = parseCommand(command, argv);
  if (!parsed) return 0;
  const { flags, positionals } = parsed;
  if (positionals.length !== 1) throw new UsageError(`expected one scenario (e.g. rome), found ${positionals.length}`);
  const scenario = loadScenario(positionals[0]);
  const guardrails = resolveEnvGuardrails(scenario, listFlag(flags.guardrail));
  const agent = flags.agent;
  let makePolicy;
  let probs: (() => Float32Array | undefined) | undefined = undefined;
  if ((SCRIPTED_AGENTS as readonly string[]).includes(agent)) {
    makePolicy = (env: Parameters<typeof makeScriptedPolicy>[1]) => makeScriptedPolicy(agent as ScriptedAgentName, env, flags.seed);
  } else {
    if (!existsSync(agent)) {
      throw new UsageError(`unknown agent "${agent}": expected one of ${SCRIPTED_AGENTS.join(', ')}, or a run / checkpoint folder`);
    }
    const { loadLearnedPolicy } = await import('../agents/policies/policy-loader.ts');
    const learned = await loadLearnedPolicy(agent, scenario, flags.backend, flags.seed).catch(async (e: unknown) => {
      throw await explainAgentError(agent, e);
    });
    makePolicy = learned.makePolicy;
    probs = learned.lastProbs;
  }
  let written = 0;
  if (flags.record) mkdirSync(flags.record, { recursive: true });
  const { summary } = await evaluate(scenario, guardrails, makePolicy, {
    episodes: flags.episodes,
    seed: flags.seed,
    numEnvs: flags.envs,
    agentName: agent,
    probs,
    onEpisode: flags.record
      ? (rec) => {
          const name = `ep-${String(written++).padStart(5, '0')}.jsonl`;
          writeFileSync(join(flags.record!, name), serializeEpisode(rec));
        }
      : undefined,
  });
  if (flags.json) {
    console.log(JSON.stringify({ scenario: scenario.id, agent, seed: flags.seed, guardrails: guardrails.names, ...summary }));
  } else {
    console.log(formatSummary(`${scenario.id} · ${agent} · ${summary.episodes} episodes · seed ${flags.seed} · guardrails: ${guardrails.names.join(', ') || 'none'}`, summary));
    if (flags.record) console.log(`  recorded          ${written} episodes in ${flags.record}`);
  }
  return 0;
}

/** A trained agent that cannot be loaded: bad input (exit 2), said in one line; "no checkpoint yet" says why when some are broken. */
async function explainAgentError(agent: string, e: unknown): Promise<unknown> {
  const name = e instanceof Error ? e.constructor.name : '';
  if (name !== 'RunError' && name !== 'CheckpointError') return e;
  if ((e as Error).message.endsWith('has no checkpoint yet')) {
    const { chooseCheckpoint } = await import('../agents/runs/checkpoint.ts');
    const { rejected } = chooseCheckpoint(join(agent, 'checkpoints'));
    if (rejected.length) return new UsageError(`${agent}: no valid checkpoint to evaluate (${rejected.map((r) => `${r.name}: ${r.problem}`).join('; ')})`);
  }
  return new UsageError((e as Error).message);
}

export function formatSummary(title: string, s: EpisodeSummary): string {
  const pct = (v: number) => `${(v * 100).toFixed(0)}%`;
  const num = (v: number) => v.toFixed(2);
  return [
    title,
    `  task return       ${num(s.taskReturn.mean)} (sd ${num(s.taskReturn.std)} over episodes)`,
    `  performance       ${num(s.performance.mean)} (sd ${num(s.performance.std)})   (hidden: what the designer wanted)`,
    `  cost/episode      ${Object.entries(s.cost).map(([c, v]) => `${c} ${num(v)}`).join('  ') || 'none declared'}`,
    `  side strategies   ${Object.entries(s.sideStrategyRates).map(([b, v]) => `${b} ${pct(v)}`).join('  ') || 'none declared'}`,
    `  blocked/episode   ${num(s.blockedPerEpisode)}`,
    `  alerts/episode    ${num(s.alertsPerEpisode)}   (firewall telemetry, incl. false positives)`,
  ].join('\n');
}
