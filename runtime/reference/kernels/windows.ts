/**
 * The rectangular-window engine behind every pool: max pooling, average pooling, global and adaptive
 * pools are all "reduce each output position over a rectangle of the input", with the rectangles
 * given per axis. An input [N, H, W, C] (a 1-D input [N, L, C] is seen as [N, 1, L, C]) and windows
 * along H and W (each [start, end) clipped to the input) give an output [N, OH, OW, C].
 *
 * Max routes each output's gradient to the first maximum in scan order (row-major over the window,
 * PyTorch's and tfjs's choice) and sums over every window that picked a position; average spreads
 * dy / divisor over the window.
 */
import { alloc, dtypeOf, type FloatArray, type Tensor } from '../tensor.js';

/** Windows along one axis: output i reduces input positions [start[i], end[i]). */
export interface AxisWindows {
  readonly start: Int32Array;
  readonly end: Int32Array;
}

/** [N, H, W, C] of an image input, or [N, 1, L, C] of a sequence input. */
export function view4(x: Tensor, what: string): [number, number, number, number] {
  const s = x.shape;
  if (s.length === 4) return [s[0], s[1], s[2], s[3]];
  if (s.length === 3) return [s[0], 1, s[1], s[2]];
  throw new Error(`${what}: expected an input [N, L, C] or [N, H, W, C], got [${s.join(', ')}]`);
}

/** Windows from explicit bounds, clipped to [0, size). */
export function axisWindows(
  count: number,
  size: number,
  bounds: (i: number) => [number, number],
): AxisWindows {
  const start = new Int32Array(count);
  const end = new Int32Array(count);
  for (let i = 0; i < count; i++) {
    const [s, e] = bounds(i);
    start[i] = Math.max(s, 0);
    end[i] = Math.max(Math.min(e, size), start[i]);
  }
  return { start, end };
}

/** One window covering the whole axis. */
export function wholeAxis(size: number): AxisWindows {
  return axisWindows(1, size, () => [0, size]);
}

export interface MaxResult {
  readonly data: FloatArray;
  /** Flat input index of each output's maximum; −1 for an empty window (output −∞). */
  readonly arg: Int32Array;
}

export function windowMax(
  x: Tensor,
  dims: readonly [number, number, number, number],
  hw: AxisWindows,
  ww: AxisWindows,
): MaxResult {
  const [N, H, W, C] = dims;
  const OH = hw.start.length;
  const OW = ww.start.length;
  const xd = x.data;
  const out = alloc(N * OH * OW * C, dtypeOf(xd));
  const arg = new Int32Array(out.length);
  for (let n = 0; n < N; n++) {
    for (let oh = 0; oh < OH; oh++) {
      const h0 = hw.start[oh];
      const h1 = hw.end[oh];
      for (let ow = 0; ow < OW; ow++) {
        const w0 = ww.start[ow];
        const w1 = ww.end[ow];
        const o = ((n * OH + oh) * OW + ow) * C;
        out.fill(-Infinity, o, o + C);
        arg.fill(-1, o, o + C);
        for (let ih = h0; ih < h1; ih++) {
          for (let iw = w0; iw < w1; iw++) {
            const b = ((n * H + ih) * W + iw) * C;
            for (let c = 0; c < C; c++) {
              const v = xd[b + c];
              // Strictly greater keeps the first maximum; a NaN wins, as in PyTorch.
              if (v > out[o + c] || arg[o + c] < 0 || v !== v) {
                out[o + c] = v;
                arg[o + c] = b + c;
              }
            }
          }
        }
      }
    }
  }
  return { data: out, arg };
}

/** dL/dx of windowMax: dx[arg[o]] += dy[o]. */
export function windowMaxBackward(dy: Tensor, arg: Int32Array, x: Tensor): Tensor {
  const dx = alloc(x.data.length, dtypeOf(dy.data));
  const g = dy.data;
  for (let o = 0; o < arg.length; o++) {
    const i = arg[o];
    if (i >= 0) dx[i] += g[o];
  }
  return { shape: [...x.shape], data: dx };
}

/** 1 / divisor of each output position (OH·OW, row-major); 0 where the divisor is 0. */
export function inverseDivisors(divH: ArrayLike<number>, divW: ArrayLike<number>): Float64Array {
  const inv = new Float64Array(divH.length * divW.length);
  for (let i = 0; i < divH.length; i++) {
    for (let j = 0; j < divW.length; j++) {
      const d = divH[i] * divW[j];
      inv[i * divW.length + j] = d > 0 ? 1 / d : 0;
    }
  }
  return inv;
}

/** Window sums times `inv` (1 / divisor per output position). */
export function windowAvg(
  x: Tensor,
  dims: readonly [number, number, number, number],
  hw: AxisWindows,
  ww: AxisWindows,
  inv: Float64Array,
): FloatArray {
  const [N, H, W, C] = dims;
  const OH = hw.start.length;
  const OW = ww.start.length;
  const xd = x.data;
  const out = alloc(N * OH * OW * C, dtypeOf(xd));
  const acc = new Float64Array(C);
  for (let n = 0; n < N; n++) {
    for (let oh = 0; oh < OH; oh++) {
      for (let ow = 0; ow < OW; ow++) {
        acc.fill(0);
        for (let ih = hw.start[oh]; ih < hw.end[oh]; ih++) {
          for (let iw = ww.start[ow]; iw < ww.end[ow]; iw++) {
            const b = ((n * H + ih) * W + iw) * C;
            for (let c = 0; c < C; c++) acc[c] += xd[b + c];
          }
        }
        const s = inv[oh * OW + ow];
        const o = ((n * OH + oh) * OW + ow) * C;
        for (let c = 0; c < C; c++) out[o + c] = acc[c] * s;
      }
    }
  }
  return out;
}

/** dL/dx of windowAvg: every position of a window gets dy · inv. */
export function windowAvgBackward(
  dy: Tensor,
  x: Tensor,
  dims: readonly [number, number, number, number],
  hw: AxisWindows,
  ww: AxisWindows,
  inv: Float64Array,
): Tensor {
  const [N, H, W, C] = dims;
  const OH = hw.start.length;
  const OW = ww.start.length;
  const g = dy.data;
  const dx = alloc(x.data.length, dtypeOf(g));
  for (let n = 0; n < N; n++) {
    for (let oh = 0; oh < OH; oh++) {
      for (let ow = 0; ow < OW; ow++) {
        const s = inv[oh * OW + ow];
        const o = ((n * OH + oh) * OW + ow) * C;
        for (let ih = hw.start[oh]; ih < hw.end[oh]; ih++) {
          for (let iw = ww.start[ow]; iw < ww.end[ow]; iw++) {
            const b = ((n * H + ih) * W + iw) * C;
            for (let c = 0; c < C; c++) dx[b + c] += g[o + c] * s;
          }
        }
      }
    }
  }
  return { shape: [...x.shape], data: dx };
}
