/** `cnnc compile FILE --emit ir [-o out.json] [--model NAME]` */
import * as path from 'node:path';
import { hasErrors } from '../diagnostics/diagnostic.js';
import { irToJson } from '../ir/json.js';
import { compileFile } from '../program.js';
import { parseArgs, UsageError } from './args.js';
import {
  allowedImports,
  BUDGET_FLAGS,
  compileOptions,
  exitCodeFor,
  IMPORT_FLAGS,
  IMPORT_HELP_LINE,
  printDiagnostics,
} from './common.js';
import { resolveInput } from './host.js';
import type { ExitCode, Io } from './io.js';

export const COMPILE_HELP = `usage: cnnc compile FILE --emit ir [-o OUT] [--model NAME]

Compiles a model to the typed graph IR (JSON, documented by docs/ir.schema.json).

options:
  --emit ir       what to emit (ir)
  -o, --out FILE  write to FILE (atomically) instead of standard output
  --model NAME    the model to compile when the file defines several
  ${IMPORT_HELP_LINE}`;

export function runCompile(argv: readonly string[], io: Io): ExitCode {
  const args = parseArgs(argv, {
    ...BUDGET_FLAGS,
    ...IMPORT_FLAGS,
    emit: { value: true },
    o: { value: true },
    out: { value: true },
  });
  if (args.positional.length !== 1)
    throw new UsageError('cnnc compile takes exactly one .cnn file');
  const emit = args.flags.get('emit')?.[0] ?? 'ir';
  if (emit !== 'ir') throw new UsageError(`--emit must be ir; got ${JSON.stringify(emit)}`);
  const out = args.flags.get('o')?.[0] ?? args.flags.get('out')?.[0];
  const result = compileFile(resolveInput(args.positional[0], io.host, io.cwd), io.host, {
    ...compileOptions(args),
    ...allowedImports(args, io),
    verifyEach: true,
  });
  printDiagnostics(io, result.diagnostics, result.sources);
  const code = exitCodeFor(result.diagnostics);
  if (hasErrors(result.diagnostics)) return code;
  if (result.models.length !== 1) {
    throw new UsageError(
      result.models.length === 0
        ? 'the file defines no model'
        : `the file defines ${result.models.length} models (${result.models.map((m) => m.graph.model).join(', ')}); choose one with --model`,
    );
  }
  const text = `${JSON.stringify(irToJson(result.models[0].graph), null, 2)}\n`;
  if (out) {
    io.writeFile(path.resolve(io.cwd, out), text);
    io.err(`wrote ${out}\n`);
  } else io.out(text);
  return code;
}
