// `sidequest view [runs/NAME …] [--port N]`: serves the viewer and the named run folders, read-only, on loopback.
// Only regular files inside the named folders can be read through it, by the file route and by the /api/runs
// listing alike: every path is resolved (symlinks included) and must stay inside its run folder, FIFOs and
// devices are refused, whole-file reads are capped, and episodes are listed from a bounded tail. Every response
// carries a strict Content-Security-Policy; files from run folders are data (or downloads), never active content;
// requests whose Host is not this loopback server are refused (DNS rebinding). Builds the viewer if needed.
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { closeSync, constants, createReadStream, existsSync, fstatSync, openSync, readdirSync, readSync, realpathSync, statSync, type Stats } from 'node:fs';
import { isIP } from 'node:net';
import { basename, extname, join, resolve, sep } from 'node:path';
import { pipeline } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { episodeEndSchema } from '../sim/episode.ts';
import { defineCommand, parseCommand, printable, UsageError } from './args.ts';
import { RUNS_URL, type CheckpointEntry, type EpisodeEntry, type RunEntry } from '../viewer/src/api.ts';

export const VIEWER_ROOT = fileURLToPath(new URL('../viewer/', import.meta.url));
export const VIEWER_DIST = join(VIEWER_ROOT, 'dist');

const command = defineCommand({
  name: 'view',
  synopsis: '[runs/NAME | episodes-folder …] [--port N] [--host ADDRESS]',
  flags: {
    port: { type: 'number', default: 5178, integer: true, min: 0, max: 65535, description: 'port (0 = any free port)' },
    host: { type: 'string', default: '127.0.0.1', description: 'address to bind; loopback by default (the runs are served read-only, but to anyone who can reach it). Requests must be addressed to this IP or a loopback name (a guard against DNS rebinding)' },
    rebuild: { type: 'boolean', description: 'rebuild the viewer before serving' },
  },
});

// the listing's entries are declared once, with the viewer that reads them
export type { CheckpointEntry, EpisodeEntry, RunEntry } from '../viewer/src/api.ts';

/** Builds the static viewer (viewer/dist) with Vite. */
export async function buildViewer(quiet = true): Promise<void> {
  const { build } = await import('vite');
  await build({ configFile: join(VIEWER_ROOT, 'vite.config.ts'), logLevel: quiet ? 'warn' : 'info' });
}

// ---- confined reads ---------------------------------------------------------------------------------------

/** run.json embeds its scenario (a big map is a few MB); summary.json is a few KB. Larger is not ours. */
export const MAX_JSON_BYTES = 16 * 1024 * 1024;
/** An episode's end record is one short line (a few hundred bytes); this much of the file's end holds it. */
export const EPISODE_TAIL_BYTES = 16 * 1024;
/** Entries listed per folder: a folder of a million files must not make one listing take minutes. */
export const MAX_LISTED = 5000;

/** A read the server refuses: `status` is the HTTP answer, the message is what the listing shows. */
export class RefusedError extends Error {
  constructor(readonly status: 403 | 404 | 413, message: string) {
    super(message);
  }
}

/** Resolves `rel` inside `root`, or null if it would leave it (.., absolute paths, symlinks out). */
export function safeResolve(root: string, rel: string): string | null {
  if (rel.includes('\0')) return null;
  const realRoot = realpathSync(root);
  const target = resolve(realRoot, rel);
  if (target !== realRoot && !target.startsWith(realRoot + sep)) return null;
  if (!existsSync(target)) return target; // a 404, decided by the caller
  const real = realpathSync(target);
  return real === realRoot || real.startsWith(realRoot + sep) ? real : null;
}

/**
 * Opens a regular file inside `root` for reading. O_NONBLOCK so a FIFO swapped in after the check cannot block
 * the open, O_NOFOLLOW so a symlink swapped in after realpath is refused, and fstat on the open descriptor (not
 * the name) decides what it is: the server only ever reads what it checked.
 */
export function openConfined(root: string, rel: string, maxBytes = Infinity): { fd: number; size: number; stat: Stats } {
  let real: string | null;
  try {
    real = safeResolve(root, rel);
  } catch {
    throw new RefusedError(404, 'not found'); // the served folder itself is gone (or unreadable)
  }
  if (!real) throw new RefusedError(403, 'refused: outside the run folder');
  let fd: number;
  try {
    fd = openSync(real, constants.O_RDONLY | constants.O_NONBLOCK | constants.O_NOFOLLOW);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') throw new RefusedError(404, 'not found');
    throw new RefusedError(403, `refused: cannot open (${code ?? 'error'})`);
  }
  const stat = fstatSync(fd);
  if (!stat.isFile()) {
    closeSync(fd);
    throw new RefusedError(stat.isDirectory() ? 404 : 403, 'refused: not a regular file');
  }
  if (stat.size > maxBytes) {
    closeSync(fd);
    throw new RefusedError(413, `refused: ${stat.size} bytes, more than the ${maxBytes} this listing reads`);
  }
  return { fd, size: stat.size, stat };
}

/** Reads `length` bytes at `position` from an open file (short only at its end). */
function readAt(fd: number, length: number, position: number): Buffer {
  const buf = Buffer.alloc(length);
  let got = 0;
  while (got < length) {
    const n = readSync(fd, buf, got, length - got, position + got);
    if (n === 0) break;
    got += n;
  }
  return buf.subarray(0, got);
}

/** Sub-folders or files of a folder inside `root` (confined like files), sorted, at most MAX_LISTED. */
export function listConfined(root: string, rel: string, keep: (name: string) => boolean): string[] {
  const real = safeResolve(root, rel);
  if (!real) throw new RefusedError(403, 'refused: outside the run folder');
  if (!existsSync(real) || !statSync(real).isDirectory()) return [];
  return readdirSync(real).filter(keep).sort().slice(0, MAX_LISTED);
}

/** What was read from one file, kept until the file changes (inode, size or mtime). */
const cache = new Map<string, { signature: string; value: unknown }>();
function cached<T>(root: string, rel: string, maxBytes: number, read: (fd: number, size: number) => T): T {
  const { fd, size, stat } = openConfined(root, rel, maxBytes);
  try {
    const key = `${root}\0${rel}`;
    const signature = `${stat.ino}:${stat.size}:${stat.mtimeMs}`;
    const hit = cache.get(key);
    if (hit && hit.signature === signature) return hit.value as T;
    const value = read(fd, size);
    if (cache.size > 4 * MAX_LISTED) cache.clear(); // bounded: the listing of a few runs fits many times over
    cache.set(key, { signature, value });
    return value;
  } finally {
    closeSync(fd);
  }
}

/** A JSON file inside `root`, confined and capped; errors say which file and what is wrong with it. */
function readJsonConfined(root: string, rel: string): unknown {
  try {
    return cached(root, rel, MAX_JSON_BYTES, (fd, size) => {
      const text = readAt(fd, size, 0).toString('utf8');
      try {
        return JSON.parse(text) as unknown;
      } catch {
        throw new RefusedError(403, 'not valid JSON');
      }
    });
  } catch (e) {
    throw new RefusedError(e instanceof RefusedError ? e.status : 403, `${basename(rel)}: ${(e as Error).message}`);
  }
}

// ---- the listing --------------------------------------------------------------------------------------------

/** What a reason or behaviour name may look like (sim/schema.ts's names): nothing else is listed from a file. */
const NAME = /^[A-Za-z][A-Za-z0-9_]{0,39}$/;

/** An episode's listing entry from its end record: the last line of a bounded tail, validated by the schema. */
function episodeEntry(root: string, rel: string): EpisodeEntry {
  const broken = (error: string): EpisodeEntry => ({ file: rel, return: null, reason: 'unreadable', behaviours: [], alerts: 0, steps: 0, error });
  try {
    return cached(root, rel, Infinity, (fd, size) => {
      const start = Math.max(0, size - EPISODE_TAIL_BYTES);
      const tail = readAt(fd, size - start, start).toString('utf8').trimEnd();
      const lastLine = tail.slice(tail.lastIndexOf('\n') + 1);
      let json: unknown;
      try {
        json = JSON.parse(lastLine);
      } catch {
        return broken('no end record: the last line is not JSON (a cut or unfinished episode?)');
      }
      // only names go back to the page: the end record's schema, and reason and behaviours shaped like the
      // scenario schema's names (letters, digits, _), whichever scenario declared them
      const end = episodeEndSchema.safeParse(json);
      if (!end.success) return broken('the end record does not match the episode format');
      const e = end.data;
      if (![e.reason, ...e.behaviours].every((n) => NAME.test(n))) return broken('the end record names a reason or behaviour that is not a name');
      return { file: rel, return: e.return, reason: e.reason, behaviours: [...e.behaviours], alerts: e.alerts, steps: e.steps };
    });
  } catch (e) {
    return broken((e as Error).message);
  }
}

function checkpointEntry(root: string, name: string): CheckpointEntry {
  const rel = `episodes/${name}`;
  let summary: unknown = null;
  let error: string | undefined;
  try {
    const real = safeResolve(root, `${rel}/summary.json`);
    if (real && !existsSync(real)) summary = null;
    else summary = readJsonConfined(root, `${rel}/summary.json`);
  } catch (e) {
    error = (e as Error).message;
  }
  let episodes: EpisodeEntry[] = [];
  try {
    episodes = listConfined(root, rel, (f) => f.endsWith('.jsonl')).map((f) => episodeEntry(root, `${rel}/${f}`));
  } catch (e) {
    error = `${name}: ${(e as Error).message}`;
  }
  return { name, step: Number(name.slice(5)), summary, episodes, ...(error ? { error } : {}) };
}

/** What the viewer lists for one folder: a training run (episodes by checkpoint) or a folder of episode files. */
export function describeFolder(dir: string, id: number): RunEntry {
  const name = basename(dir);
  try {
    if (existsSync(join(dir, 'run.json'))) {
      let config: unknown = null;
      try {
        config = readJsonConfined(dir, 'run.json');
      } catch (e) {
        return { id, name, kind: 'run', config: null, checkpoints: [], error: (e as Error).message };
      }
      const names = listConfined(dir, 'episodes', (d) => /^step-\d+$/.test(d));
      return { id, name, kind: 'run', config, checkpoints: names.map((n) => checkpointEntry(dir, n)) };
    }
    const files = listConfined(dir, '.', (f) => f.endsWith('.jsonl'));
    return { id, name, kind: 'episodes', config: null, checkpoints: [{ name: 'episodes', step: 0, summary: null, episodes: files.map((f) => episodeEntry(dir, f)) }] };
  } catch (e) {
    return { id, name, kind: 'episodes', config: null, checkpoints: [], error: (e as Error).message };
  }
}

// ---- the server ---------------------------------------------------------------------------------------------

/**
 * The page's policy: scripts and styles only from this server (the Vite build has no inline script), no plugins,
 * frames or form posts; style attributes stay allowed because the legend and bars are sized with them, and they
 * cannot run script. Pixi needs no eval (viewer/src/main.ts loads its unsafe-eval-free path). 'wasm-unsafe-eval'
 * lets the train page's worker compile tfjs's WebAssembly backend; it allows no JavaScript eval.
 */
export const VIEWER_CSP = [
  "default-src 'none'", "script-src 'self' 'wasm-unsafe-eval'", "style-src-elem 'self'", "style-src-attr 'unsafe-inline'",
  "img-src 'self' data: blob:", "connect-src 'self'", "worker-src 'self' blob:", "font-src 'self'",
  "base-uri 'none'", "form-action 'none'", "frame-ancestors 'none'",
].join('; ');
/** Files from run folders are data: even opened directly, nothing in them may run or load anything. */
export const DATA_CSP = "default-src 'none'; sandbox; frame-ancestors 'none'";

/** Types the file route answers with; anything else (.html and .svg included) is a download. */
const DATA_TYPES: Record<string, string> = { '.json': 'application/json', '.jsonl': 'application/x-ndjson', '.png': 'image/png', '.txt': 'text/plain; charset=utf-8', '.md': 'text/plain; charset=utf-8' };
const VIEWER_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8', '.js': 'text/javascript', '.css': 'text/css', '.json': 'application/json',
  '.png': 'image/png', '.svg': 'image/svg+xml', '.wasm': 'application/wasm',
};

/** Host headers this server answers: its loopback names with its port, and the literal address it is bound to. */
function allowedHosts(host: string, port: number): Set<string> {
  const names = ['127.0.0.1', 'localhost', '[::1]'];
  // an IP literal cannot be rebound by DNS; a name other than localhost could be
  if (isIP(host)) names.push(host.includes(':') ? `[${host}]` : host);
  return new Set(names.map((n) => `${n}:${port}`.toLowerCase()));
}

export function startViewServer(folders: string[], opts: { port: number; host: string }): Promise<{ url: string; close: () => Promise<void> }> {
  const roots = folders.map((f) => resolve(f));
  let hosts = new Set<string>();
  const headers = (type: string, csp = VIEWER_CSP): Record<string, string> => ({
    'content-type': type, 'cache-control': 'no-store', 'x-content-type-options': 'nosniff', 'content-security-policy': csp,
    'referrer-policy': 'no-referrer', 'cross-origin-resource-policy': 'same-origin', 'x-frame-options': 'DENY',
  });
  const send = (res: ServerResponse, status: number, body: string, type = 'text/plain; charset=utf-8') => {
    res.writeHead(status, headers(type));
    res.end(body);
  };
  /** Streams a confined file: memory stays flat whatever its size, and other requests are served meanwhile. */
  const sendFile = (req: IncomingMessage, res: ServerResponse, root: string, rel: string, asData: boolean) => {
    let opened;
    try {
      opened = openConfined(root, rel);
    } catch (e) {
      if (e instanceof RefusedError) return send(res, e.status, e.status === 403 ? 'refused: that path is outside the served folder, or not a regular file' : 'not found');
      throw e;
    }
    const ext = extname(rel).toLowerCase();
    const type = asData ? DATA_TYPES[ext] : VIEWER_TYPES[ext];
    const h = headers(type ?? 'application/octet-stream', asData ? DATA_CSP : VIEWER_CSP);
    if (!type) h['content-disposition'] = `attachment; filename="${basename(rel).replace(/[^\w.-]/g, '_')}"`;
    h['content-length'] = String(opened.size);
    res.writeHead(200, h);
    if (req.method === 'HEAD') {
      closeSync(opened.fd);
      return res.end();
    }
    pipeline(createReadStream('', { fd: opened.fd, start: 0, end: Math.max(0, opened.size - 1) }), res, () => {
      /* a client that goes away mid-file is not an error worth reporting */
    });
  };
  const handle = (req: IncomingMessage, res: ServerResponse) => {
    if (!hosts.has(String(req.headers.host ?? '').toLowerCase())) return send(res, 421, 'refused: this server answers only to its loopback address (Host header)');
    if (req.method !== 'GET' && req.method !== 'HEAD') return send(res, 405, 'read-only');
    let path: string;
    try {
      path = decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname);
    } catch {
      return send(res, 400, 'bad request');
    }
    if (path === `/${RUNS_URL}`) {
      return send(res, 200, JSON.stringify(roots.map((r, i) => describeFolder(r, i))), 'application/json');
    }
    const m = /^\/api\/runs\/(\d+)\/file\/(.+)$/.exec(path);
    if (m) {
      const root = roots[Number(m[1])];
      if (!root) return send(res, 404, 'no such run');
      return sendFile(req, res, root, m[2], true);
    }
    if (/^\/api\/runs\/\d+\/(incidents$|training\/)/.test(path)) {
      // the Incidents view's routes (agents/runs/forensics-api.ts: confined, read-only, errors as data)
      void import('../agents/runs/forensics-api.ts')
        .then(({ forensicsRoute }) => forensicsRoute(path, roots, new URL(req.url ?? '/', 'http://x').searchParams))
        .then((r) => send(res, r?.status ?? 404, r?.body ?? 'not found', r?.type), (e: Error) => send(res, 500, `error: ${e.message}`));
      return;
    }
    if (path.startsWith('/api/')) return send(res, 404, 'not found');
    return sendFile(req, res, VIEWER_DIST, path === '/' ? 'index.html' : path.slice(1), false);
  };
  return new Promise((resolvePromise, reject) => {
    const server = createServer((req, res) => {
      try {
        handle(req, res);
      } catch (e) {
        // one bad request must never stop the server
        if (!res.headersSent) send(res, 500, `error: ${(e as Error).message}`);
        else res.destroy();
      }
    });
    server.on('error', reject);
    server.listen(opts.port, opts.host, () => {
      const addr = server.address();
      const port = typeof addr === 'object' && addr ? addr.port : opts.port;
      hosts = allowedHosts(opts.host, port);
      const host = opts.host.includes(':') ? `[${opts.host}]` : opts.host;
      resolvePromise({ url: `http://${host}:${port}/`, close: () => new Promise((r) => server.close(() => r())) });
    });
  });
}

export async function runView(argv: string[]): Promise<number> {
  const parsed = parseCommand(command, argv);
  if (!parsed) return 0;
  const folders = parsed.positionals.length ? parsed.positionals : existsSync('runs/demo') ? ['runs/demo'] : [];
  for (const f of folders) {
    if (!existsSync(f) || !statSync(f).isDirectory()) throw new UsageError(`${f}: expected a run folder (or a folder of episode files)`);
  }
  // the port first: a busy one should fail in a second, not after a build
  const { url } = await startViewServer(folders, { port: parsed.flags.port, host: parsed.flags.host }).catch((e: NodeJS.ErrnoException) => {
    if (e.code === 'EADDRINUSE') throw new UsageError(`port ${parsed.flags.port} on ${parsed.flags.host} is in use: choose another with --port N (0 = any free port)`);
    if (e.code === 'EADDRNOTAVAIL' || e.code === 'ENOTFOUND') throw new UsageError(`--host ${parsed.flags.host}: not an address of this machine`);
    throw e;
  });
  if (parsed.flags.rebuild || !existsSync(join(VIEWER_DIST, 'index.html'))) {
    console.error('building the viewer (once)…');
    await buildViewer();
  }
  console.log(`sidequest viewer: ${url}`);
  console.log(folders.length ? printable(`serving (read-only): ${folders.join(', ')}`) : 'no run folder given: open episode files from the page');
  console.log('Ctrl-C stops it.');
  return new Promise<number>(() => {
    /* serve until interrupted */
  });
}
