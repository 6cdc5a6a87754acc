/**
 * The yolo head: the identity (the head declares its input's layout; decoding and the loss read the
 * raw grid, runtime/detection/yolo.ts). The output shares the input's buffer; dx is a copy of dy.
 */
import type { Kernel } from '../kernel.js';
import { copyAs, wantsGrad } from './util.js';

export const yoloKernel: Kernel<'yolo'> = (_node, [x], _w, ctx) => ({
  output: x,
  backward: (dy) => ({ inputs: [wantsGrad(ctx, 0) ? copyAs(dy) : null], weights: {} }),
});
