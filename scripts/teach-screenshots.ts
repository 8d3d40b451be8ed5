// Takes the teaching-mode screenshots in docs/ (train-mode.png, lesson-step2/3/5.png) in headless Chromium at
// 1280×720, from real in-page runs on rome (wasm): the same pages and clicks as test/lesson.browser.test.ts with a
// longer budget. Usage: npx tsx scripts/teach-screenshots.ts [--iterations N]   (a few minutes on 2 busy cores)
import { chromium, type Page } from 'playwright-core';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildViewer, startViewServer } from '../cli/view.ts';

const DOCS = fileURLToPath(new URL('../docs/', import.meta.url));
const FLAGS = ['--headless', '--no-sandbox', '--use-angle=swiftshader', '--enable-unsafe-swiftshader', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-quic'];
const i = process.argv.indexOf('--iterations');
const iterations = i >= 0 ? Number(process.argv[i + 1]) : 150;
const steps = iterations * 2048;

const waitState = (page: Page, states: string[]) =>
  page.waitForFunction((s) => s.includes(document.getElementById('train-status')!.dataset.state ?? ''), states, { timeout: 600_000 });

await buildViewer();
const server = await startViewServer([], { port: 0, host: '127.0.0.1' });
const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: FLAGS });
try {
  const page = await browser.newPage({ viewport: { width: 1280, height: 720 } });
  page.on('pageerror', (e) => console.error(`page error: ${e.message}`));
  await page.goto(`${server.url}train.html#scenario=rome&seed=1&steps=${steps}&guardrails=none&backend=wasm`);
  await page.click('#train-start');
  await waitState(page, ['done', 'error']);
  await page.waitForFunction(() => (document.getElementById('train-caption')?.textContent ?? '').includes('episode step 2'), null, { timeout: 30_000 });
  await page.screenshot({ path: join(DOCS, 'train-mode.png') });
  console.info(`train-mode.png: ${await page.textContent('#train-status')}`);

  const lesson = await browser.newPage({ viewport: { width: 1280, height: 720 } });
  lesson.on('pageerror', (e) => console.error(`page error: ${e.message}`));
  await lesson.goto(`${server.url}lesson.html?steps=${steps}&seed=1`);
  await lesson.check('#lesson-predict input[value="racks"]');
  await lesson.click('#lesson-next');
  await lesson.click('#lesson-train');
  await waitState(lesson, ['done', 'error']);
  await lesson.waitForTimeout(1500);
  await lesson.screenshot({ path: join(DOCS, 'lesson-step2.png') });
  await lesson.click('#lesson-next');
  await lesson.waitForFunction(() => document.body.dataset.alertFrame !== undefined, null, { timeout: 30_000 });
  await lesson.screenshot({ path: join(DOCS, 'lesson-step3.png') });
  await lesson.click('#lesson-next');
  await lesson.click('#lesson-retrain');
  await waitState(lesson, ['done', 'error']);
  await lesson.click('#lesson-next');
  await lesson.waitForTimeout(2500);
  await lesson.screenshot({ path: join(DOCS, 'lesson-step5.png') });
  console.info(`lesson: before ${await lesson.textContent('#compare-figures-before')}\n        after ${await lesson.textContent('#compare-figures-after')}`);
} finally {
  await browser.close();
  await server.close();
}
