/**
 * A property of the formatter over the fuzz corpus (test/fuzz): every mutated stdlib or example
 * file that still parses is formatted without an internal error, formatting it again changes
 * nothing, and it compiles to the same IR, summary and diagnostics as before.
 */
import { expect, it } from 'vitest';
import { parseFile, parseFileWithComments } from '../../grammar/index.js';
import { formatCnn } from '../../compiler/format/index.js';
import { corpus } from '../fuzz/corpus.js';
import { MUTATIONS, mutate, rng } from '../fuzz/mutate.js';
import { meaning } from './helpers.js';

const CASES = 1_500;

it(`keeps the meaning of the parseable files among ${CASES} mutated corpus files`, async () => {
  const files = corpus();
  const rand = rng(0xf0f0);
  let parseable = 0;
  for (let i = 0; i < CASES; i++) {
    const file = files[Math.floor(rand() * files.length)];
    const kind = MUTATIONS[Math.floor(rand() * MUTATIONS.length)];
    const text = mutate(file.text, kind, rand);
    if (parseFile(text, 'main.cnn').diagnostics.some((d) => d.severity === 'error')) continue;
    parseable++;
    const where = `case ${i} (${kind} of ${file.name})\n--- input ---\n${text}`;
    const once = await formatCnn(text, 'main.cnn');
    expect(
      once.formatted,
      `${where}\n${once.diagnostics.map((d) => d.message).join('\n')}`,
    ).toBeDefined();
    const twice = await formatCnn(once.formatted!, 'main.cnn');
    expect(twice.formatted, `not idempotent: ${where}\n--- once ---\n${once.formatted}`).toBe(
      once.formatted,
    );
    expect(meaning('main.cnn', once.formatted!), where).toEqual(meaning('main.cnn', text));
  }
  // The mutations leave a good share of the files parseable, so the property is tested.
  expect(parseable).toBeGreaterThan(CASES / 5);
}, 600_000);

/** `text` with block comments put between random tokens and line comments at random line ends. */
function sprinkleComments(text: string, rand: () => number): string {
  const gaps: number[] = [];
  const toks = parseFileWithComments(text, 'x.cnn');
  const taken = (at: number) => toks.comments.some((c) => c.span.start < at && at < c.span.end);
  for (let i = 1; i < text.length; i++) {
    const boundary = /\s/.test(text[i]) !== /\s/.test(text[i - 1]) || /[(){},;:=]/.test(text[i]);
    if (boundary && !taken(i) && !inString(text, i)) gaps.push(i);
  }
  const picks = new Set<number>();
  const n = 1 + Math.floor(rand() * 6);
  for (let k = 0; k < n && gaps.length; k++) picks.add(gaps[Math.floor(rand() * gaps.length)]);
  let out = '';
  let last = 0;
  let id = 0;
  for (const at of [...picks].sort((a, b) => a - b)) {
    const line = text[at] === '\n' && rand() < 0.5;
    out += text.slice(last, at) + (line ? ` // c${id++}` : ` /* c${id++} */ `);
    last = at;
  }
  return out + text.slice(last);
}

function inString(text: string, at: number): boolean {
  const lineStart = text.lastIndexOf('\n', at - 1) + 1;
  return (text.slice(lineStart, at).match(/"/g) ?? []).length % 2 === 1;
}

it('keeps every comment put anywhere between the tokens of the corpus files, and their meaning', async () => {
  const rand = rng(0xc0c0);
  for (const file of corpus()) {
    for (let i = 0; i < 12; i++) {
      const text = sprinkleComments(file.text, rand);
      const parsed = parseFileWithComments(text, 'main.cnn');
      if (parsed.diagnostics.some((d) => d.severity === 'error')) continue;
      const where = `${file.name}, try ${i}\n--- input ---\n${text}`;
      const once = await formatCnn(text, 'main.cnn');
      expect(
        once.formatted,
        `${where}\n${once.diagnostics.map((d) => d.message).join('\n')}`,
      ).toBeDefined();
      const twice = await formatCnn(once.formatted!, 'main.cnn');
      expect(twice.formatted, `not idempotent: ${where}\n--- once ---\n${once.formatted}`).toBe(
        once.formatted,
      );
      expect(meaning('main.cnn', once.formatted!), where).toEqual(meaning('main.cnn', text));
    }
  }
}, 600_000);
