/**
 * The code blocks of docs/language.md that define models or blocks parse without syntax errors, and
 * the complete ones (with an input) compile without errors.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { expect, it } from 'vitest';
import { parseFile } from '../../grammar/index.js';
import { compileFile } from '../../compiler/program.js';
import { memoryHost, memPath, REPO } from '../helpers/memory-host.js';

const doc = fs.readFileSync(path.join(REPO, 'docs', 'language.md'), 'utf8');
/** The contents of the fenced blocks without a language tag. */
function fencedBlocks(text: string): string[] {
  const out: string[] = [];
  let current: string[] | null = null;
  let tagged = false;
  for (const line of text.split('\n')) {
    if (line.startsWith('```')) {
      if (current === null) {
        current = [];
        tagged = line.length > 3;
      } else {
        if (!tagged) out.push(`${current.join('\n')}\n`);
        current = null;
      }
    } else current?.push(line);
  }
  return out;
}

const blocks = fencedBlocks(doc);
/** Snippets of statements are checked inside a model. */
const asFile = (b: string) =>
  /^(model|block|import) /m.test(b) ? b : `model Doc {\n  input 32x32x3\n${b}}\n`;

it('has examples', () => {
  expect(blocks.length).toBeGreaterThan(8);
});

it.each(blocks.map((b, i) => [i, b.split('\n')[0].trim(), b]))(
  'example %i (%s) parses',
  (_i, _title, block) => {
    const r = parseFile(asFile(block as string), 'doc.cnn');
    expect(r.diagnostics.map((d) => `${d.code} ${d.message}`)).toEqual([]);
  },
);

it.each(blocks.filter((b) => /^\s*input /m.test(b) && !/= \w+ \{/.test(b)).map((b, i) => [i, b]))(
  'complete example %i compiles',
  (_i, block) => {
    const r = compileFile(memPath('main.cnn'), memoryHost({ 'main.cnn': block as string }));
    expect(
      r.diagnostics.filter((d) => d.severity === 'error').map((d) => `${d.code} ${d.message}`),
    ).toEqual([]);
  },
);
