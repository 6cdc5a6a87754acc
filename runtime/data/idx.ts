/**
 * The IDX format of MNIST and Fashion-MNIST: a 4-byte magic (0, 0, type, rank), rank big-endian
 * uint32 dimensions, then the values big-endian. Files may be gzip-compressed (`.gz`, or any file
 * starting with the gzip magic). Every problem is a DataError that names the file.
 */
import * as zlib from 'node:zlib';
import { readRegularFile } from '../safe-read.js';
import { DataError, makeDataset, type Dataset } from './dataset.js';

export interface IdxArray {
  readonly dims: readonly number[];
  readonly type: 'uint8' | 'int8' | 'int16' | 'int32' | 'float32' | 'float64';
  /** The values, converted to float64 for the wide types and kept as bytes for uint8. */
  readonly data: Uint8Array | Float64Array;
}

const TYPES: Record<number, { type: IdxArray['type']; size: number }> = {
  0x08: { type: 'uint8', size: 1 },
  0x09: { type: 'int8', size: 1 },
  0x0b: { type: 'int16', size: 2 },
  0x0c: { type: 'int32', size: 4 },
  0x0d: { type: 'float32', size: 4 },
  0x0e: { type: 'float64', size: 8 },
};

/**
 * The most an IDX file may hold, compressed or not: 1 GiB (the full MNIST training images are 47 MB,
 * Fashion-MNIST's the same).
 */
export const MAX_IDX_BYTES = 2 ** 30;

/** Parses IDX bytes; `name` is used in error messages; `maxBytes` caps what gzip data inflates to. */
export function parseIdx(bytes: Uint8Array, name: string, maxBytes = MAX_IDX_BYTES): IdxArray {
  if (bytes.length >= 2 && bytes[0] === 0x1f && bytes[1] === 0x8b) {
    try {
      // Capped, so that a small file that inflates without end (a gzip bomb) stops at the cap
      // instead of exhausting memory.
      bytes = zlib.gunzipSync(bytes, { maxOutputLength: maxBytes });
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE')
        throw new DataError(
          `${name}: inflates to more than ${maxBytes.toLocaleString('en-US')} bytes, the most an IDX file may hold`,
        );
      throw new DataError(`${name}: corrupt gzip data (${(e as Error).message})`);
    }
  }
  if (bytes.length < 4)
    throw new DataError(`${name}: truncated: ${bytes.length} bytes, no IDX header`);
  const info = TYPES[bytes[2]];
  if (bytes[0] !== 0 || bytes[1] !== 0 || !info || bytes[3] === 0) {
    const magic = [...bytes.subarray(0, 4)].map((b) => b.toString(16).padStart(2, '0')).join(' ');
    throw new DataError(
      `${name}: not an IDX file: magic ${magic}, expected 00 00 <type 08|09|0b|0c|0d|0e> <rank>`,
    );
  }
  const rank = bytes[3];
  const header = 4 + 4 * rank;
  if (bytes.length < header)
    throw new DataError(
      `${name}: truncated: the header needs ${header} bytes, the file has ${bytes.length}`,
    );
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const dims: number[] = [];
  for (let i = 0; i < rank; i++) dims.push(view.getUint32(4 + 4 * i, false));
  const count = dims.reduce((a, b) => a * b, 1);
  const need = header + count * info.size;
  if (bytes.length < need) {
    throw new DataError(
      `${name}: truncated: dimensions ${dims.join('x')} need ${need} bytes, the file has ${bytes.length}`,
    );
  }
  if (info.type === 'uint8') return { dims, type: 'uint8', data: bytes.slice(header, need) };
  const data = new Float64Array(count);
  for (let i = 0; i < count; i++) {
    const o = header + i * info.size;
    switch (info.type) {
      case 'int8':
        data[i] = view.getInt8(o);
        break;
      case 'int16':
        data[i] = view.getInt16(o, false);
        break;
      case 'int32':
        data[i] = view.getInt32(o, false);
        break;
      case 'float32':
        data[i] = view.getFloat32(o, false);
        break;
      default:
        data[i] = view.getFloat64(o, false);
    }
  }
  return { dims, type: info.type, data };
}

export function readIdxFile(file: string): IdxArray {
  return parseIdx(
    readRegularFile(file, { maxBytes: MAX_IDX_BYTES }, (m) => new DataError(m)),
    file,
  );
}

/**
 * Builds a dataset from an images array (N×H×W or N×H×W×C) and a labels array (N). uint8 images are
 * scaled to [0, 1]; other types are taken as they are. Labels must lie in 0..numClasses−1 (default:
 * the largest label + 1, at least 2).
 */
export function idxDataset(
  name: string,
  images: IdxArray,
  labels: IdxArray,
  imagesName = 'images',
  labelsName = 'labels',
  numClasses?: number,
): Dataset {
  if (images.dims.length !== 3 && images.dims.length !== 4) {
    throw new DataError(
      `${imagesName}: expected images of rank 3 (N, H, W) or 4 (N, H, W, C), found rank ${images.dims.length} (${images.dims.join('x')})`,
    );
  }
  if (labels.dims.length !== 1) {
    throw new DataError(
      `${labelsName}: expected labels of rank 1, found rank ${labels.dims.length} (${labels.dims.join('x')})`,
    );
  }
  const [n, h, w, c = 1] = images.dims;
  if (labels.dims[0] !== n) {
    throw new DataError(
      `${labelsName} holds ${labels.dims[0]} labels but ${imagesName} holds ${n} images`,
    );
  }
  const x = new Float32Array(images.data.length);
  const scale = images.type === 'uint8' ? 1 / 255 : 1;
  for (let i = 0; i < x.length; i++) x[i] = images.data[i] * scale;
  const y = new Int32Array(n);
  let max = 0;
  for (let i = 0; i < n; i++) {
    y[i] = labels.data[i];
    max = Math.max(max, y[i]);
  }
  const k = numClasses ?? Math.max(2, max + 1);
  for (let i = 0; i < n; i++) {
    if (y[i] < 0 || y[i] >= k || y[i] !== labels.data[i]) {
      throw new DataError(
        `${labelsName}: label ${labels.data[i]} at index ${i} is out of range: expected an integer in 0..${k - 1}`,
      );
    }
  }
  return makeDataset(name, x, y, [h, w, c], k);
}

/** Loads an images file and a labels file. */
export function loadIdxPair(
  name: string,
  imagesFile: string,
  labelsFile: string,
  numClasses?: number,
): Dataset {
  return idxDataset(
    name,
    readIdxFile(imagesFile),
    readIdxFile(labelsFile),
    imagesFile,
    labelsFile,
    numClasses,
  );
}
