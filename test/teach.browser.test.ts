// Teaching mode in a real browser (Debian's Chromium through playwright-core), on the built static site served by
// a plain file host with no API (test/helpers/static-host.ts): the train page's share link reproduces the form and
// the run (a run started from the link equals, row for row, a run set up by hand); a link that does not parse says
// why; the editor's "train on this world" opens the train page on the edited world; stopping a run opens its
// checkpoint episodes in the replay viewer; the built site ships its wasm binaries and a small sample run that
// the viewer opens with no server. No page error anywhere.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chromium, type Browser, type Page } from 'playwright-core';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { buildViewer, VIEWER_DIST } from '../cli/view.ts';
import { decodeWorld, encodeWorld, parseTrainLink } from '../viewer/src/train/link.ts';
import { makeTrainer, pageRow, type PageRow } from '../viewer/src/train/session.ts';
import { selectBackend } from '../agents/learning/backend.ts';
import { loadScenario } from '../sim/load.ts';
import { validateText } from '../viewer/src/editor/model.ts';
import { startStaticHost } from './helpers/static-host.ts';

const CHROMIUM = '/usr/bin/chromium';
const FLAGS = ['--headless', '--no-sandbox', '--use-angle=swiftshader', '--enable-unsafe-swiftshader', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-quic'];

let browser: Browser;
let host: Awaited<ReturnType<typeof startStaticHost>>;
const errors: string[] = [];

async function open(path: string): Promise<Page> {
  const page = await browser.newPage({ viewport: { width: 1280, height: 720 } });
  page.on('pageerror', (e) => errors.push(`page error: ${e.message}`));
  page.on('console', (m) => m.type() === 'error' && !/api\/runs/.test(m.text()) && !/404/.test(m.text()) && errors.push(`console.error: ${m.text()}`));
  // a static host has no API: the viewer's one probe of it is the only request allowed to fail
  page.on('response', (r) => r.status() >= 400 && !r.url().endsWith('/api/runs') && errors.push(`HTTP ${r.status()} ${r.url()}`));
  await page.goto(`${host.url}${path}`);
  return page;
}

const ready = (page: Page) => page.waitForFunction(() => document.getElementById('train-status')?.dataset.ready === '1', null, { timeout: 30_000 });
const waitState = (page: Page, states: string[], timeout = 90_000) =>
  page.waitForFunction((s) => s.includes(document.getElementById('train-status')!.dataset.state ?? ''), states, { timeout });
const rows = (page: Page) => page.evaluate(() => (globalThis as unknown as { sidequestTrain: { rows: () => PageRow[] } }).sidequestTrain.rows());
const strip = ({ wallSeconds: _w, stepsPerSecond: _s, ...r }: PageRow) => r;

beforeAll(async () => {
  if (!existsSync(CHROMIUM)) throw new Error(`browser tests need Debian's chromium at ${CHROMIUM}: apt-get install -y chromium`);
  await buildViewer();
  host = await startStaticHost(VIEWER_DIST);
  browser = await chromium.launch({ executablePath: CHROMIUM, args: FLAGS });
}, 180_000);

afterAll(async () => {
  await browser?.close();
  await host?.close();
});

describe('teaching mode on the static site', () => {
  const LINK = '#scenario=tutorial&seed=4&steps=6144&guardrails=none&backend=wasm&lr=0.002&hidden=16&normReward=0';

  it('a training link fills the form, and its run equals the same setup entered by hand', async () => {
    const linked = await open(`train.html${LINK}`);
    await ready(linked);
    expect(await linked.inputValue('#train-scenario')).toBe('tutorial');
    expect(await linked.inputValue('#train-seed')).toBe('4');
    expect(await linked.inputValue('#train-steps')).toBe('6144');
    expect(await linked.inputValue('#train-backend')).toBe('wasm');
    expect(await linked.inputValue('#train-args input[data-arg="lr"]')).toBe('0.002');
    expect(await linked.locator('#train-guardrails input:checked').count()).toBe(0);
    await linked.click('#train-start');
    await waitState(linked, ['done', 'error']);
    const a = await rows(linked);
    await linked.close();

    const hand = await open('train.html');
    await ready(hand);
    await hand.selectOption('#train-scenario', 'tutorial');
    for (const c of await hand.locator('#train-guardrails input:checked').all()) await c.uncheck();
    await hand.fill('#train-seed', '4');
    await hand.fill('#train-steps', '6144');
    await hand.selectOption('#train-backend', 'wasm');
    await hand.click('#train-algo summary');
    await hand.fill('#train-args input[data-arg="lr"]', '0.002');
    await hand.fill('#train-args input[data-arg="hidden"]', '16');
    await hand.uncheck('#train-args input[data-arg="normReward"]');
    await hand.press('#train-args input[data-arg="hidden"]', 'Tab');
    // the address bar now holds the same link
    expect(await hand.evaluate(() => location.hash)).toBe(LINK);
    await hand.click('#train-start');
    await waitState(hand, ['done', 'error']);
    const b = await rows(hand);
    await hand.close();
    expect(a.length).toBe(3);
    expect(a.map(strip)).toEqual(b.map(strip));
    // and both are the run the link describes (its options included), as Node trains it with the same code
    const parsed = await parseTrainLink(LINK);
    if (!parsed.ok || !parsed.link) throw new Error('the test link does not parse');
    await selectBackend('wasm');
    const { trainer } = makeTrainer(loadScenario('tutorial'), parsed.link.setup);
    const node: PageRow[] = [];
    for (let i = 0; i < 3; i++) node.push(pageRow((await trainer.iterate()).row));
    trainer.dispose();
    expect(a.map(strip)).toEqual(node.map(strip));
    expect(errors).toEqual([]);
  }, 150_000);

  it('a link that does not parse says why, and the page still works', async () => {
    const page = await open('train.html#scenario=rome&seed=banana&steps=2048&guardrails=none&backend=wasm');
    await ready(page);
    const msg = await page.textContent('#train-link-msg');
    expect(msg).toMatch(/^This link cannot be opened: its seed "banana" is not a whole number/);
    expect(await page.locator('#train-link-msg').isVisible()).toBe(true);
    expect(await page.isEnabled('#train-start')).toBe(true);
    const unknown = await open('train.html#scenario=atlantis&seed=1&steps=2048&guardrails=none&backend=wasm');
    await ready(unknown);
    expect(await unknown.textContent('#train-link-msg')).toMatch(/scenario "atlantis" is not shipped/);
    // a world that unpacks but is no valid scenario gets the schema's own message
    const bad = await encodeWorld('id: Not-An-Id\ntitle: x\n');
    const world = await open(`train.html#world=${bad}&seed=1&steps=2048&guardrails=none&backend=wasm`);
    await ready(world);
    expect(await world.textContent('#train-link-msg')).toMatch(/^This link cannot be opened: \[the linked world\] expected a lower-case id/);
    expect(await world.inputValue('#train-scenario')).toBe('tutorial');
    await page.close();
    await unknown.close();
    await world.close();
    expect(errors).toEqual([]);
  }, 60_000);

  it('the editor\'s "train on this world" opens the train page on the edited world', async () => {
    const page = await open('editor.html');
    await page.waitForSelector('#ed-grid .cell');
    await page.selectOption('#ed-scenario', 'tutorial');
    // paint one floor cell as wall: an edit the train page must receive
    await page.click('#ed-palette button[data-tile="wall"]');
    const cell = page.locator('#ed-grid .cell', { hasText: '.' }).first();
    const [x, y] = [await cell.getAttribute('data-x'), await cell.getAttribute('data-y')];
    await cell.click();
    expect(await page.textContent(`#ed-grid .cell[data-x="${x}"][data-y="${y}"]`)).toBe('#');
    await Promise.all([page.waitForURL(/train\.html/), page.click('#ed-train')]);
    await ready(page);
    expect(await page.locator('#train-scenario option:checked').textContent()).toBe('edited world: tutorial');
    const hash = await page.evaluate(() => location.hash);
    const world = await decodeWorld(new URLSearchParams(hash.slice(1)).get('world')!);
    const map = world.split('\n');
    const start = map.findIndex((l) => l.startsWith('map:'));
    expect(map[start + 1 + Number(y)].trim()[Number(x)]).toBe('#');
    await page.fill('#train-steps', '2048');
    await page.selectOption('#train-backend', 'wasm');
    await page.click('#train-start');
    await waitState(page, ['done', 'error']);
    expect(await page.getAttribute('#train-status', 'data-state')).toBe('done');
    // the worker trained the edited world, not the shipped one: its checkpoint episodes carry the edited world's hash
    const header = await page.evaluate(() => (globalThis as unknown as { sidequestTrain: { checkpoints: () => Array<{ episodes: string[] }> } }).sidequestTrain.checkpoints()[0].episodes[0].split('\n')[0]);
    const edited = validateText(world);
    if (!edited.ok) throw new Error(edited.message);
    expect(JSON.parse(header).scenario.hash).toBe(edited.scenario.hash);
    expect(edited.scenario.hash).not.toBe(loadScenario('tutorial').hash);
    await page.close();
    expect(errors).toEqual([]);
  }, 90_000);

  it('when a run stops, its checkpoint episodes open in the replay viewer', async () => {
    const page = await open(`train.html#scenario=rome&seed=2&steps=${100 * 2048}&guardrails=none&backend=wasm`);
    await ready(page);
    await page.click('#train-start');
    await page.waitForFunction(() => Number(document.getElementById('train-status')!.dataset.iteration ?? 0) >= 2, null, { timeout: 60_000 });
    await page.click('#train-stop');
    await waitState(page, ['stopped'], 20_000);
    await page.waitForSelector('#train-replay:not([hidden])', { timeout: 20_000 });
    const files = await page.evaluate(() => (globalThis as unknown as { sidequestTrain: { files: () => Array<{ name: string }> } }).sidequestTrain.files().map((f) => f.name));
    expect(files.length).toBeGreaterThanOrEqual(2);
    await Promise.all([page.waitForURL(/index\.html\?from=train/), page.click('#train-replay')]);
    await page.waitForFunction(() => window.sidequest?.ready === true && window.sidequest.hud() !== null, null, { timeout: 60_000 });
    // the last checkpoint's first episode is on screen, every recorded episode is listed, and it re-simulated
    expect(await page.evaluate(() => location.hash)).toBe(`#checkpoint=local&episode=${files.filter((f) => f.endsWith('-ep-0.jsonl')).pop()}&step=0`);
    const listed = await page.locator('#episodes button, #episodes li').allTextContents();
    for (const f of files) expect(listed.join(' ')).toContain(f);
    expect(await page.textContent('#banner')).toMatch(/^✓ Replay verified/);
    await page.close();
    expect(errors).toEqual([]);
  }, 120_000);

  it('the built site ships its wasm binaries and a sample run that opens with no server', async () => {
    const assets = readdirSync(join(VIEWER_DIST, 'assets'));
    expect(assets.filter((f) => f.endsWith('.wasm')).length).toBe(3);
    let bytes = 0;
    const walk = (d: string): void => {
      for (const e of readdirSync(d, { withFileTypes: true })) {
      if (e.isDirectory()) walk(join(d, e.name));
      else bytes += statSync(join(d, e.name)).size;
    }
    };
    walk(join(VIEWER_DIST, 'sample'));
    expect(bytes).toBeLessThan(1024 * 1024);
    const seen = host.requests.length;
    const page = await open('index.html');
    await page.waitForFunction(() => window.sidequest?.ready === true && window.sidequest.hud() !== null, null, { timeout: 60_000 });
    expect(await page.locator('#run-picker option').allTextContents()).toEqual(['rome-ppo-s1']);
    // the emergence curves of the sample's evals.jsonl are drawn, and the last checkpoint's episode is open
    expect(await page.locator('#curves-panel').isVisible()).toBe(true);
    expect(await page.locator('#curves svg path').count()).toBeGreaterThan(1);
    expect(await page.textContent('#board-a .caption')).toMatch(/rome-ppo-s1/);
    // its episodes re-simulate with this sim/ and match their recorded hashes
    expect(await page.textContent('#banner')).toMatch(/^✓ Replay verified/);
    expect(host.requests.slice(seen).filter((r) => r.startsWith('/api/'))).toEqual(['/api/runs']);
    await page.close();
    expect(errors).toEqual([]);
  }, 60_000);
});
