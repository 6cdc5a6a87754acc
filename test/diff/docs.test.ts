/**
 * The example outputs in docs/editors.md are golden files: the fenced block after each
 * `<!-- test/baselines/… -->` marker is that file's text. UPDATE_BASELINES=1 rewrites the blocks.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { expect, it } from 'vitest';
import { shouldUpdateBaselines } from '../helpers/baseline.js';
import { REPO } from '../helpers/memory-host.js';

const DOC = path.join(REPO, 'docs', 'editors.md');
const EXAMPLE = /(<!-- (test\/baselines\/[^ ]+) -->\n\n```[a-z]*\n)([\s\S]*?)(```\n)/g;

it('docs/editors.md shows the diff goldens as they are', () => {
  const doc = fs.readFileSync(DOC, 'utf8');
  const found: string[] = [];
  const fresh = doc.replace(EXAMPLE, (_all, open: string, file: string, _body, close: string) => {
    found.push(file);
    return `${open}${fs.readFileSync(path.join(REPO, file), 'utf8')}${close}`;
  });
  expect(found).toEqual([
    'test/baselines/diff/change-kernel.txt',
    'test/baselines/diff/change-kernel.md',
  ]);
  if (shouldUpdateBaselines()) fs.writeFileSync(DOC, fresh);
  else
    expect(doc, 'docs/editors.md: rerun with UPDATE_BASELINES=1 to refresh its examples').toBe(
      fresh,
    );
});
