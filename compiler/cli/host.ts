/** The node:fs-backed Host the CLI gives the compiler, and where the standard library lives. */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { readRegularFile } from '../../runtime/safe-read.js';
import type { FileFacts, Host } from '../program.js';

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

/** What is at a path once symbolic links are followed (Host.inspect), without opening it. */
export function inspectPath(absPath: string): FileFacts | undefined {
  let canonical: string;
  try {
    canonical = fs.realpathSync.native(absPath);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    return code === 'ELOOP' ? { canonical: absPath, kind: 'link-loop' } : undefined;
  }
  try {
    const st = fs.statSync(canonical);
    if (st.isFile()) return { canonical, kind: 'file', size: st.size };
    return { canonical, kind: st.isDirectory() ? 'directory' : 'other' };
  } catch {
    return undefined;
  }
}

/**
 * The project a file belongs to: the nearest folder above it holding a package.json or .git, else
 * the file's own folder (docs/security.md).
 */
export function projectRootOf(file: string): string {
  const own = path.dirname(file);
  for (let dir = own; ;) {
    if (['package.json', '.git'].some((f) => fs.existsSync(path.join(dir, f)))) return dir;
    const up = path.dirname(dir);
    if (up === dir) return own;
    dir = up;
  }
}

export function nodeHost(cwd = process.cwd()): Host {
  const stdlibDir = path.join(packageRoot(), 'stdlib');
  const stdlibReal = inspectPath(stdlibDir)?.canonical ?? stdlibDir;
  return {
    stdlibDir,
    readFile(absPath) {
      try {
        return readRegularFile(absPath, {}, (m) => new Error(m)).toString('utf8');
      } catch {
        return undefined;
      }
    },
    inspect: inspectPath,
    projectRoot: projectRootOf,
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
      for (const dir of [stdlibDir, stdlibReal]) {
        const inStdlib = path.relative(dir, absPath);
        if (!inStdlib.startsWith('..') && !path.isAbsolute(inStdlib))
          return `stdlib/${inStdlib.split(path.sep).join('/')}`;
      }
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
  if (host.inspect(abs)?.kind === 'file') return abs;
  if (/^[A-Za-z_][A-Za-z0-9_]*$/.test(arg) && host.stdlibModules().includes(arg)) {
    return path.join(host.stdlibDir, `${arg}.cnn`);
  }
  return abs;
}
