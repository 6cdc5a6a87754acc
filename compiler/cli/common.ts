/** Pieces shared by the commands: compile options from flags, diagnostic output, exit codes. */
import * as path from 'node:path';
import type { Diagnostic } from '../diagnostics/diagnostic.js';
import { hasErrors } from '../diagnostics/diagnostic.js';
import {
  renderDiagnostics,
  renderSummaryLine,
  shouldColor,
  sourceMapOf,
  type OutputFormat,
} from '../diagnostics/index.js';
import { SourceFile } from '../diagnostics/source-file.js';
import type { BudgetMetric } from '../ir/graph.js';
import { compileFile, type CompiledModel, type CompileOptions } from '../program.js';
import {
  parsePositiveInt,
  parseQuantity,
  UsageError,
  type FlagSpec,
  type ParsedArgs,
} from './args.js';
import { resolveInput } from './host.js';
import type { ExitCode, Io } from './io.js';

export const BUDGET_FLAGS: Record<string, FlagSpec> = {
  'max-params': { value: true },
  'max-trainable': { value: true },
  'max-macs': { value: true },
  'max-memory': { value: true },
  'max-activations': { value: true },
  batch: { value: true },
  optimizer: { value: true },
  model: { value: true },
};

/** The flag of every command that compiles a .cnn file (docs/security.md). */
export const IMPORT_FLAGS: Record<string, FlagSpec> = {
  'allow-import-outside': { value: true, repeatable: true },
};

/** The help line of IMPORT_FLAGS, for each command's --help. */
export const IMPORT_HELP_LINE =
  '--allow-import-outside DIR  also allow imports of .cnn files in DIR (repeatable; see docs/security.md)';

/**
 * The folders `--allow-import-outside` names (CompileOptions.importRoots), resolved against the
 * working folder; each must be an existing folder.
 */
export function allowedImports(args: ParsedArgs, io: Io): { importRoots: string[] } {
  const importRoots = (args.flags.get('allow-import-outside') ?? []).map((dir) => {
    const abs = path.resolve(io.cwd, dir);
    if (io.host.inspect(abs)?.kind !== 'directory')
      throw new UsageError(`--allow-import-outside ${dir}: not a folder`);
    return abs;
  });
  return { importRoots };
}

const OPTIMIZERS = ['sgd', 'momentum', 'adam', 'rmsprop'] as const;

export function compileOptions(
  args: ParsedArgs,
  extra: Partial<CompileOptions> = {},
): CompileOptions {
  const one = (name: string) => args.flags.get(name)?.[0];
  const budgets: Partial<Record<BudgetMetric, number>> = {};
  for (const metric of ['params', 'trainable', 'macs', 'memory', 'activations'] as const) {
    const v = one(`max-${metric}`);
    if (v !== undefined) budgets[metric] = parseQuantity(`max-${metric}`, v);
  }
  const opt = one('optimizer');
  if (opt !== undefined && !(OPTIMIZERS as readonly string[]).includes(opt)) {
    throw new UsageError(
      `--optimizer must be one of ${OPTIMIZERS.join(', ')}; got ${JSON.stringify(opt)}`,
    );
  }
  const batch = one('batch');
  return {
    model: one('model'),
    batch: batch === undefined ? undefined : parsePositiveInt('batch', batch),
    optimizer: opt as CompileOptions['optimizer'],
    budgets,
    ...extra,
  };
}

export function sourceMap(sources: ReadonlyMap<string, string>) {
  return sourceMapOf([...sources].map(([p, t]) => new SourceFile(p, t)));
}

/** Renders diagnostics for a human on stderr (pretty, coloured on a TTY unless NO_COLOR). */
export function printDiagnostics(
  io: Io,
  diagnostics: readonly Diagnostic[],
  sources: ReadonlyMap<string, string>,
  format: OutputFormat = 'pretty',
  to: 'out' | 'err' = 'err',
): void {
  if (diagnostics.length === 0) return;
  const tty = to === 'out' ? io.stdoutIsTTY : io.stderrIsTTY;
  const color = format === 'pretty' && shouldColor({ isTTY: tty }, io.env);
  const text = renderDiagnostics(format, diagnostics, sourceMap(sources), { color });
  const write = to === 'out' ? io.out.bind(io) : io.err.bind(io);
  write(text.endsWith('\n') ? text : `${text}\n`);
  if (format === 'pretty') write(`${renderSummaryLine(diagnostics)}\n`);
}

export function exitCodeFor(diagnostics: readonly Diagnostic[], strict = false): ExitCode {
  if (diagnostics.some((d) => d.code.startsWith('CNN9'))) return 2;
  if (hasErrors(diagnostics)) return 1;
  if (strict && diagnostics.some((d) => d.severity === 'warning')) return 1;
  return 0;
}

/**
 * Compiles the one model a command works on (FILE, `--model`, the budget and import flags, and
 * `extra`), printing the diagnostics: the model, or the exit code when there are errors. A file with
 * no model, or with several and no `--model`, is a usage error.
 */
export function compileSingle(
  file: string,
  args: ParsedArgs,
  io: Io,
  extra: Partial<CompileOptions> = {},
): { readonly model: CompiledModel; readonly sources: ReadonlyMap<string, string> } | ExitCode {
  const result = compileFile(resolveInput(file, io.host, io.cwd), io.host, {
    ...compileOptions(args),
    ...allowedImports(args, io),
    ...extra,
  });
  printDiagnostics(io, result.diagnostics, result.sources);
  if (hasErrors(result.diagnostics)) return exitCodeFor(result.diagnostics);
  if (result.models.length === 0)
    throw new UsageError('the file defines no model (use --model to pick an imported one)');
  if (result.models.length > 1)
    throw new UsageError(
      `the file defines ${result.models.length} models (${result.models.map((m) => m.graph.model).join(', ')}); choose one with --model`,
    );
  return { model: result.models[0], sources: result.sources };
}
