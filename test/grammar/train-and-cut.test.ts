/**
 * The syntax of `cut` and of train settings: layer patterns as one word, `unfreeze` inside a
 * setting, and `lr PATTERN RATE` going on across commas (one setting per pair, each spanning it).
 */
import { describe, expect, it } from 'vitest';
import type { Stmt } from '../../grammar/index.js';
import { body, codesAndText, parse, showAtom, stmt, textOf } from './helpers.js';

describe('cut', () => {
  it.each([
    ['cut after block_13_expand_relu', 'after', 'block_13_expand_relu'],
    ['cut before stage2.0.conv1', 'before', 'stage2.0.conv1'],
    ['cut after head', 'after', 'head'],
  ])('%s', (text, where, target) => {
    const s = stmt(text);
    expect(s).toMatchObject({ kind: 'Cut', where, target: { raw: target } });
    const src = `model M {\n${text}\n}`;
    if (s.kind !== 'Cut') throw new Error('not a cut');
    expect(textOf(src, s.span)).toBe(text);
    expect(textOf(src, s.target.span)).toBe(target);
  });

  it.each([
    ['no word', 'model M { cut stage4 }', [['CNN1001', 'stage4']]],
    ['another word', 'model M { cut behind stage4 }', [['CNN1001', 'behind']]],
    ['no target', 'model M { cut after }', [['CNN1004', 'after']]],
  ])('reports %s', (_what, text, expected) => {
    expect(codesAndText(text, parse(text).diagnostics)).toEqual(expected);
  });

  it('is a keyword: `cut` cannot be a label, `cutter` can', () => {
    expect(parse('model M { cut: relu }').diagnostics.map((d) => d.code)).toContain('CNN1004');
    expect(parse('model M { cutter: relu }').diagnostics).toEqual([]);
  });
});

describe('targets', () => {
  it('may name a residual projection, `shortcut`, though it is a keyword', () => {
    expect(stmt('freeze stage2.0.shortcut, shortcut.conv')).toMatchObject({
      kind: 'Freeze',
      targets: [{ raw: 'stage2.0.shortcut' }, { raw: 'shortcut.conv' }],
    });
  });
});

/** Each setting of `train { text }` as `head atom atom…` and the text under its span. */
function settings(text: string): [string, string][] {
  const src = `model M {\ntrain {\n${text}\n}\n}`;
  const [train] = body(`train {\n${text}\n}`) as Stmt[];
  if (train.kind !== 'Train') throw new Error('not a train block');
  // body() wraps the text the same way, so spans index `src`.
  return train.body.map((s) => [
    [s.head.name, ...s.atoms.map(showAtom)].join(' '),
    textOf(src, s.span),
  ]);
}

describe('train settings', () => {
  it.each([
    [
      'lr stage4 1e-4, head 1e-3',
      [
        ['lr Value:stage4 Value:1e-4', 'lr stage4 1e-4'],
        ['lr Value:head Value:1e-3', 'head 1e-3'],
      ],
    ],
    [
      'lr ..stage3 1e-5, block_1* 2e-4, stage2.0.conv1 1e-3, stage4.. 0',
      [
        ['lr Value:..stage3 Value:1e-5', 'lr ..stage3 1e-5'],
        ['lr Value:block_1* Value:2e-4', 'block_1* 2e-4'],
        ['lr Value:stage2.0.conv1 Value:1e-3', 'stage2.0.conv1 1e-3'],
        ['lr Value:stage4.. Value:0', 'stage4.. 0'],
      ],
    ],
    ['lr a 1e-4 b 1e-3', [['lr Value:a Value:1e-4 Value:b Value:1e-3', 'lr a 1e-4 b 1e-3']]],
    [
      'at epoch 3 unfreeze stage2.* lr 1e-4',
      [
        [
          'at Value:epoch Value:3 Value:unfreeze Value:stage2.* Value:lr Value:1e-4',
          'at epoch 3 unfreeze stage2.* lr 1e-4',
        ],
      ],
    ],
    // A plain rate ends at the comma; so does any other setting.
    [
      'lr 0.1, head 1e-3',
      [
        ['lr Value:0.1', 'lr 0.1'],
        ['head Value:1e-3', 'head 1e-3'],
      ],
    ],
    [
      'optimizer sgd lr 0.1 momentum 0.9, batch 32',
      [
        [
          'optimizer Value:sgd Value:lr Value:0.1 Value:momentum Value:0.9',
          'optimizer sgd lr 0.1 momentum 0.9',
        ],
        ['batch Value:32', 'batch 32'],
      ],
    ],
    // The rates of `lr` run to the end of the line.
    [
      'lr stage4 1e-4, epochs 3\nbatch 8',
      [
        ['lr Value:stage4 Value:1e-4', 'lr stage4 1e-4'],
        ['lr Value:epochs Value:3', 'epochs 3'],
        ['batch Value:8', 'batch 8'],
      ],
    ],
    // Arithmetic stays arithmetic: a number first, or spaces around the operator.
    ['batch 3*2', [['batch Value:(* 3 2)', 'batch 3*2']]],
    ['batch c * 2', [['batch Value:(* c 2)', 'batch c * 2']]],
    ['lr -1', [['lr Value:(neg 1)', 'lr -1']]],
    [
      'weights "w.safetensors" map torchvision, features cache',
      [
        [
          'weights Value:"w.safetensors" Value:map Value:torchvision',
          'weights "w.safetensors" map torchvision',
        ],
        ['features Value:cache', 'features cache'],
      ],
    ],
  ])('%s', (text, expected) => {
    expect(settings(text)).toEqual(expected);
  });

  it.each([
    [
      'a freeze statement',
      'train { unfreeze stage4 }',
      [['CNN1001', 'unfreeze stage4']],
      /at epoch/,
    ],
    ['a group', 'train { lr 0.1\n { relu } }', [['CNN1001', '{ relu }']], /settings only/],
    [
      'a missing separator',
      'train { lr 0.1 repeat 2 { relu } }',
      [
        ['CNN1001', 'repeat 2 { relu }'],
        ['CNN1004', 'repeat'],
      ],
      /./,
    ],
  ])('reports %s', (_what, text, expected, help) => {
    const src = `model M { ${text} }`;
    const r = parse(src);
    expect(codesAndText(src, r.diagnostics).sort()).toEqual([...expected].sort());
    expect(r.diagnostics[0].help ?? '').toMatch(help);
  });
});
