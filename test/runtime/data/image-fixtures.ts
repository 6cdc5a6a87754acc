/** PNG and JPEG fixtures encoded with sharp, written into temporary folders. */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import sharp from 'sharp';

export interface Pixels {
  readonly width: number;
  readonly height: number;
  /** 1 grey, 2 grey + alpha, 3 RGB, 4 RGBA. */
  readonly channels: 1 | 2 | 3 | 4;
  /** height·width·channels bytes, HWC. */
  readonly data: Uint8Array;
}

/** A deterministic image: channel k of pixel (y, x) is (37·y + 11·x + 71·k + seed) mod 256. */
export function pattern(
  width: number,
  height: number,
  channels: Pixels['channels'],
  seed = 0,
): Pixels {
  const data = new Uint8Array(width * height * channels);
  for (let y = 0; y < height; y++)
    for (let x = 0; x < width; x++)
      for (let k = 0; k < channels; k++)
        data[(y * width + x) * channels + k] = (37 * y + 11 * x + 71 * k + seed) % 256;
  return { width, height, channels, data };
}

/** Every pixel the same colour. */
export function flat(width: number, height: number, colour: readonly number[]): Pixels {
  const channels = colour.length as Pixels['channels'];
  const data = new Uint8Array(width * height * channels);
  for (let i = 0; i < width * height; i++) data.set(colour, i * channels);
  return { width, height, channels, data };
}

export async function encode(p: Pixels, format: 'png' | 'jpeg'): Promise<Buffer> {
  let img = sharp(p.data, { raw: { width: p.width, height: p.height, channels: p.channels } });
  // sharp writes grey input as RGB unless told the colour space is grey.
  if (p.channels <= 2) img = img.toColourspace('b-w');
  return format === 'png' ? img.png().toBuffer() : img.jpeg({ quality: 100 }).toBuffer();
}

export async function writeImage(file: string, p: Pixels, format: 'png' | 'jpeg' = 'png') {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, await encode(p, format));
}

export function tmpDir(prefix = 'cnnc-images-'): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), prefix));
}
