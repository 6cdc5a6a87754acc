/**
 * Sliding-window arithmetic for concrete sizes at run time: the per-side pads a Padding means, and
 * the output length of a window. It follows compiler/sema/conv-math.ts (which works on symbolic
 * sizes and records derivations); the runtime keeps its own copy so that it depends on IR types only.
 */
import type { Padding } from '../compiler/ir/ops.js';

export interface Pads {
  readonly before: number;
  readonly after: number;
}

export function effectiveKernel(kernel: number, dilation: number): number {
  return dilation * (kernel - 1) + 1;
}

function explicitPads(p: readonly number[], axis: number): Pads {
  const before = p.length === 1 ? p[0] : (p[2 * axis] ?? 0);
  const after = p.length === 1 ? p[0] : (p[2 * axis + 1] ?? before);
  return { before, after };
}

/** Pads of a convolution or pool along spatial `axis` (0 = height or length, 1 = width). */
export function windowPads(
  padding: Padding,
  axis: number,
  input: number,
  kernel: number,
  stride: number,
  dilation = 1,
): Pads {
  const effK = effectiveKernel(kernel, dilation);
  switch (padding.mode) {
    case 'valid':
      return { before: 0, after: 0 };
    case 'full':
      return { before: effK - 1, after: effK - 1 };
    case 'explicit':
      return explicitPads(padding.pads, axis);
    case 'same': {
      const out = Math.ceil(input / stride);
      const total = Math.max((out - 1) * stride + effK - input, 0);
      const before = Math.floor(total / 2);
      return { before, after: total - before };
    }
  }
}

/** floor((in + pb + pe − effK) / s) + 1, or PyTorch's ceil mode (a window must start before the right padding). */
export function windowOutput(
  input: number,
  effK: number,
  stride: number,
  pads: Pads,
  ceil: boolean,
): number {
  const slack = input + pads.before + pads.after - effK;
  if (!ceil) return Math.floor(slack / stride) + 1;
  const out = Math.ceil(slack / stride) + 1;
  return (out - 1) * stride >= input + pads.before ? out - 1 : out;
}

/**
 * Rows a transposed convolution removes from its full output, as PyTorch's `padding`; TF `same`
 * gives out = in·s, and a negative `after` adds rows.
 */
export function transposedPads(
  padding: Padding,
  axis: number,
  kernel: number,
  stride: number,
  dilation: number,
): Pads {
  const effK = effectiveKernel(kernel, dilation);
  switch (padding.mode) {
    case 'valid':
    case 'full':
      return { before: 0, after: 0 };
    case 'explicit':
      return explicitPads(padding.pads, axis);
    case 'same': {
      const total = effK - stride;
      const before = Math.max(Math.floor(total / 2), 0);
      return { before, after: total - before };
    }
  }
}
