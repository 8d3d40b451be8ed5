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

/** The colour of the board-a canvas pixel in map cell (x, y), at its centre or at a fraction (fx, fy) of it. */
async function pixelAt(x: number, y: number, fx = 0.5, fy = 0.5): Promise<number[]> {
  return page.evaluate(
    ([cx, cy, ox, oy]) => {
      const src = document.querySelector<HTMLCanvasElement>('#board-a canvas')!;
      const c = document.createElement('canvas');
      c.width = src.width;
      c.height = src.height;
      const g = c.getContext('2d')!;
      g.drawImage(src, 0, 0);
      const size = window.sidequest.cellSize();
      return Array.from(g.getImageData(Math.floor((cx + ox) * size), Math.floor((cy + oy) * size), 1, 1).data);
    },
    [x, y, fx, fy],
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

  it('simulates each episode once: the board and the heat map share it, and reopening costs nothing', async () => {
    // the page opened the last checkpoint's first episode; its heat map needed the checkpoint's three
    await page.waitForFunction(() => document.querySelector('#heat-note')?.textContent?.startsWith('3 episodes counted'));
    const start = await page.evaluate(() => window.sidequest.simulations());
    expect(start).toBe(3);
    const cp = 'step-000001536';
    for (const i of [1, 2, 0, 1]) {
      await page.click(`.episode[data-checkpoint="${cp}"][data-index="${i}"]`);
      await page.waitForFunction((f) => document.querySelector('#board-a .caption')?.textContent?.includes(f), `ep-00${i}.jsonl`);
    }
    expect(await page.evaluate(() => window.sidequest.simulations())).toBe(3);
    // another checkpoint: a loading indicator while its first episode is simulated, then three more simulations
    const shown = await page.evaluate(() => {
      document.querySelector<HTMLElement>('.episode[data-checkpoint="step-000000512"][data-index="0"]')!.click();
      const l = document.getElementById('loading')!;
      return l.hidden ? null : l.textContent;
    });
    expect(shown).toBe('simulating ep-000.jsonl…');
    await page.waitForFunction(() => document.getElementById('loading')!.hidden && document.querySelector('#heat-note')?.textContent?.startsWith('3 episodes'));
    expect(await page.evaluate(() => window.sidequest.simulations())).toBe(6);
    // an episode already simulated opens without the indicator
    const again = await page.evaluate(() => {
      document.querySelector<HTMLElement>('.episode[data-checkpoint="step-000001536"][data-index="2"]')!.click();
      return document.getElementById('loading')!.hidden;
    });
    expect(again).toBe(true);
    expect(await page.evaluate(() => window.sidequest.simulations())).toBe(6);
  });

  it('a share link reproduces run, checkpoint, episode and step; a broken one says why', async () => {
    await page.click('.episode[data-checkpoint="step-000001024"][data-index="1"]');
    await page.waitForFunction(() => document.querySelector('#board-a .caption')?.textContent?.includes('step 1,024 · ep-001.jsonl'));
    await page.evaluate(() => window.sidequest.setFrame(9));
    const hash = await page.evaluate(() => location.hash);
    expect(hash).toBe('#run=tiny-run&checkpoint=step-000001024&episode=ep-001.jsonl&step=9');
    const other = await browser.newPage({ viewport: { width: 1280, height: 720 } });
    const errors: string[] = [];
    other.on('pageerror', (e) => errors.push(e.message));
    try {
      await other.goto(server.url + hash);
      await other.waitForFunction(() => window.sidequest?.ready === true, null, { timeout: 60_000 });
      expect(await other.evaluate(() => window.sidequest.frame())).toBe(9);
      expect(await other.textContent('#board-a .caption .cap-title')).toBe('tiny-run · checkpoint · step 1,024 · ep-001.jsonl');
      expect(await other.textContent('#board-a .caption .cap-step')).toMatch(/^step 9 \/ /);
      expect(await other.$eval('.episode.selected', (b) => `${(b as HTMLElement).dataset.checkpoint}/${(b as HTMLElement).dataset.index}`)).toBe('step-000001024/1');
      expect(await other.textContent('[data-hud="step"]')).toMatch(/^9 \//);
      for (const [bad, says] of [
        ['#run=tiny-run&checkpoint=step-000001024&episode=ep-001.jsonl&step=nine', 'its step "nine" is not a whole number'],
        ['#hello=world', 'a field a sidequest link does not have: hello'],
        ['#run=elsewhere&checkpoint=step-000001024&episode=ep-001.jsonl&step=1', 'the run "elsewhere" is not served here (served: tiny-run, opportunist)'],
        ['#run=tiny-run&checkpoint=step-000001024&episode=ep-009.jsonl&step=1', 'has no episode ep-009.jsonl'],
        ['#%E0%A4%A', 'broken %-escape'],
      ]) {
        await other.goto('about:blank');
        await other.goto(server.url + bad);
        await other.waitForFunction(() => window.sidequest?.ready === true, null, { timeout: 60_000 });
        const text = await other.textContent('#banner');
        expect(text, bad).toContain('This link cannot be opened');
        expect(text, bad).toContain(says);
        // not a blank page: the first run is open beneath the message
        expect(await other.$$eval('#board-a canvas', (c) => c.length), bad).toBe(1);
        expect(await other.textContent('#board-a .caption'), bad).toContain('tiny-run');
      }
      // a link to a file opened from disk: it says which file to open, and opens it at its step once it is
      const local = readFileSync(join(root, 'opportunist', 'ep-2.jsonl'));
      await other.goto('about:blank');
      await other.goto(`${server.url}#checkpoint=local&episode=ep-2.jsonl&step=11`);
      await other.waitForFunction(() => window.sidequest?.ready === true, null, { timeout: 60_000 });
      expect(await other.textContent('#banner')).toContain('it shows ep-2.jsonl, a file opened from disk: open that file');
      await other.setInputFiles('#file-input', [{ name: 'ep-2.jsonl', mimeType: 'application/x-ndjson', buffer: local }]);
      await other.waitForFunction(() => document.querySelector('#board-a .caption .cap-title')?.textContent === 'opened file · ep-2.jsonl');
      expect(await other.evaluate(() => window.sidequest.frame())).toBe(11);
      expect(await other.evaluate(() => location.hash)).toBe('#checkpoint=local&episode=ep-2.jsonl&step=11');
      expect(errors).toEqual([]);
    } finally {
      await other.close();
    }
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
    await page.screenshot({ path: join(ARTIFACTS, 'viewer-mid-replay.png') });
  });

  it('alerts: the HUD row turns red, the board flashes the cell, the timeline has a key; one step number everywhere', async () => {
    await page.evaluate(() => window.sidequest.setFrame(0));
    await page.keyboard.press('a');
    const frame = await page.evaluate(() => window.sidequest.frame());
    const rec = opportunistRec;
    const alertStep = rec.steps.findIndex((s) => s.al?.length);
    expect(frame).toBe(alertStep + 1); // the file's t, plus one: step k is the k-th action
    expect(await page.getAttribute('[data-hud="alerts"]', 'title')).toMatch(/^ALERT: /);
    expect(await page.$eval('[data-hud="alerts"]', (td) => td.parentElement!.classList.contains('alert'))).toBe(true);
    expect(await page.$eval('[data-hud="alerts"]', (td) => getComputedStyle(td).backgroundColor)).toBe('rgb(255, 23, 68)');
    // the flashed cell is where the event that raised the alert happened
    const ev = rec.steps[alertStep].ev!.find((e) => e[0] === rec.steps[alertStep].al![0][0])!;
    expect(await page.evaluate(() => window.sidequest.alertCells())).toContainEqual({ x: ev[1], y: ev[2], kind: ev[0] });
    // the cell's red frame (it stays while the step is shown; the fill inside blinks)
    const size = await page.evaluate(() => window.sidequest.cellSize());
    const px = await pixelAt(ev[1], ev[2], 3 / size, 0.5);
    expect(px.slice(0, 3)).toEqual([255, 23, 68]);
    // the next step has no alert: the row is back to normal
    await page.keyboard.press('ArrowRight');
    if (!rec.steps[alertStep + 1]?.al) expect(await page.$eval('[data-hud="alerts"]', (td) => td.parentElement!.classList.contains('alert'))).toBe(false);
    // the key names every kind of mark on the timeline
    const key = await page.textContent('#timeline-key');
    expect(key).toContain('firewall alert');
    for (const kind of await page.$$eval('#timeline .mark.events', (ms) => [...new Set(ms.map((m) => (m as HTMLElement).dataset.kind))])) expect(key).toContain(kind!);
    // one numbering: the mark's tooltip, the scrubber's label, the HUD and the caption say the same step
    const mark = page.locator('#timeline .mark.firewall').first();
    const title = (await mark.getAttribute('title'))!;
    const k = Number(/^step (\d+):/.exec(title)![1]);
    await mark.click();
    expect(await page.evaluate(() => window.sidequest.frame())).toBe(k);
    expect(await page.textContent('#frame-label')).toBe(`step ${k} / 48`);
    expect(await page.textContent('[data-hud="step"]')).toBe(`${k} / 48`);
    expect(await page.textContent('#board-a .caption .cap-step')).toBe(`step ${k} / 48`);
    expect(Number(await page.inputValue('#scrubber'))).toBe(k);
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
    await page.selectOption('#compare-picker', 'run:0');
    await page.waitForSelector('#board-b canvas');
    await page.waitForSelector('#board-b .caption');
    await page.evaluate(() => window.sidequest.setFrame(7));
    expect(await page.$$eval('#stage .board canvas', (cs) => cs.length)).toBe(2);
    // each board has its own caption (run, checkpoint, step) and its own HUD
    expect(await page.textContent('#board-b .caption')).toContain('tiny-run · checkpoint · step 512'); // the same checkpoint position (the first)
    expect(await page.textContent('#board-b .caption')).toContain('step 7 / ');
    expect(await page.textContent('#board-a .caption')).toContain('opportunist · episodes');
    expect(await page.textContent('#hud-b [data-hud="step"]')).toMatch(/^7 \/ /);
    await page.screenshot({ path: join(ARTIFACTS, 'viewer-compare.png') });
    // on a narrow window the boards wrap (one above the other) instead of being clipped
    await page.setViewportSize({ width: 900, height: 900 });
    await page.waitForTimeout(300);
    const [a, b, stage] = await Promise.all(['#pane-a', '#pane-b', '#stage'].map(async (s) => (await page.locator(s).boundingBox())!));
    expect(b.y).toBeGreaterThanOrEqual(a.y + a.height);
    for (const p of [a, b]) expect(p.x + p.width).toBeLessThanOrEqual(stage.x + stage.width + 1);
    const canvases = await page.$$eval('#stage .board canvas', (cs) => cs.map((c) => c.getBoundingClientRect().right));
    for (const right of canvases) expect(right).toBeLessThanOrEqual(stage.x + stage.width + 1);
    await page.setViewportSize({ width: 1400, height: 1100 });
    await page.selectOption('#compare-picker', '');
    // before/after: two checkpoints of one run, the same episode index at each
    await page.selectOption('#run-picker', '0');
    await page.waitForFunction(() => document.querySelector('#board-a .caption')?.textContent?.includes('step 1,536 · ep-000.jsonl'));
    await page.click('.episode[data-checkpoint="step-000001536"][data-index="2"]');
    await page.waitForFunction(() => document.querySelector('#board-a .caption')?.textContent?.includes('ep-002.jsonl'));
    await page.selectOption('#compare-picker', 'cp:step-000000512');
    await page.waitForFunction(() => document.querySelector('#board-b .caption .cap-title')?.textContent === 'tiny-run · checkpoint · step 512 · ep-002.jsonl');
    expect(await page.textContent('#board-a .caption .cap-title')).toBe('tiny-run · checkpoint · step 1,536 · ep-002.jsonl');
    await page.selectOption('#compare-picker', '');
    await page.waitForFunction(() => document.querySelector<HTMLElement>('#pane-b')!.hidden);
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

  it('two opened files of one name stay two episodes; a failed open clears the board', async () => {
    const a = readFileSync(join(root, 'opportunist', 'ep-0.jsonl'), 'utf8');
    const b = readFileSync(join(root, 'opportunist', 'ep-1.jsonl'), 'utf8');
    // as from two checkpoints' folders: both are ep-000.jsonl
    await page.setInputFiles('#file-input', [{ name: 'ep-000.jsonl', mimeType: 'application/x-ndjson', buffer: Buffer.from(a) }]);
    await page.waitForFunction(() => document.querySelector('#board-a .caption')?.textContent?.includes('ep-000.jsonl'));
    await page.setInputFiles('#file-input', [{ name: 'ep-000.jsonl', mimeType: 'application/x-ndjson', buffer: Buffer.from(b) }]);
    await page.waitForFunction(() => document.querySelector('#board-a .caption')?.textContent?.includes('ep-000.jsonl (2)'));
    const labels = await page.$$eval('#episodes .episode', (bs) => bs.map((x) => x.textContent));
    expect(labels.filter((l) => l?.startsWith('ep-000.jsonl'))).toHaveLength(2);
    const returns = [];
    for (const label of ['ep-000.jsonl', 'ep-000.jsonl (2)']) {
      const i = labels.indexOf(label);
      await page.click(`#episodes .episode[data-index="${i}"]`);
      await page.waitForFunction((l) => document.querySelector('#board-a .caption .cap-title')?.textContent === `opened file · ${l}`, label);
      returns.push(await page.textContent('#board-a .caption .cap-line'));
    }
    const ret = (t: string) => JSON.parse(t.trimEnd().split('\n').pop()!).return as number;
    expect(returns[0]).toContain(`return ${ret(a).toFixed(1)}`);
    expect(returns[1]).toContain(`return ${ret(b).toFixed(1)}`);
    // a file that cannot be opened: nothing of the previous episode stays on screen
    await page.setInputFiles('#file-input', [{ name: 'bad.jsonl', mimeType: 'application/x-ndjson', buffer: Buffer.from('{"hello":"world"}\n') }]);
    await page.waitForFunction(() => document.querySelector('#banner')?.textContent?.includes('bad.jsonl'));
    expect(await page.textContent('#board-a .caption')).toBe('');
    expect(await page.$$eval('#hud table', (t) => t.length)).toBe(0);
    expect(await page.$$eval('#timeline .mark', (m) => m.length)).toBe(0);
    expect(await page.$eval('#pane-a', (p) => p.classList.contains('empty'))).toBe(true);
    expect(await page.textContent('#frame-label')).toBe('step — / —');
    const blank = await pixelAt(3, 1);
    expect(blank.slice(0, 3).every((v) => v > 230)).toBe(false);
    expect(await page.$eval('#board-a canvas', (c) => getComputedStyle(c).visibility)).toBe('hidden');
  });

  it('Incidents: the run\'s alerts over training as bursts; an episode opens, verified, at its alerting step', async () => {
    await page.selectOption('#run-picker', '0');
    await page.click('#incidents-show');
    await page.waitForFunction(() => document.querySelectorAll('.incidents-open').length > 0, null, { timeout: 30_000 }).catch(async (e: unknown) => {
      throw new Error(`no incident episodes: "${await page.textContent('#incidents-panel')}" hidden=${await page.$eval('#incidents-panel', (p) => (p as HTMLElement).hidden)}`, { cause: e });
    });
    expect(await page.isVisible('#incidents-panel')).toBe(true);
    expect(await page.$$eval('.incidents-burst', (b) => b.length)).toBeGreaterThan(0);
    const label = (await page.textContent('.incidents-open'))!;
    const at = Number(/from step (\d+)/.exec(label)![1]);
    await page.click('.incidents-open');
    await page.waitForFunction((s) => window.sidequest.frame() === s && document.querySelector('#banner')?.textContent?.includes('verified'), at, { timeout: 30_000 }).catch(async (e: unknown) => {
      throw new Error(`not opened at step ${at}: frame ${await page.evaluate(() => window.sidequest.frame())}, banner "${await page.textContent('#banner')}", caption "${await page.textContent('#pane-a .caption')}"`, { cause: e });
    });
    // the episode opened is the training episode the alert names, and the alert is on that step's frame
    expect(await page.textContent('#pane-a .caption')).toContain('training env');
    expect((await page.evaluate(() => window.sidequest.alertCells())).length).toBeGreaterThan(0);
    // an episodes folder (not a training run) has no Incidents panel
    await page.selectOption('#run-picker', '1');
    await page.waitForFunction(() => (document.querySelector('#incidents-panel') as HTMLElement).hidden);
  });

  it('fork here: the same actions under sandbox from step 0 use no side strategy; the fork is shown beside the original', async () => {
    await page.selectOption('#run-picker', '1');
    await page.click('.episode[data-index="0"]');
    await page.waitForFunction(() => document.querySelector('#pane-a .caption')?.textContent?.startsWith('opportunist ·') && !(document.querySelector('#fork-panel') as HTMLElement).hidden);
    await page.evaluate(() => window.sidequest.setFrame(0));
    await page.selectOption('#fork-guardrail', 'sandbox');
    await page.selectOption('#fork-agent', 'recorded');
    await page.click('#fork-go');
    await page.waitForFunction(() => document.querySelector('#fork-status')?.textContent?.startsWith('fork under sandbox'), null, { timeout: 30_000 });
    const status = (await page.textContent('#fork-status'))!;
    expect(status).toMatch(/side strategies none \(original: .*claimGpu/);
    expect(await page.isVisible('#pane-b')).toBe(true);
    expect(await page.textContent('#pane-b .caption')).toContain('after step 0 · sandbox');
    // stepping moves both boards; closing the fork leaves the original alone
    await page.evaluate(() => window.sidequest.setFrame(5));
    expect(await page.textContent('#pane-b .caption')).toContain('step 5');
    await page.click('#fork-close');
    expect(await page.isVisible('#pane-b')).toBe(false);
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
