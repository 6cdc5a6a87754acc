/**
 * Merges of several inputs: elementwise add and multiply of same-shaped inputs (any number of them)
 * and concat along the last (channel) axis.
 */
import type { Kernel } from '../kernel.js';
import { alloc, dtypeOf, type Tensor } from '../tensor.js';
import { checkSameShapes, copyAs, wantsGrad } from './util.js';

export const addKernel: Kernel<'add'> = (node, xs, _w, ctx) => {
  checkSameShapes(node.name, xs);
  const y = alloc(xs[0].data.length, dtypeOf(xs[0].data));
  for (const x of xs) {
    const d = x.data;
    for (let i = 0; i < y.length; i++) y[i] += d[i];
  }
  return {
    output: { shape: [...xs[0].shape], data: y },
    backward: (dy) => ({
      inputs: xs.map((x, i) => (wantsGrad(ctx, i) ? copyAs(dy, x.shape) : null)),
      weights: {},
    }),
  };
};

export const multiplyKernel: Kernel<'multiply'> = (node, xs, _w, ctx) => {
  checkSameShapes(node.name, xs);
  const y = alloc(xs[0].data.length, dtypeOf(xs[0].data));
  y.set(xs[0].data);
  for (let k = 1; k < xs.length; k++) {
    const d = xs[k].data;
    for (let i = 0; i < y.length; i++) y[i] *= d[i];
  }
  return {
    output: { shape: [...xs[0].shape], data: y },
    backward: (dy) => ({
      // dL/dx_k = dy · Π_{j≠k} x_j (not y / x_k, which fails where x_k = 0).
      inputs: xs.map((x, k): Tensor | null => {
        if (!wantsGrad(ctx, k)) return null;
        const dx = alloc(y.length, dtypeOf(dy.data));
        dx.set(dy.data);
        xs.forEach((other, j) => {
          if (j === k) return;
          const d = other.data;
          for (let i = 0; i < dx.length; i++) dx[i] *= d[i];
        });
        return { shape: [...x.shape], data: dx };
      }),
      weights: {},
    }),
  };
};

export const concatKernel: Kernel<'concat'> = (node, xs, _w, ctx) => {
  const lead = xs[0].shape.slice(0, -1);
  const rows = lead.reduce((p, d) => p * d, 1);
  const widths = xs.map((x) => x.shape[x.shape.length - 1]);
  for (const x of xs) {
    if (x.shape.slice(0, -1).join(', ') !== lead.join(', '))
      throw new Error(`${node.name}: cannot concat [${x.shape.join(', ')}] with [${xs[0].shape}]`);
  }
  const total = widths.reduce((a, b) => a + b, 0);
  const y = alloc(rows * total, dtypeOf(xs[0].data));
  let offset = 0;
  xs.forEach((x, k) => {
    const c = widths[k];
    const d = x.data;
    for (let r = 0; r < rows; r++) {
      const o = r * total + offset;
      for (let j = 0; j < c; j++) y[o + j] = d[r * c + j];
    }
    offset += c;
  });
  return {
    output: { shape: [...lead, total], data: y },
    backward: (dy) => {
      let off = 0;
      const inputs = xs.map((x, k): Tensor | null => {
        const c = widths[k];
        const from = off;
        off += c;
        if (!wantsGrad(ctx, k)) return null;
        const dx = alloc(rows * c, dtypeOf(dy.data));
        const g = dy.data;
        for (let r = 0; r < rows; r++) {
          const o = r * total + from;
          for (let j = 0; j < c; j++) dx[r * c + j] = g[o + j];
        }
        return { shape: [...x.shape], data: dx };
      });
      return { inputs, weights: {} };
    },
  };
};
