/**
 * docs/editors.md shows real output: its before/after example is what `cnnc fmt` does, its hover and
 * inlay hints are the ones test/lsp records (test/baselines/lsp).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { expect, it } from 'vitest';
import { formatCnn } from '../../compiler/format/index.js';
import { BASELINES_DIR } from '../helpers/baseline.js';
import { REPO } from '../helpers/memory-host.js';

const doc = fs.readFileSync(path.join(REPO, 'docs', 'editors.md'), 'utf8');

/** The fenced blocks tagged `text`, with three or four backticks. */
function textBlocks(): string[] {
  return [...doc.matchAll(/^(`{3,4})text\n([\s\S]*?)^\1$/gm)].map((m) => m[2]);
}

it('formats the before example into the after example', async () => {
  const [before, after] = textBlocks();
  expect(before).toContain('conv 6 5x5,tanh');
  expect((await formatCnn(before, 'tiny.cnn')).formatted).toBe(after);
});

it('shows the hover that the language server gives', () => {
  const hover = fs.readFileSync(path.join(BASELINES_DIR, 'lsp', 'hover-layer.md'), 'utf8');
  expect(textBlocks()).toContain(hover);
});

it('shows the inlay hints that the language server gives', () => {
  const hints = fs.readFileSync(path.join(BASELINES_DIR, 'lsp', 'inlay-lenet5.txt'), 'utf8');
  const block = textBlocks().find((b) => b.includes('‹'));
  expect(block).toContain(hints);
});
