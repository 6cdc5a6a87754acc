/**
 * `cnnc diff` on files and on git revisions: exit codes (0 no semantic change, 1 changes, 2
 * errors), imports read at the old revision, paths with spaces, files added, deleted and renamed,
 * the first commit, and the errors outside a repository or for an unknown revision.
 */
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DiffReport } from '../../compiler/diff/types.js';
import { cli } from '../cli/run-cli.js';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'cnnc-diff-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

const LENET = fs.readFileSync(new URL('../../examples/lenet5.cnn', import.meta.url), 'utf8');
/** Unlike LeNet-5, so that git does not take the added file for the deleted one renamed. */
const ADDED = 'model Added {\n  input 8x8x3\n  conv 4 1x1\n  flatten\n  dense 2\n}\n';

function write(dir: string, file: string, text: string): string {
  const p = path.join(dir, file);
  fs.mkdirSync(path.dirname(p), { recursive: true });
  fs.writeFileSync(p, text);
  return p;
}

describe('cnnc diff OLD NEW', () => {
  const dir = path.join(tmp, 'files');
  const old = write(dir, 'old.cnn', LENET);

  it('exit 0 and "no semantic change" for comments and layout only', () => {
    const same = write(dir, 'same.cnn', `// reformatted\n${LENET.replace(/\n {2}/g, '\n    ')}`);
    const r = cli(['diff', old, same]);
    expect(r.code).toBe(0);
    expect(r.out).toContain('LeNet5: no semantic change');
  });

  it('exit 1 for a change, in each format', () => {
    const k3 = write(dir, 'k3.cnn', LENET.replace('conv 16 5x5', 'conv 16 3x3'));
    const pretty = cli(['diff', old, k3]);
    expect(pretty.code).toBe(1);
    expect(pretty.out).toContain('kernel 5x5 → 3x3');
    const md = cli(['diff', old, k3, '--format', 'markdown']);
    expect(md.code).toBe(1);
    expect(md.out).toMatch(/^## cnnc diff\n/);
    const json = cli(['diff', old, k3, '--format', 'json']);
    const report = JSON.parse(json.out) as DiffReport;
    expect(report.files[0].models[0].counts.changed).toBe(5);
  });

  it('--model picks one model; a model in neither file is a usage error', () => {
    const r = cli(['diff', old, old, '--model', 'LeNet5', '--format', 'json']);
    expect(r.code).toBe(0);
    const none = cli(['diff', old, old, '--model', 'Nope']);
    expect(none.code).toBe(2);
    expect(none.err).toContain('no model "Nope" in either file');
  });

  it('--max-params flags a budget newly exceeded', () => {
    const wide = write(dir, 'wide.cnn', LENET.replace('dense 120', 'dense 200'));
    const r = cli(['diff', old, wide, '--max-params', '70K']);
    expect(r.code).toBe(1);
    expect(r.out).toMatch(
      /✗ budget params <= 70K \(command line\): 61,706 → \d[\d,]+, newly exceeded/,
    );
  });

  it('exit 2: a file that does not compile (its diagnostics shown), and usage errors', () => {
    const bad = write(dir, 'bad.cnn', LENET.replace('conv 16 5x5', 'conv 16 50x50'));
    const r = cli(['diff', old, bad]);
    expect(r.code).toBe(2);
    expect(r.err).toContain('CNN3001');
    expect(r.out).toBe('');
    expect(cli(['diff', old]).code).toBe(2);
    expect(cli(['diff', old, old, '--format', 'html']).code).toBe(2);
    expect(cli(['diff', path.join(dir, 'missing.cnn'), old]).code).toBe(2);
  });
});

describe('cnnc diff --git', () => {
  const repo = path.join(tmp, 'repo with spaces');
  const g = (...args: string[]) =>
    execFileSync('git', ['-c', 'user.name=t', '-c', 'user.email=t@example.com', ...args], {
      cwd: repo,
      encoding: 'utf8',
    }).trim();
  const commit = (message: string) => {
    g('add', '-A');
    g('commit', '-q', '-m', message);
    return g('rev-parse', 'HEAD');
  };
  const blocks = (c: number) =>
    `block unit(n: int) { conv n 3x3 same, relu }\nblock pair() { unit(${c}), unit(${c}) }\n`;
  const net = (label: string) =>
    `import "./my blocks.cnn"\nmodel Net {\n  input 16x16x1\n  ${label}: pair()\n  gap\n  dense 10\n}\n`;
  const revs: Record<string, string> = {};
  const diff = (...args: string[]) => cli(['diff', ...args], {}, repo);

  beforeAll(() => {
    fs.mkdirSync(repo, { recursive: true });
    g('init', '-q');
    write(repo, 'models/my blocks.cnn', blocks(8));
    write(repo, 'models/my net.cnn', net('body'));
    write(repo, 'models/gone.cnn', LENET);
    write(repo, 'README.md', 'not a model\n');
    revs.first = commit('first');
    // The imported file widens and the model renames its label: only reading the import at the
    // old revision shows the widening.
    write(repo, 'models/my blocks.cnn', blocks(16));
    write(repo, 'models/my net.cnn', net('trunk'));
    write(repo, 'README.md', 'still not a model\n');
    revs.widen = commit('widen');
    write(repo, 'models/added.cnn', ADDED);
    fs.rmSync(path.join(repo, 'models/gone.cnn'));
    revs.swap = commit('add and delete');
    fs.renameSync(path.join(repo, 'models/added.cnn'), path.join(repo, 'models/moved.cnn'));
    revs.move = commit('rename');
  });

  const json = (r: { out: string }) => JSON.parse(r.out) as DiffReport;

  it('a commit: its changed .cnn files, imports read at the old revision', () => {
    const r = diff('--git', revs.widen, '--format', 'json');
    expect(r.err).toBe('');
    expect(r.code).toBe(1);
    const report = json(r);
    expect(report.before).toBe(`${revs.widen}^`);
    expect(report.files.map((f) => [f.change, f.before, f.after])).toEqual([
      ['modified', 'models/my blocks.cnn', 'models/my blocks.cnn'],
      ['modified', 'models/my net.cnn', 'models/my net.cnn'],
    ]);
    expect(report.files[0].models).toEqual([]); // blocks only
    const m = report.files[1].models[0];
    const conv = m.layers.find((l) => l.name === 'trunk.0.conv1')!;
    expect(conv.before!.name).toBe('body.0.conv1');
    expect(conv.attrs).toEqual([{ name: 'filters', before: '8', after: '16' }]);
    expect(conv.what).toContain('renamed');
  });

  it('files added and deleted; a rename; the first commit', () => {
    const swap = json(diff('--git', revs.swap, '--format', 'json'));
    expect(swap.files.map((f) => [f.change, f.before, f.after])).toEqual([
      ['added', null, 'models/added.cnn'],
      ['deleted', 'models/gone.cnn', null],
    ]);
    expect(swap.files.map((f) => f.models[0].change)).toEqual(['added', 'removed']);

    const move = diff('--git', revs.move);
    expect(move.code).toBe(0);
    expect(move.out).toContain('models/added.cnn → models/moved.cnn (renamed)');
    expect(move.out).toContain('Added: no semantic change');

    const first = json(diff('--git', revs.first, '--format', 'json'));
    expect(first.before).toBe('(nothing)');
    expect(first.files.every((f) => f.change === 'added')).toBe(true);
  });

  it('ranges: A..B and A...B', () => {
    const range = json(diff('--git', `${revs.first}..${revs.move}`, '--format', 'json'));
    expect(range.files.map((f) => [f.change, f.after ?? f.before])).toEqual([
      ['deleted', 'models/gone.cnn'],
      ['added', 'models/moved.cnn'],
      ['modified', 'models/my blocks.cnn'],
      ['modified', 'models/my net.cnn'],
    ]);
    const md = diff('--git', `${revs.first}...HEAD`, '--format', 'markdown');
    expect(md.code).toBe(1);
    expect(md.out).toContain('(merge base)');
  });

  it('errors: an unknown revision, files given with --git, outside a repository', () => {
    const bad = diff('--git', 'no-such-rev');
    expect(bad.code).toBe(2);
    expect(bad.err).toContain('unknown revision "no-such-rev"');
    expect(diff('--git', 'HEAD', 'models/my net.cnn').code).toBe(2);
    const outside = fs.mkdtempSync(path.join(os.tmpdir(), 'cnnc-norepo-'));
    try {
      const r = cli(['diff', '--git', 'HEAD'], { GIT_CEILING_DIRECTORIES: os.tmpdir() }, outside);
      expect(r.code).toBe(2);
      expect(r.err).toContain('is not inside a git repository');
    } finally {
      fs.rmSync(outside, { recursive: true, force: true });
    }
  });
});

describe('a model with a symbolic input size', () => {
  it('reports what it knows and leaves out the figures unknown on both sides', () => {
    const file = new URL('../../examples/any-size.cnn', import.meta.url).pathname;
    const text = fs.readFileSync(file, 'utf8');
    const wide = write(tmp, 'any-size-5x5.cnn', text.replace('conv c 3x3 same', 'conv c 5x5 same'));
    const r = cli(['diff', file, wide]);
    expect(r.code).toBe(1);
    expect(r.out).toMatch(
      /changed {2}0\.conv1 {2}kernel 3x3 → 5x5; params 896 → 2,432 \(\+1,536\)\n/,
    );
    expect(r.out).toMatch(/MACs +\? +\? +\?\n/);
  });
});
