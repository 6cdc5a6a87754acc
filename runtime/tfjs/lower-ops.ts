/**
 * The lowering of every IR op, as one table of functions: `lowerings[op](ctx, node, inputs)`.
 * Convolutions are in lower-conv.ts, pools in lower-pool.ts, normalisations in lower-norm.ts.
 */
import type * as tfjs from '@tensorflow/tfjs';
import type { ActivationAttrs, OpKind } from '../../compiler/ir/ops.js';
import type { Node } from '../../compiler/ir/graph.js';
import { upsampleMatrix, upsampleTaps } from '../../compiler/ir/upsample.js';
import type { LowerContext, OpLowering, TF } from './lower-context.js';
import { need, withBias } from './lower-context.js';
import { lowerConv1d, lowerConv2d, lowerConv2dTranspose, lowerDepthwise } from './lower-conv.js';
import { lowerBatchNorm, lowerLrn } from './lower-norm.js';
import {
  lowerAdaptiveAvgPool,
  lowerAdaptiveMaxPool,
  lowerAvgPool,
  lowerGlobalAvgPool,
  lowerGlobalMaxPool,
  lowerMaxPool,
} from './lower-pool.js';
import { biasActivation } from './fused-bias-act.js';

/** An activation function on a tensor. */
export function activate(tf: TF, a: ActivationAttrs, x: tfjs.Tensor): tfjs.Tensor {
  switch (a.fn) {
    case 'relu':
      return tf.relu(x);
    case 'relu6':
      return tf.relu6(x);
    case 'leaky_relu':
      return tf.leakyRelu(x, a.alpha ?? 0.01);
    case 'elu': {
      const alpha = a.alpha ?? 1;
      if (alpha === 1) return tf.elu(x);
      // relu(x) + alpha·elu(min(x, 0)): never exponentiates a large positive x.
      return tf.add(tf.relu(x), tf.mul(tf.elu(tf.minimum(x, 0)), alpha));
    }
    case 'tanh':
      return tf.tanh(x);
    case 'sigmoid':
      return tf.sigmoid(x);
    case 'softmax':
      return tf.softmax(x);
    case 'linear':
      return x;
    case 'gelu':
      // The exact form, PyTorch's default: x·Φ(x) = 0.5·x·(1 + erf(x/√2)).
      return tf.mul(tf.mul(x, 0.5), tf.add(tf.erf(tf.mul(x, Math.SQRT1_2)), 1));
  }
}

const lowerDense: OpLowering<'dense'> = (ctx, node, [x]) =>
  withBias(
    ctx,
    node,
    ctx.tf.matMul(x as tfjs.Tensor2D, need(ctx, node, 'kernel') as tfjs.Tensor2D),
  );

const lowerDropout: OpLowering<'dropout'> = (ctx, node, [x]) => {
  const { tf } = ctx;
  const rate = node.attrs.rate;
  if (!ctx.training || rate <= 0) return x;
  const mask = dropoutMask(ctx.nextSeed(node), ctx.shard.offset, x.shape[0], x.size, rate);
  return tf.mul(x, tf.tensor(mask, x.shape, 'float32'));
};

/**
 * The scaled keep-mask of `rows` rows starting at row `offset` of the batch: 1/(1 − rate) where
 * kept, 0 where dropped. Each row draws from its own stream, seeded by the draw's seed and the row's
 * index in the whole batch, so a row gets the same mask however the batch is split over threads.
 */
export function dropoutMask(
  seed: number,
  offset: number,
  rows: number,
  size: number,
  rate: number,
): Float32Array {
  const mask = new Float32Array(size);
  const per = rows > 0 ? size / rows : 0;
  const scale = 1 / (1 - rate);
  for (let r = 0; r < rows; r++) {
    // mulberry32, seeded per row by mixing the draw's seed with the row index.
    let a = Math.imul(seed ^ Math.imul(offset + r + 1, 0x9e3779b1), 0x85ebca6b) >>> 0;
    for (let i = r * per, end = i + per; i < end; i++) {
      a = (a + 0x6d2b79f5) >>> 0;
      let t = a;
      t = Math.imul(t ^ (t >>> 15), t | 1);
      t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
      const u = ((t ^ (t >>> 14)) >>> 0) / 4294967296;
      mask[i] = u >= rate ? scale : 0;
    }
  }
  return mask;
}

const lowerZeroPad: OpLowering<'zero_pad'> = (ctx, node, [x]) => {
  const p = node.attrs.pads;
  const pads: [number, number][] = x.shape.map(() => [0, 0]);
  for (let i = 0; 2 * i + 1 < p.length; i++) pads[1 + i] = [p[2 * i], p[2 * i + 1]];
  return ctx.tf.pad(x, pads);
};

/**
 * upsample as two matrix products with PyTorch's interpolation weights (compiler/ir/upsample.ts),
 * columns first as PyTorch sums them. Not tf.image.resizeBilinear: its gradient kernel
 * (ResizeBilinearGrad) takes no halfPixelCenters and so differentiates another interpolation; and
 * resizeNearestNeighbor rounds its source rows in float64 where PyTorch rounds in float32.
 */
const lowerUpsample: OpLowering<'upsample'> = (ctx, node, [x]) => {
  const { tf } = ctx;
  const [, H, W] = x.shape;
  const axis = (t: tfjs.Tensor, i: number, size: number): tfjs.Tensor => {
    const taps = upsampleTaps(node.attrs, i, size);
    const out = taps.i0.length;
    const [rows, len] = [t.size / size, size];
    const m = tf.tensor2d(upsampleMatrix(taps, size), [len, out]);
    return tf.reshape(tf.matMul(tf.reshape(t, [rows, len]), m), [...t.shape.slice(0, -1), out]);
  };
  // [N, H, W, C] → [N, H, C, W] → columns → [N, OW, C, H] → rows → [N, OH, OW, C]
  const cols = axis(tf.transpose(x, [0, 1, 3, 2]), 1, W);
  const rows = axis(tf.transpose(cols, [0, 3, 2, 1]), 0, H);
  return tf.transpose(rows, [0, 3, 1, 2]);
};

/**
 * Inputs of a lower rank than the node's output ([N, C] against [N, H, W, C]) reshaped to it with
 * ones on the missing spatial axes ([N, 1, 1, C]), so that tfjs broadcasts them along those axes
 * (it aligns shapes at the right, batch axis included).
 */
function broadcastAll(ctx: LowerContext, node: Node, xs: readonly tfjs.Tensor[]): tfjs.Tensor[] {
  const rank = 1 + (node.shape?.length ?? Math.max(...xs.map((x) => x.rank - 1)));
  return xs.map((x) =>
    x.rank >= rank
      ? x
      : ctx.tf.reshape(x, [
          x.shape[0],
          ...Array<number>(rank - x.rank).fill(1),
          ...x.shape.slice(1),
        ]),
  );
}

export const lowerings: { readonly [K in OpKind]: OpLowering<K> } = {
  input: (_ctx, _node, [x]) => x,
  conv2d: lowerConv2d,
  conv1d: lowerConv1d,
  depthwise_conv2d: lowerDepthwise,
  conv2d_transpose: lowerConv2dTranspose,
  max_pool: lowerMaxPool,
  avg_pool: lowerAvgPool,
  global_max_pool: lowerGlobalMaxPool,
  global_avg_pool: lowerGlobalAvgPool,
  adaptive_max_pool: lowerAdaptiveMaxPool,
  adaptive_avg_pool: lowerAdaptiveAvgPool,
  dense: lowerDense,
  flatten: (ctx, _node, [x]) => ctx.tf.reshape(x, [x.shape[0], -1]),
  reshape: (ctx, node, [x]) => ctx.tf.reshape(x, [x.shape[0], ...node.attrs.shape]),
  zero_pad: lowerZeroPad,
  upsample: lowerUpsample,
  dropout: lowerDropout,
  batch_norm: lowerBatchNorm,
  lrn: lowerLrn,
  activation: (ctx, node, [x]) => {
    const bias = ctx.fusedBias.biasFor(node);
    const fn = node.attrs.fn;
    if (bias !== null && (fn === 'relu' || fn === 'tanh'))
      return biasActivation(ctx.tf, x, bias, fn);
    return activate(ctx.tf, node.attrs, x);
  },
  add: (ctx, node, xs) => {
    if (xs.length === 1) return xs[0];
    const same = xs.every((x) => x.shape.join() === xs[0].shape.join());
    if (same) return ctx.tf.addN([...xs]);
    return broadcastAll(ctx, node, xs).reduce((a, b) => ctx.tf.add(a, b));
  },
  multiply: (ctx, node, xs) => broadcastAll(ctx, node, xs).reduce((a, b) => ctx.tf.mul(a, b)),
  // t·h + (1 − t)·x as x + t·(h − x): tfjs's gradients sum a broadcast t back to its shape.
  highway: (ctx, node, xs) => {
    const [x, h, t] = broadcastAll(ctx, node, xs);
    return ctx.tf.add(x, ctx.tf.mul(t, ctx.tf.sub(h, x)));
  },
  concat: (ctx, _node, xs) => (xs.length === 1 ? xs[0] : ctx.tf.concat([...xs], -1)),
  // The head declares its input's layout; its forward pass is the identity.
  yolo: (_ctx, _node, [x]) => x,
};
