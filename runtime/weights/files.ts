/**
 * Weights files on disk, whatever their format: a cnnc checkpoint folder (runtime/train/checkpoint.ts),
 * a TensorFlow.js model.json with its shards (or the folder holding it), or a .safetensors file.
 * Writing picks the format from the path: `*.safetensors`, else a folder with model.json and shards.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { CheckpointError, loadCheckpoint } from '../train/checkpoint.js';
import { readFileInside, readRegularFile } from '../safe-read.js';
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

function writeAtomically(target: string, write: (tmp: string) => void): void {
  const tmp = path.join(path.dirname(target), `.${path.basename(target)}.tmp-${process.pid}`);
  try {
    fs.mkdirSync(path.dirname(target), { recursive: true });
    fs.rmSync(tmp, { recursive: true, force: true });
    write(tmp);
    fs.rmSync(target, { recursive: true, force: true });
    fs.renameSync(tmp, target);
  } catch (e) {
    fs.rmSync(tmp, { recursive: true, force: true });
    throw new WeightsError(
      `cannot write ${target}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`,
    );
  }
}

/**
 * Writes tensors to `target`: a .safetensors file, or else a folder holding model.json and
 * `group1-shard*.bin` (replaced whole if it exists).
 */
export function writeWeightsFile(
  target: string,
  tensors: readonly NamedTensor[],
  metadata: Readonly<Record<string, string>> = {},
): WeightsFormat {
  if (/\.safetensors$/i.test(target)) {
    const bytes = encodeSafetensors(tensors, metadata);
    writeAtomically(target, (tmp) => fs.writeFileSync(tmp, bytes));
    return 'safetensors';
  }
  if (fs.existsSync(target)) {
    const foreign = fs.statSync(target).isDirectory()
      ? fs
          .readdirSync(target)
          .filter((f) => f !== 'model.json' && !/^group\d+-shard\d+of\d+\.bin$/.test(f))
      : [path.basename(target)];
    if (foreign.length)
      throw new WeightsError(
        `cannot write weights to ${target}: it exists and holds ${foreign.slice(0, 3).join(', ')}` +
          `${foreign.length > 3 ? ', …' : ''}; give a new folder or a .safetensors file`,
      );
  }
  const encoded = encodeTfjsWeights(tensors);
  writeAtomically(target, (tmp) => {
    fs.mkdirSync(tmp);
    fs.writeFileSync(
      path.join(tmp, 'model.json'),
      `${JSON.stringify(encoded.modelJson, null, 2)}\n`,
    );
    for (const s of encoded.shards) fs.writeFileSync(path.join(tmp, s.path), s.bytes);
  });
  return 'tfjs';
}
