/**
 * upsample: nearest and bilinear with PyTorch's align_corners=False source rows and weights
 * (compiler/ir/upsample.ts). Forward in PyTorch's order, h0·(w0·x00 + w1·x01) + h1·(w0·x10 + w1·x11);
 * backward scatters dy·weight into the four taps with `+=`.
 */
import { upsampleTaps } from '../../../compiler/ir/upsample.js';
import type { Kernel } from '../kernel.js';
import { alloc, dtypeOf } from '../tensor.js';
import { wantsGrad } from './util.js';

export const upsampleKernel: Kernel<'upsample'> = (node, [x], _w, ctx) => {
  if (x.shape.length !== 4)
    throw new Error(`${node.name}: upsample of an input [${x.shape.join(', ')}]`);
  const [N, H, W, C] = x.shape;
  const th = upsampleTaps(node.attrs, 0, H);
  const tw = upsampleTaps(node.attrs, 1, W);
  const OH = th.i0.length;
  const OW = tw.i0.length;
  const xd = x.data;
  /**
   * Visits every output pixel with its offset `o` and its four source taps (offsets a = (h0, w0),
   * b = (h0, w1), c = (h1, w0), d = (h1, w1)) and their weights: the forward and backward share it.
   */
  const eachPixel = (
    visit: (o: number, a: number, b: number, c: number, d: number, hw: readonly number[]) => void,
  ) => {
    const hw = [0, 0, 0, 0];
    for (let n = 0; n < N; n++) {
      for (let oh = 0; oh < OH; oh++) {
        const r0 = (n * H + th.i0[oh]) * W;
        const r1 = (n * H + th.i1[oh]) * W;
        hw[0] = th.w0[oh];
        hw[1] = th.w1[oh];
        for (let ow = 0; ow < OW; ow++) {
          const c0 = tw.i0[ow];
          const c1 = tw.i1[ow];
          hw[2] = tw.w0[ow];
          hw[3] = tw.w1[ow];
          visit(
            ((n * OH + oh) * OW + ow) * C,
            (r0 + c0) * C,
            (r0 + c1) * C,
            (r1 + c0) * C,
            (r1 + c1) * C,
            hw,
          );
        }
      }
    }
  };
  const y = alloc(N * OH * OW * C, dtypeOf(xd));
  eachPixel((o, a, b, c, d, [h0, h1, w0, w1]) => {
    for (let k = 0; k < C; k++) {
      y[o + k] = h0 * (w0 * xd[a + k] + w1 * xd[b + k]) + h1 * (w0 * xd[c + k] + w1 * xd[d + k]);
    }
  });
  return {
    output: { shape: [N, OH, OW, C], data: y },
    backward: (dy) => {
      if (!wantsGrad(ctx, 0)) return { inputs: [null], weights: {} };
      const g = dy.data;
      const dx = alloc(xd.length, dtypeOf(g));
      eachPixel((o, a, b, c, d, [h0, h1, w0, w1]) => {
        for (let k = 0; k < C; k++) {
          const v = g[o + k];
          dx[a + k] += h0 * w0 * v;
          dx[b + k] += h0 * w1 * v;
          dx[c + k] += h1 * w0 * v;
          dx[d + k] += h1 * w1 * v;
        }
      });
      return { inputs: [{ shape: [...x.shape], data: dx }], weights: {} };
    },
  };
};
