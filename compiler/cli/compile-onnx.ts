/**
 * `cnnc compile FILE --emit onnx -o model.onnx [--weights W [--map torchvision] [--allow-partial]]
 * [--layout nchw|nhwc] [--external-data] [--model NAME]`: one model as an ONNX inference model
 * (compiler/codegen/onnx). The weights are read as `cnnc run` reads them (runtime/weights/load.ts:
 * a checkpoint folder, a TensorFlow.js model.json or a .safetensors file, torchvision's names with
 * --map torchvision); without --weights, the model's seeded initial values (the train block's seed
 * and init), with a note. --external-data stores the weights beside the model in `model.onnx.data`
 * (ONNX external data: what a model over protobuf's 2 GiB needs). Files are written atomically,
 * and not at all on an error.
 */
import * as path from 'node:path';
import { hasErrors } from '../diagnostics/diagnostic.js';
import { exportOnnx, ONNX_LAYOUTS, type OnnxLayout } from '../codegen/onnx/index.js';
import { resolveSettings } from '../train/settings.js';
import { initialValue } from '../../runtime/init.js';
import { writeFileAtomic } from '../../runtime/safe-write.js';
import { prepareWeights } from '../../runtime/weights/load.js';
import { planProblems, tensorsToLoad } from '../../runtime/weights/plan.js';
import { WeightsError, type NamedTensor } from '../../runtime/weights/tensor.js';
import type { Graph } from '../ir/graph.js';
import { parseArgs, UsageError } from './args.js';
import {
  BUDGET_FLAGS,
  compileSingle,
  exitCodeFor,
  IMPORT_FLAGS,
  printDiagnostics,
} from './common.js';
import type { ExitCode, Io } from './io.js';
import { renderPlan, weightMapFlag, weightsGuard } from './weights.js';

/** Every weight of the graph at its seeded initial value (what training starts from). */
function initialWeights(
  graph: Graph,
  seed: number,
  init: Parameters<typeof initialValue>[3],
): NamedTensor[] {
  return graph.nodes.flatMap((n) =>
    (n.weights ?? []).map((w) => ({
      name: `${n.name}/${w.name}`,
      shape: w.shape,
      data: initialValue(n, w, seed, init),
    })),
  );
}

export function runOnnx(argv: readonly string[], io: Io): ExitCode {
  return weightsGuard(io, (): ExitCode => {
    const args = parseArgs(argv, {
      ...BUDGET_FLAGS,
      ...IMPORT_FLAGS,
      emit: { value: true },
      o: { value: true },
      out: { value: true },
      weights: { value: true },
      map: { value: true },
      'allow-partial': { value: false },
      layout: { value: true },
      'external-data': { value: false },
    });
    if (args.positional.length !== 1)
      throw new UsageError('cnnc compile takes exactly one .cnn file');
    const out = args.flags.get('o')?.[0] ?? args.flags.get('out')?.[0];
    if (!out) throw new UsageError('--emit onnx needs an output file: -o model.onnx');
    const layoutName = args.flags.get('layout')?.[0] ?? 'nchw';
    const layout = ONNX_LAYOUTS.find((l) => l === layoutName);
    if (!layout)
      throw new UsageError(`--layout must be nchw or nhwc; got ${JSON.stringify(layoutName)}`);
    const weightsArg = args.flags.get('weights')?.[0];
    if (!weightsArg && (args.flags.has('map') || args.flags.has('allow-partial')))
      throw new UsageError('--map and --allow-partial go with --weights');
    const compiled = compileSingle(args.positional[0], args, io, { verifyEach: true });
    if (typeof compiled === 'number') return compiled;
    const graph = compiled.model.graph;
    const settings = resolveSettings(graph).settings;
    let weights = initialWeights(graph, settings.seed, settings.init);
    if (weightsArg) {
      const w = prepareWeights(graph, path.resolve(io.cwd, weightsArg), weightMapFlag(args));
      const problems = planProblems(w.plan, {
        allowPartial: args.flags.has('allow-partial'),
        requireAll: true,
      });
      if (problems.length) {
        io.err(renderPlan(graph, w, io.cwd));
        for (const p of problems) io.err(`cnnc: error: ${p}\n`);
        return 1;
      }
      const loaded = new Map(tensorsToLoad(w.plan, w.sources).map((t) => [t.name, t]));
      const kept = weights.filter((t) => !loaded.has(t.name)).length;
      if (kept)
        io.err(
          `cnnc: warning: ${kept} weights keep their initial values (see cnnc weights plan)\n`,
        );
      weights = weights.map((t) => loaded.get(t.name) ?? t);
    } else {
      io.err(
        `cnnc: note: no --weights: ${graph.model}'s weights are its seeded initial values ` +
          `(seed ${settings.seed}, init ${settings.init})\n`,
      );
    }
    const target = path.resolve(io.cwd, out);
    const externalData = args.flags.has('external-data')
      ? `${path.basename(target)}.data`
      : undefined;
    const result = exportOnnx(graph, weights, { layout: layout as OnnxLayout, externalData });
    printDiagnostics(io, result.diagnostics, compiled.sources);
    if (!result.bytes || hasErrors(result.diagnostics)) return exitCodeFor(result.diagnostics);
    const fail = (m: string) => new WeightsError(m);
    if (externalData !== undefined) {
      // The weights first, so that the model is never on disk without them.
      const data = new Uint8Array(result.external.reduce((a, c) => a + c.length, 0));
      for (const c of result.external) data.set(c.bytes(), c.offset);
      writeFileAtomic(path.join(path.dirname(target), externalData), data, fail);
      io.err(`wrote ${out}.data (${graph.model}'s weights, ${data.length} bytes)\n`);
    }
    writeFileAtomic(target, result.bytes, fail);
    io.err(
      `wrote ${out} (${graph.model}, ONNX opset 13, ${layout}, ${result.bytes.length} bytes)\n`,
    );
    return exitCodeFor(result.diagnostics);
  });
}
