// A plain static file host for browser tests of the built site (viewer/dist): files only, no API, the way any
// static host (or `npx vite preview viewer`) serves it. Paths are confined to the root; nothing else is served.
import { createServer } from 'node:http';
import { readFileSync, realpathSync, statSync } from 'node:fs';
import { extname, resolve, sep } from 'node:path';

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8', '.js': 'text/javascript', '.css': 'text/css', '.wasm': 'application/wasm',
  '.json': 'application/json', '.jsonl': 'application/x-ndjson', '.png': 'image/png', '.svg': 'image/svg+xml',
};

export function startStaticHost(root: string): Promise<{ url: string; requests: string[]; close: () => Promise<void> }> {
  const base = realpathSync(root);
  const requests: string[] = [];
  const server = createServer((req, res) => {
    const path = decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname);
    requests.push(path);
    const file = resolve(base, `.${path === '/' ? '/index.html' : path}`);
    let real: string;
    try {
      real = realpathSync(file);
      if (!(real === base || real.startsWith(base + sep)) || !statSync(real).isFile()) throw new Error('outside');
    } catch {
      res.writeHead(404, { 'content-type': 'text/plain' });
      return res.end('not found');
    }
    res.writeHead(200, { 'content-type': TYPES[extname(real)] ?? 'application/octet-stream' });
    res.end(readFileSync(real));
  });
  return new Promise((ok) => {
    server.listen(0, '127.0.0.1', () => {
      const addr = server.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      ok({ url: `http://127.0.0.1:${port}/`, requests, close: () => new Promise((r) => server.close(() => r())) });
    });
  });
}
