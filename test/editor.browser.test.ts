// The world editor in a real browser (Debian's Chromium through playwright-core): paint a tile from the library,
// change a number and see the schema's own error inline, download the world, and load the download back — the
// downloaded file also loads with the CLI's loader and compiles to the painted map. No page errors.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chromium, type Browser, type Page } from 'playwright-core';
import { existsSync, mkdirSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildViewer, startViewServer, VIEWER_DIST } from '../cli/view.ts';
import { loadScenario } from '../sim/load.ts';

const CHROMIUM = '/usr/bin/chromium';
const ARTIFACTS = join(import.meta.dirname, '..', 'test-results');
const FLAGS = ['--headless', '--no-sandbox', '--use-angle=swiftshader', '--enable-unsafe-swiftshader', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-quic'];

let browser: Browser;
let page: Page;
let server: { url: string; close: () => Promise<void> };
const errors: string[] = [];

beforeAll(async () => {
  if (!existsSync(CHROMIUM)) throw new Error(`browser tests need Debian's chromium at ${CHROMIUM}: apt-get install -y chromium (.ci/run does)`);
  mkdirSync(ARTIFACTS, { recursive: true });
  if (!existsSync(join(VIEWER_DIST, 'editor.html'))) await buildViewer();
  server = await startViewServer([mkdtempSync(join(tmpdir(), 'sq-ed-'))], { port: 0, host: '127.0.0.1' });
  browser = await chromium.launch({ executablePath: CHROMIUM, args: FLAGS });
  const context = await browser.newContext({ viewport: { width: 1280, height: 720 }, acceptDownloads: true });
  page = await context.newPage();
  page.on('pageerror', (e) => errors.push(`page error: ${e.message}`));
  page.on('console', (m) => m.type() === 'error' && errors.push(`console.error: ${m.text()}`));
  await page.goto(`${server.url}editor.html`);
  await page.waitForFunction(() => document.querySelector('#ed-status')?.textContent?.startsWith('valid'), null, { timeout: 60_000 });
}, 240_000);

afterAll(async () => {
  await browser?.close();
  await server?.close();
});

describe('world editor in Chromium', () => {
  it('paints, validates inline, downloads, and loads the download back', async () => {
    expect(await page.textContent('#ed-status')).toMatch(/^valid: 8×6/);
    // a tile rome's legend lacks, from the library, painted on a floor cell
    const newTile = page.locator('#ed-palette button', { hasText: '(new in this map)' }).first();
    const tileName = (await newTile.getAttribute('data-tile'))!;
    await newTile.click();
    await page.click('#ed-grid .cell[data-x="1"][data-y="1"]');
    // a bad number: the schema's message, inline
    const horizon = page.locator('#ed-numbers label', { hasText: 'horizon' }).locator('input');
    await horizon.fill('0');
    await horizon.dispatchEvent('change');
    expect(await page.textContent('#ed-status .error')).toMatch(/horizon/);
    await horizon.fill('60');
    await horizon.dispatchEvent('change');
    await page.waitForFunction(() => document.querySelector('#ed-status')?.textContent?.startsWith('valid'));
    await page.screenshot({ path: join(ARTIFACTS, 'editor.png') });
    const [download] = await Promise.all([page.waitForEvent('download'), page.click('#ed-download')]);
    const saved = join(mkdtempSync(join(tmpdir(), 'sq-ed-dl-')), download.suggestedFilename());
    await download.saveAs(saved);
    // the CLI's loader takes it: the painted tile is where it was painted, the horizon is the new one
    const s = loadScenario(saved);
    expect(s.horizon).toBe(60);
    const row1 = readFileSync(saved, 'utf8');
    expect(row1).toContain(tileName);
    const glyph = Object.entries(s.file.legend).find(([, e]) => e === tileName)?.[0];
    expect(glyph).toBeDefined();
    const mapText = typeof s.file.map === 'string' ? s.file.map : s.file.map[0];
    expect(mapText.split('\n')[1][1]).toBe(glyph);
    // and the page loads it back
    await page.selectOption('#ed-scenario', 'tutorial');
    await page.setInputFiles('#ed-file', saved);
    await page.waitForFunction(() => document.querySelector('#ed-status')?.textContent?.startsWith('loaded'));
    expect(await page.locator('#ed-numbers label', { hasText: 'horizon' }).locator('input').inputValue()).toBe('60');
    expect(await page.textContent(`#ed-grid .cell[data-x="1"][data-y="1"]`)).toBe(glyph);
  });

  it('a file that is not a scenario gets one readable message, and the page keeps working', async () => {
    const bad = join(mkdtempSync(join(tmpdir(), 'sq-ed-bad-')), 'shared.yaml');
    const { writeFileSync } = await import('node:fs');
    writeFileSync(bad, 'id: x\nmap: [unclosed\n<script>alert(1)</script>');
    await page.setInputFiles('#ed-file', bad);
    await page.waitForFunction(() => document.querySelector('#ed-status .error') !== null);
    const msg = (await page.textContent('#ed-status .error'))!;
    expect(msg).toMatch(/shared\.yaml.*YAML/);
    expect(await page.$$eval('script', (s) => s.filter((x) => x.textContent?.includes('alert')).length)).toBe(0);
    expect(errors).toEqual([]);
  });
});
