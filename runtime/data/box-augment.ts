/**
 * Box-aware augmentation of a detection batch, from the train block's `flip horizontal|vertical|both`,
 * `zoom` and `translate`: each image is mirrored (probability ½ per enabled axis), scaled about its
 * centre by a factor uniform in the zoom range and shifted by up to ±translate of its size; its boxes
 * take the same transform, are clipped to the image and dropped when less than 2 pixels wide or high
 * or when less than a quarter of their area stays inside. Pixels from outside are grey 0.5 (the
 * letterbox fill). Colour jitter (brightness, contrast) is applied as for classification.
 */
import type { AugmentConfig } from '../../compiler/train/augment.js';
import { area, clipBox, type Xywh } from '../detection/boxes.js';
import type { BoxLabel } from './coco.js';

/** Transforms one HWC image in place and returns its boxes' new places. */
export function augmentDetection(
  img: Float32Array,
  shape: readonly [number, number, number],
  boxes: readonly BoxLabel[],
  c: AugmentConfig,
  random: () => number,
): BoxLabel[] {
  const [H, W, C] = shape;
  const flipX = c.flipHorizontal && random() < 0.5;
  const flipY = c.flipVertical && random() < 0.5;
  const s = c.zoom[0] + (c.zoom[1] - c.zoom[0]) * random();
  const dx = (random() * 2 - 1) * c.translate * W;
  const dy = (random() * 2 - 1) * c.translate * H;
  // out(x) = s·(flip(x) − W/2) + W/2 + dx
  const fx = (x: number) => (flipX ? W - x : x);
  const fy = (y: number) => (flipY ? H - y : y);
  const mapX = (x: number) => s * (fx(x) - W / 2) + W / 2 + dx;
  const mapY = (y: number) => s * (fy(y) - H / 2) + H / 2 + dy;
  if (!flipX && !flipY && s === 1 && dx === 0 && dy === 0) {
    jitter(img, c, random);
    return [...boxes];
  }
  const src = Float32Array.from(img);
  for (let y = 0; y < H; y++) {
    // Inverse map of the pixel centre, then flip back.
    const uy = (y + 0.5 - dy - H / 2) / s + H / 2;
    const sy = (flipY ? H - uy : uy) - 0.5;
    for (let x = 0; x < W; x++) {
      const ux = (x + 0.5 - dx - W / 2) / s + W / 2;
      const sx = (flipX ? W - ux : ux) - 0.5;
      const d = (y * W + x) * C;
      const x0 = Math.floor(sx);
      const y0 = Math.floor(sy);
      const tx = sx - x0;
      const ty = sy - y0;
      for (let k = 0; k < C; k++) {
        const at = (yy: number, xx: number) =>
          yy < 0 || yy >= H || xx < 0 || xx >= W ? 0.5 : src[(yy * W + xx) * C + k];
        img[d + k] =
          (at(y0, x0) * (1 - tx) + at(y0, x0 + 1) * tx) * (1 - ty) +
          (at(y0 + 1, x0) * (1 - tx) + at(y0 + 1, x0 + 1) * tx) * ty;
      }
    }
  }
  jitter(img, c, random);
  const out: BoxLabel[] = [];
  for (const b of boxes) {
    const xs = [mapX(b.box[0]), mapX(b.box[0] + b.box[2])];
    const ys = [mapY(b.box[1]), mapY(b.box[1] + b.box[3])];
    const moved: Xywh = [
      Math.min(...xs),
      Math.min(...ys),
      Math.abs(xs[1] - xs[0]),
      Math.abs(ys[1] - ys[0]),
    ];
    const clipped = clipBox(moved, W, H);
    if (clipped[2] < 2 || clipped[3] < 2 || area(clipped) < 0.25 * area(moved)) continue;
    out.push({ box: clipped, label: b.label });
  }
  return out;
}

function jitter(img: Float32Array, c: AugmentConfig, random: () => number): void {
  if (c.brightness === 0 && c.contrast === 0) return;
  const b = 1 + (random() * 2 - 1) * c.brightness;
  const k = 1 + (random() * 2 - 1) * c.contrast;
  let mean = 0;
  for (let i = 0; i < img.length; i++) mean += img[i];
  mean /= img.length;
  for (let i = 0; i < img.length; i++) img[i] = ((img[i] - mean) * k + mean) * b;
}
