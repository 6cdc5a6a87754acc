/**
 * Axis-aligned boxes as COCO writes them: [x, y, w, h] in pixels, (x, y) the top-left corner. The
 * overlap measures here are the ones COCO's evaluation uses (pycocotools' maskUtils.iou on boxes):
 * IoU = intersection / union, and for a crowd ground truth intersection / area of the detection.
 */

export type Xywh = readonly [number, number, number, number];

export function area(b: Xywh): number {
  return Math.max(0, b[2]) * Math.max(0, b[3]);
}

export function intersection(a: Xywh, b: Xywh): number {
  const w = Math.min(a[0] + a[2], b[0] + b[2]) - Math.max(a[0], b[0]);
  const h = Math.min(a[1] + a[3], b[1] + b[3]) - Math.max(a[1], b[1]);
  return w > 0 && h > 0 ? w * h : 0;
}

/** Intersection over union; 0 when both are empty. */
export function iou(a: Xywh, b: Xywh): number {
  const i = intersection(a, b);
  const u = area(a) + area(b) - i;
  return u > 0 ? i / u : 0;
}

/**
 * COCO's overlap of detection `d` with ground truth `g`: IoU, or, when g is a crowd region,
 * intersection / area(d) (a detection inside a crowd matches it wholly).
 */
export function cocoOverlap(d: Xywh, g: Xywh, crowd: boolean): number {
  if (!crowd) return iou(d, g);
  const a = area(d);
  return a > 0 ? intersection(d, g) / a : 0;
}

/** A box clipped to [0, W] × [0, H]; its width or height may become 0. */
export function clipBox(b: Xywh, width: number, height: number): Xywh {
  const x0 = Math.min(Math.max(b[0], 0), width);
  const y0 = Math.min(Math.max(b[1], 0), height);
  const x1 = Math.min(Math.max(b[0] + b[2], 0), width);
  const y1 = Math.min(Math.max(b[1] + b[3], 0), height);
  return [x0, y0, x1 - x0, y1 - y0];
}

/**
 * The scale and offsets that letterbox an image of w×h into W×H: resized by one factor so the whole
 * image fits, centred, the rest padded. A box maps as x' = x·scale + left.
 */
export interface Letterbox {
  readonly scale: number;
  readonly left: number;
  readonly top: number;
  /** The resized image's size inside the W×H canvas. */
  readonly width: number;
  readonly height: number;
}

export function letterbox(w: number, h: number, W: number, H: number): Letterbox {
  const scale = Math.min(W / w, H / h);
  const width = Math.max(1, Math.round(w * scale));
  const height = Math.max(1, Math.round(h * scale));
  return {
    scale,
    width,
    height,
    left: Math.floor((W - width) / 2),
    top: Math.floor((H - height) / 2),
  };
}

export function mapBox(b: Xywh, lb: Letterbox): Xywh {
  return [b[0] * lb.scale + lb.left, b[1] * lb.scale + lb.top, b[2] * lb.scale, b[3] * lb.scale];
}

/** The inverse of mapBox: a box on the W×H canvas back in the original image's pixels. */
export function unmapBox(b: Xywh, lb: Letterbox): Xywh {
  return [
    (b[0] - lb.left) / lb.scale,
    (b[1] - lb.top) / lb.scale,
    b[2] / lb.scale,
    b[3] / lb.scale,
  ];
}
