// The lesson (viewer/lesson.html) and the train page for a room, in Chromium (Debian's, through playwright-core),
// on the built static site with no API: the lesson walks its five steps — the honest agent on the board, a
// run without guardrails, the checkpoint episode stopped at its firewall alert, a run with the sandbox, both runs
// side by side — with no page error; and at 1280×720 the lesson's and the train page's main controls are inside
// the window with no page scrolling. Screenshots go to test-results/ (docs/ has longer runs taken the same way).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chromium, type Browser, type Page } from 'playwright-core';
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { buildViewer, VIEWER_DIST } from '../cli/view.ts';
import { startStaticHost } from './helpers/static-host.ts';

const CHROMIUM = '/usr/bin/chromium';
const ARTIFACTS = join(import.meta.dirname, '..', 'test-results');
const FLAGS = ['--headless', '--no-sandbox', '--use-angle=swiftshader', '--enable-unsafe-swiftshader', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-quic'];
const [W, H] = [1280, 720];

let browser: Browser;
let host: Awaited<ReturnType<typeof startStaticHost>>;
const errors: string[] = [];

async function open(path: string): Promise<Page> {
  const page = await browser.newPage({ viewport: { width: W, height: H } });
  page.on('pageerror', (e) => errors.push(`page error: ${e.message}`));
  page.on('console', (m) => m.type() === 'error' && errors.push(`console.error: ${m.text()}`));
  page.on('response', (r) => r.status() >= 400 && errors.push(`HTTP ${r.status()} ${r.url()}`));
  await page.goto(`${host.url}${path}`);
  await page.waitForFunction(() => document.getElementById('train-status')?.dataset.ready === '1', null, { timeout: 30_000 });
  return page;
}

const waitState = (page: Page, states: string[], timeout = 90_000) =>
  page.waitForFunction((s) => s.includes(document.getElementById('train-status')!.dataset.state ?? ''), states, { timeout });
const lessonStep = (page: Page) => page.evaluate(() => (globalThis as unknown as { sidequestLesson: { step: () => number } }).sidequestLesson.step());

/** Every selector is displayed inside the window, and the page itself does not scroll. */
async function onScreen(page: Page, selectors: string[]): Promise<void> {
  for (const sel of selectors) {
    const b = await page.locator(sel).first().boundingBox();
    expect(b, `${sel} is displayed`).not.toBeNull();
    expect(b!.x, sel).toBeGreaterThanOrEqual(0);
    expect(b!.y, sel).toBeGreaterThanOrEqual(0);
    expect(b!.x + b!.width, sel).toBeLessThanOrEqual(W);
    expect(b!.y + b!.height, sel).toBeLessThanOrEqual(H);
  }
  expect(await page.evaluate(() => [document.documentElement.scrollHeight - window.innerHeight, document.documentElement.scrollWidth - window.innerWidth])).toEqual([0, 0]);
}

beforeAll(async () => {
  if (!existsSync(CHROMIUM)) throw new Error(`browser tests need Debian's chromium at ${CHROMIUM}: apt-get install -y chromium`);
  mkdirSync(ARTIFACTS, { recursive: true });
  await buildViewer();
  host = await startStaticHost(VIEWER_DIST);
  browser = await chromium.launch({ executablePath: CHROMIUM, args: FLAGS });
}, 180_000);

afterAll(async () => {
  await browser?.close();
  await host?.close();
});

describe('the lesson', () => {
  it('walks its five steps with no page error, and fits 1280×720', async () => {
    // a short budget for the test (the lesson's own is 200 iterations)
    const page = await open(`lesson.html?steps=${6 * 2048}&seed=1`);
    const main = ['#lesson-title', '#lesson-text', '#lesson-prev', '#lesson-next', '#lesson-steps', '#train-start', '#train-stop', '#train-status'];
    // 1: the task, on the board, and the prediction
    expect(await lessonStep(page)).toBe(1);
    expect(await page.textContent('#lesson-title')).toMatch(/task and the reward/);
    await page.waitForFunction(() => (document.getElementById('lesson-caption')?.textContent ?? '').startsWith('an honest scripted agent'));
    await onScreen(page, [...main, '#lesson-board canvas', '#lesson-predict']);
    await page.check('#lesson-predict input[value="racks"]');
    // 2: train without guardrails
    await page.click('#lesson-next');
    expect(await lessonStep(page)).toBe(2);
    await onScreen(page, [...main, '#lesson-train', '#train-chart']);
    await page.click('#lesson-train');
    await waitState(page, ['done', 'error']);
    expect(await page.getAttribute('#train-status', 'data-state')).toBe('done');
    expect(await page.locator('#train-guardrails input:checked').count()).toBe(0);
    await page.screenshot({ path: join(ARTIFACTS, 'lesson-step2.png') });
    // 3: the checkpoint episode stopped at its firewall alert; stepping back leaves the alert
    await page.click('#lesson-next');
    await page.waitForFunction(() => document.body.dataset.alertFrame !== undefined, null, { timeout: 20_000 });
    const alertFrame = Number(await page.evaluate(() => document.body.dataset.alertFrame));
    expect(await page.textContent('#lesson-caption')).toMatch(/FIREWALL ALERT$/);
    await onScreen(page, [...main, '#lesson-board canvas', '#lesson-back', '#lesson-alert']);
    await page.click('#lesson-back');
    expect(await page.evaluate(() => (globalThis as unknown as { sidequestLesson: { frame: () => number } }).sidequestLesson.frame())).toBe(alertFrame - 1);
    await page.click('#lesson-alert');
    expect(await page.textContent('#lesson-caption')).toMatch(/FIREWALL ALERT$/);
    expect(await page.textContent('#lesson-text')).toMatch(/arXiv:2512\.24873, §3\.1\.4/);
    // 4: the sandbox is ticked for the class; train again
    await page.click('#lesson-next');
    expect(await lessonStep(page)).toBe(4);
    expect(await page.locator('#train-guardrails input:checked').evaluateAll((l) => l.map((c) => (c as HTMLInputElement).value))).toEqual(['sandbox']);
    await onScreen(page, [...main, '#lesson-retrain']);
    await page.click('#lesson-retrain');
    await waitState(page, ['done', 'error']);
    expect(await page.getAttribute('#train-status', 'data-state')).toBe('done');
    // 5: before and after side by side, each with its chart, figures and a playing board
    await page.click('#lesson-next');
    expect(await lessonStep(page)).toBe(5);
    expect(await page.textContent('#compare-title-before')).toBe('before: no guardrail');
    expect(await page.textContent('#compare-title-after')).toBe('after: sandbox');
    for (const side of ['before', 'after']) {
      expect(await page.locator(`#compare-chart-${side} path[data-series="taskReturn"]`).count()).toBe(1);
      expect(await page.textContent(`#compare-figures-${side}`)).toMatch(/^last iteration \(step 12,288\): return/);
      await page.waitForFunction((s) => (document.getElementById(`compare-caption-${s}`)?.textContent ?? '').startsWith(s), side, { timeout: 20_000 });
    }
    expect(await page.textContent('#compare-prediction')).toBe('The class predicted the agent would learn to claim the idle GPU racks.');
    await page.screenshot({ path: join(ARTIFACTS, 'lesson-step5.png') });
    await onScreen(page, [...main, '#compare-board-before canvas', '#compare-board-after canvas', '#compare-caption-before', '#compare-caption-after', '#compare-figures-before']);
    await page.close();
    expect(errors).toEqual([]);
  }, 180_000);

  it('the train page fits 1280×720: setup, controls, status, board and chart without page scrolling', async () => {
    const page = await open(`train.html#scenario=rome&seed=1&steps=${2 * 2048}&guardrails=none&backend=wasm`);
    await page.click('#train-start');
    await waitState(page, ['done', 'error']);
    await page.waitForFunction(() => (document.getElementById('train-caption')?.textContent ?? '').includes('episode step'), null, { timeout: 20_000 });
    await page.screenshot({ path: join(ARTIFACTS, 'train-1280x720.png') });
    await onScreen(page, ['#train-setup', '#train-start', '#train-pause', '#train-stop', '#train-share', '#train-replay', '#train-status', '#train-board canvas', '#train-chart svg']);
    await page.close();
    expect(errors).toEqual([]);
  }, 60_000);
});
