// The viewer for a room full of people, in Chromium (Debian's, through playwright-core): at 1280×720 and at
// 1440×900 the board, the play controls, the HUD (every row of it), the policy panel and the firewall lane
// are inside the window without scrolling, and pressing play moves nothing — the play button is where it was,
// so a second click in the same place pauses. Screenshots at both sizes go to test-results/.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chromium, type Browser, type Page } from 'playwright-core';
import { existsSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildViewer, startViewServer } from '../cli/view.ts';
import { selectBackend } from '../agents/learning/backend.ts';
import { evaluate } from '../agents/policies/evaluate.ts';
import { makeScriptedPolicy } from '../agents/policies/scripted.ts';
import { startRun } from '../cli/train.ts';
import { loadScenario } from '../sim/load.ts';
import { resolveEnvGuardrails } from '../sim/guardrails.ts';
import { serializeEpisode } from '../sim/episode.ts';

const CHROMIUM = '/usr/bin/chromium';
const ARTIFACTS = join(import.meta.dirname, '..', 'test-results');
const FLAGS = ['--headless', '--no-sandbox', '--use-angle=swiftshader', '--enable-unsafe-swiftshader', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-quic'];

/** What a room must see without scrolling. */
const MUST_SEE = {
  board: '#board-a canvas',
  caption: '#board-a .caption',
  play: '#btn-play',
  scrubber: '#scrubber',
  stepLabel: '#frame-label',
  controls: '#controls',
  hud: '#hud',
  policy: '#policy-a',
  timeline: '#timeline',
  firewallLane: '#timeline .lane-label.firewall',
  timelineKey: '#timeline-key',
};

let browser: Browser;
let server: { url: string; close: () => Promise<void> };

beforeAll(async () => {
  if (!existsSync(CHROMIUM)) throw new Error(`browser tests need Debian's chromium at ${CHROMIUM}: apt-get install -y chromium`);
  mkdirSync(ARTIFACTS, { recursive: true });
  await buildViewer();
  const root = mkdtempSync(join(tmpdir(), 'sq-layout-'));
  // a trained run (its episodes record the policy's probabilities: the HUD at its tallest) and scripted episodes
  // with firewall alerts
  await selectBackend('wasm');
  const run = await startRun({
    scenario: 'rome', algo: 'ppo', steps: 512, seed: 2, out: join(root, 'run'), backend: 'wasm', net: 'mlp', checkpointEvery: 1,
    evalEpisodes: 2, recordEpisodes: 2, costWeight: 1, args: { envs: 8, numSteps: 64 },
  });
  await run.train();
  run.dispose();
  const s = loadScenario('rome');
  const dir = join(root, 'opportunist');
  mkdirSync(dir);
  let k = 0;
  await evaluate(s, resolveEnvGuardrails(s), (env) => makeScriptedPolicy('opportunist', env), {
    episodes: 1, seed: 4, numEnvs: 1, onEpisode: (rec) => writeFileSync(join(dir, `ep-${k++}.jsonl`), serializeEpisode(rec)),
  });
  server = await startViewServer([join(root, 'run'), dir], { port: 0, host: '127.0.0.1' });
  browser = await chromium.launch({ executablePath: CHROMIUM, args: FLAGS });
}, 240_000);

afterAll(async () => {
  await browser?.close();
  await server?.close();
});

type Box = { x: number; y: number; width: number; height: number };

async function boxes(page: Page): Promise<Record<string, Box>> {
  const out: Record<string, Box> = {};
  for (const [name, sel] of Object.entries(MUST_SEE)) {
    const b = await page.locator(sel).first().boundingBox();
    if (!b) throw new Error(`${name} (${sel}) is not displayed`);
    out[name] = b;
  }
  return out;
}

describe.each([
  [1280, 720],
  [1440, 900],
])('the viewer at %i×%i', (width, height) => {
  for (const [runIndex, what] of [['0', 'a trained run (policy recorded)'], ['1', 'scripted episodes with alerts']] as const) {
    it(`${what}: everything a room watches is on screen, and play moves nothing`, async () => {
      const page = await browser.newPage({ viewport: { width, height } });
      const errors: string[] = [];
      page.on('pageerror', (e) => errors.push(e.message));
      try {
        await page.goto(server.url);
        await page.waitForFunction(() => window.sidequest?.ready === true, null, { timeout: 60_000 });
        if (runIndex === '1') {
          await page.selectOption('#run-picker', '1');
          await page.waitForFunction(() => document.querySelector('#board-a .caption')?.textContent?.startsWith('opportunist'));
        }
        const before = await boxes(page);
        for (const [name, b] of Object.entries(before)) {
          expect(b.x, name).toBeGreaterThanOrEqual(0);
          expect(b.y, name).toBeGreaterThanOrEqual(0);
          expect(b.x + b.width, name).toBeLessThanOrEqual(width);
          expect(b.y + b.height, name).toBeLessThanOrEqual(height);
          expect(b.width * b.height, name).toBeGreaterThan(0);
        }
        // a board a room can read, the firewall marks inside the window, and no scrolling anywhere
        expect(before.board.height).toBeGreaterThan(height * 0.4);
        for (const m of await page.locator('#timeline .mark.firewall').all()) expect(((await m.boundingBox())!.y) + 18).toBeLessThanOrEqual(height);
        const scroll = await page.evaluate(() => ({
          page: document.documentElement.scrollHeight - window.innerHeight,
          hud: document.getElementById('hud')!.scrollHeight - document.getElementById('hud')!.clientHeight,
          side: document.getElementById('side')!.scrollHeight - document.getElementById('side')!.clientHeight,
        }));
        expect(scroll).toEqual({ page: 0, hud: 0, side: 0 });
        await page.screenshot({ path: join(ARTIFACTS, `viewer-${width}x${height}-run${runIndex}.png`) });

        // play with a click at the button's centre, let a few steps go by, then click the same place again
        const at = { x: before.play.x + before.play.width / 2, y: before.play.y + before.play.height / 2 };
        await page.mouse.click(at.x, at.y);
        await page.waitForFunction(() => window.sidequest.frame() >= 4, null, { timeout: 10_000 });
        expect(await page.textContent('#btn-play')).toBe('pause');
        const during = await boxes(page);
        for (const name of Object.keys(MUST_SEE)) {
          for (const k of ['x', 'y', 'width', 'height'] as const) expect(during[name][k], `${name}.${k} moved when playback started`).toBeCloseTo(before[name][k], 0);
        }
        await page.mouse.click(at.x, at.y);
        expect(await page.textContent('#btn-play')).toBe('play');
        const paused = await page.evaluate(() => window.sidequest.frame());
        await page.waitForTimeout(600);
        expect(await page.evaluate(() => window.sidequest.frame())).toBe(paused);
        expect(errors).toEqual([]);
      } finally {
        await page.close();
      }
    });
  }
});
