/**
 * Fine-tuning settings: learning rates per group, scheduled unfreezing, feature caching and named
 * pretrained weights, read into typed settings (runtime/train/config.ts) with groups resolved to
 * node names; their errors and lints with codes and spans; the batch-norm note of freeze markers.
 */
import { describe as group, expect, it } from 'vitest';
import type { Graph } from '../../../compiler/ir/graph.js';
import { splitStaticPrefix } from '../../../compiler/ir/transform.js';
import { featureBoundary } from '../../../compiler/passes/fine-tune.js';
import { pretrainedLayers } from '../../../compiler/passes/fine-tune-lint.js';
import { resolveSettings } from '../../../runtime/train/config.js';
import { compile, model } from '../elaborate/helpers.js';

const BASE = `
block unit(c: int) {
  conv c 3x3 same nobias
  bn
  relu
}
model Base {
  input 16x16x3
  stem: unit(8)
  stage1: unit(8)
  stage2: unit(16)
  head: { gap, dense 10 }
}
`;

/** A model derived from Base with `lines` in its body. */
const derived = (lines: string) => `${BASE}model T = Base {\n${lines}\n}\n`;

/** Node names matching a regular expression, computed from the graph itself. */
const matching = (g: Graph, re: RegExp) =>
  g.nodes.filter((n) => re.test(n.name)).map((n) => n.name);

group('typed settings', () => {
  it('resolves groups and steps to node names, keeps the plain rate for the rest', () => {
    const m = model(
      derived(`  freeze ..stage2
  train {
    lr 0.002
    lr stage2 1e-4, head.* 1e-3, ..stage1 0
    at epoch 4 unfreeze stage1
    at epoch 2 unfreeze stage2.conv1..stage2.bn1 lr 1e-5
    features cache
    weights "base.safetensors" map torchvision
  }`),
      'T',
    );
    const { settings, diagnostics } = resolveSettings(m.graph);
    expect(diagnostics).toEqual([]);
    expect(settings.lr).toBe(0.002);
    const g = m.graph;
    const ft = settings.fineTune;
    expect(ft.lrGroups.map((x) => [x.target, x.lr, x.nodes])).toEqual([
      ['stage2', 1e-4, matching(g, /^stage2\./)],
      ['head.*', 1e-3, matching(g, /^head\./)],
      ['..stage1', 0, matching(g, /^(stem|stage1)\./)],
    ]);
    expect(ft.unfreeze.map((s) => [s.epoch, s.target, s.nodes, s.lr])).toEqual([
      [2, 'stage2.conv1..stage2.bn1', ['stage2.conv1', 'stage2.bn1'], 1e-5],
      [4, 'stage1', matching(g, /^stage1\./), null],
    ]);
    expect(ft.features).toBe('cache');
    expect(ft.weights).toMatchObject({ path: 'base.safetensors', map: 'torchvision' });
  });

  it('refuses a feature cache with augmentation, which changes the images every epoch', () => {
    const src = derived('  freeze stem\n  train {\n    features cache\n    flip horizontal\n  }');
    // cnnc check reports it (program.ts runs resolveSettings), and so does cnnc train.
    const r = compile(src, { model: 'T' });
    const { diagnostics } = resolveSettings(r.models[0].graph);
    for (const ds of [r.diagnostics, diagnostics])
      expect(ds.map((d) => [d.code, src.slice(d.span!.start, d.span!.end)])).toEqual([
        ['CNN2004', 'features cache'],
      ]);
  });

  it('defaults to no fine-tuning', () => {
    const { settings } = resolveSettings(model(derived('  train { lr 0.01 }'), 'T').graph);
    expect(settings.fineTune).toEqual({
      lrGroups: [],
      unfreeze: [],
      features: 'off',
      weights: null,
    });
  });
});

group('errors at the setting', () => {
  it.each([
    ['a group that matches nothing', 'lr stem 1e-4, haed 1e-3', 'CNN2042', 'haed 1e-3'],
    ['another setting read as a group', 'lr stem 1e-4, epochs 3', 'CNN2042', 'epochs 3'],
    ['a group without a rate', 'lr stem', 'CNN2005', 'lr stem'],
    ['a rate that is not a number', 'lr stem fast', 'CNN2005', 'lr stem fast'],
    ['a step at epoch 1', 'at epoch 1 unfreeze stem', 'CNN2005', 'at epoch 1 unfreeze stem'],
    ['a step that freezes', 'at epoch 2 freeze stem', 'CNN2005', 'at epoch 2 freeze stem'],
    ['a step without `epoch`', 'at 2 unfreeze stem', 'CNN2005', 'at 2 unfreeze stem'],
    [
      'a step with junk after it',
      'at epoch 2 unfreeze stem lr 1e-4 x',
      'CNN2005',
      'at epoch 2 unfreeze stem lr 1e-4 x',
    ],
    [
      'a step that matches nothing',
      'at epoch 2 unfreeze stme',
      'CNN2042',
      'at epoch 2 unfreeze stme',
    ],
    ['an unknown feature mode', 'features keep', 'CNN2005', 'features keep'],
    ['weights that are not a file name', 'weights 3', 'CNN2005', 'weights 3'],
    ['an unknown name map', 'weights "w" map keras', 'CNN2005', 'weights "w" map keras'],
    ['a map without weights', 'map torchvision', 'CNN2005', 'map torchvision'],
  ])('%s', (_what, setting, code, span) => {
    const src = derived(`  train {\n    ${setting}\n  }`);
    const r = compile(src, { model: 'T' });
    const errors = r.diagnostics.filter((d) => d.severity === 'error');
    expect(errors.map((d) => [d.code, src.slice(d.span!.start, d.span!.end)])).toEqual([
      [code, span],
    ]);
    // The runtime reads the same errors from the same graph.
    const graph = r.models[0].graph;
    const runtime = resolveSettings(graph).diagnostics.filter((d) => d.code === code);
    expect(runtime.map((d) => src.slice(d.span!.start, d.span!.end))).toEqual([span]);
  });
});

/** Codes and spans of the warnings and notes of `src`'s model T (which must have no errors). */
function lints(src: string): [string, string][] {
  const r = compile(src, { model: 'T' });
  expect(r.diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
  return r.diagnostics.map((d) => [d.code, src.slice(d.span!.start, d.span!.end)]);
}

group('lints', () => {
  const W = 'weights "base.safetensors"';
  it.each([
    ['the plain rate on pretrained layers', `train { ${W}, lr 0.01 }`, [['CNN4006', 'lr 0.01']]],
    ['a group rate', `train { ${W}\n lr stage2 5e-3 }`, [['CNN4006', 'lr stage2 5e-3']]],
    [
      'a step rate',
      `freeze stage2\n train { ${W}\n at epoch 2 unfreeze stage2 lr 0.1 }`,
      [['CNN4006', 'at epoch 2 unfreeze stage2 lr 0.1']],
    ],
    ['no weights named', 'train { lr 0.01 }', []],
    ['rates of at most 1e-3', `train { ${W}, lr 1e-3\n lr head 1e-4 }`, []],
    [
      'frozen pretrained layers and a new head',
      `freeze ..stage2\n replace head { gap, dense 3 }\n train { ${W}, lr 0.01 }`,
      [],
    ],
    [
      'an unfreeze of what is not frozen',
      'freeze stem\n train { at epoch 2 unfreeze stage1 }',
      [['CNN4008', 'at epoch 2 unfreeze stage1']],
    ],
    [
      'a second unfreeze of the same layers',
      'freeze stem\n train { at epoch 2 unfreeze stem\n at epoch 3 unfreeze stem.conv1 }',
      [['CNN4008', 'at epoch 3 unfreeze stem.conv1']],
    ],
    [
      'a step after the last epoch',
      'freeze stem\n train { epochs 3\n at epoch 4 unfreeze stem }',
      [['CNN4009', 'at epoch 4 unfreeze stem']],
    ],
    [
      'a feature cache without a frozen start',
      'freeze stage2\n train { features cache }',
      [['CNN4010', 'features cache']],
    ],
    ['a feature cache over a frozen stem', 'freeze stem\n train { features cache }', []],
    [
      'a rate for layers that stay frozen',
      'freeze stem\n train { lr stem 1e-4 }',
      [['CNN4011', 'lr stem 1e-4']],
    ],
    [
      'a rate for layers unfrozen later',
      'freeze stem\n train { lr stem 1e-4\n at epoch 2 unfreeze stem }',
      [],
    ],
  ])('%s', (_what, lines, expected) => {
    expect(lints(derived(`  ${lines}`))).toEqual(expected);
  });

  it('suggests a smaller plain rate, and a rate of their own for the layers the model adds', () => {
    const src = derived('  replace head { gap, dense 3 }\n  train { weights "w", lr 0.01 }');
    const [warning] = compile(src, { model: 'T' }).diagnostics.filter((d) => d.code === 'CNN4006');
    expect(warning.message).toMatch(/6 pretrained layers/); // conv and bn of three units
    expect(warning.help).toMatch(/`lr 1e-4`.*`lr head 1e-3`/);
  });

  it('counts as pretrained what the model inherits, or every layer of a model without a base', () => {
    const d = model(derived('  replace head { gap, dense 3 }\n  append { dense 2 }'), 'T').graph;
    const learning = d.nodes.filter((n) => n.weights?.some((w) => w.kind === 'param'));
    const own = learning.filter((n) => n.name.startsWith('head') || n.name === 'dense1');
    expect(pretrainedLayers(d).map((n) => n.name)).toEqual(
      learning.filter((n) => !own.includes(n)).map((n) => n.name),
    );
    const plain = model(BASE, 'Base').graph;
    expect(pretrainedLayers(plain).length).toBe(
      plain.nodes.filter((n) => n.weights?.some((w) => w.kind === 'param')).length,
    );
  });
});

group('feature boundary', () => {
  it('is the last frozen layer before the first trainable one', () => {
    const g = model(derived('  freeze ..stage1'), 'T').graph;
    const boundary = featureBoundary(g, (n) => n.frozen);
    expect(boundary.map((i) => g.nodes[i].name)).toEqual(['stage1.relu1']);
    // With stage1 unfrozen the cache shrinks to the stem.
    const shrunk = featureBoundary(g, (n) => n.frozen && !n.name.startsWith('stage1'));
    expect(shrunk.map((i) => g.nodes[i].name)).toEqual(['stem.relu1']);
    // Nothing frozen: only the input.
    expect(featureBoundary(g, () => false)).toEqual([0]);
  });

  it('stops before a trainable batch norm without params, the runtime split too', () => {
    // \`bn noaffine\` has no params but normalises with batch statistics and moves its running
    // ones while it trains: its output is not the same every epoch, so it cannot be cached.
    const src = `
model M {
  input 16x16x3
  stem: { conv 8 3x3 same, relu }
  norm: bn noaffine
  head: { gap, dense 10 }
}
model T = M {
  freeze stem
}
`;
    const g = model(src, 'T').graph;
    expect(featureBoundary(g, (n) => n.frozen).map((i) => g.nodes[i].name)).toEqual(['stem.relu1']);
    const split = splitStaticPrefix(g);
    expect('boundary' in split && split.boundary).toBe('stem.relu1');
  });
});

group('a freeze that splits a layer from its batch norm (CNN4007)', () => {
  it.each([
    [
      'a range that stops at the convolution',
      'freeze ..stem.conv1',
      [['CNN4007', '..stem.conv1']],
      'not its batch norm',
    ],
    ['a glob of batch norms', 'freeze *.bn1', [['CNN4007', '*.bn1']], 'the layer it normalises'],
    [
      'an unfreeze of the batch norm',
      'freeze stem\n  unfreeze stem.bn1',
      [['CNN4007', 'stem']],
      'not its batch norm',
    ],
    ['both frozen', 'freeze ..stem.bn1', [], ''],
  ])('%s', (_what, lines, expected, words) => {
    const src = derived(`  ${lines}`);
    const r = compile(src, { model: 'T' });
    const notes = r.diagnostics.filter((d) => d.code === 'CNN4007');
    expect(notes.map((d) => [d.code, src.slice(d.span!.start, d.span!.end)])).toEqual(expected);
    for (const d of notes) {
      expect(d.severity).toBe('note');
      expect(d.message).toContain(words);
    }
  });

  it('says how many pairs one marker splits', () => {
    const r = compile(derived('  freeze *.conv1'), { model: 'T' });
    const notes = r.diagnostics.filter((d) => d.code === 'CNN4007');
    expect(notes).toHaveLength(1);
    expect(notes[0].message).toMatch(/and 2 more pairs/);
  });
});

it('the fine-tuning example of docs/language.md compiles without errors or warnings', () => {
  const src = `import mobilenet
model Digits = MobileNetV2 {
  input 64x64x3
  cut after block_13_expand_relu
  append { head: { gap, dense 10 } }
  freeze ..block_12_project_BN
  train {
    weights "mobilenet_v2.safetensors" map torchvision
    lr 1e-3
    lr block_13* 1e-4, head 1e-3
    at epoch 3 unfreeze block_12* lr 1e-5
    features cache
  }
}
`;
  const r = compile(src, { model: 'Digits' });
  expect(r.diagnostics.map((d) => `${d.code} ${d.message}`)).toEqual([]);
});
