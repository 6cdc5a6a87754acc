/**
 * The compiler's front door: load a file and its imports, pick the models, derive, elaborate and run
 * the passes. Pure apart from the Host it is given; user errors come back as diagnostics, and an
 * exception from our own code becomes CNN9001 instead of a stack trace.
 */
import { diag, type Diagnostic, type Span } from './diagnostics/diagnostic.js';
import type { Budget, BudgetMetric, Graph } from './ir/graph.js';
import { runPipeline, type PassOptions } from './passes/pipeline.js';
import type { SymbolEnv } from './sema/dim.js';
import { Derivations } from './sema/derive.js';
import { callSitesOf, withCallNotes } from './sema/call-notes.js';
import { Elaborator } from './sema/elaborate.js';
import { ElaborationBudget } from './sema/limits.js';
import type { ModelSummary } from './sema/metrics.js';
import { loadProgram, lookupDecl, visibleNames, type Host, type Module } from './sema/resolve.js';
import { didYouMean } from './sema/suggest.js';
import { applySuppressions, type Suppression } from './suppressions.js';
import { resolveSettings } from './train/settings.js';

export type { FileFacts, Host } from './sema/resolve.js';

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
  /**
   * Folders outside the entry file's project whose .cnn files may be imported too (absolute;
   * `--allow-import-outside`). The project and the standard library always are.
   */
  readonly importRoots?: readonly string[];
}

export interface CompiledModel {
  readonly graph: Graph;
  readonly summary: ModelSummary | null;
  readonly explain: ReadonlyMap<number, readonly string[]>;
  readonly env: SymbolEnv | null;
  /**
   * Diagnostics of this model alone (a base's derivation is reported with the first model of the
   * compilation that needs it).
   */
  readonly diagnostics: readonly Diagnostic[];
}

export interface CompileResult {
  readonly models: readonly CompiledModel[];
  /** Every diagnostic: the file's and each model's. */
  readonly diagnostics: readonly Diagnostic[];
  /** display path → text, for rendering diagnostics. */
  readonly sources: ReadonlyMap<string, string>;
  /** `// cnnc-ignore CODE: reason` comments, with what each hid (compiler/suppressions.ts). */
  readonly suppressions?: readonly Suppression[];
  /** The file as loaded (its syntax tree, declarations and imports), for editors; absent if unreadable. */
  readonly entry?: Module;
}

export function compileFile(path: string, host: Host, options: CompileOptions = {}): CompileResult {
  const diagnostics: Diagnostic[] = [];
  let sources: ReadonlyMap<string, string> = new Map();
  const models: CompiledModel[] = [];
  let entry: Module | undefined;
  try {
    const loaded = loadProgram(path, host, options.importRoots);
    sources = loaded.value.sources;
    // Loops, not push(...list): a spread of 200,000 diagnostics overflows the stack.
    for (const d of loaded.diagnostics) diagnostics.push(d);
    entry = loaded.value.entry;
    if (!entry) return { models, diagnostics, sources };
    const budget = new ElaborationBudget();
    const derivations = new Derivations(budget);
    const names = selectModels(entry, options, diagnostics);
    for (const [i, name] of names.entries()) {
      const found = lookupDecl(entry, 'models', name)!;
      if (budget.spent) {
        diagnostics.push(notCompiled(names.length - i, found.decl.name.span, budget));
        break;
      }
      const compiled = compileModel(found.decl.name.name, found.module, {
        derivations,
        budget,
        options,
        sources,
      });
      models.push(compiled);
      for (const d of compiled.diagnostics) diagnostics.push(d);
    }
  } catch (e) {
    diagnostics.push(internalError(e));
  }
  const suppressed = applySuppressions(
    dedupe(diagnostics),
    sources,
    entry?.display,
    options.model === undefined,
  );
  return {
    models,
    diagnostics: suppressed.diagnostics,
    sources,
    entry,
    suppressions: suppressed.suppressions,
  };
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
  {
    derivations,
    budget,
    options,
    sources,
  }: {
    derivations: Derivations;
    budget: ElaborationBudget;
    options: CompileOptions;
    sources: ReadonlyMap<string, string>;
  },
): CompiledModel {
  const diagnostics: Diagnostic[] = [];
  const decl = module.models.get(name)!;
  const derived = derivations.derive(decl, module, (d) => diagnostics.push(d));
  const elaborator = new Elaborator(decl, derived, budget);
  const graph = elaborator.run(module);
  for (const d of elaborator.diagnostics) diagnostics.push(d);
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
  // The train block, checked as `cnnc train` reads it (compiler/train/settings.ts), so that
  // `cnnc check` finds `optimzer adam` and `lr -5` too.
  if (state.graph.train?.length) {
    for (const d of resolveSettings(state.graph).diagnostics) diagnostics.push(d);
  }
  const sites = callSitesBySpan(state.graph);
  for (const d of passDiags) {
    const at = callSitesOf(d) ?? (d.span && sites.get(spanKey(d.span)));
    diagnostics.push(at ? withCallNotes(d, at, (f) => sources.get(f)) : d);
  }
  return {
    graph: state.graph,
    summary: state.summary,
    explain: state.explain,
    env: state.env,
    diagnostics,
  };
}

const spanKey = (s: Span): string => `${s.start}:${s.end}:${s.file}`;

/** The block calls each node inside a block body came through, by the node's span. */
function callSitesBySpan(graph: Graph): Map<string, readonly Span[]> {
  const out = new Map<string, readonly Span[]>();
  for (const n of graph.nodes) {
    if (n.callSites && !out.has(spanKey(n.span))) out.set(spanKey(n.span), n.callSites);
  }
  return out;
}

/** The models left when the compilation's budget is spent: one error for all of them. */
function notCompiled(left: number, span: Span, budget: ElaborationBudget): Diagnostic {
  const what =
    budget.used >= budget.limit
      ? `${budget.limit.toLocaleString('en-US')} layers`
      : `${budget.statementLimit.toLocaleString('en-US')} statements`;
  return diag(
    'CNN2027',
    `${left} model${left === 1 ? '' : 's'} not checked: the models before ${left === 1 ? 'it' : 'them'} expand to more than ${what} in all`,
    { span, help: 'check the file one model at a time with --model NAME' },
  );
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
