// Training in the page (viewer/train.html) in a real browser (Debian's Chromium through playwright-core): PPO in a
// Web Worker on tutorial, on wasm and on webgl (SwiftShader here), must lift the training return above the random
// agent's (measured by the page on the same guardrails); the wasm run's first iterations must equal, number for
// number, the same setup trained in Node with agents/learning/trainer.ts on wasm (the page runs the same code);
// webgl's first iteration must agree with wasm's to float rounding. Pause holds the run, resume continues it,
// stop ends it, the board plays the current policy, and no page error happens. A screenshot of the train mode on
// tutorial is saved in test-results/train-page.png (docs/train-page.png is a longer rome run, taken the same way).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chromium, type Browser, type Page } from 'playwright-core';
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { buildViewer, startViewServer, VIEWER_DIST } from '../cli/view.ts';
import { selectBackend } from '../agents/learning/backend.ts';
import { loadScenario } from '../sim/load.ts';
import { makeTrainer, pageRow, type PageRow } from '../viewer/src/train/session.ts';

const CHROMIUM = '/usr/bin/chromium';
const ARTIFACTS = join(import.meta.dirname, '..', 'test-results');
const FLAGS = ['--headless', '--no-sandbox', '--use-angle=swiftshader', '--enable-unsafe-swiftshader', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-quic'];
/** PPO's default iteration is 32 envs × 64 steps; 10 iterations lift tutorial's return well above random's (~0.05). */
const ITERATIONS = 10;
const STEPS = ITERATIONS * 2048;
const SEED = 3;

let browser: Browser;
let server: { url: string; close: () => Promise<void> };
const errors: string[] = [];

interface PageRun {
  state: string;
  backend: string;
  randomReturn: number;
  rows: PageRow[];
}

async function openPage(query: string): Promise<Page> {
  const page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
  page.on('pageerror', (e) => errors.push(`page error: ${e.message}`));
  page.on('console', (m) => m.type() === 'error' && errors.push(`console.error: ${m.text()}`));
  page.on('response', (r) => r.status() >= 400 && errors.push(`HTTP ${r.status()} ${r.url()}`));
  await page.goto(`${server.url}train.html?${query}`);
  return page;
}

async function waitState(page: Page, states: string[], timeout = 90_000): Promise<void> {
  await page.waitForFunction((s) => s.includes(document.getElementById('train-status')!.dataset.state ?? ''), states, { timeout });
}

async function read(page: Page): Promise<PageRun> {
  return page.evaluate(() => {
    const d = document.getElementById('train-status')!.dataset;
    const hook = (globalThis as unknown as { sidequestTrain: { rows: () => PageRow[] } }).sidequestTrain;
    return { state: d.state ?? '', backend: d.backend ?? '', randomReturn: Number(d.randomReturn), rows: hook.rows() };
  });
}

/** Trains in the page to the end and returns what it reported. */
async function trainInPage(backend: string, screenshot?: string): Promise<PageRun> {
  const page = await openPage(`scenario=tutorial&backend=${backend}&steps=${STEPS}&seed=${SEED}`);
  await page.click('#train-start');
  await waitState(page, ['done', 'error']);
  const run = await read(page);
  if (screenshot) {
    // let the board play a few frames of the final policy
    await page.waitForFunction(() => (document.getElementById('train-caption')?.textContent ?? '').includes('episode step'), null, { timeout: 20_000 });
    await page.screenshot({ path: join(ARTIFACTS, screenshot) });
  }
  await page.close();
  return run;
}

beforeAll(async () => {
  if (!existsSync(CHROMIUM)) throw new Error(`browser tests need Debian's chromium at ${CHROMIUM}: apt-get install -y chromium (.ci/run does)`);
  mkdirSync(ARTIFACTS, { recursive: true });
  await buildViewer();
  expect(existsSync(join(VIEWER_DIST, 'train.html'))).toBe(true);
  server = await startViewServer([], { port: 0, host: '127.0.0.1' });
  browser = await chromium.launch({ executablePath: CHROMIUM, args: FLAGS });
});

afterAll(async () => {
  await browser?.close();
  await server?.close();
});

describe('train in the page', () => {
  let wasm: PageRun;

  it('on wasm: the return rises above the random baseline, and the board plays the policy', async () => {
    wasm = await trainInPage('wasm', 'train-page.png');
    expect(wasm.state).toBe('done');
    expect(wasm.backend).toBe('wasm');
    expect(wasm.rows.map((r) => r.iteration)).toEqual(Array.from({ length: ITERATIONS }, (_, i) => i + 1));
    const last = wasm.rows[ITERATIONS - 1].taskReturn;
    console.info(`page wasm: return ${wasm.rows[0].taskReturn.toFixed(3)} → ${last.toFixed(3)} (random ${wasm.randomReturn.toFixed(3)})`);
    expect(wasm.randomReturn).toBeLessThan(0.2);
    expect(last).toBeGreaterThan(3 * wasm.randomReturn + 0.15);
    expect(errors).toEqual([]);
  }, 120_000);

  it('on wasm, the page computes what Node computes with the same code, seed and backend', async () => {
    await selectBackend('wasm');
    const { trainer } = makeTrainer(loadScenario('tutorial'), { scenario: 'tutorial', guardrails: ['none'], seed: SEED, steps: STEPS });
    const node: PageRow[] = [];
    for (let i = 0; i < 3; i++) node.push(pageRow((await trainer.iterate()).row));
    trainer.dispose();
    const strip = ({ wallSeconds: _w, stepsPerSecond: _s, ...r }: PageRow) => r;
    expect(wasm.rows.slice(0, 3).map(strip)).toEqual(node.map(strip));
  }, 60_000);

  it('on webgl: the same first iteration as wasm (to float rounding), and the return rises above random', async () => {
    const gl = await trainInPage('webgl');
    expect(gl.state).toBe('done');
    expect(gl.backend).toBe('webgl');
    const [a, b] = [gl.rows[0], wasm.rows[0]];
    // the same initial weights and random streams: the first rollout samples the same actions
    expect(a.taskReturn).toBe(b.taskReturn);
    expect(a.entropy).toBeCloseTo(b.entropy, 3);
    expect(a.policyLoss).toBeCloseTo(b.policyLoss, 3);
    const last = gl.rows[ITERATIONS - 1].taskReturn;
    console.info(`page webgl: return ${a.taskReturn.toFixed(3)} → ${last.toFixed(3)} (random ${gl.randomReturn.toFixed(3)})`);
    expect(last).toBeGreaterThan(3 * gl.randomReturn + 0.15);
    expect(errors).toEqual([]);
  }, 120_000);

  it('on rome: milestones in plain words as they happen (side strategies, the firewall alert)', async () => {
    const page = await openPage(`scenario=rome&backend=wasm&steps=${3 * 2048}&seed=1`);
    await page.click('#train-start');
    await waitState(page, ['done', 'error']);
    const items = await page.locator('#milestones li').allTextContents();
    console.info(`rome milestones:\n  ${items.join('\n  ')}`);
    // the untrained policy wanders into racks and ports within the first iterations: each first success is told once
    expect(items.some((t) => /^step [\d,]+: the agent probed the firewall for the first time — the firewall raised an alert$/.test(t))).toBe(true);
    expect(items.some((t) => /^step [\d,]+: the agent claimed an idle GPU rack \(more compute\) for the first time/.test(t))).toBe(true);
    expect(new Set(items).size).toBe(items.length);
    // the chart draws each side strategy that happened and the alerts
    expect(await page.locator('#train-chart path[data-series="probePort"]').count()).toBe(1);
    expect(await page.locator('#train-chart path[data-series="alerts"]').count()).toBe(1);
    await page.close();
    expect(errors).toEqual([]);
  }, 60_000);

  it('pause holds the run, resume continues it, stop ends it; the page stays responsive', async () => {
    const page = await openPage(`scenario=tutorial&backend=wasm&steps=${200 * 2048}&seed=1`);
    await page.click('#train-start');
    await page.waitForFunction(() => Number(document.getElementById('train-status')!.dataset.iteration ?? 0) >= 2, null, { timeout: 30_000 });
    // the main thread answers while the worker trains (a frozen page would time this out)
    const t0 = Date.now();
    await page.evaluate(() => new Promise((r) => requestAnimationFrame(r)));
    expect(Date.now() - t0).toBeLessThan(2000);
    await page.click('#train-pause');
    await waitState(page, ['paused'], 10_000);
    const held = (await read(page)).rows.length;
    await page.waitForTimeout(1000);
    expect((await read(page)).rows.length).toBe(held);
    await page.click('#train-resume');
    await page.waitForFunction((n) => Number(document.getElementById('train-status')!.dataset.iteration ?? 0) > n, held, { timeout: 20_000 });
    await page.click('#train-stop');
    await waitState(page, ['stopped'], 10_000);
    const run = await read(page);
    expect(run.rows.length).toBeLessThan(200);
    await page.close();
    expect(errors).toEqual([]);
  }, 60_000);
});
