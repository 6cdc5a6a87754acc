// Gradient kernels that @tensorflow/tfjs-backend-wasm@4.22 lacks, registered for backendName 'wasm',
// and faster replacements for some it has.
//
// Conv2DBackpropFilter and Conv2DBackpropInput (replacing wasm's own, a naive loop ~10x slower than
// its Conv2D) run as direct WebAssembly SIMD loops generated per layer shape (simd-conv.ts). Where
// the host has no wasm SIMD, they run on wasm's own (XNNPACK) Conv2D instead:
//
// the filter gradient of an NHWC conv
//   dW[kh, kw, ci, co] = Σ_{n,oh,ow} X[n, oh·s + kh·d − pt, ow·s + kw·d − pl, ci] · dY[n, oh, ow, co]
// is itself a 'valid' convolution: take X' = X laid out as [ci, h, w, n] (input channels as batch,
// batch as channels, the padding written in as zeros and the rows no tap reaches left out) and
// F = dY laid out as [oh, ow, n, co] as the filter; the forward stride s becomes the filter's dilation
// and the forward dilation d becomes the stride. The result [ci, kh, kw, co] is transposed into place.
//
// The input gradient dX[n, h, w, ci] = Σ dY[n, oh, ow, co] · W[kh, kw, ci, co] over h = oh·s + kh·d − pt
// is a 'valid', stride-1 convolution, dilation d, of dY' with the flipped, transposed filter
// W'[kh', kw', co, ci] = W[KH−1−kh', KW−1−kw', ci, co], where dY' is dY with (s − 1) zeros put
// between its rows and columns and (KH−1)·d − pt zero rows above (left likewise), sized
// [N, H + (KH−1)·d, W + (KW−1)·d, CO] (dY rows that fall outside it reach no input row).
// (XNNPACK packs the filter operand afresh for every new tensor, at 10-20 ns a float, which is what
// makes this path slow for the large operands of gradients.)
//
// The depthwise gradients are plain loops (depthwise-grads.ts): they are cheap next to full convs.
// MaxPoolGrad and AvgPoolGrad: pool-grads.ts. Identity, Cast, Sum, Mean, BatchMatMul, Tanh and
// Relu: wasm-overrides.ts. The fused activation gradients: fused-grads.ts; the fused optimiser
// update: fused-update.ts.

import type * as Tf from '@tensorflow/tfjs';
import { depthwiseFilterGrad, depthwiseInputGrad } from './depthwise-grads.js';
import { convKernel, transposeTaps } from './simd-conv.js';
import {
  narrowInputGrad,
  narrowInputGradKernelOf,
  singleChannelConv,
  singleChannelForwardOf,
} from './simd-conv-narrow.js';
import {
  asWasmBackend,
  forwardGeometry,
  conv2DInfo,
  heapF32,
  requireInput,
  requireNHWC,
  shape4,
  shape4Attr,
  simdMemory,
} from './kernel-utils.js';
import { avgPoolGrad, maxPoolGrad } from './pool-grads.js';
import { registerBiasActivation } from './fused-bias-act.js';
import { registerFusedGrads } from './fused-grads.js';
import { registerFusedUpdate } from './fused-update.js';
import { registerFusedBatchNorm } from './simd-norm.js';
import { wasmOverrides } from './wasm-overrides.js';
import type { Conv2DInfo, TfModule, WasmBackendLike } from './kernel-utils.js';

export const WASM_GRAD_KERNELS = [
  'Conv2DBackpropFilter',
  'DepthwiseConv2dNativeBackpropFilter',
  'DepthwiseConv2dNativeBackpropInput',
] as const;

/**
 * Kernels wasm has but cnnc replaces with faster ones, kept under the original's setupFunc (these
 * and the ones in wasm-overrides.ts).
 */
export const WASM_OVERRIDDEN_KERNELS = [
  'Conv2D',
  'Conv2DBackpropInput',
  'MaxPoolGrad',
  'AvgPoolGrad',
] as const;

/** Rows and columns of the (padded) input that some tap of some output position reads. */
function reach(info: Conv2DInfo): { rows: number; cols: number } {
  return {
    rows:
      (info.filterHeight - 1) * info.dilationHeight + (info.outHeight - 1) * info.strideHeight + 1,
    cols: (info.filterWidth - 1) * info.dilationWidth + (info.outWidth - 1) * info.strideWidth + 1,
  };
}

/** X[n, h, w, c] → X'[c, i, j, n] with h = i − pt, w = j − pl; zero where (h, w) is padding. */
export function packInputForFilterGrad(info: Conv2DInfo, x: Float32Array, out: Float32Array): void {
  const { batchSize: N, inHeight: H, inWidth: W, inChannels: C } = info;
  const { rows, cols } = reach(info);
  const pt = info.padInfo.top;
  const pl = info.padInfo.left;
  const plane = rows * cols * N;
  out.fill(0);
  for (let i = 0; i < rows; i++) {
    const h = i - pt;
    if (h < 0 || h >= H) continue;
    for (let j = 0; j < cols; j++) {
      const w = j - pl;
      if (w < 0 || w >= W) continue;
      const dst = (i * cols + j) * N;
      for (let n = 0; n < N; n++) {
        const src = ((n * H + h) * W + w) * C;
        let o = dst + n;
        for (let c = 0; c < C; c++, o += plane) out[o] = x[src + c];
      }
    }
  }
}

/** dY[n, oh, ow, co] → F[oh, ow, n, co]. */
export function packDyForFilterGrad(info: Conv2DInfo, dy: Float32Array, out: Float32Array): void {
  const { batchSize: N, outHeight: OH, outWidth: OW, outChannels: CO } = info;
  for (let n = 0; n < N; n++) {
    for (let p = 0; p < OH * OW; p++) {
      const src = (n * OH * OW + p) * CO;
      out.set(dy.subarray(src, src + CO), (p * N + n) * CO);
    }
  }
}

/** G[ci, kh, kw, co] → dW[kh, kw, ci, co]. */
export function unpackFilterGrad(info: Conv2DInfo, g: Float32Array, dw: Float32Array): void {
  const { inChannels: C, filterHeight: KH, filterWidth: KW, outChannels: CO } = info;
  for (let c = 0; c < C; c++) {
    for (let k = 0; k < KH * KW; k++) {
      const src = (c * KH * KW + k) * CO;
      dw.set(g.subarray(src, src + CO), (k * C + c) * CO);
    }
  }
}

/** Rows and columns of dY' (see the header), and where dY's first row and column land in it. */
function inputGradLayout(info: Conv2DInfo): {
  rows: number;
  cols: number;
  top: number;
  left: number;
} {
  const kh = (info.filterHeight - 1) * info.dilationHeight;
  const kw = (info.filterWidth - 1) * info.dilationWidth;
  return {
    rows: info.inHeight + kh,
    cols: info.inWidth + kw,
    top: kh - info.padInfo.top,
    left: kw - info.padInfo.left,
  };
}

/** dY[n, oh, ow, co] → dY'[n, oh·s + top, ow·s + left, co], zero elsewhere. */
export function packDyForInputGrad(info: Conv2DInfo, dy: Float32Array, out: Float32Array): void {
  const { batchSize: N, outHeight: OH, outWidth: OW, outChannels: CO } = info;
  const { rows, cols, top, left } = inputGradLayout(info);
  out.fill(0);
  for (let n = 0; n < N; n++) {
    for (let oh = 0; oh < OH; oh++) {
      const i = oh * info.strideHeight + top;
      if (i < 0 || i >= rows) continue;
      for (let ow = 0; ow < OW; ow++) {
        const j = ow * info.strideWidth + left;
        if (j < 0 || j >= cols) continue;
        const src = ((n * OH + oh) * OW + ow) * CO;
        out.set(dy.subarray(src, src + CO), ((n * rows + i) * cols + j) * CO);
      }
    }
  }
}

/** W[kh, kw, ci, co] → W'[KH−1−kh, KW−1−kw, co, ci]. */
export function packFilterForInputGrad(info: Conv2DInfo, w: Float32Array, out: Float32Array): void {
  const { filterHeight: KH, filterWidth: KW, inChannels: C, outChannels: CO } = info;
  for (let kh = 0; kh < KH; kh++) {
    for (let kw = 0; kw < KW; kw++) {
      const src = (kh * KW + kw) * C * CO;
      const dst = ((KH - 1 - kh) * KW + (KW - 1 - kw)) * CO * C;
      for (let ci = 0; ci < C; ci++) {
        for (let co = 0; co < CO; co++) out[dst + co * C + ci] = w[src + ci * CO + co];
      }
    }
  }
}

function singleOutput(out: Tf.TensorInfo | Tf.TensorInfo[]): Tf.TensorInfo {
  if (Array.isArray(out)) {
    if (out.length !== 1) throw new Error('cnnc wasm kernel: expected one output from Conv2D');
    return out[0];
  }
  return out;
}

/**
 * Runs wasm's own (fast) Conv2D, 'valid', NHWC, on two buffers that `pack` fills: both gradient
 * kernels are such a convolution of rearranged operands. The packed buffers are freed; the result
 * belongs to the caller.
 */
function packedConv(
  tf: TfModule,
  backend: WasmBackendLike,
  xShape: number[],
  filterShape: number[],
  pack: (x: Float32Array, filter: Float32Array) => void,
  strides: [number, number],
  dilations: [number, number],
): Tf.TensorInfo {
  const conv = originalKernel(tf, 'Conv2D');
  // Allocate before taking heap views: an allocation may grow (and so detach) the wasm memory.
  const x = backend.makeOutput(xShape, 'float32');
  const filter = backend.makeOutput(filterShape, 'float32');
  pack(heapF32(backend, x), heapF32(backend, filter));
  const out = singleOutput(
    conv({
      inputs: { x, filter },
      backend,
      attrs: { strides, dilations, pad: 'valid', dataFormat: 'NHWC' },
    }),
  );
  backend.disposeData(x.dataId);
  backend.disposeData(filter.dataId);
  return out;
}

export function conv2DBackpropFilterByConv(
  tf: TfModule,
  backend: WasmBackendLike,
  inputs: Tf.NamedTensorInfoMap,
  attrs: Tf.NamedAttrMap,
): Tf.TensorInfo {
  requireNHWC(attrs);
  const x = requireInput(inputs, 'x');
  const dy = requireInput(inputs, 'dy');
  const filterShape = shape4Attr(attrs, 'filterShape');
  const info = forwardGeometry(tf, attrs, shape4(x, 'x'), filterShape, dy, false);
  const { batchSize: N, inChannels: C, outHeight: OH, outWidth: OW, outChannels: CO } = info;
  const { rows, cols } = reach(info);
  const g = packedConv(
    tf,
    backend,
    [C, rows, cols, N],
    [OH, OW, N, CO],
    (xPacked, dyPacked) => {
      packInputForFilterGrad(info, heapF32(backend, x), xPacked);
      packDyForFilterGrad(info, heapF32(backend, dy), dyPacked);
    },
    [info.dilationHeight, info.dilationWidth],
    [info.strideHeight, info.strideWidth],
  );
  const dw = backend.makeOutput(filterShape, 'float32');
  unpackFilterGrad(info, heapF32(backend, g), heapF32(backend, dw));
  backend.disposeData(g.dataId);
  return dw;
}

export function conv2DBackpropInputByConv(
  tf: TfModule,
  backend: WasmBackendLike,
  inputs: Tf.NamedTensorInfoMap,
  attrs: Tf.NamedAttrMap,
): Tf.TensorInfo {
  requireNHWC(attrs);
  const dy = requireInput(inputs, 'dy');
  const filter = requireInput(inputs, 'filter');
  const inputShape = shape4Attr(attrs, 'inputShape');
  const filterShape = shape4(filter, 'filter');
  const info = forwardGeometry(tf, attrs, inputShape, filterShape, dy, false);
  const { batchSize: N, filterHeight: KH, filterWidth: KW, inChannels: C } = info;
  const { outChannels: CO } = info;
  const { rows, cols } = inputGradLayout(info);
  const dx = packedConv(
    tf,
    backend,
    [N, rows, cols, CO],
    [KH, KW, CO, C],
    (dyPacked, wPacked) => {
      packDyForInputGrad(info, heapF32(backend, dy), dyPacked);
      packFilterForInputGrad(info, heapF32(backend, filter), wPacked);
    },
    [1, 1],
    [info.dilationHeight, info.dilationWidth],
  );
  const want = [N, info.inHeight, info.inWidth, C];
  if (dx.shape.length !== 4 || want.some((d, i) => dx.shape[i] !== d)) {
    backend.disposeData(dx.dataId);
    throw new Error(`cnnc wasm kernel: input gradient has shape [${dx.shape}], expected [${want}]`);
  }
  return dx;
}

/**
 * Conv2D as a direct SIMD loop (simd-conv.ts); null where wasm SIMD is unavailable, the
 * convolution is not float32 NHWC, or `when` refuses its geometry.
 */
export function conv2DSimd(
  tf: TfModule,
  backend: WasmBackendLike,
  inputs: Tf.NamedTensorInfoMap,
  attrs: Tf.NamedAttrMap,
  when: (info: Conv2DInfo) => boolean = () => true,
): Tf.TensorInfo | null {
  const format: unknown = attrs['dataFormat'];
  if (format !== undefined && format !== 'NHWC') return null;
  const x = requireInput(inputs, 'x');
  const filter = requireInput(inputs, 'filter');
  if (x.dtype !== 'float32' || filter.dtype !== 'float32') return null;
  const info = conv2DInfo(tf, attrs, shape4(x, 'x'), shape4(filter, 'filter'), false);
  const single = singleChannelConv(info);
  if (!single && !when(info)) return null;
  const memory = simdMemory(backend);
  if (memory === null) return null;
  const forward = single
    ? singleChannelForwardOf(memory, info)
    : convKernel(memory, info, 'forward');
  const y = backend.makeOutput(
    [info.batchSize, info.outHeight, info.outWidth, info.outChannels],
    'float32',
  );
  forward(
    heapF32(backend, x).byteOffset,
    heapF32(backend, filter).byteOffset,
    heapF32(backend, y).byteOffset,
  );
  return y;
}

/** Conv2DBackpropFilter as a direct SIMD loop (simd-conv.ts); null where wasm SIMD is unavailable. */
export function conv2DBackpropFilterSimd(
  tf: TfModule,
  backend: WasmBackendLike,
  inputs: Tf.NamedTensorInfoMap,
  attrs: Tf.NamedAttrMap,
): Tf.TensorInfo | null {
  const memory = simdMemory(backend);
  if (memory === null) return null;
  requireNHWC(attrs);
  const x = requireInput(inputs, 'x');
  const dy = requireInput(inputs, 'dy');
  const filterShape = shape4Attr(attrs, 'filterShape');
  const info = forwardGeometry(tf, attrs, shape4(x, 'x'), filterShape, dy, false);
  const filterGrad = convKernel(memory, info, 'filter');
  const dw = backend.makeOutput(filterShape, 'float32');
  const out = heapF32(backend, dw);
  out.fill(0);
  filterGrad(heapF32(backend, x).byteOffset, heapF32(backend, dy).byteOffset, out.byteOffset);
  return dw;
}

/** Conv2DBackpropInput as a direct SIMD loop (simd-conv.ts); null where wasm SIMD is unavailable. */
export function conv2DBackpropInputSimd(
  tf: TfModule,
  backend: WasmBackendLike,
  inputs: Tf.NamedTensorInfoMap,
  attrs: Tf.NamedAttrMap,
): Tf.TensorInfo | null {
  const memory = simdMemory(backend);
  if (memory === null) return null;
  requireNHWC(attrs);
  const dy = requireInput(inputs, 'dy');
  const filter = requireInput(inputs, 'filter');
  const inputShape = shape4Attr(attrs, 'inputShape');
  const filterShape = shape4(filter, 'filter');
  const info = forwardGeometry(tf, attrs, inputShape, filterShape, dy, false);
  if (narrowInputGrad(info)) {
    const dx = backend.makeOutput(inputShape, 'float32');
    narrowInputGradKernelOf(memory, info)(
      heapF32(backend, dy).byteOffset,
      heapF32(backend, filter).byteOffset,
      heapF32(backend, dx).byteOffset,
    );
    return dx;
  }
  const inputGrad = convKernel(memory, info, 'input');
  const [KH, KW, C, CO] = filterShape;
  const wt = backend.makeOutput([KH, KW, CO, C], 'float32');
  const dx = backend.makeOutput(inputShape, 'float32');
  transposeTaps(info, heapF32(backend, filter), heapF32(backend, wt));
  const out = heapF32(backend, dx);
  out.fill(0);
  inputGrad(heapF32(backend, dy).byteOffset, heapF32(backend, wt).byteOffset, out.byteOffset);
  backend.disposeData(wt.dataId);
  return dx;
}

function depthwiseBackpropFilter(
  tf: TfModule,
  backend: WasmBackendLike,
  inputs: Tf.NamedTensorInfoMap,
  attrs: Tf.NamedAttrMap,
): Tf.TensorInfo {
  const x = requireInput(inputs, 'x');
  const dy = requireInput(inputs, 'dy');
  const filterShape = shape4Attr(attrs, 'filterShape');
  const info = forwardGeometry(tf, attrs, shape4(x, 'x'), filterShape, dy, true);
  const dw = backend.makeOutput(filterShape, 'float32');
  depthwiseFilterGrad(info, heapF32(backend, x), heapF32(backend, dy), heapF32(backend, dw));
  return dw;
}

function depthwiseBackpropInput(
  tf: TfModule,
  backend: WasmBackendLike,
  inputs: Tf.NamedTensorInfoMap,
  attrs: Tf.NamedAttrMap,
): Tf.TensorInfo {
  const dy = requireInput(inputs, 'dy');
  const filter = requireInput(inputs, 'filter');
  const inputShape = shape4Attr(attrs, 'inputShape');
  const info = forwardGeometry(tf, attrs, inputShape, shape4(filter, 'filter'), dy, true);
  const dx = backend.makeOutput(inputShape, 'float32');
  depthwiseInputGrad(info, heapF32(backend, filter), heapF32(backend, dy), heapF32(backend, dx));
  return dx;
}

type GradKernel = (
  tf: TfModule,
  backend: WasmBackendLike,
  inputs: Tf.NamedTensorInfoMap,
  attrs: Tf.NamedAttrMap,
) => Tf.TensorInfo;

const kernels: Record<(typeof WASM_GRAD_KERNELS)[number], GradKernel> = {
  Conv2DBackpropFilter: (tf, backend, inputs, attrs) =>
    conv2DBackpropFilterSimd(tf, backend, inputs, attrs) ??
    conv2DBackpropFilterByConv(tf, backend, inputs, attrs),
  DepthwiseConv2dNativeBackpropFilter: depthwiseBackpropFilter,
  DepthwiseConv2dNativeBackpropInput: depthwiseBackpropInput,
};

/**
 * Registers the gradient kernels wasm lacks. Idempotent; a kernel that is already registered for
 * wasm (ours, or one a later tfjs ships) is left alone.
 */
export function registerWasmGradKernels(tf: TfModule): void {
  overrideConv2DBackpropInput(tf);
  overrideConv2D(tf);
  overrideWasmKernel(tf, 'MaxPoolGrad', () => (args) => maxPoolGrad(tf, args));
  overrideWasmKernel(tf, 'AvgPoolGrad', () => (args) => avgPoolGrad(tf, args));
  const fast = wasmOverrides(tf);
  for (const [kernelName, override] of Object.entries(fast)) {
    overrideWasmKernel(tf, kernelName, (original) => {
      if (original === undefined) throw new Error(`cnnc wasm kernel: wasm has no ${kernelName}`);
      return (args) => override(args, original.kernelFunc);
    });
  }
  registerFusedGrads(tf);
  registerFusedUpdate(tf);
  registerBiasActivation(tf);
  registerFusedBatchNorm(tf);
  for (const kernelName of WASM_GRAD_KERNELS) {
    if (tf.getKernel(kernelName, 'wasm') !== undefined) continue;
    const impl = kernels[kernelName];
    tf.registerKernel({
      kernelName,
      backendName: 'wasm',
      kernelFunc: ({ inputs, backend, attrs }) =>
        impl(tf, asWasmBackend(backend), inputs, attrs ?? {}),
    });
  }
}

/** The kernelFuncs cnnc registered in place of wasm's own, so that re-registering is a no-op. */
const overrides = new WeakSet<Tf.KernelFunc>();
/** wasm's own kernelFuncs that cnnc replaced, by kernel name. */
const originals = new Map<string, Tf.KernelFunc>();

/** wasm's own kernelFunc for `kernelName`, even where cnnc has replaced it. */
export function originalKernel(tf: TfModule, kernelName: string): Tf.KernelFunc {
  const own = originals.get(kernelName) ?? tf.getKernel(kernelName, 'wasm')?.kernelFunc;
  if (own === undefined) throw new Error(`cnnc wasm kernel: the wasm backend has no ${kernelName}`);
  return own;
}

/**
 * Replaces one of wasm's own kernels with `make(original)`, keeping the original's setupFunc and
 * disposeFunc (they run when the backend starts and stops). Idempotent.
 */
function overrideWasmKernel(
  tf: TfModule,
  kernelName: string,
  make: (original: Tf.KernelConfig | undefined) => Tf.KernelFunc,
): void {
  const original = tf.getKernel(kernelName, 'wasm');
  if (original !== undefined && overrides.has(original.kernelFunc)) return;
  const kernelFunc = make(original);
  overrides.add(kernelFunc);
  if (original !== undefined) originals.set(kernelName, original.kernelFunc);
  if (original !== undefined) tf.unregisterKernel(kernelName, 'wasm');
  tf.registerKernel({
    kernelName,
    backendName: 'wasm',
    kernelFunc,
    setupFunc: original?.setupFunc,
    disposeFunc: original?.disposeFunc,
  });
}

/**
 * Conv2D: where `directConvPays`, cnnc's direct SIMD loop (conv2DSimd), else wasm's own (XNNPACK).
 * Both sum the taps and input channels in the same order. Without relaxed SIMD they also round
 * alike and give the same bits; with it the direct loop's fused multiply-adds round once per step
 * (within 1e-5 of XNNPACK, conv-forward.test.ts), and the choice is fixed per layer shape, so a
 * layer's results do not change from step to step or between replicas.
 */
function overrideConv2D(tf: TfModule): void {
  overrideWasmKernel(tf, 'Conv2D', (original) => (args) => {
    const attrs = args.attrs ?? {};
    const ours = conv2DSimd(tf, asWasmBackend(args.backend), args.inputs, attrs, directConvPays);
    if (ours !== null) return ours;
    if (original === undefined) throw new Error('cnnc wasm kernel: the wasm backend has no Conv2D');
    return original.kernelFunc(args);
  });
}

/** Below this many output channels Conv2D takes XNNPACK (see directConvPays). */
export const DIRECT_CONV_MIN_CHANNELS = 32;

/** Filters up to this many bytes take the direct loop whatever their padding (see directConvPays). */
export const DIRECT_CONV_MAX_FILTER_BYTES = 1 << 20;

/**
 * Whether the direct loop beats XNNPACK on a convolution. XNNPACK multiplies the zero padding,
 * which is most of a 3x3 layer's taps on a 2x2 or 1x1 input: even with its filter packed, the last
 * 3x3 layers of ResNet-18 at 32x32 took 22 ms there against 1.5 ms on the direct loop, which skips
 * the taps in the padding. It also packs a filter the first time it meets the tensor (13-25 ns a
 * float), and a training step makes every filter new. The direct loop keeps register tiles of 4
 * images x 2 vectors (simd-conv-tile.ts), so each filter load feeds 4 multiply-adds, but it streams
 * the whole filter once per tile, where XNNPACK's GEMM blocks it for the cache: with the filter
 * in L2 (up to 1 MB) the direct loop ran 1.2-1.7x faster than XNNPACK with its repack on every
 * layer measured, padded or not (e.g. 64x16x16x64 3x3 28 against 39 ms, 4x56x56x64 3x3 25 against
 * 32, 8x28x28x128 3x3 48 against 61, 1x1 layers 64x8x8x64→256 3.9 against 4.4, ResNet-18's
 * stride-2 downsamples 0.5-0.7 against 0.7-1.6); beyond it, XNNPACK was 1.6-2.1x faster on
 * 8x14x14x256 and 16x7x7x512 3x3 (82 % of taps inside), even at 64x4x4x256 3x3 (69 % inside),
 * and 2-5x slower where under 70 % of the taps are inside (ResNet-18's 2x2 and 1x1 stages). With few
 * output channels the direct loop's vectors are short (LeNet-5's 6 and 16 ran 10-25% slower on
 * it); that also keeps XNNPACK's depthwise path for one input and one output channel, which sums
 * the taps in another order. Measured in CPU time per call, 1 thread, steady state (node
 * --no-liftoff: V8 runs a new kernel on its baseline compiler for its first 20-40 calls).
 */
export function directConvPays(info: Conv2DInfo): boolean {
  if (info.outChannels < DIRECT_CONV_MIN_CHANNELS) return false;
  const filterBytes = info.filterHeight * info.filterWidth * info.inChannels * info.outChannels * 4;
  if (filterBytes <= DIRECT_CONV_MAX_FILTER_BYTES) return true;
  if (info.inChannels < 16) return true;
  return tapsInside(info) < 0.75;
}

/** The share of (output position, tap) pairs whose tap lies inside the input, not in the padding. */
export function tapsInside(info: Conv2DInfo): number {
  const share = (out: number, k: number, s: number, d: number, pad: number, size: number) => {
    let inside = 0;
    for (let o = 0; o < out; o++) {
      for (let t = 0; t < k; t++) {
        const i = o * s + t * d - pad;
        if (i >= 0 && i < size) inside++;
      }
    }
    return inside / Math.max(1, out * k);
  };
  return (
    share(
      info.outHeight,
      info.filterHeight,
      info.strideHeight,
      info.dilationHeight,
      info.padInfo.top,
      info.inHeight,
    ) *
    share(
      info.outWidth,
      info.filterWidth,
      info.strideWidth,
      info.dilationWidth,
      info.padInfo.left,
      info.inWidth,
    )
  );
}

/** conv2DBackpropInput in place of wasm's own, falling back to it for dataFormat NCHW. */
function overrideConv2DBackpropInput(tf: TfModule): void {
  overrideWasmKernel(tf, 'Conv2DBackpropInput', (original) => (args) => {
    const attrs = args.attrs ?? {};
    const format: unknown = attrs['dataFormat'];
    if (format !== undefined && format !== 'NHWC') {
      if (original === undefined) requireNHWC(attrs);
      else return original.kernelFunc(args);
    }
    const backend = asWasmBackend(args.backend);
    return (
      conv2DBackpropInputSimd(tf, backend, args.inputs, attrs) ??
      conv2DBackpropInputByConv(tf, backend, args.inputs, attrs)
    );
  });
}
