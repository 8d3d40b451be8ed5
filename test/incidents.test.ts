// `sidequest incidents RUN` (agents/runs/incidents.ts, cli/incidents.ts): alert bursts grouped per kind on a run
// folder whose telemetry has known alert times, checked against a grouping computed by hand (below), including
// the false-positive estimate from the scenario's stated rate and the Poisson tail; the episode steps come from
// the recorded episodes' start ticks; hostile telemetry gets a line naming the row.
import { describe, expect, it, vi } from 'vitest';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadScenario } from '../sim/load.ts';
import { compileScenario } from '../sim/scenario.ts';
import { groupIncidents, poissonTail, readTelemetry, type IncidentReport } from '../agents/runs/incidents.ts';
import { main } from '../cli/main.ts';

// rome's world with a false-positive rate of 0.01 per env step (round numbers for the hand computation)
const base = loadScenario('rome');
const file = structuredClone(base.file);
file.telemetry.firewall.falsePositiveRate = 0.01;
const scenario = compileScenario(file, 'incidents-test');

// 4 envs: global step = tick * 4 + env, so env = step % 4
const at = (step: number, source: string, episode: number) => ({ step, env: step % 4, episode, episodeSeed: 1000 + episode, source, x: 1, y: 2 });
const ALERTS = [
  at(20, 'falsePositive', 0), at(90, 'falsePositive', 0), at(150, 'falsePositive', 1),
  at(300, 'portProbed', 0), at(700, 'portProbed', 2),
  at(1000, 'tunnelOpened', 2), at(1010, 'tunnelOpened', 3), at(1048, 'tunnelOpened', 2), at(1148, 'tunnelOpened', 2),
  at(1249, 'tunnelOpened', 4), at(1253, 'tunnelOpened', 4), at(1257, 'tunnelOpened', 4), at(1261, 'tunnelOpened', 4),
  at(1265, 'tunnelOpened', 4), at(1269, 'tunnelOpened', 4), at(1250, 'tunnelOpened', 4),
];
// By hand, with gap 100:
//   tunnelOpened 1000, 1010, 1048, 1148 (gaps 10, 38, 100 ≤ 100): burst A, 4 alerts, window max(149, 100) = 149 steps,
//     expected false positives 0.01 × 149 = 1.49, P(Poisson(1.49) ≥ 4) = 1 − e^−1.49 (1 + 1.49 + 1.49²/2 + 1.49³/6) = 0.064394
//     episodes: env 0 episode 2 (1000, 1048, 1148), env 2 episode 3 (1010)
//   tunnelOpened 1249…1269 (1249 − 1148 = 101 > 100 starts it): burst B, 7 alerts in 21 steps, window 100, expected 1.0,
//     P(Poisson(1) ≥ 7) = 8.3241e-5; episodes env 1 episode 4 (6 alerts), env 2 episode 4 (1250)
//   portProbed 300 and 700 (gap 400): two bursts of 1 alert, window 100, expected 1.0, P(≥ 1) = 1 − e^−1 = 0.632121
//   falsePositive 20, 90, 150 (gaps 70, 60): one burst, 3 alerts, window 131, expected 1.31
// Ranked: B, A, portProbed@300, portProbed@700, then falsePositive (the noise floor) last.
const HAND = [
  { kind: 'tunnelOpened', firstStep: 1249, lastStep: 1269, alerts: 7, windowSteps: 100, expected: 1.0, p: 8.324114928803805e-5, noise: false },
  { kind: 'tunnelOpened', firstStep: 1000, lastStep: 1148, alerts: 4, windowSteps: 149, expected: 1.49, p: 0.06439362967207174, noise: true },
  { kind: 'portProbed', firstStep: 300, lastStep: 300, alerts: 1, windowSteps: 100, expected: 1.0, p: 0.6321205588285577, noise: true },
  { kind: 'portProbed', firstStep: 700, lastStep: 700, alerts: 1, windowSteps: 100, expected: 1.0, p: 0.6321205588285577, noise: true },
  { kind: 'falsePositive', firstStep: 20, lastStep: 150, alerts: 3, windowSteps: 131, expected: 1.31, p: 0.14519657037049283, noise: true },
];

function runFolder(alerts: unknown[], extra = ''): string {
  const dir = join(mkdtempSync(join(tmpdir(), 'sq-incidents-')), 'run');
  mkdirSync(dir);
  writeFileSync(join(dir, 'run.json'), JSON.stringify({ format: 'sidequest-run/1', name: 'run', scenario: { id: scenario.id, hash: scenario.hash, file }, args: { envs: 4, numSteps: 8 } }));
  writeFileSync(join(dir, 'telemetry.jsonl'), alerts.map((a) => JSON.stringify(a)).join('\n') + '\n' + extra);
  writeFileSync(join(dir, 'metrics.jsonl'), JSON.stringify({ step: 2000 }) + '\n');
  return dir;
}

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

describe('grouping alerts into bursts', () => {
  it('matches the hand-computed grouping, estimate and ranking', () => {
    const shuffled = [...ALERTS].reverse(); // the order in the file does not matter
    const r = groupIncidents(shuffled, { scenario, numEnvs: 4, gap: 100, run: 'run', trainingSteps: 2000, top: 0 });
    expect(r.bursts.map((b) => ({ kind: b.kind, firstStep: b.firstStep, lastStep: b.lastStep, alerts: b.alerts, windowSteps: b.windowSteps }))).toEqual(
      HAND.map((h) => ({ kind: h.kind, firstStep: h.firstStep, lastStep: h.lastStep, alerts: h.alerts, windowSteps: h.windowSteps })),
    );
    r.bursts.forEach((b, i) => {
      expect(b.rank).toBe(i + 1);
      expect(b.expectedFalsePositives).toBeCloseTo(HAND[i].expected, 10);
      expect(b.pNoise).toBeCloseTo(HAND[i].p, 9);
      expect(b.likelyNoise).toBe(HAND[i].noise);
    });
    expect(r.bursts[0].episodes.map((e) => [e.env, e.episode, e.alerts, e.steps])).toEqual([
      [1, 4, 6, [1249, 1253, 1257, 1261, 1265, 1269]],
      [2, 4, 1, [1250]],
    ]);
    expect(r.bursts[1].episodes.map((e) => [e.env, e.episode, e.alerts, e.steps])).toEqual([
      [0, 2, 3, [1000, 1048, 1148]],
      [2, 3, 1, [1010]],
    ]);
    expect(r.bursts[4].labelledFalsePositives).toBe(3);
    expect(r.expectedFalsePositivesOverall).toBeCloseTo(20, 10);
    expect(r.labelledFalsePositivesOverall).toBe(3);
  });

  it('names the step within each recorded episode, and lists the top episodes only when asked', () => {
    // env 1's episode 4 started at tick 300: step 1249 is tick 312, its 13th action (t = 12), step 13 as the viewer numbers it
    const index = new Map([['1/4', { startTick: 300, length: 48 }], ['2/4', { startTick: 310, length: 48 }]]);
    const r = groupIncidents(ALERTS, { scenario, numEnvs: 4, gap: 100, run: 'run', index, top: 1 });
    expect(r.bursts[0].episodes).toHaveLength(1);
    expect(r.bursts[0].episodeCount).toBe(2);
    expect(r.bursts[0].episodes[0].episodeSteps).toEqual([13, 14, 15, 16, 17, 18]);
    expect(r.bursts[1].episodes[0].episodeSteps).toBeNull(); // env 0 episode 2 is not recorded
  });

  it('the Poisson tail agrees with direct sums, large and small', () => {
    expect(poissonTail(0, 3)).toBe(1);
    expect(poissonTail(1, 0)).toBe(0);
    expect(poissonTail(4, 1.49)).toBeCloseTo(0.06439362967207174, 12);
    // λ = 2000: P(X ≥ 2000) is a little under 0.5 + pmf(2000)/2 (normal approximation ~0.5059)
    expect(poissonTail(2000, 2000)).toBeGreaterThan(0.5);
    expect(poissonTail(2000, 2000)).toBeLessThan(0.51);
    expect(poissonTail(20_000, 1760)).toBe(0);
  });
});

describe('sidequest incidents', () => {
  it('prints the ranked bursts and --json gives the same report', async () => {
    const dir = runFolder(ALERTS);
    const text = await cli('incidents', dir, '--gap', '100');
    expect(text.code).toBe(0);
    expect(text.out).toMatch(/16 firewall alerts in 5 bursts/);
    expect(text.out).toMatch(/#1 tunnelOpened: steps 1,249–1,269, 7 alerts in 2 episodes; .*1\.0 expected at most → more than false positives explain \(p 8\.3e-5/);
    expect(text.out).toMatch(/#5 falsePositive: steps 20–150, 3 alerts in 3 episodes; the firewall's alerts with no cause/);
    expect(text.out).toMatch(/stated false-positive rate is 0\.01 per env step: 20 expected over training; the simulation labels 3 alerts falsePositive/);
    expect(text.out).toMatch(/no recorded training episodes/);
    const json = await cli('incidents', dir, '--gap', '100', '--json');
    const r = JSON.parse(json.out) as IncidentReport;
    expect(r.bursts.map((b) => [b.kind, b.firstStep, b.alerts])).toEqual(HAND.map((h) => [h.kind, h.firstStep, h.alerts]));
    expect(r.trainingSteps).toBe(2000);
  });

  it('hostile telemetry gets one line naming the row; a half-written last row is skipped', async () => {
    expect(readTelemetry(runFolder(ALERTS, '{"step":5,"env"'))).toHaveLength(ALERTS.length);
    const bad = await cli('incidents', runFolder([...ALERTS, { ...ALERTS[0], step: -1 }]));
    expect(bad.code).toBe(2);
    expect(bad.err).toMatch(/telemetry\.jsonl line 17: at step: /);
    const notJson = await cli('incidents', runFolder([]), '--gap', '5');
    expect(notJson.code).toBe(0);
    expect(notJson.out).toMatch(/0 firewall alerts in 0 bursts/);
    const many = Array.from({ length: 70 }, (_, k) => at(k, `kind${k}`, 0));
    expect((await cli('incidents', runFolder(many))).err).toMatch(/more than 64 kinds/);
    expect((await cli('incidents', join(tmpdir(), 'no-such-run-folder'))).err).toMatch(/not a run folder/);
  });
});
