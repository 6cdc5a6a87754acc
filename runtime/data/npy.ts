/**
 * NumPy `.npy` arrays (format versions 1–3, C order, little-endian u1/f4/f8) as images: [H, W] is one
 * grey image, [H, W, C] with C ≤ 4 one image with channels, [N, H, W] N grey images, [N, H, W, C] N
 * images. uint8 values are scaled to [0, 1]; floats are taken as they are.
 */
import { DataError } from './dataset.js';

export interface ImageArray {
  readonly count: number;
  readonly shape: readonly [number, number, number];
  readonly data: Float32Array;
}

export function parseNpy(bytes: Uint8Array, name: string): ImageArray {
  const magic = [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59];
  if (bytes.length < 10 || magic.some((b, i) => bytes[i] !== b))
    throw new DataError(`${name}: not a .npy file (no \\x93NUMPY magic)`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const major = bytes[6];
  const headerLen = major === 1 ? view.getUint16(8, true) : view.getUint32(8, true);
  const start = major === 1 ? 10 + headerLen : 12 + headerLen;
  const header = new TextDecoder().decode(bytes.subarray(major === 1 ? 10 : 12, start));
  const descr = /'descr':\s*'([^']+)'/.exec(header)?.[1];
  const fortran = /'fortran_order':\s*True/.test(header);
  const shapeText = /'shape':\s*\(([^)]*)\)/.exec(header)?.[1];
  if (!descr || shapeText === undefined)
    throw new DataError(`${name}: unreadable .npy header ${header.trim()}`);
  if (fortran)
    throw new DataError(`${name}: Fortran-order arrays are not supported; save with C order`);
  const dims = shapeText
    .split(',')
    .map((t) => t.trim())
    .filter(Boolean)
    .map(Number);
  const size = dims.reduce((a, b) => a * b, 1);
  const width = { '|u1': 1, '<f4': 4, '<f8': 8 }[descr];
  if (!width)
    throw new DataError(`${name}: dtype ${descr} is not supported (use uint8, float32 or float64)`);
  if (bytes.length < start + size * width)
    throw new DataError(
      `${name}: truncated: shape (${dims.join(', ')}) needs ${size * width} data bytes`,
    );
  const data = new Float32Array(size);
  for (let i = 0; i < size; i++) {
    const o = start + i * width;
    data[i] =
      width === 1
        ? bytes[o] / 255
        : width === 4
          ? view.getFloat32(o, true)
          : view.getFloat64(o, true);
  }
  let shape: [number, number, number];
  let count = 1;
  if (dims.length === 2) shape = [dims[0], dims[1], 1];
  else if (dims.length === 3 && dims[2] <= 4) shape = [dims[0], dims[1], dims[2]];
  else if (dims.length === 3) [count, shape] = [dims[0], [dims[1], dims[2], 1]];
  else if (dims.length === 4) [count, shape] = [dims[0], [dims[1], dims[2], dims[3]]];
  else
    throw new DataError(
      `${name}: expected an image array of rank 2 to 4, found shape (${dims.join(', ')})`,
    );
  return { count, shape, data };
}
