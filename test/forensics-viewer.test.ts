// The viewer's Incidents view, server side and layout: the forensics routes (agents/runs/forensics-api.ts) answer
// the incidents report and a training episode as an episode file that verifies and carries the alert at the step
// the report names; they refuse what is not a served run's own regular file (symlinks out included); the
// view's layout (viewer/src/incidents.ts) puts each burst in its kind's lane at its training steps.
import { beforeAll, describe, expect, it } from 'vitest';
import { cpSync, mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadScenario } from '../sim/load.ts';
import { resolveEnvGuardrails } from '../sim/guardrails.ts';
import { parseEpisode } from '../sim/episode.ts';
import { verifyEpisode } from '../sim/replay.ts';
import { resolveArgs } from '../agents/learning/options.ts';
import { TrainingRun } from '../agents/runs/run.ts';
import { forensicsRoute } from '../agents/runs/forensics-api.ts';
import type { IncidentReport } from '../agents/runs/incidents.ts';
import { incidentsLayout, trainingEpisodeUrl } from '../viewer/src/incidents.ts';

let dir: string;
beforeAll(async () => {
  dir = join(mkdtempSync(join(tmpdir(), 'sq-forensics-viewer-')), 'run');
  const s = loadScenario('rome');
  const run = await TrainingRun.create(dir, {
    name: 'viewer-test', scenario: { id: s.id, hash: s.hash, file: s.file }, guardrails: { env: resolveEnvGuardrails(s), training: { names: [] } },
    algo: 'ppo', args: resolveArgs('ppo', { envs: 8, numSteps: 64, hidden: 16 }), net: { kind: 'mlp', hidden: 16 },
    totalSteps: 8 * 64 * 3, seed: 6, checkpointEvery: 1, evalEpisodes: 1, recordEpisodes: 0, backend: 'wasm',
    trainingEpisodes: { record: true, hashEvery: 16, keepSteps: 0 },
  });
  await run.train();
  run.dispose();
}, 120_000);

describe('the forensics routes of the viewer server', () => {
  it('incidents, then the training episode of a burst, opened at its alerting step', async () => {
    expect(await forensicsRoute('/api/runs', [dir])).toBeNull();
    expect(await forensicsRoute('/api/runs/0/file/run.json', [dir])).toBeNull();
    const r = (await forensicsRoute('/api/runs/0/incidents', [dir]))!;
    expect(r.status).toBe(200);
    expect(r.type).toBe('application/json');
    const report = JSON.parse(r.body) as IncidentReport;
    expect(report.alerts).toBeGreaterThan(0);
    const burst = report.bursts.find((b) => b.kind !== 'falsePositive' && b.episodes.some((e) => e.episodeSteps))!;
    const ep = burst.episodes.find((e) => e.episodeSteps)!;
    const url = trainingEpisodeUrl(0, ep.env, ep.episode);
    const t = (await forensicsRoute(`/${url}`, [dir]))!;
    expect(t.status, t.body).toBe(200);
    const rec = parseEpisode(t.body, url);
    expect(verifyEpisode(rec).ok).toBe(true);
    expect((rec.steps[ep.episodeSteps![0] - 1].al ?? []).map((a) => a[0])).toContain(burst.kind); // step k is t = k - 1
    expect(rec.header.meta.probabilities).toMatch(/not computed by the viewer server/);
  });

  it('refuses other runs, missing episodes and files that are not the run folder\'s own', async () => {
    expect((await forensicsRoute('/api/runs/3/incidents', [dir]))!.status).toBe(404);
    const missing = (await forensicsRoute('/api/runs/0/training/0/9999.jsonl', [dir]))!;
    expect(missing.status).toBe(422);
    expect(missing.body).toMatch(/not among the recorded training episodes/);
    const d = join(mkdtempSync(join(tmpdir(), 'sq-forensics-viewer-')), 'run');
    cpSync(dir, d, { recursive: true });
    rmSync(join(d, 'telemetry.jsonl'));
    symlinkSync('/etc/passwd', join(d, 'telemetry.jsonl'));
    expect((await forensicsRoute('/api/runs/0/incidents', [d]))!.status).toBe(404);
    rmSync(join(d, 'run.json'));
    symlinkSync(join(dir, 'run.json'), join(d, 'run.json')); // a real run.json, but outside this folder
    expect((await forensicsRoute('/api/runs/0/training/0/0.jsonl', [d]))!.status).toBe(404);
    expect((await forensicsRoute('/api/runs/0/training/x/0.jsonl', [d]))).toBeNull();
  });
});

describe('through sidequest view', () => {
  it('the server answers the routes for its served folders only', async () => {
    const { startViewServer } = await import('../cli/view.ts');
    const server = await startViewServer([dir], { port: 0, host: '127.0.0.1' });
    try {
      const r = await fetch(`${server.url}api/runs/0/incidents`);
      expect(r.status).toBe(200);
      expect(r.headers.get('content-security-policy')).toBeTruthy();
      expect(((await r.json()) as IncidentReport).alerts).toBeGreaterThan(0);
      expect((await fetch(`${server.url}api/runs/1/incidents`)).status).toBe(404);
      expect((await fetch(`${server.url}api/runs/0/training/0/99999.jsonl`)).status).toBe(422);
    } finally {
      await server.close();
    }
  });
});

describe('the Incidents view layout', () => {
  const burst = (kind: string, firstStep: number, lastStep: number, rank: number) => ({
    rank, kind, declared: true, firstStep, lastStep, alerts: 3, windowSteps: 100, expectedFalsePositives: 0.2, pNoise: 0.001, likelyNoise: false,
    labelledFalsePositives: 0, episodeCount: 1, episodes: [],
  });
  const report: IncidentReport = {
    run: 'r', scenario: 'rome', numEnvs: 4, gap: 100, falsePositiveRate: 0.002, sees: { portProbed: 0.6, tunnelOpened: 0.9 }, alerts: 9, trainingSteps: 1000,
    expectedFalsePositivesOverall: 2, labelledFalsePositivesOverall: 3,
    bursts: [burst('tunnelOpened', 500, 749, 1), burst('falsePositive', 0, 999, 3), burst('portProbed', 100, 100, 2)],
  };
  it('one lane per kind in the scenario\'s order, false positives last; bursts placed by training step', () => {
    const l = incidentsLayout(report, 400);
    expect(l.lanes).toEqual(['portProbed', 'tunnelOpened', 'falsePositive']);
    const at = (k: string) => l.marks.find((m) => m.burst.kind === k)!;
    expect([at('tunnelOpened').lane, at('tunnelOpened').x, at('tunnelOpened').w]).toEqual([1, 200, 100]);
    expect([at('falsePositive').lane, at('falsePositive').x, at('falsePositive').w]).toEqual([2, 0, 400]);
    expect([at('portProbed').x, at('portProbed').w]).toEqual([40, 3]); // one step: the minimum width
  });
});
