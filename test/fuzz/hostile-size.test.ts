/**
 * Hostile sizes: seeded generators of files that are long, deep or many (long labels, deep nesting,
 * derived chains, huge files, many models, long lines, deep expressions, more nodes than a
 * compilation allows). Each case runs the real `cnnc` (dist/, built by `npm test` before vitest) in
 * a process of its own with a heap limit, and must end within its time limit in results or coded
 * diagnostics (--format json), never an internal error (CNN9xxx), a V8 abort or a hang, and print
 * a bounded amount. The limits are generous safety nets, 10–50 times what a case takes on the 2-core
 * machine of /work/shared/NOTES.md, not speed targets (speed figures are in `npm run bench`); that
 * the work grows linearly is tested by counting operations, in test/compiler/elaborate/limits.test.ts.
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MAX_SOURCE_BYTES } from '../../grammar/index.js';
import { rng } from './mutate.js';

const ROOT = path.resolve(import.meta.dirname, '../..');
const CLI = path.join(ROOT, 'dist/compiler/cli/main.js');

interface Case {
  readonly name: string;
  /** The files of the case, by name; `main.cnn` is the one given to cnnc. */
  readonly files: (seed: number) => Record<string, string>;
  /** The command after `cnnc` (the file is appended). */
  readonly command?: readonly string[];
  /** Codes that must be among the diagnostics; none for a case that must give results. */
  readonly expect: readonly string[];
  /** Wall-time limit (seconds) and V8 heap limit (MiB) of the process. */
  readonly seconds: number;
  readonly heapMiB: number;
  /** Most bytes the process may print. */
  readonly outputBytes?: number;
}

/** `depth` groups nested, each labelled with about `len` characters, around `repeat n { relu }`. */
function labelled(seed: number, depth: number, len: number, n: number): string {
  const r = rng(seed);
  let open = '';
  let close = '';
  for (let i = 0; i < depth; i++) {
    const l = len + Math.floor(r() * len);
    open += `${'ab'.repeat(l).slice(0, l)}${i}: {\n`;
    close += '}\n';
  }
  return `model M {\n  input 8\n${open}repeat ${n} { relu }\n${close}}\n`;
}

/**
 * A base model and `n` models each deriving from the one before with a seeded change; `grow`
 * lets a change append a layer, a freeze marker or a training setting, so that the models grow
 * along the chain (the n-th holds about n statements, the chain n²/2).
 */
function derivedChain(seed: number, n: number, grow: boolean): string {
  const r = rng(seed);
  let s = 'model M0 {\n  input 8\n  stem: { dense 8, relu }\n  head: dense 4\n}\n';
  const changes = [
    `input ${4 + Math.floor(r() * 8)}`,
    'replace head { dense 4 }',
    ...(grow ? ['append { relu }', 'freeze stem', 'train { batch 16 }'] : []),
  ];
  for (let i = 1; i <= n; i++) {
    const change = changes[Math.floor(r() * changes.length)];
    s += `model M${i} = M${i - 1} {\n  ${change}\n}\n`;
  }
  return s;
}

/** `bytes` of `line`, repeated, inside one model. */
function filled(line: string, bytes: number): string {
  return `model M {\n  input 8\n${line.repeat(Math.ceil(bytes / line.length))}}\n`;
}

/** Small models until `bytes`, with seeded sizes. */
function manyModels(seed: number, bytes: number): string {
  const r = rng(seed);
  const parts: string[] = [];
  let size = 0;
  for (let i = 0; size < bytes; i++) {
    const p = `model M${i} { input ${1 + Math.floor(r() * 64)}, dense ${1 + Math.floor(r() * 16)} }\n`;
    parts.push(p);
    size += p.length;
  }
  return parts.join('');
}

const CASES: readonly Case[] = [
  {
    name: 'long labels: 50 groups of 300–600 characters around repeat 2000',
    files: (seed) => ({ 'main.cnn': labelled(seed, 50, 300, 2000) }),
    expect: [],
    seconds: 60,
    heapMiB: 512,
  },
  {
    name: 'long labels compiled to IR',
    files: (seed) => ({ 'main.cnn': labelled(seed, 50, 300, 2000) }),
    command: ['compile', '--emit', 'ir', '-o', 'out.json'],
    expect: [],
    seconds: 30,
    heapMiB: 1024,
  },
  {
    name: 'long labels whose names pass 64 Mi characters',
    files: (seed) => ({ 'main.cnn': labelled(seed, 50, 2000, 2000) }),
    expect: ['CNN2027'],
    seconds: 60,
    heapMiB: 512,
  },
  {
    name: 'a chain of 5,000 derived models',
    files: (seed) => ({ 'main.cnn': derivedChain(seed, 5000, false) }),
    expect: [],
    seconds: 60,
    heapMiB: 512,
  },
  {
    name: 'a chain of 5,000 derived models that grow: more than a compilation may elaborate',
    files: (seed) => ({ 'main.cnn': derivedChain(seed, 5000, true) }),
    expect: ['CNN2027'],
    seconds: 100,
    heapMiB: 1024,
  },
  {
    name: 'groups nested to the lexer limit, and past it',
    files: () => ({
      'main.cnn': `model M {\n  input 8\n${'{ '.repeat(99)}relu${' }'.repeat(99)}\n}\nmodel N {\n  input 8\n${'{ '.repeat(150)}relu${' }'.repeat(150)}\n}\n`,
    }),
    expect: ['CNN1001'],
    seconds: 30,
    heapMiB: 256,
  },
  {
    name: 'a chain of 3,000 blocks, each calling the one before',
    files: () => {
      let s = 'block B0() { relu }\n';
      for (let i = 1; i < 3000; i++) s += `block B${i}() { B${i - 1}() }\n`;
      return { 'main.cnn': `${s}model M {\n  input 8\n  B2999()\n}\n` };
    },
    expect: ['CNN2028'],
    seconds: 30,
    heapMiB: 256,
  },
  {
    name: 'a chain of 3,000 let bindings',
    files: () => {
      const lets = Array.from({ length: 3000 }, (_, i) => `  let A${i + 1} = A${i}\n`).join('');
      return { 'main.cnn': `model M {\n  input 8\n  let A0 = relu\n${lets}  A3000\n}\n` };
    },
    expect: ['CNN2028'],
    seconds: 30,
    heapMiB: 256,
  },
  {
    name: 'deep expressions: 10,000 minus terms, 20,000 plus terms, 20,000 negations, 20,000 nots',
    files: () => ({
      'main.cnn':
        `model A {\n  input 8\n  dense 4${'-0'.repeat(10_000)}\n}\n` +
        `model B {\n  input 8\n  dense 4${'+0'.repeat(20_000)}\n}\n` +
        `model C {\n  input 8\n  dense ${'- '.repeat(20_000)}4\n}\n` +
        `model D {\n  input 8\n  dense if ${'not '.repeat(20_000)}true then 4 else 2\n}\n`,
    }),
    expect: ['CNN1008'],
    seconds: 30,
    heapMiB: 256,
  },
  {
    name: 'a 42 MB file of `dense 4` lines',
    files: () => ({ 'main.cnn': filled('  dense 4\n', 42_000_000) }),
    expect: ['CNN1007'],
    seconds: 30,
    heapMiB: 256,
  },
  {
    name: 'a file one byte over the source limit',
    files: () => {
      const head = 'model M {\n  input 8\n}\n';
      return { 'main.cnn': `${head}${'/'.repeat(MAX_SOURCE_BYTES + 1 - head.length)}` };
    },
    expect: ['CNN1007'],
    seconds: 30,
    heapMiB: 256,
  },
  {
    name: '2 MB of `dense 4` lines: more layers than a model may have',
    files: () => ({ 'main.cnn': filled('  dense 4\n', 2_000_000) }),
    expect: ['CNN2027'],
    seconds: 60,
    heapMiB: 1024,
  },
  {
    name: '2 MB of small models',
    files: (seed) => ({ 'main.cnn': manyModels(seed, 2_000_000) }),
    expect: [],
    seconds: 60,
    heapMiB: 1024,
  },
  {
    name: 'six models of 100,000 layers: more than a compilation may elaborate',
    files: () => ({
      'main.cnn': Array.from(
        { length: 6 },
        (_, i) => `model M${i} {\n  input 8\n  repeat 10000 { repeat 10 { relu } }\n}\n`,
      ).join(''),
    }),
    expect: ['CNN2027'],
    seconds: 100,
    heapMiB: 1024,
  },
  {
    name: 'a 4 MB line with errors along it',
    files: (seed) => {
      const r = rng(seed);
      const items = Array.from({ length: 600_000 }, () => (r() < 0.0001 ? 'bogus 1' : 'relu'));
      return { 'main.cnn': `model M { input 8, ${items.join(', ')} }\n` };
    },
    command: ['check', '--format', 'pretty'],
    expect: ['CNN2001'],
    seconds: 60,
    heapMiB: 768,
    outputBytes: 200_000,
  },
  {
    name: 'a summary of 130,001 layers',
    files: () => ({
      'main.cnn': 'model M {\n  input 8\n  repeat 10000 { repeat 13 { relu } }\n}\n',
    }),
    command: ['summary'],
    expect: [],
    seconds: 60,
    heapMiB: 1024,
    outputBytes: 20_000_000,
  },
];

const SEED = 20261206;

describe('hostile sizes end in results or coded diagnostics, within bounds', () => {
  let dir: string;
  beforeAll(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cnnc-hostile-'));
  });
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  it.each(CASES.map((c, i) => [c.name, c, i] as const))('%s', (_name, c, i) => {
    const caseDir = path.join(dir, String(i));
    fs.mkdirSync(caseDir);
    for (const [name, text] of Object.entries(c.files(SEED + i)))
      fs.writeFileSync(path.join(caseDir, name), text);
    const command = c.command ?? ['check'];
    const json = !command.includes('--format') && command[0] === 'check';
    const args = [
      `--max-old-space-size=${c.heapMiB}`,
      '--stack-size=984',
      CLI,
      ...command,
      ...(json ? ['--format', 'json'] : []),
      'main.cnn',
    ];
    const r = spawnSync(process.execPath, args, {
      cwd: caseDir,
      encoding: 'utf8',
      timeout: c.seconds * 1000,
      maxBuffer: 64 * 1024 * 1024,
    });
    expect(r.error, `${c.name}: ${String(r.error)}`).toBeUndefined();
    expect(r.signal, `${c.name} was killed (time or memory): ${r.stderr.slice(-500)}`).toBeNull();
    expect([0, 1], `${c.name} exited ${r.status}: ${r.stderr.slice(-2000)}`).toContain(r.status);
    const output = `${r.stdout}${r.stderr}`;
    expect(output).not.toMatch(/CNN9\d{3}|heap out of memory|Maximum call stack/);
    expect(output.length).toBeLessThan(c.outputBytes ?? 2_000_000);
    const codes = json
      ? (JSON.parse(r.stdout) as { code: string }[]).map((d) => d.code)
      : [...output.matchAll(/\[(CNN\d{4})\]/g)].map((m) => m[1]);
    for (const code of c.expect) expect(codes).toContain(code);
    if (c.expect.length === 0) {
      expect(r.status, output.slice(0, 2000)).toBe(0);
    }
  });
});
