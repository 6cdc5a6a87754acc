/**
 * Batch norm and local response norm over the last (channel) axis, as runtime/tfjs/lower-norm.ts.
 *
 * Batch norm in training mode (node not frozen) normalises with the batch mean and biased variance
 * over every axis but the last, and returns the moving statistics moved by PyTorch's rule
 * running = (1 − momentum)·running + momentum·batch, with the unbiased batch variance; the backward
 * pass goes through the batch statistics. In inference, or for a frozen node in any mode, it uses
 * the moving statistics and returns no buffers. gamma and beta exist only when `affine`.
 */
import type { Kernel } from '../kernel.js';
import { alloc, dtypeOf, type Tensor } from '../tensor.js';
import { needWeight, wantsGrad } from './util.js';

export const batchNormKernel: Kernel<'batch_norm'> = (node, [x], weights, ctx) => {
  const { epsilon, momentum, affine } = node.attrs;
  const gamma = affine ? needWeight(node.name, weights, 'gamma') : null;
  const beta = affine ? needWeight(node.name, weights, 'beta') : null;
  const runMean = needWeight(node.name, weights, 'moving_mean');
  const runVar = needWeight(node.name, weights, 'moving_variance');
  const C = x.shape[x.shape.length - 1];
  const n = x.data.length;
  const M = n / C;
  const xd = x.data;
  const batch = ctx.training && !node.frozen;
  const mean = new Float64Array(C);
  const invStd = new Float64Array(C);
  let buffers: Record<string, Tensor> | undefined;
  if (batch) {
    const variance = new Float64Array(C);
    for (let i = 0; i < n; i += C) for (let c = 0; c < C; c++) mean[c] += xd[i + c];
    for (let c = 0; c < C; c++) mean[c] /= M;
    for (let i = 0; i < n; i += C) {
      for (let c = 0; c < C; c++) {
        const d = xd[i + c] - mean[c];
        variance[c] += d * d;
      }
    }
    const unbiased = M > 1 ? M / (M - 1) : 1;
    const nextMean = alloc(C, dtypeOf(runMean.data));
    const nextVar = alloc(C, dtypeOf(runVar.data));
    for (let c = 0; c < C; c++) {
      variance[c] /= M;
      invStd[c] = 1 / Math.sqrt(variance[c] + epsilon);
      nextMean[c] = (1 - momentum) * runMean.data[c] + momentum * mean[c];
      nextVar[c] = (1 - momentum) * runVar.data[c] + momentum * unbiased * variance[c];
    }
    buffers = {
      moving_mean: { shape: [C], data: nextMean },
      moving_variance: { shape: [C], data: nextVar },
    };
  } else {
    for (let c = 0; c < C; c++) {
      mean[c] = runMean.data[c];
      invStd[c] = 1 / Math.sqrt(runVar.data[c] + epsilon);
    }
  }
  // y = x·scale + shift per channel.
  const scale = new Float64Array(C);
  const shift = new Float64Array(C);
  for (let c = 0; c < C; c++) {
    scale[c] = invStd[c] * (gamma ? gamma.data[c] : 1);
    shift[c] = (beta ? beta.data[c] : 0) - mean[c] * scale[c];
  }
  const y = alloc(n, dtypeOf(xd));
  for (let i = 0; i < n; i += C)
    for (let c = 0; c < C; c++) y[i + c] = xd[i + c] * scale[c] + shift[c];
  return {
    output: { shape: [...x.shape], data: y },
    ...(buffers ? { buffers } : {}),
    backward: (dy) => {
      const g = dy.data;
      const sumDy = new Float64Array(C);
      const sumDyXhat = new Float64Array(C);
      for (let i = 0; i < n; i += C) {
        for (let c = 0; c < C; c++) {
          sumDy[c] += g[i + c];
          sumDyXhat[c] += g[i + c] * (xd[i + c] - mean[c]) * invStd[c];
        }
      }
      let dx: Tensor | null = null;
      if (wantsGrad(ctx, 0)) {
        const d = alloc(n, dtypeOf(g));
        if (batch) {
          // dx = γ·invStd·(dy − mean(dy) − x̂·mean(dy·x̂)), through the batch statistics.
          const a = new Float64Array(C);
          const b = new Float64Array(C);
          for (let c = 0; c < C; c++) {
            a[c] = sumDy[c] / M;
            b[c] = (sumDyXhat[c] / M) * invStd[c];
          }
          for (let i = 0; i < n; i += C) {
            for (let c = 0; c < C; c++)
              d[i + c] = scale[c] * (g[i + c] - a[c] - (xd[i + c] - mean[c]) * b[c]);
          }
        } else {
          for (let i = 0; i < n; i += C) for (let c = 0; c < C; c++) d[i + c] = g[i + c] * scale[c];
        }
        dx = { shape: [...x.shape], data: d };
      }
      const grads: Record<string, Tensor> = {};
      if (gamma && beta) {
        const dGamma = alloc(C, dtypeOf(gamma.data));
        const dBeta = alloc(C, dtypeOf(beta.data));
        dGamma.set(sumDyXhat);
        dBeta.set(sumDy);
        grads.gamma = { shape: [C], data: dGamma };
        grads.beta = { shape: [C], data: dBeta };
      }
      return { inputs: [dx], weights: grads };
    },
  };
};

/**
 * PyTorch's LocalResponseNorm: b_c = a_c / D_c^beta, D_c = k + alpha/size · Σ a_j² over channels
 * j = c − ⌊size/2⌋ … c + ⌊(size − 1)/2⌋ (zeros outside). Window sums come from prefix sums, so each
 * pixel costs O(C) whatever the size; the backward pass recomputes D (one pow per element).
 */
export const lrnKernel: Kernel<'lrn'> = (node, [x], _w, ctx) => {
  const { size, alpha, beta, k } = node.attrs;
  const C = x.shape[x.shape.length - 1];
  const n = x.data.length;
  const lo = Math.floor(size / 2);
  const hi = Math.floor((size - 1) / 2);
  const coef = alpha / size;
  const xd = x.data;
  const prefix = new Float64Array(C + 1);
  const denom = new Float64Array(C);
  /** D_c of the pixel at offset i into `denom`. */
  const fillDenom = (i: number): void => {
    for (let c = 0; c < C; c++) prefix[c + 1] = prefix[c] + xd[i + c] * xd[i + c];
    for (let c = 0; c < C; c++)
      denom[c] = k + coef * (prefix[Math.min(C, c + hi + 1)] - prefix[Math.max(0, c - lo)]);
  };
  const y = alloc(n, dtypeOf(xd));
  for (let i = 0; i < n; i += C) {
    fillDenom(i);
    for (let c = 0; c < C; c++) y[i + c] = xd[i + c] * Math.pow(denom[c], -beta);
  }
  return {
    output: { shape: [...x.shape], data: y },
    backward: (dy) => {
      if (!wantsGrad(ctx, 0)) return { inputs: [null], weights: {} };
      const g = dy.data;
      const dx = alloc(n, dtypeOf(g));
      // t_c = dy_c·a_c·D_c^(−beta−1); dx_j = dy_j·D_j^(−beta) − 2·beta·coef·a_j·Σ t_c over the
      // channels c whose window holds j: c = j − hi … j + lo.
      const tPrefix = new Float64Array(C + 1);
      for (let i = 0; i < n; i += C) {
        fillDenom(i);
        for (let c = 0; c < C; c++) {
          const p = Math.pow(denom[c], -beta);
          tPrefix[c + 1] = tPrefix[c] + (g[i + c] * xd[i + c] * p) / denom[c];
          denom[c] = p;
        }
        // denom now holds D^(−beta).
        for (let j = 0; j < C; j++) {
          const t = tPrefix[Math.min(C, j + lo + 1)] - tPrefix[Math.max(0, j - hi)];
          dx[i + j] = g[i + j] * denom[j] - 2 * beta * coef * xd[i + j] * t;
        }
      }
      return { inputs: [{ shape: [...x.shape], data: dx }], weights: {} };
    },
  };
};
