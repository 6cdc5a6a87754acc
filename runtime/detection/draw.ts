/**
 * Boxes drawn onto an image for `cnnc predict` on a detector: an SVG overlay of one rectangle per
 * detection with its label and score, composited over the image with sharp. Every label goes
 * through escapeXml (class names come from a data set's annotation file, so they are untrusted).
 */
import { escapeXml } from '../../compiler/diagram/escape.js';
import type { Xywh } from './boxes.js';

export interface DrawnBox {
  /** In the image's pixels. */
  readonly box: Xywh;
  readonly label: string;
  readonly score: number;
  /** Class index, for the colour. */
  readonly cls: number;
}

const COLOURS = ['#e6194b', '#3cb44b', '#4363d8', '#f58231', '#911eb4', '#42d4f4', '#f032e6'];

const num = (x: number) => (Number.isFinite(x) ? Number(x.toFixed(2)) : 0);

/** The SVG overlay of `boxes` on a width×height image. */
export function detectionsSvg(width: number, height: number, boxes: readonly DrawnBox[]): string {
  const stroke = Math.max(1, Math.round(Math.min(width, height) / 150));
  const font = Math.max(8, Math.round(Math.min(width, height) / 30));
  const parts = [`<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}">`];
  for (const b of boxes) {
    const colour = COLOURS[b.cls % COLOURS.length];
    const [x, y, w, h] = b.box.map(num);
    const text = escapeXml(`${b.label} ${b.score.toFixed(2)}`);
    // The label sits above the box, or inside it at the top when the box touches the top edge.
    const ty = y - font - 2 >= 0 ? y - font - 2 : y;
    const tw = Math.round(font * 0.6 * (b.label.length + 5));
    parts.push(
      `<rect x="${x}" y="${y}" width="${w}" height="${h}" fill="none" stroke="${colour}" stroke-width="${stroke}"/>`,
      `<rect x="${x}" y="${ty}" width="${tw}" height="${font + 2}" fill="${colour}"/>`,
      `<text x="${x + 1}" y="${ty + font}" font-family="sans-serif" font-size="${font}" fill="#ffffff">${text}</text>`,
    );
  }
  parts.push('</svg>');
  return parts.join('');
}

/** The image `bytes` (any format sharp reads) with the boxes drawn over it, as PNG bytes. */
export async function drawDetections(
  bytes: Uint8Array,
  boxes: readonly DrawnBox[],
): Promise<Uint8Array> {
  const sharp = (await import('sharp')).default;
  const img = sharp(bytes).autoOrient();
  const meta = await img.metadata();
  const width = meta.autoOrient.width;
  const height = meta.autoOrient.height;
  const svg = Buffer.from(detectionsSvg(width, height, boxes));
  return img
    .composite([{ input: svg, top: 0, left: 0 }])
    .png()
    .toBuffer();
}
