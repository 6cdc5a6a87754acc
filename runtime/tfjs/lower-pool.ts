/**
 * Pools. 1-D pools run as 2-D pools of height 1.
 *
 * max_pool pools with explicit padding (skipped, as PyTorch's −∞ padding), avg_pool pads with
 * zeros then pools `valid`; ceil mode pads the overhang of
 * the last window too. avg_pool then rescales each output by kh·kw / count, where count is PyTorch's
 * divisor: the window clipped to the padded input (count_include_pad) or to the input itself; the
 * ceil-mode overhang never counts.
 */
import type * as tfjs from '@tensorflow/tfjs';
import type { IrNode } from '../../compiler/ir/graph.js';
import type { AdaptivePoolAttrs, PoolAttrs } from '../../compiler/ir/ops.js';
import { padSpatial } from './lower-conv.js';
import type { LowerContext, OpLowering, TF } from './lower-context.js';
import type { Pads } from '../window.js';
import { windowOutput, windowPads } from '../window.js';

/** [N, L, C] → [N, 1, L, C]; 2-D inputs unchanged. */
function as2d(tf: TF, x: tfjs.Tensor): tfjs.Tensor4D {
  if (x.rank === 4) return x as tfjs.Tensor4D;
  const [n, l, c] = x.shape;
  return tf.reshape(x, [n, 1, l, c]);
}

function back(tf: TF, y: tfjs.Tensor4D, rank: number): tfjs.Tensor {
  return rank === 4 ? y : tf.reshape(y, [y.shape[0], y.shape[2], y.shape[3]]);
}

interface AxisGeometry {
  readonly input: number;
  readonly kernel: number;
  readonly stride: number;
  readonly pads: Pads;
  readonly out: number;
  /** Rows past in + pb + pe that ceil mode's last window reaches. */
  readonly overhang: number;
}

function geometry(a: PoolAttrs, x: tfjs.Tensor4D): [AxisGeometry, AxisGeometry] {
  const oneD = a.kernel.length === 1;
  const axis = (i: number): AxisGeometry => {
    const input = x.shape[1 + i];
    if (oneD && i === 0) {
      return {
        input,
        kernel: 1,
        stride: 1,
        pads: { before: 0, after: 0 },
        out: input,
        overhang: 0,
      };
    }
    const j = oneD ? 0 : i;
    const [kernel, stride] = [a.kernel[j], a.stride[j]];
    const pads = windowPads(a.padding, j, input, kernel, stride);
    const out = windowOutput(input, kernel, stride, pads, a.ceil);
    const overhang = Math.max((out - 1) * stride + kernel - (input + pads.before + pads.after), 0);
    return { input, kernel, stride, pads, out, overhang };
  };
  return [axis(0), axis(1)];
}

function padded(tf: TF, x: tfjs.Tensor4D, g: readonly AxisGeometry[], value: number) {
  const side = (a: AxisGeometry): Pads => ({
    before: a.pads.before,
    after: a.pads.after + a.overhang,
  });
  return padSpatial(tf, x, side(g[0]), side(g[1]), value);
}

/** PyTorch's avg-pool divisor of each output position along one axis. */
export function poolCounts(a: AxisGeometry, includePad: boolean): number[] {
  const counts: number[] = [];
  for (let i = 0; i < a.out; i++) {
    const start = i * a.stride - a.pads.before;
    const end = Math.min(start + a.kernel, a.input + a.pads.after);
    counts.push(includePad ? end - start : Math.min(end, a.input) - Math.max(start, 0));
  }
  return counts;
}

/**
 * Max pool with its padding (and ceil mode's overhang) passed to the pool as explicit padding,
 * which every backend skips as PyTorch's −∞ padding does: no Pad op, and no Slice for its gradient
 * (ResNet-18's stem pool: 6 ms of a 1-thread wasm step went to the two).
 */
export const lowerMaxPool: OpLowering<'max_pool'> = (ctx, node, [input]) => {
  const { tf } = ctx;
  const x = as2d(tf, input);
  const g = geometry(node.attrs, x);
  const padding: [[0, 0], [number, number], [number, number], [0, 0]] = [
    [0, 0],
    [g[0].pads.before, g[0].pads.after + g[0].overhang],
    [g[1].pads.before, g[1].pads.after + g[1].overhang],
    [0, 0],
  ];
  const y = tf.maxPool(x, [g[0].kernel, g[1].kernel], [g[0].stride, g[1].stride], padding);
  return back(tf, y, input.rank);
};

export const lowerAvgPool: OpLowering<'avg_pool'> = (ctx, node, [input]) => {
  const { tf } = ctx;
  const x = as2d(tf, input);
  const g = geometry(node.attrs, x);
  const p = padded(tf, x, g, 0);
  const y = tf.avgPool(p, [g[0].kernel, g[1].kernel], [g[0].stride, g[1].stride], 'valid');
  const area = g[0].kernel * g[1].kernel;
  const [ch, cw] = g.map((a) => poolCounts(a, node.attrs.countIncludePad));
  const scale = new Float32Array(ch.length * cw.length);
  let uniform = true;
  for (let i = 0; i < ch.length; i++) {
    for (let j = 0; j < cw.length; j++) {
      const count = ch[i] * cw[j];
      scale[i * cw.length + j] = count > 0 ? area / count : 0;
      if (count !== area) uniform = false;
    }
  }
  const out: tfjs.Tensor4D = uniform
    ? y
    : tf.mul(y, tf.tensor4d(scale, [1, ch.length, cw.length, 1]));
  return back(tf, out, input.rank);
};

type Reduce = 'mean' | 'max';

function reduce(tf: TF, x: tfjs.Tensor, axis: number, how: Reduce): tfjs.Tensor {
  return how === 'mean' ? tf.mean(x, axis, true) : tf.max(x, axis, true);
}

/**
 * Adaptive pooling along one axis of the tensor, with PyTorch's windows
 * [floor(i·in / out), ceil((i + 1)·in / out)). Rectangular windows make the 2-D pool separable.
 */
function adaptiveAxis(tf: TF, x: tfjs.Tensor, axis: number, out: number, how: Reduce): tfjs.Tensor {
  const size = x.shape[axis];
  if (size === out) return x;
  if (size % out === 0) {
    const shape = [...x.shape.slice(0, axis), out, size / out, ...x.shape.slice(axis + 1)];
    const r = tf.reshape(x, shape);
    return how === 'mean' ? tf.mean(r, axis + 1) : tf.max(r, axis + 1);
  }
  const parts: tfjs.Tensor[] = [];
  for (let i = 0; i < out; i++) {
    const start = Math.floor((i * size) / out);
    const end = Math.ceil(((i + 1) * size) / out);
    const begin = x.shape.map((_, a) => (a === axis ? start : 0));
    const extent = x.shape.map((d, a) => (a === axis ? end - start : d));
    parts.push(reduce(tf, tf.slice(x, begin, extent), axis, how));
  }
  return tf.concat(parts, axis);
}

function adaptive(ctx: LowerContext, node: IrNode<'adaptive_avg_pool' | 'adaptive_max_pool'>) {
  return (x: tfjs.Tensor, how: Reduce): tfjs.Tensor => {
    const a: AdaptivePoolAttrs = node.attrs;
    let y = x;
    a.output.forEach((out, i) => {
      y = adaptiveAxis(ctx.tf, y, 1 + i, out, how);
    });
    return y;
  };
}

export const lowerAdaptiveAvgPool: OpLowering<'adaptive_avg_pool'> = (ctx, node, [x]) =>
  adaptive(ctx, node)(x, 'mean');

export const lowerAdaptiveMaxPool: OpLowering<'adaptive_max_pool'> = (ctx, node, [x]) =>
  adaptive(ctx, node)(x, 'max');

function spatialAxes(x: tfjs.Tensor): number[] {
  return Array.from({ length: x.rank - 2 }, (_, i) => i + 1);
}

export const lowerGlobalAvgPool: OpLowering<'global_avg_pool'> = (ctx, node, [x]) =>
  ctx.tf.mean(x, spatialAxes(x), node.attrs.keepDims);

export const lowerGlobalMaxPool: OpLowering<'global_max_pool'> = (ctx, node, [x]) =>
  ctx.tf.max(x, spatialAxes(x), node.attrs.keepDims);
