/**
 * Weights files on disk, whatever their format: a cnnc checkpoint folder (runtime/train/checkpoint.ts),
 * a TensorFlow.js model.json with its shards (or the folder holding it), or a .safetensors file.
 * Writing picks the format from the path: `*.safetensors`, else a folder with model.json and shards.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { CheckpointError, loadCheckpoint } from '../train/checkpoint.js';
import { readFileInside, readRegularFile } from '../safe-read.js';
import {
  foreignEntries,
  kindOf,
  lstatOrNone,
  makeFolder,
  reason,
  removeOwnFolder,
  someNames,
  writeFileAtomic,
} from '../safe-write.js';
import { encodeSafetensors, parseSafetensors } from './safetensors.js';
import { decodeTfjsWeights, encodeTfjsWeights, manifestOf } from './tfjs-format.js';
import { WeightsError, type FileTensor, type NamedTensor } from './tensor.js';

export type WeightsFormat = 'checkpoint' | 'tfjs' | 'safetensors';

export interface WeightsFile {
  readonly format: WeightsFormat;
  /** The file or folder read. */
  readonly path: string;
  readonly tensors: readonly FileTensor[];
}

const weightsError = (message: string) => new WeightsError(message);

/** The largest model.json read (a layers model's topology is a few MB at most). */
export const MAX_JSON_BYTES = 64 * 2 ** 20;

function readTfjs(modelJson: string): WeightsFile {
  let json: unknown;
  try {
    const text = readRegularFile(modelJson, { maxBytes: MAX_JSON_BYTES }, weightsError);
    json = JSON.parse(new TextDecoder().decode(text));
  } catch (e) {
    if (e instanceof WeightsError) throw e;
    throw new WeightsError(`${modelJson}: not JSON (${(e as Error).message})`);
  }
  const dir = path.dirname(modelJson);
  const tensors = decodeTfjsWeights(
    manifestOf(json, modelJson),
    (p, maxBytes) => readFileInside(dir, p, modelJson, { maxBytes }, weightsError),
    modelJson,
  );
  return { format: 'tfjs', path: modelJson, tensors };
}

/** Reads weights from a checkpoint folder, a model.json (or its folder) or a .safetensors file. */
export function readWeightsFile(file: string): WeightsFile {
  let stat: fs.Stats;
  try {
    stat = fs.statSync(file);
  } catch {
    throw new WeightsError(`${file}: no such file or folder`);
  }
  if (stat.isDirectory()) {
    const hasCk = [file, path.join(file, 'checkpoint')].some((d) =>
      fs.existsSync(path.join(d, 'cnnc.json')),
    );
    if (hasCk) {
      try {
        const ck = loadCheckpoint(file);
        return {
          format: 'checkpoint',
          path: file,
          tensors: ck.weights.map((w) => ({ ...w, dtype: 'float32' })),
        };
      } catch (e) {
        if (e instanceof CheckpointError) throw new WeightsError(e.message);
        throw e;
      }
    }
    if (fs.existsSync(path.join(file, 'model.json')))
      return readTfjs(path.join(file, 'model.json'));
    throw new WeightsError(
      `${file}: a folder with neither a cnnc checkpoint (cnnc.json) nor a TensorFlow.js model.json`,
    );
  }
  if (/\.safetensors$/i.test(file)) {
    const { tensors } = parseSafetensors(readRegularFile(file, {}, weightsError), file);
    return { format: 'safetensors', path: file, tensors };
  }
  if (/\.json$/i.test(file)) return readTfjs(file);
  throw new WeightsError(
    `${file}: unknown weights format (expected a .safetensors file, a TensorFlow.js model.json, ` +
      'or a checkpoint folder)',
  );
}

/** The files of a TensorFlow.js weights folder cnnc writes: the only ones it replaces. */
const ownTfjsFile = (f: string) => f === 'model.json' || /^group\d+-shard\d+of\d+\.bin$/.test(f);

/**
 * Writes tensors to `target`: a .safetensors file (replacing only a regular file), or else a folder
 * holding model.json and `group1-shard*.bin`, replaced whole when it holds nothing else. Both are
 * written beside the target first and renamed into place.
 */
export function writeWeightsFile(
  target: string,
  tensors: readonly NamedTensor[],
  metadata: Readonly<Record<string, string>> = {},
): WeightsFormat {
  if (/\.safetensors$/i.test(target)) {
    writeFileAtomic(target, encodeSafetensors(tensors, metadata), weightsError);
    return 'safetensors';
  }
  const foreign = foreignEntries(target, ownTfjsFile);
  if (foreign === null || foreign.length)
    throw new WeightsError(
      `will not replace ${target}: ` +
        (foreign
          ? `it holds ${someNames(foreign)}, which cnnc did not write`
          : `it is ${kindOf(lstatOrNone(target)!)}, not a weights folder`) +
        '; give a new folder or a .safetensors file',
    );
  const encoded = encodeTfjsWeights(tensors);
  makeFolder(path.dirname(target), (why) => new WeightsError(`cannot write ${target}: ${why}`));
  const beside = (what: string) =>
    path.join(path.dirname(target), `.${path.basename(target)}.${what}-${process.pid}`);
  const [tmp, old] = [beside('tmp'), beside('old')];
  try {
    removeOwnFolder(tmp, ownTfjsFile);
    fs.mkdirSync(tmp);
    fs.writeFileSync(
      path.join(tmp, 'model.json'),
      `${JSON.stringify(encoded.modelJson, null, 2)}\n`,
    );
    for (const s of encoded.shards) fs.writeFileSync(path.join(tmp, s.path), s.bytes);
    const existed = lstatOrNone(target) !== undefined;
    if (existed) fs.renameSync(target, old);
    try {
      fs.renameSync(tmp, target);
    } catch (e) {
      if (existed) fs.renameSync(old, target);
      throw e;
    }
    if (existed) removeOwnFolder(old, ownTfjsFile);
  } catch (e) {
    removeOwnFolder(tmp, ownTfjsFile);
    throw new WeightsError(`cannot write ${target}: ${reason(e)}`);
  }
  return 'tfjs';
}
