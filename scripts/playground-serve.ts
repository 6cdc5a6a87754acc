/**
 * Serves dist/playground/ (npm run build:playground) on http://localhost:PORT/ (default 8080, or
 * the PORT variable; 0 picks a free port). Static files only, from that folder only, on the loopback
 * address; `.wasm` as application/wasm so that tfjs can compile it while it streams.
 *
 *   node dist/scripts/playground-serve.js [DIR]      (npm run playground)
 */
import * as fs from 'node:fs';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { ROOT } from './playground-build.js';

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.wasm': 'application/wasm',
  '.gz': 'application/octet-stream',
  '.png': 'image/png',
};

export function servePlayground(dir: string, port: number): Promise<http.Server> {
  const root = path.resolve(dir);
  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    let rel = decodeURIComponent(url.pathname);
    if (rel.endsWith('/')) rel += 'index.html';
    const file = path.resolve(root, `.${rel}`);
    const inside = file.startsWith(root + path.sep);
    const stat = inside ? fs.statSync(file, { throwIfNoEntry: false }) : undefined;
    if (req.method !== 'GET' || !stat?.isFile()) {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('not found\n');
      return;
    }
    res.writeHead(200, {
      'content-type': TYPES[path.extname(file)] ?? 'application/octet-stream',
      'content-length': stat.size,
      'cache-control': 'no-cache',
    });
    fs.createReadStream(file).pipe(res);
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve(server));
  });
}

if (process.argv[1] && fileURLToPath(import.meta.url) === path.resolve(process.argv[1])) {
  const dir = process.argv[2] ?? path.join(ROOT, 'dist', 'playground');
  if (!fs.existsSync(path.join(dir, 'index.html'))) {
    console.error(`${dir}: no playground here; run npm run build:playground first`);
    process.exit(1);
  }
  servePlayground(dir, Number(process.env.PORT ?? 8080)).then((s) => {
    const { port } = s.address() as AddressInfo;
    console.log(`cnnc playground: http://localhost:${port}/`);
  });
}
