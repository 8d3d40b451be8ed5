// 120 corrupted episode files (cut at random, bytes flipped, end records with wrong types, markup, huge or
// missing lines; seeded, so the same every run) served by `sidequest view`: the listing answers, and every entry
// is either validated names and numbers or carries its error. Nothing unvalidated reaches the page, where a
// `behaviours` that is not a list used to throw while drawing the episode list.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startViewServer, type RunEntry } from '../cli/view.ts';
import { makeRng } from '../sim/rng.ts';

const DEMO = readFileSync(join(import.meta.dirname, 'demonstrations', 'rome.opportunist.jsonl'), 'utf8');
const N = 120;
/** A scenario-declared name (sim/schema.ts): the only strings an entry may carry from the file. */
const NAME = /^[A-Za-z][A-Za-z0-9_]{0,39}$/;

/** The n-th hostile variant of the demonstration episode. */
function corrupt(n: number, rng: ReturnType<typeof makeRng>): string {
  const lines = DEMO.trimEnd().split('\n');
  const end = JSON.parse(lines[lines.length - 1]) as Record<string, unknown>;
  const withEnd = (patch: Record<string, unknown>) => [...lines.slice(0, -1), JSON.stringify({ ...end, ...patch })].join('\n') + '\n';
  const pick = <T,>(xs: readonly T[]) => xs[Math.floor(rng() * xs.length)];
  const odd = [null, 7, -1, 1e308, 'x', '<img src=x onerror=alert(1)>', [], {}, [1, 2], ['claimGpu', 5], 'a'.repeat(10_000), true];
  switch (n % 8) {
    case 0: return DEMO.slice(0, Math.floor(rng() * DEMO.length)); // cut anywhere
    case 1: { // bytes flipped near the end
      const b = Buffer.from(DEMO);
      for (let k = 0; k < 4; k++) b[b.length - 1 - Math.floor(rng() * 200)] ^= 1 << Math.floor(rng() * 7);
      return b.toString('latin1');
    }
    case 2: return withEnd({ reason: pick(odd) });
    case 3: return withEnd({ behaviours: pick(odd) });
    case 4: return withEnd({ return: pick(odd), alerts: pick(odd), steps: pick(odd) });
    case 5: return withEnd({ type: pick(['end', 'step', 'header', null]), extra: pick(odd) });
    case 6: return `${DEMO.trimEnd()}\n${'{"x":'.repeat(5000)}\n`; // a long broken last line
    default: return pick(['', '\n\n\n', 'null\n', '[]\n', `${JSON.stringify(end)}`, DEMO.replace(/\n/g, '\r\n')]);
  }
}

let server: { url: string; close: () => Promise<void> };
beforeAll(async () => {
  const dir = join(mkdtempSync(join(tmpdir(), 'sq-hostile-listing-')), 'episodes');
  mkdirSync(dir);
  const rng = makeRng('hostile-listing');
  for (let n = 0; n < N; n++) writeFileSync(join(dir, `ep-${String(n).padStart(3, '0')}.jsonl`), corrupt(n, rng));
  server = await startViewServer([dir], { port: 0, host: '127.0.0.1' });
});
afterAll(async () => {
  await server?.close();
});

function getJson(url: string): Promise<RunEntry[]> {
  const u = new URL(url);
  return new Promise((resolve, reject) => {
    const req = request({ host: u.hostname, port: u.port, path: '/api/runs', headers: { host: u.host } }, (res) => {
      let body = '';
      res.on('data', (d) => (body += d));
      res.on('end', () => (res.statusCode === 200 ? resolve(JSON.parse(body) as RunEntry[]) : reject(new Error(`${res.statusCode}: ${body}`))));
    });
    req.setTimeout(10_000, () => req.destroy(new Error('no answer within 10 s')));
    req.on('error', reject);
    req.end();
  });
}

describe('the listing of hostile episodes', () => {
  it(`lists all ${N}: each entry validated or with its error`, async () => {
    const [run] = await getJson(server.url);
    const eps = run.checkpoints[0].episodes;
    expect(eps).toHaveLength(N);
    const unvalidated = eps.filter((e) => {
      if (e.error !== undefined) return !(e.return === null && e.reason === 'unreadable' && e.behaviours.length === 0);
      return !(
        typeof e.return === 'number' && Number.isFinite(e.return) && NAME.test(e.reason) &&
        Array.isArray(e.behaviours) && e.behaviours.every((b) => NAME.test(b)) &&
        Number.isInteger(e.alerts) && Number.isInteger(e.steps)
      );
    });
    expect(unvalidated).toEqual([]);
    expect(eps.filter((e) => e.error === undefined).length).toBeGreaterThan(0); // the intact end records still list
    expect(JSON.stringify(eps)).not.toContain('<img');
  });
});
