// The viewer in a real browser (Debian's Chromium through playwright-core; never a downloaded browser): open it
// on runs made here, play, scrub to an event, check the HUD against the recording and the canvas against where
// the episode puts the agent, open a corrupted file, and try to read outside the runs. Screenshots are saved in
// test-results/ (one of them is the README's picture).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chromium, type Browser, type Page } from 'playwright-core';
import { existsSync, mkdirSync, mkdtempSync, symlinkSync, writeFileSync, readFileSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildViewer, startViewServer, VIEWER_DIST } from '../cli/view.ts';
import { selectBackend } from '../agents/learning/backend.ts';
import { evaluate } from '../agents/policies/evaluate.ts';
import { makeScriptedPolicy } from '../agents/policies/scripted.ts';
import { startRun } from '../cli/train.ts';
import { loadScenario } from '../sim/load.ts';
import { resolveEnvGuardrails } from '../sim/guardrails.ts';
import { serializeEpisode, type EpisodeRecord } from '../sim/episode.ts';
import { Env } from '../sim/env.ts';
import { scenarioOfEpisode } from '../sim/replay.ts';

const CHROMIUM = '/usr/bin/chromium';
const ARTIFACTS = join(import.meta.dirname, '..', 'test-results');
const FLAGS = ['--headless', '--no-sandbox', '--use-angle=swiftshader', '--enable-unsafe-swiftshader', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-quic'];

let browser: Browser;
let page: Page;
let server: { url: string; close: () => Promise<void> };
let root: string;
let opportunistRec: EpisodeRecord;

function rawGet(url: string, path: string): Promise<{ status: number; body: string }> {
  const u = new URL(url);
  return new Promise((resolve, reject) => {
    const req = request({ host: u.hostname, port: u.port, path, method: 'GET' }, (res) => {
      let body = '';
      res.on('data', (d) => (body += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

beforeAll(async () => {
  if (!existsSync(CHROMIUM)) throw new Error(`browser tests need Debian's chromium at ${CHROMIUM}: apt-get install -y chromium (.ci/run does)`);
  mkdirSync(ARTIFACTS, { recursive: true });
  await buildViewer();
  expect(existsSync(join(VIEWER_DIST, 'index.html'))).toBe(true);
  root = mkdtempSync(join(tmpdir(), 'sq-view-'));
  // a tiny training run: run.json, evals, episodes at three checkpoints
  await selectBackend('wasm');
  const run = await startRun({
    scenario: 'rome', algo: 'ppo', steps: 3 * 512, seed: 1, out: join(root, 'tiny-run'), backend: 'wasm', net: 'mlp', checkpointEvery: 1,
    evalEpisodes: 3, recordEpisodes: 3, costWeight: 1, args: { envs: 8, numSteps: 64 },
  });
  await run.train();
  run.dispose();
  // an episodes folder from the opportunist: every side strategy happens, so there are events to scrub to
  const s = loadScenario('rome');
  const dir = join(root, 'opportunist');
  mkdirSync(dir);
  let k = 0;
  await evaluate(s, resolveEnvGuardrails(s), (env) => makeScriptedPolicy('opportunist', env), {
    episodes: 3, seed: 4, numEnvs: 1,
    onEpisode: (rec) => {
      if (k === 0) opportunistRec = rec;
      writeFileSync(join(dir, `ep-${k++}.jsonl`), serializeEpisode(rec));
    },
  });
  symlinkSync('/etc', join(dir, 'escape')); // a symlink out of the run folder must not be followed
  server = await startViewServer([join(root, 'tiny-run'), dir], { port: 0, host: '127.0.0.1' });
  browser = await chromium.launch({ executablePath: CHROMIUM, args: FLAGS });
  page = await browser.newPage({ viewport: { width: 1400, height: 1100 } });
  const log: string[] = [];
  page.on('console', (m) => log.push(`console.${m.type()}: ${m.text()}`));
  page.on('pageerror', (e) => log.push(`page error: ${e.message}`));
  page.on('response', (r) => r.status() >= 400 && log.push(`HTTP ${r.status()} ${r.url()}`));
  await page.goto(server.url);
  try {
    await page.waitForFunction(() => window.sidequest?.ready === true, null, { timeout: 60_000 });
  } catch (e) {
    throw new Error(`the viewer did not become ready: ${(e as Error).message}\n${log.join('\n')}`, { cause: e });
  }
}, 240_000);

afterAll(async () => {
  await browser?.close();
  await server?.close();
});

/** The colour of the board-a canvas pixel at the centre of map cell (x, y). */
async function pixelAt(x: number, y: number): Promise<number[]> {
  return page.evaluate(
    ([cx, cy]) => {
      const src = document.querySelector<HTMLCanvasElement>('#board-a canvas')!;
      const c = document.createElement('canvas');
      c.width = src.width;
      c.height = src.height;
      const g = c.getContext('2d')!;
      g.drawImage(src, 0, 0);
      const size = window.sidequest.cellSize();
      return Array.from(g.getImageData(Math.floor((cx + 0.5) * size), Math.floor((cy + 0.5) * size), 1, 1).data);
    },
    [x, y],
  );
}

describe('viewer in Chromium', () => {
  it('opens on the served runs, with episodes grouped by checkpoint, and a verified replay', async () => {
    const runs = await page.$$eval('#run-picker option', (os) => os.map((o) => o.textContent));
    expect(runs).toEqual(['tiny-run', 'opportunist']);
    const headers = await page.$$eval('#episodes h3', (hs) => hs.map((h) => h.textContent));
    expect(headers).toEqual(['checkpoint · step 512', 'checkpoint · step 1,024', 'checkpoint · step 1,536']);
    expect(await page.textContent('#banner')).toContain('Replay verified');
    expect(await page.$$eval('#curves svg path', (ps) => ps.length)).toBeGreaterThan(0);
  });

  it('plays, scrubs to an event from the timeline, and shows the recorded values there', async () => {
    await page.selectOption('#run-picker', '1');
    await page.waitForFunction(() => document.querySelectorAll('#timeline .mark').length > 0);
    await page.click('.episode[data-index="0"]');
    await page.waitForFunction(() => document.querySelector('#board-a .caption')?.textContent?.startsWith('opportunist ·'));
    await page.waitForFunction(() => document.querySelector('#banner')?.textContent?.includes('verified'));
    await page.click('#btn-play');
    await page.waitForFunction(() => window.sidequest.frame() >= 3, null, { timeout: 10_000 });
    await page.click('#btn-play');
    const played = await page.evaluate(() => window.sidequest.frame());
    expect(played).toBeGreaterThanOrEqual(3);

    // scrub: click the timeline mark of the tunnel opening
    const mark = page.locator('#timeline .mark[data-kind="tunnelOpened"]').first();
    const frame = Number(await mark.getAttribute('data-frame'));
    await mark.click();
    expect(await page.evaluate(() => window.sidequest.frame())).toBe(frame);

    // the HUD against the recording itself: reward so far = sum of recorded step rewards; this step's events
    const rec = opportunistRec;
    const rewardSoFar = rec.steps.slice(0, frame).reduce((a, s) => a + (s.r ?? 0), 0);
    expect(Number(await page.textContent('[data-hud="reward"]'))).toBeCloseTo(rewardSoFar, 5);
    const recordedEvents = (rec.steps[frame - 1].ev ?? []).map((e) => e[0]).join(', ');
    expect(await page.textContent('[data-hud="events"]')).toBe(recordedEvents);
    expect(await page.textContent('[data-hud="var-tunnelOpen"]')).toBe('1');
    expect(await page.textContent('[data-hud="step"]')).toBe(`${frame} / 48`);

    // the canvas against where the episode puts the agent (re-simulated here with sim/, independently)
    const env = new Env(scenarioOfEpisode(rec), rec.header.guardrails);
    env.reset({ seed: rec.header.seed });
    for (let t = 0; t < frame; t++) env.step(rec.steps[t].a);
    const at = env.batch.agentXY(0);
    const agentPixel = await pixelAt(at.x, at.y);
    expect(agentPixel.slice(0, 3).every((v) => v > 230)).toBe(true); // the agent is drawn white
    const elsewhere = await pixelAt(at.x === 1 ? 2 : 1, at.y === 1 ? 2 : 1);
    expect(elsewhere.slice(0, 3).every((v) => v > 230)).toBe(false);
    await page.screenshot({ path: join(ARTIFACTS, 'viewer-mid-replay.png'), fullPage: true });
  });

  it('keyboard: arrows step, space plays', async () => {
    await page.evaluate(() => window.sidequest.setFrame(5));
    await page.keyboard.press('ArrowRight');
    expect(await page.evaluate(() => window.sidequest.frame())).toBe(6);
    await page.keyboard.press('ArrowLeft');
    await page.keyboard.press('ArrowLeft');
    expect(await page.evaluate(() => window.sidequest.frame())).toBe(4);
  });

  it('compares two runs side by side, stepping in sync', async () => {
    await page.selectOption('#compare-picker', '0');
    await page.waitForSelector('#board-b canvas');
    await page.waitForSelector('#board-b .caption');
    await page.evaluate(() => window.sidequest.setFrame(7));
    expect(await page.$$eval('#boards canvas', (cs) => cs.length)).toBe(2);
    expect(await page.textContent('#board-b .caption')).toContain('tiny-run · rome');
    await page.screenshot({ path: join(ARTIFACTS, 'viewer-compare.png'), fullPage: true });
    await page.selectOption('#compare-picker', '');
  });

  it('a corrupted or foreign file shows a readable error, not a blank page', async () => {
    const good = readFileSync(join(root, 'opportunist', 'ep-0.jsonl'), 'utf8');
    await page.setInputFiles('#file-input', [{ name: 'cut.jsonl', mimeType: 'application/x-ndjson', buffer: Buffer.from(good.slice(0, 3000)) }]);
    await page.waitForFunction(() => document.querySelector('#banner .error') !== null);
    expect(await page.textContent('#banner')).toMatch(/Cannot open cut\.jsonl: \[cut\.jsonl\] line \d+: (expected a JSON object|truncated)/);
    await page.setInputFiles('#file-input', [{ name: 'photo.jsonl', mimeType: 'application/x-ndjson', buffer: Buffer.from('{"hello":"world"}\n') }]);
    await page.waitForFunction(() => document.querySelector('#banner')?.textContent?.includes('photo.jsonl'));
    expect(await page.textContent('#banner')).toContain('not a sidequest episode file');
    await page.screenshot({ path: join(ARTIFACTS, 'viewer-error.png') });
  });

  it('refuses paths outside the served runs', async () => {
    for (const path of ['/api/runs/0/file/..%2F..%2F..%2Fetc%2Fpasswd', '/api/runs/1/file/%2Fetc%2Fpasswd', '/api/runs/1/file/escape/passwd', '/..%2F..%2Fpackage.json']) {
      const r = await rawGet(server.url, path);
      expect(r.status, path).toBe(403);
      expect(r.body).not.toContain('root:');
    }
    const ok = await rawGet(server.url, '/api/runs/0/file/run.json');
    expect(ok.status).toBe(200);
    expect((await rawGet(server.url, '/api/runs/0/file/nope.json')).status).toBe(404);
    expect((await rawGet(server.url, '/api/runs/9/file/run.json')).status).toBe(404);
  });
});

describe('sidequest view binds to loopback by default', () => {
  it('prints a 127.0.0.1 address', async () => {
    const { spawn } = await import('node:child_process');
    const child = spawn('node', [join(import.meta.dirname, '..', 'bin', 'sidequest.js'), 'view', join(root, 'opportunist'), '--port', '0'], { stdio: ['ignore', 'pipe', 'pipe'] });
    const line = await new Promise<string>((resolve) => child.stdout.on('data', (d: Buffer) => resolve(d.toString())));
    child.kill();
    expect(line).toMatch(/^sidequest viewer: http:\/\/127\.0\.0\.1:\d+\//);
  });
});
