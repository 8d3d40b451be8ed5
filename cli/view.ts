// `sidequest view [runs/NAME …] [--port N]`: serves the viewer and the named run folders, read-only, on loopback.
// Only files inside the named folders can be read through it: every path is resolved (symlinks included) and
// must stay inside its run folder, or the request is refused. Builds the viewer first if it has not been built.
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { existsSync, readdirSync, readFileSync, realpathSync, statSync } from 'node:fs';
import { basename, extname, join, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { defineCommand, parseCommand, UsageError } from './args.ts';

export const VIEWER_ROOT = fileURLToPath(new URL('../viewer/', import.meta.url));
export const VIEWER_DIST = join(VIEWER_ROOT, 'dist');

const command = defineCommand({
  name: 'view',
  synopsis: '[runs/NAME | episodes-folder …] [--port N] [--host ADDRESS]',
  flags: {
    port: { type: 'number', default: 5178, integer: true, min: 0, max: 65535, description: 'port (0 = any free port)' },
    host: { type: 'string', default: '127.0.0.1', description: 'address to bind; loopback by default (the runs are served read-only, but to anyone who can reach it)' },
    rebuild: { type: 'boolean', description: 'rebuild the viewer before serving' },
  },
});

export interface EpisodeEntry {
  file: string; // relative to the run folder
  return: number;
  reason: string;
  behaviours: string[];
  alerts: number;
  steps: number;
}
export interface CheckpointEntry {
  name: string;
  step: number;
  summary: unknown;
  episodes: EpisodeEntry[];
}
export interface RunEntry {
  id: number;
  name: string;
  kind: 'run' | 'episodes';
  config: unknown;
  checkpoints: CheckpointEntry[];
}

/** Builds the static viewer (viewer/dist) with Vite. */
export async function buildViewer(quiet = true): Promise<void> {
  const { build } = await import('vite');
  await build({ configFile: join(VIEWER_ROOT, 'vite.config.ts'), logLevel: quiet ? 'warn' : 'info' });
}

function episodeEntry(dir: string, rel: string): EpisodeEntry | null {
  try {
    const text = readFileSync(join(dir, rel), 'utf8').trimEnd();
    const lastLine = text.slice(text.lastIndexOf('\n') + 1);
    const end = JSON.parse(lastLine) as { type?: string; return: number; reason: string; behaviours: string[]; steps: number };
    if (end.type !== 'end') return { file: rel, return: Number.NaN, reason: 'unreadable', behaviours: [], alerts: 0, steps: 0 };
    const alerts = (text.match(/"al":\[/g) ?? []).length;
    return { file: rel, return: end.return, reason: end.reason, behaviours: end.behaviours, alerts, steps: end.steps };
  } catch {
    return { file: rel, return: Number.NaN, reason: 'unreadable', behaviours: [], alerts: 0, steps: 0 };
  }
}

/** What the viewer lists for one folder: a training run (episodes by checkpoint) or a folder of episode files. */
export function describeFolder(dir: string, id: number): RunEntry {
  if (existsSync(join(dir, 'run.json'))) {
    const config = JSON.parse(readFileSync(join(dir, 'run.json'), 'utf8')) as unknown;
    const epRoot = join(dir, 'episodes');
    const names = existsSync(epRoot) ? readdirSync(epRoot).filter((d) => /^step-\d+$/.test(d)).sort() : [];
    const checkpoints = names.map((name) => {
      const files = readdirSync(join(epRoot, name)).filter((f) => f.endsWith('.jsonl')).sort();
      const summaryFile = join(epRoot, name, 'summary.json');
      return {
        name,
        step: Number(name.slice(5)),
        summary: existsSync(summaryFile) ? (JSON.parse(readFileSync(summaryFile, 'utf8')) as unknown) : null,
        episodes: files.map((f) => episodeEntry(dir, `episodes/${name}/${f}`)).filter((e): e is EpisodeEntry => e !== null),
      };
    });
    return { id, name: basename(dir), kind: 'run', config, checkpoints };
  }
  const files = readdirSync(dir).filter((f) => f.endsWith('.jsonl')).sort();
  return {
    id,
    name: basename(dir),
    kind: 'episodes',
    config: null,
    checkpoints: [{ name: 'episodes', step: 0, summary: null, episodes: files.map((f) => episodeEntry(dir, f)).filter((e): e is EpisodeEntry => e !== null) }],
  };
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

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8', '.js': 'text/javascript', '.css': 'text/css', '.json': 'application/json',
  '.jsonl': 'application/x-ndjson', '.png': 'image/png', '.svg': 'image/svg+xml', '.wasm': 'application/wasm',
};

export function startViewServer(folders: string[], opts: { port: number; host: string }): Promise<{ url: string; close: () => Promise<void> }> {
  const roots = folders.map((f) => resolve(f));
  const send = (res: ServerResponse, status: number, body: string | Buffer, type = 'text/plain; charset=utf-8') => {
    res.writeHead(status, { 'content-type': type, 'cache-control': 'no-store', 'x-content-type-options': 'nosniff' });
    res.end(body);
  };
  const handle = (req: IncomingMessage, res: ServerResponse) => {
    if (req.method !== 'GET' && req.method !== 'HEAD') return send(res, 405, 'read-only');
    let path: string;
    try {
      path = decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname);
    } catch {
      return send(res, 400, 'bad request');
    }
    if (path === '/api/runs') {
      return send(res, 200, JSON.stringify(roots.map((r, i) => describeFolder(r, i))), 'application/json');
    }
    const m = /^\/api\/runs\/(\d+)\/file\/(.+)$/.exec(path);
    if (m) {
      const root = roots[Number(m[1])];
      if (!root) return send(res, 404, 'no such run');
      const target = safeResolve(root, m[2]);
      if (!target) return send(res, 403, 'refused: that path is outside the served run folder');
      if (!existsSync(target) || !statSync(target).isFile()) return send(res, 404, 'not found');
      return send(res, 200, readFileSync(target), TYPES[extname(target)] ?? 'application/octet-stream');
    }
    if (path.startsWith('/api/')) return send(res, 404, 'not found');
    const file = safeResolve(VIEWER_DIST, path === '/' ? 'index.html' : path.slice(1));
    if (!file) return send(res, 403, 'refused');
    if (!existsSync(file) || !statSync(file).isFile()) return send(res, 404, 'not found');
    return send(res, 200, readFileSync(file), TYPES[extname(file)] ?? 'application/octet-stream');
  };
  return new Promise((resolvePromise, reject) => {
    const server = createServer(handle);
    server.on('error', reject);
    server.listen(opts.port, opts.host, () => {
      const addr = server.address();
      const port = typeof addr === 'object' && addr ? addr.port : opts.port;
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
  if (parsed.flags.rebuild || !existsSync(join(VIEWER_DIST, 'index.html'))) {
    console.error('building the viewer (once)…');
    await buildViewer();
  }
  const { url } = await startViewServer(folders, { port: parsed.flags.port, host: parsed.flags.host });
  console.log(`sidequest viewer: ${url}`);
  console.log(folders.length ? `serving (read-only): ${folders.join(', ')}` : 'no run folder given: open episode files from the page');
  console.log('Ctrl-C stops it.');
  return new Promise<number>(() => {
    /* serve until interrupted */
  });
}
