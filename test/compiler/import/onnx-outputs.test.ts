/**
 * `cnnc import onnx` on graphs with several outputs (compiler/import/onnx-outputs.ts), built here
 * with onnx-fixtures.ts: the output that needs the most layers is the model's final value and each
 * other output is written where it leaves it, `output NAME { … }` with the layers only it needs or
 * `output NAME` for a value of the main path; the names are the graph's made identifiers. The
 * pyramid's .cnn is a golden file, and the imported model gives onnxruntime-web's value for every
 * output. Outputs the language cannot write are CNN2084; malformed ones are in onnx-hostile.test.ts.
 * The exporter names graph outputs as the model does, so they come back under those names.
 */
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { convertWeights } from '../../../compiler/cli/import-onnx.js';
import { importOnnx } from '../../../compiler/import/onnx.js';
import { compileFile } from '../../../compiler/program.js';
import { expectBaseline } from '../../helpers/baseline.js';
import { memoryHost, memPath } from '../../helpers/memory-host.js';
import {
  cnncForwardAll,
  exportOk,
  relativeError,
  runOrtAll,
  seededWeights,
  toNchw,
} from '../../codegen/onnx/onnx-helpers.js';
import { encodeOnnx, seeded, weight, type GraphSpec, type NodeSpec } from './onnx-fixtures.js';

const conv = (name: string, input: string, output: string, k = 3): NodeSpec => ({
  op: 'Conv',
  name: `/${name}/Conv`,
  inputs: [input, `${name}.weight`, `${name}.bias`],
  outputs: [output],
  attrs: { kernel_shape: [k, k], pads: k === 3 ? [1, 1, 1, 1] : [0, 0, 0, 0] },
});
const relu = (input: string, output: string): NodeSpec => ({
  op: 'Relu',
  inputs: [input],
  outputs: [output],
});
const pool = (input: string, output: string): NodeSpec => ({
  op: 'MaxPool',
  inputs: [input],
  outputs: [output],
  attrs: { kernel_shape: [2, 2], strides: [2, 2] },
});
const convWeights = (name: string, o: number, i: number, k: number, seed: number) => [
  weight(`${name}.weight`, [o, i, k, k], seed),
  weight(`${name}.bias`, [o], seed + 1),
];

/**
 * Three levels of a pyramid (`p3`, `p4`, `p5`, each a ReLU of the backbone) and a 1x1 head on
 * `p4` whose name is not an identifier.
 */
function pyramid(): GraphSpec {
  return {
    input: { name: 'x', dims: ['N', 2, 16, 16] },
    output: ['p3', 'p4', 'p4/head:0', 'p5'],
    initializers: [
      ...convWeights('c3', 4, 2, 3, 1),
      ...convWeights('c4', 6, 4, 3, 3),
      ...convWeights('c5', 8, 6, 3, 5),
      ...convWeights('head', 3, 6, 1, 7),
    ],
    nodes: [
      conv('c3', 'x', 'v3'),
      relu('v3', 'p3'),
      pool('p3', 'd3'),
      conv('c4', 'd3', 'v4'),
      relu('v4', 'p4'),
      conv('head', 'p4', 'p4/head:0', 1),
      pool('p4', 'd4'),
      conv('c5', 'd4', 'v5'),
      relu('v5', 'p5'),
    ],
  };
}

/**
 * A classifier with an auxiliary one on its first block, listed first by the graph: `aux`, then
 * `main`. Both classifiers' weights are called `fc` in their modules (`fc.weight`, `aux.fc.weight`).
 */
function auxFirst(): GraphSpec {
  const gap = (input: string, output: string): NodeSpec[] => [
    { op: 'GlobalAveragePool', inputs: [input], outputs: [`${output}_pooled`] },
    { op: 'Flatten', inputs: [`${output}_pooled`], outputs: [output], attrs: { axis: 1 } },
  ];
  const gemm = (name: string, input: string, output: string): NodeSpec => ({
    op: 'Gemm',
    name: `/${name}/Gemm`,
    inputs: [input, `${name}.weight`, `${name}.bias`],
    outputs: [output],
    attrs: { transB: 1 },
  });
  return {
    input: { name: 'x', dims: ['N', 2, 8, 8] },
    output: ['aux', 'main'],
    initializers: [
      ...convWeights('c1', 4, 2, 3, 1),
      ...convWeights('c2', 6, 4, 3, 3),
      weight('fc.weight', [3, 6], 5),
      weight('fc.bias', [3], 6),
      weight('aux.fc.weight', [3, 4], 7),
      weight('aux.fc.bias', [3], 8),
    ],
    nodes: [
      conv('c1', 'x', 'v1'),
      relu('v1', 'a1'),
      ...gap('a1', 'aux_flat'),
      gemm('aux.fc', 'aux_flat', 'aux'),
      conv('c2', 'a1', 'v2'),
      relu('v2', 'a2'),
      ...gap('a2', 'flat'),
      gemm('fc', 'flat', 'main'),
    ],
  };
}

/** Every output of the imported model is onnxruntime-web's for the same graph and input. */
async function expectOrtOutputs(spec: GraphSpec, file: string): Promise<void> {
  const bytes = encodeOnnx(spec);
  const r = importOnnx(bytes, { file });
  expect(r.graph).not.toBeNull();
  const weights = convertWeights(r, path.join('/nonexistent', file));
  const [c, h, w] = spec.input.dims.slice(1) as number[];
  const nchw = Float32Array.from(seeded([2, c, h, w], 99));
  const nhwc = new Float32Array(nchw.length);
  for (let b = 0; b < 2; b++)
    for (let y = 0; y < h; y++)
      for (let x = 0; x < w; x++)
        for (let k = 0; k < c; k++)
          nhwc[((b * h + y) * w + x) * c + k] = nchw[((b * c + k) * h + y) * w + x];
  const ours = await cnncForwardAll(r.graph!, weights, { data: nhwc, shape: [2, h, w, c] });
  const theirs = await runOrtAll(bytes, nchw, [2, c, h, w]);
  const ids = new Map(
    (typeof spec.output === 'string' ? [spec.output] : spec.output).map((o) => [
      o.replace(/[^A-Za-z0-9_]/g, '_'),
      o,
    ]),
  );
  expect(ours.map((y) => ids.get(y.name)).sort()).toEqual(theirs.map((y) => y.name).sort());
  for (const y of ours) {
    const t = theirs.find((x) => x.name === ids.get(y.name))!;
    const err = relativeError(toNchw(y.data, y.shape), t.data as Float32Array);
    expect(err, y.name).toBeLessThanOrEqual(1e-5);
  }
}

describe('cnnc import onnx: several outputs', () => {
  it('writes a pyramid as markers and a head on the main path (golden)', () => {
    const r = importOnnx(encodeOnnx(pyramid()), { file: 'pyramid.onnx', cnnFile: 'pyramid.cnn' });
    expect(r.diagnostics.map((d) => [d.code, d.message])).toEqual([]);
    expectBaseline('import/onnx-outputs.cnn', r.source!);
    expect(r.graph!.outputNames).toEqual(['p3', 'p4', 'p4_head_0', 'p5']);
    // The head's weights are named as the .cnn names the head's layer.
    expect(r.weights.map((w) => w.name)).toContain('p4_head_0.head/kernel');
  });

  it("gives onnxruntime-web's value for every output of the pyramid", async () => {
    await expectOrtOutputs(pyramid(), 'pyramid.onnx');
  }, 60_000);

  it('takes the deepest output as the final value, `main` unnamed, and notes the new order', async () => {
    const r = importOnnx(encodeOnnx(auxFirst()), { file: 'net.onnx' });
    expect(r.diagnostics.map((d) => [d.code, d.severity])).toEqual([['CNN2085', 'note']]);
    expect(r.diagnostics[0].message).toBe(
      'the .cnn lists the outputs as main, aux; the ONNX graph as aux, main',
    );
    const body = r.source!.slice(r.source!.indexOf('model net {'));
    expect(body).toBe(
      [
        'model net {',
        '  input 8x8x2',
        '  c1: conv 4 3x3 pad 1',
        '  relu',
        '  output aux {',
        '    gap',
        '    fc: dense 3',
        '  }',
        '  c2: conv 6 3x3 pad 1',
        '  relu',
        '  gap',
        '  fc: dense 3',
        '}',
        '',
      ].join('\n'),
    );
    expect(r.graph!.outputNames).toEqual(['main', 'aux']);
    expect(r.weights.map((w) => w.name)).toEqual([
      'c1/kernel',
      'c1/bias',
      'aux.fc/kernel',
      'aux.fc/bias',
      'c2/kernel',
      'c2/bias',
      'fc/kernel',
      'fc/bias',
    ]);
    await expectOrtOutputs(auxFirst(), 'net.onnx');
  }, 60_000);

  it('names a final value that is not `main` with an `output NAME` that ends the model', () => {
    const spec: GraphSpec = {
      ...pyramid(),
      output: ['x_mean', 'p5'],
      nodes: [
        ...pyramid().nodes.filter((n) => !n.outputs?.includes('p4/head:0')),
        { op: 'GlobalAveragePool', inputs: ['x'], outputs: ['x_mean'] },
      ],
    };
    const r = importOnnx(encodeOnnx(spec), { file: 'm.onnx' });
    expect(r.diagnostics.map((d) => [d.code, d.message])).toEqual([]);
    expect(r.source).toMatch(
      /\n {2}input 16x16x2\n {2}output x_mean \{\n {4}gap keepdims\n {2}\}\n/,
    );
    expect(r.source).toMatch(/\n {2}relu\n {2}output p5\n\}\n$/);
    expect(r.graph!.outputNames).toEqual(['x_mean', 'p5']);
  });

  const cannot: [string, GraphSpec, string][] = [
    [
      'two outputs share a layer the main path does not need',
      {
        ...pyramid(),
        output: ['p5', 'h1', 'h2'],
        nodes: [
          ...pyramid().nodes.filter((n) => !n.outputs?.includes('p4/head:0')),
          conv('head', 'p4', 'shared', 1),
          { op: 'Relu', inputs: ['shared'], outputs: ['h1'] },
          { op: 'Sigmoid', inputs: ['shared'], outputs: ['h2'] },
        ],
      },
      '/head/Conv',
    ],
    [
      'an output reads two values of the main path',
      {
        ...pyramid(),
        output: ['p5', 'both'],
        nodes: [
          ...pyramid().nodes.filter((n) => !n.outputs?.includes('p4/head:0')),
          { op: 'Add', name: 'join', inputs: ['p3', 'v3'], outputs: ['both'] },
        ],
      },
      'output both',
    ],
  ];
  it.each(cannot)('%s: CNN2084 at the culprit, nothing written', (_what, spec, at) => {
    const r = importOnnx(encodeOnnx(spec), { file: 'm.onnx' });
    const d = r.diagnostics.find((x) => x.code === 'CNN2084');
    expect(d, JSON.stringify(r.diagnostics.map((x) => [x.code, x.message]))).toBeDefined();
    expect(r.sources.get('m.onnx')!.slice(d!.span!.start, d!.span!.end)).toContain(at);
    expect(r.source).toBeNull();
  });

  it('an output leaving inside a residual: CNN2084', () => {
    const spec: GraphSpec = {
      input: { name: 'x', dims: ['N', 2, 8, 8] },
      output: ['y', 'inner'],
      initializers: [...convWeights('c1', 2, 2, 3, 1)],
      nodes: [
        conv('c1', 'x', 'v1'),
        relu('v1', 'r1'),
        { op: 'Sigmoid', inputs: ['r1'], outputs: ['inner'] },
        { op: 'Add', name: 'sum', inputs: ['r1', 'x'], outputs: ['y'] },
      ],
    };
    const r = importOnnx(encodeOnnx(spec), { file: 'm.onnx' });
    expect(r.diagnostics.map((d) => d.code)).toEqual(['CNN2084']);
    expect(r.source).toBeNull();
  });
});

describe('cnnc compile --emit onnx: the graph outputs', () => {
  it('are named as the model names them, one named like the input with `_2`, and import back so', () => {
    const text =
      'model M {\n  input 8x8x1\n  conv 2 3x3\n  output input { gap, dense 2 }\n  gap, dense 3\n}\n';
    const r = compileFile(memPath('main.cnn'), memoryHost({ 'main.cnn': text }));
    expect(r.diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
    const graph = r.models[0].graph;
    expect(graph.outputNames).toEqual(['main', 'input']);
    const imported = importOnnx(exportOk(graph, seededWeights(graph, 3)), { file: 'm.onnx' });
    expect(imported.onnx!.inputs.map((o) => o.name)).toEqual(['input']);
    expect(imported.onnx!.outputs.map((o) => o.name)).toEqual(['main', 'input_2']);
    expect(imported.diagnostics).toEqual([]);
    expect(imported.graph!.outputNames).toEqual(['main', 'input_2']);
  });
});
