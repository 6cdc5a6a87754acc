// Gradients of the NHWC depthwise convolution as plain loops over Float32Arrays.
//
// Forward: y[n, oh, ow, c·M + m] = Σ_{kh,kw} x[n, oh·s + kh·d − pt, ow·s + kw·d − pl, c] · w[kh, kw, c, m]
// Both gradients walk (n, oh, kh, ow, kw) once and run the innermost loop over the contiguous
// channel axis, so the cost is that of the forward op with no index arithmetic in the hot loop.

import type { Conv2DInfo } from './kernel-utils.js';

/**
 * Calls `tap(xBase, wBase, dyBase)` for every (n, oh, kh, ow, kw) whose input pixel lies inside the
 * input: the offsets of channel 0 of that pixel in x, of that kernel tap in w, and of that output
 * pixel in dy. Both gradients are this walk with a different channel loop.
 */
function forEachTap(
  info: Conv2DInfo,
  tap: (xBase: number, wBase: number, dyBase: number) => void,
): void {
  const { batchSize, inHeight, inWidth, inChannels: C, outHeight, outWidth, outChannels } = info;
  const { filterHeight: KH, filterWidth: KW, strideHeight: sh, strideWidth: sw } = info;
  const { dilationHeight: dh, dilationWidth: dwid } = info;
  const pt = info.padInfo.top;
  const pl = info.padInfo.left;
  for (let n = 0; n < batchSize; n++) {
    for (let oh = 0; oh < outHeight; oh++) {
      for (let kh = 0; kh < KH; kh++) {
        const ih = oh * sh + kh * dh - pt;
        if (ih < 0 || ih >= inHeight) continue;
        const xRow = (n * inHeight + ih) * inWidth;
        const dyRow = (n * outHeight + oh) * outWidth;
        for (let ow = 0; ow < outWidth; ow++) {
          const dyBase = (dyRow + ow) * outChannels;
          for (let kw = 0; kw < KW; kw++) {
            const iw = ow * sw + kw * dwid - pl;
            if (iw < 0 || iw >= inWidth) continue;
            tap((xRow + iw) * C, (kh * KW + kw) * outChannels, dyBase);
          }
        }
      }
    }
  }
}

/** dW[kh, kw, c, m] = Σ_{n,oh,ow} x[n, ih, iw, c] · dy[n, oh, ow, c·M + m]; `dw` is overwritten. */
export function depthwiseFilterGrad(
  info: Conv2DInfo,
  x: Float32Array,
  dy: Float32Array,
  dw: Float32Array,
): void {
  const C = info.inChannels;
  const M = info.outChannels / C;
  dw.fill(0);
  forEachTap(info, (xBase, wBase, dyBase) => {
    if (M === 1) {
      for (let c = 0; c < C; c++) dw[wBase + c] += x[xBase + c] * dy[dyBase + c];
      return;
    }
    for (let c = 0; c < C; c++) {
      const xv = x[xBase + c];
      const o = c * M;
      for (let m = 0; m < M; m++) dw[wBase + o + m] += xv * dy[dyBase + o + m];
    }
  });
}

/** dX[n, ih, iw, c] = Σ_{kh,kw,m} w[kh, kw, c, m] · dy[n, oh, ow, c·M + m]; `dx` is overwritten. */
export function depthwiseInputGrad(
  info: Conv2DInfo,
  w: Float32Array,
  dy: Float32Array,
  dx: Float32Array,
): void {
  const C = info.inChannels;
  const M = info.outChannels / C;
  dx.fill(0);
  forEachTap(info, (xBase, wBase, dyBase) => {
    if (M === 1) {
      for (let c = 0; c < C; c++) dx[xBase + c] += w[wBase + c] * dy[dyBase + c];
      return;
    }
    for (let c = 0; c < C; c++) {
      const o = c * M;
      let acc = 0;
      for (let m = 0; m < M; m++) acc += w[wBase + o + m] * dy[dyBase + o + m];
      dx[xBase + c] += acc;
    }
  });
}
