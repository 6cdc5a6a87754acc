/**
 * Path arithmetic for the compiler: Node's `node:path` where Node is there (reached through
 * `process.getBuiltinModule`, Node ≥ 20.16, so that nothing here imports a Node module), else POSIX
 * rules over the virtual file system a browser host serves (the playground). The compiler itself
 * only joins, resolves and compares paths; reading them is the Host's business.
 */
import type * as NodePath from 'node:path';

export type PathApi = Pick<
  typeof NodePath,
  'sep' | 'join' | 'resolve' | 'dirname' | 'basename' | 'relative' | 'isAbsolute'
>;

function normalize(p: string): string {
  const abs = p.startsWith('/');
  const out: string[] = [];
  for (const part of p.split('/')) {
    if (part === '' || part === '.') continue;
    if (part === '..') {
      if (out.length && out[out.length - 1] !== '..') out.pop();
      else if (!abs) out.push('..');
    } else out.push(part);
  }
  const body = out.join('/');
  return abs ? `/${body}` : body || '.';
}

/** POSIX paths, as node:path's `posix` computes them, for hosts without a current directory. */
export const posixPath: PathApi = {
  sep: '/',
  isAbsolute: (p) => p.startsWith('/'),
  join: (...parts) => normalize(parts.filter((s) => s !== '').join('/') || '.'),
  resolve: (...parts) => {
    let p = '';
    for (let i = parts.length - 1; i >= 0 && !p.startsWith('/'); i--)
      p = parts[i] + (p ? `/${p}` : '');
    return normalize(p.startsWith('/') ? p : `/${p}`);
  },
  dirname: (p) => {
    const n = normalize(p);
    const i = n.lastIndexOf('/');
    return i < 0 ? '.' : i === 0 ? '/' : n.slice(0, i);
  },
  basename: (p, ext) => {
    const b = normalize(p).split('/').pop() ?? '';
    return ext && b.endsWith(ext) && b !== ext ? b.slice(0, -ext.length) : b;
  },
  relative: (from, to) => {
    const a = posixPath.resolve(from).split('/').filter(Boolean);
    const b = posixPath.resolve(to).split('/').filter(Boolean);
    let i = 0;
    while (i < a.length && i < b.length && a[i] === b[i]) i++;
    return [...a.slice(i).map(() => '..'), ...b.slice(i)].join('/');
  },
};

export const hostPath: PathApi =
  (globalThis.process?.getBuiltinModule?.('node:path') as PathApi | undefined) ?? posixPath;

/** `file:` URL of an absolute path (node:url's pathToFileURL in Node). */
export function fileUrl(absPath: string): string {
  const url = globalThis.process?.getBuiltinModule?.('node:url');
  if (url) return url.pathToFileURL(absPath).href;
  return `file://${absPath.split('/').map(encodeURIComponent).join('/')}`;
}
