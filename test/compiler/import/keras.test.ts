/**
 * `importKeras` on small hand-written Keras models: the .cnn text compiles, its output shape and
 * parameter count equal Keras's (computed by Keras's formulas in keras-fixtures.ts), names and
 * weights map as documented, and each problem is one diagnostic at the right place.
 */
import { describe, expect, it } from 'vitest';
import type { Diagnostic } from '../../../compiler/diagnostics/diagnostic.js';
import type { Graph } from '../../../compiler/ir/graph.js';
import { importKeras, type KerasImport } from '../../../compiler/import/index.js';
import { countWeights } from '../../../compiler/sema/param-rules.js';
import { functional, input, kerasFigures, L, sequential, type Layer } from './keras-fixtures.js';

function run(text: string): KerasImport {
  return importKeras(text, { file: 'model.json', cnnFile: 'model.cnn' });
}

function errors(r: KerasImport): string[] {
  return r.diagnostics.filter((d) => d.severity === 'error').map((d) => `${d.code} ${d.message}`);
}

const spanText = (r: KerasImport, d: Diagnostic) =>
  r.sources.get(d.span!.file)!.slice(d.span!.start, d.span!.end);

const params = (g: Graph) => countWeights(g.nodes.flatMap((n) => n.weights ?? []));
const outShape = (g: Graph) => g.nodes[g.outputs[0]].shape;

const conv = (name: string, from: string, filters: number, k: number, extra = {}) =>
  L(
    'Conv2D',
    name,
    {
      filters,
      kernel_size: [k, k],
      strides: [1, 1],
      padding: 'same',
      use_bias: false,
      activation: 'linear',
      ...extra,
    },
    [from],
  );
const bn = (name: string, from: string, extra = {}) =>
  L(
    'BatchNormalization',
    name,
    { axis: -1, epsilon: 1e-3, momentum: 0.99, center: true, scale: true, ...extra },
    [from],
  );
const relu = (name: string, from: string) =>
  L('ReLU', name, { max_value: null, negative_slope: 0, threshold: 0 }, [from]);

/** Functional models that import, with what their .cnn must contain. */
const MODELS: { title: string; layers: Layer[]; output: string; contains: string[] }[] = [
  {
    title: 'identity residual (MobileNetV2-style, ZeroPadding2D + valid stride-2 depthwise)',
    layers: [
      input('in', [16, 16, 8]),
      L(
        'ZeroPadding2D',
        'pad',
        {
          padding: [
            [0, 1],
            [0, 1],
          ],
        },
        ['in'],
      ),
      L(
        'DepthwiseConv2D',
        'dw',
        {
          kernel_size: [3, 3],
          strides: [2, 2],
          padding: 'valid',
          depth_multiplier: 1,
          use_bias: false,
          activation: 'linear',
        },
        ['pad'],
      ),
      bn('dw_BN', 'dw'),
      L('ReLU', 'dw_relu', { max_value: 6, negative_slope: 0, threshold: 0 }, ['dw_BN']),
      conv('expand', 'dw_relu', 48, 1),
      bn('expand_BN', 'expand'),
      L('ReLU', 'expand_relu', { max_value: 6, negative_slope: 0, threshold: 0 }, ['expand_BN']),
      conv('project', 'expand_relu', 8, 1),
      bn('project_BN', 'project'),
      L('Add', 'block_add', {}, ['dw_relu', 'project_BN']),
      L('GlobalAveragePooling2D', 'gap', {}, ['block_add']),
      L('Dense', 'logits', { units: 5, activation: 'softmax', use_bias: true }, ['gap']),
    ],
    output: 'logits',
    contains: [
      'zeropad (0, 1, 0, 1)',
      'dw: dwconv 3x3 /2 nobias',
      'residual {  // block_add',
      'relu6',
      'logits: dense 5\n  softmax',
    ],
  },
  {
    title: 'projection shortcut (ResNet-style): body and shortcut',
    layers: [
      input('x', [8, 8, 4]),
      conv('a', 'x', 8, 3, { strides: [2, 2] }),
      bn('a_bn', 'a'),
      relu('a_relu', 'a_bn'),
      conv('b', 'a_relu', 8, 3),
      bn('b_bn', 'b'),
      conv('s', 'x', 8, 1, { strides: [2, 2] }),
      bn('s_bn', 's', { scale: true }),
      L('Add', 'add_1', {}, ['s_bn', 'b_bn']),
      relu('out', 'add_1'),
      L('Flatten', 'flat', {}, ['out']),
      L('Dense', 'fc', { units: 3, activation: 'linear', use_bias: false }, ['flat']),
    ],
    output: 'fc',
    contains: [
      'residual {  // add_1',
      '} shortcut {',
      'a: conv 8 3x3 /2 same nobias',
      'fc: dense 3 nobias',
    ],
  },
  {
    title: 'inception-style concat of four branches, one of them a pool',
    layers: [
      input('x', [12, 12, 6]),
      conv('b1', 'x', 4, 1),
      conv('b2a', 'x', 3, 1),
      conv('b2b', 'b2a', 5, 3),
      L('MaxPooling2D', 'pool', { pool_size: [3, 3], strides: [1, 1], padding: 'same' }, ['x']),
      conv('b3', 'pool', 2, 1, { use_bias: true }),
      L('AveragePooling2D', 'avg', { pool_size: [3, 3], strides: [1, 1], padding: 'same' }, ['x']),
      L('Concatenate', 'mixed', { axis: -1 }, ['b1', 'b2b', 'b3', 'avg']),
      L(
        'SeparableConv2D',
        'sep',
        {
          filters: 7,
          kernel_size: [3, 3],
          strides: [2, 2],
          padding: 'same',
          depth_multiplier: 2,
          use_bias: true,
          activation: 'relu',
        },
        ['mixed'],
      ),
      L('GlobalMaxPooling2D', 'gmp', {}, ['sep']),
    ],
    output: 'gmp',
    contains: [
      'concat {  // mixed',
      'branch {',
      'avgpool 3x3 /1 same exclude_pad',
      'maxpool 3x3 /1 same',
      'sep: {',
      'depthwise: dwconv 3x3 /2 same multiplier 2 nobias',
    ],
  },
  {
    title: 'transposed convolution and explicit strides',
    layers: [
      input('x', [5, 5, 3]),
      L(
        'Conv2DTranspose',
        'up_same',
        {
          filters: 4,
          kernel_size: [3, 3],
          strides: [2, 2],
          padding: 'same',
          use_bias: true,
          activation: 'linear',
        },
        ['x'],
      ),
      L(
        'Conv2DTranspose',
        'up_valid',
        {
          filters: 2,
          kernel_size: [3, 3],
          strides: [2, 2],
          padding: 'valid',
          use_bias: true,
          activation: 'tanh',
        },
        ['up_same'],
      ),
      L(
        'Conv2D',
        'rect',
        {
          filters: 3,
          kernel_size: [1, 3],
          strides: [2, 1],
          padding: 'valid',
          use_bias: true,
          activation: 'sigmoid',
        },
        ['up_valid'],
      ),
    ],
    output: 'rect',
    contains: ['deconv 4 3x3 /2 same', 'rect: conv 3 1x3 stride (2, 1)', 'tanh', 'sigmoid'],
  },
  {
    title: 'UpSampling2D nearest and bilinear (an FPN-style decoder step)',
    layers: [
      input('x', [4, 4, 3]),
      L('UpSampling2D', 'up', { size: [2, 2], interpolation: 'nearest' }, ['x']),
      L('UpSampling2D', 'up_b', { size: [2, 3], interpolation: 'bilinear' }, ['up']),
      conv('c', 'up_b', 4, 3),
      L('Flatten', 'flat', {}, ['c']),
      L('Dense', 'fc', { units: 2, activation: 'linear', use_bias: true }, ['flat']),
    ],
    output: 'fc',
    contains: ['up: upsample 2\n', 'up_b: upsample 2x3 bilinear'],
  },
];

describe('functional models import with Keras shapes and parameter counts', () => {
  it.each(MODELS.map((m) => [m.title, m] as const))('%s', (_t, m) => {
    const r = run(functional(m.layers, m.layers[0].name, m.output));
    expect(errors(r)).toEqual([]);
    const keras = kerasFigures(m.layers, m.output);
    expect(outShape(r.graph!)).toEqual(keras.shape);
    expect(params(r.graph!)).toBe(keras.params);
    for (const c of m.contains) expect(r.source).toContain(c);
    // Every Keras layer has cnnc nodes, and those of plain layers keep the Keras name.
    for (const l of m.layers) expect(r.layers.get(l.name)?.length, l.name).toBeGreaterThan(0);
  });
});

describe('names', () => {
  it('keeps Keras names, and says where merges and branches put theirs', () => {
    const m = MODELS[1];
    const r = run(functional(m.layers, 'x', 'fc'));
    expect(r.layers.get('a_bn')).toEqual(['a_bn']);
    expect(r.layers.get('s_bn')).toEqual(['shortcut.s_bn']);
    expect(r.layers.get('add_1')).toEqual(['add1']);
    const names = new Set(r.graph!.nodes.map((n) => n.name));
    for (const nodes of r.layers.values()) for (const n of nodes) expect(names).toContain(n);
    const link = r.weights.find((w) => w.keras === 's/kernel');
    expect(link).toMatchObject({ name: 'shortcut.s/kernel', shape: [1, 1, 4, 8] });
  });

  it('maps SeparableConv2D weights onto its depthwise and pointwise nodes', () => {
    const m = MODELS[2];
    const r = run(functional(m.layers, 'x', 'gmp'));
    const by = new Map(r.weights.map((w) => [w.keras, w]));
    const mixed = 4 + 5 + 2 + 6;
    expect(by.get('sep/depthwise_kernel')).toMatchObject({
      name: 'sep.depthwise/depthwise_kernel',
      shape: [3, 3, mixed, 2],
    });
    expect(by.get('sep/pointwise_kernel')).toMatchObject({
      name: 'sep.pointwise/kernel',
      shape: [1, 1, 2 * mixed, 7],
    });
    expect(by.get('sep/bias')).toMatchObject({ name: 'sep.pointwise/bias', shape: [7] });
    expect(r.layers.get('b2b')![0]).toMatch(/^branch\d+\.b2b$/);
  });

  it('renames a layer whose name is not an identifier (CNN2035) and keeps it unique', () => {
    const layers = [
      input('x', [4]),
      L('Dense', 'my-dense', { units: 2 }, ['x']),
      L('Dense', 'my_dense', { units: 2 }, ['my-dense']),
    ];
    const r = run(functional(layers, 'x', 'my_dense'));
    expect(errors(r)).toEqual([]);
    const d = r.diagnostics.find((x) => x.code === 'CNN2035')!;
    expect(d.message).toContain('`my-dense` is named `my_dense_2`');
    expect(r.layers.get('my-dense')).toEqual(['my_dense_2']);
  });
  it.each(['cut', 'in', 'model', 'branch'])('renames a layer named like the keyword `%s`', (k) => {
    const r = run(functional([input('x', [4]), L('Dense', k, { units: 2 }, ['x'])], 'x', k));
    expect(errors(r)).toEqual([]);
    expect(r.diagnostics.map((d) => d.code)).toEqual(['CNN2035']);
    expect(r.layers.get(k)).toEqual([`${k}_`]);
  });
});

describe('other model forms', () => {
  it('reads Keras to_json() Sequential models with the input in the first layer', () => {
    const text = sequential([
      [
        'Conv2D',
        {
          filters: 6,
          kernel_size: [5, 5],
          activation: 'relu',
          batch_input_shape: [null, 28, 28, 1],
        },
      ],
      ['MaxPooling2D', { pool_size: [2, 2] }],
      ['Conv2D', { filters: 16, kernel_size: 5, activation: 'relu' }],
      ['MaxPooling2D', {}],
      ['Flatten', {}],
      ['Dropout', { rate: 0.25 }],
      ['Dense', { units: 10, activation: 'softmax' }],
    ]);
    const r = run(text);
    expect(errors(r)).toEqual([]);
    expect(r.source).toContain('input 28x28x1');
    expect(outShape(r.graph!)).toEqual([10]);
    // Keras: 5·5·1·6+6, 5·5·6·16+16, 4·4·16·10+10.
    expect(params(r.graph!)).toBe(156 + 2416 + 2570);
  });

  it('reads Keras 3 inbound nodes (keras_history) and batch_shape', () => {
    const tensor = (name: string) => ({
      class_name: '__keras_tensor__',
      config: { shape: [null, 4], keras_history: [name, 0, 0] },
    });
    const layer = (cls: string, name: string, config: object, args: unknown[]) => ({
      name,
      class_name: cls,
      config: { name, ...config },
      inbound_nodes: args.length ? [{ args, kwargs: {} }] : [],
    });
    const text = JSON.stringify({
      class_name: 'Functional',
      config: {
        name: 'k3',
        layers: [
          layer('InputLayer', 'input_layer', { batch_shape: [null, 4] }, []),
          layer('Dense', 'dense', { units: 4, activation: 'relu' }, [tensor('input_layer')]),
          layer('Add', 'add', {}, [[tensor('input_layer'), tensor('dense')]]),
          layer('Dense', 'dense_1', { units: 2 }, [tensor('add')]),
        ],
        input_layers: ['input_layer', 0, 0],
        output_layers: ['dense_1', 0, 0],
      },
    });
    const r = run(text);
    expect(errors(r)).toEqual([]);
    expect(r.source).toContain('residual {  // add');
    expect(params(r.graph!)).toBe(4 * 4 + 4 + 4 * 2 + 2);
    // `add` is a keyword, but merges take no label: no rename warning.
    expect(r.diagnostics.filter((d) => d.code === 'CNN2035')).toEqual([]);
  });

  it('keeps unknown input sizes as `?`', () => {
    const r = run(functional([input('x', [null, null, 3]), conv('c', 'x', 4, 3)], 'x', 'c'));
    expect(errors(r)).toEqual([]);
    expect(r.source).toContain('x: input ?x?x3');
  });

  it('freezes the layers Keras marks trainable: false', () => {
    const layers = [
      input('x', [6, 6, 2]),
      conv('c1', 'x', 4, 3),
      bn('b1', 'c1'),
      relu('r1', 'b1'),
      conv('c2', 'r1', 4, 3),
      conv('c3', 'c2', 4, 3),
    ];
    for (const l of layers.slice(1, 5)) l.config.trainable = false;
    const r = run(functional(layers, 'x', 'c3'));
    expect(errors(r)).toEqual([]);
    expect(r.source).toContain('freeze ..c2');
    const frozen = r.graph!.nodes.filter((n) => n.frozen).map((n) => n.name);
    expect(frozen).toEqual(['c1', 'b1', 'r1', 'c2']);
  });
});

describe('problems, one diagnostic each, at the layer or setting', () => {
  it('names every layer the IR cannot express (CNN2032)', () => {
    const text = sequential([
      ['Dense', { units: 8, batch_input_shape: [null, 4] }],
      ['Lambda', { function: 'x * 2' }],
      ['Dense', { units: 8 }],
      ['LSTM', { units: 3 }],
      ['GaussianNoise', { stddev: 0.1 }],
    ]);
    const r = run(text);
    expect(r.source).toBeNull();
    const ds = r.diagnostics.filter((d) => d.code === 'CNN2032');
    expect(ds.map((d) => spanText(r, d))).toEqual(['"Lambda"', '"LSTM"', '"GaussianNoise"']);
    expect(ds.map((d) => /`(\w+)`/.exec(d.message)![1])).toEqual([
      'lambda_2',
      'lstm_4',
      'gaussiannoise_5',
    ]);
    expect(errors(r)).toHaveLength(3);
  });

  it.each([
    ['Conv2D', { filters: 2, kernel_size: 3, data_format: 'channels_first' }, '"channels_first"'],
    ['Conv2D', { filters: 2, kernel_size: 3, activation: 'selu' }, '"selu"'],
    ['Conv2D', { filters: 2, kernel_size: 3, padding: 'causal' }, '"causal"'],
    ['ReLU', { max_value: 4 }, '4'],
    ['BatchNormalization', { axis: 1 }, '1'],
    ['Concatenate', { axis: 1 }, '1'],
  ])('%s %j (CNN2033)', (cls, config, span) => {
    const merge = cls === 'Concatenate';
    const layers = [
      input('x', [6, 6, 2]),
      conv('c', 'x', 2, 1),
      L(cls, 'bad', config, merge ? ['x', 'c'] : ['c']),
    ];
    const r = run(functional(layers, 'x', 'bad'));
    const ds = r.diagnostics.filter((d) => d.code === 'CNN2033');
    expect(ds).toHaveLength(1);
    expect(ds[0].message).toContain('`bad`');
    expect(spanText(r, ds[0])).toBe(span);
  });

  it.each([
    [
      'two outputs',
      [input('x', [4]), L('Dense', 'a', { units: 2 }, ['x']), L('Dense', 'b', { units: 2 }, ['x'])],
      ['a', 'b'],
      'outputs',
    ],
    [
      'a shared layer',
      [
        input('x', [4]),
        {
          ...L('Dense', 'd', { units: 4 }, ['x']),
          inbound_nodes: [[['x', 0, 0, {}]], [['x', 0, 0, {}]]],
        },
      ],
      'd',
      'called 2 times',
    ],
    [
      'a fork that does not rejoin at one merge',
      [
        input('x', [4]),
        L('Dense', 'a', { units: 4 }, ['x']),
        L('Dense', 'b', { units: 4 }, ['x']),
        L('Add', 'm1', {}, ['a', 'b']),
        L('Add', 'm2', {}, ['a', 'm1']),
      ],
      'm2',
      'do not rejoin',
    ],
  ] as [string, Layer[], string | string[], string][])(
    '%s (CNN2034)',
    (_t, layers, output, words) => {
      const r = run(functional(layers, 'x', output));
      const ds = r.diagnostics.filter((d) => d.code === 'CNN2034');
      expect(ds).toHaveLength(1);
      expect(ds[0].message).toContain(words);
      expect(r.source).toBeNull();
    },
  );

  it('checks the weightsManifest against the layers (CNN2036, CNN2037)', () => {
    const layers = [
      input('x', [4]),
      L('Dense', 'd', { units: 3 }, ['x']),
      bn('n', 'd', { scale: false }),
      L('Dense', 'e', { units: 2 }, ['n']),
    ];
    const r = run(
      functional(layers, 'x', 'e', [
        { name: 'd/kernel', shape: [4, 3] },
        { name: 'd/bias', shape: [4] },
        { name: 'n/beta', shape: [3], dtype: 'string' },
        { name: 'n/moving_mean', shape: [3], quantization: { dtype: 'int4' } },
        { name: 'n/moving_variance', shape: [3] },
        { name: 'e/kernel', shape: [3, 2] },
        { name: 'ghost/kernel', shape: [1] },
      ]),
    );
    const by = (code: string) =>
      r.diagnostics.filter((d) => d.code === code).map((d) => `${spanText(r, d)}: ${d.message}`);
    expect(by('CNN2036')).toEqual([
      '"d/bias": weight `d/bias` is 4 in the weightsManifest; the imported layer needs 3',
      '"ghost/kernel": weight `ghost/kernel` in the weightsManifest belongs to no imported layer',
      '"Dense": the weightsManifest lacks `e/bias` of Keras layer `e`',
    ]);
    expect(by('CNN2037').map((s) => s.split(':')[0])).toEqual(['"n/beta"', '"n/moving_mean"']);
    // scale: false → a gamma of ones, with a warning at the setting.
    expect(r.diagnostics.filter((d) => d.code === 'CNN2038').map((d) => spanText(r, d))).toEqual([
      'false',
    ]);
    expect(r.weights.find((w) => w.name === 'n/gamma')).toMatchObject({ keras: null, fill: 1 });
  });

  it.each([
    ['not JSON', '{ "modelTopology": ', 'unexpected end'],
    [
      'a graph model',
      JSON.stringify({ format: 'graph-model', modelTopology: { node: [] } }),
      'graph model',
    ],
    ['no model config', JSON.stringify({ weightsManifest: [] }), 'no Keras model config'],
  ])('%s (CNN2031)', (_t, text, words) => {
    const r = run(text);
    expect(r.diagnostics.map((d) => d.code)).toEqual(['CNN2031']);
    expect(r.diagnostics[0].message).toContain(words);
  });
});
