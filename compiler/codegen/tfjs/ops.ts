/**
 * The TensorFlow.js layer of every IR op (one table, typed so that a missing op is a compile
 * error): a tfjs-layers layer where it computes exactly what cnnc computes, forward and backward,
 * else one of the custom layers of the emitted layers.ts (custom-layers.ts).
 *
 * cnnc's `same` is TensorFlow's (out = ceil(in / s), the odd extra row at the bottom/right), so a
 * convolution or max pool with `same` padding, or with explicit pads equal to what `same` gives,
 * is tfjs's `padding: 'same'`; no padding is `'valid'`. What tfjs-layers lacks becomes a custom
 * layer: other per-side pads, groups, dilation (tfjs computes no gradient of a dilated
 * convolution, so the kernel is dilated explicitly), PyTorch's transposed-convolution crop and
 * output padding, ceil mode, average pools that count padding (tfjs's `same` does not), adaptive
 * pools, global pools that keep their axes, 1-D zero padding, LRN with PyTorch's formula, ELU with
 * an alpha other than 1, and batch norms without scale and shift or frozen (tfjs's own cannot train
 * without gamma, and keeps using batch statistics when frozen; cnnc's frozen batch norm uses its
 * moving statistics, as Keras 2's does).
 */
import type { IrNode } from '../../ir/graph.js';
import type { OpKind, Padding, PoolAttrs } from '../../ir/ops.js';
import {
  convOutputLength,
  resolvePadding,
  resolveTransposedPadding,
  type AxisPads,
} from '../../sema/conv-math.js';
import { dimEquals, SymbolEnv, type Dim } from '../../sema/dim.js';
import { tsNumber, tsString } from '../ts-text.js';
import type { CustomLayer } from './custom-layers.js';

/** One entry of a layer's config object: key and TypeScript value text. */
export type ConfigEntry = readonly [string, string];

export interface LayerForm {
  /** `tf.layers.conv2d`, or the class name of a custom layer (`new PaddedConv(…)`). */
  readonly factory: string;
  /** The custom layer class, when the factory is one. */
  readonly custom?: CustomLayer;
  readonly config: readonly ConfigEntry[];
}

export interface OpContext<K extends OpKind> {
  readonly node: IrNode<K>;
  readonly inShapes: readonly (readonly Dim[])[];
}

type OpRule<K extends OpKind> = (ctx: OpContext<K>) => LayerForm;

const num = tsNumber;
const list = (xs: readonly number[]): string => `[${xs.map(num).join(', ')}]`;
/** `5` for [5, 5], `[5, 3]` otherwise (tfjs takes either). */
const size = (xs: readonly number[]): string =>
  xs.every((x) => x === xs[0]) ? num(xs[0]) : list(xs);
const str = tsString;
const bool = (b: boolean): string => (b ? 'true' : 'false');

/** tfjs-layers' convolutions and pools pad 'valid' by default. */
const paddingEntry = (mode: 'valid' | 'same'): ConfigEntry[] =>
  mode === 'valid' ? [] : [['padding', str(mode)]];

/** tfjs-layers' layers have a bias by default. */
const noBias = (bias: boolean): ConfigEntry[] => (bias ? [] : [['useBias', 'false']]);

const tfLayer = (fn: string, config: readonly ConfigEntry[]): LayerForm => ({
  factory: `tf.layers.${fn}`,
  config,
});
const custom = (cls: CustomLayer, config: readonly ConfigEntry[]): LayerForm => ({
  factory: cls,
  custom: cls,
  config,
});

interface Window {
  readonly kernel: readonly number[];
  readonly stride: readonly number[];
  readonly dilation: readonly number[];
  readonly padding: Padding;
}

const env = new SymbolEnv();
const ones = (xs: readonly number[]) => xs.every((x) => x === 1);

/** Per-side pads along each spatial axis; null when they depend on a symbolic input size. */
function windowPads(w: Window, input: readonly Dim[]): AxisPads[] | null {
  if (w.padding.mode === 'same' && w.kernel.some((_, i) => typeof input[i] !== 'number'))
    return null;
  return w.kernel.map(
    (k, i) =>
      resolvePadding(
        w.padding,
        i,
        input[i],
        { kernel: k, stride: w.stride[i], dilation: w.dilation[i] },
        env,
      ).value,
  );
}

/**
 * The pads TF `same` gives along each axis; null when they depend on a symbolic size (at stride 1
 * they never do: effK − 1, the odd one at the end).
 */
function samePads(w: Window, input: readonly Dim[]): AxisPads[] | null {
  const known = windowPads({ ...w, padding: { mode: 'same' } }, input);
  if (known !== null || !ones(w.stride)) return known;
  return w.kernel.map((k, i) => {
    const total = w.dilation[i] * (k - 1);
    return { before: Math.floor(total / 2), after: total - Math.floor(total / 2) };
  });
}

const zero = (pads: readonly AxisPads[]) => pads.every((p) => p.before === 0 && p.after === 0);
const equal = (a: readonly AxisPads[], b: readonly AxisPads[]) =>
  a.every((p, i) => p.before === b[i].before && p.after === b[i].after);

/** tfjs's padding mode computing cnnc's pads exactly, or null when it has none. */
function tfjsPadding(w: Window, input: readonly Dim[]): 'valid' | 'same' | null {
  if (w.padding.mode === 'same') return 'same';
  const pads = windowPads(w, input)!;
  if (zero(pads)) return 'valid';
  const same = samePads(w, input);
  return same && equal(pads, same) ? 'same' : null;
}

/** A custom layer's `padding`: 'same' (resolved at run time, TF's rule) or per-side pads. */
function customPadding(w: Window, input: readonly Dim[]): string {
  const pads = windowPads(w, input);
  if (pads === null) return str('same');
  return `[${pads.map((p) => list([p.before, p.after])).join(', ')}]`;
}

function conv(ctx: OpContext<'conv2d' | 'conv1d'>): LayerForm {
  const a = ctx.node.attrs;
  const input = ctx.inShapes[0];
  const mode = a.groups === 1 && ones(a.dilation) ? tfjsPadding(a, input) : null;
  const common: ConfigEntry[] = [['filters', num(a.filters)]];
  if (mode !== null) {
    return tfLayer(a.kernel.length === 2 ? 'conv2d' : 'conv1d', [
      ...common,
      ['kernelSize', size(a.kernel)],
      ...(ones(a.stride) ? [] : ([['strides', size(a.stride)]] as ConfigEntry[])),
      ...paddingEntry(mode),
      ...noBias(a.bias),
    ]);
  }
  return custom('PaddedConv', [
    ...common,
    ['kernelSize', list(a.kernel)],
    ['strides', list(a.stride)],
    ['dilationRate', list(a.dilation)],
    ['padding', customPadding(a, input)],
    ['groups', num(a.groups)],
    ['useBias', bool(a.bias)],
  ]);
}

const depthwise: OpRule<'depthwise_conv2d'> = (ctx) => {
  const a = ctx.node.attrs;
  const input = ctx.inShapes[0];
  const mode = ones(a.dilation) ? tfjsPadding(a, input) : null;
  if (mode !== null)
    return tfLayer('depthwiseConv2d', [
      ['kernelSize', size(a.kernel)],
      ['depthMultiplier', num(a.multiplier)],
      ...(ones(a.stride) ? [] : ([['strides', size(a.stride)]] as ConfigEntry[])),
      ...paddingEntry(mode),
      ...noBias(a.bias),
    ]);
  return custom('PaddedDepthwiseConv2D', [
    ['kernelSize', list(a.kernel)],
    ['depthMultiplier', num(a.multiplier)],
    ['strides', list(a.stride)],
    ['dilationRate', list(a.dilation)],
    ['padding', customPadding(a, input)],
    ['useBias', bool(a.bias)],
  ]);
};

/**
 * tfjs's Conv2DTranspose gives out = in·s (`same`, cropping as a `same` convolution's pads) or
 * in·s + max(k − s, 0) (`valid`), which are cnnc's sizes and rows when there are no groups,
 * dilation or output padding, and (for `valid`) the kernel is at least the stride.
 */
const convTranspose: OpRule<'conv2d_transpose'> = (ctx) => {
  const a = ctx.node.attrs;
  const pads = [0, 1].map(
    (i) =>
      resolveTransposedPadding(a.padding, i, {
        kernel: a.kernel[i],
        stride: a.stride[i],
        dilation: a.dilation[i],
      }).value,
  );
  const same = [0, 1].map(
    (i) =>
      resolveTransposedPadding({ mode: 'same' }, i, {
        kernel: a.kernel[i],
        stride: a.stride[i],
        dilation: 1,
      }).value,
  );
  const plain = a.groups === 1 && ones(a.dilation) && a.outputPadding.every((p) => p === 0);
  const mode = !plain
    ? null
    : equal(pads, same)
      ? 'same'
      : zero(pads) && a.kernel.every((k, i) => k >= a.stride[i])
        ? 'valid'
        : null;
  if (mode !== null)
    return tfLayer('conv2dTranspose', [
      ['filters', num(a.filters)],
      ['kernelSize', size(a.kernel)],
      ...(ones(a.stride) ? [] : ([['strides', size(a.stride)]] as ConfigEntry[])),
      ...paddingEntry(mode),
      ...noBias(a.bias),
    ]);
  return custom('CroppedConv2DTranspose', [
    ['filters', num(a.filters)],
    ['kernelSize', list(a.kernel)],
    ['strides', list(a.stride)],
    ['dilationRate', list(a.dilation)],
    ['cropping', `[${pads.map((p) => list([p.before, p.after])).join(', ')}]`],
    ['outputPadding', list(a.outputPadding)],
    ['groups', num(a.groups)],
    ['useBias', bool(a.bias)],
  ]);
};

/** Ceil mode changes nothing when it gives the floor mode's size (concrete sizes only). */
function ceilMatters(a: PoolAttrs, input: readonly Dim[], pads: readonly AxisPads[]): boolean {
  if (!a.ceil) return false;
  return a.kernel.some((k, i) => {
    const w = { kernel: k, stride: a.stride[i], dilation: 1 };
    if (typeof input[i] !== 'number') return true;
    const ceil = convOutputLength(input[i], w, pads[i], env, true).value;
    const floor = convOutputLength(input[i], w, pads[i], env, false).value;
    return !dimEquals(ceil, floor);
  });
}

function pool(kind: 'max' | 'avg'): OpRule<'max_pool' | 'avg_pool'> {
  return (ctx) => {
    const a = ctx.node.attrs;
    const input = ctx.inShapes[0];
    const w: Window = { ...a, dilation: a.kernel.map(() => 1) };
    const pads = windowPads(w, input);
    let mode = pads === null || !ceilMatters(a, input, pads) ? tfjsPadding(w, input) : null;
    // tfjs's average over `same` padding divides by the real positions only.
    if (mode === 'same' && kind === 'avg' && a.countIncludePad && (pads === null || !zero(pads)))
      mode = null;
    if (mode === 'same' && pads !== null && zero(pads)) mode = 'valid';
    const rank = a.kernel.length;
    if (mode !== null)
      return tfLayer(`${kind === 'max' ? 'maxPooling' : 'averagePooling'}${rank}d`, [
        ['poolSize', rank === 1 ? num(a.kernel[0]) : size(a.kernel)],
        // tfjs's strides default to the pool size.
        ...(a.stride.every((s, i) => s === a.kernel[i])
          ? []
          : ([['strides', rank === 1 ? num(a.stride[0]) : size(a.stride)]] as ConfigEntry[])),
        ...paddingEntry(mode),
      ]);
    return custom('PaddedPooling', [
      ['mode', str(kind)],
      ['poolSize', list(a.kernel)],
      ['strides', list(a.stride)],
      ['padding', customPadding(w, input)],
      ['ceilMode', bool(a.ceil)],
      ...(kind === 'avg' ? ([['countIncludePad', bool(a.countIncludePad)]] as ConfigEntry[]) : []),
    ]);
  };
}

function globalPool(kind: 'max' | 'avg'): OpRule<'global_max_pool' | 'global_avg_pool'> {
  return (ctx) => {
    const rank = ctx.inShapes[0].length - 1;
    if (!ctx.node.attrs.keepDims)
      return tfLayer(`global${kind === 'max' ? 'Max' : 'Average'}Pooling${rank}d`, []);
    return custom('GlobalPooling', [
      ['mode', str(kind)],
      ['keepDims', 'true'],
    ]);
  };
}

function adaptivePool(kind: 'max' | 'avg'): OpRule<'adaptive_max_pool' | 'adaptive_avg_pool'> {
  return (ctx) =>
    custom('AdaptivePooling', [
      ['mode', str(kind)],
      ['outputSize', list(ctx.node.attrs.output)],
    ]);
}

/** tf.layers.activation's names for cnnc's activations (elu only with alpha 1). */
const ACTIVATIONS: Readonly<Record<string, string>> = {
  relu: 'relu',
  relu6: 'relu6',
  tanh: 'tanh',
  sigmoid: 'sigmoid',
  softmax: 'softmax',
  linear: 'linear',
  gelu: 'gelu',
  elu: 'elu',
};

const activation: OpRule<'activation'> = (ctx) => {
  const { fn, alpha } = ctx.node.attrs;
  if (fn === 'leaky_relu') return tfLayer('leakyReLU', [['alpha', num(alpha ?? 0.01)]]);
  if (fn === 'elu' && (alpha ?? 1) !== 1) return custom('ELUWithAlpha', [['alpha', num(alpha!)]]);
  return tfLayer('activation', [['activation', str(ACTIVATIONS[fn])]]);
};

/**
 * tfjs's merge layers take two inputs or more; a merge of one branch is that branch, an identity
 * (a linear activation).
 */
function merge(
  ctx: OpContext<'add' | 'multiply' | 'concat'>,
  fn: string,
  config: readonly ConfigEntry[],
): LayerForm {
  if (ctx.inShapes.length === 1) return tfLayer('activation', [['activation', str('linear')]]);
  return tfLayer(fn, config);
}

export const OP_RULES: { readonly [K in OpKind]: OpRule<K> } = {
  input: () => {
    throw new Error('the input is tf.input / tf.layers.inputLayer, not a layer rule');
  },
  // The head's raw grid is the model output (an identity); decoding lives outside the network.
  yolo: () => tfLayer('activation', [['activation', str('linear')]]),
  conv2d: conv,
  conv1d: conv,
  depthwise_conv2d: depthwise,
  conv2d_transpose: convTranspose,
  max_pool: pool('max'),
  avg_pool: pool('avg'),
  global_max_pool: globalPool('max'),
  global_avg_pool: globalPool('avg'),
  adaptive_max_pool: adaptivePool('max'),
  adaptive_avg_pool: adaptivePool('avg'),
  dense: (ctx) =>
    tfLayer('dense', [['units', num(ctx.node.attrs.units)], ...noBias(ctx.node.attrs.bias)]),
  flatten: () => tfLayer('flatten', []),
  reshape: (ctx) => tfLayer('reshape', [['targetShape', list(ctx.node.attrs.shape)]]),
  zero_pad: (ctx) => {
    const p = ctx.node.attrs.pads;
    if (p.length === 2) return custom('ZeroPadding1D', [['padding', list(p)]]);
    return tfLayer('zeroPadding2d', [
      ['padding', `[${list([p[0], p[1]])}, ${list([p[2], p[3]])}]`],
    ]);
  },
  upsample: (ctx) => {
    const a = ctx.node.attrs;
    return custom('Upsample', [
      ['mode', str(a.mode)],
      a.size ? ['size', list(a.size)] : ['scale', list(a.scale ?? [1, 1])],
    ]);
  },
  dropout: (ctx) => tfLayer('dropout', [['rate', num(ctx.node.attrs.rate)]]),
  batch_norm: (ctx) => {
    const a = ctx.node.attrs;
    if (a.affine && !ctx.node.frozen)
      return tfLayer('batchNormalization', [
        ['axis', '-1'],
        // tfjs's momentum is the moving statistics' decay: 1 − PyTorch's.
        ['momentum', num(1 - a.momentum)],
        ['epsilon', num(a.epsilon)],
      ]);
    return custom('TorchBatchNorm', [
      ['momentum', num(a.momentum)],
      ['epsilon', num(a.epsilon)],
      ['affine', bool(a.affine)],
    ]);
  },
  lrn: (ctx) => {
    const a = ctx.node.attrs;
    return custom('LocalResponseNorm', [
      ['size', num(a.size)],
      ['alpha', num(a.alpha)],
      ['beta', num(a.beta)],
      ['k', num(a.k)],
    ]);
  },
  activation,
  add: (ctx) => merge(ctx, 'add', []),
  multiply: (ctx) => merge(ctx, 'multiply', []),
  concat: (ctx) => merge(ctx, 'concatenate', [['axis', '-1']]),
  highway: () => custom('Highway', []),
};
