/**
 * Merges of several inputs: element-wise add and multiply (any number of inputs, broadcasting a
 * [C] or [1, 1, C] input along the spatial axes: broadcast.ts), concat along the last (channel)
 * axis, and highway's t·h + (1 − t)·x.
 */
import type { Kernel } from '../kernel.js';
import { alloc, dtypeOf, type Tensor } from '../tensor.js';
import { broadcastIndex, broadcastShape } from './broadcast.js';
import { checkSameShapes, copyAs, wantsGrad } from './util.js';

/** The gradient of a broadcast input: dy summed into the elements each one was read by. */
function reduceTo(dy: Tensor, x: Tensor, map: Int32Array | undefined): Tensor {
  if (!map) return copyAs(dy, x.shape);
  const dx = alloc(x.data.length, dtypeOf(dy.data));
  const g = dy.data;
  for (let i = 0; i < g.length; i++) dx[map[i]] += g[i];
  return { shape: [...x.shape], data: dx };
}

export const addKernel: Kernel<'add'> = (node, xs, _w, ctx) => {
  const shape = broadcastShape(node.name, xs);
  const maps = xs.map((x) => broadcastIndex(x.shape, shape));
  const n = shape.reduce((p, d) => p * d, 1);
  const y = alloc(n, dtypeOf(xs[0].data));
  xs.forEach((x, k) => {
    const d = x.data;
    const m = maps[k];
    if (m) for (let i = 0; i < n; i++) y[i] += d[m[i]];
    else for (let i = 0; i < n; i++) y[i] += d[i];
  });
  return {
    output: { shape: [...shape], data: y },
    backward: (dy) => ({
      inputs: xs.map((x, i) => (wantsGrad(ctx, i) ? reduceTo(dy, x, maps[i]) : null)),
      weights: {},
    }),
  };
};

export const multiplyKernel: Kernel<'multiply'> = (node, xs, _w, ctx) => {
  const shape = broadcastShape(node.name, xs);
  const maps = xs.map((x) => broadcastIndex(x.shape, shape));
  const n = shape.reduce((p, d) => p * d, 1);
  /** Input k's values read at every output element. */
  const at = (k: number, i: number) => xs[k].data[maps[k]?.[i] ?? i];
  const y = alloc(n, dtypeOf(xs[0].data));
  for (let i = 0; i < n; i++) {
    let v = at(0, i);
    for (let k = 1; k < xs.length; k++) v *= at(k, i);
    y[i] = v;
  }
  return {
    output: { shape: [...shape], data: y },
    backward: (dy) => ({
      // dL/dx_k = dy · Π_{j≠k} x_j (not y / x_k, which fails where x_k = 0), summed where broadcast.
      inputs: xs.map((x, k): Tensor | null => {
        if (!wantsGrad(ctx, k)) return null;
        const prod = alloc(n, dtypeOf(dy.data));
        prod.set(dy.data);
        xs.forEach((_other, j) => {
          if (j === k) return;
          for (let i = 0; i < n; i++) prod[i] *= at(j, i);
        });
        return reduceTo({ shape: [...shape], data: prod }, x, maps[k]);
      }),
      weights: {},
    }),
  };
};

/**
 * Inputs [x, h, t]: y = t·h + (1 − t)·x, computed as x + t·(h − x) as tfjs and PyTorch do; t may
 * broadcast ([C], [1, 1, C]).
 */
export const highwayKernel: Kernel<'highway'> = (node, xs, _w, ctx) => {
  const [x, h, t] = xs;
  checkSameShapes(node.name, [x, h]);
  broadcastShape(node.name, [x, t]);
  const map = broadcastIndex(t.shape, x.shape);
  const n = x.data.length;
  const y = alloc(n, dtypeOf(x.data));
  const xd = x.data;
  const hd = h.data;
  const td = t.data;
  for (let i = 0; i < n; i++) {
    const g = td[map ? map[i] : i];
    y[i] = xd[i] + g * (hd[i] - xd[i]);
  }
  return {
    output: { shape: [...x.shape], data: y },
    backward: (dy) => {
      const g = dy.data;
      const dx = wantsGrad(ctx, 0) ? alloc(n, dtypeOf(g)) : null;
      const dh = wantsGrad(ctx, 1) ? alloc(n, dtypeOf(g)) : null;
      const dtFull = wantsGrad(ctx, 2) ? alloc(n, dtypeOf(g)) : null;
      for (let i = 0; i < n; i++) {
        const gate = td[map ? map[i] : i];
        if (dx) dx[i] = g[i] * (1 - gate);
        if (dh) dh[i] = g[i] * gate;
        if (dtFull) dtFull[i] = g[i] * (hd[i] - xd[i]);
      }
      return {
        inputs: [
          dx && { shape: [...x.shape], data: dx },
          dh && { shape: [...h.shape], data: dh },
          dtFull && reduceTo({ shape: [...x.shape], data: dtFull }, t, map),
        ],
        weights: {},
      };
    },
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
