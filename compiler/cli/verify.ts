/**
 * `cnnc verify FILE`: checks that a TensorFlow.js backend and the reference executor agree on each
 * model of the file — same weights, same seeded inputs, and the outputs, loss and every gradient
 * within a relative error (runtime/verify.ts). `--input HxWxC` checks a model at another input size
 * (a derived model `input HxWxC`), e.g. a stdlib network at a small size.
 */
import * as os from 'node:os';
import * as path from 'node:path';
import { hasErrors } from '../diagnostics/diagnostic.js';
import type { Graph } from '../ir/graph.js';
import { checkBackendMemory } from '../report/backend-memory.js';
import { compileFile, type Host } from '../program.js';
import { ENGINE_BACKENDS, openEngine, type EngineBackend } from '../../runtime/engines.js';
import { verifyEngines, type VerifyReport } from '../../runtime/verify.js';
import { parseArgs, parsePositiveInt, UsageError } from './args.js';
import { allowedImports, IMPORT_FLAGS, IMPORT_HELP_LINE, printDiagnostics } from './common.js';
import { resolveSettings } from '../train/settings.js';
import { resolveInput } from './host.js';
import type { ExitCode, Io } from './io.js';
import { loadWeightsArg } from './load-weights.js';
import { runGuarded } from './train-session.js';
import { seededDetectionLoss } from '../../runtime/detection/yolo.js';
import { yoloHeadsOf } from '../ir/yolo-heads.js';

export const VERIFY_HELP = `usage: cnnc verify FILE [options]

Runs each model of FILE on a TensorFlow.js backend and on cnnc's reference executor with the same
weights and seeded random inputs, and compares the outputs, the loss and the gradient of every
trainable weight. A detector (a model ending in a yolo head) is checked on the yolo loss of its
train block against seeded boxes. Exits 1 when a relative error (max |a − b| / max |b|) exceeds the tolerance.

Where a ReLU's input lies within float32 rounding of 0 (1e-4 of the layer's largest input), the
two backends may round it to different sides and so differentiate different pieces of the
network; there the reference takes the TensorFlow.js side for the derivative, and the report says
how many derivatives that changed.

options:
  --model NAME        check only this model
  --backend B         the TensorFlow.js backend to check: wasm (default), cpu or tensorflow
  --input HxWxC       check the models at this input size (a derived model with \`input HxWxC\`)
  --batch N           samples per check (default 2)
  --seed N            seed of the weights and inputs (default 1)
  --weights DIR|FILE  compare at these weights instead of seeded ones: a checkpoint folder, or a
                      .safetensors file (cnnc's names) or TensorFlow.js model.json
  --tolerance X       largest relative error accepted (default 1e-4)
  --mode M            gradients in \`train\` mode (batch statistics; the default unless the model
                      has dropout, whose random draws differ between backends) or \`eval\` mode
                      (running statistics, no dropout)
  --json              print one JSON object per model
  ${IMPORT_HELP_LINE}`;

const DIMS = /^\d+(x\d+)*$/;

/**
 * A detector (a model ending in a yolo head) is checked on its own loss: the yolo loss with the
 * train block's weights against seeded boxes (runtime/detection/yolo.ts); null for a classifier.
 */
function detectionLoss(graph: Graph, batch: number, seed: number) {
  const heads = yoloHeadsOf(graph);
  if (!heads) return undefined;
  const { lambdaCoord, lambdaNoobj } = resolveSettings(graph).settings.detection;
  return seededDetectionLoss(heads, batch, seed, { lambdaCoord, lambdaNoobj });
}

/** A host that also serves one in-memory file (the derived models of --input). */
function withVirtualFile(host: Host, file: string, text: string): Host {
  return {
    ...host,
    readFile: (p) => (p === file ? text : host.readFile(p)),
    inspect: (p) => (p === file ? { canonical: p, kind: 'file' } : host.inspect(p)),
    projectRoot: (p) => host.projectRoot(p),
    stdlibModules: () => host.stdlibModules(),
    displayPath: (p) => host.displayPath(p),
  };
}

export function runVerify(argv: readonly string[], io: Io): Promise<ExitCode> {
  return runGuarded(io, () => verify(argv, io));
}

async function verify(argv: readonly string[], io: Io): Promise<ExitCode> {
  const args = parseArgs(argv, {
    model: { value: true },
    backend: { value: true },
    input: { value: true },
    batch: { value: true },
    seed: { value: true },
    tolerance: { value: true },
    json: { value: false },
    mode: { value: true },
    ...IMPORT_FLAGS,
    weights: { value: true },
  });
  const mode = args.flags.get('mode')?.[0];
  if (mode !== undefined && mode !== 'train' && mode !== 'eval')
    throw new UsageError(`--mode must be train or eval; got ${JSON.stringify(mode)}`);
  if (args.positional.length !== 1) throw new UsageError('expected exactly one .cnn file');
  const backendName = args.flags.get('backend')?.[0] ?? 'wasm';
  const backend = ENGINE_BACKENDS.find((b) => b === backendName && b !== 'reference');
  if (!backend)
    throw new UsageError(
      `--backend must be wasm, cpu or tensorflow; got ${JSON.stringify(backendName)}`,
    );
  const batch = parsePositiveInt('batch', args.flags.get('batch')?.[0] ?? '2');
  const seed = Number(args.flags.get('seed')?.[0] ?? '1');
  if (!Number.isInteger(seed)) throw new UsageError('--seed must be an integer');
  const tolerance = Number(args.flags.get('tolerance')?.[0] ?? '1e-4');
  if (!(tolerance > 0)) throw new UsageError('--tolerance must be a positive number');
  const input = args.flags.get('input')?.[0];
  if (input !== undefined && !DIMS.test(input))
    throw new UsageError(`--input must look like 64x64x3; got ${JSON.stringify(input)}`);
  const json = args.flags.has('json');

  const file = resolveInput(args.positional[0], io.host, io.cwd);
  const only = args.flags.get('model')?.[0];
  const imports = allowedImports(args, io);
  const first = compileFile(file, io.host, { model: only, ...imports });
  printDiagnostics(io, first.diagnostics, first.sources);
  if (hasErrors(first.diagnostics)) return 1;
  if (first.models.length === 0) throw new UsageError('the file defines no model');
  let graphs: Graph[] = first.models.map((m) => m.graph);
  if (input !== undefined) {
    const names = graphs.map((g) => g.model);
    const real = io.host.inspect(file)?.canonical ?? file;
    const virtual = path.join(path.dirname(real), `.cnnc-verify-${path.basename(real)}`);
    const text =
      `import "./${path.basename(real)}"\n` +
      names
        .map((n) => `model ${n}_${input.replace(/x/g, '_')} = ${n} { input ${input} }\n`)
        .join('');
    const derived = compileFile(virtual, withVirtualFile(io.host, virtual, text), imports);
    printDiagnostics(io, derived.diagnostics, derived.sources);
    if (hasErrors(derived.diagnostics)) return 1;
    graphs = derived.models.map((m) => m.graph);
  }

  const weights = args.flags.get('weights')?.[0];
  if (weights !== undefined && graphs.length > 1)
    throw new UsageError(
      `--weights fits one model, but the file defines ${graphs.length}: choose one with --model`,
    );
  let failed = 0;
  for (const graph of graphs) {
    const out = graph.nodes[graph.outputs[0]]?.shape ?? [];
    const last = out[out.length - 1];
    const classes = typeof last === 'number' && last > 1 ? last : 2;
    const loss = typeof last === 'number' && last === 1 ? 'binary' : 'categorical';
    // Several outputs: each with the loss and weight of the train block (or categorical, 1).
    const outputLosses = resolveSettings(graph).settings.outputLosses;
    const opts = {
      loss,
      seed,
      clipNorm: null,
      ...(outputLosses.length ? { outputLosses } : {}),
    } as const;
    const need = { batch, training: mode === 'train' };
    for (const b of [backend, 'reference']) {
      const memory = checkBackendMemory(graph, b, need, os.totalmem());
      if (memory) {
        printDiagnostics(io, [memory], first.sources);
        return 1;
      }
    }
    const tfjs = await openEngine(backend, graph, opts);
    printDiagnostics(io, tfjs.diagnostics, first.sources);
    if (!tfjs.engine) return 1;
    const ref = await openEngine('reference', graph, opts);
    if (weights !== undefined) loadWeightsArg({ engine: ref.engine!, graph }, weights, io);
    const hasDropout = graph.nodes.some((n) => n.op === 'dropout');
    if (mode === 'train' && hasDropout)
      throw new UsageError(
        `${graph.model} has dropout, whose random draws differ between backends: use --mode eval`,
      );
    const training = mode === undefined ? !hasDropout : mode === 'train';
    const symbolic = tfjs.engine.inputShape.some((d) => d < 0);
    if (symbolic)
      throw new UsageError(`${graph.model} has a symbolic input size; give one with --input HxWxC`);
    let report: VerifyReport;
    try {
      report = await verifyEngines(tfjs.engine, ref.engine!, {
        batch,
        seed,
        tolerance,
        classes,
        training,
        outputLoss: detectionLoss(graph, batch, seed),
      });
    } finally {
      tfjs.engine.dispose();
      ref.engine?.dispose();
    }
    if (!report.ok) failed++;
    const hint =
      !report.ok && training && graph.nodes.some((n) => n.op === 'batch_norm')
        ? '  note: in train mode batch norm normalises with batch statistics, which amplify ' +
          'float32 rounding over small maps (ResNet-50 at 64x64, batch 2: 6e-4)\n' +
          '  help: --mode eval compares the same network with its running statistics; a larger ' +
          '--input or --batch also helps\n'
        : '';
    if (json) {
      io.out(
        `${JSON.stringify({ model: graph.model, backend: tfjs.detail, tolerance, ...report })}\n`,
      );
      continue;
    }
    const e = (x: number) => x.toExponential(1);
    const worstGrad = report.grads[0];
    io.out(
      `${report.ok ? 'ok  ' : 'FAIL'} ${graph.model} · ${tfjs.detail} vs ${ref.detail} · ` +
        `output ${e(report.output.error)} · loss ${e(report.loss.error)} · ` +
        (worstGrad
          ? `${report.grads.length} gradients, worst ${e(worstGrad.error)} (${worstGrad.name})`
          : 'no trainable weights') +
        (report.branchesTaken > 0
          ? ` · ${report.branchesTaken} ReLU derivative${report.branchesTaken === 1 ? '' : 's'} at a kink ` +
            `took ${backend}'s side`
          : '') +
        (training
          ? ''
          : hasDropout && mode === undefined
            ? ' · gradients in eval mode (the model has dropout)'
            : ' · gradients in eval mode') +
        '\n' +
        hint,
    );
  }
  if (!json)
    io.out(
      failed
        ? `${failed} of ${graphs.length} models differ by more than ${tolerance}\n`
        : `${graphs.length} model${graphs.length === 1 ? '' : 's'} agree within ${tolerance}\n`,
    );
  return failed ? 1 : 0;
}
