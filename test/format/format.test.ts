/**
 * The formatter (compiler/format): golden before/after cases, every .cnn file of the repository,
 * and the refusals. Each formatted file must format to itself and mean what the original meant (same
 * IR, summary and diagnostics, spans aside); the repository's own files must already be formatted.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { differs, formatCnn, sameTree } from '../../compiler/format/index.js';
import { parseFileWithComments } from '../../grammar/index.js';
import { BASELINES_DIR, expectBaseline } from '../helpers/baseline.js';
import { REPO } from '../helpers/memory-host.js';
import { meaning } from './helpers.js';

async function format(text: string, file = 'main.cnn', printWidth?: number): Promise<string> {
  const r = await formatCnn(text, file, printWidth ? { printWidth } : {});
  if (r.formatted === undefined)
    throw new Error(r.diagnostics.map((d) => `${d.code} ${d.message}`).join('\n'));
  return r.formatted;
}

const CASES = fs
  .readdirSync(path.join(BASELINES_DIR, 'format'))
  .filter((f) => f.endsWith('.before.cnn'))
  .map((f) => f.slice(0, -'.before.cnn'.length))
  .sort();

describe('golden cases (test/baselines/format/NAME.before.cnn → NAME.after.cnn)', () => {
  it.each(CASES)('%s', async (name) => {
    const before = fs.readFileSync(
      path.join(BASELINES_DIR, 'format', `${name}.before.cnn`),
      'utf8',
    );
    const after = await format(before);
    expectBaseline(`format/${name}.after.cnn`, after);
    expect(await format(after)).toBe(after);
    expect(meaning('main.cnn', after)).toEqual(meaning('main.cnn', before));
  });
});

/** Every .cnn file in the repository (stdlib, examples, test fixtures), relative to it. */
function repoFiles(): string[] {
  const out: string[] = [];
  const walk = (dir: string) => {
    for (const e of fs.readdirSync(path.join(REPO, dir), { withFileTypes: true })) {
      const rel = path.posix.join(dir, e.name);
      if (e.isDirectory() && !['baselines', 'node_modules'].includes(e.name)) walk(rel);
      else if (e.isFile() && e.name.endsWith('.cnn')) out.push(rel);
    }
  };
  for (const dir of ['stdlib', 'examples', 'test']) walk(dir);
  return out.sort();
}

describe('the repository’s .cnn files', () => {
  const files = repoFiles();
  it('include the stdlib, the examples and the test fixtures', () => {
    expect(files).toEqual(
      expect.arrayContaining([
        'stdlib/resnet.cnn',
        'examples/lenet5.cnn',
        'test/fixtures/cli/bad.cnn',
      ]),
    );
  });

  it.each(files)('%s is formatted, and formatting it keeps its meaning', async (rel) => {
    const text = fs.readFileSync(path.join(REPO, rel), 'utf8');
    const formatted = await format(text, rel);
    expect(formatted, `${rel} is not formatted: run cnnc fmt ${rel}`).toBe(text);
    // The same file with its layout undone: every statement line as written, without indentation.
    const flat = text.replace(/^[ \t]+/gm, '').replace(/[ \t]+(\/\/)/g, ' $1');
    const reformatted = await format(flat, rel);
    expect(meaning(path.basename(rel), reformatted)).toEqual(meaning(path.basename(rel), text));
  });
});

describe('layout rules', () => {
  it.each([
    [
      'indentation',
      'model M {\ninput 8x8x1\n      relu\n}\n',
      'model M {\n  input 8x8x1\n  relu\n}\n',
    ],
    [
      '`;` starts a line, `,` joins',
      'model M { input 8x8x1\n conv 3 3x3; relu, softmax }\n',
      'model M {\n  input 8x8x1\n  conv 3 3x3\n  relu, softmax\n}\n',
    ],
    ['the stride slash', 'model M {\n  conv 3 3x3   /2\n}\n', 'model M {\n  conv 3 3x3 /2\n}\n'],
    [
      'a divide is not a stride',
      'model M {\n  conv c/2 3x3\n}\n',
      'model M {\n  conv c / 2 3x3\n}\n',
    ],
    [
      'blank lines collapse',
      'model M {\n  input 8x8x1\n\n\n\n  relu\n}\n\n\n\nmodel N { relu }\n',
      'model M {\n  input 8x8x1\n\n  relu\n}\n\nmodel N { relu }\n',
    ],
    [
      'no blank line opens or closes a body',
      'model M {\n\n  relu\n\n}\n',
      'model M {\n  relu\n}\n',
    ],
    ['an empty body', 'model M {\n}\n', 'model M {}\n'],
    ['an empty file', '\n\n', ''],
    ['a file of comments', '  // a\n\n\n  /* b */\n', '// a\n\n/* b */\n'],
    [
      'trailing spaces of a `//` comment',
      'model M { // x   \n  relu\n}\n',
      'model M { // x\n  relu\n}\n',
    ],
    ['CRLF line ends', 'model M {\r\n  relu\r\n}\r\n', 'model M {\n  relu\n}\n'],
  ])('%s', async (_what, input, expected) => {
    expect(await format(input)).toBe(expected);
  });

  it('breaks a one-line body that does not fit the print width', async () => {
    const text = 'model M { stem: { conv 16 3x3 /2 same, bn, relu }; head: { gap, dense 10 } }\n';
    expect(await format(text, 'm.cnn', 40)).toBe(
      'model M {\n  stem: {\n    conv 16 3x3 /2 same, bn, relu\n  }\n  head: { gap, dense 10 }\n}\n',
    );
  });

  it('aligns comments that were aligned, moving them all when a line reaches them', async () => {
    const text = [
      'model M {',
      '  conv 6 5x5, tanh  // a',
      '  avgpool 2x2 /2    // b',
      '  relu   // alone',
      '}',
      '',
    ].join('\n');
    expect(await format(text)).toBe(text.replace('relu   // alone', 'relu // alone'));
    // `c*2` and `,relu` get spaces: the second line's code now reaches the column.
    const longer = 'model M {\n  conv 6 5x5, tanh   // a\n  conv c*2 3x3,relu  // b\n}\n';
    expect(await format(longer)).toBe(
      'model M {\n  conv 6 5x5, tanh     // a\n  conv c * 2 3x3, relu // b\n}\n',
    );
  });
});

describe('refusals and the safety check', () => {
  it('refuses a file with syntax errors, with the parser’s diagnostics', async () => {
    const r = await formatCnn('model M {\n  conv 3 3x3 )\n}\n', 'bad.cnn');
    expect(r.formatted).toBeUndefined();
    expect(r.diagnostics.map((d) => [d.code, d.span?.start])).toEqual([['CNN1001', 23]]);
  });

  it('formats a file whose only problems are semantic', async () => {
    const r = await formatCnn('model M {\n  conb 3x3\n}\n', 'sem.cnn');
    expect(r.formatted).toBe('model M {\n  conb 3x3\n}\n');
  });

  it('notices a changed program, a lost comment and a changed comment', () => {
    const p = (t: string) => parseFileWithComments(t, 'x.cnn');
    const base = p('model M { relu // a\n}\n');
    expect(differs(base, p('model M {\n  relu // a\n}\n'))).toBeUndefined();
    expect(differs(base, p('model M { tanh // a\n}\n'))).toMatch(/means something else/);
    expect(differs(base, p('model M { relu\n}\n'))).toMatch(/comment/);
    expect(differs(base, p('model M { relu // b\n}\n'))).toMatch(/comment/);
    expect(differs(base, p('model M { relu )\n}\n'))).toMatch(/does not parse/);
  });

  it('compares trees without their spans', () => {
    expect(
      sameTree(
        { kind: 'X', span: 1, a: [{ nameSpan: 2, b: 3 }] },
        { kind: 'X', span: 9, a: [{ nameSpan: 8, b: 3 }] },
      ),
    ).toBe(true);
    expect(sameTree({ kind: 'X', a: [1] }, { kind: 'X', a: [1, 2] })).toBe(false);
  });
});
