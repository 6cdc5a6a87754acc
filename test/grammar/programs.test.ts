/** Whole programs: the documentation's examples, the stdlib, big files, and mutated files. */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { checkTokens, lex } from '../../grammar/lexer.js';
import { checkGrammar } from '../../grammar/parser.js';
import { allSpans, parse, parseClean } from './helpers.js';

const REPO = fileURLToPath(new URL('../../', import.meta.url));

/** The sample program of the grammar's brief: every construct, zero diagnostics. */
const SAMPLE = `import resnet
import "./layers.cnn"
block basic(c: int, stride: int = 1) {
  residual {
    conv c 3x3 /stride pad 1 nobias, bn, relu
    conv c 3x3 pad 1 nobias, bn
  } shortcut when stride != 1 or in.channels != c {
    conv c 1x1 /stride nobias, bn
  }
  relu
}
block inception(c1: int, c3r: int, c3: int, c5r: int, c5: int, pp: int) {
  concat {
    branch { conv c1 1x1, relu }
    b2: branch { conv c3r 1x1, relu; conv c3 3x3 same, relu }
    branch { maxpool 3x3 /1 same; conv pp 1x1, relu }
  }
}
model SmallVGG {
  input 32x32x3
  let C = conv 32 3x3 same, R = relu, P = maxpool 2x2 /2
  CRCRP
  CRCRP with C = conv 64 3x3 same
  repeat 2 as i { conv 8 * (i + 1) 3 stride=1 dilation (1, 1) }
  flatten, dense 10, softmax
  budget params <= 30M, macs < 5G, memory <= 2GiB
}
model ResNet18 {
  input HxWx3
  stem:   { conv 64 7x7 /2 pad 3 nobias, bn, relu, maxpool 3x3 /2 pad 1 }
  stage1: { basic(64); basic(64) }
  stage2: { basic(128, 2); basic(c = 128) }
  head:   { gap, dense 1000, softmax }
  train { optimizer sgd lr 0.1 momentum 0.9 }
}
model Digits = ResNet18 {
  input 64x64x1
  freeze stem, stage1.0.conv1, ..stage2, block_1*
  unfreeze stage2.1
  replace head { gap, dense 10, softmax }
  append { dropout 0.5 }
}
`;

function docExamples(): string[] {
  const doc = readFileSync(join(REPO, 'docs/language.md'), 'utf8');
  return [...doc.matchAll(/```(\w*)\n([\s\S]*?)```/g)].filter((m) => m[1] === '').map((m) => m[2]);
}

function cnnFiles(): [string, string][] {
  const out: [string, string][] = [];
  for (const dir of ['stdlib', 'examples']) {
    for (const f of readdirSync(join(REPO, dir)).sort()) {
      if (f.endsWith('.cnn')) out.push([`${dir}/${f}`, readFileSync(join(REPO, dir, f), 'utf8')]);
    }
  }
  return out;
}

describe('definitions', () => {
  it("the tokens pass chevrotain's checks", () => {
    expect(() => checkTokens()).not.toThrow();
  });

  it("the grammar passes chevrotain's checks (no unintended ambiguity, no left recursion)", () => {
    expect(() => checkGrammar()).not.toThrow();
  });
});

describe('programs parse without diagnostics', () => {
  it('the sample program', () => {
    const file = parseClean(SAMPLE);
    expect(file.decls.map((d) => (d.kind === 'Import' ? d.target : d.name.name))).toEqual([
      { kind: 'Stdlib', name: 'resnet' },
      { kind: 'Path', path: './layers.cnn' },
      'basic',
      'inception',
      'SmallVGG',
      'ResNet18',
      'Digits',
    ]);
    for (const s of allSpans(file)) {
      expect(s.start >= 0 && s.start <= s.end && s.end <= SAMPLE.length).toBe(true);
    }
  });

  it.each(docExamples().map((text, i) => [i + 1, text]))(
    'docs/language.md example %i',
    (_i, text) => {
      // Snippets of statements are parsed as the body of a model.
      const whole = /^(model|block|import)\b/m.test(text as string);
      const file = parseClean(whole ? (text as string) : `model M {\n${text}\n}`);
      expect(file.decls.length).toBeGreaterThan(0);
    },
  );

  it.each(cnnFiles())('%s', (_name, text) => {
    expect(parseClean(text).decls.length).toBeGreaterThan(0);
  });
});

/** `model Big` with `lines` layer lines. */
function bigModel(lines: number): string {
  const layers = [
    'conv 64 3x3 same, relu',
    'maxpool 2x2 /2',
    'c1: conv 128 3x3 /2 pad 1 nobias',
    'dense (64 + 2) * 3, dropout 0.5',
  ];
  const out = ['model Big {', '  input 224x224x3'];
  for (let i = 0; i < lines; i++) out.push(`  ${layers[i % layers.length]}`);
  out.push('}');
  return out.join('\n');
}

describe('large inputs', () => {
  // Speed is measured by `npm run bench`, not asserted here (no timed tests).
  it('a 10,000-line model parses without diagnostics', () => {
    const r = parse(bigModel(10_000));
    expect(r.diagnostics).toEqual([]);
    const model = r.value.decls[0];
    expect(model.kind === 'Model' && model.body.length).toBeGreaterThanOrEqual(10_000);
  });
});

/** Deterministic pseudo-random numbers (a 32-bit LCG). */
function rng(seed: number): (n: number) => number {
  let s = seed >>> 0;
  return (n) => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s % n;
  };
}

const PIECES = ['{', '}', '(', ')', ',', ';', '\n', ':', '=', '/', ' /', '/2', '..', '*', 'x', '3x3', '?',
  '"', '/*', '*/', '//', 'model', 'block', 'branch', 'shortcut', 'residual', 'repeat', 'with', 'let',
  'if', 'then', 'else', 'in', '\0', 'é', '😀', '\r', '5s', '-', 'not', '==', '<=', 'concat', 'freeze',
  'budget', 'train', '\\']; // prettier-ignore

function mutate(text: string, rand: (n: number) => number): string {
  const toks = lex(text, 'm').tokens.map((t) => [t.startOffset, t.startOffset + t.image.length]);
  let out = text;
  for (let k = 1 + rand(4); k > 0; k--) {
    const pos = rand(out.length + 1);
    const [a, b] = toks[rand(toks.length)];
    const [c, d] = toks[rand(toks.length)];
    switch (rand(6)) {
      case 0: // delete a token
        out = out.slice(0, a) + out.slice(b);
        break;
      case 1: // insert a token
        out = out.slice(0, pos) + PIECES[rand(PIECES.length)] + out.slice(pos);
        break;
      case 2: // swap two tokens
        if (b <= c)
          out =
            out.slice(0, a) + out.slice(c, d) + out.slice(b, c) + out.slice(a, b) + out.slice(d);
        break;
      case 3: // truncate
        out = out.slice(0, pos);
        break;
      case 4: // random characters, any plane
        out =
          out.slice(0, pos) +
          String.fromCodePoint(...Array.from({ length: 1 + rand(8) }, () => rand(0x2ffff))) +
          out.slice(pos);
        break;
      default: // duplicate a slice
        out = out.slice(0, pos) + out.slice(pos, pos + rand(120)).repeat(2) + out.slice(pos);
    }
  }
  return out;
}

describe('mutated programs', () => {
  it('never throw, never report an internal error, keep spans in range', () => {
    const rand = rng(20240601);
    const seeds = [SAMPLE, ...cnnFiles().map(([, text]) => text)];
    for (let i = 0; i < 3000; i++) {
      const text = mutate(seeds[rand(seeds.length)], rand);
      const start = performance.now();
      const r = parse(text);
      const ms = performance.now() - start;
      const bad = r.diagnostics.filter((d) => !/^CNN1\d{3}$/.test(d.code) || !d.span);
      const spans = [...allSpans(r.value), ...r.diagnostics.map((d) => d.span!)];
      const outOfRange = spans.filter(
        (s) => !(s.start >= 0 && s.start <= s.end && s.end <= text.length),
      );
      if (bad.length > 0 || outOfRange.length > 0 || ms > 1000) {
        expect.fail(
          `case ${i}: ${JSON.stringify({ ms, bad, outOfRange })}\n--- input ---\n${text}`,
        );
      }
    }
  });
});
