/**
 * What a .cnn file may import (docs/security.md): only .cnn files inside the project of the file
 * named on the command line, or the standard library, judged after symbolic links are resolved.
 * Anything else is a diagnostic that names the path as written and shows none of the target's
 * content, in every output format. `--allow-import-outside DIR` widens the rule on purpose.
 * Real files, folders, symbolic links and a FIFO in a temporary folder, through the CLI.
 */
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCnnc } from '../helpers/cli.js';

const SECRET = 'SECRET_TOKEN_8c1f';
const MODEL = 'model M {\n  input 4\n  dense 2\n}\n';
const FORMATS = ['pretty', 'short', 'json', 'sarif', 'github'] as const;

/**
 * root/
 *   secret.txt, secret.cnn          outside the project, holding the secret
 *   shared/lib.cnn                  outside the project, a block library
 *   proj/.git/                      the project root
 *   proj/models/                    where the entry files go
 *   proj/notes.txt                  inside, but not a .cnn file
 *   proj/folder.cnn/                a directory named .cnn
 *   proj/pipe.cnn                   a FIFO
 *   proj/loop.cnn -> loop.cnn       a symbolic link to itself
 *   proj/escape.cnn -> ../secret.cnn, proj/zero.cnn -> /dev/zero, proj/shared -> ../shared
 *   proj/blocks/ok.cnn              a block inside the project
 *   loose/                          a folder with no package.json or .git above it
 */
let root = '';
let proj = '';

beforeAll(() => {
  root = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'cnnc-imports-')));
  proj = path.join(root, 'proj');
  fs.mkdirSync(path.join(proj, '.git'), { recursive: true });
  fs.mkdirSync(path.join(proj, 'models'));
  fs.mkdirSync(path.join(proj, 'blocks'));
  fs.mkdirSync(path.join(root, 'shared'));
  fs.mkdirSync(path.join(root, 'loose'));
  fs.writeFileSync(path.join(root, 'secret.txt'), `${SECRET}=1\n`);
  fs.writeFileSync(path.join(root, 'secret.cnn'), `${SECRET}\nblock B() { relu }\n`);
  fs.writeFileSync(path.join(root, 'shared', 'lib.cnn'), 'block Shared() { relu }\n');
  fs.writeFileSync(path.join(proj, 'notes.txt'), `${SECRET}\n`);
  fs.mkdirSync(path.join(proj, 'folder.cnn'));
  execFileSync('mkfifo', [path.join(proj, 'pipe.cnn')]);
  fs.symlinkSync('loop.cnn', path.join(proj, 'loop.cnn'));
  fs.symlinkSync('../secret.cnn', path.join(proj, 'escape.cnn'));
  fs.symlinkSync('/dev/zero', path.join(proj, 'zero.cnn'));
  fs.symlinkSync('../shared', path.join(proj, 'shared'));
  fs.writeFileSync(path.join(proj, 'blocks', 'ok.cnn'), 'block Ok() { relu }\n');
});

afterAll(() => fs.rmSync(root, { recursive: true, force: true }));

/** An entry file in proj/models (or another folder) importing `target`. */
function entry(target: string, dir = path.join(proj, 'models'), name = 'main.cnn'): string {
  const file = path.join(dir, name);
  fs.writeFileSync(file, `import "${target}"\n${MODEL}`);
  return file;
}

const check = (file: string, ...flags: string[]) => runCnnc(['check', file, ...flags], root);

describe('an import may not read outside the project', () => {
  it.each([
    ['a relative path up and out', '../../secret.txt'],
    ['a path far above the root', '../../../../../../../../etc/passwd'],
    ['an absolute path', '/proc/self/environ'],
    ['an absolute .cnn path', '<root>/secret.cnn'],
    ['a symbolic link that points outside', '../escape.cnn'],
    ['a symbolic link to /dev/zero', '../zero.cnn'],
    ['a path through a linked folder', '../shared/lib.cnn'],
  ])('%s is CNN2060, in every format, with none of its content', async (_what, target) => {
    const file = entry(target.replace('<root>', root));
    for (const format of FORMATS) {
      const r = await check(file, '--format', format);
      expect(r.code, `${format}: ${r.out}${r.err}`).toBe(1);
      expect(r.out).toContain('CNN2060');
      expect(r.out + r.err).not.toContain(SECRET);
      expect(r.out + r.err).not.toMatch(/root:|PATH=|HOME=/);
      expect(r.out + r.err).not.toContain('CNN1001');
    }
    const pretty = await check(file);
    expect(pretty.out).toContain(target.replace('<root>', root));
  });

  it.each([
    ['a file that is not .cnn', '../notes.txt', 'CNN2061'],
    ['a directory', '../folder.cnn', 'CNN2062'],
    ['a FIFO (without waiting for a writer)', '../pipe.cnn', 'CNN2062'],
    ['a symbolic link loop', '../loop.cnn', 'CNN2062'],
  ])('%s is %s and is never read', async (_what, target, code) => {
    const file = entry(target);
    for (const format of FORMATS) {
      const r = await check(file, '--format', format);
      expect(r.code, `${format}: ${r.out}${r.err}`).toBe(1);
      expect(r.out).toContain(code);
      expect(r.out + r.err).not.toContain(SECRET);
    }
  });

  it('allows a .cnn file anywhere in the project, found from a folder above the entry', async () => {
    const r = await check(entry('../blocks/ok.cnn'));
    expect(r.out).toContain('no problems');
    expect(r.code).toBe(0);
  });

  it('allows the standard library', async () => {
    fs.writeFileSync(path.join(proj, 'models', 'std.cnn'), `import resnet\n${MODEL}`);
    expect((await check(path.join(proj, 'models', 'std.cnn'))).code).toBe(0);
  });

  it('takes the entry file’s own folder as the project when no package.json or .git is above it', async () => {
    fs.writeFileSync(path.join(root, 'loose', 'lib.cnn'), 'block L() { relu }\n');
    const inside = await check(entry('./lib.cnn', path.join(root, 'loose')));
    expect(inside.code).toBe(0);
    const up = await check(entry('../shared/lib.cnn', path.join(root, 'loose')));
    expect(up.out).toContain('CNN2060');
  });

  it('--allow-import-outside DIR widens the rule to DIR, through links too', async () => {
    const shared = path.join(root, 'shared');
    for (const target of ['../../shared/lib.cnn', '../shared/lib.cnn', `${shared}/lib.cnn`]) {
      const file = entry(target);
      expect((await check(file)).out).toContain('CNN2060');
      const r = await check(file, '--allow-import-outside', shared);
      expect(r.out + r.err).toContain('no problems');
    }
    // Relative to the working directory, and repeatable.
    const both = await check(
      entry('../../secret.cnn'),
      '--allow-import-outside',
      'shared',
      '--allow-import-outside',
      '.',
    );
    expect(both.out).not.toContain('CNN2060');
    // Still only .cnn files.
    const txt = await check(entry('../../secret.txt'), '--allow-import-outside', '.');
    expect(txt.out).toContain('CNN2061');
    expect(txt.out).not.toContain(SECRET);
  });

  it('refuses an --allow-import-outside folder that does not exist', async () => {
    const r = await check(entry('../blocks/ok.cnn'), '--allow-import-outside', 'nowhere');
    expect(r.code).toBe(2);
    expect(r.err).toContain('nowhere');
  });
});

describe('--allow-import-outside on every command that compiles', () => {
  const npy = () => {
    const f = path.join(root, 'x.npy');
    fs.writeFileSync(f, 'not an array');
    return f;
  };
  // Each command stops right after compiling (missing weights or data): what matters is whether
  // the import was refused.
  const commands: [string, (file: string) => string[]][] = [
    ['check', (f) => ['check', f]],
    ['summary', (f) => ['summary', f]],
    ['compile', (f) => ['compile', f, '--emit', 'ir']],
    ['train', (f) => ['train', f, '--backend', 'reference', '--data', 'idx:nowhere']],
    ['evaluate', (f) => ['evaluate', f, '--backend', 'reference', '--weights', 'nowhere']],
    ['predict', (f) => ['predict', f, '--backend', 'reference', '--weights', 'nowhere', 'x.npy']],
    ['run', (f) => ['run', f, '--weights', 'nowhere', '--input', npy()]],
    ['verify', (f) => ['verify', f, '--backend', 'cpu']],
    ['weights plan', (f) => ['weights', 'plan', f, '--from', 'nowhere']],
    ['bench', (f) => ['bench', f, '--backend', 'reference', '--steps', '1', '--warmup', '0']],
    ['diagram', (f) => ['diagram', f, '-o', path.join(root, 'm.svg')]],
  ];
  it.each(commands)('%s', async (_name, args) => {
    const file = path.join(proj, 'models', 'uses-shared.cnn');
    fs.writeFileSync(
      file,
      `import "../../shared/lib.cnn"\nmodel M {\n  input 4\n  Shared()\n  dense 2\n}\n`,
    );
    const refused = await runCnnc(args(file), root);
    expect(refused.out + refused.err).toContain('CNN2060');
    expect(refused.code).toBe(1);
    const allowed = await runCnnc([...args(file), '--allow-import-outside', 'shared'], root);
    expect(allowed.out + allowed.err).not.toContain('CNN2060');
    expect(allowed.err).not.toContain('unknown option');
  });
  it('diff (a file that does not compile stops it with status 2)', async () => {
    const file = path.join(proj, 'models', 'uses-shared.cnn');
    fs.writeFileSync(
      file,
      `import "../../shared/lib.cnn"\nmodel M {\n  input 4\n  Shared()\n  dense 2\n}\n`,
    );
    const refused = await runCnnc(['diff', file, file], root);
    expect(refused.out + refused.err).toContain('CNN2060');
    expect(refused.code).toBe(2);
    const allowed = await runCnnc(['diff', file, file, '--allow-import-outside', 'shared'], root);
    expect(allowed.out + allowed.err).not.toContain('CNN2060');
    expect(allowed.code).toBe(0);
  });
});

describe('the file named on the command line', () => {
  it('may not be a symbolic link out of its own project (a linked file in a pull request)', async () => {
    fs.symlinkSync('../../secret.cnn', path.join(proj, 'models', 'evil.cnn'));
    for (const format of FORMATS) {
      const r = await check(path.join(proj, 'models', 'evil.cnn'), '--format', format);
      expect(r.code).toBe(1);
      expect(r.out).toContain('CNN2060');
      expect(r.out + r.err).not.toContain(SECRET);
    }
  });

  it.each([
    ['a directory', 'folder.cnn'],
    ['a FIFO', 'pipe.cnn'],
    ['a symbolic link loop', 'loop.cnn'],
  ])('may not be %s', async (_what, name) => {
    const r = await check(path.join(proj, name));
    expect(r.code).toBe(1);
    expect(r.out).toContain('CNN2062');
  });
});
