/**
 * Attribute tables of the four convolution ops for the reference-kernel tests (small sizes: every
 * element is finite-differenced), and naive implementations written from PyTorch's definitions —
 * pads worked out here from the padding mode, each output summed or scattered term by term — to
 * check forward values against.
 */
import type {
  Conv1dAttrs,
  Conv2dAttrs,
  Conv2dTransposeAttrs,
  DepthwiseConv2dAttrs,
  Padding,
} from '../../../compiler/ir/ops.js';
import type { Tensor } from '../../../runtime/reference/tensor.js';

export const valid: Padding = { mode: 'valid' };
export const same: Padding = { mode: 'same' };
export const full: Padding = { mode: 'full' };
export const explicit = (...pads: number[]): Padding => ({ mode: 'explicit', pads });

export interface Case<A> {
  readonly shape: readonly number[];
  readonly attrs: A;
}

const c2 = (
  shape: number[],
  filters: number,
  kernel: [number, number],
  more: Partial<Conv2dAttrs> = {},
): Case<Conv2dAttrs> => ({
  shape,
  attrs: {
    filters,
    kernel,
    stride: [1, 1],
    dilation: [1, 1],
    padding: valid,
    groups: 1,
    bias: false,
    ...more,
  },
});

export const CONV2D: readonly Case<Conv2dAttrs>[] = [
  c2([2, 5, 5, 3], 4, [3, 3], { bias: true }),
  c2([1, 6, 7, 2], 3, [3, 3], { stride: [2, 2], padding: same }),
  c2([1, 7, 7, 2], 2, [3, 3], { stride: [3, 3], padding: same, bias: true }),
  c2([1, 4, 5, 2], 3, [2, 3], { padding: full, bias: true }),
  c2([2, 6, 5, 2], 3, [3, 2], { stride: [2, 2], padding: explicit(1, 0, 2, 1), bias: true }),
  c2([1, 7, 7, 2], 2, [3, 3], { dilation: [2, 2], padding: same }),
  c2([1, 6, 6, 4], 6, [3, 3], { groups: 2, padding: explicit(1, 1, 1, 1), bias: true }),
  c2([1, 8, 8, 2], 2, [3, 3], {
    stride: [2, 2],
    dilation: [2, 2],
    groups: 2,
    padding: explicit(2, 1, 0, 3),
  }),
  c2([1, 5, 6, 3], 2, [3, 3], { stride: [3, 3] }),
  c2([1, 6, 5, 2], 2, [3, 3], { stride: [2, 1], dilation: [1, 2], padding: full }),
];

const c1 = (
  shape: number[],
  filters: number,
  kernel: number,
  more: Partial<Conv1dAttrs> = {},
): Case<Conv1dAttrs> => ({
  shape,
  attrs: {
    filters,
    kernel: [kernel],
    stride: [1],
    dilation: [1],
    padding: valid,
    groups: 1,
    bias: false,
    ...more,
  },
});

export const CONV1D: readonly Case<Conv1dAttrs>[] = [
  c1([2, 9, 3], 4, 3, { bias: true }),
  c1([1, 10, 2], 3, 3, { stride: [2], padding: same }),
  c1([1, 11, 2], 2, 4, { stride: [3], padding: explicit(2, 1), bias: true }),
  c1([1, 7, 4], 4, 3, { dilation: [2], padding: full, groups: 2 }),
  c1([2, 8, 2], 2, 2, { padding: same, bias: true }),
];

const dw = (
  shape: number[],
  multiplier: number,
  kernel: [number, number],
  more: Partial<DepthwiseConv2dAttrs> = {},
): Case<DepthwiseConv2dAttrs> => ({
  shape,
  attrs: {
    multiplier,
    kernel,
    stride: [1, 1],
    dilation: [1, 1],
    padding: valid,
    bias: false,
    ...more,
  },
});

export const DEPTHWISE: readonly Case<DepthwiseConv2dAttrs>[] = [
  dw([2, 5, 5, 3], 1, [3, 3], { bias: true }),
  dw([1, 6, 7, 2], 2, [3, 3], { stride: [2, 2], padding: same }),
  dw([1, 7, 7, 2], 2, [3, 3], { stride: [3, 3], padding: explicit(1, 0, 0, 2), bias: true }),
  dw([1, 7, 6, 3], 1, [3, 2], { dilation: [2, 2], padding: full }),
  dw([1, 6, 6, 2], 1, [2, 2], { padding: same, bias: true }),
  // Three images: the worker pool splits them (one thread takes two).
  dw([3, 6, 7, 2], 2, [3, 3], { stride: [2, 2], padding: same, bias: true }),
];

const tr = (
  shape: number[],
  filters: number,
  kernel: [number, number],
  more: Partial<Conv2dTransposeAttrs> = {},
): Case<Conv2dTransposeAttrs> => ({
  shape,
  attrs: {
    filters,
    kernel,
    stride: [1, 1],
    dilation: [1, 1],
    padding: valid,
    outputPadding: [0, 0],
    groups: 1,
    bias: false,
    ...more,
  },
});

export const TRANSPOSE: readonly Case<Conv2dTransposeAttrs>[] = [
  tr([1, 3, 3, 2], 3, [3, 3], { bias: true }),
  tr([2, 3, 4, 2], 2, [3, 3], { stride: [2, 2], outputPadding: [1, 1] }),
  tr([1, 3, 3, 2], 2, [3, 3], { stride: [3, 3], padding: same, bias: true }),
  tr([1, 2, 3, 2], 2, [2, 2], { stride: [3, 3], padding: same }),
  tr([1, 3, 3, 4], 4, [3, 3], {
    stride: [2, 2],
    padding: explicit(1, 0, 1, 2),
    outputPadding: [1, 1],
    groups: 2,
    bias: true,
  }),
  tr([1, 3, 3, 2], 2, [3, 3], { dilation: [2, 2], padding: explicit(1, 1, 1, 1) }),
  tr([1, 4, 4, 2], 3, [3, 2], { stride: [2, 1], padding: full, outputPadding: [1, 0] }),
];

export function padsTitle(p: Padding): string {
  return p.mode === 'explicit' ? `explicit(${p.pads.join(',')})` : p.mode;
}

/** Per-side pads of a forward window (TF `same`: the odd one at the end). */
export function forwardPads(
  p: Padding,
  axis: number,
  size: number,
  k: number,
  s: number,
  d: number,
) {
  const effK = d * (k - 1) + 1;
  if (p.mode === 'valid') return [0, 0];
  if (p.mode === 'full') return [effK - 1, effK - 1];
  if (p.mode === 'explicit') return [p.pads[2 * axis], p.pads[2 * axis + 1]];
  const out = Math.ceil(size / s);
  const total = Math.max(0, (out - 1) * s + effK - size);
  return [Math.floor(total / 2), total - Math.floor(total / 2)];
}

/** Rows a transposed conv removes from its full output, before and after. */
export function transposePads(p: Padding, axis: number, k: number, s: number, d: number) {
  const effK = d * (k - 1) + 1;
  if (p.mode === 'valid' || p.mode === 'full') return [0, 0];
  if (p.mode === 'explicit') return [p.pads[2 * axis], p.pads[2 * axis + 1]];
  const before = Math.max(0, Math.floor((effK - s) / 2));
  return [before, effK - s - before];
}

/**
 * y[n, oy, ox, f] = bias[f] + Σ x[n, oy·sh + ky·dh − top, ox·sw + kx·dw − left, g·cg + ci] ·
 * k[ky, kx, ci, f] over taps inside the input, g = f's group; x [N, H, W, C].
 */
export function naiveConv(
  x: Tensor,
  k: Tensor,
  bias: Tensor | null,
  a: {
    readonly kernel: readonly number[];
    readonly stride: readonly number[];
    readonly dilation: readonly number[];
    readonly groups: number;
    readonly filters: number;
  },
  pads: { top: number; bottom: number; left: number; right: number },
): Tensor {
  const [N, H, W, C] = x.shape;
  const [kh, kw] = a.kernel;
  const oh =
    Math.floor((H + pads.top + pads.bottom - a.dilation[0] * (kh - 1) - 1) / a.stride[0]) + 1;
  const ow =
    Math.floor((W + pads.left + pads.right - a.dilation[1] * (kw - 1) - 1) / a.stride[1]) + 1;
  const F = a.filters;
  const cg = C / a.groups;
  const y = new Float64Array(N * oh * ow * F);
  for (let n = 0; n < N; n++)
    for (let oy = 0; oy < oh; oy++)
      for (let ox = 0; ox < ow; ox++)
        for (let f = 0; f < F; f++) {
          const g = Math.floor(f / (F / a.groups));
          let s = bias ? bias.data[f] : 0;
          for (let ky = 0; ky < kh; ky++)
            for (let kx = 0; kx < kw; kx++) {
              const iy = oy * a.stride[0] + ky * a.dilation[0] - pads.top;
              const ix = ox * a.stride[1] + kx * a.dilation[1] - pads.left;
              if (iy < 0 || iy >= H || ix < 0 || ix >= W) continue;
              for (let ci = 0; ci < cg; ci++)
                s +=
                  x.data[((n * H + iy) * W + ix) * C + g * cg + ci] *
                  k.data[((ky * kw + kx) * cg + ci) * F + f];
            }
          y[((n * oh + oy) * ow + ox) * F + f] = s;
        }
  return { shape: [N, oh, ow, F], data: y };
}

/** Depthwise: y[…, c·m + j] = bias + Σ x[…, c] · k[ky, kx, c, j]. */
export function naiveDepthwise(
  x: Tensor,
  k: Tensor,
  bias: Tensor | null,
  a: DepthwiseConv2dAttrs,
  pads: { top: number; bottom: number; left: number; right: number },
): Tensor {
  const [N, H, W, C] = x.shape;
  const m = a.multiplier;
  const [kh, kw] = a.kernel;
  const oh =
    Math.floor((H + pads.top + pads.bottom - a.dilation[0] * (kh - 1) - 1) / a.stride[0]) + 1;
  const ow =
    Math.floor((W + pads.left + pads.right - a.dilation[1] * (kw - 1) - 1) / a.stride[1]) + 1;
  const y = new Float64Array(N * oh * ow * C * m);
  for (let n = 0; n < N; n++)
    for (let oy = 0; oy < oh; oy++)
      for (let ox = 0; ox < ow; ox++)
        for (let c = 0; c < C; c++)
          for (let j = 0; j < m; j++) {
            let s = bias ? bias.data[c * m + j] : 0;
            for (let ky = 0; ky < kh; ky++)
              for (let kx = 0; kx < kw; kx++) {
                const iy = oy * a.stride[0] + ky * a.dilation[0] - pads.top;
                const ix = ox * a.stride[1] + kx * a.dilation[1] - pads.left;
                if (iy < 0 || iy >= H || ix < 0 || ix >= W) continue;
                s +=
                  x.data[((n * H + iy) * W + ix) * C + c] *
                  k.data[((ky * kw + kx) * C + c) * m + j];
              }
            y[((n * oh + oy) * ow + ox) * C * m + c * m + j] = s;
          }
  return { shape: [N, oh, ow, C * m], data: y };
}

/**
 * PyTorch's ConvTranspose2d by scattering: every input pixel adds x[n, i, j, c]·k[ky, kx, f, c] at
 * output row i·sh + ky·dh − top, column j·sw + kx·dw − left (for c in f's group), on an output of
 * (in − 1)·s − top − bottom + effK + outputPadding rows; then the bias.
 */
export function naiveTranspose(
  x: Tensor,
  k: Tensor,
  bias: Tensor | null,
  a: Conv2dTransposeAttrs,
): Tensor {
  const [N, H, W, C] = x.shape;
  const [kh, kw] = a.kernel;
  const [top, bottom] = transposePads(a.padding, 0, kh, a.stride[0], a.dilation[0]);
  const [left, right] = transposePads(a.padding, 1, kw, a.stride[1], a.dilation[1]);
  const oh =
    (H - 1) * a.stride[0] - top - bottom + a.dilation[0] * (kh - 1) + 1 + a.outputPadding[0];
  const ow =
    (W - 1) * a.stride[1] - left - right + a.dilation[1] * (kw - 1) + 1 + a.outputPadding[1];
  const F = a.filters;
  const fg = F / a.groups;
  const cg = C / a.groups;
  const y = new Float64Array(N * oh * ow * F);
  for (let n = 0; n < N; n++)
    for (let i = 0; i < H; i++)
      for (let j = 0; j < W; j++)
        for (let c = 0; c < C; c++) {
          const g = Math.floor(c / cg);
          for (let ky = 0; ky < kh; ky++)
            for (let kx = 0; kx < kw; kx++) {
              const oy = i * a.stride[0] + ky * a.dilation[0] - top;
              const ox = j * a.stride[1] + kx * a.dilation[1] - left;
              if (oy < 0 || oy >= oh || ox < 0 || ox >= ow) continue;
              for (let f = 0; f < fg; f++)
                y[((n * oh + oy) * ow + ox) * F + g * fg + f] +=
                  x.data[((n * H + i) * W + j) * C + c] * k.data[((ky * kw + kx) * fg + f) * C + c];
            }
        }
  if (bias) for (let p = 0; p < y.length; p++) y[p] += bias.data[p % F];
  return { shape: [N, oh, ow, F], data: y };
}
