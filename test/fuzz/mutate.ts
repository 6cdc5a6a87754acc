/**
 * Seeded mutations of .cnn sources for the fuzz tests: token deletions, insertions, swaps,
 * duplications, truncation and random bytes (including NUL, control characters and non-ASCII).
 */

/** mulberry32: a small, fast, seeded PRNG. */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const TOKEN =
  /\s+|\/\/[^\n]*|[A-Za-z_?][A-Za-z0-9_?]*|\d+(?:\.\d+)?(?:[eE][+-]?\d+)?[A-Za-z]*|\.\.|[<>=!]=|./g;

export function tokenize(text: string): string[] {
  return text.match(TOKEN) ?? [];
}

const VOCAB = [
  'model',
  'block',
  'import',
  'repeat',
  'residual',
  'shortcut',
  'when',
  'concat',
  'add',
  'branch',
  'let',
  'with',
  'freeze',
  'unfreeze',
  'replace',
  'append',
  'budget',
  'train',
  'if',
  'then',
  'else',
  'in',
  'conv',
  'dense',
  'maxpool',
  'relu',
  'softmax',
  'bn',
  'flatten',
  'gap',
  'dropout',
  'deconv',
  'dwconv',
  'input',
  '{',
  '}',
  '(',
  ')',
  ',',
  ';',
  '\n',
  ':',
  '=',
  '/',
  ' /',
  '*',
  '-',
  '..',
  '.',
  '<=',
  '0',
  '1',
  '-3',
  '999999999',
  '3x3',
  '0x0',
  '?x?x3',
  'HxW',
  '1e400',
  '2GiB',
  '"',
  '"./x.cnn"',
  '/*',
  '*/',
  '//',
  'stage1',
  'same',
  'pad',
  'stride',
  'groups',
  '7x7x7x7x7',
  'in.channels',
  '\u0000',
  '\u00e9',
  '\ud83d\ude00',
];

export type Mutation = 'delete' | 'insert' | 'swap' | 'duplicate' | 'truncate' | 'bytes' | 'multi';

export const MUTATIONS: readonly Mutation[] = [
  'delete',
  'insert',
  'swap',
  'duplicate',
  'truncate',
  'bytes',
  'multi',
];

export function mutate(text: string, kind: Mutation, rand: () => number): string {
  const pick = (n: number) => Math.floor(rand() * n);
  const tokens = tokenize(text);
  if (tokens.length === 0) return text;
  switch (kind) {
    case 'delete': {
      const n = 1 + pick(3);
      for (let i = 0; i < n; i++) tokens.splice(pick(tokens.length), 1 + pick(2));
      return tokens.join('');
    }
    case 'insert': {
      const n = 1 + pick(3);
      for (let i = 0; i < n; i++)
        tokens.splice(pick(tokens.length + 1), 0, VOCAB[pick(VOCAB.length)]);
      return tokens.join('');
    }
    case 'swap': {
      const a = pick(tokens.length);
      const b = pick(tokens.length);
      [tokens[a], tokens[b]] = [tokens[b], tokens[a]];
      return tokens.join('');
    }
    case 'duplicate': {
      const start = pick(tokens.length);
      const len = 1 + pick(20);
      tokens.splice(start, 0, ...tokens.slice(start, start + len));
      return tokens.join('');
    }
    case 'truncate':
      return text.slice(0, pick(text.length));
    case 'bytes': {
      const chars = [...text];
      const n = 1 + pick(8);
      for (let i = 0; i < n; i++) {
        const code = rand() < 0.7 ? pick(128) : pick(0x2ffff);
        const c = code >= 0xd800 && code <= 0xdfff ? 'x' : String.fromCodePoint(code);
        chars.splice(pick(chars.length + 1), rand() < 0.5 ? 1 : 0, c);
      }
      return chars.join('');
    }
    case 'multi': {
      let t = text;
      const n = 2 + pick(4);
      for (let i = 0; i < n; i++) t = mutate(t, MUTATIONS[pick(MUTATIONS.length - 1)], rand);
      return t;
    }
  }
}
