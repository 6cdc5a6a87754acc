/** The node:fs-backed Host the CLI gives the compiler, and where the standard library lives. */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Host } from '../program.js';

/** The package root: the nearest folder above this file with a package.json and a stdlib/. */
export function packageRoot(): string {
  let dir = path.dirname(fileURLToPath(import.meta.url));
  for (;;) {
    if (fs.existsSync(path.join(dir, 'package.json')) && fs.existsSync(path.join(dir, 'stdlib')))
      return dir;
    const up = path.dirname(dir);
    if (up === dir)
      throw new Error('cannot find the cnnc package root (package.json with stdlib/)');
    dir = up;
  }
}

export function nodeHost(cwd = process.cwd()): Host {
  const stdlibDir = path.join(packageRoot(), 'stdlib');
  return {
    stdlibDir,
    readFile(absPath) {
      try {
        const stat = fs.statSync(absPath);
        if (!stat.isFile()) return undefined;
        return fs.readFileSync(absPath, 'utf8');
      } catch {
        return undefined;
      }
    },
    fileSize(absPath) {
      try {
        const stat = fs.statSync(absPath);
        return stat.isFile() ? stat.size : undefined;
      } catch {
        return undefined;
      }
    },
    stdlibModules() {
      try {
        return fs
          .readdirSync(stdlibDir)
          .filter((f) => f.endsWith('.cnn'))
          .map((f) => f.slice(0, -4))
          .sort();
      } catch {
        return [];
      }
    },
    displayPath(absPath) {
      const inStdlib = path.relative(stdlibDir, absPath);
      if (!inStdlib.startsWith('..') && !path.isAbsolute(inStdlib))
        return `stdlib/${inStdlib.split(path.sep).join('/')}`;
      const rel = path.relative(cwd, absPath);
      return (path.isAbsolute(rel) ? absPath : rel).split(path.sep).join('/');
    },
  };
}

/**
 * The file a command-line argument names: a path, or the name of a stdlib module (`resnet`) when no
 * such file exists.
 */
export function resolveInput(arg: string, host: Host, cwd = process.cwd()): string {
  const abs = path.resolve(cwd, arg);
  if (host.readFile(abs) !== undefined) return abs;
  if (/^[A-Za-z_][A-Za-z0-9_]*$/.test(arg) && host.stdlibModules().includes(arg)) {
    return path.join(host.stdlibDir, `${arg}.cnn`);
  }
  return abs;
}
