/**
 * Convolutions: conv2d, conv1d (as a 2-D convolution of height 1), depthwise and transposed.
 *
 * Padding is always applied with tf.pad and the convolution itself is `valid`, so explicit,
 * asymmetric and `full` padding all take one path. Dilated kernels are dilated explicitly (zeros
 * inserted between taps) and convolved at dilation 1: tfjs refuses dilation together with a stride,
 * has no dilation in conv2dTranspose and computes no gradient of a dilated convolution.
 *
 * conv2d's filter gradient is computed as a forward convolution (see conv2dValid): the cpu backend's
 * Conv2DBackpropFilter runs at ~0.01 GFLOP/s and the wasm backend has none.
 */
import type * as tfjs from '@tensorflow/tfjs';
import type { OpLowering, TF } from './lower-context.js';
import { need, withBias } from './lower-context.js';
import type { Pads } from '../window.js';
import { effectiveKernel, transposedPads, windowPads } from '../window.js';

type Pair = readonly [number, number];

/** Pads the two spatial axes of [N, H, W, C]. */
export function padSpatial(tf: TF, x: tfjs.Tensor4D, h: Pads, w: Pads, value = 0): tfjs.Tensor4D {
  if (h.before === 0 && h.after === 0 && w.before === 0 && w.after === 0) return x;
  const pads: [number, number][] = [
    [0, 0],
    [h.before, h.after],
    [w.before, w.after],
    [0, 0],
  ];
  return tf.pad(x, pads, value);
}

/** Inserts d − 1 zeros between the taps of a [kh, kw, a, b] kernel along each spatial axis. */
export function dilateKernel(tf: TF, k: tfjs.Tensor4D, dilation: Pair): tfjs.Tensor4D {
  const [dh, dw] = dilation;
  let [kh, kw] = k.shape;
  const [, , a, b] = k.shape;
  let out = k;
  if (dh > 1) {
    const spread = tf.pad(tf.reshape(out, [kh, 1, kw * a * b]), [
      [0, 0],
      [0, dh - 1],
      [0, 0],
    ]);
    kh = (kh - 1) * dh + 1;
    out = tf.slice(
      tf.reshape(spread, [-1, kw, a, b]) as tfjs.Tensor4D,
      [0, 0, 0, 0],
      [kh, kw, a, b],
    );
  }
  if (dw > 1) {
    const spread = tf.pad(tf.reshape(out, [kh, kw, 1, a * b]), [
      [0, 0],
      [0, 0],
      [0, dw - 1],
      [0, 0],
    ]);
    kw = (kw - 1) * dw + 1;
    out = tf.slice(
      tf.reshape(spread, [kh, -1, a, b]) as tfjs.Tensor4D,
      [0, 0, 0, 0],
      [kh, kw, a, b],
    );
  }
  return out;
}

/**
 * A valid, undilated conv2d whose filter gradient is itself a forward convolution: with the input
 * channels as the batch and the batch as the channels, dW = conv(xᵀ, dyᵀ) at dilation = stride,
 * cropped to the kernel size.
 */
export function conv2dValid(
  tf: TF,
  x: tfjs.Tensor4D,
  kernel: tfjs.Tensor4D,
  strides: Pair,
): tfjs.Tensor4D {
  const s: [number, number] = [strides[0], strides[1]];
  const f = tf.customGrad((...args: (tfjs.Tensor | tfjs.GradSaveFunc)[]) => {
    const [xi, ki, save] = args as [tfjs.Tensor4D, tfjs.Tensor4D, tfjs.GradSaveFunc];
    save([xi, ki]);
    return {
      value: tf.conv2d(xi, ki, s, 'valid'),
      gradFunc: (dy: tfjs.Tensor4D, saved: tfjs.Tensor[]) => {
        const [xs, ks] = saved as [tfjs.Tensor4D, tfjs.Tensor4D];
        const dx = tf.conv2dTranspose(dy, ks, xs.shape, s, 'valid');
        const [kh, kw, cin, cout] = ks.shape;
        const xt = tf.transpose(xs, [3, 1, 2, 0]);
        const dyt = tf.transpose(dy, [1, 2, 0, 3]);
        const full = tf.conv2d(xt, dyt, 1, 'valid', 'NHWC', s);
        const dk = tf.transpose(tf.slice(full, [0, 0, 0, 0], [cin, kh, kw, cout]), [1, 2, 0, 3]);
        return [dx, dk];
      },
    };
  });
  return f(x, kernel) as tfjs.Tensor4D;
}

/** A valid grouped convolution of [N, H, W, cin] with a [kh, kw, cin / groups, filters] kernel. */
function groupedConv(
  tf: TF,
  x: tfjs.Tensor4D,
  kernel: tfjs.Tensor4D,
  strides: Pair,
  groups: number,
): tfjs.Tensor4D {
  if (groups === 1) return conv2dValid(tf, x, kernel, strides);
  const [kh, kw, , filters] = kernel.shape;
  const cin = x.shape[3];
  if (groups === cin) {
    // One input channel per group: a depthwise convolution, output channel c·m + j in both layouts.
    const dk = tf.reshape(kernel, [kh, kw, cin, filters / cin]) as tfjs.Tensor4D;
    return tf.depthwiseConv2d(x, dk, [strides[0], strides[1]], 'valid');
  }
  const xs: tfjs.Tensor4D[] = tf.split(x, groups, 3);
  const ks = tf.split(kernel, groups, 3) as tfjs.Tensor4D[];
  return tf.concat(
    xs.map((xg, g) => conv2dValid(tf, xg, ks[g], strides)),
    3,
  );
}

interface Conv2dSpec {
  readonly kernel: Pair;
  readonly stride: Pair;
  readonly dilation: Pair;
  readonly groups: number;
}

/**
 * True on wasm, whose Conv2DBackpropFilter (wasm-kernels.ts) runs on XNNPACK: there tf.conv2d with
 * explicit padding is used as is, which saves the Pad op, its Slice gradient, the transposes of
 * conv2dValid's filter gradient and the input gradient of a first layer (tfjs computes a built-in
 * op's gradients lazily, only for inputs that need one; a customGrad computes them all).
 */
function nativeFilterGrad(tf: TF): boolean {
  return tf.getBackend() === 'wasm' && tf.getKernel('Conv2DBackpropFilter', 'wasm') !== undefined;
}

/** Pads (already resolved) then convolves. */
function conv2d(
  tf: TF,
  x: tfjs.Tensor4D,
  kernel: tfjs.Tensor4D,
  spec: Conv2dSpec,
  pads: readonly [Pads, Pads],
): tfjs.Tensor4D {
  const [dh, dw] = spec.dilation;
  if (spec.groups === 1 && dh === 1 && dw === 1 && nativeFilterGrad(tf)) {
    const [h, w] = pads;
    const padding: [[number, number], [number, number], [number, number], [number, number]] = [
      [0, 0],
      [h.before, h.after],
      [w.before, w.after],
      [0, 0],
    ];
    return tf.conv2d(x, kernel, [spec.stride[0], spec.stride[1]], padding);
  }
  const padded = padSpatial(tf, x, pads[0], pads[1]);
  return groupedConv(tf, padded, dilateKernel(tf, kernel, spec.dilation), spec.stride, spec.groups);
}

function pads2d(
  x: tfjs.Tensor4D,
  spec: Conv2dSpec,
  padding: Parameters<typeof windowPads>[0],
): [Pads, Pads] {
  const [, h, w] = x.shape;
  return [
    windowPads(padding, 0, h, spec.kernel[0], spec.stride[0], spec.dilation[0]),
    windowPads(padding, 1, w, spec.kernel[1], spec.stride[1], spec.dilation[1]),
  ];
}

export const lowerConv2d: OpLowering<'conv2d'> = (ctx, node, [input]) => {
  const x = input as tfjs.Tensor4D;
  const a = node.attrs;
  const kernel = need(ctx, node, 'kernel') as tfjs.Variable<tfjs.Rank.R4>;
  return withBias(ctx, node, conv2d(ctx.tf, x, kernel, a, pads2d(x, a, a.padding)));
};

export const lowerConv1d: OpLowering<'conv1d'> = (ctx, node, [input]) => {
  const { tf } = ctx;
  const a = node.attrs;
  const [n, length, cin] = input.shape;
  const x: tfjs.Tensor4D = tf.reshape(input, [n, 1, length, cin]);
  const k = need(ctx, node, 'kernel');
  const [kl, ki, ko] = k.shape as [number, number, number];
  const kernel: tfjs.Tensor4D = tf.reshape(k, [1, kl, ki, ko]);
  const spec: Conv2dSpec = {
    kernel: [1, a.kernel[0]],
    stride: [1, a.stride[0]],
    dilation: [1, a.dilation[0]],
    groups: a.groups,
  };
  const p = windowPads(a.padding, 0, length, a.kernel[0], a.stride[0], a.dilation[0]);
  const y = conv2d(tf, x, kernel, spec, [{ before: 0, after: 0 }, p]);
  return withBias(ctx, node, tf.reshape(y, [n, y.shape[2], y.shape[3]]) as tfjs.Tensor3D);
};

export const lowerDepthwise: OpLowering<'depthwise_conv2d'> = (ctx, node, [input]) => {
  const { tf } = ctx;
  const x = input as tfjs.Tensor4D;
  const a = node.attrs;
  const kernel = need(ctx, node, 'depthwise_kernel') as tfjs.Variable<tfjs.Rank.R4>;
  const [ph, pw] = pads2d(x, { ...a, groups: 1 }, a.padding);
  const padded = padSpatial(tf, x, ph, pw);
  const k = dilateKernel(tf, kernel, a.dilation);
  return withBias(ctx, node, tf.depthwiseConv2d(padded, k, [a.stride[0], a.stride[1]], 'valid'));
};

/**
 * PyTorch's ConvTranspose2d: the full output (in − 1)·s + effK of tf.conv2dTranspose, then `padding`
 * rows removed from each side and `output_padding` rows (zeros before the bias, where the full output
 * ends) added at the bottom/right.
 */
export const lowerConv2dTranspose: OpLowering<'conv2d_transpose'> = (ctx, node, [input]) => {
  const { tf } = ctx;
  const x = input as tfjs.Tensor4D;
  const a = node.attrs;
  const [n, h, w] = x.shape;
  const kernel = dilateKernel(tf, need(ctx, node, 'kernel') as tfjs.Tensor4D, a.dilation);
  const full = [0, 1].map(
    (i) => ([h, w][i] - 1) * a.stride[i] + effectiveKernel(a.kernel[i], a.dilation[i]),
  );
  const perGroup = a.filters / a.groups;
  const s: [number, number] = [a.stride[0], a.stride[1]];
  const xs: tfjs.Tensor4D[] = a.groups === 1 ? [x] : tf.split(x, a.groups, 3);
  const ks = a.groups === 1 ? [kernel] : (tf.split(kernel, a.groups, 3) as tfjs.Tensor4D[]);
  const parts = xs.map((xg, g) =>
    tf.conv2dTranspose(xg, ks[g], [n, full[0], full[1], perGroup], s, 'valid'),
  );
  const y = parts.length === 1 ? parts[0] : tf.concat(parts, 3);
  const pads = [0, 1].map((i) =>
    transposedPads(a.padding, i, a.kernel[i], a.stride[i], a.dilation[i]),
  );
  const out = [0, 1].map((i) => full[i] - pads[i].before - pads[i].after + a.outputPadding[i]);
  const extra = [0, 1].map((i) => Math.max(pads[i].before + out[i] - full[i], 0));
  const grown = padSpatial(tf, y, { before: 0, after: extra[0] }, { before: 0, after: extra[1] });
  const cropped = tf.slice(
    grown,
    [0, pads[0].before, pads[1].before, 0],
    [n, out[0], out[1], a.filters],
  );
  return withBias(ctx, node, cropped);
};
