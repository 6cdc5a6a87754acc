/**
 * The attributes of a `yolo` head statement: `yolo 3 boxes 2` (v1: B boxes per cell) or
 * `yolo 3 anchors (16, 16, 32, 32) stride 16` (v2/v3: one box per anchor, anchors as w, h pairs in
 * input pixels). A head has either boxes or anchors; anchors come in positive pairs (CNN2120).
 */
import type { YoloAttrs } from '../ir/ops.js';
import type { BuildContext, Getter } from './build-attrs.js';

export function yoloAttrs(g: Getter, ctx: BuildContext): { op: 'yolo'; attrs: YoloAttrs } {
  const classes = g.count('classes');
  const stride = ctx.attrs.has('stride') ? g.count('stride') : 0;
  const rawAnchors = ctx.attrs.get('anchors');
  if (!rawAnchors)
    return { op: 'yolo', attrs: { classes, boxes: g.count('boxes'), anchors: [], stride } };
  const flat = g.shape('anchors');
  const bad = (message: string, help: string) => {
    ctx.report('CNN2120', message, rawAnchors.span, help);
    g.ok = false;
    return { op: 'yolo' as const, attrs: { classes, boxes: 1, anchors: [], stride } };
  };
  if (ctx.attrs.has('boxes'))
    return bad(
      'a yolo head takes `boxes` (v1) or `anchors` (v2/v3), not both',
      'an anchor head predicts one box per anchor: drop `boxes`',
    );
  if (flat.length === 0 || flat.length % 2 !== 0)
    return bad(
      `anchors come in (width, height) pairs; found ${flat.length} number${flat.length === 1 ? '' : 's'}`,
      'write `anchors (w1, h1, w2, h2, …)` in input pixels',
    );
  if (!flat.every((v): v is number => typeof v === 'number' && v > 0))
    return bad(
      'anchor sizes must be positive whole numbers of pixels',
      'write e.g. `anchors (16, 16, 32, 32)`',
    );
  const nums = flat as number[];
  const anchors = Array.from(
    { length: nums.length / 2 },
    (_, i) => [nums[2 * i], nums[2 * i + 1]] as const,
  );
  return { op: 'yolo', attrs: { classes, boxes: anchors.length, anchors, stride } };
}
