/**
 * The analysis pass: fills every node's shape, weights, MACs and receptive field from the rule tables
 * in compiler/sema, in one walk over the nodes (which are in topological order), and records the
 * assumptions made about symbolic input sizes in `graph.symbols`.
 *
 * A node whose input has no shape (or that the elaborator marked as poisoned) gets shape null and
 * reports nothing, so that one mistake gives one error. Nodes are copied, never mutated.
 */
import { diag } from '../diagnostics/diagnostic.js';
import type { Diagnostic } from '../diagnostics/diagnostic.js';
import { noteCallSites } from '../sema/call-notes.js';
import type { Graph, IrNode, Node, ReceptiveField, SymbolRecord, Weight } from '../ir/graph.js';
import type { OpKind } from '../ir/ops.js';
import type { Count } from '../sema/count.js';
import { SymbolEnv } from '../sema/dim.js';
import type { Dim } from '../sema/dim.js';
import { macRules, weightRules } from '../sema/param-rules.js';
import { checkDetectionGrids } from '../sema/detection-grid.js';
import { rfRules } from '../sema/receptive-field.js';
import { shapeRules } from '../sema/shape-rules.js';
import type { RuleContext } from '../sema/shape-rules.js';

export interface AnalyzeResult {
  readonly graph: Graph;
  readonly diagnostics: Diagnostic[];
  /** Derivation lines per node id, for `cnnc summary --explain`; empty unless asked for. */
  readonly explain: Map<number, string[]>;
  readonly env: SymbolEnv;
}

interface Analysis {
  readonly shape: readonly Dim[] | null;
  readonly weights: readonly Weight[];
  readonly macs: Count | null;
  readonly rf: ReceptiveField | null;
}

const POISONED: Analysis = { shape: null, weights: [], macs: null, rf: null };

export interface AnalyzeOptions {
  /** Collect derivation lines (`cnnc summary --explain`); they cost time on large graphs. */
  readonly explain?: boolean;
}

export function analyze(graph: Graph, opts: AnalyzeOptions = {}): AnalyzeResult {
  const env = new SymbolEnv();
  const diagnostics: Diagnostic[] = [];
  const explain = new Map<number, string[]>();
  const explaining = opts.explain ?? false;
  const poisoned = new Set(graph.poisoned ?? []);
  const nodes: Node[] = [];

  for (const node of graph.nodes) {
    const inputs: Node[] = [];
    let analysis: Analysis | null = poisoned.has(node.id) ? POISONED : null;
    for (const i of node.inputs) {
      const input = i >= 0 && i < nodes.length ? nodes[i] : undefined;
      if (!input) {
        diagnostics.push(
          diag('CNN9001', `node ${node.name} reads node ${i}, which does not come before it`, {
            span: node.span,
          }),
        );
        analysis = POISONED;
        break;
      }
      if (!input.shape) analysis = POISONED;
      inputs.push(input);
    }
    analysis ??= analyzeNode(node as IrNode, inputs, env, diagnostics, explaining ? explain : null);
    nodes.push(withAnalysis(node, analysis));
  }

  diagnostics.push(...checkDetectionGrids(graph, nodes));
  const symbols: SymbolRecord[] = [...env.symbols].map(([sym, info]) => ({
    sym,
    display: info.display,
    role: info.role,
    multipleOf: info.multipleOf,
    min: info.min,
  }));
  return { graph: { ...graph, nodes, symbols }, diagnostics, explain, env };
}

/** The context of one node's shape rule. A class, so that no closures are made per node. */
class NodeContext implements RuleContext {
  constructor(
    readonly env: SymbolEnv,
    readonly node: Node,
    readonly inputs: readonly Node[],
    readonly inputShapes: readonly (readonly Dim[])[],
    private readonly diagnostics: Diagnostic[],
    private readonly lines: Map<number, string[]> | null,
  ) {}

  report(d: Diagnostic): void {
    this.diagnostics.push(noteCallSites(d, this.node.callSites));
  }

  explain(line: string | (() => string)): void {
    if (!this.lines) return;
    const text = typeof line === 'string' ? line : line();
    const lines = this.lines.get(this.node.id);
    if (lines) lines.push(text);
    else this.lines.set(this.node.id, [text]);
  }
}

function analyzeNode<K extends OpKind>(
  node: IrNode<K>,
  inputs: readonly Node[],
  env: SymbolEnv,
  diagnostics: Diagnostic[],
  explain: Map<number, string[]> | null,
): Analysis {
  const inputShapes: (readonly Dim[])[] = [];
  for (const input of inputs) inputShapes.push(input.shape ?? []);
  const ctx = new NodeContext(env, node as Node, inputs, inputShapes, diagnostics, explain);
  const shape = shapeRules[node.op](node.attrs, ctx);
  if (!shape) return POISONED;
  let rf: ReceptiveField | null = null;
  const first = inputs.length > 0 ? inputs[0].rf : undefined;
  if (inputs.length === 1 && first) rf = rfRules[node.op](node.attrs, [first], inputShapes, shape);
  else if (inputs.every((n) => n.rf)) {
    const inputRfs = inputs.map((n) => n.rf as ReceptiveField);
    rf = rfRules[node.op](node.attrs, inputRfs, inputShapes, shape);
  }
  return {
    shape,
    weights: weightRules[node.op](node.attrs, inputShapes, shape),
    macs: macRules[node.op](node.attrs, inputShapes, shape),
    rf,
  };
}

function ignore(): void {}

/**
 * A copy of the node with its analysis, written as plain object literals: spreading thousands of
 * nodes (or spreading into a literal) gives V8 slow objects and dominated the pass's time.
 */
function withAnalysis(node: Node, a: Analysis): Node {
  const { id, name, op, attrs, inputs, span, callSites, frozen } = node;
  const { shape, weights, macs, rf } = a;
  const copy: IrNode = callSites
    ? { id, name, op, attrs, inputs, span, callSites, frozen, shape, weights, macs, rf }
    : { id, name, op, attrs, inputs, span, frozen, shape, weights, macs, rf };
  return copy as Node;
}
