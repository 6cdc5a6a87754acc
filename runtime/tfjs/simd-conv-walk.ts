// The walk over a convolution's positions and taps that cnnc's generated SIMD conv kernels share
// (simd-conv.ts, simd-conv-tile.ts): the layer's geometry as constants, the i32 locals every
// kernel uses, the tap loop that skips taps in the padding, and the byte addresses of a pixel.

import type { Conv2DInfo } from './kernel-utils.js';
import { loop, op, skipIf, type Code } from './wasm-asm.js';

export function geometry(info: Conv2DInfo) {
  return {
    N: info.batchSize,
    H: info.inHeight,
    W: info.inWidth,
    C: info.inChannels,
    OH: info.outHeight,
    OW: info.outWidth,
    CO: info.outChannels,
    KH: info.filterHeight,
    KW: info.filterWidth,
    sh: info.strideHeight,
    sw: info.strideWidth,
    dh: info.dilationHeight,
    dw: info.dilationWidth,
    pt: info.padInfo.top,
    pl: info.padInfo.left,
  };
}
export type Geometry = ReturnType<typeof geometry>;

// i32 locals of every kernel (after the three pointer parameters 0, 1, 2).
export const [n, oh, ow, kh, kw, ci, ih, iw, p, q, r, s] = [
  3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14,
];
export const I32_LOCALS = 12;
/** The first local after the i32 ones. */
export const FIRST_V = 3 + I32_LOCALS;

/** The (kh, kw) taps of output position (oh, ow) inside the input; `tap` runs with ih, iw set. */
export function taps(g: Geometry, tap: Code): Code {
  const { i32, get, set, add, mul, sub, geU } = op;
  return loop(kh, i32(0), i32(g.KH), [
    set(ih, sub(add(mul(get(oh), i32(g.sh)), mul(get(kh), i32(g.dh))), i32(g.pt))),
    skipIf(geU(get(ih), i32(g.H))),
    loop(kw, i32(0), i32(g.KW), [
      set(iw, sub(add(mul(get(ow), i32(g.sw)), mul(get(kw), i32(g.dw))), i32(g.pl))),
      skipIf(geU(get(iw), i32(g.W))),
      tap,
    ]),
  ]);
}

/** Byte address of dY[n, oh, ow, 0] (parameter `dy`). */
export function dyRow(g: Geometry, dy: number): Code {
  const { i32, get, add, mul } = op;
  return add(
    get(dy),
    mul(add(mul(add(mul(get(n), i32(g.OH)), get(oh)), i32(g.OW)), get(ow)), i32(g.CO * 4)),
  );
}

/** Byte address of the input pixel [n, ih, iw, 0] in a tensor at parameter `base`. */
export function pixel(g: Geometry, base: number): Code {
  const { i32, get, add, mul } = op;
  return add(
    get(base),
    mul(add(mul(add(mul(get(n), i32(g.H)), get(ih)), i32(g.W)), get(iw)), i32(g.C * 4)),
  );
}
