/**
 * Pools on [N, H, W, C] (2-D) or [N, L, C] (1-D), with PyTorch's semantics as the tfjs lowering
 * (runtime/tfjs/lower-pool.ts) implements them:
 *
 * - max_pool / avg_pool: per-side pads from `windowPads`, output size from `windowOutput` (ceil mode
 *   keeps a last window only if it starts inside the input or its left padding). Max ignores padding
 *   (−∞); avg sums the window clipped to the input and divides by PyTorch's divisor: the window
 *   clipped to the padded input [−pb, in + pe) when countIncludePad, else to the input itself; the
 *   ceil-mode overhang past the right padding never counts.
 * - global pools reduce every spatial position ([N, C], or [N, 1, 1, C] / [N, 1, C] with keepDims).
 * - adaptive pools use PyTorch's bins [floor(i·in / out), ceil((i + 1)·in / out)), which overlap when
 *   out does not divide in.
 *
 * Max pools route the gradient to the first maximum in scan order (PyTorch). tfjs's tf.max, which the
 * lowering uses for global and adaptive max pools, instead gives it to every tied maximum; the two
 * differ only on exact ties.
 */
import type { IrNode } from '../../../compiler/ir/graph.js';
import type { PoolAttrs } from '../../../compiler/ir/ops.js';
import { windowOutput, windowPads } from '../../window.js';
import type { Kernel, KernelContext, KernelResult } from '../kernel.js';
import type { Tensor } from '../tensor.js';
import {
  type AxisWindows,
  axisWindows,
  inverseDivisors,
  view4,
  wholeAxis,
  windowAvg,
  windowAvgBackward,
  windowMax,
  windowMaxBackward,
} from './windows.js';
import { wantsGrad } from './util.js';

type Dims = readonly [number, number, number, number];

/** Windows and divisors of both axes of a reduction; a 1-D input has one trivial window along H. */
interface Plan {
  readonly dims: Dims;
  readonly h: AxisWindows;
  readonly w: AxisWindows;
  readonly divH: ArrayLike<number>;
  readonly divW: ArrayLike<number>;
  readonly outShape: readonly number[];
}

/** The output shape [N, OH, OW, C], or [N, OW, C] for a 1-D input. */
function spatialShape(x: Tensor, dims: Dims, oh: number, ow: number): number[] {
  return x.shape.length === 3 ? [dims[0], ow, dims[3]] : [dims[0], oh, ow, dims[3]];
}

function checkRank(node: IrNode, x: Tensor, spatial: number): void {
  if (x.shape.length - 2 !== spatial)
    throw new Error(`${node.name}: a ${spatial}-D ${node.op} got an input [${x.shape.join(', ')}]`);
}

/** One axis of max_pool / avg_pool. */
function poolAxis(
  node: IrNode<'max_pool' | 'avg_pool'>,
  j: number,
  input: number,
): { win: AxisWindows; div: Float64Array } {
  const a: PoolAttrs = node.attrs;
  const k = a.kernel[j];
  const s = a.stride[j];
  const pads = windowPads(a.padding, j, input, k, s);
  const out = windowOutput(input, k, s, pads, a.ceil);
  if (out < 1) throw new Error(`${node.name}: a ${k}-wide window does not fit ${input} positions`);
  const win = axisWindows(out, input, (i) => [i * s - pads.before, i * s - pads.before + k]);
  const div = new Float64Array(out);
  for (let i = 0; i < out; i++) {
    const start = i * s - pads.before;
    const end = Math.min(start + k, input + pads.after);
    div[i] = a.countIncludePad ? end - start : Math.min(end, input) - Math.max(start, 0);
  }
  return { win, div };
}

const ONE = new Float64Array([1]);

function poolPlan(node: IrNode<'max_pool' | 'avg_pool'>, x: Tensor): Plan {
  checkRank(node, x, node.attrs.kernel.length);
  const dims = view4(x, node.name);
  const oneD = x.shape.length === 3;
  const h = oneD ? { win: wholeAxis(1), div: ONE } : poolAxis(node, 0, dims[1]);
  const w = poolAxis(node, oneD ? 0 : 1, dims[2]);
  const outShape = spatialShape(x, dims, h.win.start.length, w.win.start.length);
  return { dims, h: h.win, w: w.win, divH: h.div, divW: w.div, outShape };
}

function globalPlan(node: IrNode<'global_max_pool' | 'global_avg_pool'>, x: Tensor): Plan {
  const dims = view4(x, node.name);
  const [N, H, W, C] = dims;
  const kept = x.shape.length === 3 ? [N, 1, C] : [N, 1, 1, C];
  return {
    dims,
    h: wholeAxis(H),
    w: wholeAxis(W),
    divH: [H],
    divW: [W],
    outShape: node.attrs.keepDims ? kept : [N, C],
  };
}

/** PyTorch's adaptive bins along one axis and their sizes. */
function adaptiveAxis(input: number, out: number): { win: AxisWindows; div: Float64Array } {
  const bounds = (i: number): [number, number] => [
    Math.floor((i * input) / out),
    Math.ceil(((i + 1) * input) / out),
  ];
  const win = axisWindows(out, input, bounds);
  const div = new Float64Array(out);
  for (let i = 0; i < out; i++) div[i] = win.end[i] - win.start[i];
  return { win, div };
}

function adaptivePlan(node: IrNode<'adaptive_max_pool' | 'adaptive_avg_pool'>, x: Tensor): Plan {
  const out = node.attrs.output;
  checkRank(node, x, out.length);
  const dims = view4(x, node.name);
  const h = out.length === 1 ? { win: wholeAxis(1), div: ONE } : adaptiveAxis(dims[1], out[0]);
  const w = adaptiveAxis(dims[2], out[out.length - 1]);
  const outShape = spatialShape(x, dims, h.win.start.length, w.win.start.length);
  return { dims, h: h.win, w: w.win, divH: h.div, divW: w.div, outShape };
}

function maxOf(plan: Plan, x: Tensor, ctx: KernelContext): KernelResult {
  const r = windowMax(x, plan.dims, plan.h, plan.w);
  return {
    output: { shape: plan.outShape, data: r.data },
    backward: (dy) => ({
      inputs: [wantsGrad(ctx, 0) ? windowMaxBackward(dy, r.arg, x) : null],
      weights: {},
    }),
  };
}

function avgOf(plan: Plan, x: Tensor, ctx: KernelContext): KernelResult {
  const inv = inverseDivisors(plan.divH, plan.divW);
  const data = windowAvg(x, plan.dims, plan.h, plan.w, inv);
  return {
    output: { shape: plan.outShape, data },
    backward: (dy) => ({
      inputs: [wantsGrad(ctx, 0) ? windowAvgBackward(dy, x, plan.dims, plan.h, plan.w, inv) : null],
      weights: {},
    }),
  };
}

export const maxPoolKernel: Kernel<'max_pool'> = (node, [x], _w, ctx) =>
  maxOf(poolPlan(node, x), x, ctx);

export const avgPoolKernel: Kernel<'avg_pool'> = (node, [x], _w, ctx) =>
  avgOf(poolPlan(node, x), x, ctx);

export const globalMaxPoolKernel: Kernel<'global_max_pool'> = (node, [x], _w, ctx) =>
  maxOf(globalPlan(node, x), x, ctx);

export const globalAvgPoolKernel: Kernel<'global_avg_pool'> = (node, [x], _w, ctx) =>
  avgOf(globalPlan(node, x), x, ctx);

export const adaptiveMaxPoolKernel: Kernel<'adaptive_max_pool'> = (node, [x], _w, ctx) =>
  maxOf(adaptivePlan(node, x), x, ctx);

export const adaptiveAvgPoolKernel: Kernel<'adaptive_avg_pool'> = (node, [x], _w, ctx) =>
  avgOf(adaptivePlan(node, x), x, ctx);
