/**
 * `cut` and `replace` by IR name in derived models: what stays is exactly the base's layers (same
 * names, ops, attributes and weight shapes), reached through block calls, repeats and residuals;
 * what cannot be cut is reported at the target.
 */
import { describe as group, expect, it } from 'vitest';
import type { Graph, Node } from '../../../compiler/ir/graph.js';
import { compile, model, names } from './helpers.js';

const params = (nodes: readonly Node[]) =>
  nodes.reduce(
    (s, n) =>
      s +
      (n.weights ?? [])
        .filter((w) => w.kind === 'param')
        .reduce((a, w) => a + w.shape.reduce((x, y) => x * y, 1), 0),
    0,
  );

/** Op, attributes and weight shapes of a node: what must not change when a model is cut. */
const sig = (n: Node) => JSON.stringify([n.name, n.op, n.attrs, n.weights, n.frozen]);

/** The base's nodes up to (after) or before the last/first node under `name`. */
function expectedPrefix(base: Graph, name: string, where: 'after' | 'before'): Node[] {
  const under = base.nodes.filter((n) => n.name === name || n.name.startsWith(`${name}.`));
  const end = where === 'after' ? under[under.length - 1].id + 1 : under[0].id;
  return base.nodes.slice(0, end);
}

const out = (g: Graph) => g.nodes[g.outputs[0]];

group('cut keeps exactly the base up to the layer', () => {
  it.each([
    ['resnet', 'ResNet18', 'after', 'stage3.0.relu1'], // inside a block call in an unlabelled repeat
    ['resnet', 'ResNet18', 'after', 'stage3.1.add1'], // a residual's add, inside a block
    ['resnet', 'ResNet18', 'after', 'stage3'], // a whole scope
    ['resnet', 'ResNet18', 'before', 'stage4'],
    ['resnet', 'ResNet50', 'after', 'stage2.2.conv2'],
    ['resnet', 'ResNet18', 'before', 'stage2.1.conv2'],
    ['mobilenet', 'MobileNetV2', 'after', 'block_13_expand_relu'],
    ['mobilenet', 'MobileNetV2', 'after', 'block_14_expand_relu'], // inside a residual body
    ['mobilenet', 'MobileNetV2', 'before', 'block_2_expand'], // drops the whole residual
    ['vgg', 'VGG11', 'before', 'classifier'],
  ])('%s %s: cut %s %s', (lib, base, where, name) => {
    const b = model(`import ${lib}\n`, base).graph;
    const d = model(`import ${lib}\nmodel T = ${base} {\n  cut ${where} ${name}\n}\n`, 'T').graph;
    const want = expectedPrefix(b, name, where as 'after' | 'before');
    expect(d.nodes.map(sig)).toEqual(want.map(sig));
    expect(out(d).name).toBe(want[want.length - 1].name);
    expect(d.nodes.map((n) => n.shape)).toEqual(want.map((n) => n.shape));
  });
});

group('cut, a new head and a new input size', () => {
  const src = (input: string) => `import mobilenet
model T = MobileNetV2 {
  input ${input}
  cut after block_13_expand_relu
  append { gap, dense 10 }
}
`;
  it.each([['64x64x3'], ['96x96x3'], ['224x224x3']])('input %s', (input) => {
    const base = model('import mobilenet\n', 'MobileNetV2').graph;
    const kept = expectedPrefix(base, 'block_13_expand_relu', 'after');
    const at224 = kept[kept.length - 1].shape as number[];
    const stride = 224 / at224[0];
    const size = Number(input.split('x')[0]);
    const m = model(src(input), 'T');
    const cutNode = m.graph.nodes.find((n) => n.name === 'block_13_expand_relu')!;
    expect(cutNode.shape).toEqual([size / stride, size / stride, at224[2]]);
    expect(out(m.graph).shape).toEqual([10]);
    // The backbone's parameters do not depend on the input size; the head's are (C + 1) * 10.
    expect(m.summary?.params.total).toBe(params(kept) + (at224[2] + 1) * 10);
  });
});

group('cut through blocks, repeats and residuals', () => {
  const lib = `
block unit(c: int) {
  conv c 3x3 same
  bn
  relu
}
block res() {
  residual { conv in.channels 3x3 same, relu, conv in.channels 3x3 same }
  relu
}
model Base {
  input 16x16x3
  a: unit(8)
  b: unit(8)
  blocks: repeat 3 as i { conv 8 * (i + 1) 3x3 same, relu }
  repeat 2 as i { unit(4 * (i + 1)) }
  repeat 3 { conv 4 3x3 same }
  r: res()
  head: { gap, dense 5 }
}
`;
  const base = () => model(lib, 'Base').graph;
  it.each([
    ['after', 'a.bn1'],
    ['after', 'blocks.1.conv1'],
    ['before', 'blocks.1.conv1'],
    ['after', 'blocks.0'],
    ['after', '1.conv1'],
    ['before', '1'],
    ['after', 'conv2'], // the second iteration of an unlabelled repeat of one layer
    ['after', 'r.conv1'], // inside a residual that comes first in its block and reads `in`
    ['before', 'head.dense1'],
  ])('cut %s %s', (where, name) => {
    const d = model(`${lib}model T = Base {\n  cut ${where} ${name}\n}\n`, 'T').graph;
    const want = expectedPrefix(base(), name, where as 'after' | 'before');
    expect(d.nodes.map(sig)).toEqual(want.map(sig));
  });

  it('keeps the iteration index of a repeat it cuts into', () => {
    const d = model(`${lib}model T = Base {\n  cut after blocks.2.conv1\n}\n`, 'T').graph;
    const conv = d.nodes.find((n) => n.name === 'blocks.2.conv1');
    expect(conv?.op === 'conv2d' && conv.attrs.filters).toBe(24);
  });

  it('appends after the cut and changes only the call it cuts into', () => {
    const m = model(
      `${lib}model T = Base {\n  cut after a.bn1\n  append { b: unit(8), gap, dense 2 }\n}\n`,
      'T',
    );
    expect(names(m.graph)).toEqual([
      'input',
      'a.conv1',
      'a.bn1',
      'b.conv1',
      'b.bn1',
      'b.relu1',
      'gap1',
      'dense1',
    ]);
  });

  it('keeps inherited freeze markers on what stays', () => {
    const src = `${lib.replace('head: {', 'freeze a, ..head.gap1, blocks*\n  head: {')}model T = Base {\n  cut after b\n}\n`;
    const m = model(src, 'T');
    expect(m.graph.nodes.filter((n) => n.op !== 'input').every((n) => n.frozen)).toBe(true);
  });

  it('resolves a cut block in the module that defines it', () => {
    const files = {
      'main.cnn': 'import "./lib.cnn"\nmodel T = L {\n  cut after x.y.conv1\n}\n',
      'lib.cnn':
        'import "./inner.cnn"\nblock outer() {\n  y: inner()\n  relu\n}\nmodel L {\n  input 8x8x1\n  x: outer()\n  gap\n}\n',
      'inner.cnn': 'block inner() {\n  conv 4 3x3 same\n  conv 4 3x3 same\n}\n',
    };
    expect(names(model(files, 'T').graph)).toEqual(['input', 'x.y.conv1']);
  });

  it.each([
    [
      'a branch of a concat',
      'concat { branch { conv 2 1x1 } branch { conv 2 1x1 } }',
      'branch1.conv1',
      'CNN2041',
    ],
    [
      'a shortcut',
      'residual { conv 4 3x3 same } shortcut { conv 4 1x1 }',
      'shortcut.conv1',
      'CNN2041',
    ],
    ['a letter pattern', 'let C = conv 4 3x3 same, R = relu\n  CR', 'conv1', 'CNN2041'],
    [
      'a residual that reads `in`',
      'relu\n  residual { conv in.channels 3x3 same, conv in.channels 3x3 same }',
      'conv1',
      'CNN2041',
    ],
    ['a name the model lacks', 'conv 4 3x3', 'conv9', 'CNN2040'],
    ['a pattern', 'conv 4 3x3', 'conv*', 'CNN2040'],
  ])('reports a cut inside %s', (_what, layers, name, code) => {
    const src = `model A {\n  input 8x8x4\n  ${layers}\n}\nmodel B = A {\n  cut after ${name}\n}\n`;
    const d = compile(src, { model: 'B' }).diagnostics.filter((x) => x.severity === 'error');
    expect(d.map((x) => [x.code, src.slice(x.span!.start, x.span!.end)])).toEqual([[code, name]]);
  });

  it('is not allowed in a plain model', () => {
    const src = 'model A {\n  input 8x8x1\n  conv 2 3x3\n  cut after conv1\n}\n';
    expect(compile(src).diagnostics.map((d) => d.code)).toEqual(['CNN2024']);
  });
});

group('replace by name', () => {
  it('replaces one layer inside one block call, keeping every name', () => {
    const base = model('import resnet\n', 'ResNet18').graph;
    const d = model(
      'import resnet\nmodel T = ResNet18 {\n  replace stage2.1.conv1 { conv 128 1x1 nobias }\n}\n',
      'T',
    ).graph;
    expect(names(d)).toEqual(names(base));
    const changed = d.nodes.filter((n, i) => sig(n) !== sig(base.nodes[i])).map((n) => n.name);
    expect(changed).toEqual(['stage2.1.conv1']);
    // 3x3 → 1x1 over 128 → 128 channels.
    expect(params(base.nodes) - params(d.nodes)).toBe((9 - 1) * 128 * 128);
  });

  it('replaces a whole unlabelled block call and an automatically named layer', () => {
    const src = `model A {
  input 8x8x2
  conv 4 3x3 same
  conv 4 3x3 same
  conv 4 3x3 same
}
model B = A {
  replace conv2 { conv 4 1x1 }
}
`;
    const d = model(src, 'B').graph;
    expect(names(d)).toEqual(['input', 'conv1', 'conv2', 'conv3']);
    expect(d.nodes.map((n) => (n.op === 'conv2d' ? n.attrs.kernel[0] : 0))).toEqual([0, 3, 1, 3]);
  });

  it('replaces in one call of a block and not in the other', () => {
    const src = `block unit(c: int) {\n  x: conv c 3x3 same\n  relu\n}\nmodel A {\n  input 8x8x2\n  a: unit(4)\n  b: unit(4)\n}\nmodel B = A {\n  replace b.x { conv 6 1x1 }\n}\n`;
    const d = model(src, 'B').graph;
    const filters = d.nodes
      .filter((n) => n.op === 'conv2d')
      .map((n) => [n.name, n.op === 'conv2d' && n.attrs.filters]);
    expect(filters).toEqual([
      ['a.x', 4],
      ['b.x', 6],
    ]);
  });

  it('falls back to a path of labels, replacing in every iteration', () => {
    const src = `model A {\n  input 8x8x2\n  s: repeat 2 { c: conv 4 3x3 same }\n}\nmodel B = A {\n  replace s.c { conv 4 1x1 }\n}\n`;
    const d = model(src, 'B').graph;
    expect(d.nodes.map((n) => `${n.name}:${n.op === 'conv2d' ? n.attrs.kernel[0] : ''}`)).toEqual([
      'input:',
      's.0.c:1',
      's.1.c:1',
    ]);
  });
});

group('every layer of the stdlib models', () => {
  // Seeded sample of (model, layer) pairs: each cut keeps exactly the base's prefix or is CNN2041;
  // each replace by name keeps every name. Never an internal error.
  const MODELS: [string, string][] = [
    ['resnet', 'ResNet18'],
    ['resnet', 'ResNet50'],
    ['mobilenet', 'MobileNetV2'],
    ['inception', 'GoogLeNet'],
    ['vgg', 'VGG11_BN'],
    ['alexnet', 'AlexNet'],
    ['lenet', 'LeNet5'],
  ];
  let seed = 12345;
  const rand = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
  it.each(MODELS)('%s %s', (lib, base) => {
    const b = model(`import ${lib}\n`, base).graph;
    const layers = b.nodes.filter((n) => n.op !== 'input');
    for (let i = 0; i < 6; i++) {
      const x = layers[Math.floor(rand() * layers.length)];
      const where = rand() < 0.5 ? 'after' : 'before';
      const src = `import ${lib}\nmodel T = ${base} {\n  cut ${where} ${x.name}\n}\n`;
      const r = compile(src, { model: 'T' });
      const codes = r.diagnostics.filter((d) => d.severity === 'error').map((d) => d.code);
      if (codes.length) {
        expect(codes, `${where} ${x.name}`).toEqual(['CNN2041']);
        continue;
      }
      expect(r.models[0].graph.nodes.map(sig), `${where} ${x.name}`).toEqual(
        expectedPrefix(b, x.name, where).map(sig),
      );
      const rep = `import ${lib}\nmodel T = ${base} {\n  replace ${x.name} { linear }\n}\n`;
      const rr = compile(rep, { model: 'T' });
      const joins = ['add', 'concat', 'multiply'].includes(x.op);
      // `linear` may not fit what follows (shape errors); names and structure must.
      const errors = rr.diagnostics
        .filter((d) => d.severity === 'error' && !d.code.startsWith('CNN3'))
        .map((d) => d.code);
      expect(errors, `replace ${x.name}`).toEqual(joins ? ['CNN2021'] : []);
      if (joins) continue;
      // The layers before it keep their names; it keeps its own. (Later ones may change: a new
      // width can switch a shortcut on.)
      const d = rr.models[0].graph;
      expect(names(d).slice(0, x.id), x.name).toEqual(names(b).slice(0, x.id));
      const now = d.nodes.find((n) => n.name === x.name);
      expect(now?.op === 'activation' && now.attrs.fn, x.name).toBe('linear');
    }
  });
});
