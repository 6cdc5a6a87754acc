/**
 * Float32 convolution as GEMM, for NHWC input and HWIO filters, forward and both gradients:
 *
 *   forward      Y[M × CO]  = im2col(X)[M × K] · W[K × CO]      M = N·OH·OW, K = KH·KW·C/groups
 *   input grad   dX         = col2im(dY[M × CO] · Wᵀ[CO × K])
 *   filter grad  dW[K × CO] = im2col(X)ᵀ[K × M] · dY[M × CO]
 *
 * per group (a group's channels are a slice of C and of CO). im2col is never materialised whole:
 * each block of output rows is packed straight into the GEMM's A panel (forward: rows × K; filter
 * gradient: K × rows, i.e. transposed), multiplied, and for the input gradient scattered back
 * (col2im) while still in cache. So all three run the same micro-kernel over the same panels, and
 * the gradients are as fast as the forward pass.
 *
 * Threads (parallel.ts) take blocks from a shared counter: forward and filter gradient split the M
 * rows (each thread sums its own filter-gradient partial, in float64, added up at the end); the
 * input gradient splits images, whose col2im writes do not overlap (or, given fewer images than
 * twice the threads, rows, each thread adding into its own copy of dX, summed at the end). The
 * geometry is general: any stride, dilation and (asymmetric) padding; taps that fall outside the
 * input read zero, so transposed convolutions reuse these functions with input and output swapped.
 *
 * The task functions below run in workers from their text: they call only their arguments, globals,
 * each other and GEMM (see gemm.ts).
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

const GEMM = GEMM_MODULE;

/** Sizes of one convolution: input [n, h, w, c] → output [n, oh, ow, co], filter HWIO per group. */
export interface ConvGeometry {
  readonly n: number;
  readonly h: number;
  readonly w: number;
  readonly c: number;
  readonly oh: number;
  readonly ow: number;
  readonly co: number;
  readonly kh: number;
  readonly kw: number;
  readonly sh: number;
  readonly sw: number;
  readonly dh: number;
  readonly dw: number;
  /** Zero rows above and columns left of the input (taps may also read past the bottom/right). */
  readonly pt: number;
  readonly pl: number;
  readonly groups: number;
}

/** Multiply-accumulates of one convolution (each gradient has as many). */
export function convMacs(g: ConvGeometry): number {
  return g.n * g.oh * g.ow * g.co * g.kh * g.kw * (g.c / g.groups);
}

/** Output rows per block: forward and input gradient; filter gradient. */
const ROWS = 96;
const ROWS_DW = 512;

/**
 * Packs im2col rows r0 … r0+mb−1 of group g as a GEMM A panel [⌈mb/3⌉][K][3] (K = kh·kw·cg): row r
 * is output position (img, oy, ox), column (ky·kw + kx)·cg + ci is X[img, oy·sh + ky·dh − pt,
 * ox·sw + kx·dw − pl, g·cg + ci], or 0 outside the input.
 */
export function im2colRows(
  x: Float32Array,
  geo: ConvGeometry,
  g: number,
  r0: number,
  mb: number,
  out: Float64Array,
): void {
  const { h, w, c, oh, ow, kh, kw, sh, sw, dh, dw, pt, pl } = geo;
  const cg = c / geo.groups;
  const depth = kh * kw * cg;
  const plane = oh * ow;
  const rows = Math.ceil(mb / 3) * 3;
  for (let i = 0; i < rows; i++) {
    const lane = i % 3;
    const base = (i - lane) * depth + lane;
    if (i >= mb) {
      for (let k = 0; k < depth; k++) out[base + k * 3] = 0;
      continue;
    }
    const r = r0 + i;
    const img = Math.floor(r / plane);
    const p = r - img * plane;
    const oy = Math.floor(p / ow);
    const ox = p - oy * ow;
    let dst = base;
    for (let ky = 0; ky < kh; ky++) {
      const iy = oy * sh + ky * dh - pt;
      const rowOk = iy >= 0 && iy < h;
      for (let kx = 0; kx < kw; kx++) {
        const ix = ox * sw + kx * dw - pl;
        if (rowOk && ix >= 0 && ix < w) {
          const src = ((img * h + iy) * w + ix) * c + g * cg;
          for (let ci = 0; ci < cg; ci++) out[dst + ci * 3] = x[src + ci];
        } else {
          for (let ci = 0; ci < cg; ci++) out[dst + ci * 3] = 0;
        }
        dst += cg * 3;
      }
    }
  }
}

/**
 * Packs the transpose of the same im2col block as an A panel [⌈K/3⌉][mb][3]: A's row k, column i
 * is im2col(r0 + i, k), for the filter gradient im2col(X)ᵀ · dY.
 */
export function im2colCols(
  x: Float32Array,
  geo: ConvGeometry,
  g: number,
  r0: number,
  mb: number,
  out: Float64Array,
): void {
  const { h, w, c, oh, ow, kh, kw, sh, sw, dh, dw, pt, pl } = geo;
  const cg = c / geo.groups;
  const depth = kh * kw * cg;
  const plane = oh * ow;
  const groupStride = mb * 3;
  for (let k = depth; k < Math.ceil(depth / 3) * 3; k++) {
    const o = Math.floor(k / 3) * groupStride + (k % 3);
    for (let i = 0; i < mb; i++) out[o + i * 3] = 0;
  }
  for (let i = 0; i < mb; i++) {
    const r = r0 + i;
    const img = Math.floor(r / plane);
    const p = r - img * plane;
    const oy = Math.floor(p / ow);
    const ox = p - oy * ow;
    // Entry (k, i) is at (k div 3)·groupStride + 3i + (k mod 3): walk k with its group and lane.
    let group = i * 3;
    let lane = 0;
    for (let ky = 0; ky < kh; ky++) {
      const iy = oy * sh + ky * dh - pt;
      const rowOk = iy >= 0 && iy < h;
      for (let kx = 0; kx < kw; kx++) {
        const ix = ox * sw + kx * dw - pl;
        const ok = rowOk && ix >= 0 && ix < w;
        const src = ((img * h + iy) * w + ix) * c + g * cg;
        let ci = 0;
        for (; lane !== 0 && ci < cg; ci++) {
          out[group + lane] = ok ? x[src + ci] : 0;
          if (++lane === 3) {
            lane = 0;
            group += groupStride;
          }
        }
        if (ok) {
          for (; ci + 3 <= cg; ci += 3, group += groupStride) {
            out[group] = x[src + ci];
            out[group + 1] = x[src + ci + 1];
            out[group + 2] = x[src + ci + 2];
          }
          for (; ci < cg; ci++, lane++) out[group + lane] = x[src + ci];
        } else {
          for (; ci + 3 <= cg; ci += 3, group += groupStride)
            out[group] = out[group + 1] = out[group + 2] = 0;
          for (; ci < cg; ci++, lane++) out[group + lane] = 0;
        }
      }
    }
  }
}

/** dX[img, iy, ix, g·cg + ci] += dcol[i][k] over the taps of rows r0 … r0+mb−1 (im2col's adjoint). */
export function col2im(
  dcol: Float32Array,
  geo: ConvGeometry,
  g: number,
  r0: number,
  mb: number,
  dx: Float32Array,
): void {
  const { h, w, c, oh, ow, kh, kw, sh, sw, dh, dw, pt, pl } = geo;
  const cg = c / geo.groups;
  const depth = kh * kw * cg;
  const plane = oh * ow;
  for (let i = 0; i < mb; i++) {
    const r = r0 + i;
    const img = Math.floor(r / plane);
    const p = r - img * plane;
    const oy = Math.floor(p / ow);
    const ox = p - oy * ow;
    let src = i * depth;
    for (let ky = 0; ky < kh; ky++) {
      const iy = oy * sh + ky * dh - pt;
      const rowOk = iy >= 0 && iy < h;
      for (let kx = 0; kx < kw; kx++, src += cg) {
        const ix = ox * sw + kx * dw - pl;
        if (!rowOk || ix < 0 || ix >= w) continue;
        const dst = ((img * h + iy) * w + ix) * c + g * cg;
        for (let ci = 0; ci < cg; ci++) dx[dst + ci] += dcol[src + ci];
      }
    }
  }
}

/** Y = im2col(X) · W (+ bias), blocks of `rows` output rows taken from `counter`. */
export function convForwardTask(
  x: Float32Array,
  wp: Float64Array,
  bias: Float32Array | null,
  y: Float32Array,
  geo: ConvGeometry,
  counter: Int32Array,
  rows: number,
): void {
  const cg = geo.c / geo.groups;
  const cog = geo.co / geo.groups;
  const depth = geo.kh * geo.kw * cg;
  const panel = GEMM.packedBSize(cog, depth);
  const m = geo.n * geo.oh * geo.ow;
  const blocks = Math.ceil(m / rows);
  const ap = new Float64Array(GEMM.packedASize(rows, depth));
  const tile = new Float64Array(9);
  const co = geo.co;
  for (let b = Atomics.add(counter, 0, 1); b < blocks; b = Atomics.add(counter, 0, 1)) {
    const r0 = b * rows;
    const mb = Math.min(rows, m - r0);
    for (let g = 0; g < geo.groups; g++) {
      im2colRows(x, geo, g, r0, mb, ap);
      GEMM.gemmPacked(ap, wp, g * panel, mb, cog, depth, y, r0 * co + g * cog, co, false, tile);
    }
    if (bias !== null) {
      for (let i = r0 * co, end = (r0 + mb) * co; i < end; i += co)
        for (let j = 0; j < co; j++) y[i + j] += bias[j];
    }
  }
}

/**
 * dX = col2im(dY · Wᵀ). With `perThread` false the units taken from `counter` are whole images,
 * whose col2im writes do not overlap, added straight into dx; with it true (fewer than two images
 * per thread) they are blocks of `rows` rows and thread t adds into its own copy dx[t·|dX| …],
 * which the caller sums.
 */
export function convInputGradTask(
  dy: Float32Array,
  wtp: Float64Array,
  dx: Float32Array,
  geo: ConvGeometry,
  counter: Int32Array,
  rows: number,
  perThread: boolean,
  t: number,
): void {
  const cg = geo.c / geo.groups;
  const cog = geo.co / geo.groups;
  const depth = geo.kh * geo.kw * cg;
  const panel = GEMM.packedBSize(depth, cog);
  const plane = geo.oh * geo.ow;
  const m = geo.n * plane;
  const ap = new Float64Array(GEMM.packedASize(rows, cog));
  const dcol = new Float32Array(rows * depth);
  const tile = new Float64Array(9);
  const co = geo.co;
  const out = perThread ? dx.subarray(t * geo.n * geo.h * geo.w * geo.c) : dx;
  const units = perThread ? Math.ceil(m / rows) : geo.n;
  for (let u = Atomics.add(counter, 0, 1); u < units; u = Atomics.add(counter, 0, 1)) {
    const start = perThread ? u * rows : u * plane;
    const end = perThread ? Math.min(m, start + rows) : start + plane;
    for (let r0 = start; r0 < end; r0 += rows) {
      const mb = Math.min(rows, end - r0);
      for (let g = 0; g < geo.groups; g++) {
        GEMM.packA(dy, r0 * co + g * cog, co, mb, cog, ap);
        GEMM.gemmPacked(ap, wtp, g * panel, mb, depth, cog, dcol, 0, depth, false, tile);
        col2im(dcol, geo, g, r0, mb, out);
      }
    }
  }
}

/**
 * This thread's dW partial (float64, at partials[t·size]) += im2col(X)ᵀ · dY over blocks of `rows`
 * rows taken from `counter`; dW is [K × co] with group g in columns g·cog ….
 */
export function convFilterGradTask(
  x: Float32Array,
  dy: Float32Array,
  partials: Float64Array,
  geo: ConvGeometry,
  counter: Int32Array,
  rows: number,
  t: number,
): void {
  const cg = geo.c / geo.groups;
  const cog = geo.co / geo.groups;
  const depth = geo.kh * geo.kw * cg;
  const m = geo.n * geo.oh * geo.ow;
  const blocks = Math.ceil(m / rows);
  const co = geo.co;
  const size = depth * co;
  const ap = new Float64Array(GEMM.packedASize(depth, rows));
  const bp = new Float64Array(GEMM.packedBSize(cog, rows));
  const tile = new Float64Array(9);
  for (let b = Atomics.add(counter, 0, 1); b < blocks; b = Atomics.add(counter, 0, 1)) {
    const r0 = b * rows;
    const mb = Math.min(rows, m - r0);
    for (let g = 0; g < geo.groups; g++) {
      im2colCols(x, geo, g, r0, mb, ap);
      GEMM.packB(dy, r0 * co + g * cog, co, mb, cog, bp);
      GEMM.gemmPacked(ap, bp, 0, depth, cog, mb, partials, t * size + g * cog, co, true, tile);
    }
  }
}

/** What the workers run. */
export const CONV_LIBRARY: TaskLibrary = {
  prelude: GEMM_WORKER_SOURCE,
  functions: [
    im2colRows,
    im2colCols,
    col2im,
    convForwardTask,
    convInputGradTask,
    convFilterGradTask,
  ],
};

function check(geo: ConvGeometry, x: number, xLen: number, w: number, wLen: number): void {
  if (geo.c % geo.groups !== 0 || geo.co % geo.groups !== 0)
    throw new Error(`conv: ${geo.c} → ${geo.co} channels in ${geo.groups} groups`);
  if (x !== xLen || w !== wLen)
    throw new Error(`conv: buffer sizes ${xLen}, ${wLen} do not match the geometry`);
}

function sizes(geo: ConvGeometry): { x: number; y: number; w: number } {
  return {
    x: geo.n * geo.h * geo.w * geo.c,
    y: geo.n * geo.oh * geo.ow * geo.co,
    w: geo.kh * geo.kw * (geo.c / geo.groups) * geo.co,
  };
}

/** Y [n, oh, ow, co] = conv(X [n, h, w, c], W [kh, kw, c/groups, co]) + bias, float32. */
export function conv2dForwardF32(
  x: Float32Array,
  w: Float32Array,
  geo: ConvGeometry,
  bias: Float32Array | null = null,
): Float32Array {
  const s = sizes(geo);
  check(geo, s.x, x.length, s.w, w.length);
  const cog = geo.co / geo.groups;
  const depth = geo.kh * geo.kw * (geo.c / geo.groups);
  const threads = threadsFor(2 * convMacs(geo));
  const panel = packedBSize(cog, depth);
  const wp = threads > 1 ? sharedFloat64(panel * geo.groups) : new Float64Array(panel * geo.groups);
  for (let g = 0; g < geo.groups; g++)
    GEMM.packB(w, g * cog, geo.co, depth, cog, wp.subarray(g * panel));
  const y = threads > 1 ? sharedFloat32(s.y) : new Float32Array(s.y);
  const xs = threads > 1 ? shared(x) : x;
  const bs = bias === null ? null : threads > 1 ? shared(bias) : bias;
  runOnAllThreads(
    CONV_LIBRARY,
    convForwardTask,
    [xs, wp, bs, y, geo, sharedCounter(), ROWS],
    threads,
  );
  return y;
}

/** dX [n, h, w, c] of conv2dForwardF32 given dY [n, oh, ow, co], float32. */
export function conv2dInputGradF32(
  dy: Float32Array,
  w: Float32Array,
  geo: ConvGeometry,
): Float32Array {
  const s = sizes(geo);
  check(geo, s.y, dy.length, s.w, w.length);
  const cog = geo.co / geo.groups;
  const depth = geo.kh * geo.kw * (geo.c / geo.groups);
  const threads = threadsFor(2 * convMacs(geo));
  const perThread = threads > 1 && geo.n < 2 * threads;
  const panel = packedBSize(depth, cog);
  const wtp =
    threads > 1 ? sharedFloat64(panel * geo.groups) : new Float64Array(panel * geo.groups);
  for (let g = 0; g < geo.groups; g++)
    GEMM.packBTransposed(w, g * cog, geo.co, cog, depth, wtp.subarray(g * panel));
  const dx = threads > 1 ? sharedFloat32(perThread ? s.x * threads : s.x) : new Float32Array(s.x);
  const dys = threads > 1 ? shared(dy) : dy;
  runOnAllThreads(
    CONV_LIBRARY,
    convInputGradTask,
    [dys, wtp, dx, geo, sharedCounter(), ROWS, perThread],
    threads,
  );
  if (!perThread) return dx;
  const sum = new Float32Array(s.x);
  addPartials(dx, s.x, sum);
  return sum;
}

/** dW [kh, kw, c/groups, co] of conv2dForwardF32 given X and dY, float32 (summed in float64). */
export function conv2dFilterGradF32(
  x: Float32Array,
  dy: Float32Array,
  geo: ConvGeometry,
): Float32Array {
  const s = sizes(geo);
  check(geo, s.x, x.length, s.y, dy.length);
  const threads = threadsFor(2 * convMacs(geo));
  const partials = threads > 1 ? sharedFloat64(s.w * threads) : new Float64Array(s.w);
  const xs = threads > 1 ? shared(x) : x;
  const dys = threads > 1 ? shared(dy) : dy;
  runOnAllThreads(
    CONV_LIBRARY,
    convFilterGradTask,
    [xs, dys, partials, geo, sharedCounter(), ROWS_DW],
    threads,
  );
  const dw = new Float32Array(s.w);
  addPartials(partials, s.w, dw);
  return dw;
}
