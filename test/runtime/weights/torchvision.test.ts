import { describe, expect, it } from 'vitest';
import type { Graph } from '../../../compiler/ir/graph.js';
import { compileFile } from '../../../compiler/program.js';
import { seededRandom } from '../../../runtime/init.js';
import { expectedWeights } from '../../../runtime/weights/plan.js';
import type { FileTensor, NamedTensor } from '../../../runtime/weights/tensor.js';
import { fromTorchvision, toTorchvision } from '../../../runtime/weights/torchvision.js';
import { memoryHost } from '../../helpers/memory-host.js';

function compile(source: string, model: string): Graph {
  const r = compileFile('/work/main.cnn', memoryHost({ 'main.cnn': source }), { model });
  expect(r.diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
  return r.models[0].graph;
}

// The stdlib models; VGG's and AlexNet's classifiers narrowed (same layers and names, 16 units
// instead of 4096) to keep the test fast.
const VGG_HEAD = `replace classifier {
    avgpool: adaptiveavgpool 7x7, flatten
    fc1: dense 16, relu, dropout 0.5
    fc2: dense 16, relu, dropout 0.5
    fc3: dense 1000
  }`;
const STDLIB = `import resnet
import vgg
import alexnet
import mobilenet
model M = MobileNetV2 { input 64x64x3 }
model R18 = ResNet18 { input 64x64x3 }
model V11 = VGG11 {
  input 32x32x3
  ${VGG_HEAD}
}
model V11BN = VGG11_BN {
  input 32x32x3
  ${VGG_HEAD}
}
model A = AlexNet {
  input 128x128x3
  replace classifier {
    dropout 0.5, fc6: dense 16, relu
    dropout 0.5, fc7: dense 16, relu
    fc8: dense 1000
  }
}
`;

const sameData = (a: Float32Array, b: Float32Array) =>
  Buffer.from(a.buffer, a.byteOffset, a.byteLength).equals(
    Buffer.from(b.buffer, b.byteOffset, b.byteLength),
  );

/** Seeded random cnnc weights for every weight of a graph (the first `limit`). */
function randomWeights(graph: Graph, seed: number, limit = Infinity): NamedTensor[] {
  const r = seededRandom(seed);
  return expectedWeights(graph)
    .slice(0, limit)
    .map((w) => {
      const data = new Float32Array(w.shape.reduce((a, b) => a * b, 1));
      for (let i = 0; i < data.length; i++) data[i] = r() - 0.5;
      return { name: w.name, shape: w.shape, data };
    });
}

const asFile = (ts: readonly NamedTensor[]): FileTensor[] =>
  ts.map((t) => ({ ...t, dtype: 'F32' }));

/** torchvision's state-dict keys (less num_batches_tracked), written out from its module layout. */
function resnet18Keys(): string[] {
  const bn = (m: string) =>
    ['weight', 'bias', 'running_mean', 'running_var'].map((p) => `${m}.${p}`);
  const keys = ['conv1.weight', ...bn('bn1')];
  for (let layer = 1; layer <= 4; layer++)
    for (let block = 0; block < 2; block++) {
      const b = `layer${layer}.${block}`;
      keys.push(`${b}.conv1.weight`, ...bn(`${b}.bn1`), `${b}.conv2.weight`, ...bn(`${b}.bn2`));
      if (layer > 1 && block === 0)
        keys.push(`${b}.downsample.0.weight`, ...bn(`${b}.downsample.1`));
    }
  return [...keys, 'fc.weight', 'fc.bias'];
}
function mobilenetV2Keys(): string[] {
  const bn = (m: string) =>
    ['weight', 'bias', 'running_mean', 'running_var'].map((p) => `${m}.${p}`);
  const keys = ['features.0.0.weight', ...bn('features.0.1')];
  keys.push('features.1.conv.0.0.weight', ...bn('features.1.conv.0.1'));
  keys.push('features.1.conv.1.weight', ...bn('features.1.conv.2'));
  for (let i = 2; i <= 17; i++) {
    const c = `features.${i}.conv`;
    keys.push(`${c}.0.0.weight`, ...bn(`${c}.0.1`), `${c}.1.0.weight`, ...bn(`${c}.1.1`));
    keys.push(`${c}.2.weight`, ...bn(`${c}.3`));
  }
  return [
    ...keys,
    'features.18.0.weight',
    ...bn('features.18.1'),
    'classifier.1.weight',
    'classifier.1.bias',
  ];
}
const sequentialKeys = (features: number[], classifier: number[], bnAt: number[] = []) => [
  ...features.flatMap((i) => [`features.${i}.weight`, `features.${i}.bias`]),
  ...bnAt.flatMap((i) =>
    ['weight', 'bias', 'running_mean', 'running_var'].map((p) => `features.${i}.${p}`),
  ),
  ...classifier.flatMap((i) => [`classifier.${i}.weight`, `classifier.${i}.bias`]),
];

describe('torchvision names', () => {
  it.each([
    ['R18', 'resnet', resnet18Keys()],
    // VGG-11: conv 64, M, conv 128, M, conv 256 ×2, M, conv 512 ×2, M, conv 512 ×2, M.
    ['V11', 'vgg-alexnet', sequentialKeys([0, 3, 6, 8, 11, 13, 16, 18], [0, 3, 6])],
    // With batch norm every conv takes three modules (conv, bn, relu).
    [
      'V11BN',
      'vgg-alexnet',
      sequentialKeys([0, 4, 8, 11, 15, 18, 22, 25], [0, 3, 6], [1, 5, 9, 12, 16, 19, 23, 26]),
    ],
    ['A', 'vgg-alexnet', sequentialKeys([0, 3, 6, 8, 10], [1, 4, 6])],
    ['M', 'mobilenet_v2', mobilenetV2Keys()],
  ])('%s maps to torchvision %s keys', (model, family, keys) => {
    const graph = compile(STDLIB, model);
    const ours = randomWeights(graph, 1);
    const torch = toTorchvision(graph, ours, family as 'resnet');
    expect(torch.map((t) => t.name).sort()).toEqual([...keys].sort());
    // And back: every weight loads from the torchvision names, with its values.
    const back = fromTorchvision(graph, asFile(torch));
    expect(back.family).toBe(family);
    expect(back.unmapped).toEqual([]);
    const byName = new Map(back.tensors.map((t) => [t.name, t]));
    for (const w of ours) {
      const t = byName.get(w.name)!;
      expect(t.shape).toEqual(w.shape);
      expect(sameData(t.read(), w.data)).toBe(true);
    }
  });

  it('ignores num_batches_tracked and reports keys no weight takes', () => {
    const graph = compile(STDLIB, 'R18');
    const torch = asFile(toTorchvision(graph, randomWeights(graph, 2, 10), 'resnet'));
    const extra: FileTensor[] = [
      { name: 'bn1.num_batches_tracked', shape: [], dtype: 'I64', data: new Float32Array([9]) },
      { name: 'aux.weight', shape: [2], dtype: 'F32', data: new Float32Array(2) },
    ];
    const m = fromTorchvision(graph, [...torch, ...extra]);
    expect(m.ignored).toEqual(['bn1.num_batches_tracked']);
    expect(m.unmapped.map((t) => t.name)).toEqual(['aux.weight']);
    expect(m.tensors.length).toBe(torch.length);
  });
});

describe('torchvision layouts', () => {
  // A net small enough to check element by element, in the sequential (VGG/AlexNet) layout.
  const SMALL = `model S {
  input 2x3x4
  features: {
    conv1: conv 6 3x3 pad 1, relu
    dw: dwconv 3x3 pad 1 multiplier 2
    bn: bn
  }
  flatten
  classifier: { fc: dense 5 }
}`;
  const graph = compile(SMALL, 'S');
  const r = seededRandom(7);
  const make = (name: string, shape: number[]): FileTensor => ({
    name,
    shape,
    dtype: 'F32',
    data: Float32Array.from({ length: shape.reduce((a, b) => a * b, 1) }, () => r()),
  });
  // torchvision layouts: conv [O, I, kh, kw], depthwise [C·m, 1, kh, kw], linear [out, in].
  const file = [
    make('features.0.weight', [6, 4, 3, 3]),
    make('features.0.bias', [6]),
    make('features.2.weight', [12, 1, 3, 3]),
    make('features.3.weight', [12]),
    make('features.3.bias', [12]),
    make('features.3.running_mean', [12]),
    make('features.3.running_var', [12]),
    make('classifier.0.weight', [5, 2 * 3 * 12]),
    make('classifier.0.bias', [5]),
  ];
  const m = fromTorchvision(graph, file);
  const get = (name: string) => m.tensors.find((t) => t.name === name)!;
  const src = (name: string) => file.find((t) => t.name === name)!.data;

  it('names every weight', () => {
    expect(m.tensors.map((t) => `${t.source} → ${t.name}`)).toEqual([
      'features.0.weight → features.conv1/kernel',
      'features.0.bias → features.conv1/bias',
      'features.2.weight → features.dw/depthwise_kernel',
      'features.3.weight → features.bn/gamma',
      'features.3.bias → features.bn/beta',
      'features.3.running_mean → features.bn/moving_mean',
      'features.3.running_var → features.bn/moving_variance',
      'classifier.0.weight → classifier.fc/kernel',
      'classifier.0.bias → classifier.fc/bias',
    ]);
  });

  it('conv OIHW → HWIO', () => {
    const k = get('features.conv1/kernel');
    expect(k.shape).toEqual([3, 3, 4, 6]);
    const ours = k.read();
    const torch = src('features.0.weight');
    for (let o = 0; o < 6; o++)
      for (let i = 0; i < 4; i++)
        for (let h = 0; h < 3; h++)
          for (let w = 0; w < 3; w++)
            expect(ours[((h * 3 + w) * 4 + i) * 6 + o]).toBe(torch[((o * 4 + i) * 3 + h) * 3 + w]);
  });

  it('depthwise [C·m, 1, kh, kw] → [kh, kw, C, m]', () => {
    const k = get('features.dw/depthwise_kernel');
    expect(k.shape).toEqual([3, 3, 6, 2]);
    const ours = k.read();
    const torch = src('features.2.weight');
    for (let c = 0; c < 6; c++)
      for (let j = 0; j < 2; j++)
        for (let h = 0; h < 3; h++)
          for (let w = 0; w < 3; w++)
            expect(ours[((h * 3 + w) * 6 + c) * 2 + j]).toBe(torch[((c * 2 + j) * 3 + h) * 3 + w]);
  });

  it('dense after a flatten: transposed, rows from CHW to HWC order', () => {
    const k = get('classifier.fc/kernel');
    expect(k.shape).toEqual([72, 5]);
    const ours = k.read();
    const torch = src('classifier.0.weight');
    const [H, W, C] = [2, 3, 12];
    for (let u = 0; u < 5; u++)
      for (let h = 0; h < H; h++)
        for (let w = 0; w < W; w++)
          for (let c = 0; c < C; c++)
            expect(ours[((h * W + w) * C + c) * 5 + u]).toBe(torch[u * 72 + c * H * W + h * W + w]);
  });

  it('a file of another shape maps to a shape the plan reports', () => {
    const wrong = fromTorchvision(graph, [make('features.0.weight', [8, 4, 3, 3])]);
    expect(wrong.tensors[0].shape).toEqual([3, 3, 4, 8]);
  });
});
