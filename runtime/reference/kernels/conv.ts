/**
 * Reference kernels of the convolutions: conv2d, conv1d (a conv2d of height 1), depthwise_conv2d
 * and conv2d_transpose (the input gradient of a conv2d whose input is the transposed conv's
 * output).
 *
 * Semantics are PyTorch's, as the tfjs lowering (runtime/tfjs/lower-conv.ts): pads from
 * runtime/window.ts, HWIO kernels with groups as channel slices, depthwise output channel c·m + j,
 * transposed `padding` rows removed from the full output and `outputPadding` rows (zeros before the
 * bias) added at the bottom/right. Float32 runs Winograd F(2×2, 3×3) (conv-winograd.ts) for the
 * 3×3 stride-1 convolutions it suits (`winogradApplies`) and im2col GEMM (conv-gemm.ts) for the
 * rest, both threaded; float64 (gradient checks) runs the direct loops of conv-direct.ts. Output
 * dtype = input dtype.
 */
import type { IrNode } from '../../../compiler/ir/graph.js';
import type { Padding } from '../../../compiler/ir/ops.js';
import { effectiveKernel, transposedPads, windowOutput, windowPads } from '../../window.js';
import type { Kernel, KernelResult } from '../kernel.js';
import { alloc, cast, dtypeOf, type FloatArray, type Tensor } from '../tensor.js';
import {
  depthwiseFilterGrad,
  depthwiseForward,
  depthwiseInputGrad,
  directFilterGrad,
  directForward,
  directInputGrad,
} from './conv-direct.js';
import {
  conv2dFilterGradF32,
  conv2dForwardF32,
  conv2dInputGradF32,
  type ConvGeometry,
} from './conv-gemm.js';
import {
  winogradApplies,
  winogradFilterGradF32,
  winogradForwardF32,
  winogradInputGradF32,
} from './conv-winograd.js';

export {
  configureWinograd,
  winogradApplies,
  winogradFilterGradF32,
  winogradForwardF32,
  winogradInputGradF32,
} from './conv-winograd.js';
export {
  conv2dFilterGradF32,
  conv2dForwardF32,
  conv2dInputGradF32,
  convMacs,
  type ConvGeometry,
} from './conv-gemm.js';

const inSize = (g: ConvGeometry) => g.n * g.h * g.w * g.c;
const outSize = (g: ConvGeometry) => g.n * g.oh * g.ow * g.co;

/** Y = conv(X, K) + bias: float32 by Winograd or im2col GEMM, float64 by direct loops. */
export function convForward(
  x: FloatArray,
  k: FloatArray,
  geo: ConvGeometry,
  bias: FloatArray | null = null,
): FloatArray {
  if (
    x instanceof Float32Array &&
    k instanceof Float32Array &&
    (bias === null || bias instanceof Float32Array)
  ) {
    return winogradApplies(geo)
      ? winogradForwardF32(x, k, geo, bias)
      : conv2dForwardF32(x, k, geo, bias);
  }
  const y = alloc(outSize(geo), dtypeOf(x));
  directForward(x, k, geo, y);
  if (bias) addBias(y, bias);
  return y;
}

/** dX of conv given dY. */
export function convInputGrad(dy: FloatArray, k: FloatArray, geo: ConvGeometry): FloatArray {
  if (dy instanceof Float32Array && k instanceof Float32Array) {
    return winogradApplies(geo) ? winogradInputGradF32(dy, k, geo) : conv2dInputGradF32(dy, k, geo);
  }
  const dx = alloc(inSize(geo), dtypeOf(dy));
  directInputGrad(dy, k, geo, dx);
  return dx;
}

/** dK of conv given X and dY. */
export function convFilterGrad(x: FloatArray, dy: FloatArray, geo: ConvGeometry): FloatArray {
  if (x instanceof Float32Array && dy instanceof Float32Array) {
    return winogradApplies(geo)
      ? winogradFilterGradF32(x, dy, geo)
      : conv2dFilterGradF32(x, dy, geo);
  }
  const dk = alloc(geo.kh * geo.kw * (geo.c / geo.groups) * geo.co, dtypeOf(x));
  directFilterGrad(x, dy, geo, dk);
  return dk;
}

function addBias(y: FloatArray, bias: FloatArray): void {
  const c = bias.length;
  for (let i = 0; i < y.length; i += c) for (let j = 0; j < c; j++) y[i + j] += bias[j];
}

function biasGrad(dy: FloatArray, channels: number): FloatArray {
  const sums = new Float64Array(channels);
  for (let i = 0; i < dy.length; i += channels)
    for (let j = 0; j < channels; j++) sums[j] += dy[i + j];
  const out = alloc(channels, dtypeOf(dy));
  out.set(sums);
  return out;
}

function weight(
  node: IrNode,
  weights: Readonly<Record<string, Tensor>>,
  name: string,
  like: Tensor,
): Tensor {
  const w = weights[name];
  if (w === undefined) throw new Error(`${node.op} ${node.name}: missing weight ${name}`);
  return cast(w, dtypeOf(like.data));
}

function optionalBias(
  node: IrNode,
  weights: Readonly<Record<string, Tensor>>,
  hasBias: boolean,
  like: Tensor,
): Tensor | null {
  return hasBias ? weight(node, weights, 'bias', like) : null;
}

interface WindowAttrs {
  readonly kernel: readonly number[];
  readonly stride: readonly number[];
  readonly dilation: readonly number[];
  readonly padding: Padding;
}

/** The geometry of a conv2d-like op on [n, h, w, c] (a 1-D op's axis is the width). */
function forwardGeometry(
  node: IrNode,
  [n, h, w, c]: readonly number[],
  a: WindowAttrs,
  co: number,
  groups: number,
): ConvGeometry {
  // conv1d's single spatial axis is the width of a height-1 image.
  const at = (v: readonly number[], axis: number, one: number) =>
    v.length === 1 ? (axis === 0 ? one : v[0]) : v[axis];
  const kh = at(a.kernel, 0, 1);
  const kw = at(a.kernel, 1, 1);
  const sh = at(a.stride, 0, 1);
  const sw = at(a.stride, 1, 1);
  const dh = at(a.dilation, 0, 1);
  const dw = at(a.dilation, 1, 1);
  const oneD = a.kernel.length === 1;
  const ph = oneD ? { before: 0, after: 0 } : windowPads(a.padding, 0, h, kh, sh, dh);
  const pw = windowPads(a.padding, oneD ? 0 : 1, w, kw, sw, dw);
  const oh = windowOutput(h, effectiveKernel(kh, dh), sh, ph, false);
  const ow = windowOutput(w, effectiveKernel(kw, dw), sw, pw, false);
  if (oh < 1 || ow < 1 || c % groups !== 0 || co % groups !== 0)
    throw new Error(`${node.op} ${node.name}: bad geometry for input [${n}, ${h}, ${w}, ${c}]`);
  return { n, h, w, c, oh, ow, co, kh, kw, sh, sw, dh, dw, pt: ph.before, pl: pw.before, groups };
}

/** A conv2d-shaped op (conv2d, conv1d): forward, then dX, dK, dbias in backward. */
function convResult(
  x: Tensor,
  k: Tensor,
  bias: Tensor | null,
  geo: ConvGeometry,
  outShape: readonly number[],
  needInputGrad: boolean,
): KernelResult {
  const y = convForward(x.data, k.data, geo, bias?.data ?? null);
  return {
    output: { shape: outShape, data: y },
    backward(dy) {
      const dyd = cast(dy, dtypeOf(x.data)).data;
      const weights: Record<string, Tensor> = {
        kernel: { shape: k.shape, data: convFilterGrad(x.data, dyd, geo) },
      };
      if (bias) weights.bias = { shape: bias.shape, data: biasGrad(dyd, geo.co) };
      const dx = needInputGrad ? { shape: x.shape, data: convInputGrad(dyd, k.data, geo) } : null;
      return { inputs: [dx], weights };
    },
  };
}

export const conv2dKernel: Kernel<'conv2d'> = (node, [x], weights, ctx) => {
  const a = node.attrs;
  const k = weight(node, weights, 'kernel', x);
  const geo = forwardGeometry(node, x.shape, a, a.filters, a.groups);
  const out = [geo.n, geo.oh, geo.ow, geo.co];
  const bias = optionalBias(node, weights, a.bias, x);
  return convResult(x, k, bias, geo, out, ctx.needInputGrad[0] !== false);
};

export const conv1dKernel: Kernel<'conv1d'> = (node, [x], weights, ctx) => {
  const a = node.attrs;
  const k = weight(node, weights, 'kernel', x);
  const [n, length, c] = x.shape;
  const geo = forwardGeometry(node, [n, 1, length, c], a, a.filters, a.groups);
  const bias = optionalBias(node, weights, a.bias, x);
  return convResult(x, k, bias, geo, [n, geo.ow, geo.co], ctx.needInputGrad[0] !== false);
};

export const depthwiseConv2dKernel: Kernel<'depthwise_conv2d'> = (node, [x], weights, ctx) => {
  const a = node.attrs;
  const k = weight(node, weights, 'depthwise_kernel', x);
  const c = x.shape[3];
  const geo = forwardGeometry(node, x.shape, a, c * a.multiplier, c);
  const bias = optionalBias(node, weights, a.bias, x);
  const dtype = dtypeOf(x.data);
  const y = alloc(outSize(geo), dtype);
  depthwiseForward(x.data, k.data, geo, y);
  if (bias) addBias(y, bias.data);
  return {
    output: { shape: [geo.n, geo.oh, geo.ow, geo.co], data: y },
    backward(dy) {
      const dyd = cast(dy, dtype).data;
      const dk = alloc(k.data.length, dtype);
      depthwiseFilterGrad(x.data, dyd, geo, dk);
      const grads: Record<string, Tensor> = { depthwise_kernel: { shape: k.shape, data: dk } };
      if (bias) grads.bias = { shape: bias.shape, data: biasGrad(dyd, geo.co) };
      let dx: Tensor | null = null;
      if (ctx.needInputGrad[0] !== false) {
        dx = { shape: x.shape, data: alloc(x.data.length, dtype) };
        depthwiseInputGrad(dyd, k.data, geo, dx.data);
      }
      return { inputs: [dx], weights: grads };
    },
  };
};

/**
 * PyTorch's ConvTranspose2d as the adjoint of a conv2d from its output [n, oh, ow, filters] to its
 * input [n, h, w, cin] with the same kernel ([kh, kw, filters/groups, cin] is that conv's HWIO),
 * stride, dilation and top/left pads; output rows past the full output (negative bottom pads,
 * outputPadding) receive no taps and stay zero before the bias.
 */
export const conv2dTransposeKernel: Kernel<'conv2d_transpose'> = (node, [x], weights, ctx) => {
  const a = node.attrs;
  const k = weight(node, weights, 'kernel', x);
  const [n, h, w, c] = x.shape;
  const pads = [0, 1].map((i) =>
    transposedPads(a.padding, i, a.kernel[i], a.stride[i], a.dilation[i]),
  );
  const out = [h, w].map((len, i) => {
    const full = (len - 1) * a.stride[i] + effectiveKernel(a.kernel[i], a.dilation[i]);
    return full - pads[i].before - pads[i].after + a.outputPadding[i];
  });
  if (out[0] < 1 || out[1] < 1 || c % a.groups !== 0 || a.filters % a.groups !== 0)
    throw new Error(`${node.op} ${node.name}: bad geometry for input [${x.shape.join(', ')}]`);
  // The conv whose adjoint this is: input = our output, output = our input.
  const geo: ConvGeometry = {
    n,
    h: out[0],
    w: out[1],
    c: a.filters,
    oh: h,
    ow: w,
    co: c,
    kh: a.kernel[0],
    kw: a.kernel[1],
    sh: a.stride[0],
    sw: a.stride[1],
    dh: a.dilation[0],
    dw: a.dilation[1],
    pt: pads[0].before,
    pl: pads[1].before,
    groups: a.groups,
  };
  const bias = optionalBias(node, weights, a.bias, x);
  const y = convInputGrad(x.data, k.data, geo);
  if (bias) addBias(y, bias.data);
  return {
    output: { shape: [n, out[0], out[1], a.filters], data: y },
    backward(dy) {
      const dyd = cast(dy, dtypeOf(x.data)).data;
      const grads: Record<string, Tensor> = {
        kernel: { shape: k.shape, data: convFilterGrad(dyd, x.data, geo) },
      };
      if (bias) grads.bias = { shape: bias.shape, data: biasGrad(dyd, a.filters) };
      const dx =
        ctx.needInputGrad[0] !== false
          ? { shape: x.shape, data: convForward(dyd, k.data, geo) }
          : null;
      return { inputs: [dx], weights: grads };
    },
  };
};
