/**
 * The ONNX form of every IR op (one table, typed so that a missing op is a compile error), on NCHW
 * values (N, C, L for sequences, N, F for vectors) at opset 13. Semantics are those of the checker
 * (compiler/sema/conv-math.ts) and the reference executor: padding is per side, which Conv,
 * ConvTranspose and the pools take as explicit `pads`; a ceil-mode pool becomes a floor-mode pool
 * whose end padding covers the last window (PyTorch's rule that no window starts in the right
 * padding is then kept by construction); average pooling that counts padding in its divisor pads
 * with zeros first (a `Pad` node) so the ceil overhang is never counted; adaptive pools are plain
 * pools where the sizes divide, else separable slices and reductions over PyTorch's bins; LRN of an
 * even size (whose window ONNX's LRN places one channel later) is written out with a banded 1x1
 * convolution; GELU (not an ONNX op before opset 20) is 0.5·x·(1 + erf(x/√2)). What cannot be
 * written is a CNN62xx diagnostic naming the layer.
 */
import { diag, type Diagnostic } from '../../diagnostics/diagnostic.js';
import type { IrNode } from '../../ir/graph.js';
import type { OpKind } from '../../ir/ops.js';
import { convOutputLength, resolveTransposedPadding, type AxisPads } from '../../sema/conv-math.js';
import { SymbolEnv, type Dim } from '../../sema/dim.js';
import type { FlattenOrder } from '../pytorch/weights.js';
import { noPads, windowPads, type WindowSpec } from '../window-pads.js';
import type { AttrValue, GraphBuilder } from './builder.js';

export interface OpContext<K extends OpKind> {
  readonly node: IrNode<K>;
  /** NCHW values of the inputs. */
  readonly inputs: readonly string[];
  /** cnnc's per-sample shapes (channels last) of the inputs and the output. */
  readonly inShapes: readonly (readonly Dim[])[];
  readonly outShape: readonly Dim[];
  readonly b: GraphBuilder;
  /** The value the node's last ONNX node must write (a graph output), if any. */
  readonly out?: string;
  /** The initializer holding the node's weight `name` in ONNX's (PyTorch's) layout. */
  weight(name: string): string;
  /** Flatten nodes: the order chosen by pytorch/weights.ts flattenOrders. */
  readonly flattenOrder?: FlattenOrder;
  report(d: Diagnostic): void;
}

/** The node's NCHW output value; null when it could not be written (reported). */
type OpRule<K extends OpKind> = (ctx: OpContext<K>) => string | null;

const ints = (v: readonly number[]): AttrValue => ({ ints: v });
const int = (v: number): AttrValue => ({ int: v });
const float = (v: number): AttrValue => ({ float: v });

/** Spatial rank of a cnnc shape: 2 for [H, W, C], 1 for [L, C], 0 for a vector. */
const spatialRank = (shape: readonly Dim[]) => shape.length - 1;

/** Permutations between NCHW (NCL) and channels last, by rank of the ONNX value. */
export const TO_LAST: Readonly<Record<number, readonly number[]>> = {
  3: [0, 2, 1],
  4: [0, 2, 3, 1],
};
export const FROM_LAST: Readonly<Record<number, readonly number[]>> = {
  3: [0, 2, 1],
  4: [0, 3, 1, 2],
};

/** ONNX `pads`: every axis's start, then every axis's end. */
const onnxPads = (pads: readonly AxisPads[]) => [
  ...pads.map((p) => p.before),
  ...pads.map((p) => p.after),
];

/** Pad's `pads` input for an NCHW value: none on N and C. */
const padInput = (pads: readonly AxisPads[]) => [
  0,
  0,
  ...pads.map((p) => p.before),
  0,
  0,
  ...pads.map((p) => p.after),
];

function concrete(d: Dim, what: string, node: IrNode): number {
  if (typeof d !== 'number')
    throw new Error(`${node.name}: ${what} ${JSON.stringify(d)} is not concrete`);
  return d;
}

function convAttrs(spec: WindowSpec, pads: readonly AxisPads[], group: number) {
  return {
    kernel_shape: ints(spec.kernel),
    strides: ints(spec.stride),
    dilations: ints(spec.dilation),
    pads: ints(onnxPads(pads)),
    group: int(group),
  };
}

function conv(
  ctx: OpContext<'conv2d' | 'conv1d' | 'depthwise_conv2d'>,
  spec: WindowSpec,
  group: number,
  kernel: string,
): string {
  const pads = windowPads(spec, ctx.inShapes[0]);
  const inputs = [ctx.inputs[0], ctx.weight(kernel)];
  if (ctx.node.attrs.bias) inputs.push(ctx.weight('bias'));
  return ctx.b.node('Conv', ctx.node.name, inputs, convAttrs(spec, pads, group), ctx.out);
}

/**
 * cnnc's transposed convolution crops `before`/`after` rows from the full output
 * (in − 1)·s + d·(k − 1) + 1 and adds `outputPadding` rows at the end (zero plus the bias, where no
 * tap reaches). ONNX's ConvTranspose crops `pads` and adds `output_padding` the same way, so the
 * crop at the end is after − outputPadding; where that is negative, the rows come from
 * output_padding when fewer than the stride (as onnxruntime requires; PyTorch allows up to the dilation), else from e zero rows padded at
 * the end of the input, each adding s rows.
 */
const convTranspose: OpRule<'conv2d_transpose'> = (ctx) => {
  const a = ctx.node.attrs;
  const axes = [0, 1].map((i) => {
    const s = a.stride[i];
    const { before, after } = resolveTransposedPadding(a.padding, i, {
      kernel: a.kernel[i],
      stride: s,
      dilation: a.dilation[i],
    }).value;
    const end = after - a.outputPadding[i];
    if (end >= 0) return { begin: before, end, outPad: 0, e: 0 };
    const add = -end;
    if (add < s) return { begin: before, end: 0, outPad: add, e: 0 };
    const e = Math.ceil(add / s);
    return { begin: before, end: e * s - add, outPad: 0, e };
  });
  let x = ctx.inputs[0];
  if (axes.some((p) => p.e > 0)) {
    const pads = axes.map((p) => ({ before: 0, after: p.e }));
    x = ctx.b.node('Pad', `${ctx.node.name}/pad`, [x, ctx.b.int64Const('pads', padInput(pads))]);
  }
  const inputs = [x, ctx.weight('kernel')];
  if (a.bias) inputs.push(ctx.weight('bias'));
  return ctx.b.node(
    'ConvTranspose',
    ctx.node.name,
    inputs,
    {
      kernel_shape: ints(a.kernel),
      strides: ints(a.stride),
      dilations: ints(a.dilation),
      pads: ints([...axes.map((p) => p.begin), ...axes.map((p) => p.end)]),
      output_padding: axes.some((p) => p.outPad) ? ints(axes.map((p) => p.outPad)) : undefined,
      group: int(a.groups),
    },
    ctx.out,
  );
};

/**
 * Max and average pools. Per axis: the explicit pads, and the overhang the ceil mode adds past the
 * end padding (out − 1)·s + k − (in + pb + pe), read as more end padding of a floor-mode pool.
 * Max pooling ignores padding whatever its size; average pooling excludes the overhang by
 * `count_include_pad = 0` after padding with real zeros where the padding counts. Pads of a
 * kernel's size or more (which onnxruntime refuses) go to a Pad node, −∞ for max pooling.
 */
function pool(kind: 'MaxPool' | 'AveragePool'): OpRule<'max_pool' | 'avg_pool'> {
  return (ctx) => {
    const a = ctx.node.attrs;
    const input = ctx.inShapes[0];
    const spec = { ...a, dilation: a.kernel.map(() => 1) };
    const pads = windowPads(spec, input);
    const env = new SymbolEnv();
    const overhang = a.kernel.map((k, i) => {
      if (!a.ceil) return 0;
      const w = { kernel: k, stride: a.stride[i], dilation: 1 };
      const ceil = convOutputLength(input[i], w, pads[i], env, true).value;
      const floor = convOutputLength(input[i], w, pads[i], env, false).value;
      if (typeof ceil === 'number' && typeof floor === 'number' && typeof input[i] === 'number')
        return Math.max(
          (ceil - 1) * a.stride[i] + k - (input[i] + pads[i].before + pads[i].after),
          0,
        );
      // A symbolic size: the residues fix the counts (conv-math.ts); one more window or none.
      return JSON.stringify(ceil) === JSON.stringify(floor) ? 0 : -1;
    });
    if (overhang.some((o) => o < 0)) {
      ctx.report(
        diag(
          'CNN6202',
          `${ctx.node.name}: a ceil-mode pool over a symbolic input size has no ONNX form`,
          {
            span: ctx.node.span,
            spanLabel: 'its last window depends on the input size',
            notes: [
              "ONNX's ceil mode may start a last window in the padding, which PyTorch's and cnnc's never do; cnnc writes explicit pads instead, which need a fixed size",
            ],
            help: 'give the model a fixed input size, or drop `ceil`',
          },
        ),
      );
      return null;
    }
    const countPads = kind === 'AveragePool' && a.countIncludePad;
    // Padding as real values (a Pad node) when it counts in the divisor or is too wide for ONNX.
    const tooWide = pads.some(
      (p, i) => p.before >= a.kernel[i] || p.after + overhang[i] >= a.kernel[i],
    );
    const padFirst = !noPads(pads) && (tooWide || (countPads && overhang.some((o) => o > 0)));
    let x = ctx.inputs[0];
    let attrPads = pads.map((p, i) => ({ before: p.before, after: p.after + overhang[i] }));
    if (padFirst) {
      const value = kind === 'MaxPool' ? [ctx.b.floatScalar('neg_inf', -Infinity)] : [];
      x = ctx.b.node('Pad', `${ctx.node.name}/pad`, [
        x,
        ctx.b.int64Const('pads', padInput(pads)),
        ...value,
      ]);
      attrPads = overhang.map((o) => ({ before: 0, after: o }));
    }
    const include = countPads && !padFirst;
    return ctx.b.node(
      kind,
      ctx.node.name,
      [x],
      {
        kernel_shape: ints(a.kernel),
        strides: ints(a.stride),
        pads: ints(onnxPads(attrPads)),
        count_include_pad: kind === 'AveragePool' && include ? int(1) : undefined,
      },
      ctx.out,
    );
  };
}

function globalPool(
  kind: 'GlobalAveragePool' | 'GlobalMaxPool',
): OpRule<'global_avg_pool' | 'global_max_pool'> {
  return (ctx) => {
    if (ctx.node.attrs.keepDims)
      return ctx.b.node(kind, ctx.node.name, [ctx.inputs[0]], {}, ctx.out);
    const pooled = ctx.b.node(kind, ctx.node.name, [ctx.inputs[0]]);
    return ctx.b.node('Flatten', `${ctx.node.name}/flatten`, [pooled], { axis: int(1) }, ctx.out);
  };
}

/**
 * Adaptive pools: to 1x1, the global pool (as torch exports it, and for any input size); a plain
 * pool (kernel = stride = in / out) where every size divides; else,
 * separably (the mean or maximum over a rectangle is that over its rows of that over its
 * columns), each output position along an axis a Slice of PyTorch's bin
 * [floor(i·in / out), ceil((i + 1)·in / out)) reduced, and the positions concatenated.
 */
function adaptivePool(kind: 'avg' | 'max'): OpRule<'adaptive_avg_pool' | 'adaptive_max_pool'> {
  return (ctx) => {
    const out = ctx.node.attrs.output;
    const input = ctx.inShapes[0];
    if (out.every((d) => d === 1)) {
      const op = kind === 'avg' ? 'GlobalAveragePool' : 'GlobalMaxPool';
      return ctx.b.node(op, ctx.node.name, [ctx.inputs[0]], {}, ctx.out);
    }
    const sizes = out.map((_, i) => input[i]);
    if (!sizes.every((d): d is number => typeof d === 'number')) {
      ctx.report(
        diag(
          'CNN6201',
          `${ctx.node.name}: an adaptive pool over a symbolic input size has no ONNX form`,
          {
            span: ctx.node.span,
            spanLabel: `its input is ${input.map((d) => (typeof d === 'number' ? d : '?')).join('x')}`,
            notes: [
              'its bins depend on the input size, which ONNX pools fix when the model is written',
            ],
            help: 'give the model a fixed input size, or use a global pool',
          },
        ),
      );
      return null;
    }
    const op = kind === 'avg' ? 'AveragePool' : 'MaxPool';
    if (sizes.every((d, i) => d % out[i] === 0)) {
      const k = sizes.map((d, i) => d / out[i]);
      return ctx.b.node(
        op,
        ctx.node.name,
        [ctx.inputs[0]],
        { kernel_shape: ints(k), strides: ints(k) },
        ctx.out,
      );
    }
    const reduce = kind === 'avg' ? 'ReduceMean' : 'ReduceMax';
    let x = ctx.inputs[0];
    const axes = sizes.map((_, i) => i).filter((i) => sizes[i] !== out[i]);
    axes.forEach((i, n) => {
      const axis = i + 2;
      const parts: string[] = [];
      for (let j = 0; j < out[i]; j++) {
        const start = Math.floor((j * sizes[i]) / out[i]);
        const end = Math.ceil(((j + 1) * sizes[i]) / out[i]);
        const tag = `${ctx.node.name}/axis${i}.bin${j}`;
        const slice = ctx.b.node('Slice', `${tag}.slice`, [
          x,
          ctx.b.int64Const('starts', [start]),
          ctx.b.int64Const('ends', [end]),
          ctx.b.int64Const('axes', [axis]),
        ]);
        parts.push(ctx.b.node(reduce, tag, [slice], { axes: ints([axis]), keepdims: int(1) }));
      }
      const last = n === axes.length - 1;
      x = ctx.b.node(
        'Concat',
        last ? ctx.node.name : `${ctx.node.name}/axis${i}`,
        parts,
        { axis: int(axis) },
        last ? ctx.out : undefined,
      );
    });
    return x;
  };
}

/** The band of channels PyTorch's LRN sums over for channel c: [c − ⌊n/2⌋, c + ⌊(n − 1)/2⌋]. */
function lrnBand(c: number, size: number): Float32Array {
  const w = new Float32Array(c * c);
  for (let o = 0; o < c; o++)
    for (let j = o - Math.floor(size / 2); j <= o + Math.floor((size - 1) / 2); j++)
      if (j >= 0 && j < c) w[o * c + j] = 1;
  return w;
}

const lrn: OpRule<'lrn'> = (ctx) => {
  const a = ctx.node.attrs;
  const shape = ctx.inShapes[0];
  const vector = shape.length === 1;
  const name = ctx.node.name;
  if (a.size % 2 === 1) {
    // ONNX's LRN sums over [c − ⌊(n − 1)/2⌋, c + ⌈(n − 1)/2⌉]: PyTorch's band for an odd n.
    const attrs = {
      size: int(a.size),
      alpha: float(a.alpha),
      beta: float(a.beta),
      bias: float(a.k),
    };
    // onnxruntime's LRN takes NCHW only: a sequence or a vector gets size-1 axes around it.
    const rank = shape.length + 1;
    if (rank === 4) return ctx.b.node('LRN', name, [ctx.inputs[0]], attrs, ctx.out);
    const axes = ctx.b.int64Const('axes', rank === 3 ? [3] : [2, 3]);
    const x4 = ctx.b.node('Unsqueeze', `${name}/unsqueeze`, [ctx.inputs[0], axes]);
    const y4 = ctx.b.node('LRN', name, [x4], attrs);
    return ctx.b.node('Squeeze', `${name}/squeeze`, [y4, axes], {}, ctx.out);
  }
  // An even n: the window sum as a banded 1x1 convolution (a MatMul for vectors) of x².
  const c = concrete(shape[shape.length - 1], 'channel count', ctx.node);
  const band = lrnBand(c, a.size);
  const sq = ctx.b.node('Mul', `${name}/square`, [ctx.inputs[0], ctx.inputs[0]]);
  let sum: string;
  if (vector) {
    // MatMul(sq [N, C], bandᵀ [C, C]): bandᵀ[j, o] = band[o, j].
    const t = new Float32Array(c * c);
    for (let o = 0; o < c; o++) for (let j = 0; j < c; j++) t[j * c + o] = band[o * c + j];
    sum = ctx.b.node('MatMul', `${name}/window_sum`, [
      sq,
      ctx.b.floatTensor(`${name}.band`, [c, c], t),
    ]);
  } else {
    const dims = [c, c, ...Array(spatialRank(shape)).fill(1)];
    sum = ctx.b.node('Conv', `${name}/window_sum`, [
      sq,
      ctx.b.floatTensor(`${name}.band`, dims, band),
    ]);
  }
  const scaled = ctx.b.node('Mul', `${name}/scale`, [
    sum,
    ctx.b.floatScalar('alpha', a.alpha / a.size),
  ]);
  const base = ctx.b.node('Add', `${name}/add_k`, [scaled, ctx.b.floatScalar('k', a.k)]);
  const div = ctx.b.node('Pow', `${name}/pow`, [base, ctx.b.floatScalar('beta', a.beta)]);
  return ctx.b.node('Div', name, [ctx.inputs[0], div], {}, ctx.out);
};

const activation: OpRule<'activation'> = (ctx) => {
  const { fn, alpha } = ctx.node.attrs;
  const [x] = ctx.inputs;
  const name = ctx.node.name;
  const one = (op: string, attrs: Readonly<Record<string, AttrValue>> = {}) =>
    ctx.b.node(op, name, [x], attrs, ctx.out);
  switch (fn) {
    case 'linear':
      return x;
    case 'relu':
      return one('Relu');
    case 'relu6':
      return ctx.b.node(
        'Clip',
        name,
        [x, ctx.b.floatScalar('zero', 0), ctx.b.floatScalar('six', 6)],
        {},
        ctx.out,
      );
    case 'leaky_relu':
      return one('LeakyRelu', { alpha: float(alpha ?? 0.01) });
    case 'elu':
      return one('Elu', { alpha: float(alpha ?? 1) });
    case 'tanh':
      return one('Tanh');
    case 'sigmoid':
      return one('Sigmoid');
    case 'softmax':
      // Over the channels (axis 1 of NCHW, of NCL and of a vector [N, F]).
      return one('Softmax', { axis: int(1) });
    case 'gelu': {
      const scaled = ctx.b.node('Div', `${name}/div_sqrt2`, [
        x,
        ctx.b.floatScalar('sqrt2', Math.SQRT2),
      ]);
      const erf = ctx.b.node('Erf', `${name}/erf`, [scaled]);
      const plus = ctx.b.node('Add', `${name}/add_one`, [erf, ctx.b.floatScalar('one', 1)]);
      const times = ctx.b.node('Mul', `${name}/mul_x`, [x, plus]);
      return ctx.b.node('Mul', name, [times, ctx.b.floatScalar('half', 0.5)], {}, ctx.out);
    }
  }
};

/**
 * The inputs of an element-wise merge, those of lower rank than its output given the missing
 * spatial axes after the channels (`Unsqueeze` of [N, C] to [N, C, 1, 1]), so that ONNX's
 * trailing-axis broadcasting aligns them at the channels as cnnc does.
 */
function broadcastInputs(ctx: OpContext<'add' | 'multiply' | 'highway'>): string[] {
  const rank = ctx.outShape.length;
  return ctx.inputs.map((v, i) => {
    const missing = rank - ctx.inShapes[i].length;
    if (missing <= 0) return v;
    // cnnc's missing leading (channels-last) axes are NCHW's first spatial axes, after N and C.
    const axes = Array.from({ length: missing }, (_, k) => 2 + k);
    return ctx.b.node('Unsqueeze', `${ctx.node.name}/unsqueeze`, [
      v,
      ctx.b.int64Const('axes', axes),
    ]);
  });
}

/** Add, Mul: a chain of binary nodes; one input: Identity. */
function merge(op: 'Add' | 'Mul'): OpRule<'add' | 'multiply'> {
  return (ctx) => {
    const [first, ...rest] = broadcastInputs(ctx);
    if (rest.length === 0) return ctx.b.node('Identity', ctx.node.name, [first], {}, ctx.out);
    let acc = first;
    rest.forEach((x, i) => {
      const last = i === rest.length - 1;
      acc = ctx.b.node(
        op,
        last ? ctx.node.name : `${ctx.node.name}/${i + 1}`,
        [acc, x],
        {},
        last ? ctx.out : undefined,
      );
    });
    return acc;
  };
}

export const OP_RULES: { readonly [K in OpKind]: OpRule<K> } = {
  input: (ctx) => ctx.inputs[0],
  conv2d: (ctx) => conv(ctx, ctx.node.attrs, ctx.node.attrs.groups, 'kernel'),
  conv1d: (ctx) => conv(ctx, ctx.node.attrs, ctx.node.attrs.groups, 'kernel'),
  depthwise_conv2d: (ctx) => {
    const c = concrete(ctx.inShapes[0][2], 'channel count', ctx.node);
    return conv(ctx, ctx.node.attrs, c, 'depthwise_kernel');
  },
  conv2d_transpose: convTranspose,
  max_pool: pool('MaxPool'),
  avg_pool: pool('AveragePool'),
  global_max_pool: globalPool('GlobalMaxPool'),
  global_avg_pool: globalPool('GlobalAveragePool'),
  adaptive_max_pool: adaptivePool('max'),
  adaptive_avg_pool: adaptivePool('avg'),
  dense: (ctx) => {
    const inputs = [ctx.inputs[0], ctx.weight('kernel')];
    if (ctx.node.attrs.bias) inputs.push(ctx.weight('bias'));
    return ctx.b.node('Gemm', ctx.node.name, inputs, { transB: int(1) }, ctx.out);
  },
  flatten: (ctx) => {
    const rank = ctx.inShapes[0].length;
    if (rank === 1) return ctx.inputs[0];
    let x = ctx.inputs[0];
    // PyTorch's C·H·W order where the dense layers it feeds are reordered, else cnnc's H·W·C.
    if (ctx.flattenOrder !== 'chw')
      x = ctx.b.node('Transpose', `${ctx.node.name}/to_nhwc`, [x], {
        perm: ints(TO_LAST[rank + 1]),
      });
    return ctx.b.node('Flatten', ctx.node.name, [x], { axis: int(1) }, ctx.out);
  },
  reshape: (ctx) => {
    // cnnc reshapes in its channels-last order: to channels last, reshape, back to channels first.
    const from = ctx.inShapes[0].length + 1;
    const to = ctx.outShape.map((d) => concrete(d, 'reshape size', ctx.node));
    const name = ctx.node.name;
    let x = ctx.inputs[0];
    if (TO_LAST[from])
      x = ctx.b.node('Transpose', `${name}/to_nhwc`, [x], { perm: ints(TO_LAST[from]) });
    const back = FROM_LAST[to.length + 1];
    const shape = ctx.b.int64Const('shape', [0, ...to]);
    x = ctx.b.node('Reshape', name, [x, shape], {}, back ? undefined : ctx.out);
    if (back) x = ctx.b.node('Transpose', `${name}/to_nchw`, [x], { perm: ints(back) }, ctx.out);
    return x;
  },
  zero_pad: (ctx) => {
    const p = ctx.node.attrs.pads;
    const pads = Array.from({ length: p.length / 2 }, (_, i) => ({
      before: p[2 * i],
      after: p[2 * i + 1],
    }));
    return ctx.b.node(
      'Pad',
      ctx.node.name,
      [ctx.inputs[0], ctx.b.int64Const('pads', padInput(pads))],
      {},
      ctx.out,
    );
  },
  upsample: (ctx) => {
    const a = ctx.node.attrs;
    const name = ctx.node.name;
    const b = ctx.b;
    // A factor is Resize's `scales`; a target size its `sizes`, N and C read from the input's shape.
    let inputs: string[];
    if (a.scale) {
      const scales = b.floatTensor(`${name}.scales`, [4], Float32Array.of(1, 1, ...a.scale));
      inputs = [ctx.inputs[0], '', scales];
    } else {
      const shape = b.node('Shape', `${name}/shape`, [ctx.inputs[0]]);
      const nc = b.node('Slice', `${name}/batch_channels`, [
        shape,
        b.int64Const('starts', [0]),
        b.int64Const('ends', [2]),
      ]);
      const hw = b.int64Const(`${name}.size`, [...(a.size ?? [])]);
      const sizes = b.node('Concat', `${name}/sizes`, [nc, hw], { axis: int(0) });
      inputs = [ctx.inputs[0], '', '', sizes];
    }
    // PyTorch's legacy nearest is asymmetric with floor; bilinear without align_corners half-pixel.
    const attrs: Record<string, AttrValue> =
      a.mode === 'nearest'
        ? {
            mode: { string: 'nearest' },
            coordinate_transformation_mode: { string: 'asymmetric' },
            nearest_mode: { string: 'floor' },
          }
        : { mode: { string: 'linear' }, coordinate_transformation_mode: { string: 'half_pixel' } };
    return b.node('Resize', name, inputs, attrs, ctx.out);
  },
  dropout: (ctx) =>
    // Identity at inference (training_mode defaults to false); the rate is kept for readers.
    ctx.b.node(
      'Dropout',
      ctx.node.name,
      [ctx.inputs[0], ctx.b.floatScalar(`${ctx.node.name}.ratio`, ctx.node.attrs.rate)],
      {},
      ctx.out,
    ),
  batch_norm: (ctx) => {
    const a = ctx.node.attrs;
    const c = concrete(ctx.inShapes[0][ctx.inShapes[0].length - 1], 'channel count', ctx.node);
    const scale = a.affine
      ? ctx.weight('gamma')
      : ctx.b.floatTensor(`${ctx.node.name}.weight`, [c], new Float32Array(c).fill(1));
    const shift = a.affine
      ? ctx.weight('beta')
      : ctx.b.floatTensor(`${ctx.node.name}.bias`, [c], new Float32Array(c));
    return ctx.b.node(
      'BatchNormalization',
      ctx.node.name,
      [ctx.inputs[0], scale, shift, ctx.weight('moving_mean'), ctx.weight('moving_variance')],
      // ONNX's momentum weighs the running value, PyTorch's (cnnc's) the batch's.
      { epsilon: float(a.epsilon), momentum: float(1 - a.momentum) },
      ctx.out,
    );
  },
  lrn,
  activation,
  add: merge('Add'),
  multiply: merge('Mul'),
  // t·h + (1 − t)·x, as x + t·(h − x) (the PyTorch generator's form).
  highway: (ctx) => {
    const [x, h, t] = broadcastInputs(ctx);
    const name = ctx.node.name;
    const diff = ctx.b.node('Sub', `${name}/sub`, [h, x]);
    const gated = ctx.b.node('Mul', `${name}/mul`, [t, diff]);
    return ctx.b.node('Add', name, [x, gated], {}, ctx.out);
  },
  // The head is the identity: the raw grid, NCHW [N, channels, S, S]; decoding reads it.
  yolo: (ctx) => ctx.b.node('Identity', ctx.node.name, [ctx.inputs[0]], {}, ctx.out),
  concat: (ctx) =>
    ctx.inputs.length === 1
      ? ctx.b.node('Identity', ctx.node.name, ctx.inputs, {}, ctx.out)
      : ctx.b.node('Concat', ctx.node.name, ctx.inputs, { axis: int(1) }, ctx.out),
};
