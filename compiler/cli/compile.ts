/**
 * `cnnc compile FILE --emit ir [-o out.json] [--model NAME]`
 * `cnnc compile FILE --emit pytorch -o DIR [--model NAME] [--names cnnc|torchvision] [--force]`
 * `cnnc compile FILE --emit tfjs -o DIR [--model NAME] [--force]` (compile-tfjs.ts; asynchronous,
 * since prettier lays out the TypeScript)
 * `cnnc compile FILE --emit onnx -o model.onnx [--weights W [--map torchvision]] [--layout L]`
 * (compile-onnx.ts)
 */
import * as path from 'node:path';
import { hasErrors } from '../diagnostics/diagnostic.js';
import { irToJson } from '../ir/json.js';
import { compileFile, type CompileResult } from '../program.js';
import { emitPytorchProject } from '../codegen/pytorch/project.js';
import type { NameStyle } from '../codegen/pytorch/model-py.js';
import { irHash, sha256 } from '../../runtime/train/checkpoint.js';
import { parseArgs, UsageError, type ParsedArgs } from './args.js';
import {
  allowedImports,
  BUDGET_FLAGS,
  compileOptions,
  compileSingle,
  exitCodeFor,
  IMPORT_FLAGS,
  IMPORT_HELP_LINE,
  printDiagnostics,
} from './common.js';
import { runOnnx } from './compile-onnx.js';
import { EmitFolderError, writeEmittedFolder } from './emit-folder.js';
import { resolveInput } from './host.js';
import type { ExitCode, Io } from './io.js';

export const COMPILE_HELP = `usage: cnnc compile FILE --emit ir [-o OUT] [--model NAME]
       cnnc compile FILE --emit pytorch -o DIR [--model NAME] [--names cnnc|torchvision] [--force]
       cnnc compile FILE --emit tfjs -o DIR [--model NAME] [--force]
       cnnc compile FILE --emit onnx -o model.onnx [--weights W [--map torchvision]]
                    [--layout nchw|nhwc] [--external-data] [--model NAME]

Compiles a model to the typed graph IR (JSON, documented by docs/ir.schema.json), to a PyTorch
project (model.py with one nn.Module per model, cnnc_io.py for weights, README.md), or to a
TensorFlow.js project (model.ts with tfjs-layers, train.ts, weights.ts, package.json, README.md),
or to an ONNX inference model (opset 13, NCHW by default, dynamic batch); see docs/codegen.md.

options:
  --emit ir|pytorch|tfjs|onnx  what to emit (default ir)
  -o, --out PATH     ir: write to PATH (atomically) instead of standard output;
                     pytorch, tfjs: the folder to write (required); onnx: the file (required)
  --weights W        onnx: the weights, as cnnc run reads them (a checkpoint folder, a TensorFlow.js
                     model.json or a .safetensors file); default: the seeded initial values
  --map M            onnx: none (default) or torchvision (a torchvision state dict)
  --allow-partial    onnx: weights the file lacks or misshapes keep their initial values
  --layout L         onnx: the input's layout, nchw (default; weights permuted) or nhwc (a
                     Transpose after the input and before spatial outputs)
  --external-data    onnx: the weights go to model.onnx.data beside the model (ONNX external
                     data, as models over 2 GiB need)
  --model NAME       the model to compile when the file defines several (pytorch, tfjs: default all)
  --names N          pytorch: state_dict keys after cnnc's layer names (cnnc, the default) or
                     torchvision's (torchvision; stdlib ResNets, VGGs, AlexNet, MobileNetV2)
  --force            pytorch, tfjs: write into a folder that holds files cnnc did not write (they
                     are left alone; only cnnc's files are replaced)
  ${IMPORT_HELP_LINE}`;

const EMITS = ['ir', 'pytorch', 'tfjs', 'onnx'] as const;
const NAMES: readonly NameStyle[] = ['cnnc', 'torchvision'];

const COMPILE_FLAGS = {
  ...BUDGET_FLAGS,
  ...IMPORT_FLAGS,
  emit: { value: true },
  o: { value: true },
  out: { value: true },
  names: { value: true },
  force: { value: false },
  // --emit onnx (compile-onnx.ts)
  weights: { value: true },
  map: { value: true },
  'allow-partial': { value: false },
  layout: { value: true },
  'external-data': { value: false },
};

/** `cnnc compile` through mainAsync: --emit tfjs formats with prettier, which is asynchronous. */
export async function runCompileAsync(argv: readonly string[], io: Io): Promise<ExitCode> {
  if (parseArgs(argv, COMPILE_FLAGS).flags.get('emit')?.[0] !== 'tfjs') return runCompile(argv, io);
  const { runTfjs } = await import('./compile-tfjs.js');
  return runTfjs(argv, io);
}

export function runCompile(argv: readonly string[], io: Io): ExitCode {
  const args = parseArgs(argv, COMPILE_FLAGS);
  if (args.positional.length !== 1)
    throw new UsageError('cnnc compile takes exactly one .cnn file');
  const emit = args.flags.get('emit')?.[0] ?? 'ir';
  if (!(EMITS as readonly string[]).includes(emit))
    throw new UsageError(`--emit must be ir, pytorch, tfjs or onnx; got ${JSON.stringify(emit)}`);
  if (emit === 'tfjs') throw new UsageError('--emit tfjs runs asynchronously: call mainAsync');
  if (emit === 'onnx') return runOnnx(argv, io);
  for (const flag of ['weights', 'map', 'allow-partial', 'layout', 'external-data'])
    if (args.flags.has(flag)) throw new UsageError(`--${flag} goes with --emit onnx`);
  const out = args.flags.get('o')?.[0] ?? args.flags.get('out')?.[0];
  if (emit === 'pytorch') return runPytorch(args, io, out);
  for (const flag of ['names', 'force'])
    if (args.flags.has(flag)) throw new UsageError(`--${flag} goes with --emit pytorch`);
  const compiled = compileSingle(args.positional[0], args, io, { verifyEach: true });
  if (typeof compiled === 'number') return compiled;
  const text = `${JSON.stringify(irToJson(compiled.model.graph), null, 2)}\n`;
  if (out) {
    io.writeFile(path.resolve(io.cwd, out), text);
    io.err(`wrote ${out}\n`);
  } else io.out(text);
  return 0;
}

/** How comments in the project show a source file: stdlib/… as is, others from the entry's folder. */
export function showPath(result: CompileResult, entryAbs: string, io: Io) {
  return (display: string): string => {
    if (display.startsWith('stdlib/')) return display;
    const abs = path.resolve(io.cwd, display);
    return path.relative(path.dirname(entryAbs), abs).split(path.sep).join('/') || display;
  };
}

function runPytorch(args: ParsedArgs, io: Io, out: string | undefined): ExitCode {
  if (!out) throw new UsageError('--emit pytorch needs an output folder: -o DIR');
  const names = args.flags.get('names')?.[0] ?? 'cnnc';
  if (!(NAMES as readonly string[]).includes(names))
    throw new UsageError(`--names must be cnnc or torchvision; got ${JSON.stringify(names)}`);
  const entry = resolveInput(args.positional[0], io.host, io.cwd);
  const result = compileFile(entry, io.host, {
    ...compileOptions(args),
    ...allowedImports(args, io),
    verifyEach: true,
  });
  printDiagnostics(io, result.diagnostics, result.sources);
  if (hasErrors(result.diagnostics)) return exitCodeFor(result.diagnostics);
  if (result.models.length === 0) throw new UsageError('the file defines no model');
  const project = emitPytorchProject(
    result.models.map((m) => ({
      graph: m.graph,
      env: m.env,
      irHash: irHash(m.graph),
      sourceHash: sha256(result.sources.get(m.graph.file) ?? ''),
    })),
    {
      names: names as NameStyle,
      sources: result.sources,
      showPath: showPath(result, entry, io),
      entry: path.basename(entry),
      // train.py opens a train block's weights file (relative to the .cnn file) from its folder.
      trainWeights: (file) =>
        path
          .relative(path.resolve(io.cwd, out), path.resolve(path.dirname(entry), file))
          .split(path.sep)
          .join('/'),
    },
  );
  printDiagnostics(io, project.diagnostics, result.sources);
  if (hasErrors(project.diagnostics)) return exitCodeFor(project.diagnostics);
  try {
    const written = writeEmittedFolder(path.resolve(io.cwd, out), project.files, {
      force: args.flags.has('force'),
      shown: out,
    });
    io.err(`wrote ${written.join(', ')} to ${out}\n`);
  } catch (e) {
    if (!(e instanceof EmitFolderError)) throw e;
    io.err(`cnnc: error: ${e.message}\n`);
    return 1;
  }
  return exitCodeFor([...result.diagnostics, ...project.diagnostics]);
}
