/**
 * The output shape of every IR op, as a table of pure functions: `shapeRules[op](attrs, ctx)`.
 * A rule reports what is wrong through `ctx.report` and returns null; the analysis pass then poisons
 * the node's consumers so that one mistake gives one error. Rules never see a null input shape.
 *
 * The rules live in families: shape-rules-conv.ts, shape-rules-pool.ts, shape-rules-misc.ts,
 * shape-rules-merge.ts, with the shared sliding-window logic in shape-rules-window.ts.
 */
import type { OpKind } from '../ir/ops.js';
import type { ShapeRule } from './shape-rule-context.js';
import { conv1dShape, conv2dShape, depthwiseShape, transposeShape } from './shape-rules-conv.js';
import { addShape, concatShape, highwayShape, multiplyShape } from './shape-rules-merge.js';
import {
  denseShape,
  flattenShape,
  inputShape,
  normShape,
  reshapeShape,
  sameShape,
  upsampleShape,
  zeroPadShape,
} from './shape-rules-misc.js';
import { yoloShape } from './shape-rules-yolo.js';
import { adaptivePoolShape, globalPoolShape, poolShape } from './shape-rules-pool.js';

export type { RuleContext, ShapeRule } from './shape-rule-context.js';

export const shapeRules: { readonly [K in OpKind]: ShapeRule<K> } = {
  input: inputShape,
  conv2d: conv2dShape,
  conv1d: conv1dShape,
  depthwise_conv2d: depthwiseShape,
  conv2d_transpose: transposeShape,
  max_pool: poolShape,
  avg_pool: poolShape,
  global_max_pool: globalPoolShape,
  global_avg_pool: globalPoolShape,
  adaptive_max_pool: adaptivePoolShape,
  adaptive_avg_pool: adaptivePoolShape,
  dense: denseShape,
  flatten: flattenShape,
  reshape: reshapeShape,
  zero_pad: zeroPadShape,
  upsample: upsampleShape,
  dropout: sameShape,
  batch_norm: normShape,
  lrn: normShape,
  activation: sameShape,
  add: addShape,
  multiply: multiplyShape,
  concat: concatShape,
  highway: highwayShape,
  yolo: yoloShape,
};
