/**
 * `coco:DIR`: COCO-format detection data. DIR holds `instances_train.json` and `instances_test.json`
 * (`instances_val.json` stands in for test), each with `images` ({id, file_name, width, height}),
 * `annotations` ({image_id, category_id, bbox [x, y, w, h], area?, iscrowd?}) and `categories`
 * ({id, name}). An image's `file_name` is taken relative to DIR, then to DIR/<split>/; it must stay
 * inside DIR. Categories become classes 0… in increasing id order.
 *
 * Every image is letterboxed to the model input: resized by one factor to fit, centred, the rest
 * filled with grey 0.5; its boxes move with it. Crowd boxes (iscrowd 1) are kept apart: training
 * ignores them, evaluation treats them as COCO does. The original boxes and sizes are kept for
 * evaluation in the images' own pixels.
 *
 * Sizes are capped before anything is allocated: the annotation file (512 MiB), images (1,000,000),
 * annotations (10,000,000), categories (10,000), and the images' pixels by imageArray.
 */
import * as path from 'node:path';
import { JsonCheck } from '../json-check.js';
import { readFileInside, readRegularFile } from '../safe-read.js';
import { letterbox, mapBox, type Letterbox, type Xywh } from '../detection/boxes.js';
import { DataError, imageArray } from './dataset.js';
import { decodeImage } from './image-decode.js';
import * as fs from 'node:fs';

export const COCO_LIMITS = {
  fileBytes: 512 * 2 ** 20,
  images: 1_000_000,
  annotations: 10_000_000,
  categories: 10_000,
  imageBytes: 2 ** 28,
};

export interface BoxLabel {
  /** In the letterboxed input's pixels. */
  readonly box: Xywh;
  /** Class index 0… */
  readonly label: number;
}

export interface GroundTruthBox {
  /** In the image's own pixels, as the file has it. */
  readonly bbox: Xywh;
  readonly categoryId: number;
  readonly area: number;
  readonly iscrowd: boolean;
}

export interface DetectionDataset {
  readonly name: string;
  readonly images: Float32Array;
  readonly count: number;
  readonly shape: readonly [number, number, number];
  /** Per image, the boxes training learns (crowds left out), in input pixels. */
  readonly boxes: readonly (readonly BoxLabel[])[];
  /** Per image, every annotation as the file has it (evaluation). */
  readonly truth: readonly (readonly GroundTruthBox[])[];
  readonly imageIds: readonly number[];
  readonly letterboxes: readonly Letterbox[];
  readonly classNames: readonly string[];
  /** COCO category id of each class. */
  readonly categoryIds: readonly number[];
  readonly source: string;
}

interface Parsed {
  readonly images: { id: number; file: string; width: number; height: number }[];
  readonly anns: Map<number, GroundTruthBox[]>;
  readonly categories: { id: number; name: string }[];
}

/** Checks an annotation document field by field (errors name the file and the field). */
export function parseCocoJson(text: string, file: string): Parsed {
  const j = new JsonCheck(file, (m) => new DataError(m));
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (e) {
    throw new DataError(`${file}: not valid JSON (${(e as Error).message})`);
  }
  const root = j.object(doc, '');
  const rawImages = j.array(root.images, 'images');
  const rawAnns = j.array(root.annotations ?? [], 'annotations');
  const rawCats = j.array(root.categories, 'categories');
  const over = (what: string, n: number, max: number) => {
    if (n > max)
      throw new DataError(
        `${file}: ${n.toLocaleString('en-US')} ${what}, more than the ${max.toLocaleString('en-US')} cnnc reads`,
      );
  };
  over('images', rawImages.length, COCO_LIMITS.images);
  over('annotations', rawAnns.length, COCO_LIMITS.annotations);
  over('categories', rawCats.length, COCO_LIMITS.categories);
  const categories = rawCats.map((c, i) => {
    const o = j.object(c, `categories[${i}]`);
    return {
      id: j.count(o.id, `categories[${i}].id`),
      name: j.string(o.name, `categories[${i}].name`),
    };
  });
  if (categories.length === 0) throw new DataError(`${file}: no categories`);
  if (new Set(categories.map((c) => c.id)).size !== categories.length)
    throw new DataError(`${file}: two categories share an id`);
  const catIds = new Set(categories.map((c) => c.id));
  const ids = new Set<number>();
  const images = rawImages.map((v, i) => {
    const o = j.object(v, `images[${i}]`);
    const id = j.count(o.id, `images[${i}].id`);
    if (ids.has(id)) throw new DataError(`${file}: images[${i}].id ${id} is used twice`);
    ids.add(id);
    const width = j.count(o.width, `images[${i}].width`);
    const height = j.count(o.height, `images[${i}].height`);
    if (width < 1 || height < 1) throw j.wrong(`images[${i}].width`, 'at least 1', width);
    return { id, file: j.string(o.file_name, `images[${i}].file_name`), width, height };
  });
  const anns = new Map<number, GroundTruthBox[]>();
  rawAnns.forEach((v, i) => {
    const at = `annotations[${i}]`;
    const o = j.object(v, at);
    const imageId = j.count(o.image_id, `${at}.image_id`);
    if (!ids.has(imageId)) throw new DataError(`${file}: ${at}.image_id ${imageId} names no image`);
    const categoryId = j.count(o.category_id, `${at}.category_id`);
    if (!catIds.has(categoryId))
      throw new DataError(`${file}: ${at}.category_id ${categoryId} names no category`);
    const b = j.array(o.bbox, `${at}.bbox`);
    if (b.length !== 4) throw j.wrong(`${at}.bbox`, '[x, y, width, height]', b);
    const bbox = b.map((x, k) => j.number(x, `${at}.bbox[${k}]`)) as unknown as Xywh;
    if (bbox[2] < 0 || bbox[3] < 0) throw j.wrong(`${at}.bbox`, 'a box of non-negative size', b);
    const iscrowd = o.iscrowd === undefined ? false : j.count(o.iscrowd, `${at}.iscrowd`) === 1;
    const area = o.area === undefined ? bbox[2] * bbox[3] : j.number(o.area, `${at}.area`);
    const list = anns.get(imageId) ?? [];
    list.push({ bbox, categoryId, area, iscrowd });
    anns.set(imageId, list);
  });
  return { images, anns, categories };
}

/** Whether DIR holds the annotation file of `split`. */
export function hasCocoSplit(dir: string, split: 'train' | 'test'): boolean {
  const names =
    split === 'train' ? ['instances_train.json'] : ['instances_test.json', 'instances_val.json'];
  return names.some((n) => fs.existsSync(path.join(dir, n)));
}

function annotationFile(dir: string, split: 'train' | 'test'): string {
  const names =
    split === 'train' ? ['instances_train.json'] : ['instances_test.json', 'instances_val.json'];
  for (const n of names) if (fs.existsSync(path.join(dir, n))) return path.join(dir, n);
  throw new DataError(`${dir}: no ${names.join(' or ')} (coco:DIR needs COCO annotation files)`);
}

/** Loads one split, letterboxed to `input` [H, W, C]. */
export async function loadCocoSplit(
  dir: string,
  split: 'train' | 'test',
  input: readonly number[],
  limit = Infinity,
): Promise<DetectionDataset> {
  const file = annotationFile(dir, split);
  const text = readRegularFile(
    file,
    { maxBytes: COCO_LIMITS.fileBytes, expected: 'a COCO annotation file' },
    (m) => new DataError(m),
  ).toString('utf8');
  const parsed = parseCocoJson(text, path.basename(file));
  const [H, W, C] = input;
  if (input.length !== 3 || !(H > 0 && W > 0))
    throw new DataError(
      `coco:${dir}: the model input must be a fixed HxWxC image; it is ${input.join('x')}`,
    );
  const cats = [...parsed.categories].sort((a, b) => a.id - b.id);
  const classOf = new Map(cats.map((c, i) => [c.id, i]));
  const list = parsed.images.slice(0, Math.min(limit, parsed.images.length));
  const per = H * W * C;
  const images = imageArray(list.length, [H, W, C], `coco:${dir}`);
  const boxes: BoxLabel[][] = [];
  const truth: GroundTruthBox[][] = [];
  const letterboxes: Letterbox[] = [];
  for (let i = 0; i < list.length; i++) {
    const im = list[i];
    const name = fs.existsSync(path.join(dir, im.file)) ? im.file : path.join(split, im.file);
    const bytes = readFileInside(
      dir,
      name,
      path.basename(file),
      { maxBytes: COCO_LIMITS.imageBytes, expected: 'an image file' },
      (m) => new DataError(m),
    );
    const decoded = await decodeImage(bytes, name, { channels: C });
    const lb = letterbox(decoded.width, decoded.height, W, H);
    images.set(letterboxPixels(decoded.data, decoded.width, decoded.height, C, lb, W, H), i * per);
    const sx = decoded.width / im.width;
    const sy = decoded.height / im.height;
    const anns = parsed.anns.get(im.id) ?? [];
    truth.push(anns);
    letterboxes.push({ ...lb, scale: lb.scale });
    boxes.push(
      anns
        .filter((a) => !a.iscrowd)
        .map((a) => ({
          box: mapBox([a.bbox[0] * sx, a.bbox[1] * sy, a.bbox[2] * sx, a.bbox[3] * sy], lb),
          label: classOf.get(a.categoryId)!,
        })),
    );
  }
  return {
    name: `coco:${path.basename(dir)}/${split}`,
    images,
    count: list.length,
    shape: [H, W, C],
    boxes,
    truth,
    imageIds: list.map((im) => im.id),
    letterboxes,
    classNames: cats.map((c) => c.name),
    categoryIds: cats.map((c) => c.id),
    source: file,
  };
}

/**
 * An image HWC [h, w, C] letterboxed into [H, W, C]: bilinear resize to the letterbox's size
 * (half-pixel centres), placed at its offset, grey 0.5 around.
 */
export function letterboxPixels(
  src: Float32Array,
  w: number,
  h: number,
  C: number,
  lb: Letterbox,
  W: number,
  H: number,
): Float32Array {
  const out = new Float32Array(H * W * C).fill(0.5);
  const fx = w / lb.width;
  const fy = h / lb.height;
  for (let y = 0; y < lb.height; y++) {
    const sy = Math.min(Math.max((y + 0.5) * fy - 0.5, 0), h - 1);
    const y0 = Math.floor(sy);
    const y1 = Math.min(y0 + 1, h - 1);
    const ty = sy - y0;
    for (let x = 0; x < lb.width; x++) {
      const sx = Math.min(Math.max((x + 0.5) * fx - 0.5, 0), w - 1);
      const x0 = Math.floor(sx);
      const x1 = Math.min(x0 + 1, w - 1);
      const tx = sx - x0;
      const d = ((y + lb.top) * W + x + lb.left) * C;
      for (let c = 0; c < C; c++) {
        const a = src[(y0 * w + x0) * C + c] * (1 - tx) + src[(y0 * w + x1) * C + c] * tx;
        const b = src[(y1 * w + x0) * C + c] * (1 - tx) + src[(y1 * w + x1) * C + c] * tx;
        out[d + c] = a * (1 - ty) + b * ty;
      }
    }
  }
  return out;
}
