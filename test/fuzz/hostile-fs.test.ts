/**
 * Hostile file systems under the import resolver: seeded farms of symbolic links (links to `.` and
 * `..`, chains, self-links, mutual links, links to devices and to a secret outside the project) and
 * files importing each other through them. Every case must end in results or coded diagnostics
 * (never an exception or CNN9001), within a generous time and heap bound, without the secret
 * appearing in any output format. Before imports were identified by their canonical path, two links
 * to `.` made `cnnc check` run forever while memory grew.
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { nodeHost } from '../../compiler/cli/host.js';
import {
  OUTPUT_FORMATS,
  renderDiagnostics,
  sourceMapOf,
} from '../../compiler/diagnostics/index.js';
import { SourceFile } from '../../compiler/diagnostics/source-file.js';
import { compileFile, type CompileResult } from '../../compiler/program.js';
import { REPO } from '../helpers/memory-host.js';
import { rng } from './mutate.js';

const CLI = path.join(REPO, 'dist/compiler/cli/main.js');

const CASES = 150;
/** Generous bounds: a case is a handful of files; it used to never end. */
const MAX_MS = 3000;
const MAX_HEAP_GROWTH = 128 * 2 ** 20;
const SECRET = 'HOSTILE_SECRET_51d2';

const base = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'cnnc-hostile-fs-')));
fs.writeFileSync(path.join(base, 'secret.cnn'), `${SECRET}\nblock S() { relu }\n`);
afterAll(() => fs.rmSync(base, { recursive: true, force: true }));

interface Outcome {
  readonly result: CompileResult;
  readonly ms: number;
  readonly heap: number;
}

function compile(entry: string, root: string, importRoots: string[] = []): Outcome {
  const heap0 = process.memoryUsage().heapUsed;
  const start = performance.now();
  const result = compileFile(entry, nodeHost(root), { importRoots });
  return {
    result,
    ms: performance.now() - start,
    heap: process.memoryUsage().heapUsed - heap0,
  };
}

function expectSane(o: Outcome, what: string): void {
  const { result } = o;
  const bad = result.diagnostics.filter((d) => !/^CNN[1-5]\d{3}$/.test(d.code));
  expect(
    bad.map((d) => `${d.code}: ${d.message}`),
    what,
  ).toEqual([]);
  expect(o.ms, `${what}: took ${o.ms.toFixed(0)} ms`).toBeLessThan(MAX_MS);
  expect(o.heap, `${what}: heap grew ${(o.heap / 2 ** 20).toFixed(0)} MiB`).toBeLessThan(
    MAX_HEAP_GROWTH,
  );
  const sources = sourceMapOf([...result.sources].map(([p, t]) => new SourceFile(p, t)));
  for (const format of OUTPUT_FORMATS) {
    const text = renderDiagnostics(format, result.diagnostics, sources, { color: false });
    expect(text.includes(SECRET), `${what}: ${format} output shows the secret`).toBe(false);
  }
}

describe('the two links to `.` of the issue', () => {
  const dir = path.join(base, 'issue');
  fs.mkdirSync(path.join(dir, '.git'), { recursive: true });
  fs.symlinkSync('.', path.join(dir, 'l'));
  fs.symlinkSync('.', path.join(dir, 'm'));
  fs.writeFileSync(
    path.join(dir, 'a.cnn'),
    'import "./l/a.cnn"\nimport "./m/a.cnn"\nimport "./l/m/l/b.cnn"\nmodel A { input 4, B(), dense 2 }\n',
  );
  fs.writeFileSync(path.join(dir, 'b.cnn'), 'import "./m/l/b.cnn"\nblock B() { relu }\n');

  it('end: cnnc check (dist/, in a child process so that a hang fails the test) exits 1', () => {
    const r = spawnSync(process.execPath, [CLI, 'check', '--format', 'short', 'a.cnn'], {
      cwd: dir,
      encoding: 'utf8',
      timeout: 20_000,
    });
    expect(r.error, 'cnnc check did not end within 20 s').toBeUndefined();
    expect(r.status).toBe(1);
    expect(r.stdout).toContain('CNN2010');
  });

  it('load one module per file and report each cycle at its import', () => {
    const o = compile(path.join(dir, 'a.cnn'), dir);
    expectSane(o, 'the issue');
    expect(o.result.sources.size).toBe(2);
    expect(o.result.diagnostics.map((d) => d.code)).toEqual(['CNN2010', 'CNN2010', 'CNN2010']);
    expect(o.result.models).toHaveLength(1);
  });
});

/**
 * One seeded case: a project folder (`.git` in most) with files in three folders, links `S -> .`
 * in each folder and `U -> ..` below the top, and a farm of other links; files import each other
 * through all of them.
 */
function generate(seed: number): { dir: string; entry: string; importRoots: string[] } {
  const rand = rng(seed);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)];
  const dir = path.join(base, `case-${seed}`);
  const folders = ['', 'sub', 'sub/deep'];
  fs.mkdirSync(path.join(dir, 'sub', 'deep'), { recursive: true });
  if (rand() < 0.8) fs.mkdirSync(path.join(dir, '.git'));
  fs.writeFileSync(path.join(dir, 'x.txt'), `${SECRET}\n`);
  for (const f of folders) {
    fs.symlinkSync('.', path.join(dir, f, 'S'));
    if (f) fs.symlinkSync('..', path.join(dir, f, 'U'));
  }
  const files = Array.from({ length: 1 + Math.floor(rand() * 5) }, (_, i) =>
    path.join(pick(folders), `f${i}.cnn`),
  );
  const links: string[] = [];
  const fixed = [
    '..',
    '../..',
    '../../..',
    '/',
    '/dev/zero',
    '/dev/stdin',
    '/proc/self',
    path.join(base, 'secret.cnn'),
    '../secret.cnn',
    'sub',
    'nowhere',
    'f0.cnn',
  ];
  for (let i = 0; i < Math.floor(rand() * 6); i++) {
    const name = path.join(pick(folders), `L${i}`);
    const r = rand();
    // A self-link, a link to an earlier link (chains), a link to a file, or a fixed target.
    const target =
      r < 0.15
        ? path.basename(name)
        : r < 0.4 && links.length
          ? path.relative(path.dirname(name), pick(links)) || '.'
          : r < 0.55
            ? path.relative(path.dirname(name), pick(files))
            : pick(fixed);
    fs.symlinkSync(target, path.join(dir, name));
    links.push(name);
    if (rand() < 0.2) {
      // A mutual pair: a link to this one, and this one's target replaced by it.
      const back = `${name}b`;
      fs.symlinkSync(path.basename(name), path.join(dir, back));
      fs.unlinkSync(path.join(dir, name));
      fs.symlinkSync(path.basename(back), path.join(dir, name));
      links.push(back);
    }
  }
  /** A path from `from`'s folder to a file, with `S` links and farm links spliced in. */
  const importPath = (from: string): string => {
    const r = rand();
    if (r < 0.05) return pick(['/dev/zero', '/proc/self/environ', path.join(base, 'secret.cnn')]);
    const to =
      r < 0.85 || !links.length
        ? pick(files)
        : r < 0.95
          ? pick(links)
          : pick(['secret.cnn', 'x.txt', 'sub']);
    const rel = path.relative(path.dirname(from), to).split(path.sep);
    const parts: string[] = ['.'];
    for (const seg of rel) {
      while (rand() < 0.3) parts.push('S');
      parts.push(seg);
    }
    // Sometimes a detour through a farm link that sits in the importing file's folder.
    const here = links.filter((l) => path.dirname(l) === path.dirname(from));
    if (here.length && rand() < 0.2) parts.splice(1, 0, path.basename(pick(here)));
    return parts.join('/');
  };
  files.forEach((f, i) => {
    const imports = Array.from(
      { length: Math.floor(rand() * 4) },
      () => `import "${importPath(f)}"\n`,
    ).join('');
    const body = i === 0 ? `model M${i} { input 4, dense 2 }\n` : `block B${i}() { relu }\n`;
    fs.writeFileSync(path.join(dir, f), imports + body);
  });
  const r = rand();
  return {
    dir,
    entry: path.join(
      dir,
      r < 0.7 ? files[0] : r < 0.9 && links.length ? pick(links) : 'S/S/f0.cnn',
    ),
    importRoots: rand() < 0.2 ? [pick([base, '/', '/dev'])] : [],
  };
}

describe('seeded link farms', () => {
  it(`${CASES} cases end in results or coded diagnostics, in bounded time and memory`, () => {
    let slowest = 0;
    for (let seed = 1; seed <= CASES; seed++) {
      const c = generate(seed);
      let o: Outcome;
      try {
        o = compile(c.entry, c.dir, c.importRoots);
      } catch (e) {
        throw new Error(`case ${seed} threw: ${String(e)}`);
      }
      // The secret lies outside every project; only a widened rule may read it.
      if (c.importRoots.length === 0) expectSane(o, `case ${seed}`);
      else {
        const bad = o.result.diagnostics.filter((d) => !/^CNN[1-5]\d{3}$/.test(d.code));
        expect(bad, `case ${seed}`).toEqual([]);
        expect(o.ms, `case ${seed}`).toBeLessThan(MAX_MS);
      }
      slowest = Math.max(slowest, o.ms);
    }
    expect(slowest).toBeLessThan(MAX_MS);
  }, 300_000);
});
