/**
 * `cnnc import onnx MODEL.onnx [-o OUT.cnn] [--name NAME] [--weights FILE | --no-weights]`: an ONNX
 * model becomes a .cnn file (compiler/import/onnx.ts) and its initializers a safetensors file of
 * cnnc weights (`node/weight`, cnnc layouts), by default beside the .cnn file with its stem
 * (`resnet18.cnn` → `resnet18.safetensors`), which `cnnc run --weights` loads as it is.
 *
 * The file comes from elsewhere (docs/security.md): it is read as a regular file of at most
 * MAX_ONNX_BYTES before it is decoded, and external-data tensors only from regular files inside the
 * model's folder (runtime/safe-read.ts), each range checked against the file's size. Nothing is
 * written unless every weight converts; both files are written atomically.
 */
import * as path from 'node:path';
import { MAX_READ_BYTES, readFileInside, readRegularFile } from '../../runtime/safe-read.js';
import { writeWeightsFile } from '../../runtime/weights/files.js';
import { WeightsError, type NamedTensor } from '../../runtime/weights/tensor.js';
import { fromTorchLayout } from '../../runtime/weights/torchvision.js';
import { hasErrors } from '../diagnostics/diagnostic.js';
import { importOnnx, type OnnxImport } from '../import/onnx.js';
import { elementBytes, tensorFloat32, type OnnxTensor } from '../import/onnx-model.js';
import { countWeights } from '../sema/param-rules.js';
import type { ParsedArgs } from './args.js';
import { exitCodeFor, printDiagnostics } from './common.js';
import type { ExitCode, Io } from './io.js';

/** The largest .onnx file read (protobuf's own limit is 2 GiB; bigger models use external data). */
export const MAX_ONNX_BYTES = MAX_READ_BYTES;

const weightsError = (m: string) => new WeightsError(m);

export function runImportOnnx(args: ParsedArgs, file: string, io: Io): ExitCode {
  const name = args.flags.get('name')?.[0];
  const modelPath = path.resolve(io.cwd, file);
  const display = (p: string) => path.relative(io.cwd, p).split(path.sep).join('/') || p;
  let bytes: Buffer;
  try {
    bytes = readRegularFile(modelPath, { maxBytes: MAX_ONNX_BYTES }, weightsError);
  } catch (e) {
    if (!(e instanceof WeightsError)) throw e;
    io.err(`cnnc: error: ${e.message}\n`);
    return 1;
  }
  const out = path.resolve(
    io.cwd,
    args.flags.get('o')?.[0] ??
      args.flags.get('out')?.[0] ??
      `${path.basename(file).replace(/\.onnx$/i, '')}.cnn`,
  );
  const result = importOnnx(bytes, { file: display(modelPath), cnnFile: display(out), name });
  printDiagnostics(io, result.diagnostics, result.sources);
  if (hasErrors(result.diagnostics) || result.source === null || !result.graph)
    return exitCodeFor(result.diagnostics) || 1;

  const weightsFile = path.resolve(
    io.cwd,
    args.flags.get('weights')?.[0] ?? `${out.replace(/\.cnn$/, '')}.safetensors`,
  );
  let tensors: NamedTensor[] | null = null;
  if (!args.flags.has('no-weights')) {
    try {
      tensors = convertWeights(result, modelPath);
    } catch (e) {
      if (!(e instanceof WeightsError)) throw e;
      io.err(`cnnc: error: ${e.message}\n`);
      return 1;
    }
    try {
      writeWeightsFile(weightsFile, tensors, {});
    } catch (e) {
      if (!(e instanceof WeightsError)) throw e;
      io.err(`cnnc: error: ${e.message}\n`);
      return 1;
    }
  }
  io.writeFile(out, result.source);
  const params = countWeights(result.graph.nodes.flatMap((n) => n.weights ?? []));
  io.err(
    `wrote ${display(out)}: model ${result.model}, ${result.nodeCount} ONNX nodes, ` +
      `${params.toLocaleString('en-US')} parameters\n`,
  );
  if (tensors)
    io.err(`wrote ${display(weightsFile)}: ${tensors.length} weights under cnnc names\n`);
  return exitCodeFor(result.diagnostics);
}

/** Every weight of the imported graph, from its initializer, in cnnc's layout. */
export function convertWeights(result: OnnxImport, modelPath: string): NamedTensor[] {
  const graph = result.graph!;
  const onnx = result.onnx!;
  const dir = path.dirname(modelPath);
  const files = new Map<string, Buffer>();
  const external = (t: OnnxTensor): Uint8Array => {
    if (t.data.kind !== 'external') throw new Error('not external data');
    const { location, offset } = t.data;
    let buf = files.get(location);
    if (!buf) {
      buf = readFileInside(dir, location, modelPath, {}, weightsError);
      files.set(location, buf);
    }
    const n = t.dims.reduce((a, b) => a * b, 1) * elementBytes(t);
    if (offset + n > buf.length)
      throw new WeightsError(
        `${path.join(dir, location)}: initializer ${t.name} needs bytes ${offset.toLocaleString('en-US')} to ${(offset + n).toLocaleString('en-US')}, but the file holds ${buf.length.toLocaleString('en-US')}`,
      );
    return buf.subarray(offset, offset + n);
  };
  const byName = new Map(graph.nodes.map((n) => [n.name, n]));
  return result.weights.map((link) => {
    const t = onnx.initializers.get(link.source)!;
    let data = tensorFloat32(t, external);
    let dims = t.dims;
    if (link.scale !== 1) data = data.map((x) => x * link.scale);
    if (link.layout === 'transpose') {
      // [in, units] → PyTorch's [units, in], so that one layout function places the rows.
      const [rows, cols] = dims;
      const tr = new Float32Array(data.length);
      for (let r = 0; r < rows; r++)
        for (let c = 0; c < cols; c++) tr[c * rows + r] = data[r * cols + c];
      data = tr;
      dims = [cols, rows];
    }
    if (link.layout !== 'none')
      data = fromTorchLayout(graph, byName.get(link.node)!, link.weight, data, dims, link.shape);
    return { name: link.name, shape: link.shape, data };
  });
}
