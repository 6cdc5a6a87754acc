/**
 * Dense: y = x · kernel + bias, with x [N, in] and kernel [in, units] (more generally x [..., in],
 * applied along the last axis). In float32 the three products (y = x·W, dx = dy·Wᵀ, dW = xᵀ·dy)
 * run on the packed GEMM of ../gemm.ts (~3.5x the plain loops); in float64 (gradient checks) they
 * are plain loops with contiguous innermost indices.
 */
import {
  GEMM_MR,
  GEMM_NR,
  gemmPacked,
  packA,
  packB,
  packBTransposed,
  packedASize,
  packedBSize,
} from '../gemm.js';
import type { Kernel } from '../kernel.js';
import { alloc, dtypeOf, type FloatArray, type Tensor } from '../tensor.js';
import { needWeight, wantsGrad } from './util.js';

/** Rows of A packed at a time (the A panel stays in cache). */
const ROW_BLOCK = 128;

/** c [m, n] = a [m, k] · B, where `bp` is B packed as a panel (packB or packBTransposed). */
function gemmRows(
  a: Float32Array,
  m: number,
  k: number,
  bp: Float64Array,
  n: number,
): Float32Array {
  const c = new Float32Array(m * n);
  const ap = new Float64Array(packedASize(Math.min(ROW_BLOCK, m), k));
  const tile = new Float64Array(GEMM_MR * GEMM_NR);
  for (let r0 = 0; r0 < m; r0 += ROW_BLOCK) {
    const mb = Math.min(ROW_BLOCK, m - r0);
    packA(a, r0 * k, k, mb, k, ap);
    gemmPacked(ap, bp, 0, mb, n, k, c, r0 * n, n, false, tile);
  }
  return c;
}

/** Packs columns c0 … c0+m−1 of a row-major [depth, ld] matrix, transposed, as an A panel. */
function packColumnsAsA(
  x: Float32Array,
  c0: number,
  ld: number,
  m: number,
  depth: number,
  out: Float64Array,
): void {
  const mr = GEMM_MR;
  for (let g = 0; g < Math.ceil(m / mr); g++) {
    const base = g * depth * mr;
    for (let r = 0; r < mr; r++) {
      const col = g * mr + r;
      if (col >= m) {
        for (let k = 0; k < depth; k++) out[base + k * mr + r] = 0;
        continue;
      }
      for (let k = 0; k < depth; k++) out[base + k * mr + r] = x[k * ld + c0 + col];
    }
  }
}

/** dW [in, units] = xᵀ [in, rows] · dy [rows, units], in float32. */
function weightGradF32(
  x: Float32Array,
  dy: Float32Array,
  rows: number,
  fanIn: number,
  units: number,
): Float32Array {
  const dw = new Float32Array(fanIn * units);
  const bp = new Float64Array(packedBSize(units, rows));
  packB(dy, 0, units, rows, units, bp);
  const ap = new Float64Array(packedASize(Math.min(ROW_BLOCK, fanIn), rows));
  const tile = new Float64Array(GEMM_MR * GEMM_NR);
  for (let i0 = 0; i0 < fanIn; i0 += ROW_BLOCK) {
    const mb = Math.min(ROW_BLOCK, fanIn - i0);
    packColumnsAsA(x, i0, fanIn, mb, rows, ap);
    gemmPacked(ap, bp, 0, mb, units, rows, dw, i0 * units, units, false, tile);
  }
  return dw;
}

function forwardLoops(x: FloatArray, w: FloatArray, rows: number, fanIn: number, units: number) {
  const y = alloc(rows * units, dtypeOf(x));
  for (let r = 0; r < rows; r++) {
    const yo = r * units;
    for (let i = 0; i < fanIn; i++) {
      const v = x[r * fanIn + i];
      const wo = i * units;
      for (let j = 0; j < units; j++) y[yo + j] += v * w[wo + j];
    }
  }
  return y;
}

function inputGradLoops(g: FloatArray, w: FloatArray, rows: number, fanIn: number, units: number) {
  const d = alloc(rows * fanIn, dtypeOf(g));
  for (let r = 0; r < rows; r++) {
    const go = r * units;
    for (let i = 0; i < fanIn; i++) {
      const wo = i * units;
      let s = 0;
      for (let j = 0; j < units; j++) s += g[go + j] * w[wo + j];
      d[r * fanIn + i] = s;
    }
  }
  return d;
}

function weightGradLoops(
  x: FloatArray,
  g: FloatArray,
  w: FloatArray,
  rows: number,
  fanIn: number,
  units: number,
) {
  const dw = alloc(fanIn * units, dtypeOf(w));
  for (let r = 0; r < rows; r++) {
    const go = r * units;
    for (let i = 0; i < fanIn; i++) {
      const v = x[r * fanIn + i];
      const wo = i * units;
      for (let j = 0; j < units; j++) dw[wo + j] += v * g[go + j];
    }
  }
  return dw;
}

export const denseKernel: Kernel<'dense'> = (node, [x], weights, ctx) => {
  const kernel = needWeight(node.name, weights, 'kernel');
  const bias = node.attrs.bias ? needWeight(node.name, weights, 'bias') : null;
  const [fanIn, units] = kernel.shape;
  if (kernel.shape.length !== 2 || x.shape[x.shape.length - 1] !== fanIn)
    throw new Error(
      `${node.name}: input [${x.shape.join(', ')}] does not fit kernel [${kernel.shape.join(', ')}]`,
    );
  const rows = x.data.length / fanIn;
  const xd = x.data;
  const wd = kernel.data;
  const f32 = xd instanceof Float32Array && wd instanceof Float32Array;
  let y: FloatArray;
  if (f32) {
    const bp = new Float64Array(packedBSize(units, fanIn));
    packB(wd, 0, units, fanIn, units, bp);
    y = gemmRows(xd, rows, fanIn, bp, units);
  } else {
    y = forwardLoops(xd, wd, rows, fanIn, units);
  }
  if (bias) {
    const b = bias.data;
    for (let r = 0; r < rows; r++) for (let j = 0; j < units; j++) y[r * units + j] += b[j];
  }
  return {
    output: { shape: [...x.shape.slice(0, -1), units], data: y },
    backward: (dy) => {
      const g = dy.data;
      const fast = f32 && g instanceof Float32Array;
      let dx: Tensor | null = null;
      if (wantsGrad(ctx, 0)) {
        let d: FloatArray;
        if (fast) {
          const bp = new Float64Array(packedBSize(fanIn, units));
          packBTransposed(wd, 0, units, units, fanIn, bp);
          d = gemmRows(g, rows, units, bp, fanIn);
        } else {
          d = inputGradLoops(g, wd, rows, fanIn, units);
        }
        dx = { shape: [...x.shape], data: d };
      }
      const dw = fast
        ? weightGradF32(xd as Float32Array, g, rows, fanIn, units)
        : weightGradLoops(xd, g, wd, rows, fanIn, units);
      const grads: Record<string, Tensor> = { kernel: { shape: [...kernel.shape], data: dw } };
      if (bias) {
        const db = alloc(units, dtypeOf(bias.data));
        for (let r = 0; r < rows; r++) for (let j = 0; j < units; j++) db[j] += g[r * units + j];
        grads.bias = { shape: [units], data: db };
      }
      return { inputs: [dx], weights: grads };
    },
  };
};
