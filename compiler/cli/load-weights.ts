/**
 * `--weights` of cnnc evaluate, predict and verify: a checkpoint folder (DIR, or DIR/checkpoint as
 * cnnc train and the emitted train.py write it), or a weights file cnnc reads
 * (runtime/weights/files.ts): a .safetensors file under cnnc's names and layouts (train.py's
 * model.safetensors) or a TensorFlow.js model.json. The weights must be exactly the model's, by
 * name and shape; a checkpoint saved from another version of the model is a warning.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Graph } from '../ir/graph.js';
import {
  checkpointDir,
  loadCheckpoint,
  weightDifferences,
} from '../../runtime/train/checkpoint.js';
import type { Engine } from '../../runtime/train/engine.js';
import { readWeightsFile } from '../../runtime/weights/files.js';
import { WeightsError } from '../../runtime/weights/tensor.js';
import type { Io } from './io.js';
import { restoreWeights } from './train-session.js';

/** A folder that is not a checkpoint but holds a TensorFlow.js model.json, or any file. */
function isWeightsFile(file: string): boolean {
  try {
    if (!fs.statSync(file).isDirectory()) return true;
  } catch {
    return false;
  }
  const checkpoint = [file, path.join(file, 'checkpoint')].some((d) =>
    fs.existsSync(path.join(d, 'cnnc.json')),
  );
  return !checkpoint && fs.existsSync(path.join(file, 'model.json'));
}

/**
 * Loads --weights into the engine of `graph` and returns what it loaded (the checkpoint folder or
 * the file, relative to the working folder); warnings go to standard error.
 */
export function loadWeightsArg(
  target: { readonly engine: Engine; readonly graph: Graph },
  arg: string,
  io: Io,
): string {
  const abs = path.resolve(io.cwd, arg);
  const shown = path.relative(io.cwd, abs) || '.';
  if (!isWeightsFile(abs)) {
    const dir = checkpointDir(abs);
    const relative = path.relative(io.cwd, dir);
    const warning = restoreWeights(target, loadCheckpoint(dir), relative);
    if (warning) io.err(`cnnc: warning: ${warning}\n`);
    return relative;
  }
  const { tensors } = readWeightsFile(abs);
  const { engine, graph } = target;
  const diffs = weightDifferences(tensors, new Map(engine.weights.map((w) => [w.name, w.shape])));
  if (diffs.length)
    throw new WeightsError(
      `${shown} holds weights that do not fit ${graph.model}:\n${diffs.map((d) => `  ${d}`).join('\n')}`,
    );
  engine.writeWeights(tensors.map((t) => ({ name: t.name, shape: t.shape, data: t.data })));
  return shown;
}
