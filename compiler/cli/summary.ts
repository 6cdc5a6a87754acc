/** `cnnc summary FILE [--model NAME] [--json] [--explain] [--batch N]` */
import { hasErrors } from '../diagnostics/diagnostic.js';
import { compileFile, type CompiledModel } from '../program.js';
import { summaryJson, summaryTable } from '../report/summary.js';
import { parseArgs, UsageError } from './args.js';
import {
  allowedImports,
  BUDGET_FLAGS,
  compileOptions,
  IMPORT_FLAGS,
  IMPORT_HELP_LINE,
  exitCodeFor,
  printDiagnostics,
  sourceMap,
} from './common.js';
import { resolveInput } from './host.js';
import type { ExitCode, Io } from './io.js';

export const SUMMARY_HELP = `usage: cnnc summary FILE [options]

Prints each model's layers with output shape, parameters, share of parameters, MACs, receptive
field and frozen mark, then totals, buffers and memory.

options:
  --model NAME   summarise only this model (required with --json when the file has several)
  --json         print exactly one JSON object
  --explain      show the arithmetic behind every output size
  --batch N      batch size for the training-memory estimate (default 1)
  --optimizer O  sgd, momentum (default), adam or rmsprop, for optimizer state
  ${IMPORT_HELP_LINE}`;

export function runSummary(argv: readonly string[], io: Io): ExitCode {
  const args = parseArgs(argv, {
    ...BUDGET_FLAGS,
    ...IMPORT_FLAGS,
    json: { value: false },
    explain: { value: false },
  });
  if (args.positional.length !== 1)
    throw new UsageError('cnnc summary takes exactly one .cnn file');
  const json = args.flags.has('json');
  const result = compileFile(resolveInput(args.positional[0], io.host, io.cwd), io.host, {
    ...compileOptions(args, { explain: args.flags.has('explain') }),
    ...allowedImports(args, io),
  });
  printDiagnostics(io, result.diagnostics, result.sources);
  const code = exitCodeFor(result.diagnostics);
  if (hasErrors(result.diagnostics)) return code;
  const models = result.models.filter(
    (m): m is CompiledModel & { summary: NonNullable<CompiledModel['summary']> } =>
      m.summary !== null,
  );
  if (models.length === 0)
    throw new UsageError('the file defines no model (use --model to pick an imported one)');
  const sources = sourceMap(result.sources);
  if (json) {
    if (models.length > 1) {
      throw new UsageError(
        `the file defines ${models.length} models (${models.map((m) => m.graph.model).join(', ')}); choose one with --model`,
      );
    }
    io.out(`${JSON.stringify(summaryJson(models[0], sources), null, 2)}\n`);
    return code;
  }
  io.out(
    models.map((m) => summaryTable(m, sources, { explain: args.flags.has('explain') })).join('\n'),
  );
  return code;
}
