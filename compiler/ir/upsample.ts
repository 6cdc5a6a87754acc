/**
 * PyTorch's upsampling arithmetic (torch 1.13, `F.interpolate` with `align_corners=False`), per
 * spatial axis, shared by every backend so that all of them read the same input rows:
 *
 *   scale   s = 1/f when an integer factor f is given (PyTorch passes the factor on), else in/out,
 *           as a float32 (PyTorch's `compute_scales_value<float>`)
 *   nearest src = min(floor(float32(dst · s)), in − 1)                   (legacy `nearest`, asymmetric)
 *   bilinear src = max(float32(s · (dst + 0.5)) − 0.5, 0); i0 = floor(src), i1 = min(i0 + 1, in − 1),
 *           w1 = src − i0, w0 = 1 − w1                                   (half-pixel centres)
 *
 * The float32 rounding decides some nearest rows: with in = 14 and out = 46, output row 23 reads
 * row 6 (float32(23 · float32(14/46)) < 7), not 7; even an integer factor 41 has output row 41 read
 * row 0 (float32(41 · float32(1/41)) < 1). Every backend here follows PyTorch in this; ONNX Resize
 * divides instead and reads the exact row (docs/codegen.md).
 * An output is the sum over the taps, w0·x[i0] + w1·x[i1]; nearest has w0 = 1 and w1 = 0.
 */
import type { UpsampleAttrs } from './ops.js';

export interface UpsampleTaps {
  readonly i0: Int32Array;
  readonly i1: Int32Array;
  readonly w0: Float32Array;
  readonly w1: Float32Array;
}

const f32 = Math.fround;

/** The output size of one spatial axis. */
export function upsampleOutSize(a: UpsampleAttrs, axis: number, inSize: number): number {
  if (a.size) return a.size[axis];
  return inSize * (a.scale?.[axis] ?? 1);
}

/** The source rows and weights of every output row along one axis. */
export function upsampleTaps(
  a: UpsampleAttrs,
  axis: number,
  inSize: number,
  outSize: number = upsampleOutSize(a, axis, inSize),
): UpsampleTaps {
  const factor = a.size ? undefined : a.scale?.[axis];
  const s = factor !== undefined ? f32(1 / factor) : f32(inSize / outSize);
  const i0 = new Int32Array(outSize);
  const i1 = new Int32Array(outSize);
  const w0 = new Float32Array(outSize);
  const w1 = new Float32Array(outSize);
  for (let dst = 0; dst < outSize; dst++) {
    if (a.mode === 'nearest') {
      const src = Math.min(Math.floor(f32(dst * s)), inSize - 1);
      i0[dst] = src;
      i1[dst] = src;
      w0[dst] = 1;
      w1[dst] = 0;
      continue;
    }
    const raw = f32(f32(s * f32(dst + 0.5)) - 0.5);
    const src = raw < 0 ? 0 : raw;
    const lo = Math.min(Math.floor(src), inSize - 1);
    const lambda = Math.min(Math.max(f32(src - lo), 0), 1);
    i0[dst] = lo;
    i1[dst] = lo < inSize - 1 ? lo + 1 : lo;
    w1[dst] = lambda;
    w0[dst] = f32(1 - lambda);
  }
  return { i0, i1, w0, w1 };
}

/** The taps as a dense [in, out] matrix (column `dst` holds its weights), row-major. */
export function upsampleMatrix(t: UpsampleTaps, inSize: number): Float32Array {
  const out = t.i0.length;
  const m = new Float32Array(inSize * out);
  for (let dst = 0; dst < out; dst++) {
    m[t.i0[dst] * out + dst] += t.w0[dst];
    m[t.i1[dst] * out + dst] += t.w1[dst];
  }
  return m;
}
