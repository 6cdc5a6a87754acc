/**
 * The yolo head's shape rule: its input is an [S_h, S_w, channels] grid whose channel count the head's
 * layout fixes — B·5 + C for a v1 head (B boxes of x, y, √w, √h, confidence, then C class scores per
 * cell), A·(5 + C) for an anchor head (per anchor tx, ty, tw, th, objectness, C class logits).
 * A mismatch is CNN3100 with the arithmetic. The output is the input (the head only declares it);
 * the grid against the image size and stride is checked once the strides are known
 * (checkDetectionGrids, compiler/sema/detection-grid.ts).
 */
import { diag } from '../diagnostics/diagnostic.js';
import type { YoloAttrs } from '../ir/ops.js';
import type { Dim } from './dim.js';
import {
  inputLabel,
  requireChannels,
  requireRank,
  shapeText,
  type ShapeRule,
} from './shape-rule-context.js';

/** The channels a head's layout needs, and how they are counted (for notes). */
export function yoloChannels(a: YoloAttrs): { channels: number; formula: string } {
  if (a.anchors.length > 0) {
    const A = a.anchors.length;
    return {
      channels: A * (5 + a.classes),
      formula: `A·(5 + C) = ${A}·(5 + ${a.classes}) = ${A * (5 + a.classes)}`,
    };
  }
  return {
    channels: a.boxes * 5 + a.classes,
    formula: `B·5 + C = ${a.boxes}·5 + ${a.classes} = ${a.boxes * 5 + a.classes}`,
  };
}

export const yoloShape: ShapeRule<'yolo'> = (a, ctx): Dim[] | null => {
  const shape = requireRank(ctx, 3, 'a yolo head reads an SxSxN grid: end the backbone in a conv');
  if (!shape) return null;
  const c = requireChannels(ctx, shape);
  if (c === null) return null;
  const { channels, formula } = yoloChannels(a);
  if (c !== channels) {
    const style = a.anchors.length
      ? `${a.anchors.length} anchors × (4 box values + objectness + ${a.classes} classes)`
      : `${a.boxes} boxes × (x, y, √w, √h, confidence) + ${a.classes} class scores`;
    ctx.report(
      diag('CNN3100', `yolo head needs ${channels} channels per cell; its input has ${c}`, {
        span: ctx.node.span,
        spanLabel: `expects ${channels} channels`,
        labels: [inputLabel(ctx.inputs[0], shapeText(shape, ctx.env), false)],
        notes: [`${formula}: ${style}`],
        help: `end the backbone with \`conv ${channels} 1x1\``,
      }),
    );
    return null;
  }
  ctx.explain(`yolo head: ${formula} channels per cell`);
  return [...shape];
};
