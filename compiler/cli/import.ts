/**
 * `cnnc import keras MODEL.json [-o OUT.cnn] [--name NAME] [--weights DIR | --no-weights]`: a Keras /
 * TensorFlow.js layers model becomes a .cnn file (compiler/import/keras.ts) and its weights a
 * TensorFlow.js weights folder under cnnc's names (`${node}/${weight}`), read and written by
 * runtime/weights.
 */
import * as path from 'node:path';
import { readWeightsFile, writeWeightsFile } from '../../runtime/weights/files.js';
import { WeightsError, type NamedTensor } from '../../runtime/weights/tensor.js';
import { isCnnIdentifier } from '../codegen/cnn-text.js';
import { hasErrors } from '../diagnostics/diagnostic.js';
import { importKeras, type KerasImport } from '../import/keras.js';
import { countWeights } from '../sema/param-rules.js';
import { parseArgs, UsageError } from './args.js';
import { runImportOnnx } from './import-onnx.js';
import { exitCodeFor, printDiagnostics } from './common.js';
import type { ExitCode, Io } from './io.js';

export const IMPORT_HELP = `usage: cnnc import keras MODEL.json [options]
       cnnc import onnx MODEL.onnx [options]

Turns a Keras / TensorFlow.js layers model (its model.json, with the weight shards beside it)
into a .cnn file whose layers keep their Keras names, and its weights into a TensorFlow.js
weights folder (model.json + shards) under cnnc's names (\`layer/kernel\`). Each layer the
language cannot express is reported by name, and nothing is written.

options:
  -o, --out FILE   the .cnn file (default: MODEL's name with .cnn, in the current folder)
  --name NAME      the model's name in the .cnn file (default: the Keras model's name)
  --weights DIR    the weights folder (default: the .cnn file's path without .cnn, plus .weights)
  --no-weights     write the .cnn file only

An ONNX model (Conv, BatchNormalization, pools, Gemm, Add, Concat, … as PyTorch exports them)
becomes a .cnn file whose residual adds are \`residual\` and whose concats are \`concat\` with
branches, and its initializers a safetensors file in cnnc's layouts, for \`cnnc run --weights\`.
Every operator without a counterpart is reported, and nothing is written.
  -o, --out FILE   the .cnn file (default: MODEL's name with .cnn, in the current folder)
  --name NAME      the model's name (default: MODEL's file name)
  --weights FILE   the weights (default: the .cnn file's path with .safetensors instead of .cnn;
                   a name not ending in .safetensors is a TensorFlow.js weights folder)
  --no-weights     write the .cnn file only`;

export function runImport(argv: readonly string[], io: Io): ExitCode {
  const args = parseArgs(argv, {
    o: { value: true },
    out: { value: true },
    name: { value: true },
    weights: { value: true },
    'no-weights': { value: false },
  });
  const [format, file, ...extra] = args.positional;
  if (format !== 'keras' && format !== 'onnx')
    throw new UsageError(
      format === undefined
        ? 'cnnc import needs a format: cnnc import keras MODEL.json, cnnc import onnx MODEL.onnx'
        : `cnnc import reads keras and onnx models; got ${JSON.stringify(format)}`,
    );
  if (file === undefined || extra.length)
    throw new UsageError(
      format === 'onnx'
        ? 'cnnc import onnx takes one .onnx file'
        : 'cnnc import keras takes one model.json',
    );
  const name = args.flags.get('name')?.[0];
  if (name !== undefined && !isCnnIdentifier(name))
    throw new UsageError(
      `--name must be an identifier that is not a keyword; got ${JSON.stringify(name)}`,
    );
  if (args.flags.has('weights') && args.flags.has('no-weights'))
    throw new UsageError('--weights and --no-weights exclude each other');
  if (format === 'onnx') return runImportOnnx(args, file, io);

  const modelPath = path.resolve(io.cwd, file);
  const text = io.host.readFile(modelPath);
  if (text === undefined) {
    io.err(`cnnc: error: ${file}: no such file\n`);
    return 1;
  }
  const out = path.resolve(
    io.cwd,
    args.flags.get('o')?.[0] ?? args.flags.get('out')?.[0] ?? `${path.basename(file, '.json')}.cnn`,
  );
  const display = (p: string) => path.relative(io.cwd, p).split(path.sep).join('/') || p;
  const result = importKeras(text, { file: display(modelPath), cnnFile: display(out), name });
  printDiagnostics(io, result.diagnostics, result.sources);
  if (hasErrors(result.diagnostics) || result.source === null)
    return exitCodeFor(result.diagnostics) || 1;

  const weightsDir = args.flags.get('weights')?.[0] ?? `${out.replace(/\.cnn$/, '')}.weights`;
  let tensors: NamedTensor[] | null = null;
  if (!args.flags.has('no-weights') && result.hasWeights) {
    try {
      tensors = convertWeights(result, modelPath);
    } catch (e) {
      if (!(e instanceof WeightsError)) throw e;
      io.err(`cnnc: error: ${e.message}\n`);
      return 1;
    }
  }
  io.writeFile(out, result.source);
  const params = countWeights(result.graph?.nodes.flatMap((n) => n.weights ?? []) ?? []);
  io.err(
    `wrote ${display(out)}: model ${result.model}, ${result.layers.size} Keras layers, ` +
      `${params.toLocaleString('en-US')} parameters\n`,
  );
  if (tensors) {
    const dir = path.resolve(io.cwd, weightsDir);
    try {
      writeWeightsFile(dir, tensors, {});
    } catch (e) {
      if (!(e instanceof WeightsError)) throw e;
      io.err(`cnnc: error: ${e.message}\n`);
      return 1;
    }
    io.err(`wrote ${display(dir)}: ${tensors.length} weights under cnnc names\n`);
  } else if (!args.flags.has('no-weights')) {
    io.err(`${display(modelPath)} lists no weights (no weightsManifest): wrote no weights\n`);
  }
  return exitCodeFor(result.diagnostics);
}

/** The shards' weights under cnnc names, in graph order; weights Keras lacks get their fill value. */
function convertWeights(result: KerasImport, modelPath: string): NamedTensor[] {
  const read = readWeightsFile(modelPath);
  const byName = new Map(read.tensors.map((t) => [t.name, t]));
  const out: NamedTensor[] = [];
  for (const link of result.weights) {
    const t = link.keras === null ? undefined : byName.get(link.keras);
    if (t) out.push({ name: link.name, shape: link.shape, data: t.data });
    else if (link.fill !== null) {
      const n = link.shape.reduce((a, b) => a * b, 1);
      out.push({ name: link.name, shape: link.shape, data: new Float32Array(n).fill(link.fill) });
    } else
      throw new WeightsError(
        `${modelPath}: no values for ${link.name} (${link.keras ?? 'no Keras weight'})`,
      );
  }
  return out;
}
