/**
 * The output folder of `cnnc compile --emit pytorch -o DIR` (compiler/cli/emit-folder.ts): a new
 * folder is written whole; a foreign non-empty folder is refused with its contents named; --force
 * writes cnnc's files and keeps every other one; compiling again replaces exactly cnnc's files; a
 * file, a FIFO, /proc or a path through a file is a clear error, never a hang or a stack trace.
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import { nodeHost } from '../../compiler/cli/host.js';
import { emitPytorchProject } from '../../compiler/codegen/pytorch/project.js';
import { compileFile } from '../../compiler/program.js';
import { runCnnc } from '../helpers/cli.js';

const root = fs.mkdtempSync(path.join(os.tmpdir(), 'cnnc-emit-folder-'));
afterAll(() => fs.rmSync(root, { recursive: true, force: true }));

/** The files the project holds (from the emitter itself, so that new files need no edit here). */
function emittedFiles(): string[] {
  const file = path.join(root, 'probe.cnn');
  fs.writeFileSync(file, 'model M {\n  input 4x4x1\n  conv 2 3x3\n}\n');
  const r = compileFile(file, nodeHost(root));
  const project = emitPytorchProject(
    r.models.map((m) => ({ graph: m.graph, irHash: '', sourceHash: '' })),
    { names: 'cnnc', sources: r.sources, entry: 'probe.cnn' },
  );
  return project.files.map((f) => f.path);
}
const FILES = emittedFiles();
const EMITTED = [...FILES, '.cnnc-emit.json'].sort();
let work = '';
let n = 0;

beforeEach(() => {
  work = path.join(root, `case${++n}`);
  fs.mkdirSync(work);
  fs.writeFileSync(path.join(work, 'm.cnn'), 'model M {\n  input 4x4x1\n  conv 2 3x3\n}\n');
});

const compile = (out: string, ...extra: string[]) =>
  runCnnc(['compile', 'm.cnn', '--emit', 'pytorch', '-o', out, ...extra], work);
const list = (dir: string) => fs.readdirSync(path.join(work, dir)).sort();
const read = (file: string) => fs.readFileSync(path.join(work, file), 'utf8');

describe('cnnc compile --emit pytorch -o DIR', () => {
  it('writes a new folder (and its parents) with nothing left beside it', async () => {
    const r = await compile('a/b/out');
    expect(r.err).toBe(`wrote ${FILES.join(', ')} to a/b/out\n`);
    expect(FILES).toEqual(expect.arrayContaining(['model.py', 'cnnc_io.py', 'README.md']));
    expect(r.code).toBe(0);
    expect(list('a/b/out')).toEqual(EMITTED);
    expect(list('a/b')).toEqual(['out']);
    const record = JSON.parse(read('a/b/out/.cnnc-emit.json')) as { files: Record<string, string> };
    expect(Object.keys(record.files).sort()).toEqual([...FILES].sort());
  });

  it('refuses a non-empty folder it did not write, naming what is there, and writes nothing', async () => {
    fs.mkdirSync(path.join(work, 'out'));
    fs.writeFileSync(path.join(work, 'out', 'notes.txt'), 'mine');
    fs.writeFileSync(path.join(work, 'out', 'model.py'), 'my own model');
    const r = await compile('out');
    expect(r.code).toBe(1);
    expect(r.err).toMatch(
      /^cnnc: error: out is not empty and cnnc did not write it: "model\.py", "notes\.txt"; .*--force/,
    );
    expect(list('out')).toEqual(['model.py', 'notes.txt']);
    expect(read('out/model.py')).toBe('my own model');
  });

  it('with --force, writes its files and keeps every other one', async () => {
    fs.mkdirSync(path.join(work, 'out'));
    fs.writeFileSync(path.join(work, 'out', 'notes.txt'), 'mine');
    fs.mkdirSync(path.join(work, 'out', 'data'));
    const r = await compile('out', '--force');
    expect(r.code).toBe(0);
    expect(list('out')).toEqual([...EMITTED, 'data', 'notes.txt'].sort());
    expect(read('out/notes.txt')).toBe('mine');
  });

  it('compiling again replaces exactly its own files and leaves the others alone', async () => {
    expect((await compile('out')).code).toBe(0);
    fs.writeFileSync(path.join(work, 'out', 'results.txt'), 'kept');
    const before = read('out/model.py');
    fs.writeFileSync(path.join(work, 'm.cnn'), 'model M {\n  input 4x4x1\n  conv 3 3x3\n}\n');
    const r = await compile('out');
    expect(r.code).toBe(0);
    expect(read('out/model.py')).not.toBe(before);
    expect(read('out/model.py')).toContain('nn.Conv2d(1, 3, 3)');
    expect(read('out/results.txt')).toBe('kept');
    expect(list('out')).toEqual([...EMITTED, 'results.txt'].sort());
  });

  it('removes a file it wrote before and no longer emits, only when unchanged', async () => {
    expect((await compile('out')).code).toBe(0);
    const recordFile = path.join(work, 'out', '.cnnc-emit.json');
    const record = JSON.parse(fs.readFileSync(recordFile, 'utf8')) as {
      files: Record<string, string>;
    };
    // As if an earlier cnnc had also written old.py (unchanged) and edited.py (since edited).
    const sha = (t: string) =>
      spawnSync('sha256sum', { input: t, encoding: 'utf8' }).stdout.split(' ')[0];
    fs.writeFileSync(path.join(work, 'out', 'old.py'), 'old\n');
    fs.writeFileSync(path.join(work, 'out', 'edited.py'), 'edited by hand\n');
    record.files['old.py'] = sha('old\n');
    record.files['edited.py'] = sha('as cnnc wrote it\n');
    fs.writeFileSync(recordFile, JSON.stringify(record));
    expect((await compile('out')).code).toBe(0);
    expect(list('out')).toEqual([...EMITTED, 'edited.py'].sort());
  });

  it('refuses to replace a file of the user that has the name of one it now emits', async () => {
    expect((await compile('out')).code).toBe(0);
    const recordFile = path.join(work, 'out', '.cnnc-emit.json');
    const record = JSON.parse(fs.readFileSync(recordFile, 'utf8')) as {
      files: Record<string, string>;
    };
    delete record.files['README.md'];
    fs.writeFileSync(recordFile, JSON.stringify(record));
    fs.writeFileSync(path.join(work, 'out', 'README.md'), 'my notes');
    const r = await compile('out');
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/holds files cnnc did not write but would replace: "README\.md"/);
    expect(read('out/README.md')).toBe('my notes');
  });

  it.each([
    ['a file', () => fs.writeFileSync(path.join(work, 'out'), 'x'), /it is a file, not a folder/],
    [
      'a path through a file',
      () => fs.writeFileSync(path.join(work, 'f'), 'x'),
      /ENOTDIR|not a folder/,
    ],
    ['/proc', () => undefined, /cannot write the project to \/proc\/self\/cnnc-out: ENOENT/],
  ])('reports %s as an error', async (what, setup, message) => {
    setup();
    const target = what === '/proc' ? '/proc/self/cnnc-out' : what === 'a file' ? 'out' : 'f/out';
    const r = await compile(target);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/^cnnc: error: /);
    expect(r.err).toMatch(message);
  });

  it('does not block on a FIFO where its record would be', async () => {
    fs.mkdirSync(path.join(work, 'out'));
    const made = spawnSync('mkfifo', [path.join(work, 'out', '.cnnc-emit.json')]);
    if (made.status !== 0) return; // no mkfifo here
    const r = await compile('out');
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/not empty and cnnc did not write it: "\.cnnc-emit\.json"/);
  });

  it('needs -o and checks --names', async () => {
    expect((await runCnnc(['compile', 'm.cnn', '--emit', 'pytorch'], work)).code).toBe(2);
    const bad = await compile('out', '--names', 'keras');
    expect(bad.code).toBe(2);
    expect(bad.err).toMatch(/--names must be cnnc or torchvision; got "keras"/);
    expect((await runCnnc(['compile', 'm.cnn', '--force'], work)).code).toBe(2);
  });
});
