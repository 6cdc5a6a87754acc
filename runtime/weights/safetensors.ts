/**
 * The safetensors format (Hugging Face), read and write, without the safetensors package:
 *
 *   8 bytes      N, the header's length, unsigned 64-bit little-endian
 *   N bytes      a UTF-8 JSON object: { "__metadata__"?: { string: string },
 *                  NAME: { "dtype": "F32", "shape": [..], "data_offsets": [begin, end] }, … }
 *                (writers pad it with spaces so that the data starts 8-byte aligned)
 *   the rest     the tensors' bytes, little-endian, row-major; offsets count from here
 *
 * Reading accepts every numeric dtype and converts it to float32 (PyTorch state dicts hold I64
 * counters such as `num_batches_tracked` beside the F32 weights); writing stores float32.
 *
 * A header is judged by the rules of the format's own reader (the `safetensors` crate,
 * `Metadata::validate`): at most 100 MB and inside the file; the tensors, sorted by offset, tile the
 * data exactly — each begins where the previous one ends (no overlap, no gap, no shared bytes) and
 * the last ends at the end of the file; each holds its shape's element count times its dtype's
 * width, without overflow. cnnc also refuses a tensor name given twice (JSON readers silently keep
 * the last one) and a `__metadata__` that does not map strings to strings.
 */
import { sizeOf, WeightsError, type FileTensor, type NamedTensor } from './tensor.js';

/** The dtypes read, with their width in bytes (a Map: `constructor` is no dtype). */
const WIDTH: ReadonlyMap<string, number> = new Map([
  ['F64', 8],
  ['F32', 4],
  ['F16', 2],
  ['BF16', 2],
  ['I64', 8],
  ['I32', 4],
  ['I16', 2],
  ['I8', 1],
  ['U64', 8],
  ['U32', 4],
  ['U16', 2],
  ['U8', 1],
  ['BOOL', 1],
]);

const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/** The largest header we accept (the format's reference reader allows 100 MB). */
const MAX_HEADER = 100_000_000;

export interface Safetensors {
  readonly tensors: readonly FileTensor[];
  readonly metadata: Readonly<Record<string, string>>;
}

/** IEEE half precision to a JS number. */
export function halfToFloat(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exp = (h >> 10) & 0x1f;
  const frac = h & 0x3ff;
  if (exp === 0) return sign * frac * 2 ** -24;
  if (exp === 31) return frac ? NaN : sign * Infinity;
  return sign * (1 + frac / 1024) * 2 ** (exp - 15);
}

function decode(
  bytes: Uint8Array,
  at: number,
  count: number,
  dtype: string,
  view: DataView,
): Float32Array {
  if (dtype === 'F32' && LITTLE_ENDIAN && (bytes.byteOffset + at) % 4 === 0)
    return new Float32Array(bytes.buffer, bytes.byteOffset + at, count);
  const out = new Float32Array(count);
  const w = WIDTH.get(dtype)!;
  for (let i = 0, o = at; i < count; i++, o += w) {
    switch (dtype) {
      case 'F64':
        out[i] = view.getFloat64(o, true);
        break;
      case 'F32':
        out[i] = view.getFloat32(o, true);
        break;
      case 'F16':
        out[i] = halfToFloat(view.getUint16(o, true));
        break;
      case 'BF16':
        out[i] = new Float32Array(new Uint32Array([view.getUint16(o, true) << 16]).buffer)[0];
        break;
      case 'I64':
        out[i] = Number(view.getBigInt64(o, true));
        break;
      case 'U64':
        out[i] = Number(view.getBigUint64(o, true));
        break;
      case 'I32':
        out[i] = view.getInt32(o, true);
        break;
      case 'U32':
        out[i] = view.getUint32(o, true);
        break;
      case 'I16':
        out[i] = view.getInt16(o, true);
        break;
      case 'U16':
        out[i] = view.getUint16(o, true);
        break;
      case 'I8':
        out[i] = view.getInt8(o);
        break;
      default: // U8, BOOL
        out[i] = view.getUint8(o);
    }
  }
  return out;
}

/** A key of the header's top-level object that appears twice (the header is valid JSON). */
function repeatedKey(text: string): string | null {
  const seen = new Set<string>();
  let depth = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === '"') {
      let j = i + 1;
      while (text[j] !== '"') j += text[j] === '\\' ? 2 : 1;
      if (depth === 1) {
        let k = j + 1;
        while (text[k] === ' ' || text[k] === '\t' || text[k] === '\n' || text[k] === '\r') k++;
        if (text[k] === ':') {
          const key = JSON.parse(text.slice(i, j + 1)) as string;
          if (seen.has(key)) return key;
          seen.add(key);
        }
      }
      i = j;
    } else if (c === '{' || c === '[') depth++;
    else if (c === '}' || c === ']') depth--;
  }
  return null;
}

const isSize = (d: unknown): d is number => Number.isSafeInteger(d) && (d as number) >= 0;

interface Info {
  readonly name: string;
  readonly dtype: string;
  readonly shape: readonly number[];
  readonly begin: number;
  readonly end: number;
  readonly count: number;
}

/**
 * Parses a safetensors file. float32 tensors whose data is 4-byte aligned are views into `bytes`
 * (no copy); others are converted. `name` labels errors.
 */
export function parseSafetensors(bytes: Uint8Array, name: string): Safetensors {
  const fail = (why: string): never => {
    throw new WeightsError(`${name}: not a valid safetensors file: ${why}`);
  };
  if (bytes.length < 8) fail(`${bytes.length} bytes, shorter than the 8-byte header length`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const n = view.getBigUint64(0, true);
  if (n > BigInt(MAX_HEADER))
    fail(`the header length ${n} is over the format's limit of ${MAX_HEADER} bytes`);
  if (8n + n > BigInt(bytes.length))
    fail(`the header length ${n} exceeds the file (${bytes.length} bytes)`);
  const start = 8 + Number(n);
  let text = '';
  let header: unknown;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(8, start));
    header = JSON.parse(text);
  } catch (e) {
    fail(`the header is not JSON (${(e as Error).message})`);
  }
  if (typeof header !== 'object' || header === null || Array.isArray(header))
    fail('the header is not a JSON object');
  const twice = repeatedKey(text);
  if (twice !== null) fail(`tensor ${JSON.stringify(twice)} is given twice in the header`);
  const dataLength = bytes.length - start;
  const infos: Info[] = [];
  let metadata: Record<string, string> = {};
  for (const [key, value] of Object.entries(header as Record<string, unknown>)) {
    if (key === '__metadata__') {
      if (
        typeof value !== 'object' ||
        value === null ||
        Array.isArray(value) ||
        !Object.values(value).every((v) => typeof v === 'string')
      )
        fail('__metadata__ must map names to strings');
      metadata = value as Record<string, string>;
      continue;
    }
    if (typeof value !== 'object' || value === null || Array.isArray(value))
      fail(`${key}: ${JSON.stringify(value)} is not an object with dtype, shape and data_offsets`);
    const e = value as { dtype?: unknown; shape?: unknown; data_offsets?: unknown };
    const dtype = typeof e.dtype === 'string' ? e.dtype : '';
    const width = WIDTH.get(dtype);
    if (width === undefined) fail(`${key}: dtype ${JSON.stringify(e.dtype)} is not supported`);
    const shape = e.shape;
    if (!Array.isArray(shape) || !shape.every(isSize))
      fail(`${key}: shape ${JSON.stringify(shape)} is not a list of sizes`);
    const offsets = e.data_offsets;
    if (!Array.isArray(offsets) || offsets.length !== 2 || !offsets.every(isSize))
      fail(`${key}: data_offsets ${JSON.stringify(offsets)} are not two byte offsets`);
    const dims = shape as number[];
    const count = dims.reduce((a, b) => a * b, 1);
    if (!Number.isSafeInteger(count * width!))
      fail(`${key}: shape ${JSON.stringify(dims)} is too large`);
    const [begin, end] = offsets as number[];
    infos.push({ name: key, dtype, shape: dims, begin, end, count });
  }
  // The format's own reader: sorted by offset, the tensors tile the data exactly.
  const sorted = [...infos].sort((a, b) => a.begin - b.begin || a.end - b.end);
  let at = 0;
  let previous: string | null = null;
  for (const t of sorted) {
    const offsets = `data_offsets [${t.begin},${t.end}]`;
    if (t.begin !== at)
      fail(
        previous === null
          ? `${t.name}: ${offsets} start at byte ${t.begin}, but the data starts at 0`
          : `${t.name}: ${offsets} start at byte ${t.begin}, where the previous tensor (${previous}) ends at ${at}`,
      );
    if (t.end < t.begin) fail(`${t.name}: ${offsets} end before they begin`);
    const want = t.count * WIDTH.get(t.dtype)!;
    if (t.end - t.begin !== want)
      fail(
        `${t.name}: ${t.end - t.begin} bytes for ${t.dtype} ${JSON.stringify(t.shape)} (${want})`,
      );
    at = t.end;
    previous = t.name;
  }
  if (at !== dataLength)
    fail(
      `the tensors end at byte ${at} of ${dataLength} data bytes; the last must end at the end of the file`,
    );
  const tensors: FileTensor[] = infos.map((t) => ({
    name: t.name,
    shape: t.shape,
    dtype: t.dtype,
    data: decode(bytes, start + t.begin, t.count, t.dtype, view),
  }));
  return { tensors, metadata };
}

/**
 * Encodes tensors as a safetensors file of float32 data, in the order given, with the header padded
 * to a multiple of 8 bytes. Names must be unique.
 */
export function encodeSafetensors(
  tensors: readonly NamedTensor[],
  metadata: Readonly<Record<string, string>> = {},
): Uint8Array {
  const header: Record<string, unknown> = {};
  if (Object.keys(metadata).length) header.__metadata__ = metadata;
  let offset = 0;
  for (const t of tensors) {
    if (t.name === '__metadata__' || Object.hasOwn(header, t.name))
      throw new WeightsError(`cannot write a safetensors file with two tensors named ${t.name}`);
    if (t.data.length !== sizeOf(t.shape))
      throw new Error(`${t.name}: ${t.data.length} values for shape ${JSON.stringify(t.shape)}`);
    header[t.name] = {
      dtype: 'F32',
      shape: t.shape,
      data_offsets: [offset, offset + t.data.length * 4],
    };
    offset += t.data.length * 4;
  }
  let json = new TextEncoder().encode(JSON.stringify(header));
  const padded = Math.ceil(json.length / 8) * 8;
  if (padded !== json.length) {
    const p = new Uint8Array(padded).fill(0x20);
    p.set(json);
    json = p;
  }
  const out = new Uint8Array(8 + json.length + offset);
  const view = new DataView(out.buffer);
  view.setBigUint64(0, BigInt(json.length), true);
  out.set(json, 8);
  let at = 8 + json.length;
  for (const t of tensors) {
    if (LITTLE_ENDIAN)
      out.set(new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength), at);
    else for (let i = 0; i < t.data.length; i++) view.setFloat32(at + 4 * i, t.data[i], true);
    at += t.data.byteLength;
  }
  return out;
}
