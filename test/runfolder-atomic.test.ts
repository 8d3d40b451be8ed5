// A process killed while it writes run.json. node:fs is wrapped so that the write carrying run.json's content
// dies half-way (the file opened — and, written in place, truncated — then nothing). Written in place, that left
// an empty run.json: a folder that can be neither resumed ("not valid JSON") nor reused ("already holds a run").
// Written atomically, run.json either exists whole or not at all, and the folder can be used again.
import { describe, expect, it, vi } from 'vitest';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const crash = vi.hoisted(() => ({ armed: false }));
vi.mock('node:fs', async (importOriginal) => {
  const fs = await importOriginal<typeof import('node:fs')>();
  const writeFileSync: typeof fs.writeFileSync = (file, data, options) => {
    if (crash.armed && String(data).includes('"format": "sidequest-run/1"')) {
      crash.armed = false;
      if (typeof file === 'string') fs.closeSync(fs.openSync(file, 'w')); // opened, truncated: then the kill
      throw new Error('killed while writing run.json');
    }
    fs.writeFileSync(file, data, options);
  };
  return { ...fs, default: { ...fs, writeFileSync }, writeFileSync };
});

const { loadScenario } = await import('../sim/load.ts');
const { resolveEnvGuardrails } = await import('../sim/guardrails.ts');
const { resolveArgs } = await import('../agents/learning/options.ts');
const { TrainingRun } = await import('../agents/runs/run.ts');

const config = () => {
  const s = loadScenario('rome');
  return {
    name: 'atomic-test', scenario: { id: s.id, hash: s.hash, file: s.file }, guardrails: { env: resolveEnvGuardrails(s), training: { names: [] } },
    algo: 'ppo' as const, args: resolveArgs('ppo', { envs: 4, numSteps: 16, hidden: 16 }), net: { kind: 'mlp' as const, hidden: 16 },
    totalSteps: 64, seed: 1, checkpointEvery: 1, evalEpisodes: 1, recordEpisodes: 0, backend: 'wasm' as const,
  };
};

describe('run.json is written atomically', () => {
  it('a kill while writing it leaves no empty run.json, and the folder can be used again', async () => {
    const dir = join(mkdtempSync(join(tmpdir(), 'sq-atomic-')), 'run');
    crash.armed = true;
    await expect(TrainingRun.create(dir, config())).rejects.toThrow('killed while writing run.json');
    if (existsSync(join(dir, 'run.json'))) expect(() => JSON.parse(readFileSync(join(dir, 'run.json'), 'utf8')) as unknown).not.toThrow();
    const run = await TrainingRun.create(dir, config()); // not "already holds a run"
    run.dispose();
    expect(JSON.parse(readFileSync(join(dir, 'run.json'), 'utf8'))).toMatchObject({ format: 'sidequest-run/1', name: 'atomic-test' });
  });
});
