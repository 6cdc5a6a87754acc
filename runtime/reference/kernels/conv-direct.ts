/**
 * Direct convolution loops over either float type: the float64 mode of the conv kernels (used by
 * finite-difference gradient checks, where speed does not matter) and depthwise convolutions in
 * both modes (kh·kw multiply-adds per output: cheap next to a full convolution). Float32
 * depthwise convolutions big enough for it run on the worker pool (parallel.ts), an image per unit
 * of work; the filter gradient sums per-thread float64 partials.
 *
 * Same geometry and layouts as conv-gemm.ts: input [n, h, w, c], output [n, oh, ow, co], filter
 * [kh, kw, c/groups, co]; output position (oy, ox) with tap (ky, kx) reads input row
 * oy·sh + ky·dh − pt and column ox·sw + kx·dw − pl, zero outside. Outputs are accumulated with +=
 * into zeroed buffers the caller allocates.
 */
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
import type { FloatArray } from '../tensor.js';
import type { ConvGeometry } from './conv-gemm.js';

/**
 * Calls visit(outBase, inBase, tap) for every output position and every tap that lands inside the
 * input: outBase is the position's offset in the output (times co), inBase the input pixel's offset
 * (times c), tap = ky·kw + kx.
 */
function forEachTap(
  geo: ConvGeometry,
  outChannels: number,
  visit: (outBase: number, inBase: number, tap: number) => void,
): void {
  const { n, h, w, c, oh, ow, kh, kw, sh, sw, dh, dw, pt, pl } = geo;
  for (let img = 0; img < n; img++)
    for (let oy = 0; oy < oh; oy++)
      for (let ox = 0; ox < ow; ox++) {
        const o = ((img * oh + oy) * ow + ox) * outChannels;
        for (let ky = 0; ky < kh; ky++) {
          const iy = oy * sh + ky * dh - pt;
          if (iy < 0 || iy >= h) continue;
          for (let kx = 0; kx < kw; kx++) {
            const ix = ox * sw + kx * dw - pl;
            if (ix < 0 || ix >= w) continue;
            visit(o, ((img * h + iy) * w + ix) * c, ky * kw + kx);
          }
        }
      }
}

/** y += conv(x, k). */
export function directForward(
  x: FloatArray,
  k: FloatArray,
  geo: ConvGeometry,
  y: FloatArray,
): void {
  const { c, co, groups } = geo;
  const cg = c / groups;
  const cog = co / groups;
  forEachTap(geo, co, (o, i, tap) => {
    for (let g = 0; g < groups; g++)
      for (let ci = 0; ci < cg; ci++) {
        const xv = x[i + g * cg + ci];
        const kb = (tap * cg + ci) * co + g * cog;
        for (let j = 0; j < cog; j++) y[o + g * cog + j] += xv * k[kb + j];
      }
  });
}

/** dx += the input gradient of conv given dy. */
export function directInputGrad(
  dy: FloatArray,
  k: FloatArray,
  geo: ConvGeometry,
  dx: FloatArray,
): void {
  const { c, co, groups } = geo;
  const cg = c / groups;
  const cog = co / groups;
  forEachTap(geo, co, (o, i, tap) => {
    for (let g = 0; g < groups; g++)
      for (let ci = 0; ci < cg; ci++) {
        const kb = (tap * cg + ci) * co + g * cog;
        let s = 0;
        for (let j = 0; j < cog; j++) s += dy[o + g * cog + j] * k[kb + j];
        dx[i + g * cg + ci] += s;
      }
  });
}

/** dk += the filter gradient of conv given x and dy. */
export function directFilterGrad(
  x: FloatArray,
  dy: FloatArray,
  geo: ConvGeometry,
  dk: FloatArray,
): void {
  const { c, co, groups } = geo;
  const cg = c / groups;
  const cog = co / groups;
  forEachTap(geo, co, (o, i, tap) => {
    for (let g = 0; g < groups; g++)
      for (let ci = 0; ci < cg; ci++) {
        const xv = x[i + g * cg + ci];
        const kb = (tap * cg + ci) * co + g * cog;
        for (let j = 0; j < cog; j++) dk[kb + j] += xv * dy[o + g * cog + j];
      }
  });
}

type DepthwiseMode = 'forward' | 'input' | 'filter';

/**
 * The three depthwise loops in one walk over images img0 … img1−1 (filter [kh, kw, c, m], output
 * channel ci·m + j, geo.co = c·m; geo.groups unused): 'forward' y += depthwise(x = a, k = b);
 * 'input' dx += its gradient given dy = a, k = b; 'filter' dk += its gradient given x = a, dy = b.
 * Runs in workers from its text (uses only its arguments).
 */
export function depthwiseWalk(
  mode: DepthwiseMode,
  a: FloatArray,
  b: FloatArray,
  geo: ConvGeometry,
  out: FloatArray,
  img0 = 0,
  img1 = geo.n,
): void {
  const { h, w, c, oh, ow, co, kh, kw, sh, sw, dh, dw, pt, pl } = geo;
  const m = co / c;
  for (let img = img0; img < img1; img++)
    for (let oy = 0; oy < oh; oy++)
      for (let ox = 0; ox < ow; ox++) {
        const o = ((img * oh + oy) * ow + ox) * co;
        for (let ky = 0; ky < kh; ky++) {
          const iy = oy * sh + ky * dh - pt;
          if (iy < 0 || iy >= h) continue;
          for (let kx = 0; kx < kw; kx++) {
            const ix = ox * sw + kx * dw - pl;
            if (ix < 0 || ix >= w) continue;
            const i = ((img * h + iy) * w + ix) * c;
            const kb = (ky * kw + kx) * co;
            if (m === 1) {
              if (mode === 'forward')
                for (let ci = 0; ci < c; ci++) out[o + ci] += a[i + ci] * b[kb + ci];
              else if (mode === 'input')
                for (let ci = 0; ci < c; ci++) out[i + ci] += a[o + ci] * b[kb + ci];
              else for (let ci = 0; ci < c; ci++) out[kb + ci] += a[i + ci] * b[o + ci];
              continue;
            }
            for (let ci = 0; ci < c; ci++)
              for (let j = ci * m; j < ci * m + m; j++) {
                if (mode === 'forward') out[o + j] += a[i + ci] * b[kb + j];
                else if (mode === 'input') out[i + ci] += a[o + j] * b[kb + j];
                else out[kb + j] += a[i + ci] * b[o + j];
              }
          }
        }
      }
}

/**
 * depthwiseWalk over the images taken from `counter`; 'filter' adds into this thread's partial
 * out[t·size …], the others into out (the images' outputs do not overlap).
 */
export function depthwiseTask(
  mode: DepthwiseMode,
  a: FloatArray,
  b: FloatArray,
  geo: ConvGeometry,
  out: FloatArray,
  counter: Int32Array,
  size: number,
  t: number,
): void {
  const target = mode === 'filter' ? out.subarray(t * size, (t + 1) * size) : out;
  for (let img = Atomics.add(counter, 0, 1); img < geo.n; img = Atomics.add(counter, 0, 1))
    depthwiseWalk(mode, a, b, geo, target, img, img + 1);
}

const DEPTHWISE_LIBRARY: TaskLibrary = { prelude: '', functions: [depthwiseWalk, depthwiseTask] };

/** out += depthwiseWalk(mode, a, b) on the worker pool; false (nothing done) where it does not pay. */
function depthwiseParallel(
  mode: DepthwiseMode,
  a: FloatArray,
  b: FloatArray,
  geo: ConvGeometry,
  out: FloatArray,
): boolean {
  if (!(a instanceof Float32Array && b instanceof Float32Array && out instanceof Float32Array))
    return false;
  const threads = threadsFor(2 * geo.n * geo.oh * geo.ow * geo.co * geo.kh * geo.kw);
  if (threads <= 1 || geo.n < 2) return false;
  const size = out.length;
  const target = mode === 'filter' ? sharedFloat64(size * threads) : sharedFloat32(size);
  if (mode !== 'filter') target.set(out);
  const args = [mode, shared(a), shared(b), geo, target, sharedCounter(), size];
  runOnAllThreads(DEPTHWISE_LIBRARY, depthwiseTask, args, threads);
  if (mode !== 'filter') out.set(target);
  else addPartials(target, size, out);
  return true;
}

/** y += depthwise(x, k). */
export function depthwiseForward(
  x: FloatArray,
  k: FloatArray,
  geo: ConvGeometry,
  y: FloatArray,
): void {
  if (!depthwiseParallel('forward', x, k, geo, y)) depthwiseWalk('forward', x, k, geo, y);
}

/** dx += the input gradient of depthwise given dy. */
export function depthwiseInputGrad(
  dy: FloatArray,
  k: FloatArray,
  geo: ConvGeometry,
  dx: FloatArray,
): void {
  if (!depthwiseParallel('input', dy, k, geo, dx)) depthwiseWalk('input', dy, k, geo, dx);
}

/** dk += the filter gradient of depthwise given x and dy. */
export function depthwiseFilterGrad(
  x: FloatArray,
  dy: FloatArray,
  geo: ConvGeometry,
  dk: FloatArray,
): void {
  if (!depthwiseParallel('filter', x, dy, geo, dk)) depthwiseWalk('filter', x, dy, geo, dk);
}
