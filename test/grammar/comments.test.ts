import { describe, expect, it } from 'vitest';
import { parseFile, parseFileWithComments } from '../../grammar/index.js';
import { corpus } from '../fuzz/corpus.js';

describe('the comments channel', () => {
  it('returns every comment with its exact span, in source order', () => {
    const text = 'model M { // one\n  input 8x8x1 /* two\n lines */ relu\n}\n// three';
    const r = parseFileWithComments(text, 'm.cnn');
    expect(r.comments.map((c) => [c.kind, c.text, text.slice(c.span.start, c.span.end)])).toEqual([
      ['LineComment', '// one', '// one'],
      ['BlockComment', '/* two\n lines */', '/* two\n lines */'],
      ['LineComment', '// three', '// three'],
    ]);
  });

  it.each(corpus().map((f) => [f.name, f.text]))(
    'leaves the syntax tree and diagnostics of %s as parseFile gives them',
    (name, text) => {
      const plain = parseFile(text, name);
      const withComments = parseFileWithComments(text, name);
      expect(withComments.value).toEqual(plain.value);
      expect(withComments.diagnostics).toEqual(plain.diagnostics);
      // Every stdlib and example file is commented.
      expect(withComments.comments.length).toBeGreaterThan(0);
    },
  );
});
