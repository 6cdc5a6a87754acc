/**
 * PNG and JPEG files (and whatever else sharp reads: WebP, GIF, TIFF, AVIF) decoded with sharp into
 * HWC floats in [0, 1], fitted to a model input:
 *
 * - EXIF orientation is applied; an alpha channel is dropped (the colour values are kept as stored,
 *   not blended with a background); 16-bit images are reduced to 8 bits; CMYK becomes sRGB.
 * - Channels: to 3, a grey image is repeated into R, G and B; to 1, a colour image becomes its luma
 *   0.299·R + 0.587·G + 0.114·B (ITU-R BT.601, as PIL's `convert('L')`). Other counts are an error.
 * - Size, as `fitToInput` does for arrays: an image no larger than the input is zero-padded around
 *   the centre; otherwise it is resized to exactly the input (stretched, the aspect ratio is not
 *   kept) with sharp's default Lanczos-3 kernel, which antialiases large photos.
 *
 * sharp is a native module that takes ~0.2 s to load, so it is imported on first use only.
 */
import type { Sharp } from 'sharp';
import { readRegularFile } from '../safe-read.js';
import { DataError } from './dataset.js';

type SharpFactory = (input: Uint8Array) => Sharp;

let sharpModule: Promise<SharpFactory> | null = null;

function loadSharp(): Promise<SharpFactory> {
  sharpModule ??= import('sharp').then(
    (m) => m.default as unknown as SharpFactory,
    (e: unknown) => {
      sharpModule = null;
      throw new DataError(
        `cannot load the npm package \`sharp\`, which decodes PNG and JPEG (${(e as Error).message}); run npm ci`,
      );
    },
  );
  return sharpModule;
}

export interface DecodedImage {
  readonly height: number;
  readonly width: number;
  readonly channels: number;
  /** height·width·channels floats in [0, 1], HWC. */
  readonly data: Float32Array;
}

export interface ImageTarget {
  /** 1 (grey) or 3 (RGB). */
  readonly channels: number;
  /** The size to fit to; when absent the image keeps its own size. */
  readonly height?: number;
  readonly width?: number;
}

/**
 * The largest image file read: 256 MiB, far beyond any photo or scan a CNN takes (a 100-megapixel
 * PNG is ~300 MB only uncompressed); sharp's own pixel limit (268 megapixels) guards the decode.
 */
export const MAX_IMAGE_FILE_BYTES = 2 ** 28;

/**
 * Reads an image file's bytes: a regular file only (a FIFO would block, a device never end) of at
 * most MAX_IMAGE_FILE_BYTES; every refusal is a DataError naming the file.
 */
export function readImageFile(file: string): Uint8Array {
  return readRegularFile(
    file,
    { maxBytes: MAX_IMAGE_FILE_BYTES, expected: 'an image file' },
    (m) => new DataError(m),
  );
}

/** sharp's message, one line: libvips repeats itself over several lines for a broken JPEG. */
function reason(e: unknown): string {
  const lines = String((e as Error).message ?? e)
    .split('\n')
    .map((l) => l.trim().replace(/:$/, ''))
    .filter(Boolean);
  return [...new Set(lines)].join('; ');
}

/** Decodes image bytes (`name` is used in error messages) and fits them to `target`. */
export async function decodeImage(
  bytes: Uint8Array,
  name: string,
  target: ImageTarget,
): Promise<DecodedImage> {
  const C = target.channels;
  if (C !== 1 && C !== 3) {
    throw new DataError(
      `${name}: the model input has ${C} channels; images can be fitted to 1 (grey) or 3 (RGB) channels only`,
    );
  }
  const sharp = await loadSharp();
  let rgb: Uint8Array;
  let h: number;
  let w: number;
  try {
    const img = sharp(bytes).autoOrient();
    const meta = await img.metadata();
    h = meta.autoOrient.height;
    w = meta.autoOrient.width;
    const H = target.height ?? h;
    const W = target.width ?? w;
    img.removeAlpha().toColourspace('srgb');
    if (!(h <= H && w <= W)) {
      img.resize(W, H, { fit: 'fill' });
      [h, w] = [H, W];
    }
    const { data, info } = await img.raw({ depth: 'uchar' }).toBuffer({ resolveWithObject: true });
    if (info.channels !== 3 || info.width !== w || info.height !== h) {
      throw new DataError(
        `${name}: decoded to ${info.width}x${info.height}x${info.channels}, expected ${w}x${h}x3`,
      );
    }
    rgb = data;
  } catch (e) {
    if (e instanceof DataError) throw e;
    throw new DataError(`${name}: not a readable image (${reason(e)})`);
  }
  const H = target.height ?? h;
  const W = target.width ?? w;
  const out = new Float32Array(H * W * C);
  const top = Math.floor((H - h) / 2);
  const left = Math.floor((W - w) / 2);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const s = (y * w + x) * 3;
      const d = ((y + top) * W + x + left) * C;
      const [r, g, b] = [rgb[s], rgb[s + 1], rgb[s + 2]];
      if (C === 3) {
        out[d] = r / 255;
        out[d + 1] = g / 255;
        out[d + 2] = b / 255;
      } else {
        out[d] = (r === g && g === b ? r : 0.299 * r + 0.587 * g + 0.114 * b) / 255;
      }
    }
  }
  return { height: H, width: W, channels: C, data: out };
}

/** Reads and decodes an image file. */
export async function decodeImageFile(file: string, target: ImageTarget): Promise<DecodedImage> {
  return decodeImage(readImageFile(file), file, target);
}
