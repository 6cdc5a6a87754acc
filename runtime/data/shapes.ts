/**
 * The generated detection set behind `cnnc data shapes`: coloured circles, squares and triangles
 * (three classes) on random backgrounds, drawn as SVG and rendered with sharp, annotated as COCO
 * detection data. Scenes are a pure function of the seed and the image index, so a set is the same
 * on every machine; sharp only rasterises them.
 *
 * A scene has 1–4 shapes of 14–45% of the image side; a new shape may overlap earlier ones but not
 * by more than IoU 0.35, so every object stays visible. The background is a vertical gradient of two
 * random colours with a few faint stripes; shape colours are kept apart from the background's.
 */
import type { Xywh } from '../detection/boxes.js';
import { iou } from '../detection/boxes.js';
import { rng } from './dataset.js';

export const SHAPE_CLASSES = ['circle', 'square', 'triangle'] as const;

export interface ShapeObject {
  /** 0 circle, 1 square, 2 triangle. */
  readonly label: number;
  readonly bbox: Xywh;
}

export interface Scene {
  readonly size: number;
  readonly svg: string;
  readonly objects: readonly ShapeObject[];
}

type Rgb = readonly [number, number, number];
const hex = (c: Rgb) => `#${c.map((v) => v.toString(16).padStart(2, '0')).join('')}`;
const distance = (a: Rgb, b: Rgb) => Math.hypot(a[0] - b[0], a[1] - b[1], a[2] - b[2]);

/** The scene of image `index` of the split seeded by `seed`. */
export function shapeScene(seed: number, index: number, size: number): Scene {
  const r = rng((seed * 1000003 + index * 7919 + 17) >>> 0);
  const int = (lo: number, hi: number) => lo + Math.floor(r() * (hi - lo + 1));
  const colour = (): Rgb => [int(0, 255), int(0, 255), int(0, 255)];
  const top = colour();
  const bottom = colour();
  const parts: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${size}" height="${size}">`,
    `<defs><linearGradient id="g" x1="0" y1="0" x2="0" y2="1"><stop offset="0" stop-color="${hex(top)}"/><stop offset="1" stop-color="${hex(bottom)}"/></linearGradient></defs>`,
    `<rect width="${size}" height="${size}" fill="url(#g)"/>`,
  ];
  for (let i = int(0, 3); i > 0; i--) {
    const y = int(0, size);
    parts.push(
      `<rect x="0" y="${y}" width="${size}" height="${int(1, 4)}" fill="${hex(colour())}" fill-opacity="0.25"/>`,
    );
  }
  const objects: ShapeObject[] = [];
  const count = int(1, 4);
  for (let tries = 0; objects.length < count && tries < 50; tries++) {
    const label = int(0, 2);
    const side = Math.round(size * (0.14 + r() * 0.31));
    const x = int(0, size - side);
    const y = int(0, size - side);
    const bbox: Xywh = [x, y, side, side];
    if (objects.some((o) => iou(o.bbox, bbox) > 0.35)) continue;
    let fill = colour();
    for (let k = 0; k < 8 && Math.min(distance(fill, top), distance(fill, bottom)) < 120; k++)
      fill = colour();
    const f = hex(fill);
    if (label === 0) {
      const h = side / 2;
      parts.push(`<circle cx="${x + h}" cy="${y + h}" r="${h}" fill="${f}"/>`);
    } else if (label === 1) {
      parts.push(`<rect x="${x}" y="${y}" width="${side}" height="${side}" fill="${f}"/>`);
    } else {
      parts.push(
        `<polygon points="${x + side / 2},${y} ${x + side},${y + side} ${x},${y + side}" fill="${f}"/>`,
      );
    }
    objects.push({ label, bbox });
  }
  parts.push('</svg>');
  return { size, svg: parts.join(''), objects };
}

export interface CocoImage {
  readonly id: number;
  readonly file_name: string;
  readonly width: number;
  readonly height: number;
}

export interface CocoAnnotation {
  readonly id: number;
  readonly image_id: number;
  readonly category_id: number;
  readonly bbox: Xywh;
  readonly area: number;
  readonly iscrowd: 0 | 1;
}

export interface CocoFile {
  readonly images: readonly CocoImage[];
  readonly annotations: readonly CocoAnnotation[];
  readonly categories: readonly { readonly id: number; readonly name: string }[];
}

/** The COCO annotation file of scenes whose images are `${folder}/${index}.png` (ids from 1). */
export function shapesCoco(scenes: readonly Scene[], folder: string): CocoFile {
  const annotations: CocoAnnotation[] = [];
  const images = scenes.map((s, i) => {
    for (const o of s.objects) {
      annotations.push({
        id: annotations.length + 1,
        image_id: i + 1,
        category_id: o.label + 1,
        bbox: o.bbox,
        area: o.bbox[2] * o.bbox[3],
        iscrowd: 0,
      });
    }
    return { id: i + 1, file_name: `${folder}/${imageName(i)}`, width: s.size, height: s.size };
  });
  return {
    images,
    annotations,
    categories: SHAPE_CLASSES.map((name, i) => ({ id: i + 1, name })),
  };
}

export const imageName = (i: number) => `${String(i + 1).padStart(6, '0')}.png`;

/** Renders a scene's SVG to PNG bytes with sharp (3 channels, no alpha). */
export async function renderScene(scene: Scene): Promise<Uint8Array> {
  const sharp = (await import('sharp')).default;
  return sharp(Buffer.from(scene.svg)).removeAlpha().png({ compressionLevel: 6 }).toBuffer();
}
