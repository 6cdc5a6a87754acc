/**
 * The compiler's front door: load a file and its imports, pick the models, derive, elaborate and run
 * the passes. Pure apart from the Host it is given; user errors come back as diagnostics, and an
 * exception from our own code becomes CNN9001 instead of a stack trace.
 */
import { diag, type Diagnostic } from './diagnostics/diagnostic.js';
import type { Budget, BudgetMetric, Graph } from './ir/graph.js';
import { runPipeline, type PassOptions } from './passes/pipeline.js';
import type { SymbolEnv } from './sema/dim.js';
import { derive } from './sema/derive.js';
import { Elaborator } from './sema/elaborate.js';
import type { ModelSummary } from './sema/metrics.js';
import { loadProgram, lookupDecl, visibleNames, type Host, type Module } from './sema/resolve.js';
import { didYouMean } from './sema/suggest.js';

export type { Host } from './sema/resolve.js';

export interface CompileOptions {
  /** Compile only this model (it may come from an import); default: every model the file defines. */
  readonly model?: string;
  readonly batch?: number;
  readonly optimizer?: PassOptions['optimizer'];
  /** Budgets from the command line. */
  readonly budgets?: Partial<Record<BudgetMetric, number>>;
  readonly verifyEach?: boolean;
  /** Collect the arithmetic behind every output size (`summary --explain`). */
  readonly explain?: boolean;
}

export interface CompiledModel {
  readonly graph: Graph;
  readonly summary: ModelSummary | null;
  readonly explain: ReadonlyMap<number, readonly string[]>;
  readonly env: SymbolEnv | null;
  /** Diagnostics of this model alone. */
  readonly diagnostics: readonly Diagnostic[];
}

export interface CompileResult {
  readonly models: readonly CompiledModel[];
  /** Every diagnostic: the file's and each model's. */
  readonly diagnostics: readonly Diagnostic[];
  /** display path → text, for rendering diagnostics. */
  readonly sources: ReadonlyMap<string, string>;
  /** The file as loaded (its syntax tree, declarations and imports), for editors; absent if unreadable. */
  readonly entry?: Module;
}

export function compileFile(path: string, host: Host, options: CompileOptions = {}): CompileResult {
  const diagnostics: Diagnostic[] = [];
  let sources: ReadonlyMap<string, string> = new Map();
  const models: CompiledModel[] = [];
  let entry: Module | undefined;
  try {
    const loaded = loadProgram(path, host);
    sources = loaded.value.sources;
    diagnostics.push(...loaded.diagnostics);
    entry = loaded.value.entry;
    if (!entry) return { models, diagnostics, sources };
    for (const name of selectModels(entry, options, diagnostics)) {
      const found = lookupDecl(entry, 'models', name)!;
      const compiled = compileModel(found.decl.name.name, found.module, entry, options);
      models.push(compiled);
      diagnostics.push(...compiled.diagnostics);
    }
  } catch (e) {
    diagnostics.push(internalError(e));
  }
  return { models, diagnostics: dedupe(diagnostics), sources, entry };
}

function selectModels(entry: Module, options: CompileOptions, diagnostics: Diagnostic[]): string[] {
  if (options.model !== undefined) {
    if (lookupDecl(entry, 'models', options.model)) return [options.model];
    const s = didYouMean(options.model, visibleNames(entry, 'models'));
    const all = visibleNames(entry, 'models');
    diagnostics.push(
      diag('CNN2015', `no model \`${options.model}\` in ${entry.display}`, {
        help: s
          ? `did you mean \`${s}\`?`
          : all.length
            ? `models: ${all.join(', ')}`
            : 'the file defines no model',
      }),
    );
    return [];
  }
  // Every model the file itself defines; a file of blocks only has none, which is fine to check.
  return [...entry.models.keys()];
}

function compileModel(
  name: string,
  module: Module,
  entry: Module,
  options: CompileOptions,
): CompiledModel {
  const diagnostics: Diagnostic[] = [];
  const decl = module.models.get(name)!;
  const derived = derive(decl, module, (d) => diagnostics.push(d));
  const elaborator = new Elaborator(decl, derived);
  const graph = elaborator.run(module);
  diagnostics.push(...elaborator.diagnostics);
  const budgets: Budget[] = Object.entries(options.budgets ?? {})
    .filter((e): e is [BudgetMetric, number] => e[1] !== undefined)
    .map(([metric, limit]) => ({ metric, limit, strict: false, span: decl.name.span }));
  const batch = options.batch ?? trainBatch(graph) ?? 1;
  const { state, diagnostics: passDiags } = runPipeline(graph, {
    batch,
    optimizer: options.optimizer ?? 'momentum',
    budgets,
    verifyEach: options.verifyEach ?? false,
    explain: options.explain ?? false,
  });
  diagnostics.push(...passDiags);
  void entry;
  return {
    graph: state.graph,
    summary: state.summary,
    explain: state.explain,
    env: state.env,
    diagnostics,
  };
}

function trainBatch(graph: Graph): number | undefined {
  const setting = graph.train?.find((t) => t.key === 'batch');
  const v = setting?.args[0];
  return typeof v === 'number' && Number.isInteger(v) && v > 0 ? v : undefined;
}

export function internalError(e: unknown): Diagnostic {
  const message = e instanceof Error ? e.message : String(e);
  const where =
    e instanceof Error && e.stack
      ? e.stack
          .split('\n')
          .slice(1, 4)
          .map((l) => l.trim())
      : [];
  return diag('CNN9001', `internal compiler error: ${message}`, {
    notes: where,
    help: 'this is a bug in cnnc; please report it with the .cnn file that triggered it',
  });
}

/** The same diagnostic can arise twice when a base model is compiled as part of two derived ones. */
function dedupe(diagnostics: readonly Diagnostic[]): Diagnostic[] {
  const seen = new Set<string>();
  return diagnostics.filter((d) => {
    const key = `${d.code}|${d.span?.file}|${d.span?.start}|${d.span?.end}|${d.message}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}
