/**
 * The passes after elaboration, in order. Each takes the graph and returns a graph and
 * diagnostics; `verify` runs after every pass when asked (always in tests and `cnnc compile`).
 */
import type { Diagnostic } from '../diagnostics/diagnostic.js';
import { hasErrors } from '../diagnostics/diagnostic.js';
import type { Budget, Graph } from '../ir/graph.js';
import { verify } from '../ir/verify.js';
import type { SymbolEnv } from '../sema/dim.js';
import { summarize, type ModelSummary } from '../sema/metrics.js';
import { analyze } from './analyze.js';
import { checkBudgets, checkResources } from './budgets.js';
import { reportConstraints } from './constraints.js';
import { lintFineTune } from './fine-tune-lint.js';
import { lintSoftmax } from './lint.js';

export interface PassOptions {
  readonly batch: number;
  readonly optimizer: 'sgd' | 'momentum' | 'adam' | 'rmsprop';
  /** Budgets from the command line; their spans point at the model name. */
  readonly budgets: readonly Budget[];
  readonly verifyEach: boolean;
  /** Collect derivation lines for `cnnc summary --explain` (costs time; off by default). */
  readonly explain?: boolean;
}

export interface PassState {
  graph: Graph;
  summary: ModelSummary | null;
  explain: Map<number, string[]>;
  env: SymbolEnv | null;
}

interface Pass {
  readonly name: string;
  run(state: PassState, options: PassOptions): Diagnostic[];
}

export const PIPELINE: readonly Pass[] = [
  {
    name: 'analyze (shapes, weights, MACs, receptive fields)',
    run(state, options) {
      const r = analyze(state.graph, { explain: options.explain ?? false });
      state.graph = r.graph;
      state.explain = r.explain;
      state.env = r.env;
      return r.diagnostics;
    },
  },
  {
    name: 'report symbolic-size constraints',
    run: (state) => reportConstraints(state.graph),
  },
  {
    name: 'summarize (totals and memory)',
    run(state, options) {
      state.summary = summarize(state.graph, {
        batch: options.batch,
        optimizer: options.optimizer,
      });
      return [];
    },
  },
  {
    name: 'lint softmax placement',
    run: (state) => lintSoftmax(state.graph),
  },
  {
    name: 'lint fine-tuning settings',
    run: (state) => lintFineTune(state.graph),
  },
  {
    name: 'check resources no machine has',
    run: (state) => (state.summary ? checkResources(state.graph, state.summary) : []),
  },
  {
    name: 'check budgets',
    run: (state, options) =>
      state.summary ? checkBudgets(state.graph, state.summary, options.batch, options.budgets) : [],
  },
];

export function runPipeline(
  graph: Graph,
  options: PassOptions,
): { state: PassState; diagnostics: Diagnostic[] } {
  const state: PassState = { graph, summary: null, explain: new Map(), env: null };
  const diagnostics: Diagnostic[] = [];
  const add = (found: readonly Diagnostic[]) => {
    for (const d of found) diagnostics.push(d); // not push(...found): it may be 200,000 long
  };
  if (options.verifyEach) add(verify(graph, 'elaboration'));
  for (const pass of PIPELINE) {
    const found = pass.run(state, options);
    add(found);
    if (options.verifyEach) add(verify(state.graph, pass.name));
    // Budgets and lints of a graph with shape errors would only repeat them.
    if (pass.name.startsWith('analyze') && hasErrors(found)) break;
  }
  return { state, diagnostics };
}
