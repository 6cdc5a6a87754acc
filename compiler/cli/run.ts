/**
 * `cnnc run MODEL.cnn --weights FILE --input x.npy [--output y.npy] [--backend B]`: one forward pass
 * in inference mode on a NumPy array, to compare a model's outputs with another framework's.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { DataError } from '../../runtime/data/dataset.js';
import { readNpyFile } from '../../runtime/data/npy.js';
import {
  forward,
  forwardAll,
  FORWARD_BACKENDS,
  type Batch,
} from '../../runtime/weights/forward.js';
import { namedOutputs } from '../sema/outputs.js';
import { prepareWeights } from '../../runtime/weights/load.js';
import { writeFileAtomic } from '../../runtime/safe-write.js';
import { encodeNpy } from '../../runtime/weights/npy.js';
import { planProblems, tensorsToLoad } from '../../runtime/weights/plan.js';
import { sizeOf, WeightsError } from '../../runtime/weights/tensor.js';
import type { Graph } from '../ir/graph.js';
import { checkBackendMemory } from '../report/backend-memory.js';
import { parseArgs, parseThreads, UsageError } from './args.js';
import { defaultThreads } from '../../runtime/engines.js';
import { IMPORT_HELP_LINE, printDiagnostics } from './common.js';
import type { ExitCode, Io } from './io.js';
import { compileOne, renderPlan, weightMapFlag, WEIGHT_FLAGS, weightsGuard } from './weights.js';

export const RUN_HELP = `usage: cnnc run MODEL.cnn --weights FILE --input X.npy [options]

Runs one forward pass in inference mode (dropout off, batch norm on its moving statistics) and
writes the model's output. X.npy holds one sample or a batch, channels last (NHWC for images:
[N, H, W, C] or [H, W, C]); float32 or float64 values are used as they are, uint8 scaled to [0, 1].
The weights must cover every weight of the model exactly (see cnnc weights plan).

options:
  --weights FILE     a cnnc checkpoint folder, a TensorFlow.js model.json or a .safetensors file
  --input X.npy      the input array (required)
  --output Y.npy     write the output here, float32 [N, ...]; without it, print the values
  --backend B        ${FORWARD_BACKENDS.join(', ')} (default wasm)
  --threads N        threads to run on (default: every core)
  --map M            none (default) or torchvision: the weights are a torchvision state dict
  --allow-partial    run even when some weights are missing or misshapen (they keep initial values)
  --model NAME       the model, when the file defines several
  ${IMPORT_HELP_LINE}`;

function readInput(graph: Graph, file: string): Batch {
  const a = readNpyFile(file);
  const input = graph.nodes.find((n) => n.op === 'input');
  const want = (input?.shape ?? []).map((d) => (typeof d === 'number' ? d : -1));
  const expected = want.map((d) => (d < 0 ? '?' : d)).join('x');
  if (want.length === 3) {
    // Images: the array's own [H, W, C] must be the model's (any size where it is symbolic).
    const ok = a.shape.every((d, i) => want[i] < 0 || want[i] === d);
    if (!ok)
      throw new DataError(
        `${file}: samples of ${a.shape.join('x')}, but ${graph.model} takes ${expected}`,
      );
    return { data: a.data, shape: [a.count, ...a.shape] };
  }
  if (want.some((d) => d < 0))
    throw new DataError(`${graph.model} takes ${expected}: give a rank-3 model input for cnnc run`);
  const per = sizeOf(want);
  if (a.data.length === 0 || a.data.length % per !== 0)
    throw new DataError(
      `${file}: ${a.data.length} values do not make whole samples of ${expected} (${per} each)`,
    );
  return { data: a.data, shape: [a.data.length / per, ...want] };
}

function formatValues(y: Batch): string {
  const n = y.shape[0] ?? 1;
  const per = y.data.length / n;
  const lines: string[] = [];
  for (let i = 0; i < n; i++)
    lines.push(
      Array.from(y.data.subarray(i * per, (i + 1) * per), (v) => Number(v.toPrecision(7))).join(
        ' ',
      ),
    );
  return `${lines.join('\n')}\n`;
}

/**
 * Several outputs: each printed under `output NAME [shape]:`, or with --output Y.npy written to
 * Y.NAME.npy beside it, one file per output.
 */
function writeOutputs(
  io: Io,
  names: readonly { readonly name: string }[],
  ys: readonly Batch[],
  output: string | undefined,
): ExitCode {
  ys.forEach((y, k) => {
    const name = names[k].name;
    if (output === undefined) {
      io.out(`output ${name} [${y.shape.join(', ')}]:\n${formatValues(y)}`);
      return;
    }
    const file = output.replace(/(\.npy)?$/i, `.${name}.npy`);
    writeFileAtomic(
      path.resolve(io.cwd, file),
      encodeNpy(y.shape, y.data),
      (m) => new WeightsError(m),
    );
    io.out(`${file}: float32 [${y.shape.join(', ')}] (output ${name})\n`);
  });
  return 0;
}

export function runRun(argv: readonly string[], io: Io): Promise<ExitCode> {
  return weightsGuard(io, async (): Promise<ExitCode> => {
    const args = parseArgs(argv, {
      ...WEIGHT_FLAGS,
      weights: { value: true },
      input: { value: true },
      output: { value: true },
      backend: { value: true },
      threads: { value: true },
    });
    if (args.positional.length !== 1) throw new UsageError('expected exactly one .cnn file');
    const weights = args.flags.get('weights')?.[0];
    if (!weights) throw new UsageError('--weights FILE is required');
    const inputFile = args.flags.get('input')?.[0];
    if (!inputFile) throw new UsageError('--input X.npy is required');
    const backendName = args.flags.get('backend')?.[0] ?? 'wasm';
    const backend = FORWARD_BACKENDS.find((b) => b === backendName);
    if (!backend)
      throw new UsageError(
        `--backend must be one of ${FORWARD_BACKENDS.join(', ')}; got ${JSON.stringify(backendName)}`,
      );
    const map = weightMapFlag(args);
    const graph = compileOne(args.positional[0], args, io);
    if (typeof graph === 'number') return graph;
    const x = readInput(graph, path.resolve(io.cwd, inputFile));
    const w = prepareWeights(graph, path.resolve(io.cwd, weights), map);
    const allowPartial = args.flags.has('allow-partial');
    const problems = planProblems(w.plan, { allowPartial, requireAll: true });
    const c = w.plan.counts;
    if (problems.length) {
      io.err(renderPlan(graph, w, io.cwd));
      for (const p of problems) io.err(`cnnc: error: ${p}\n`);
      return 1;
    }
    if (c.mismatch || c.missing)
      io.err(
        `cnnc: warning: ${c.mismatch + c.missing} weights keep their initial values ` +
          `(${c.mismatch} shape mismatches, ${c.missing} missing; see cnnc weights plan)\n`,
      );
    if (c.unused)
      io.err(`cnnc: warning: ${c.unused} tensors of the file are unused (see cnnc weights plan)\n`);
    const need = { batch: x.shape[0] ?? 1, training: false };
    const memory = checkBackendMemory(graph, backend, need, os.totalmem());
    if (memory) {
      const text = io.host.readFile(path.resolve(io.cwd, graph.file));
      printDiagnostics(io, [memory], new Map(text === undefined ? [] : [[graph.file, text]]));
      return 1;
    }
    const threads = parseThreads(args, defaultThreads());
    const output = args.flags.get('output')?.[0];
    if (graph.outputs.length > 1) {
      const ys = await forwardAll(
        backend,
        graph,
        tensorsToLoad(w.plan, w.sources),
        x,
        true,
        threads,
      );
      return writeOutputs(io, namedOutputs(graph), ys, output);
    }
    const y = await forward(backend, graph, tensorsToLoad(w.plan, w.sources), x, threads);
    if (output === undefined) {
      io.out(formatValues(y));
      return 0;
    }
    writeFileAtomic(
      path.resolve(io.cwd, output),
      encodeNpy(y.shape, y.data),
      (m) => new WeightsError(m),
    );
    io.out(`${output}: float32 [${y.shape.join(', ')}]\n`);
    return 0;
  });
}
