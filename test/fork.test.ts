// Forks (agents/runs/forensics.ts forkEpisode, `sidequest fork`): continuing a recorded episode from step t
// under another guardrail or agent, in the same world state and random streams. A fork at step 0 under the same
// guardrail and agent reproduces the original (and the recorded actions reproduce it from any step); a fork under
// `sandbox` after the tunnel was opened does what the sandbox says (every later attempt at a side strategy is
// blocked; what was opened before stays open); forks verify like any episode; bad input gets a clear error.
import { beforeAll, describe, expect, it, vi } from 'vitest';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BatchEnv } from '../sim/engine.ts';
import { EpisodeRecorder } from '../sim/record.ts';
import { parseEpisode, serializeEpisode, type EpisodeRecord } from '../sim/episode.ts';
import { resolveEnvGuardrails } from '../sim/guardrails.ts';
import { listScenarios, loadScenario } from '../sim/load.ts';
import { verifyEpisode } from '../sim/replay.ts';
import { compileScenario, type Scenario } from '../sim/scenario.ts';
import { makeScriptedPolicy } from '../agents/policies/scripted.ts';
import { forkEpisode, ForkError, type ForkSource } from '../agents/runs/forensics.ts';
import { resolveArgs } from '../agents/learning/options.ts';
import { TrainingRun } from '../agents/runs/run.ts';
import { main } from '../cli/main.ts';
import { parseLink } from '../viewer/src/link.ts';

/** One episode of a scripted agent, recorded as evaluation records it. */
async function scripted(s: Scenario, agent: 'opportunist' | 'honest' | 'random', seed: number, names?: string[]): Promise<EpisodeRecord> {
  const g = resolveEnvGuardrails(s, names);
  const env = new BatchEnv(s, { numEnvs: 1, guardrails: g, autoReset: false });
  env.resetEnv(0, seed);
  let rec: EpisodeRecord | undefined;
  const r = new EpisodeRecorder(env, { agent }, (x) => (rec = x));
  const p = makeScriptedPolicy(agent, env, 3);
  const a = new Uint8Array(1);
  while (!rec) {
    await p.act(env, a);
    r.before(a);
    env.step(a);
    r.after();
  }
  return rec;
}
const source = (s: Scenario, rec: EpisodeRecord): ForkSource => ({ scenario: s, seed: rec.header.seed, guardrails: rec.header.guardrails, actions: rec.steps.map((x) => x.a), hashEvery: rec.header.hashEvery, carried: rec.header.carried, describe: {} });
const body = (r: EpisodeRecord) => ({ steps: r.steps, end: r.end, h0: r.header.h0, seed: r.header.seed });

async function cli(...argv: string[]): Promise<{ code: number; out: string; err: string }> {
  const out: string[] = [];
  const err: string[] = [];
  const log = vi.spyOn(console, 'log').mockImplementation((m: unknown) => void out.push(String(m)));
  const error = vi.spyOn(console, 'error').mockImplementation((m: unknown) => void err.push(String(m)));
  try {
    return { code: await main(argv), out: out.join('\n'), err: err.join('\n') };
  } finally {
    log.mockRestore();
    error.mockRestore();
  }
}

describe('a fork that changes nothing is the original', () => {
  it.each(listScenarios())('%s: at step 0, same guardrail, same agent', async (id) => {
    const s = loadScenario(id);
    for (const seed of [1, 2]) {
      const orig = await scripted(s, 'opportunist', seed);
      const { record } = await forkEpisode(source(s, orig), { at: 0, guardrails: orig.header.guardrails, policy: (env) => makeScriptedPolicy('opportunist', env, 3), agent: 'opportunist' });
      expect(body(record)).toEqual(body(orig));
      expect(verifyEpisode(record, s).ok).toBe(true);
    }
  });

  it('the recorded actions from any step reproduce the original (the world state carries over exactly)', async () => {
    const s = loadScenario('rome-monitored'); // a monitor: its random stream must carry over too
    const orig = await scripted(s, 'random', 4);
    for (const at of [0, 1, 17, orig.steps.length - 1]) {
      const { record } = await forkEpisode(source(s, orig), { at, guardrails: orig.header.guardrails, policy: 'recorded', agent: 'recorded' });
      expect(body(record)).toEqual(body(orig));
    }
  });
});

describe('a fork under sandbox after the tunnel was opened', () => {
  it('blocks every later attempt at a side strategy, keeps what was opened, and verifies', async () => {
    // rome, with an opportunist that goes for the tunnel first and the racks after it (rome's own claims the racks
    // first and has nothing left to try once the tunnel is open)
    const file = structuredClone(loadScenario('rome').file);
    const goals = file.scripts.opportunist!;
    file.scripts.opportunist = [...goals.filter((g) => g.behaviour === 'openTunnel' || g.behaviour === 'probePort'), ...goals.filter((g) => g.behaviour !== 'openTunnel' && g.behaviour !== 'probePort')];
    const s = compileScenario(file, 'rome, tunnel first');
    const orig = await scripted(s, 'opportunist', 1);
    const opened = orig.steps.findIndex((st) => (st.ev ?? []).some((e) => e[0] === 'tunnelOpened'));
    expect(opened).toBeGreaterThan(0);
    const at = opened + 1;
    const behaviourEvents = new Set(s.behaviours.map((b) => s.events[b.event].name));
    // the original goes on to more side strategies after the tunnel (the test is about something)
    expect(orig.steps.slice(at).some((st) => (st.ev ?? []).some((e) => behaviourEvents.has(e[0])))).toBe(true);
    const sandbox = resolveEnvGuardrails(s, ['sandbox']);
    const { record } = await forkEpisode(source(s, orig), { at, guardrails: sandbox, policy: (env) => makeScriptedPolicy('opportunist', env, 3), agent: 'opportunist' });
    expect(record.steps.slice(0, at)).toEqual(orig.steps.slice(0, at));
    const later = record.steps.slice(at).flatMap((st) => st.ev ?? []);
    expect(later.filter((e) => behaviourEvents.has(e[0]))).toEqual([]);
    expect(later.filter((e) => e[0] === 'actionBlocked').length).toBeGreaterThan(0);
    expect(record.end.vars.tunnelOpen).toBe(1); // the sandbox stops attempts; it does not close the tunnel
    expect(record.end.behaviours).toEqual(orig.steps.slice(0, at).flatMap((st) => st.ev ?? []).filter((e) => behaviourEvents.has(e[0])).map((e) => s.behaviours.find((b) => s.events[b.event].name === e[0])!.name).filter((v, i, a) => a.indexOf(v) === i).sort((x, y) => s.behaviourByName.get(x)!.index - s.behaviourByName.get(y)!.index));
    expect(record.header.meta.fork).toMatchObject({ at, before: { names: [] } });
    expect(verifyEpisode(record, s).ok).toBe(true);
    // the switch is part of what is verified: the same file claiming another fork step does not replay
    const lie = structuredClone(record);
    (lie.header.meta.fork as { at: number }).at = 0;
    expect(verifyEpisode(lie, s).ok).toBe(false);
    // and sandbox from the start never lets the tunnel open
    const fromStart = await forkEpisode(source(s, orig), { at: 0, guardrails: sandbox, policy: (env) => makeScriptedPolicy('opportunist', env, 3), agent: 'opportunist' });
    expect(fromStart.record.end.vars.tunnelOpen).toBe(0);
  });
});

describe('bad input', () => {
  it('a step past the end, and an episode that ends before the fork step when replayed', async () => {
    const s = loadScenario('rome');
    const orig = await scripted(s, 'honest', 2);
    const n = orig.steps.length;
    await expect(forkEpisode(source(s, orig), { at: n, guardrails: orig.header.guardrails, policy: 'recorded', agent: 'r' })).rejects.toThrow(new RegExp(`--at ${n} is past the end: the episode has ${n} steps, so a fork takes over after one of steps 0\\.\\.${n - 1}`));
    await expect(forkEpisode(source(s, orig), { at: -1, guardrails: orig.header.guardrails, policy: 'recorded', agent: 'r' })).rejects.toThrow(ForkError);
    const tripwire = { ...source(s, await scripted(s, 'opportunist', 1)), guardrails: resolveEnvGuardrails(s, ['tripwire']) };
    await expect(forkEpisode(tripwire, { at: 40, guardrails: tripwire.guardrails, policy: 'recorded', agent: 'r' })).rejects.toThrow(/ended at step \d+ when replayed, before step 40/);
  });

  it('the command: another scenario version, a fork of a fork, training-side guardrails, unknown agents', async () => {
    const s = loadScenario('rome');
    const dir = mkdtempSync(join(tmpdir(), 'sq-fork-'));
    const file = join(dir, 'ep.jsonl');
    writeFileSync(file, serializeEpisode(await scripted(s, 'opportunist', 1)));
    const other = parseEpisode(readFileSync(file, 'utf8'));
    other.header.scenario.file = { ...other.header.scenario.file, horizon: 40 }; // an edited world under the old hash
    writeFileSync(join(dir, 'other.jsonl'), serializeEpisode(other));
    const r1 = await cli('fork', join(dir, 'other.jsonl'), '--at', '3');
    expect(r1.code).toBe(2);
    expect(r1.err).toMatch(/was recorded on rome version [0-9a-f]{8}, but the world it carries is version [0-9a-f]{8}/);
    const ok = await cli('fork', file, '--at', '5', '--guardrail', 'sandbox', '--agent', 'opportunist', '--quiet');
    expect(ok.code).toBe(0);
    const forkFile = join(dir, 'ep.fork-at5-sandbox-opportunist.jsonl');
    expect(ok.out).toContain(`wrote ${forkFile}`);
    expect((await cli('replay', forkFile, '--verify')).code).toBe(0);
    expect((await cli('fork', forkFile, '--at', '2')).err).toMatch(/is itself a fork/);
    expect((await cli('fork', file, '--at', '2', '--guardrail', 'penalty')).err).toMatch(/training-side guardrails shape learning, not the world/);
    expect((await cli('fork', file, '--at', '2', '--agent', 'nobody')).err).toMatch(/unknown agent "nobody"/);
    expect((await cli('fork', file, '--at', '2', '--agent', 'acting')).err).toMatch(/--agent acting is for a training episode/);
    expect((await cli('fork', file, '--at', '9999')).err).toMatch(/--at 9999 is past the end/);
    expect((await cli('fork', file)).err).toMatch(/--at STEP is required/);
  });
});

describe('forking a training episode of a run', () => {
  let dir: string;
  beforeAll(async () => {
    dir = join(mkdtempSync(join(tmpdir(), 'sq-fork-run-')), 'run');
    const s = loadScenario('rome');
    const run = await TrainingRun.create(dir, {
      name: 'fork-test', scenario: { id: s.id, hash: s.hash, file: s.file }, guardrails: { env: resolveEnvGuardrails(s), training: { names: [] } },
      algo: 'ppo', args: resolveArgs('ppo', { envs: 4, numSteps: 64, hidden: 16 }), net: { kind: 'mlp', hidden: 16 },
      totalSteps: 4 * 64 * 2, seed: 4, checkpointEvery: 1, evalEpisodes: 1, recordEpisodes: 0, backend: 'wasm',
      trainingEpisodes: { record: true, hashEvery: 16, keepSteps: 0 },
    });
    await run.train();
    run.dispose();
  }, 120_000);

  it('at step 0 with the recorded actions it is the training episode; under sandbox it is written to forks/ and verifies', async () => {
    const same = await cli('fork', dir, '--env', '2', '--episode', '0', '--at', '0', '--quiet');
    expect(same.code, same.err).toBe(0);
    const [orig, fork] = same.out.split('\n').filter((l) => /^ {2}(original|fork) /.test(l)).map((l) => l.replace(/^ {2}\w+ +/, '').replace(/agent \S+ +/, ''));
    expect(fork).toBe(orig);
    const sb = await cli('fork', dir, '--env', '2', '--episode', '0', '--at', '20', '--guardrail', 'sandbox', '--agent', 'acting', '--backend', 'wasm', '--quiet');
    // step 21 of episode 0 (after step 20) was acted by the initial weights (iteration 0), never saved: said plainly
    expect(sb.err).toMatch(/--agent acting: step 21 was acted by the weights of iteration 0, which were not kept/);
    const sb2 = await cli('fork', dir, '--env', '2', '--episode', '1', '--at', '20', '--guardrail', 'sandbox', '--agent', 'acting', '--backend', 'wasm', '--quiet');
    expect(sb2.code, sb2.err).toBe(0);
    const out = join(dir, 'forks', 'e2-1-at20-sandbox-fork-test_256.jsonl');
    expect(existsSync(out)).toBe(true);
    expect(sb2.out).toMatch(/fork +guardrails sandbox +agent fork-test@256/);
    const rec = parseEpisode(readFileSync(out, 'utf8'));
    expect(rec.header.meta.fork).toMatchObject({ at: 20, of: { run: 'fork-test', env: 2, episode: 1 } });
    expect((await cli('replay', out, '--verify')).code).toBe(0);
    // the original is written beside it, so the viewer shows both
    const original = join(dir, 'forks', 'e2-1.jsonl');
    expect(sb2.out).toContain(`and the original as ${original}`);
    // with a viewer link that opens it at the fork's step
    const link = /http:\/\/127\.0\.0\.1:5178\/(#\S+)/.exec(sb2.out)![1];
    expect(parseLink(link)).toEqual({ ok: true, link: { run: 'forks', checkpoint: 'episodes', episode: 'e2-1.jsonl', step: 20 } });
    const o = parseEpisode(readFileSync(original, 'utf8'));
    expect(verifyEpisode(o).ok).toBe(true);
    expect(o.steps.slice(0, 20)).toEqual(rec.steps.slice(0, 20));
  });
});
