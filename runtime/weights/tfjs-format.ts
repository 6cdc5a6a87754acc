/**
 * TensorFlow.js's weights format, read and write: a `model.json` whose `weightsManifest` lists groups,
 * each group a list of shard files that, concatenated, hold its weights one after another.
 *
 *   { "format": …, "modelTopology": …, "weightsManifest": [
 *       { "paths": ["group1-shard1of2.bin", "group1-shard2of2.bin"],
 *         "weights": [{ "name": "conv1/kernel", "shape": [3, 3, 1, 8], "dtype": "float32",
 *                       "quantization"?: { "dtype": "uint8", "scale": 0.01, "min": -1.2 } }, …] } ] }
 *
 * Reading accepts float32 and int32 weights and tfjs's quantised forms (uint8 and uint16 with scale
 * and min, and float16), and turns every one into float32. Writing stores float32 in shards of at most
 * 4 MiB, as tfjs's converter does. The codecs here are pure; runtime/weights/files.ts reads the files.
 */
import { JsonCheck } from '../json-check.js';
import { unsafeRelativePath } from '../safe-read.js';
import { halfToFloat } from './safetensors.js';
import { sizeOf, WeightsError, type FileTensor, type NamedTensor } from './tensor.js';

export interface TfjsWeightSpec {
  readonly name: string;
  readonly shape: readonly number[];
  readonly dtype: string;
  readonly quantization?: {
    readonly dtype: string;
    readonly scale?: number;
    readonly min?: number;
    readonly original_dtype?: string;
  };
}

export interface TfjsManifestGroup {
  readonly paths: readonly string[];
  readonly weights: readonly TfjsWeightSpec[];
}

export const DEFAULT_SHARD_BYTES = 4 * 1024 * 1024;

const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/**
 * The manifest of a parsed model.json, every field the decoder uses checked (a wrong type is an
 * error naming the field), and every shard path a plain relative path inside the folder.
 */
export function manifestOf(modelJson: unknown, name: string): TfjsManifestGroup[] {
  const j = new JsonCheck(name, (m) => new WeightsError(m));
  const top = j.object(modelJson, '');
  const none = () =>
    new WeightsError(`${name}: no weightsManifest (not a TensorFlow.js model.json)`);
  if (top.weightsManifest === undefined) throw none();
  const groups = j.array(top.weightsManifest, 'weightsManifest');
  if (groups.length === 0) throw none();
  return groups.map((g, gi) => {
    const at = `weightsManifest[${gi}]`;
    const group = j.object(g, at);
    const paths = j.strings(group.paths, `${at}.paths`);
    // Shard paths are file names beside model.json; refuse a way out of that folder.
    for (const p of paths) {
      const why = unsafeRelativePath(p);
      if (why) throw new WeightsError(`${name}: the path ${JSON.stringify(p)} ${why}`);
    }
    const weights = j.array(group.weights, `${at}.weights`).map((w, wi): TfjsWeightSpec => {
      const wat = `${at}.weights[${wi}]`;
      const spec = j.object(w, wat);
      const q = spec.quantization;
      const optional = (v: unknown, f: string) => (v === undefined ? undefined : j.number(v, f));
      return {
        ...spec,
        name: j.string(spec.name, `${wat}.name`),
        shape: j.shape(spec.shape, `${wat}.shape`),
        dtype: j.string(spec.dtype, `${wat}.dtype`),
        ...(q === undefined
          ? {}
          : {
              quantization: {
                ...j.object(q, `${wat}.quantization`),
                dtype: j.string((q as { dtype?: unknown }).dtype, `${wat}.quantization.dtype`),
                scale: optional((q as { scale?: unknown }).scale, `${wat}.quantization.scale`),
                min: optional((q as { min?: unknown }).min, `${wat}.quantization.min`),
              },
            }),
      };
    });
    return { ...group, paths, weights };
  });
}

function bytesPerElement(w: TfjsWeightSpec, name: string): number {
  const q = w.quantization?.dtype;
  if (q === 'uint8') return 1;
  if (q === 'uint16' || q === 'float16') return 2;
  if (q !== undefined)
    throw new WeightsError(
      `${name}: ${w.name}: quantization ${JSON.stringify(q)} is not supported`,
    );
  if (w.dtype === 'float32' || w.dtype === 'int32') return 4;
  if (w.dtype === 'bool') return 1;
  throw new WeightsError(`${name}: ${w.name}: dtype ${JSON.stringify(w.dtype)} is not supported`);
}

function decodeOne(w: TfjsWeightSpec, bytes: Uint8Array, at: number, count: number): Float32Array {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const q = w.quantization;
  if (!q && w.dtype === 'float32' && LITTLE_ENDIAN && (bytes.byteOffset + at) % 4 === 0)
    return new Float32Array(bytes.buffer, bytes.byteOffset + at, count);
  const out = new Float32Array(count);
  if (q?.dtype === 'uint8' || q?.dtype === 'uint16') {
    const scale = q.scale ?? 1;
    const min = q.min ?? 0;
    for (let i = 0; i < count; i++)
      out[i] =
        (q.dtype === 'uint8' ? bytes[at + i] : view.getUint16(at + 2 * i, true)) * scale + min;
  } else if (q?.dtype === 'float16') {
    for (let i = 0; i < count; i++) out[i] = halfToFloat(view.getUint16(at + 2 * i, true));
  } else if (w.dtype === 'float32') {
    for (let i = 0; i < count; i++) out[i] = view.getFloat32(at + 4 * i, true);
  } else if (w.dtype === 'int32') {
    for (let i = 0; i < count; i++) out[i] = view.getInt32(at + 4 * i, true);
  } else {
    for (let i = 0; i < count; i++) out[i] = bytes[at + i] ? 1 : 0;
  }
  return out;
}

function concat(parts: readonly Uint8Array[]): Uint8Array {
  if (parts.length === 1) return parts[0];
  const out = new Uint8Array(parts.reduce((s, p) => s + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

/**
 * Decodes every weight of a manifest; `shard(path, maxBytes)` returns a shard's bytes, refusing a
 * shard larger than `maxBytes` (what the group's weights still need) before reading it. float32
 * weights are views into the shard bytes where aligned. `name` (the model.json) labels errors.
 */
export function decodeTfjsWeights(
  manifest: readonly TfjsManifestGroup[],
  shard: (path: string, maxBytes: number) => Uint8Array,
  name: string,
): FileTensor[] {
  const out: FileTensor[] = [];
  for (const group of manifest) {
    // The bytes the group describes, known before any shard is read.
    let left = group.weights.reduce((s, w) => s + sizeOf(w.shape) * bytesPerElement(w, name), 0);
    const bytes = concat(
      group.paths.map((p) => {
        const b = shard(p, Math.max(0, left));
        left -= b.length;
        return b;
      }),
    );
    let at = 0;
    for (const w of group.weights) {
      const count = sizeOf(w.shape);
      const width = bytesPerElement(w, name);
      if (at + count * width > bytes.length)
        throw new WeightsError(
          `${name}: the shards of group [${group.paths.join(', ')}] end at byte ${bytes.length}, ` +
            `before ${w.name} (bytes ${at}–${at + count * width})`,
        );
      out.push({
        name: w.name,
        shape: w.shape,
        dtype: w.quantization?.dtype ?? w.dtype,
        data: decodeOne(w, bytes, at, count),
      });
      at += count * width;
    }
    if (at !== bytes.length)
      throw new WeightsError(
        `${name}: the shards of group [${group.paths.join(', ')}] hold ${bytes.length} bytes, ` +
          `the manifest describes ${at}`,
      );
  }
  return out;
}

export interface EncodedTfjsWeights {
  /** The model.json object: format, generatedBy and the manifest (no topology). */
  readonly modelJson: {
    readonly format: string;
    readonly generatedBy: string;
    readonly convertedBy: null;
    readonly weightsManifest: readonly TfjsManifestGroup[];
  };
  readonly shards: readonly { readonly path: string; readonly bytes: Uint8Array }[];
}

/** Encodes tensors as one group of float32 shards `group1-shardKofN.bin` of at most `shardBytes`. */
export function encodeTfjsWeights(
  tensors: readonly NamedTensor[],
  shardBytes = DEFAULT_SHARD_BYTES,
): EncodedTfjsWeights {
  const seen = new Set<string>();
  const total = tensors.reduce((s, t) => s + t.data.length * 4, 0);
  const all = new Uint8Array(total);
  const view = new DataView(all.buffer);
  let o = 0;
  for (const t of tensors) {
    if (seen.has(t.name))
      throw new WeightsError(`cannot write TensorFlow.js weights with two tensors named ${t.name}`);
    seen.add(t.name);
    if (t.data.length !== sizeOf(t.shape))
      throw new Error(`${t.name}: ${t.data.length} values for shape ${JSON.stringify(t.shape)}`);
    if (LITTLE_ENDIAN)
      all.set(new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength), o);
    else for (let i = 0; i < t.data.length; i++) view.setFloat32(o + 4 * i, t.data[i], true);
    o += t.data.length * 4;
  }
  const n = Math.max(1, Math.ceil(total / shardBytes));
  const shards = Array.from({ length: n }, (_, i) => ({
    path: `group1-shard${i + 1}of${n}.bin`,
    bytes: all.subarray(i * shardBytes, Math.min(total, (i + 1) * shardBytes)),
  }));
  return {
    modelJson: {
      format: 'cnnc-weights',
      generatedBy: 'cnnc',
      convertedBy: null,
      weightsManifest: [
        {
          paths: shards.map((s) => s.path),
          weights: tensors.map((t) => ({ name: t.name, shape: [...t.shape], dtype: 'float32' })),
        },
      ],
    },
    shards,
  };
}
