/**
 * Which cnnc the extension starts: the setting `cnn.server.path` (a `main.js` to run with node, or a
 * `cnnc` executable), else the first workspace folder with `node_modules/cnnc`, else a workspace
 * folder that is a cnnc checkout (its own `dist/compiler/cli/main.js` beside `stdlib/`).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';

const MAIN = path.join('dist', 'compiler', 'cli', 'main.js');

/** The cnnc to start, or undefined when none is found. */
export function findServer(
  configured: string,
  folders: readonly string[],
  exists: (p: string) => boolean = fs.existsSync,
): { module: string } | { command: string } | undefined {
  if (configured !== '')
    return configured.endsWith('.js') ? { module: configured } : { command: configured };
  for (const folder of folders) {
    const installed = path.join(folder, 'node_modules', 'cnnc', MAIN);
    if (exists(installed)) return { module: installed };
  }
  for (const folder of folders) {
    const own = path.join(folder, MAIN);
    if (exists(own) && exists(path.join(folder, 'stdlib'))) return { module: own };
  }
  return undefined;
}
