/** `cnnc diff OLD.cnn NEW.cnn [options]` and `cnnc diff --git REV [options]` */
import { countReplacer } from '../sema/count.js';
import * as path from 'node:path';
import type { Diagnostic } from '../diagnostics/diagnostic.js';
import {
  diffFile,
  diffReport,
  hasSemanticChange,
  renderMarkdown,
  renderPretty,
  stopsDiff,
  type CommandLineBudgets,
  type DiffReport,
  type FileDiff,
  type FileVersion,
} from '../diff/index.js';
import { compileFile, type CompileOptions, type Host } from '../program.js';
import { parseArgs, UsageError } from './args.js';
import {
  allowedImports,
  BUDGET_FLAGS,
  compileOptions,
  IMPORT_FLAGS,
  IMPORT_HELP_LINE,
  printDiagnostics,
} from './common.js';
import { changedCnnFiles, repositoryRoot, revisionHost, revisionPair } from './git.js';
import { resolveInput } from './host.js';
import type { ExitCode, Io } from './io.js';

export const DIFF_HELP = `usage: cnnc diff OLD.cnn NEW.cnn [options]
       cnnc diff --git REV [options]

Compares two versions of a model semantically: the layers added, removed and changed (paired by
name, then by place for renames), shapes that moved, and the change of parameters, trainable
parameters, MACs, activations and training memory per layer and in total; budgets (in either
file, or --max-*) newly exceeded are flagged. Formatting and comments are not changes.

  --git REV      the .cnn files commit REV changes (REV^ against REV), each with its imports
                 read at the same revision
  --git A..B     the .cnn files that differ between revisions A and B
  --git A...B    the same from the merge base of A and B (what a pull request shows)

options:
  --format F           pretty (default), markdown (for a pull-request comment) or json
  --model NAME         compare only this model
  --max-params N …     budgets as for cnnc check (--max-trainable, --max-macs, --max-memory,
                       --max-activations)
  --batch N            batch size for training memory (default: each train block's, else 1)
  --optimizer O        sgd, momentum (default), adam or rmsprop, for optimizer state
  ${IMPORT_HELP_LINE}

exit status: 0 no semantic change, 1 changes, 2 errors (usage, git, a file that does not compile)`;

const FORMATS = ['pretty', 'markdown', 'json'] as const;
type Format = (typeof FORMATS)[number];

export function runDiff(argv: readonly string[], io: Io): ExitCode {
  const args = parseArgs(argv, {
    ...BUDGET_FLAGS,
    ...IMPORT_FLAGS,
    format: { value: true },
    git: { value: true },
  });
  const format = (args.flags.get('format')?.[0] ?? 'pretty') as Format;
  if (!FORMATS.includes(format))
    throw new UsageError(
      `--format must be one of ${FORMATS.join(', ')}; got ${JSON.stringify(format)}`,
    );
  const options = compileOptions(args);
  const budgets: CommandLineBudgets = options.budgets ?? {};
  const compile: CompileOptions = {
    batch: options.batch,
    optimizer: options.optimizer,
    ...allowedImports(args, io),
  };
  const diffOptions = { model: options.model, budgets };
  const gitSpec = args.flags.get('git')?.[0];

  const errors: Diagnostic[] = [];
  const sources = new Map<string, string>();
  const version = (file: string, host: Host): FileVersion => {
    const r = compileFile(file, host, compile);
    for (const [p, t] of r.sources) sources.set(p, t);
    errors.push(...r.diagnostics.filter(stopsDiff));
    return {
      path: host.displayPath(file),
      models: r.models.flatMap((m) => (m.summary ? [{ ...m, summary: m.summary }] : [])),
    };
  };

  let report: DiffReport;
  if (gitSpec !== undefined) {
    if (args.positional.length)
      throw new UsageError(
        'cnnc diff --git REV takes no files: it compares the .cnn files the revisions change',
      );
    const root = repositoryRoot(io.cwd);
    const { before, after } = revisionPair(root, gitSpec);
    const oldHost = revisionHost(root, before, io.host);
    const newHost = revisionHost(root, after, io.host);
    const files: FileDiff[] = changedCnnFiles(root, before, after).map((f) => {
      const abs = (p: string) => path.join(root, ...p.split('/'));
      const display = (p: string | null) => (p === null ? null : io.host.displayPath(abs(p)));
      const old = f.before === null ? null : version(abs(f.before), oldHost);
      const now = f.after === null ? null : version(abs(f.after), newHost);
      const diff = diffFile(old, now, f.change, diffOptions);
      return { ...diff, before: display(f.before), after: display(f.after) };
    });
    report = diffReport(before.label, after.label, files);
  } else {
    if (args.positional.length !== 2)
      throw new UsageError('cnnc diff takes two .cnn files, OLD and NEW (or --git REV)');
    const [a, b] = args.positional.map((p) => resolveInput(p, io.host, io.cwd));
    const old = version(a, io.host);
    const now = version(b, io.host);
    report = diffReport(old.path, now.path, [diffFile(old, now, 'modified', diffOptions)]);
  }

  if (errors.length) {
    printDiagnostics(io, errors, sources);
    return 2;
  }
  if (options.model !== undefined && report.files.every((f) => f.models.length === 0)) {
    throw new UsageError(
      `no model ${JSON.stringify(options.model)} in ${gitSpec === undefined ? 'either file' : 'the changed files'}`,
    );
  }
  io.out(
    format === 'json'
      ? `${JSON.stringify(report, countReplacer, 2)}\n`
      : format === 'markdown'
        ? renderMarkdown(report)
        : renderPretty(report),
  );
  return hasSemanticChange(report) ? 1 : 0;
}
