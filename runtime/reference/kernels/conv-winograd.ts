/**
 * Winograd F(2×2, 3×3) convolution (Lavin & Gray, "Fast Algorithms for Convolutional Neural
 * Networks", 2016) for float32 3×3 convolutions with stride 1, dilation 1 and one group — the
 * convolution of VGG, ResNet and most of every modern CNN — forward and both gradients.
 *
 * The output is cut into 2×2 tiles; tile t reads the 4×4 input window d at (2·ty − pt, 2·tx − pl).
 * With the transforms
 *
 *   Bᵀ = [1 0 −1 0; 0 1 1 0; 0 −1 1 0; 0 1 0 −1]   G = [1 0 0; ½ ½ ½; ½ −½ ½; 0 0 1]
 *   Aᵀ = [1 1 1 0; 0 1 −1 −1]
 *
 * the output tile is Y = Aᵀ [Σ_c U_c ⊙ V_c] A with V = Bᵀ d B (per input channel) and U = G g Gᵀ
 * (per filter slice g = W[·, ·, c, o]). For each of the 16 positions ξ of the 4×4 transformed
 * tile the channel sum is a matrix product, M_ξ[tiles × CO] = V_ξ[tiles × C] · U_ξ[C × CO], which
 * runs on the GEMM micro-kernel of gemm.ts. A 2×2 output tile costs 16 multiplies per (c, o) pair
 * instead of 36: 2.25 times fewer than im2col, for a few additions in the transforms.
 *
 *   input gradient  a Winograd forward pass over dY with the filter rotated by 180° and its
 *                   channel axes swapped, padded 2 − pt (the adjoint of a stride-1 convolution)
 *   filter gradient dU_ξ[C × CO] = Σ_tiles V_ξᵀ · dM_ξ with dM = A dY_tile Aᵀ (the adjoint of
 *                   the output transform), then dW = Gᵀ dU G (the adjoint of the filter transform)
 *
 * Transforms and products are done in float64 (the panels are Float64Array) and rounded to float32
 * once at the end, so the results agree with the im2col path (conv-gemm.ts) to float32 rounding;
 * test/runtime/reference/conv-gemm.test.ts checks both against naive loops and against each
 * other. conv.ts chooses this path where
 * `winogradApplies`; CNNC_NO_WINOGRAD=1 (or configureWinograd(false)) turns it off.
 *
 * Threads (parallel.ts) take blocks of tiles from a shared counter: output tiles do not overlap, and
 * each thread sums its own filter-gradient partial. The task functions run in workers from their
 * text: they call only their arguments, globals, each other and GEMM (see gemm.ts).
 */
import { GEMM as GEMM_MODULE, GEMM_WORKER_SOURCE, packedBSize } from '../gemm.js';
import {
  addPartials,
  runOnAllThreads,
  shared,
  sharedCounter,
  sharedFloat32,
  sharedFloat64,
  threadsFor,
  type TaskLibrary,
} from '../parallel.js';
import { convMacs, type ConvGeometry } from './conv-gemm.js';

const GEMM = GEMM_MODULE;

/** Tiles per block: forward (rows of each GEMM); filter gradient (depth of each GEMM). */
const TILES = 48;
const TILES_DW = 96;

/**
 * Below this many input or output channels the transforms cost more than the multiplies they
 * save (the 3-channel first layer of an image model): those convolutions stay on im2col.
 */
const MIN_CHANNELS = 8;
/**
 * Below this output height or width the tiles' overhang (a 5×5 output is cut into 3×3 tiles
 * covering 6×6) eats the gain: measured slower than im2col at 5×5, faster from 7×7.
 */
const MIN_SIZE = 6;

let enabled = typeof process === 'undefined' || process.env.CNNC_NO_WINOGRAD !== '1';

/** Turns the Winograd path on or off (tests compare it with im2col); returns the previous state. */
export function configureWinograd(on: boolean): boolean {
  const prev = enabled;
  enabled = on;
  return prev;
}

/** Whether conv.ts should run this convolution (float32) with Winograd F(2×2, 3×3). */
export function winogradApplies(geo: ConvGeometry): boolean {
  return (
    enabled &&
    geo.kh === 3 &&
    geo.kw === 3 &&
    geo.sh === 1 &&
    geo.sw === 1 &&
    geo.dh === 1 &&
    geo.dw === 1 &&
    geo.groups === 1 &&
    geo.c >= MIN_CHANNELS &&
    geo.co >= MIN_CHANNELS &&
    geo.oh >= MIN_SIZE &&
    geo.ow >= MIN_SIZE
  );
}

/**
 * V = Bᵀ d B of the 4×4 window at (y0, x0) of image `img` of x [·, h, w, C] (zero outside), for
 * every channel c, written to v[base + ⌊c/3⌋·G + (c mod 3)·L + ξ·S] — the caller's panel layout.
 * Windows that cross the border are first copied into `buf` (16·C floats) with zeros.
 */
// prettier-ignore
export function winogradInputTile(
  x: Float32Array, h: number, w: number, C: number, img: number, y0: number, x0: number,
  buf: Float32Array, v: Float64Array, base: number, G: number, L: number, S: number,
): void {
  let src = x;
  let o = ((img * h + y0) * w + x0) * C;
  let rs = w * C;
  if (y0 < 0 || x0 < 0 || y0 + 4 > h || x0 + 4 > w) {
    for (let r = 0; r < 4; r++)
      for (let s = 0; s < 4; s++) {
        const yy = y0 + r, xx = x0 + s, at = (r * 4 + s) * C;
        if (yy >= 0 && yy < h && xx >= 0 && xx < w) {
          const from = ((img * h + yy) * w + xx) * C;
          for (let c = 0; c < C; c++) buf[at + c] = x[from + c];
        } else for (let c = 0; c < C; c++) buf[at + c] = 0;
      }
    src = buf;
    o = 0;
    rs = 4 * C;
  }
  const p1 = C, p2 = 2 * C, p3 = 3 * C, r1 = rs, r2 = 2 * rs, r3 = 3 * rs;
  for (let c = 0, q = base; c < C; q += G) {
    for (let l = 0; l < 3 && c < C; l++, c++) {
      const a = o + c;
      const d00 = src[a], d01 = src[a + p1], d02 = src[a + p2], d03 = src[a + p3];
      const d10 = src[a + r1], d11 = src[a + r1 + p1], d12 = src[a + r1 + p2], d13 = src[a + r1 + p3];
      const d20 = src[a + r2], d21 = src[a + r2 + p1], d22 = src[a + r2 + p2], d23 = src[a + r2 + p3];
      const d30 = src[a + r3], d31 = src[a + r3 + p1], d32 = src[a + r3 + p2], d33 = src[a + r3 + p3];
      // t = Bᵀ d (rows), then v = t B (columns).
      const t00 = d00 - d20, t01 = d01 - d21, t02 = d02 - d22, t03 = d03 - d23;
      const t10 = d10 + d20, t11 = d11 + d21, t12 = d12 + d22, t13 = d13 + d23;
      const t20 = d20 - d10, t21 = d21 - d11, t22 = d22 - d12, t23 = d23 - d13;
      const t30 = d10 - d30, t31 = d11 - d31, t32 = d12 - d32, t33 = d13 - d33;
      const at = q + l * L;
      v[at] = t00 - t02; v[at + S] = t01 + t02; v[at + 2 * S] = t02 - t01; v[at + 3 * S] = t01 - t03;
      v[at + 4 * S] = t10 - t12; v[at + 5 * S] = t11 + t12; v[at + 6 * S] = t12 - t11; v[at + 7 * S] = t11 - t13;
      v[at + 8 * S] = t20 - t22; v[at + 9 * S] = t21 + t22; v[at + 10 * S] = t22 - t21; v[at + 11 * S] = t21 - t23;
      v[at + 12 * S] = t30 - t32; v[at + 13 * S] = t31 + t32; v[at + 14 * S] = t32 - t31; v[at + 15 * S] = t31 - t33;
    }
  }
}

/**
 * Y = conv(X, W) + bias by Winograd over blocks of `tiles` output tiles taken from `counter`; `up`
 * holds the 16 transformed filter panels (winogradFilterPanels).
 */
// prettier-ignore
export function winogradForwardTask(
  x: Float32Array, up: Float64Array, bias: Float32Array | null, y: Float32Array, geo: ConvGeometry,
  counter: Int32Array, tiles: number,
): void {
  const { n, h, w, c: C, oh, ow, co: CO, pt, pl } = geo;
  const tilesX = Math.ceil(ow / 2), perImage = tilesX * Math.ceil(oh / 2), all = n * perImage;
  const blocks = Math.ceil(all / tiles);
  const S = GEMM.packedASize(tiles, C);
  const vp = new Float64Array(16 * S);
  const panel = GEMM.packedBSize(CO, C);
  const MS = tiles * CO;
  const M = new Float64Array(16 * MS);
  const buf = new Float32Array(16 * C);
  const tile = new Float64Array(9);
  for (let b = Atomics.add(counter, 0, 1); b < blocks; b = Atomics.add(counter, 0, 1)) {
    const t0 = b * tiles, tb = Math.min(tiles, all - t0);
    for (let i = 0; i < tb; i++) {
      const t = t0 + i, img = Math.floor(t / perImage), p = t - img * perImage;
      const ty = Math.floor(p / tilesX), tx = p - ty * tilesX;
      const base = (i - (i % 3)) * C + (i % 3);
      winogradInputTile(x, h, w, C, img, 2 * ty - pt, 2 * tx - pl, buf, vp, base, 9, 3, S);
    }
    for (let xi = 0; xi < 16; xi++)
      GEMM.gemmPacked(vp, up, xi * panel, tb, CO, C, M, xi * MS, CO, false, tile, xi * S);
    // Y = Aᵀ M A per tile and output channel; the bottom/right outputs of a tile may fall outside.
    for (let i = 0; i < tb; i++) {
      const t = t0 + i, img = Math.floor(t / perImage), p = t - img * perImage;
      const ty = Math.floor(p / tilesX), tx = p - ty * tilesX;
      const oy = 2 * ty, ox = 2 * tx, right = ox + 1 < ow, down = oy + 1 < oh;
      const yo = ((img * oh + oy) * ow + ox) * CO, yr = yo + CO, yd = yo + ow * CO, yrd = yd + CO;
      for (let j = 0, m = i * CO; j < CO; j++, m++) {
        const m00 = M[m], m01 = M[m + MS], m02 = M[m + 2 * MS], m03 = M[m + 3 * MS];
        const m10 = M[m + 4 * MS], m11 = M[m + 5 * MS], m12 = M[m + 6 * MS], m13 = M[m + 7 * MS];
        const m20 = M[m + 8 * MS], m21 = M[m + 9 * MS], m22 = M[m + 10 * MS], m23 = M[m + 11 * MS];
        const m30 = M[m + 12 * MS], m31 = M[m + 13 * MS], m32 = M[m + 14 * MS], m33 = M[m + 15 * MS];
        const s00 = m00 + m10 + m20, s01 = m01 + m11 + m21, s02 = m02 + m12 + m22, s03 = m03 + m13 + m23;
        const s10 = m10 - m20 - m30, s11 = m11 - m21 - m31, s12 = m12 - m22 - m32, s13 = m13 - m23 - m33;
        const bj = bias === null ? 0 : bias[j];
        y[yo + j] = s00 + s01 + s02 + bj;
        if (right) y[yr + j] = s01 - s02 - s03 + bj;
        if (down) y[yd + j] = s10 + s11 + s12 + bj;
        if (right && down) y[yrd + j] = s11 - s12 - s13 + bj;
      }
    }
  }
}

/**
 * This thread's dU partial (float64, 16 × [C × CO] at partials[t·16·C·CO]) += Σ V_ξᵀ · dM_ξ over
 * blocks of `tiles` tiles taken from `counter`.
 */
// prettier-ignore
export function winogradFilterGradTask(
  x: Float32Array, dy: Float32Array, partials: Float64Array, geo: ConvGeometry, counter: Int32Array,
  tiles: number, t: number,
): void {
  const { n, h, w, c: C, oh, ow, co: CO, pt, pl } = geo;
  const tilesX = Math.ceil(ow / 2), perImage = tilesX * Math.ceil(oh / 2), all = n * perImage;
  const blocks = Math.ceil(all / tiles);
  const vt = new Float64Array(16 * GEMM.packedASize(C, tiles));
  const dm = new Float64Array(16 * GEMM.packedBSize(CO, tiles));
  const buf = new Float32Array(16 * C);
  const tile = new Float64Array(9);
  const size = C * CO;
  for (let b = Atomics.add(counter, 0, 1); b < blocks; b = Atomics.add(counter, 0, 1)) {
    const t0 = b * tiles, tb = Math.min(tiles, all - t0);
    const SA = GEMM.packedASize(C, tb), SB = GEMM.packedBSize(CO, tb), G = 3 * tb;
    for (let i = 0; i < tb; i++) {
      const tt = t0 + i, img = Math.floor(tt / perImage), p = tt - img * perImage;
      const ty = Math.floor(p / tilesX), tx = p - ty * tilesX;
      winogradInputTile(x, h, w, C, img, 2 * ty - pt, 2 * tx - pl, buf, vt, 3 * i, G, 1, SA);
      // dM = A dY Aᵀ of the tile's 2×2 output gradient (zero outside the output).
      const oy = 2 * ty, ox = 2 * tx, right = ox + 1 < ow, down = oy + 1 < oh;
      const yo = ((img * oh + oy) * ow + ox) * CO, yr = yo + CO, yd = yo + ow * CO, yrd = yd + CO;
      for (let j = 0, q = 3 * i; j < CO; q += G) {
        for (let l = 0; l < 3 && j < CO; l++, j++) {
          const e00 = dy[yo + j], e01 = right ? dy[yr + j] : 0;
          const e10 = down ? dy[yd + j] : 0, e11 = right && down ? dy[yrd + j] : 0;
          // Rows of A dY: e0·, e0· + e1·, e0· − e1·, −e1·; then each row [a, b] ↦ [a, a+b, a−b, −b].
          const f0 = e00, g0 = e01, f1 = e00 + e10, g1 = e01 + e11;
          const f2 = e00 - e10, g2 = e01 - e11, f3 = -e10, g3 = -e11;
          const at = q + l;
          dm[at] = f0; dm[at + SB] = f0 + g0; dm[at + 2 * SB] = f0 - g0; dm[at + 3 * SB] = -g0;
          dm[at + 4 * SB] = f1; dm[at + 5 * SB] = f1 + g1; dm[at + 6 * SB] = f1 - g1; dm[at + 7 * SB] = -g1;
          dm[at + 8 * SB] = f2; dm[at + 9 * SB] = f2 + g2; dm[at + 10 * SB] = f2 - g2; dm[at + 11 * SB] = -g2;
          dm[at + 12 * SB] = f3; dm[at + 13 * SB] = f3 + g3; dm[at + 14 * SB] = f3 - g3; dm[at + 15 * SB] = -g3;
        }
      }
    }
    for (let xi = 0; xi < 16; xi++)
      GEMM.gemmPacked(vt, dm, xi * SB, C, CO, tb, partials, (t * 16 + xi) * size, CO, true, tile, xi * SA);
  }
}

/** What the workers run. */
export const WINOGRAD_LIBRARY: TaskLibrary = {
  prelude: GEMM_WORKER_SOURCE,
  functions: [winogradInputTile, winogradForwardTask, winogradFilterGradTask],
};

/**
 * The 16 B panels U_ξ [⌈cout/3⌉][cin][3] of U = G g Gᵀ, where g[ky][kx] for in-channel k and
 * out-channel j is w[tap(ky, kx) + k·sk + j·sj] and tap(ky, kx) = (ky·3 + kx)·cin·cout — or, with
 * `rotate`, the tap (2 − ky, 2 − kx) (the input gradient's filter).
 */
// prettier-ignore
function filterPanels(
  w: Float32Array, cin: number, cout: number, sk: number, sj: number, rotate: boolean, out: Float64Array,
): void {
  const panel = packedBSize(cout, cin), plane = cin * cout;
  const tap = (ky: number, kx: number) => (rotate ? (2 - ky) * 3 + (2 - kx) : ky * 3 + kx) * plane;
  const t00 = tap(0, 0), t01 = tap(0, 1), t02 = tap(0, 2), t10 = tap(1, 0), t11 = tap(1, 1);
  const t12 = tap(1, 2), t20 = tap(2, 0), t21 = tap(2, 1), t22 = tap(2, 2);
  for (let k = 0; k < cin; k++)
    for (let j = 0; j < cout; j++) {
      const o = k * sk + j * sj;
      const g00 = w[t00 + o], g01 = w[t01 + o], g02 = w[t02 + o];
      const g10 = w[t10 + o], g11 = w[t11 + o], g12 = w[t12 + o];
      const g20 = w[t20 + o], g21 = w[t21 + o], g22 = w[t22 + o];
      // r = G g (rows), then u = r Gᵀ (columns), written row by row.
      const r10 = (g00 + g10 + g20) / 2, r11 = (g01 + g11 + g21) / 2, r12 = (g02 + g12 + g22) / 2;
      const r20 = (g00 - g10 + g20) / 2, r21 = (g01 - g11 + g21) / 2, r22 = (g02 - g12 + g22) / 2;
      const at = (j - (j % 3)) * cin + k * 3 + (j % 3);
      out[at] = g00; out[panel + at] = (g00 + g01 + g02) / 2;
      out[2 * panel + at] = (g00 - g01 + g02) / 2; out[3 * panel + at] = g02;
      out[4 * panel + at] = r10; out[5 * panel + at] = (r10 + r11 + r12) / 2;
      out[6 * panel + at] = (r10 - r11 + r12) / 2; out[7 * panel + at] = r12;
      out[8 * panel + at] = r20; out[9 * panel + at] = (r20 + r21 + r22) / 2;
      out[10 * panel + at] = (r20 - r21 + r22) / 2; out[11 * panel + at] = r22;
      out[12 * panel + at] = g20; out[13 * panel + at] = (g20 + g21 + g22) / 2;
      out[14 * panel + at] = (g20 - g21 + g22) / 2; out[15 * panel + at] = g22;
    }
}

function forward(
  x: Float32Array,
  up: Float64Array,
  bias: Float32Array | null,
  geo: ConvGeometry,
  threads: number,
): Float32Array {
  const size = geo.n * geo.oh * geo.ow * geo.co;
  const y = threads > 1 ? sharedFloat32(size) : new Float32Array(size);
  const xs = threads > 1 ? shared(x) : x;
  const bs = bias === null ? null : threads > 1 ? shared(bias) : bias;
  runOnAllThreads(
    WINOGRAD_LIBRARY,
    winogradForwardTask,
    [xs, up, bs, y, geo, sharedCounter(), TILES],
    threads,
  );
  return y;
}

function panels(threads: number, cin: number, cout: number): Float64Array {
  const n = 16 * packedBSize(cout, cin);
  return threads > 1 ? sharedFloat64(n) : new Float64Array(n);
}

/** Y [n, oh, ow, co] = conv(X, W [3, 3, c, co]) + bias (stride 1, `winogradApplies`), float32. */
export function winogradForwardF32(
  x: Float32Array,
  w: Float32Array,
  geo: ConvGeometry,
  bias: Float32Array | null = null,
): Float32Array {
  const threads = threadsFor(2 * convMacs(geo));
  const up = panels(threads, geo.c, geo.co);
  filterPanels(w, geo.c, geo.co, geo.co, 1, false, up);
  return forward(x, up, bias, geo, threads);
}

/** dX [n, h, w, c] of winogradForwardF32 given dY [n, oh, ow, co], float32. */
export function winogradInputGradF32(
  dy: Float32Array,
  w: Float32Array,
  geo: ConvGeometry,
): Float32Array {
  const threads = threadsFor(2 * convMacs(geo));
  // The adjoint of a stride-1 convolution: dY convolved with W rotated by 180°, channels swapped.
  const up = panels(threads, geo.co, geo.c);
  filterPanels(w, geo.co, geo.c, 1, geo.co, true, up);
  const adjoint: ConvGeometry = {
    ...geo,
    h: geo.oh,
    w: geo.ow,
    c: geo.co,
    oh: geo.h,
    ow: geo.w,
    co: geo.c,
    pt: 2 - geo.pt,
    pl: 2 - geo.pl,
  };
  return forward(dy, up, null, adjoint, threads);
}

/** dW [3, 3, c, co] of winogradForwardF32 given X and dY, float32 (summed in float64). */
// prettier-ignore
export function winogradFilterGradF32(
  x: Float32Array,
  dy: Float32Array,
  geo: ConvGeometry,
): Float32Array {
  const threads = threadsFor(2 * convMacs(geo));
  const C = geo.c, CO = geo.co, size = C * CO;
  const partials = threads > 1 ? sharedFloat64(16 * size * threads) : new Float64Array(16 * size);
  const xs = threads > 1 ? shared(x) : x;
  const dys = threads > 1 ? shared(dy) : dy;
  runOnAllThreads(
    WINOGRAD_LIBRARY,
    winogradFilterGradTask,
    [xs, dys, partials, geo, sharedCounter(), TILES_DW],
    threads,
  );
  // dW = Gᵀ dU G per (c, co), dU summed over the threads' partials.
  const dU = new Float64Array(16 * size);
  addPartials(partials, 16 * size, dU);
  const dw = new Float32Array(9 * size);
  const e = new Float64Array(16);
  for (let o = 0; o < size; o++) {
    for (let xi = 0; xi < 16; xi++) e[xi] = dU[xi * size + o];
    // f = Gᵀ e (rows; Gᵀ = [1 ½ ½ 0; 0 ½ −½ 0; 0 ½ ½ 1]), then dW = f G (columns).
    for (let ky = 0; ky < 3; ky++) {
      let f0, f1, f2, f3;
      if (ky === 0) {
        f0 = e[0] + (e[4] + e[8]) / 2; f1 = e[1] + (e[5] + e[9]) / 2;
        f2 = e[2] + (e[6] + e[10]) / 2; f3 = e[3] + (e[7] + e[11]) / 2;
      } else if (ky === 1) {
        f0 = (e[4] - e[8]) / 2; f1 = (e[5] - e[9]) / 2; f2 = (e[6] - e[10]) / 2; f3 = (e[7] - e[11]) / 2;
      } else {
        f0 = (e[4] + e[8]) / 2 + e[12]; f1 = (e[5] + e[9]) / 2 + e[13];
        f2 = (e[6] + e[10]) / 2 + e[14]; f3 = (e[7] + e[11]) / 2 + e[15];
      }
      dw[ky * 3 * size + o] = f0 + (f1 + f2) / 2;
      dw[(ky * 3 + 1) * size + o] = (f1 - f2) / 2;
      dw[(ky * 3 + 2) * size + o] = (f1 + f2) / 2 + f3;
    }
  }
  return dw;
}
