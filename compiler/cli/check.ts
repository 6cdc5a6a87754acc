/** `cnnc check FILES... [--format F] [--strict] [--max-params 30M ...]` */
import { OUTPUT_FORMATS, renderDiagnostics, type OutputFormat } from '../diagnostics/index.js';
import type { Diagnostic } from '../diagnostics/diagnostic.js';
import { sortDiagnostics } from '../diagnostics/diagnostic.js';
import { compileFile } from '../program.js';
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

export const CHECK_HELP = `usage: cnnc check FILES... [options]

Checks shapes, parameters, MACs, memory and budgets of every model in the files.

options:
  --format F           pretty (default), short, json, sarif or github
  --strict             treat warnings as errors (a warning hidden by a reasoned
                       \`// cnnc-ignore CODE: reason\` is not counted; see docs/language.md)
  --list-suppressions  list the file's cnnc-ignore comments, what each hid and why
  --model NAME         check only this model
  --max-params N       parameter budget, e.g. 30M
  --max-trainable N    trainable-parameter budget
  --max-macs N         MAC budget, e.g. 5G
  --max-memory N       training-memory budget at --batch, e.g. 2GiB
  --max-activations N  forward activation memory per sample
  --batch N            batch size for training memory (default: the train block's, else 1)
  --optimizer O        sgd, momentum (default), adam or rmsprop, for optimizer state
  ${IMPORT_HELP_LINE}

exit status: 0 no errors, 1 errors (or warnings with --strict), 2 usage or internal error`;

export function runCheck(argv: readonly string[], io: Io): ExitCode {
  const args = parseArgs(argv, {
    ...BUDGET_FLAGS,
    ...IMPORT_FLAGS,
    format: { value: true },
    strict: { value: false },
    'list-suppressions': { value: false },
  });
  if (args.positional.length === 0) throw new UsageError('cnnc check needs at least one .cnn file');
  const format = (args.flags.get('format')?.[0] ?? 'pretty') as OutputFormat;
  if (!OUTPUT_FORMATS.includes(format)) {
    throw new UsageError(
      `--format must be one of ${OUTPUT_FORMATS.join(', ')}; got ${JSON.stringify(format)}`,
    );
  }
  const options = { ...compileOptions(args), ...allowedImports(args, io) };
  const all: Diagnostic[] = [];
  const sources = new Map<string, string>();
  let models = 0;
  const suppressions: string[] = [];
  for (const file of args.positional) {
    const result = compileFile(resolveInput(file, io.host, io.cwd), io.host, options);
    for (const d of result.diagnostics) all.push(d);
    for (const s of result.suppressions ?? []) {
      const hid = `hid ${s.hidden} diagnostic${s.hidden === 1 ? '' : 's'}`;
      suppressions.push(`${s.span.file}:${s.line}: ${s.codes.join(', ')} (${hid}): ${s.reason}\n`);
    }
    for (const [p, t] of result.sources) sources.set(p, t);
    models += result.models.length;
  }
  const strict = args.flags.has('strict');
  const diagnostics = sortDiagnostics(
    strict
      ? all.map((d) => (d.severity === 'warning' ? { ...d, severity: 'error' as const } : d))
      : all,
  );
  if (format === 'pretty' || format === 'short') {
    printDiagnostics(io, diagnostics, sources, format, 'out');
    if (diagnostics.length === 0) {
      io.out(
        `ok: ${args.positional.length} file${args.positional.length === 1 ? '' : 's'}, ${models} model${models === 1 ? '' : 's'} checked, no problems\n`,
      );
    }
  } else {
    // Machine formats print a document even when there is nothing to report.
    io.out(renderDiagnostics(format, diagnostics, sourceMap(sources), { color: false }));
  }
  if (args.flags.has('list-suppressions')) {
    if (suppressions.length === 0) io.out('no suppressions\n');
    for (const line of suppressions) io.out(line);
  }
  return exitCodeFor(diagnostics, strict);
}
