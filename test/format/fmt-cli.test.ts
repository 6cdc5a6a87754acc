/** `cnnc fmt [--check] FILES…`: exit codes, what it writes and what it never touches. */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCnnc } from '../helpers/cli.js';

const MESSY = 'model M {\ninput 8x8x1\n   conv 4 3x3/2,relu\n}\n';
const TIDY = 'model M {\n  input 8x8x1\n  conv 4 3x3 / 2, relu\n}\n';
const BROKEN = 'model M {\n  conv 4 3x3 )\n}\n';

function folder(files: Record<string, string>): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cnnc-fmt-'));
  for (const [name, text] of Object.entries(files)) {
    fs.mkdirSync(path.dirname(path.join(dir, name)), { recursive: true });
    fs.writeFileSync(path.join(dir, name), text);
  }
  return dir;
}

const read = (dir: string, name: string) => fs.readFileSync(path.join(dir, name), 'utf8');

describe('cnnc fmt', () => {
  it('--check lists the files that are not formatted, changes nothing and exits 1', async () => {
    const dir = folder({ 'a.cnn': MESSY, 'b.cnn': TIDY });
    const r = await runCnnc(['fmt', '--check', 'a.cnn', 'b.cnn'], dir);
    expect(r.code).toBe(1);
    expect(r.out).toBe('not formatted: a.cnn\n1 file not formatted, 1 file formatted\n');
    expect(read(dir, 'a.cnn')).toBe(MESSY);
  });

  it('--check exits 0 when every file is formatted', async () => {
    const dir = folder({ 'b.cnn': TIDY });
    const r = await runCnnc(['fmt', '--check', 'b.cnn'], dir);
    expect([r.code, r.out]).toEqual([0, '0 files not formatted, 1 file formatted\n']);
  });

  it('rewrites the files that are not formatted, and only those', async () => {
    const dir = folder({ 'a.cnn': MESSY, 'b.cnn': TIDY });
    const before = fs.statSync(path.join(dir, 'b.cnn')).mtimeMs;
    const r = await runCnnc(['fmt', 'a.cnn', 'b.cnn'], dir);
    expect([r.code, r.out]).toEqual([0, '1 file formatted, 1 file already formatted\n']);
    expect(read(dir, 'a.cnn')).toBe(TIDY);
    expect(fs.statSync(path.join(dir, 'b.cnn')).mtimeMs).toBe(before);
    expect((await runCnnc(['fmt', '--check', 'a.cnn'], dir)).code).toBe(0);
  });

  it('formats every .cnn file under a folder', async () => {
    const dir = folder({
      'models/a.cnn': MESSY,
      'models/deep/c.cnn': MESSY,
      'models/notes.txt': MESSY,
    });
    const r = await runCnnc(['fmt', 'models'], dir);
    expect([r.code, r.out]).toEqual([0, '2 files formatted, 0 files already formatted\n']);
    expect(read(dir, 'models/deep/c.cnn')).toBe(TIDY);
    expect(read(dir, 'models/notes.txt')).toBe(MESSY);
  });

  it('never touches a file with syntax errors: prints its diagnostics and exits 2', async () => {
    const dir = folder({ 'bad.cnn': BROKEN, 'a.cnn': MESSY });
    const r = await runCnnc(['fmt', 'bad.cnn', 'a.cnn'], dir);
    expect(r.code).toBe(2);
    expect(read(dir, 'bad.cnn')).toBe(BROKEN);
    expect(read(dir, 'a.cnn')).toBe(TIDY);
    expect(r.err).toContain('error[CNN1001]');
    expect(r.err).toContain('bad.cnn:2:14');
    expect(r.out).toBe('1 file formatted, 0 files already formatted, 1 file skipped\n');
  });

  it('exits 2 on a file it cannot read, and on no file at all', async () => {
    const dir = folder({});
    const missing = await runCnnc(['fmt', 'nope.cnn'], dir);
    expect(missing.code).toBe(2);
    expect(missing.err).toContain('cannot read nope.cnn');
    expect((await runCnnc(['fmt'], dir)).code).toBe(2);
    expect((await runCnnc(['fmt', '--frobnicate', 'x.cnn'], dir)).code).toBe(2);
  });

  it('honours the printWidth and tabWidth of a prettier configuration', async () => {
    const dir = folder({
      '.prettierrc.json': '{ "tabWidth": 4, "printWidth": 30 }',
      'a.cnn': 'model M { stem: { conv 16 3x3 /2 same, bn, relu } }\n',
    });
    expect((await runCnnc(['fmt', 'a.cnn'], dir)).code).toBe(0);
    expect(read(dir, 'a.cnn')).toBe(
      'model M {\n    stem: {\n        conv 16 3x3 /2 same, bn, relu\n    }\n}\n',
    );
  });
});
