/**
 * weights.ts of an emitted TensorFlow.js project: cnnc's weight files (checkpoint folders, TF.js
 * model.json, safetensors) into the models and out of them, with every size checked.
 */
export const WEIGHTS_TS = String.raw`/**
 * cnnc's weight files into (and out of) the models of model.ts. cnnc names a weight
 * 'layer/weight' ('conv1/kernel', 'stage2.0.bn/moving_mean') in TensorFlow.js's layouts (convolution
 * kernels [kh, kw, in, out], dense kernels [in, units]), which are these models' own: a weight
 * loads by name, with no conversion.
 *
 *   readWeightsFile(path)          a cnnc checkpoint folder (cnnc train's run folder, or its
 *                                  checkpoint/ with cnnc.json, model.json and weights.bin), a
 *                                  TensorFlow.js model.json (what model.save writes) or a
 *                                  .safetensors file, as name → float32 tensor
 *   loadWeights(model, spec, path) reads a file and sets every weight of the model (a missing,
 *                                  extra or misshapen tensor is a WeightsError naming it)
 *   writeSafetensors(path, ...)    the model's weights under cnnc's names, for cnnc run / evaluate
 *
 * Files come from strangers: only regular files are read, a model.json's shard paths must be
 * plain names inside its folder, and every size is checked before any data is used.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { fillText, LEFT_BY_SAVE, SAVE_NOTES } from './io.js';
import type { ModelSpec } from './model.js';

export class WeightsError extends Error {
  override readonly name = 'WeightsError';
}

export interface NamedTensor {
  readonly shape: readonly number[];
  readonly data: Float32Array;
}

/** The largest weights file read (a safetensors header, a model.json: far smaller). */
const MAX_FILE = 4 * 1024 ** 3;

function readRegular(file: string, what: string, max = MAX_FILE): Buffer {
  let st: fs.Stats;
  try {
    st = fs.statSync(file);
  } catch {
    throw new WeightsError(file + ': no such file (' + what + ')');
  }
  if (!st.isFile()) throw new WeightsError(file + ': not a regular file (' + what + ')');
  if (st.size > max) throw new WeightsError(file + ': ' + st.size + ' bytes, more than ' + max + ' (' + what + ')');
  return fs.readFileSync(file);
}

const size = (shape: readonly number[]) => shape.reduce((a, b) => a * b, 1);

function isShape(s: unknown): s is number[] {
  return Array.isArray(s) && s.every((d) => Number.isSafeInteger(d) && d >= 0);
}

/** A .safetensors file: F32 (and F64, F16, BF16, converted) tensors by name. */
export function readSafetensors(file: string): Map<string, NamedTensor> {
  const bytes = readRegular(file, 'safetensors');
  const fail = (why: string): never => {
    throw new WeightsError(file + ': not a valid safetensors file: ' + why);
  };
  if (bytes.length < 8) fail('shorter than its 8-byte header length');
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const n = Number(view.getBigUint64(0, true));
  if (n > bytes.length - 8) fail('the header length ' + n + ' runs past the end of the file');
  let header: Record<string, { dtype?: unknown; shape?: unknown; data_offsets?: unknown }>;
  try {
    header = JSON.parse(bytes.subarray(8, 8 + n).toString('utf8'));
  } catch {
    return fail('the header is not JSON');
  }
  if (typeof header !== 'object' || header === null || Array.isArray(header)) fail('the header is not a JSON object');
  const base = 8 + n;
  const out = new Map<string, NamedTensor>();
  for (const [name, e] of Object.entries(header)) {
    if (name === '__metadata__') continue;
    const width = ({ F32: 4, F64: 8, F16: 2, BF16: 2 } as Record<string, number>)[String(e?.dtype)];
    if (width === undefined) fail(name + ': dtype ' + JSON.stringify(e?.dtype) + ' (expected F32, F64, F16 or BF16)');
    const shape = e.shape;
    const offsets = e.data_offsets;
    if (!isShape(shape)) return fail(name + ': no shape');
    if (!isShape(offsets) || offsets.length !== 2) return fail(name + ': no data_offsets');
    const [begin, end] = offsets;
    if (end - begin !== size(shape) * width || base + end > bytes.length)
      fail(name + ': bytes ' + begin + '-' + end + ' do not hold ' + shape.join('x') + ' ' + String(e.dtype));
    const data = new Float32Array(size(shape));
    for (let i = 0, o = base + begin; i < data.length; i++, o += width) {
      if (width === 4) data[i] = view.getFloat32(o, true);
      else if (width === 8) data[i] = view.getFloat64(o, true);
      else if (e.dtype === 'BF16') data[i] = new Float32Array(new Uint32Array([view.getUint16(o, true) << 16]).buffer)[0];
      else data[i] = halfToFloat(view.getUint16(o, true));
    }
    out.set(name, { shape, data });
  }
  return out;
}

function halfToFloat(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exp = (h >> 10) & 0x1f;
  const frac = h & 0x3ff;
  if (exp === 0) return sign * frac * 2 ** -24;
  if (exp === 31) return frac ? NaN : sign * Infinity;
  return sign * (1 + frac / 1024) * 2 ** (exp - 15);
}

interface ManifestGroup {
  paths: string[];
  weights: { name: string; shape: number[]; dtype: string }[];
}

/** A TensorFlow.js model.json and its shards (float32 weights), by weight name. */
export function readModelJson(file: string): Map<string, NamedTensor> {
  let json: { weightsManifest?: unknown };
  try {
    json = JSON.parse(readRegular(file, 'model.json', 256 * 1024 ** 2).toString('utf8'));
  } catch (e) {
    if (e instanceof WeightsError) throw e;
    throw new WeightsError(file + ': not JSON');
  }
  const manifest = json?.weightsManifest;
  if (!Array.isArray(manifest)) throw new WeightsError(file + ': no weightsManifest (not a TensorFlow.js model.json)');
  const out = new Map<string, NamedTensor>();
  for (const g of manifest as ManifestGroup[]) {
    if (!Array.isArray(g?.paths) || !Array.isArray(g.weights))
      throw new WeightsError(file + ': a weightsManifest group has no paths or weights');
    const shards = g.paths.map((p) => {
      // Shards are plain file names beside model.json.
      if (typeof p !== 'string' || p === '' || p === '.' || p === '..' || /[\\/\0]/.test(p))
        throw new WeightsError(file + ': shard path ' + JSON.stringify(p) + ' is not a file name in its folder');
      return readRegular(path.join(path.dirname(file), p), 'weights shard');
    });
    const bytes = Buffer.concat(shards);
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    let at = 0;
    for (const w of g.weights) {
      if (typeof w?.name !== 'string' || !isShape(w.shape))
        throw new WeightsError(file + ': weight entry ' + JSON.stringify(w) + ' has no name and shape');
      if (w.dtype !== 'float32') throw new WeightsError(file + ': ' + w.name + ' is ' + String(w.dtype) + ', not float32');
      const n = size(w.shape);
      if (at + 4 * n > bytes.length)
        throw new WeightsError(file + ': the shards end at byte ' + bytes.length + ', before ' + w.name);
      const data = new Float32Array(n);
      for (let i = 0; i < n; i++) data[i] = view.getFloat32(at + 4 * i, true);
      out.set(w.name, { shape: w.shape, data });
      at += 4 * n;
    }
    if (at !== bytes.length)
      throw new WeightsError(file + ': the shards hold ' + bytes.length + ' bytes, the manifest describes ' + at);
  }
  return out;
}

/**
 * Weights from a file: '.safetensors', a model.json, or a folder holding model.json (a cnnc
 * checkpoint, or a run folder with checkpoint/ in it).
 */
export function readWeightsFile(file: string): Map<string, NamedTensor> {
  if (file.endsWith('.safetensors')) return readSafetensors(file);
  if (file.endsWith('.json')) return readModelJson(file);
  for (const dir of [file, path.join(file, 'checkpoint')]) {
    const json = path.join(dir, 'model.json');
    if (fs.existsSync(json)) return readModelJson(json);
  }
  let names: string[] = [];
  try {
    names = fs.readdirSync(file).sort();
  } catch {
    // not a folder, or one that cannot be listed: no hint
  }
  const old = names.find((f) => LEFT_BY_SAVE.exec(f)?.[1] === 'old');
  const fix = 'renaming it to ' + path.join(file, 'checkpoint');
  throw new WeightsError(
    file +
      ': expected a .safetensors file, a model.json, or a folder with model.json (a cnnc checkpoint)' +
      (old === undefined ? '' : '; ' + fillText(SAVE_NOTES.interrupted, { name: old, fix })),
  );
}

/** cnnc's name of each weight of the model ('layer/weight'), in model.weights order. */
export function cnncNames(model: tf.LayersModel, spec: ModelSpec): string[] {
  const cnncLayer = new Map<string, string>();
  for (const [cnnc, layer] of spec.renamed) cnncLayer.set(layer, cnnc);
  return model.weights.map((w) => {
    const at = w.originalName.lastIndexOf('/');
    const layer = w.originalName.slice(0, at);
    return (cnncLayer.get(layer) ?? layer) + w.originalName.slice(at);
  });
}

/** Sets every weight of the model from 'tensors' (cnnc's names); anything missing or extra is an error. */
export function setWeights(model: tf.LayersModel, spec: ModelSpec, tensors: ReadonlyMap<string, NamedTensor>, source: string): void {
  const names = cnncNames(model, spec);
  const problems: string[] = [];
  names.forEach((name, i) => {
    const t = tensors.get(name);
    const want = model.weights[i].shape.join('x');
    if (!t) problems.push(name + ': missing (the model has ' + want + ')');
    else if (t.shape.join('x') !== want) problems.push(name + ': the file has ' + t.shape.join('x') + ', the model ' + want);
  });
  for (const [name, t] of tensors)
    if (!names.includes(name)) problems.push(name + ': in the file (' + t.shape.join('x') + ') but not in the model');
  if (problems.length)
    throw new WeightsError(source + ' does not fit ' + spec.name + ':\n  ' + problems.slice(0, 20).join('\n  ') + (problems.length > 20 ? '\n  and ' + (problems.length - 20) + ' more' : ''));
  const values = names.map((name, i) => tf.tensor(tensors.get(name)!.data, model.weights[i].shape as number[]));
  model.setWeights(values);
  tf.dispose(values);
}

/** Reads a weights file (readWeightsFile) into the model. */
export function loadWeights(model: tf.LayersModel, spec: ModelSpec, file: string): void {
  setWeights(model, spec, readWeightsFile(file), file);
}

/** The model's weights under cnnc's names, as a .safetensors file (cnnc run --weights FILE). */
export function writeSafetensors(file: string, model: tf.LayersModel, spec: ModelSpec): void {
  const names = cnncNames(model, spec);
  const values = model.weights.map((w) => w.read().dataSync() as Float32Array);
  const header: Record<string, { dtype: string; shape: number[]; data_offsets: number[] }> = Object.create(null);
  let at = 0;
  names.forEach((name, i) => {
    header[name] = { dtype: 'F32', shape: model.weights[i].shape.map(Number), data_offsets: [at, at + values[i].byteLength] };
    at += values[i].byteLength;
  });
  let json = JSON.stringify(header);
  json += ' '.repeat((8 - ((8 + Buffer.byteLength(json)) % 8)) % 8);
  const head = Buffer.alloc(8);
  head.writeBigUInt64LE(BigInt(Buffer.byteLength(json)));
  const tmp = file + '.tmp-' + process.pid;
  fs.writeFileSync(tmp, Buffer.concat([head, Buffer.from(json), ...values.map((v) => Buffer.from(v.buffer, v.byteOffset, v.byteLength))]));
  fs.renameSync(tmp, file);
}
`;
