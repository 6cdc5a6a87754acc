// Conv2D and its gradients as direct loops in WebAssembly SIMD, generated per layer shape
// (wasm-asm.ts) and run in place on the wasm backend's memory: no im2col buffer, no packing, no
// copies.
//
//   forward Y[n, oh, ow, :]  = Σ X[n, ih, iw, ci] · W[kh, kw, ci, :]      over every tap and ci
//   filter  dW[kh, kw, ci, :] += X[n, ih, iw, ci] · dY[n, oh, ow, :]      over every (n, oh, ow) and
//   input   dX[n, ih, iw, :] += dY[n, oh, ow, co] · Wᵀ[kh, kw, co, :]     tap with ih = oh·s + kh·d − pt
//                                                                          inside the input
// The vectors run along the contiguous channel axis (output channels for the forward pass and the
// filter gradient, input channels for the input gradient, with the filter transposed per tap
// beforehand); channels past a multiple of 4 take a scalar tail. A tap outside the input is
// skipped with one unsigned compare (a negative row is a huge unsigned one), or by the range of
// positions each tap reaches. The kernels keep register tiles of sums (simd-conv-tile.ts) over the
// walk of simd-conv-walk.ts; this file compiles them per geometry and transposes the filter.

import type { Conv2DInfo } from './kernel-utils.js';
import {
  convTiling,
  filterTileKernel,
  forwardTileKernel,
  inputTileKernel,
  TILE_LOCALS,
  type ConvTiling,
} from './simd-conv-tile.js';
import { compiled } from './simd-pool.js';
import { geometry, type Geometry } from './simd-conv-walk.js';
import { assemble, I32, type Code } from './wasm-asm.js';

type Kernel = (...pointers: number[]) => void;

/** The three kernels of a conv geometry: forward (x, w, y), filter (x, dy, dw), input (dy, wᵀ, dx). */
export type ConvKernel = 'forward' | 'filter' | 'input';

const BODIES: Readonly<Record<ConvKernel, (g: Geometry) => Code>> = {
  forward: forwardTileKernel,
  filter: filterTileKernel,
  input: inputTileKernel,
};

/** How the kernels of a convolution tile it (simd-conv-tile.ts). */
export function tilingOf(info: Conv2DInfo): ConvTiling {
  return convTiling(geometry(info));
}

/**
 * One kernel of a conv geometry, compiled on first use, once per memory and geometry (simd-pool's
 * cache): a step compiles only the kernels it runs (no input gradient for a first layer, no
 * forward loop where XNNPACK takes the layer), and each is a module of its own.
 */
export function convKernel(memory: object, info: Conv2DInfo, which: ConvKernel): Kernel {
  const g = geometry(info);
  return compiled(memory, `conv-${which}:${JSON.stringify(g)}`, () =>
    assemble([{ name: 'k', params: [I32, I32, I32], locals: TILE_LOCALS, body: BODIES[which](g) }]),
  );
}

/** Whether some output position reaches filter row (or column) t of the input: per axis. */
function reached(
  out: number,
  k: number,
  s: number,
  d: number,
  pad: number,
  size: number,
): boolean[] {
  return Array.from({ length: k }, (_, t) => {
    const lo = Math.max(0, Math.ceil((pad - t * d) / s));
    const hi = Math.min(out, Math.floor((size - 1 + pad - t * d) / s) + 1);
    return hi > lo;
  });
}

/** Block edge of the transpose: a block of W and one of Wᵀ (4 KB each) stay in the L1 cache. */
const BLOCK = 32;

/**
 * W[kh, kw, ci, co] → Wᵀ[kh, kw, co, ci] for the taps some output position reaches (the input
 * gradient reads no other: a 3x3 layer on a 1x1 input reaches only the centre tap), in blocks of
 * BLOCK x BLOCK so that the strided writes stay in the cache.
 */
export function transposeTaps(info: Conv2DInfo, w: Float32Array, out: Float32Array): void {
  const { filterHeight: KH, filterWidth: KW, inChannels: C, outChannels: CO } = info;
  const rows = reached(
    info.outHeight,
    KH,
    info.strideHeight,
    info.dilationHeight,
    info.padInfo.top,
    info.inHeight,
  );
  const cols = reached(
    info.outWidth,
    KW,
    info.strideWidth,
    info.dilationWidth,
    info.padInfo.left,
    info.inWidth,
  );
  for (let tap = 0; tap < KH * KW; tap++) {
    if (!rows[Math.floor(tap / KW)] || !cols[tap % KW]) continue;
    const base = tap * C * CO;
    for (let c0 = 0; c0 < C; c0 += BLOCK) {
      const c1 = Math.min(C, c0 + BLOCK);
      for (let o0 = 0; o0 < CO; o0 += BLOCK) {
        const o1 = Math.min(CO, o0 + BLOCK);
        for (let c = c0; c < c1; c++) {
          const from = base + c * CO;
          for (let o = o0; o < o1; o++) out[base + o * C + c] = w[from + o];
        }
      }
    }
  }
}
