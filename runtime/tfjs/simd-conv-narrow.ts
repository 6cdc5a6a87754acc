// Conv2DBackpropInput for layers with few input channels, as a generated WebAssembly SIMD loop
// (wasm-asm.ts) in place on the wasm backend's memory:
//
//   dX[n, ih, iw, c] = Σ over taps (kh, kw) with ih = oh·s + kh·d − pt, iw likewise, inside dY,
//                      of Σ_co dY[n, oh, ow, co] · W[kh, kw, c, co]
//
// simd-conv.ts's input gradient runs its vectors along the input channels, which a layer with
// fewer than 8 of them leaves mostly to a scalar tail (LeNet-5's second conv: 6 channels, 9.6
// GFLOP/s). Here the vectors run along the output channels, where both dY and W are contiguous:
// per dX pixel, one vector sum per input channel over every tap and output channel, then a
// horizontal add per channel. A tap is skipped when its output position is not a whole stride
// step or falls outside dY.

import type { Conv2DInfo } from './kernel-utils.js';
import { geometry } from './simd-conv-walk.js';
import { compiled } from './simd-pool.js';
import { assemble, F32, I32, loop, op, skipIf, V128, type Code } from './wasm-asm.js';

/**
 * Below this many input channels, and past a multiple of 4, the input gradient takes the narrow
 * kernel: simd-conv's register tiles run whole vectors of input channels and leave the rest to a
 * scalar tail. Measured (CPU ms, 1 thread, batch 64, after 40 warm-up calls, narrow / tiled):
 * 1 channel 0.54 / 1.42, 2: 0.78 / 2.41, 3: 4.57 / 18.3 (32x32), 6: 1.42 / 2.58 (LeNet-5's
 * 14x14x6→16 5x5) and 3.28 / 7.54, 7: 0.77 / 1.40; 5 ran the same (2.09 / 2.10); 4 and 8 ran
 * faster tiled (1.41 / 1.01, 0.86 / 0.67 and 1.78 / 1.61).
 */
export const NARROW_INPUT_CHANNELS = 8;

/** Whether the narrow kernel runs the input gradient of this layer. */
export function narrowInputGrad(info: Conv2DInfo): boolean {
  const C = info.inChannels;
  return C < NARROW_INPUT_CHANNELS && C % 4 !== 0 && info.outChannels >= 4;
}

/** Output-channel vectors unrolled per tap; more take a loop. */
const UNROLL = 8;

// Parameters (dy, w, dx), then i32 locals.
const [n, ih, iw, kh, kw, oh, ow, j, p, r, t] = [3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13];
const I32_LOCALS = 11;
const D = 3 + I32_LOCALS;
const acc = (c: number) => D + 1 + c;
const tailAcc = (C: number, c: number) => D + 1 + C + c;

/** Params (dy, w, dx), byte addresses; dX is written whole. */
function narrowInputGradKernel(info: Conv2DInfo): Code {
  const { i32, get, set, add, mul, sub, geU, f32, f32Add, f32Mul, f32Load, f32Store } = op;
  const { vAdd, vMul, vLoad, vZero, vLane } = op;
  const N = info.batchSize;
  const [H, W, C] = [info.inHeight, info.inWidth, info.inChannels];
  const [OH, OW, CO] = [info.outHeight, info.outWidth, info.outChannels];
  const [KH, KW] = [info.filterHeight, info.filterWidth];
  const [sh, sw, dh, dw] = [
    info.strideHeight,
    info.strideWidth,
    info.dilationHeight,
    info.dilationWidth,
  ];
  const [pt, pl] = [info.padInfo.top, info.padInfo.left];
  const V = Math.floor(CO / 4);
  const tail = CO % 4;
  /**
   * Sets `out` to the output coordinate of input coordinate `at` through tap `k` (local), or skips
   * the tap: t = at + pad − k·d must be a whole number of strides, t / s inside [0, size).
   */
  const through = (
    at: number,
    k: number,
    d: number,
    pad: number,
    s: number,
    size: number,
    out: number,
  ): Code => [
    set(t, sub(add(get(at), i32(pad)), mul(get(k), i32(d)))),
    // a negative t is a huge unsigned one
    skipIf(geU(get(t), i32(size * s))),
    s === 1
      ? set(out, get(t))
      : [
          skipIf([get(t), i32(s), 0x70 /* i32.rem_u */]),
          set(out, [get(t), i32(s), 0x6e /* i32.div_u */]),
        ],
  ];
  // per output-channel vector at byte offset `off` from p (dY row) and r (W row of channel 0)
  const vectorStep = (off: Code | null, constOff: number): Code => [
    set(D, vLoad(off === null ? get(p) : add(get(p), off), constOff)),
    Array.from({ length: C }, (_, c) =>
      set(
        acc(c),
        vAdd(
          get(acc(c)),
          vMul(get(D), vLoad(off === null ? get(r) : add(get(r), off), constOff + c * CO * 4)),
        ),
      ),
    ),
  ];
  const vectors: Code =
    V <= UNROLL
      ? Array.from({ length: V }, (_, v) => vectorStep(null, 16 * v))
      : loop(j, i32(0), i32(V * 16), vectorStep(get(j), 0), 16);
  const tails: Code = Array.from({ length: tail }, (_, k) =>
    Array.from({ length: C }, (_, c) =>
      set(
        tailAcc(C, c),
        f32Add(
          get(tailAcc(C, c)),
          f32Mul(f32Load(get(p), 16 * V + 4 * k), f32Load(get(r), c * CO * 4 + 16 * V + 4 * k)),
        ),
      ),
    ),
  );
  const tap: Code = [
    through(iw, kw, dw, pl, sw, OW, ow),
    set(
      p,
      add(get(0), mul(add(mul(add(mul(get(n), i32(OH)), get(oh)), i32(OW)), get(ow)), i32(CO * 4))),
    ),
    set(r, add(get(1), mul(add(mul(get(kh), i32(KW)), get(kw)), i32(C * CO * 4)))),
    vectors,
    tails,
  ];
  const perPixel: Code = [
    Array.from({ length: C }, (_, c) => [set(acc(c), vZero()), set(tailAcc(C, c), f32(0))]),
    loop(kh, i32(0), i32(KH), [
      through(ih, kh, dh, pt, sh, OH, oh),
      loop(kw, i32(0), i32(KW), tap),
    ]),
    set(
      p,
      add(get(2), mul(add(mul(add(mul(get(n), i32(H)), get(ih)), i32(W)), get(iw)), i32(C * 4))),
    ),
    Array.from({ length: C }, (_, c) =>
      f32Store(
        get(p),
        f32Add(
          f32Add(
            f32Add(vLane(get(acc(c)), 0), vLane(get(acc(c)), 1)),
            f32Add(vLane(get(acc(c)), 2), vLane(get(acc(c)), 3)),
          ),
          get(tailAcc(C, c)),
        ),
        4 * c,
      ),
    ),
  ];
  return loop(n, i32(0), i32(N), loop(ih, i32(0), i32(H), loop(iw, i32(0), i32(W), perPixel)));
}

/** The sizes a generated kernel is specialised to. */
const geometryKey = (info: Conv2DInfo): string => JSON.stringify(geometry(info));

/** Calls of the narrow kernel so far (tests check that the path ran). */
export const narrowRuns = { count: 0 };

/**
 * The narrow input-gradient kernel of a conv geometry, compiled once per memory and geometry;
 * each call counts as a run of the narrow path.
 */
export function narrowInputGradKernelOf(
  memory: object,
  info: Conv2DInfo,
): (dy: number, w: number, dx: number) => void {
  narrowRuns.count++;
  const C = info.inChannels;
  const locals = [
    ...new Array<typeof I32>(I32_LOCALS).fill(I32),
    ...new Array<typeof V128>(1 + C).fill(V128),
    ...new Array<typeof F32>(C).fill(F32),
  ];
  return compiled(memory, `narrow-dx:${geometryKey(info)}`, () =>
    assemble([{ name: 'k', params: [I32, I32, I32], locals, body: narrowInputGradKernel(info) }]),
  );
}

// ---------------------------------------------------------------------------------------------
// Conv2D of a single input channel (a first layer on grey images: LeNet-5's 32x32x1 → 6):
//
//   Y[n, oh, ow, co] = Σ over taps (kh, kw) inside X of X[n, ih, iw, 0] · W[kh, kw, 0, co]
//
// With one input channel the pixels of a row are contiguous, so the vectors run along the output
// positions: P vectors of 4 neighbouring positions per output channel, each tap one load of the
// row and one splat of the filter per channel. XNNPACK runs such a layer at ~9 GFLOP/s, its
// vectors mostly empty (6 output channels in lanes of 8). Positions whose taps reach into the
// width padding, and the last few of a row, take a scalar loop. Each output sums its taps in
// (kh, kw) order from zero, as XNNPACK does: the same bits.

/**
 * Whether the single-channel forward kernel runs this layer. One output channel stays on XNNPACK,
 * whose depthwise path for it sums the taps in another order (wasm-kernels.ts, directConvPays).
 */
export function singleChannelConv(info: Conv2DInfo): boolean {
  return (
    info.inChannels === 1 &&
    info.outChannels >= 2 &&
    info.outChannels <= SINGLE_MAX_CHANNELS &&
    info.strideWidth === 1 &&
    info.dilationWidth === 1
  );
}

/** Output channels at most: each keeps P vector sums in registers. */
const SINGLE_MAX_CHANNELS = 12;

function singleChannelForward(info: Conv2DInfo): Code {
  const { i32, get, set, add, mul, sub, geU, f32, f32Add, f32Mul, f32Load, f32Store } = op;
  const { vAdd, vMul, vLoad, vZero, vLane, vSplat } = op;
  const N = info.batchSize;
  const [H, W] = [info.inHeight, info.inWidth];
  const [OH, OW, CO] = [info.outHeight, info.outWidth, info.outChannels];
  const [KH, KW] = [info.filterHeight, info.filterWidth];
  const [sh, dh] = [info.strideHeight, info.dilationHeight];
  const [pt, pl] = [info.padInfo.top, info.padInfo.left];
  // P vectors of positions per block: 2·CO sums fit the registers up to 6 channels.
  const P = CO <= 6 ? 2 : 1;
  const BLOCK = 4 * P;
  // Positions whose KW taps all lie inside the row: iw = ow − pl + kw in [0, W).
  const lo = Math.min(OW, pl);
  const hi = Math.max(lo, Math.min(OW, W - KW + 1 + pl));
  const blocks = Math.floor((hi - lo) / BLOCK);
  const end = lo + blocks * BLOCK;
  // locals: 3 n, 4 oh, 5 ow, 6 kh, 7 ih, 8 row, 9 w row, 10 y, 11 iw
  const [ln, loh, low, lkh, lih, lrow, lw, ly, liw] = [3, 4, 5, 6, 7, 8, 9, 10, 11];
  const X0 = 12; // v128: P x vectors, a splat, CO·P sums
  const SPL = X0 + P;
  const sum = (co: number, p: number) => SPL + 1 + co * P + p;
  const S0 = SPL + 1 + CO * P; // f32: CO sums, a pixel
  const PIX = S0 + CO;
  const rowsOf = (body: Code): Code =>
    loop(lkh, i32(0), i32(KH), [
      set(lih, sub(add(mul(get(loh), i32(sh)), mul(get(lkh), i32(dh))), i32(pt))),
      skipIf(geU(get(lih), i32(H))),
      set(lw, add(get(1), mul(get(lkh), i32(KW * CO * 4)))),
      body,
    ]);
  const yAt = add(
    get(2),
    mul(add(mul(add(mul(get(ln), i32(OH)), get(loh)), i32(OW)), get(low)), i32(CO * 4)),
  );
  const block: Code = [
    Array.from({ length: CO }, (_, co) =>
      Array.from({ length: P }, (_, p) => set(sum(co, p), vZero())),
    ),
    rowsOf([
      set(
        lrow,
        add(
          get(0),
          mul(
            add(mul(add(mul(get(ln), i32(H)), get(lih)), i32(W)), sub(get(low), i32(pl))),
            i32(4),
          ),
        ),
      ),
      Array.from({ length: KW }, (_, kw) => [
        Array.from({ length: P }, (_, p) => set(X0 + p, vLoad(get(lrow), 4 * kw + 16 * p))),
        Array.from({ length: CO }, (_, co) => [
          set(SPL, vSplat(f32Load(get(lw), 4 * (kw * CO + co)))),
          Array.from({ length: P }, (_, p) =>
            set(sum(co, p), vAdd(get(sum(co, p)), vMul(get(X0 + p), get(SPL)))),
          ),
        ]),
      ]),
    ]),
    set(ly, yAt),
    Array.from({ length: P }, (_, p) =>
      Array.from({ length: 4 }, (_, l) =>
        Array.from({ length: CO }, (_, co) =>
          f32Store(get(ly), vLane(get(sum(co, p)), l), 4 * ((4 * p + l) * CO + co)),
        ),
      ),
    ),
  ];
  const scalarPosition: Code = [
    Array.from({ length: CO }, (_, co) => set(S0 + co, f32(0))),
    rowsOf(
      Array.from({ length: KW }, (_, kw) => [
        set(liw, add(sub(get(low), i32(pl)), i32(kw))),
        op.when(op.ltU(get(liw), i32(W)), [
          set(
            PIX,
            f32Load(
              add(
                get(0),
                mul(add(mul(add(mul(get(ln), i32(H)), get(lih)), i32(W)), get(liw)), i32(4)),
              ),
            ),
          ),
          Array.from({ length: CO }, (_, co) =>
            set(
              S0 + co,
              f32Add(get(S0 + co), f32Mul(get(PIX), f32Load(get(lw), 4 * (kw * CO + co)))),
            ),
          ),
        ]),
      ]),
    ),
    set(ly, yAt),
    Array.from({ length: CO }, (_, co) => f32Store(get(ly), get(S0 + co), 4 * co)),
  ];
  return loop(
    ln,
    i32(0),
    i32(N),
    loop(loh, i32(0), i32(OH), [
      lo > 0 ? loop(low, i32(0), i32(lo), scalarPosition) : [],
      blocks > 0 ? loop(low, i32(lo), i32(end), block, BLOCK) : [],
      end < OW ? loop(low, i32(end), i32(OW), scalarPosition) : [],
    ]),
  );
}

/** Calls of the single-channel forward kernel so far (tests check that the path ran). */
export const singleRuns = { count: 0 };

/** The single-channel forward kernel of a conv geometry, compiled once per memory and geometry. */
export function singleChannelForwardOf(
  memory: object,
  info: Conv2DInfo,
): (x: number, w: number, y: number) => void {
  singleRuns.count++;
  const P = info.outChannels <= 6 ? 2 : 1;
  const CO = info.outChannels;
  const locals = [
    ...new Array<typeof I32>(9).fill(I32),
    ...new Array<typeof V128>(P + 1 + CO * P).fill(V128),
    ...new Array<typeof F32>(CO + 1).fill(F32),
  ];
  return compiled(memory, `single-fwd:${geometryKey(info)}`, () =>
    assemble([{ name: 'k', params: [I32, I32, I32], locals, body: singleChannelForward(info) }]),
  );
}
