/**
 * Weights and multiply-accumulates of every IR op, as tables of pure functions:
 * `weightRules[op](attrs, inputShapes, outputShape)` and `macRules[op](attrs, inputShapes, outputShape)`.
 * They run only on nodes whose shapes are known (the shape rules have checked that channel counts are
 * concrete).
 *
 * Weights follow TensorFlow.js layouts:
 *   conv2d            kernel [kh, kw, cin / groups, filters]             bias [filters]
 *   conv1d            kernel [k, cin / groups, filters]                  bias [filters]
 *   depthwise_conv2d  depthwise_kernel [kh, kw, cin, multiplier]         bias [cin · multiplier]
 *   conv2d_transpose  kernel [kh, kw, filters / groups, cin]             bias [filters]
 *                     (tfjs conv2dTranspose is [kh, kw, filters, cin]; with groups each of the
 *                     cin input channels feeds filters / groups outputs, as PyTorch's
 *                     weight [cin, filters / groups, kh, kw])
 *   dense             kernel [in, units]                                 bias [units]
 *   batch_norm        gamma [C], beta [C] (params, when affine); moving_mean [C], moving_variance [C]
 *                     (buffers; PyTorch's num_batches_tracked is not counted)
 * A parameter count is always the sum of the products of these shapes (countWeights), never a
 * per-layer formula.
 *
 * MACs per sample count only convolutions and dense layers, as torchvision-style counters do (no
 * bias, activation, pooling or normalisation): conv = output elements · (cin / groups) · kh · kw,
 * depthwise = output elements · kh · kw, transposed = input elements · (filters / groups) · kh · kw,
 * dense = in · units. A count is null when a size it needs is symbolic.
 */
import type { Weight } from '../ir/graph.js';
import type { OpAttrMap, OpKind } from '../ir/ops.js';
import { addCounts, mulCounts, productCount, type Count } from './count.js';
import type { Dim } from './dim.js';

export type WeightRule<K extends OpKind> = (
  attrs: OpAttrMap[K],
  inputShapes: readonly (readonly Dim[])[],
  outputShape: readonly Dim[],
) => Weight[];

export type MacRule<K extends OpKind> = (
  attrs: OpAttrMap[K],
  inputShapes: readonly (readonly Dim[])[],
  outputShape: readonly Dim[],
) => Count | null;

/** Total elements of some weights: the sum of the products of their shapes, exactly. */
export function countWeights(weights: readonly Weight[], kind: Weight['kind'] = 'param'): Count {
  let total: Count = 0;
  for (const w of weights) if (w.kind === kind) total = addCounts(total, productCount(w.shape));
  return total;
}

/** The last axis of the first input, which the shape rule has checked is concrete. */
function inChannels(inputShapes: readonly (readonly Dim[])[]): number {
  const shape = inputShapes[0];
  const c = shape[shape.length - 1];
  if (typeof c !== 'number') throw new Error(`channel count ${JSON.stringify(c)} is not concrete`);
  return c;
}

function param(name: string, shape: readonly number[]): Weight {
  return { name, shape, kind: 'param' };
}

function withBias(kernel: Weight, bias: boolean, units: number): Weight[] {
  return bias ? [kernel, param('bias', [units])] : [kernel];
}

const none = (): Weight[] => [];
const zero = (): Count => 0;

export const weightRules: { readonly [K in OpKind]: WeightRule<K> } = {
  input: none,
  conv2d: (a, ins) => {
    const kernel = param('kernel', [...a.kernel, inChannels(ins) / a.groups, a.filters]);
    return withBias(kernel, a.bias, a.filters);
  },
  conv1d: (a, ins) => {
    const kernel = param('kernel', [...a.kernel, inChannels(ins) / a.groups, a.filters]);
    return withBias(kernel, a.bias, a.filters);
  },
  depthwise_conv2d: (a, ins) => {
    const cin = inChannels(ins);
    const kernel = param('depthwise_kernel', [...a.kernel, cin, a.multiplier]);
    return withBias(kernel, a.bias, cin * a.multiplier);
  },
  conv2d_transpose: (a, ins) => {
    const kernel = param('kernel', [...a.kernel, a.filters / a.groups, inChannels(ins)]);
    return withBias(kernel, a.bias, a.filters);
  },
  max_pool: none,
  avg_pool: none,
  global_max_pool: none,
  global_avg_pool: none,
  adaptive_max_pool: none,
  adaptive_avg_pool: none,
  dense: (a, ins) => withBias(param('kernel', [inChannels(ins), a.units]), a.bias, a.units),
  flatten: none,
  reshape: none,
  zero_pad: none,
  upsample: none,
  dropout: none,
  batch_norm: (a, ins) => {
    const c = inChannels(ins);
    const stats: Weight[] = [
      { name: 'moving_mean', shape: [c], kind: 'buffer' },
      { name: 'moving_variance', shape: [c], kind: 'buffer' },
    ];
    return a.affine ? [param('gamma', [c]), param('beta', [c]), ...stats] : stats;
  },
  lrn: none,
  activation: none,
  add: none,
  multiply: none,
  concat: none,
  highway: none,
  yolo: none,
};

export const macRules: { readonly [K in OpKind]: MacRule<K> } = {
  input: zero,
  conv2d: (a, ins, out) => times(out, [inChannels(ins) / a.groups, a.kernel[0], a.kernel[1]]),
  conv1d: (a, ins, out) => times(out, [inChannels(ins) / a.groups, a.kernel[0]]),
  depthwise_conv2d: (a, _ins, out) => times(out, [a.kernel[0], a.kernel[1]]),
  conv2d_transpose: (a, ins) => times(ins[0], [a.filters / a.groups, a.kernel[0], a.kernel[1]]),
  max_pool: zero,
  avg_pool: zero,
  global_max_pool: zero,
  global_avg_pool: zero,
  adaptive_max_pool: zero,
  adaptive_avg_pool: zero,
  dense: (a, ins) => times(ins[0], [a.units]),
  flatten: zero,
  reshape: zero,
  zero_pad: zero,
  upsample: zero,
  dropout: zero,
  batch_norm: zero,
  lrn: zero,
  activation: zero,
  add: zero,
  multiply: zero,
  concat: zero,
  highway: zero,
  yolo: zero,
};

/** The elements of `shape` times the factors, exactly; null when a size is symbolic. */
function times(shape: readonly Dim[], factors: readonly number[]): Count | null {
  let p: Count = 1;
  for (const d of shape) {
    if (typeof d !== 'number') return null;
    p = mulCounts(p, d);
  }
  for (const f of factors) p = mulCounts(p, f);
  return p;
}
