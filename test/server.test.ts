// The viewer server (cli/view.ts) against hostile run folders and hostile requests, over real HTTP. The server
// runs in a child process, so a server that hangs on a FIFO or balloons on /dev/zero fails
// its test instead of taking the test worker down with it.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync, openSync, closeSync, ftruncateSync, writeSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const REPO = join(import.meta.dirname, '..');
const DEMO = readFileSync(join(REPO, 'test', 'demonstrations', 'rome.opportunist.jsonl'), 'utf8');
const BLOB_BYTES = 128 * 1024 ** 2;
const RUN_JSON = JSON.stringify({ format: 'sidequest-run/1', name: 'r', scenario: { id: 'rome' } });

interface Reply { status: number; headers: Record<string, string | string[] | undefined>; body: string }

/** The child's resident-memory high-water mark, in bytes (Linux /proc). */
function peakRss(pid: number): number {
  const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return Number(m![1]) * 1024;
}

/** Downloads a file, counting bytes without keeping them. */
function download(port: number, path: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, headers: { host: `127.0.0.1:${port}` } }, (res) => {
      let n = 0;
      res.on('data', (d: Buffer) => (n += d.length));
      res.on('end', () => resolve(n));
    });
    req.on('error', reject);
    req.end();
  });
}

/** One GET (or other method) with an explicit Host header; rejects after `timeoutMs` so a hung server fails fast. */
function get(port: number, path: string, opts: { host?: string; method?: string; timeoutMs?: number } = {}): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, method: opts.method ?? 'GET', headers: { host: opts.host ?? `127.0.0.1:${port}` } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (d: Buffer) => chunks.push(d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }));
    });
    req.setTimeout(opts.timeoutMs ?? 5000, () => req.destroy(new Error(`no answer to ${path} within ${opts.timeoutMs ?? 5000} ms`)));
    req.on('error', reject);
    req.end();
  });
}

/** Starts `startViewServer(folders)` in a child process (1 GB heap cap) and returns its port. */
async function serve(folders: string[]): Promise<{ port: number; child: ChildProcess }> {
  const script = `import { startViewServer } from ${JSON.stringify(join(REPO, 'cli', 'view.ts'))};
const s = await startViewServer(${JSON.stringify(folders)}, { port: 0, host: '127.0.0.1' });
console.log(s.url);`;
  const child = spawn(process.execPath, ['--max-old-space-size=1024', '--import', 'tsx', '--input-type=module', '-e', script], {
    cwd: REPO,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const url = await new Promise<string>((resolve, reject) => {
    let out = '';
    let err = '';
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      if (out.includes('\n')) resolve(out.trim());
    });
    child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
    child.on('exit', (code) => reject(new Error(`server exited (${code}): ${err}`)));
  });
  return { port: Number(new URL(url).port), child };
}

let root: string;
let outside: string;
let port: number;
let child: ChildProcess;
const runs: Record<string, string> = {};

function runFolder(name: string, runJson: string | null = RUN_JSON): string {
  const dir = join(root, name);
  mkdirSync(join(dir, 'episodes', 'step-000000512'), { recursive: true });
  if (runJson !== null) writeFileSync(join(dir, 'run.json'), runJson);
  runs[name] = dir;
  return dir;
}

beforeAll(async () => {
  root = mkdtempSync(join(tmpdir(), 'sq-server-'));
  outside = mkdtempSync(join(tmpdir(), 'sq-outside-'));
  writeFileSync(join(outside, 'secret.json'), JSON.stringify({ format: 'sidequest-run/1', secret: 'TOPSECRET-run' }));
  writeFileSync(join(outside, 'summary.json'), JSON.stringify({ secret: 'TOPSECRET-summary' }));
  mkdirSync(join(outside, 'eps'));
  writeFileSync(join(outside, 'eps', 'ep-000.jsonl'), DEMO.replace('"agent":"', '"agent":"TOPSECRET-episode'));

  // 0: a good run, with active content and a huge (sparse) episode whose end record is its last line
  const good = runFolder('good');
  writeFileSync(join(good, 'episodes', 'step-000000512', 'ep-000.jsonl'), DEMO);
  writeFileSync(join(good, 'episodes', 'step-000000512', 'summary.json'), '{"step":512}');
  writeFileSync(join(good, 'report.html'), '<script>alert(1)</script>');
  writeFileSync(join(good, 'plot.svg'), '<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"/>');
  const endLine = DEMO.trimEnd().split('\n').pop()!;
  const big = openSync(join(good, 'episodes', 'step-000000512', 'ep-001.jsonl'), 'w');
  ftruncateSync(big, 3 * 1024 ** 3); // 3 GB, sparse: more than one read can hold
  writeSync(big, `\n${endLine}\n`, 3 * 1024 ** 3);
  closeSync(big);
  const blob = openSync(join(good, 'blob.jsonl'), 'w');
  ftruncateSync(blob, BLOB_BYTES); // sparse: costs no disk, reads as zeros
  closeSync(blob);
  // 1: run.json is a link to a JSON file elsewhere on the disk
  const linked = runFolder('linked-run-json', null);
  symlinkSync(join(outside, 'secret.json'), join(linked, 'run.json'));
  symlinkSync(join(outside, 'summary.json'), join(linked, 'episodes', 'step-000000512', 'summary.json'));
  symlinkSync(join(outside, 'eps'), join(linked, 'episodes', 'step-000001024'));
  // 2: run.json is /dev/zero
  const zero = runFolder('zero', null);
  symlinkSync('/dev/zero', join(zero, 'run.json'));
  // 3: malformed run.json
  runFolder('malformed', '{"format": "sidequest-run/1", ');
  // 4: malformed summary.json, and an episode that is a FIFO
  const fifo = runFolder('fifo');
  writeFileSync(join(fifo, 'episodes', 'step-000000512', 'summary.json'), '{not json');
  execFileSync('mkfifo', [join(fifo, 'episodes', 'step-000000512', 'ep-000.jsonl')]);
  // 5: summary.json is /dev/zero, an episode links to /dev/zero
  const zero2 = runFolder('zero-summary');
  symlinkSync('/dev/zero', join(zero2, 'episodes', 'step-000000512', 'summary.json'));
  symlinkSync('/dev/zero', join(zero2, 'episodes', 'step-000000512', 'ep-000.jsonl'));
  // 6: an episode whose end record carries markup where the vocabulary belongs
  const xss = runFolder('xss');
  const lines = DEMO.trimEnd().split('\n');
  const end = JSON.parse(lines.pop()!) as Record<string, unknown>;
  end.reason = '<img src=x onerror=alert(1)>';
  end.behaviours = ['<b>claimGpu</b>'];
  writeFileSync(join(xss, 'episodes', 'step-000000512', 'ep-000.jsonl'), [...lines, JSON.stringify(end)].join('\n') + '\n');

  ({ port, child } = await serve(Object.values(runs)));
}, 60_000);

afterAll(() => {
  child?.kill();
});

interface Listed { name: string; error?: string; config: unknown; checkpoints: Array<{ name: string; error?: string; summary: unknown; episodes: Array<{ file: string; return: number; reason: string; behaviours: string[]; error?: string }> }> }
async function listing(): Promise<Listed[]> {
  const r = await get(port, '/api/runs', { timeoutMs: 10_000 });
  expect(r.status).toBe(200);
  return JSON.parse(r.body) as Listed[];
}
const byName = (l: Listed[], n: string) => l.find((r) => r.name === n)!;

describe('viewer server: hostile run folders', () => {
  it('lists every folder, a broken one with its error, and stays up', async () => {
    const l = await listing();
    expect(l.map((r) => r.name)).toEqual(Object.keys(runs));
    expect(byName(l, 'malformed').error).toMatch(/^run\.json: not valid JSON/);
    expect(byName(l, 'zero').error).toMatch(/^run\.json: (refused|not a regular file)/);
    expect(byName(l, 'fifo').checkpoints[0].error).toMatch(/^summary\.json: not valid JSON/);
    expect((await get(port, '/api/runs/0/file/run.json')).status).toBe(200); // still answering
  });

  it('reads nothing through a symlink out of the run folder', async () => {
    const r = await get(port, '/api/runs', { timeoutMs: 10_000 });
    expect(r.body).not.toContain('TOPSECRET');
    const linked = byName(JSON.parse(r.body) as Listed[], 'linked-run-json');
    expect(linked.error).toMatch(/^run\.json: refused: outside the run folder/);
  });

  it('refuses FIFOs and devices instead of blocking on them or reading them forever', async () => {
    const l = await listing();
    expect(byName(l, 'fifo').checkpoints[0].episodes[0].error).toMatch(/not a regular file/);
    const z = byName(l, 'zero-summary').checkpoints[0];
    expect(z.error).toMatch(/^summary\.json: refused/);
    expect(z.episodes[0].error).toMatch(/refused/);
  });

  it('lists a huge episode from its tail (the end record), without reading it whole', async () => {
    const eps = byName(await listing(), 'good').checkpoints[0].episodes;
    expect(eps.map((e) => e.file)).toEqual(['episodes/step-000000512/ep-000.jsonl', 'episodes/step-000000512/ep-001.jsonl']);
    expect(eps[1].reason).toBe(eps[0].reason);
    expect(eps[1].return).toBe(eps[0].return);
    expect(Number.isFinite(eps[1].return)).toBe(true);
  });

  it('returns only the vocabulary in an episode entry, never markup from the file', async () => {
    const e = byName(await listing(), 'xss').checkpoints[0].episodes[0];
    expect(JSON.stringify(e)).not.toContain('<');
    expect(e.error).toMatch(/end record/);
  });

  it('notices a changed file (the listing cache is keyed on size and mtime)', async () => {
    const f = join(runs.good, 'episodes', 'step-000000512', 'ep-000.jsonl');
    const before = byName(await listing(), 'good').checkpoints[0].episodes[0].return;
    const lines = DEMO.trimEnd().split('\n');
    const end = JSON.parse(lines.pop()!) as { return: number };
    end.return = before + 1000;
    writeFileSync(f, [...lines, JSON.stringify(end)].join('\n') + '\n');
    expect(byName(await listing(), 'good').checkpoints[0].episodes[0].return).toBe(before + 1000);
    writeFileSync(f, DEMO);
  });
});

describe('viewer server: requests', () => {
  it.each(['evil.example.com', `evil.example.com:PORT`, 'localhost.evil.example:PORT', '127.0.0.1:1', 'localhost', '127.0.0.1.evil.example:PORT'])('Host %j is refused (DNS rebinding)', async (host) => {
    const r = await get(port, '/api/runs', { host: host.replace('PORT', String(port)) });
    expect(r.status).toBe(421);
    expect(r.body).not.toContain('sidequest-run');
  });

  it.each(['127.0.0.1:PORT', 'localhost:PORT', '[::1]:PORT'])('Host %j is served', async (host) => {
    expect((await get(port, '/api/runs/0/file/run.json', { host: host.replace('PORT', String(port)) })).status).toBe(200);
  });

  it.each([
    ['/api/runs', 200],
    ['/api/runs/0/file/run.json', 200],
    ['/api/runs/0/file/..%2F..%2F..%2Fetc%2Fpasswd', 403],
    ['/api/runs/0/file/nope', 404],
    ['/index.html', 200],
  ])('%s carries a strict Content-Security-Policy and nosniff', async (path, status) => {
    const r = await get(port, path);
    if (path !== '/index.html') expect(r.status).toBe(status);
    const csp = String(r.headers['content-security-policy']);
    expect(csp).toContain("default-src 'none'");
    expect(csp).not.toMatch(/script-src[^;]*unsafe-inline/);
    expect(csp).toContain("frame-ancestors 'none'");
    expect(r.headers['x-content-type-options']).toBe('nosniff');
  });

  it('a 405 and a 421 carry the same headers', async () => {
    for (const r of [await get(port, '/api/runs', { method: 'POST' }), await get(port, '/', { host: 'evil.example.com' })]) {
      expect(String(r.headers['content-security-policy'])).toContain("default-src 'none'");
      expect(r.headers['x-content-type-options']).toBe('nosniff');
    }
  });

  it.each(['report.html', 'plot.svg'])('%s from a run folder is a download, never active content', async (f) => {
    const r = await get(port, `/api/runs/0/file/${f}`);
    expect(r.status).toBe(200);
    expect(r.headers['content-type']).toBe('application/octet-stream');
    expect(String(r.headers['content-disposition'])).toMatch(/^attachment/);
    expect(String(r.headers['content-security-policy'])).toContain('sandbox');
  });

  it('big files are streamed: memory stays flat and other requests are answered meanwhile', async () => {
    const before = peakRss(child.pid!);
    const downloads = Array.from({ length: 8 }, () => download(port, '/api/runs/0/file/blob.jsonl'));
    const t0 = performance.now();
    expect((await get(port, '/api/runs/0/file/run.json')).status).toBe(200);
    const answeredIn = performance.now() - t0;
    expect(await Promise.all(downloads)).toEqual(Array(8).fill(BLOB_BYTES));
    expect(peakRss(child.pid!) - before).toBeLessThan(BLOB_BYTES); // 8 whole reads would be 8 × this
    expect(answeredIn).toBeLessThan(2000);
  }, 60_000);

  it('a served folder deleted while the server runs: 404s and a listed error, and the server stays up', async () => {
    rmSync(runs.malformed, { recursive: true });
    expect((await get(port, '/api/runs/3/file/run.json')).status).toBe(404);
    expect(byName(await listing(), 'malformed').error).toMatch(/ENOENT|not found/);
  });

  it('serves an episode whole (streamed), with its type', async () => {
    const r = await get(port, '/api/runs/0/file/episodes/step-000000512/ep-000.jsonl');
    expect(r.status).toBe(200);
    expect(r.headers['content-type']).toBe('application/x-ndjson');
    expect(r.body).toBe(DEMO);
  });
});
