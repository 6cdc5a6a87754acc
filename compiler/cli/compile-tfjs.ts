/**
 * `cnnc compile FILE --emit tfjs -o DIR [--model NAME] [--force]`: a TensorFlow.js project
 * (compiler/codegen/tfjs), laid out by prettier and written by the output-folder rules of
 * emit-folder.ts.
 */
import * as path from 'node:path';
import { hasErrors } from '../diagnostics/diagnostic.js';
import { compileFile } from '../program.js';
import { formatProject } from '../codegen/tfjs/format.js';
import { emitTfjsProject } from '../codegen/tfjs/project.js';
import { irHash, sha256 } from '../../runtime/train/checkpoint.js';
import { parseArgs, UsageError } from './args.js';
import { BUDGET_FLAGS, compileOptions, exitCodeFor, printDiagnostics } from './common.js';
import { showPath } from './compile.js';
import { EmitFolderError, writeEmittedFolder } from './emit-folder.js';
import { resolveInput } from './host.js';
import type { ExitCode, Io } from './io.js';

export async function runTfjs(argv: readonly string[], io: Io): Promise<ExitCode> {
  const args = parseArgs(argv, {
    ...BUDGET_FLAGS,
    emit: { value: true },
    o: { value: true },
    out: { value: true },
    names: { value: true },
    force: { value: false },
  });
  if (args.positional.length !== 1)
    throw new UsageError('cnnc compile takes exactly one .cnn file');
  if (args.flags.has('names')) throw new UsageError('--names goes with --emit pytorch');
  const out = args.flags.get('o')?.[0] ?? args.flags.get('out')?.[0];
  if (!out) throw new UsageError('--emit tfjs needs an output folder: -o DIR');
  const entry = resolveInput(args.positional[0], io.host, io.cwd);
  const result = compileFile(entry, io.host, { ...compileOptions(args), verifyEach: true });
  printDiagnostics(io, result.diagnostics, result.sources);
  if (hasErrors(result.diagnostics)) return exitCodeFor(result.diagnostics);
  if (result.models.length === 0) throw new UsageError('the file defines no model');
  const project = emitTfjsProject(
    result.models.map((m) => ({
      graph: m.graph,
      env: m.env,
      irHash: irHash(m.graph),
      sourceHash: sha256(result.sources.get(m.graph.file) ?? ''),
    })),
    {
      sources: result.sources,
      showPath: showPath(result, entry, io),
      entry: path.basename(entry),
      // train.ts opens a train block's weights file (relative to the .cnn file) from its folder.
      trainWeights: (file) =>
        path
          .relative(path.resolve(io.cwd, out), path.resolve(path.dirname(entry), file))
          .split(path.sep)
          .join('/'),
    },
  );
  printDiagnostics(io, project.diagnostics, result.sources);
  if (hasErrors(project.diagnostics)) return exitCodeFor(project.diagnostics);
  const files = await formatProject(project.files);
  try {
    const written = writeEmittedFolder(path.resolve(io.cwd, out), files, {
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
