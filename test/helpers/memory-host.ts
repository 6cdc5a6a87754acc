/**
 * An in-memory Host for compiler tests: the files live under /work, which is the project root; the
 * real stdlib is readable.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { inspectPath } from '../../compiler/cli/host.js';
import type { Host } from '../../compiler/program.js';

export const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const STDLIB = path.join(REPO, 'stdlib');

/**
 * `sizes` are the byte sizes the host reports for some files (`inspect`), so a test can stand a
 * short text in for a huge file; the others report their UTF-8 length.
 */
export function memoryHost(
  files: Readonly<Record<string, string>>,
  sizes: Readonly<Record<string, number>> = {},
): Host {
  const abs = new Map(Object.entries(files).map(([p, t]) => [path.posix.resolve('/work', p), t]));
  const sized = new Map(Object.entries(sizes).map(([p, n]) => [path.posix.resolve('/work', p), n]));
  return {
    stdlibDir: STDLIB,
    readFile(p) {
      if (abs.has(p)) return abs.get(p);
      if (p.startsWith(STDLIB + path.sep)) {
        try {
          return fs.readFileSync(p, 'utf8');
        } catch {
          return undefined;
        }
      }
      return undefined;
    },
    inspect(p) {
      const text = abs.get(p);
      if (text !== undefined)
        return { canonical: p, kind: 'file', size: sized.get(p) ?? Buffer.byteLength(text) };
      if ([...abs.keys()].some((f) => f.startsWith(`${p}/`)))
        return { canonical: p, kind: 'directory' };
      if (p.startsWith(STDLIB + path.sep) || p === STDLIB) return inspectPath(p);
      return undefined;
    },
    projectRoot: () => '/work',
    stdlibModules: () =>
      fs
        .readdirSync(STDLIB)
        .filter((f) => f.endsWith('.cnn'))
        .map((f) => f.slice(0, -4)),
    displayPath(p) {
      if (p.startsWith(STDLIB + path.sep)) return `stdlib/${path.relative(STDLIB, p)}`;
      return path.posix.relative('/work', p);
    },
  };
}

/** Absolute path of a memory file, for compileFile. */
export function memPath(p: string): string {
  return path.posix.resolve('/work', p);
}
