// MaxPoolGrad for the wasm backend. tfjs-backend-wasm 4.22's own kernel returns wrong gradients for
// some shapes (e.g. a 2x2 / 2 pool over [1, 4, 4, 1] or over an odd 3x3 map, and overlapping
// stride-1 windows; see test/runtime/tfjs/lower-wasm.test.ts), so cnnc replaces it with this loop,
// which follows the cpu backend exactly: each window routes its gradient to the first position
// holding its maximum.

import type * as Tf from '@tensorflow/tfjs';
import {
  asWasmBackend,
  heapF32,
  padAttr,
  pairAttr,
  requireInput,
  roundingAttr,
  shape4,
  type TfModule,
} from './kernel-utils.js';

/** The MaxPoolGrad kernel; runtime/tfjs/wasm-kernels.ts registers it for wasm. */
export function maxPoolGrad(tf: TfModule, args: Parameters<Tf.KernelFunc>[0]): Tf.TensorInfo {
  const backend = asWasmBackend(args.backend);
  const attrs = args.attrs ?? {};
  const dyInfo = requireInput(args.inputs, 'dy');
  const xInfo = requireInput(args.inputs, 'input');
  const xShape = shape4(xInfo, 'input');
  const info = tf.backend_util.computePool2DInfo(
    xShape,
    pairAttr(attrs, 'filterSize', 1),
    pairAttr(attrs, 'strides', 1),
    1,
    padAttr(attrs),
    roundingAttr(attrs),
  );
  const out = backend.makeOutput([...xShape], 'float32');
  // Views after makeOutput: allocating may grow the heap and detach earlier views.
  const dx = heapF32(backend, out);
  const x = heapF32(backend, xInfo);
  const dy = heapF32(backend, dyInfo);
  dx.fill(0);
  const [N, H, W, C] = xShape;
  const { outHeight: OH, outWidth: OW, filterHeight: KH, filterWidth: KW } = info;
  const { strideHeight: sh, strideWidth: sw } = info;
  const pt = info.padInfo.top;
  const pl = info.padInfo.left;
  for (let n = 0; n < N; n++) {
    for (let oh = 0; oh < OH; oh++) {
      for (let ow = 0; ow < OW; ow++) {
        const dyBase = ((n * OH + oh) * OW + ow) * C;
        for (let c = 0; c < C; c++) {
          let best = -Infinity;
          let at = -1;
          for (let kh = 0; kh < KH; kh++) {
            const ih = oh * sh - pt + kh;
            if (ih < 0 || ih >= H) continue;
            for (let kw = 0; kw < KW; kw++) {
              const iw = ow * sw - pl + kw;
              if (iw < 0 || iw >= W) continue;
              const i = ((n * H + ih) * W + iw) * C + c;
              if (x[i] > best || at < 0) {
                best = x[i];
                at = i;
              }
            }
          }
          if (at >= 0) dx[at] += dy[dyBase + c];
        }
      }
    }
  }
  return out;
}
