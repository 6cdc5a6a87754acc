/**
 * Activation functions (runtime/tfjs/lower-ops.ts `activate`), elementwise except softmax, which
 * normalises over the last axis. Derivatives at the kinks follow tfjs: relu′(0) = 0, relu6′ is 1 on
 * (0, 6], leaky_relu′(0) = alpha, elu′(0) = alpha. GELU is the exact form x·Φ(x) (PyTorch's default
 * and the lowering's), with Φ from erf.ts. Defaults: leaky_relu alpha 0.01, elu alpha 1.
 */
import type { ActivationAttrs } from '../../../compiler/ir/ops.js';
import { activationKinks, KINK_BAND } from '../../train/engine.js';
import type { Kernel } from '../kernel.js';
import { alloc, dtypeOf, type FloatArray, type Tensor } from '../tensor.js';
import { normalCdf } from './erf.js';
import { copyAs, wantsGrad } from './util.js';

const INV_SQRT_2PI = 1 / Math.sqrt(2 * Math.PI);

function sigmoid(v: number): number {
  if (v >= 0) return 1 / (1 + Math.exp(-v));
  const e = Math.exp(v);
  return e / (1 + e);
}

/** Softmax of each row of `k` values, shifted by the row's maximum. */
export function softmaxRows(x: FloatArray, y: FloatArray, k: number): void {
  for (let r = 0; r < x.length; r += k) {
    let max = -Infinity;
    for (let j = r; j < r + k; j++) if (x[j] > max) max = x[j];
    if (max === -Infinity) max = 0;
    let sum = 0;
    for (let j = r; j < r + k; j++) {
      const e = Math.exp(x[j] - max);
      y[j] = e;
      sum += e;
    }
    const inv = 1 / sum;
    for (let j = r; j < r + k; j++) y[j] *= inv;
  }
}

/** y = f(x) for the elementwise functions; `aux` keeps Φ(x) for GELU's derivative. */
function forward(a: ActivationAttrs, x: FloatArray, y: FloatArray, aux: FloatArray | null): void {
  const n = x.length;
  switch (a.fn) {
    case 'relu':
      for (let i = 0; i < n; i++) y[i] = x[i] < 0 ? 0 : x[i];
      return;
    case 'relu6':
      for (let i = 0; i < n; i++) y[i] = x[i] < 0 ? 0 : x[i] > 6 ? 6 : x[i];
      return;
    case 'leaky_relu': {
      const alpha = a.alpha ?? 0.01;
      for (let i = 0; i < n; i++) y[i] = x[i] < 0 ? alpha * x[i] : x[i];
      return;
    }
    case 'elu': {
      const alpha = a.alpha ?? 1;
      for (let i = 0; i < n; i++) y[i] = x[i] > 0 ? x[i] : alpha * Math.expm1(x[i]);
      return;
    }
    case 'tanh':
      for (let i = 0; i < n; i++) y[i] = Math.tanh(x[i]);
      return;
    case 'sigmoid':
      for (let i = 0; i < n; i++) y[i] = sigmoid(x[i]);
      return;
    case 'gelu':
      if (!aux) throw new Error('gelu: no buffer for Φ(x)');
      for (let i = 0; i < n; i++) {
        const p = normalCdf(x[i]);
        aux[i] = p;
        y[i] = x[i] * p;
      }
      return;
    case 'softmax':
    case 'linear':
      throw new Error(`activation ${a.fn}: not elementwise`);
  }
}

/** dx = f′(x)·dy, from x, y = f(x) and GELU's Φ(x). */
function backward(
  a: ActivationAttrs,
  x: FloatArray,
  y: FloatArray,
  aux: FloatArray | null,
  dy: FloatArray,
  dx: FloatArray,
): void {
  const n = x.length;
  switch (a.fn) {
    case 'relu':
      for (let i = 0; i < n; i++) dx[i] = x[i] > 0 ? dy[i] : 0;
      return;
    case 'relu6':
      for (let i = 0; i < n; i++) dx[i] = x[i] > 0 && x[i] <= 6 ? dy[i] : 0;
      return;
    case 'leaky_relu': {
      const alpha = a.alpha ?? 0.01;
      for (let i = 0; i < n; i++) dx[i] = x[i] > 0 ? dy[i] : alpha * dy[i];
      return;
    }
    case 'elu': {
      const alpha = a.alpha ?? 1;
      for (let i = 0; i < n; i++) dx[i] = x[i] > 0 ? dy[i] : alpha * Math.exp(x[i]) * dy[i];
      return;
    }
    case 'tanh':
      for (let i = 0; i < n; i++) dx[i] = (1 - y[i] * y[i]) * dy[i];
      return;
    case 'sigmoid':
      for (let i = 0; i < n; i++) dx[i] = y[i] * (1 - y[i]) * dy[i];
      return;
    case 'gelu':
      if (!aux) throw new Error('gelu: no buffer for Φ(x)');
      for (let i = 0; i < n; i++) {
        const v = x[i];
        dx[i] = (aux[i] + v * INV_SQRT_2PI * Math.exp(-0.5 * v * v)) * dy[i];
      }
      return;
    case 'softmax':
    case 'linear':
      throw new Error(`activation ${a.fn}: not elementwise`);
  }
}

/**
 * x with its entries within KINK_BAND · max |x| of a kink replaced by `other`'s (another engine's
 * input, cnnc verify), so that the derivative takes the branch the other engine took there; calls
 * `taken` with the number of entries whose side of a kink changed.
 */
function branchesFrom(
  a: ActivationAttrs,
  x: FloatArray,
  other: FloatArray,
  taken: ((n: number) => void) | undefined,
): FloatArray {
  const at = activationKinks(a);
  if (at.length === 0 || other.length !== x.length) return x;
  let max = 0;
  for (let i = 0; i < x.length; i++) max = Math.max(max, Math.abs(x[i]));
  const band = KINK_BAND * max;
  const out = alloc(x.length, dtypeOf(x));
  out.set(x);
  let changed = 0;
  for (let i = 0; i < x.length; i++) {
    for (const k of at) {
      if (Math.abs(x[i] - k) > band) continue;
      if (x[i] > k !== other[i] > k) changed++;
      out[i] = other[i];
    }
  }
  if (changed > 0) taken?.(changed);
  return out;
}

/** dx = y ⊙ (dy − Σ dy·y) per row of the softmax. */
function softmaxBackward(y: FloatArray, dy: FloatArray, dx: FloatArray, k: number): void {
  for (let r = 0; r < y.length; r += k) {
    let dot = 0;
    for (let j = r; j < r + k; j++) dot += dy[j] * y[j];
    for (let j = r; j < r + k; j++) dx[j] = y[j] * (dy[j] - dot);
  }
}

export const activationKernel: Kernel<'activation'> = (node, [x], _w, ctx) => {
  const a = node.attrs;
  if (a.fn === 'linear') {
    return {
      output: x,
      backward: (dy) => ({ inputs: [wantsGrad(ctx, 0) ? copyAs(dy) : null], weights: {} }),
    };
  }
  const dtype = dtypeOf(x.data);
  const y = alloc(x.data.length, dtype);
  const k = x.shape[x.shape.length - 1];
  const aux = a.fn === 'gelu' ? alloc(x.data.length, dtype) : null;
  if (a.fn === 'softmax') softmaxRows(x.data, y, k);
  else forward(a, x.data, y, aux);
  const output: Tensor = { shape: [...x.shape], data: y };
  return {
    output,
    backward: (dy) => {
      if (!wantsGrad(ctx, 0)) return { inputs: [null], weights: {} };
      const dx = alloc(x.data.length, dtypeOf(dy.data));
      if (a.fn === 'softmax') softmaxBackward(y, dy.data, dx, k);
      else {
        const xb = ctx.branchInput
          ? branchesFrom(a, x.data, ctx.branchInput, ctx.branchTaken)
          : x.data;
        backward(a, xb, y, aux, dy.data, dx);
      }
      return { inputs: [{ shape: [...x.shape], data: dx }], weights: {} };
    },
  };
};
