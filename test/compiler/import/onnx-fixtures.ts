/**
 * Small ONNX models built in the tests with the vendored schema (compiler/onnx/proto.ts), for the
 * importer's golden, its diagnostics and the hostile-input cases: graphs, nodes, attributes and
 * initializers as plain objects, encoded with protobufjs.
 */
import { onnxType } from '../../../compiler/onnx/proto.js';

export type AttrSpec = number | string | readonly number[] | { readonly floats: readonly number[] };

export interface NodeSpec {
  readonly op: string;
  readonly inputs: readonly string[];
  readonly outputs?: readonly string[];
  readonly name?: string;
  readonly attrs?: Readonly<Record<string, AttrSpec>>;
}

export interface TensorSpec {
  readonly name: string;
  readonly dims: readonly number[];
  readonly values?: readonly number[];
  /** int64 values instead of float ones. */
  readonly ints?: readonly number[];
  readonly dataType?: number;
  readonly external?: {
    readonly location: string;
    readonly offset?: number;
    readonly length?: number;
  };
}

export interface GraphSpec {
  readonly input: { readonly name: string; readonly dims: readonly (number | string)[] };
  /** The graph output, or several in order. */
  readonly output: string | readonly string[];
  readonly nodes: readonly NodeSpec[];
  readonly initializers?: readonly TensorSpec[];
  readonly opset?: number;
}

/** A number is an INT attribute when integral, else FLOAT; `float(x)` forces FLOAT. */
function attribute(name: string, v: AttrSpec) {
  if (typeof v === 'string') return { name, type: 3, s: new TextEncoder().encode(v) };
  if (typeof v === 'number')
    return Number.isInteger(v) ? { name, type: 2, i: v } : { name, type: 1, f: v };
  if ('floats' in v) return { name, type: 6, floats: v.floats };
  return { name, type: 7, ints: v };
}

/** A float attribute even for an integral value (LeakyRelu's alpha 1, Clip's max 6). */
export const float = (x: number): AttrSpec => ({ floats: [x] });

function tensorObject(t: TensorSpec) {
  const base = { name: t.name, dims: t.dims, data_type: t.dataType ?? (t.ints ? 7 : 1) };
  if (t.external)
    return {
      ...base,
      data_location: 1,
      external_data: [
        { key: 'location', value: t.external.location },
        ...(t.external.offset !== undefined
          ? [{ key: 'offset', value: String(t.external.offset) }]
          : []),
        ...(t.external.length !== undefined
          ? [{ key: 'length', value: String(t.external.length) }]
          : []),
      ],
    };
  if (t.ints) return { ...base, int64_data: t.ints };
  return { ...base, float_data: t.values ?? [] };
}

/** The ModelProto object of a graph (opset 13 unless given). */
export function onnxObject(g: GraphSpec): Record<string, unknown> {
  const valueInfo = (name: string, dims: readonly (number | string)[]) => ({
    name,
    type: {
      tensor_type: {
        elem_type: 1,
        shape: {
          dim: dims.map((d) => (typeof d === 'number' ? { dim_value: d } : { dim_param: d })),
        },
      },
    },
  });
  return {
    ir_version: 8,
    producer_name: 'cnnc-tests',
    opset_import: [{ domain: '', version: g.opset ?? 13 }],
    graph: {
      name: 'g',
      input: [valueInfo(g.input.name, g.input.dims)],
      output: (typeof g.output === 'string' ? [g.output] : g.output).map((name) => ({ name })),
      initializer: (g.initializers ?? []).map(tensorObject),
      node: g.nodes.map((n, i) => ({
        name: n.name ?? `${n.op}_${i}`,
        op_type: n.op,
        input: n.inputs,
        output: n.outputs ?? [n.name ?? `${n.op}_${i}`],
        attribute: Object.entries(n.attrs ?? {}).map(([k, v]) =>
          Array.isArray(v) || typeof v !== 'object' || !('floats' in v) || v.floats.length !== 1
            ? attribute(k, v)
            : { name: k, type: 1, f: (v as { floats: number[] }).floats[0] },
        ),
      })),
    },
  };
}

export function encodeOnnx(g: GraphSpec | Record<string, unknown>): Uint8Array {
  const Model = onnxType('ModelProto');
  const obj = 'graph' in g ? g : onnxObject(g as GraphSpec);
  return Model.encode(Model.fromObject(obj)).finish();
}

/** Deterministic values in [-0.5, 0.5) for a tensor of `dims`. */
export function seeded(dims: readonly number[], seed: number): number[] {
  let s = seed >>> 0 || 1;
  const n = dims.reduce((a, b) => a * b, 1);
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    out.push(Math.fround(s / 2 ** 32 - 0.5));
  }
  return out;
}

export const weight = (name: string, dims: readonly number[], seed: number): TensorSpec => ({
  name,
  dims,
  values: seeded(dims, seed),
});

/**
 * A small CNN touching most of the subset: a zero Pad folded into a conv, batch norm, an
 * Inception-style concat of three branches (one with a max pool), a residual add, LRN, an average
 * pool, Flatten before a Gemm (the C·H·W → H·W·C row order), LeakyRelu, MatMul + Add and Softmax.
 */
export function smallGraph(): GraphSpec {
  const bn = (p: string, c: number, seed: number): TensorSpec[] => [
    { name: `${p}.weight`, dims: [c], values: seeded([c], seed).map((v) => v + 1) },
    weight(`${p}.bias`, [c], seed + 1),
    weight(`${p}.running_mean`, [c], seed + 2),
    { name: `${p}.running_var`, dims: [c], values: seeded([c], seed + 3).map((v) => v + 1) },
  ];
  return {
    input: { name: 'image', dims: ['N', 3, 8, 8] },
    output: 'probs',
    initializers: [
      { name: 'pads', dims: [8], ints: [0, 0, 1, 1, 0, 0, 1, 1] },
      weight('stem.weight', [4, 3, 3, 3], 1),
      weight('stem.bias', [4], 2),
      ...bn('stem_bn', 4, 3),
      weight('b1.weight', [2, 4, 1, 1], 10),
      weight('b2a.weight', [2, 4, 1, 1], 11),
      weight('b2b.weight', [2, 2, 3, 3], 12),
      weight('b3.weight', [2, 4, 1, 1], 13),
      weight('res.weight', [6, 1, 3, 3], 14),
      weight('fc1.weight', [10, 96], 20),
      weight('fc1.bias', [10], 21),
      weight('fc2.weight', [10, 5], 22),
      weight('fc2.bias', [5], 23),
    ],
    nodes: [
      { op: 'Pad', name: 'pad', inputs: ['image', 'pads'], outputs: ['padded'] },
      {
        op: 'Conv',
        name: '/stem/Conv',
        inputs: ['padded', 'stem.weight', 'stem.bias'],
        outputs: ['s1'],
        attrs: { kernel_shape: [3, 3] },
      },
      {
        op: 'BatchNormalization',
        name: '/stem_bn/BatchNormalization',
        inputs: [
          's1',
          'stem_bn.weight',
          'stem_bn.bias',
          'stem_bn.running_mean',
          'stem_bn.running_var',
        ],
        outputs: ['s2'],
        attrs: { epsilon: 1e-3 },
      },
      { op: 'Relu', inputs: ['s2'], outputs: ['s3'] },
      {
        op: 'Conv',
        name: '/b1/Conv',
        inputs: ['s3', 'b1.weight'],
        outputs: ['c1'],
        attrs: { kernel_shape: [1, 1] },
      },
      {
        op: 'Conv',
        name: '/b2a/Conv',
        inputs: ['s3', 'b2a.weight'],
        outputs: ['c2a'],
        attrs: { kernel_shape: [1, 1] },
      },
      {
        op: 'Conv',
        name: '/b2b/Conv',
        inputs: ['c2a', 'b2b.weight'],
        outputs: ['c2'],
        attrs: { kernel_shape: [3, 3], pads: [1, 1, 1, 1] },
      },
      {
        op: 'MaxPool',
        inputs: ['s3'],
        outputs: ['p3'],
        attrs: { kernel_shape: [3, 3], strides: [1, 1], pads: [1, 1, 1, 1] },
      },
      {
        op: 'Conv',
        name: '/b3/Conv',
        inputs: ['p3', 'b3.weight'],
        outputs: ['c3'],
        attrs: { kernel_shape: [1, 1] },
      },
      {
        op: 'Concat',
        name: '/Concat',
        inputs: ['c1', 'c2', 'c3'],
        outputs: ['cat'],
        attrs: { axis: 1 },
      },
      {
        op: 'Conv',
        name: '/res/Conv',
        inputs: ['cat', 'res.weight'],
        outputs: ['r1'],
        attrs: { kernel_shape: [3, 3], pads: [1, 1, 1, 1], group: 6 },
      },
      { op: 'Add', name: '/Add', inputs: ['r1', 'cat'], outputs: ['sum'] },
      { op: 'LRN', inputs: ['sum'], outputs: ['n1'], attrs: { size: 3, alpha: 2e-4 } },
      {
        op: 'AveragePool',
        inputs: ['n1'],
        outputs: ['a1'],
        attrs: { kernel_shape: [2, 2], strides: [2, 2] },
      },
      { op: 'Flatten', inputs: ['a1'], outputs: ['f1'], attrs: { axis: 1 } },
      {
        op: 'Gemm',
        name: '/fc1/Gemm',
        inputs: ['f1', 'fc1.weight', 'fc1.bias'],
        outputs: ['g1'],
        attrs: { transB: 1 },
      },
      { op: 'LeakyRelu', inputs: ['g1'], outputs: ['l1'], attrs: { alpha: 0.2 } },
      { op: 'MatMul', name: '/fc2/MatMul', inputs: ['l1', 'fc2.weight'], outputs: ['m1'] },
      { op: 'Add', name: '/fc2/Add', inputs: ['m1', 'fc2.bias'], outputs: ['m2'] },
      { op: 'Softmax', inputs: ['m2'], outputs: ['probs'], attrs: { axis: 1 } },
    ],
  };
}
