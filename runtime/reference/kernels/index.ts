/**
 * The reference executor's kernel table: one forward/backward kernel per IR op
 * (runtime/reference/kernel.ts describes the contract). Kernels work in float32 and float64 (the
 * output takes the input's dtype). Forward outputs of identity-like ops (input, linear, dropout in
 * inference, flatten, reshape) share their input's buffer; every gradient a backward pass returns
 * is a fresh buffer.
 */
import type { KernelTable } from '../kernel.js';
import { activationKernel } from './activation.js';
import {
  conv1dKernel,
  conv2dKernel,
  conv2dTransposeKernel,
  depthwiseConv2dKernel,
} from './conv.js';
import { denseKernel } from './dense.js';
import { yoloKernel } from './yolo.js';
import { addKernel, concatKernel, highwayKernel, multiplyKernel } from './merge.js';
import { batchNormKernel, lrnKernel } from './norm.js';
import {
  adaptiveAvgPoolKernel,
  adaptiveMaxPoolKernel,
  avgPoolKernel,
  globalAvgPoolKernel,
  globalMaxPoolKernel,
  maxPoolKernel,
} from './pool.js';
import {
  dropoutKernel,
  flattenKernel,
  inputKernel,
  reshapeKernel,
  zeroPadKernel,
} from './shape.js';
import { upsampleKernel } from './upsample.js';

export const kernels: KernelTable = {
  input: inputKernel,
  conv2d: conv2dKernel,
  conv1d: conv1dKernel,
  depthwise_conv2d: depthwiseConv2dKernel,
  conv2d_transpose: conv2dTransposeKernel,
  max_pool: maxPoolKernel,
  avg_pool: avgPoolKernel,
  global_max_pool: globalMaxPoolKernel,
  global_avg_pool: globalAvgPoolKernel,
  adaptive_max_pool: adaptiveMaxPoolKernel,
  adaptive_avg_pool: adaptiveAvgPoolKernel,
  dense: denseKernel,
  flatten: flattenKernel,
  reshape: reshapeKernel,
  zero_pad: zeroPadKernel,
  upsample: upsampleKernel,
  dropout: dropoutKernel,
  batch_norm: batchNormKernel,
  lrn: lrnKernel,
  activation: activationKernel,
  add: addKernel,
  multiply: multiplyKernel,
  concat: concatKernel,
  highway: highwayKernel,
  yolo: yoloKernel,
};
