/**
 * NumPy `.npy` arrays (format versions 1–3, C order, little-endian u1/f4/f8) as images: [H, W] is one
 * grey image, [H, W, C] with C ≤ 4 one image with channels, [N, H, W] N grey images, [N, H, W, C] N
 * images. uint8 values are scaled to [0, 1]; floats are taken as they are.
 *
 * The header is read as what it is, a Python dict literal — `{'descr': '<f4', 'fortran_order':
 * False, 'shape': (2, 3), }` — with exactly those three keys, each once; the dtype is looked up in a
 * Map (so `constructor` or `__proto__` is no dtype), every dimension must be a whole number ≥ 0, and
 * the data must be exactly as long as the shape says. Anything else is a DataError naming the file.
 */
import { readRegularFile } from '../safe-read.js';
import { DataError } from './dataset.js';

export interface ImageArray {
  readonly count: number;
  readonly shape: readonly [number, number, number];
  readonly data: Float32Array;
}

/** The element types read, with their width in bytes. */
const DTYPES: ReadonlyMap<string, number> = new Map([
  ['|u1', 1],
  ['<u1', 1],
  ['<f4', 4],
  ['<f8', 8],
]);

const MAGIC = [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59];

type Literal = string | number | boolean | readonly string[];

/**
 * The header dict: string keys, values a string, True/False or a tuple (whose items are kept as
 * the text of the numbers, for the caller to judge). Null when it is not such a literal.
 */
function parseHeaderDict(text: string): Map<string, Literal> | { twice: string } | null {
  const token =
    /\s*(?:([{}():,])|'([^'\\]*)'|"([^"\\]*)"|(True|False)|([-+]?[0-9][0-9A-Za-z.+-]*))/y;
  let at = 0;
  const next = (): RegExpExecArray | null => {
    token.lastIndex = at;
    const m = token.exec(text);
    if (m) at = token.lastIndex;
    return m;
  };
  const peek = (): string | undefined => {
    const save = at;
    const m = next();
    at = save;
    return m?.[1];
  };
  const value = (): Literal | null => {
    const m = next();
    if (!m) return null;
    if (m[2] !== undefined || m[3] !== undefined) return m[2] ?? m[3];
    if (m[4] !== undefined) return m[4] === 'True';
    if (m[5] !== undefined) return Number(m[5]);
    if (m[1] !== '(') return null;
    const items: string[] = [];
    for (;;) {
      if (peek() === ')') {
        next();
        return items;
      }
      const n = next();
      if (!n || n[5] === undefined) return null;
      items.push(n[5]);
      const sep = next()?.[1];
      if (sep === ')') return items;
      if (sep !== ',') return null;
    }
  };
  if (next()?.[1] !== '{') return null;
  const out = new Map<string, Literal>();
  for (;;) {
    if (peek() === '}') {
      next();
      break;
    }
    const k = next();
    const name = k?.[2] ?? k?.[3];
    if (name === undefined || next()?.[1] !== ':') return null;
    const v = value();
    if (v === null) return null;
    if (out.has(name)) return { twice: name };
    out.set(name, v);
    const sep = next()?.[1];
    if (sep === '}') break;
    if (sep !== ',') return null;
  }
  return /^\s*$/.test(text.slice(at)) ? out : null;
}

export interface NpyArray {
  readonly shape: readonly number[];
  readonly descr: string;
  /** The values as float32: uint8 scaled to [0, 1], floats as they are. */
  readonly data: Float32Array;
}

/** Parses a .npy file of any rank. `name` labels errors. */
export function parseNpyArray(bytes: Uint8Array, name: string): NpyArray {
  const fail = (why: string) => new DataError(`${name}: ${why}`);
  if (bytes.length < 10 || MAGIC.some((b, i) => bytes[i] !== b))
    throw fail('not a .npy file (no \\x93NUMPY magic)');
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const major = bytes[6];
  if (major < 1 || major > 3) throw fail(`.npy format version ${major} is not supported (1–3)`);
  const prefix = major === 1 ? 10 : 12;
  if (bytes.length < prefix) throw fail('the header is cut short');
  const headerLen = major === 1 ? view.getUint16(8, true) : view.getUint32(8, true);
  const start = prefix + headerLen;
  if (start > bytes.length)
    throw fail(
      `the header of ${headerLen} bytes runs past the end of the file (${bytes.length} bytes)`,
    );
  const headerText = new TextDecoder(major === 3 ? 'utf-8' : 'latin1').decode(
    bytes.subarray(prefix, start),
  );
  const header = parseHeaderDict(headerText);
  const shown = JSON.stringify(headerText.trim().slice(0, 120));
  if (header === null) throw fail(`the header is not a .npy header dict: ${shown}`);
  if ('twice' in header) throw fail(`the header gives ${JSON.stringify(header.twice)} twice`);
  for (const k of header.keys())
    if (k !== 'descr' && k !== 'fortran_order' && k !== 'shape')
      throw fail(
        `the header has key ${JSON.stringify(k)}; a .npy header has only descr, fortran_order and shape`,
      );
  const descr = header.get('descr');
  const fortran = header.get('fortran_order');
  const shapeItems = header.get('shape');
  if (typeof descr !== 'string') throw fail(`the header has no descr string: ${shown}`);
  if (typeof fortran !== 'boolean')
    throw fail(`the header's fortran_order is not True or False: ${shown}`);
  if (!Array.isArray(shapeItems)) throw fail(`the header's shape is not a tuple: ${shown}`);
  const width = DTYPES.get(descr);
  if (width === undefined)
    throw fail(
      `dtype ${JSON.stringify(descr)} is not supported (use uint8, float32 or float64, little-endian)`,
    );
  if (fortran) throw fail('Fortran-order arrays are not supported; save with C order');
  const shape = (shapeItems as readonly string[]).map((t) => {
    const d = /^\d+L?$/.test(t) ? Number(t.replace(/L$/, '')) : NaN;
    if (!Number.isSafeInteger(d))
      throw fail(`dimension ${t} of the shape is not a size (a whole number ≥ 0)`);
    return d;
  });
  let size = 1;
  for (const d of shape) size *= d;
  const text = `(${shape.join(', ')})`;
  if (!Number.isSafeInteger(size * width)) throw fail(`shape ${text} is too large`);
  const dataBytes = bytes.length - start;
  if (dataBytes !== size * width)
    throw fail(
      `${dataBytes} data bytes, but shape ${text} of ${descr} needs exactly ${size * width}`,
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
  return { shape, descr, data };
}

/** Parses a .npy file as images. */
export function parseNpy(bytes: Uint8Array, name: string): ImageArray {
  const { shape: dims, data } = parseNpyArray(bytes, name);
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

/** Reads a .npy file (a regular file only: a FIFO or device is refused) as images. */
export function readNpyFile(file: string): ImageArray {
  return parseNpy(
    readRegularFile(file, {}, (m) => new DataError(m)),
    file,
  );
}
