/**
 * Layout ops and dropout: the input node (identity), flatten and reshape (row-major, as tfjs
 * reshape), zero_pad and inverted dropout. Forward outputs of the identities and reshapes share the
 * input's buffer; gradients are always fresh buffers that the executor owns.
 */
import type { Kernel } from '../kernel.js';
import { alloc, dtypeOf, type Tensor } from '../tensor.js';
import { copyAs, wantsGrad } from './util.js';

export const inputKernel: Kernel<'input'> = (_node, [x], _w, ctx) => ({
  output: x,
  backward: (dy) => ({ inputs: [wantsGrad(ctx, 0) ? copyAs(dy) : null], weights: {} }),
});

/** The same values with another shape: output shares x's buffer, dx is a copy of dy. */
function reshaped(x: Tensor, shape: readonly number[], wanted: boolean) {
  return {
    output: { shape: [...shape], data: x.data },
    backward: (dy: Tensor) => ({ inputs: [wanted ? copyAs(dy, x.shape) : null], weights: {} }),
  };
}

export const flattenKernel: Kernel<'flatten'> = (_node, [x], _w, ctx) => {
  const n = x.shape[0];
  return reshaped(x, [n, n > 0 ? x.data.length / n : 0], wantsGrad(ctx, 0));
};

export const reshapeKernel: Kernel<'reshape'> = (node, [x], _w, ctx) => {
  const n = x.shape[0];
  const perSample = n > 0 ? x.data.length / n : 0;
  const target = [...node.attrs.shape];
  const free = target.indexOf(-1);
  const known = target.reduce((p, d) => (d === -1 ? p : p * d), 1);
  if (free >= 0) target[free] = known > 0 ? perSample / known : 0;
  const size = target.reduce((p, d) => p * d, 1);
  if (size !== perSample || !Number.isInteger(target[free] ?? 0))
    throw new Error(
      `${node.name}: cannot reshape [${x.shape.slice(1).join(', ')}] to [${node.attrs.shape.join(', ')}]`,
    );
  return reshaped(x, [n, ...target], wantsGrad(ctx, 0));
};

export const zeroPadKernel: Kernel<'zero_pad'> = (node, [x], _w, ctx) => {
  const p = node.attrs.pads;
  const rank = x.shape.length;
  if (rank !== 3 && rank !== 4)
    throw new Error(`${node.name}: zero_pad of an input [${x.shape.join(', ')}]`);
  const [N, H, W, C] = rank === 4 ? x.shape : [x.shape[0], 1, x.shape[1], x.shape[2]];
  // Spatial axis i gets pads p[2i], p[2i + 1] (missing ones are 0), as the lowering's tf.pad.
  const [top, bottom, left, right] =
    rank === 4 ? [p[0], p[1], p[2] ?? 0, p[3] ?? 0] : [0, 0, p[0], p[1] ?? 0];
  if ([top, bottom, left, right].some((v) => !(v >= 0)))
    throw new Error(`${node.name}: pads [${p.join(', ')}] for an input [${x.shape.join(', ')}]`);
  const OH = H + top + bottom;
  const OW = W + left + right;
  const rowLen = W * C;
  const y = alloc(N * OH * OW * C, dtypeOf(x.data));
  const at = (n: number, h: number): number => ((n * OH + h + top) * OW + left) * C;
  for (let n = 0; n < N; n++) {
    for (let h = 0; h < H; h++) {
      const from = (n * H + h) * rowLen;
      y.set(x.data.subarray(from, from + rowLen), at(n, h));
    }
  }
  const shape = rank === 4 ? [N, OH, OW, C] : [N, OW, C];
  return {
    output: { shape, data: y },
    backward: (dy) => {
      if (!wantsGrad(ctx, 0)) return { inputs: [null], weights: {} };
      const dx = alloc(x.data.length, dtypeOf(dy.data));
      for (let n = 0; n < N; n++) {
        for (let h = 0; h < H; h++) {
          const o = at(n, h);
          dx.set(dy.data.subarray(o, o + rowLen), (n * H + h) * rowLen);
        }
      }
      return { inputs: [{ shape: [...x.shape], data: dx }], weights: {} };
    },
  };
};

/**
 * Inverted dropout: in training each element is kept when ctx.random() ≥ rate (one draw per element,
 * in order) and scaled by 1 / (1 − rate); otherwise the identity. A rate of 1 drops everything.
 */
export const dropoutKernel: Kernel<'dropout'> = (node, [x], _w, ctx) => {
  const rate = node.attrs.rate;
  if (!ctx.training || rate <= 0) {
    return {
      output: x,
      backward: (dy) => ({ inputs: [wantsGrad(ctx, 0) ? copyAs(dy) : null], weights: {} }),
    };
  }
  const scale = rate < 1 ? 1 / (1 - rate) : 0;
  const n = x.data.length;
  const keep = new Uint8Array(n);
  const y = alloc(n, dtypeOf(x.data));
  for (let i = 0; i < n; i++) {
    if (ctx.random() >= rate) {
      keep[i] = 1;
      y[i] = x.data[i] * scale;
    }
  }
  return {
    output: { shape: [...x.shape], data: y },
    backward: (dy) => {
      if (!wantsGrad(ctx, 0)) return { inputs: [null], weights: {} };
      const dx = alloc(n, dtypeOf(dy.data));
      for (let i = 0; i < n; i++) if (keep[i]) dx[i] = dy.data[i] * scale;
      return { inputs: [{ shape: [...x.shape], data: dx }], weights: {} };
    },
  };
};
