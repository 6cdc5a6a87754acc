// MaxPoolGrad and AvgPoolGrad for the wasm backend, as loops with the channel axis innermost: in
// WebAssembly SIMD (simd-pool.ts) where the host has it and the window has at most 25 taps, else in
// JavaScript (below).
//
// MaxPoolGrad: tfjs-backend-wasm 4.22's own kernel returns wrong gradients for some shapes (e.g. a
// 2x2 / 2 pool over [1, 4, 4, 1] or over an odd 3x3 map, and overlapping stride-1 windows; see
// test/runtime/tfjs/lower-wasm.test.ts). This one follows the cpu backend exactly: each window
// routes its gradient to the first position (in kh, kw order) holding its maximum.
// AvgPoolGrad: wasm's own is correct but ~10x slower than this loop. Like the cpu backend's, each
// window spreads dy / (kh·kw) over the positions of the window that lie inside the input.

import type * as Tf from '@tensorflow/tfjs';
import {
  asWasmBackend,
  heapF32,
  padAttr,
  pairAttr,
  requireInput,
  roundingAttr,
  shape4,
  simdMemory,
  type TfModule,
} from './kernel-utils.js';
import { MAX_POOL_TAPS, poolGradKernel, poolTiles, type PoolGeometry } from './simd-pool.js';

type PoolInfo = Tf.backend_util.Conv2DInfo;

function poolInfo(tf: TfModule, xShape: number[], attrs: Tf.NamedAttrMap): PoolInfo {
  return tf.backend_util.computePool2DInfo(
    xShape as [number, number, number, number],
    pairAttr(attrs, 'filterSize', 1),
    pairAttr(attrs, 'strides', 1),
    1,
    padAttr(attrs),
    roundingAttr(attrs),
  );
}

/** Calls `window(n, oh, ow, taps)` with the x offsets (channel 0) of the window's in-bounds taps. */
function forEachWindow(
  info: PoolInfo,
  window: (dyBase: number, taps: Int32Array, count: number) => void,
): void {
  const { batchSize: N, inHeight: H, inWidth: W, inChannels: C } = info;
  const { outHeight: OH, outWidth: OW, filterHeight: KH, filterWidth: KW } = info;
  const { strideHeight: sh, strideWidth: sw } = info;
  const pt = info.padInfo.top;
  const pl = info.padInfo.left;
  const taps = new Int32Array(KH * KW);
  for (let n = 0; n < N; n++) {
    for (let oh = 0; oh < OH; oh++) {
      for (let ow = 0; ow < OW; ow++) {
        let count = 0;
        for (let kh = 0; kh < KH; kh++) {
          const ih = oh * sh - pt + kh;
          if (ih < 0 || ih >= H) continue;
          for (let kw = 0; kw < KW; kw++) {
            const iw = ow * sw - pl + kw;
            if (iw < 0 || iw >= W) continue;
            taps[count++] = ((n * H + ih) * W + iw) * C;
          }
        }
        window(((n * OH + oh) * OW + ow) * C, taps, count);
      }
    }
  }
}

/** dx of a max pool: dy of each window added at the first position of its maximum. */
export function maxPoolGradInto(
  info: PoolInfo,
  x: Float32Array,
  dy: Float32Array,
  dx: Float32Array,
): void {
  const C = info.inChannels;
  const best = new Float32Array(C);
  const at = new Int32Array(C);
  dx.fill(0);
  forEachWindow(info, (dyBase, taps, count) => {
    if (count === 0) return;
    const first = taps[0];
    for (let c = 0; c < C; c++) {
      best[c] = x[first + c];
      at[c] = first + c;
    }
    for (let t = 1; t < count; t++) {
      const base = taps[t];
      for (let c = 0; c < C; c++) {
        const v = x[base + c];
        if (v > best[c]) {
          best[c] = v;
          at[c] = base + c;
        }
      }
    }
    for (let c = 0; c < C; c++) dx[at[c]] += dy[dyBase + c];
  });
}

/** dx of an average pool: dy / (kh·kw) added at every in-bounds position of each window. */
export function avgPoolGradInto(info: PoolInfo, dy: Float32Array, dx: Float32Array): void {
  const C = info.inChannels;
  const scale = 1 / (info.filterHeight * info.filterWidth);
  dx.fill(0);
  forEachWindow(info, (dyBase, taps, count) => {
    for (let t = 0; t < count; t++) {
      const base = taps[t];
      for (let c = 0; c < C; c++) dx[base + c] += dy[dyBase + c] * scale;
    }
  });
}

function simdGeometry(info: PoolInfo): PoolGeometry | null {
  if (info.filterHeight * info.filterWidth > MAX_POOL_TAPS) return null;
  return {
    N: info.batchSize,
    H: info.inHeight,
    W: info.inWidth,
    C: info.inChannels,
    OH: info.outHeight,
    OW: info.outWidth,
    KH: info.filterHeight,
    KW: info.filterWidth,
    sh: info.strideHeight,
    sw: info.strideWidth,
    pt: info.padInfo.top,
    pl: info.padInfo.left,
  };
}

/** A pool gradient: the SIMD kernel where there is one, else `js` on heap views. */
function poolGrad(
  tf: TfModule,
  args: Parameters<Tf.KernelFunc>[0],
  kind: 'max' | 'avg',
  js: (info: PoolInfo, x: Float32Array, dy: Float32Array, dx: Float32Array) => void,
): Tf.TensorInfo {
  const backend = asWasmBackend(args.backend);
  const dy = requireInput(args.inputs, 'dy');
  const x = requireInput(args.inputs, 'input');
  const xShape = shape4(x, 'input');
  const info = poolInfo(tf, xShape, args.attrs ?? {});
  const out = backend.makeOutput([...xShape], 'float32');
  // Views after makeOutput: allocating may grow the heap and detach earlier views.
  const [xv, dyv, dxv] = [heapF32(backend, x), heapF32(backend, dy), heapF32(backend, out)];
  const memory = simdMemory(backend);
  const geometry = memory === null ? null : simdGeometry(info);
  if (memory !== null && geometry !== null) {
    if (!poolTiles(geometry)) dxv.fill(0);
    poolGradKernel(memory, kind, geometry)(xv.byteOffset, dyv.byteOffset, dxv.byteOffset);
  } else {
    js(info, xv, dyv, dxv);
  }
  return out;
}

/** The MaxPoolGrad kernel; runtime/tfjs/wasm-kernels.ts registers it for wasm. */
export function maxPoolGrad(tf: TfModule, args: Parameters<Tf.KernelFunc>[0]): Tf.TensorInfo {
  return poolGrad(tf, args, 'max', maxPoolGradInto);
}

/** The AvgPoolGrad kernel; runtime/tfjs/wasm-kernels.ts registers it for wasm. */
export function avgPoolGrad(tf: TfModule, args: Parameters<Tf.KernelFunc>[0]): Tf.TensorInfo {
  return poolGrad(tf, args, 'avg', (info, _x, dy, dx) => avgPoolGradInto(info, dy, dx));
}
