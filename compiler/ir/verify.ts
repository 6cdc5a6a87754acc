/**
 * The IR verifier: structural invariants every pass must keep. Runs after every pass in tests (and
 * in `cnnc compile`). A violation is our bug, reported as CNN9002.
 */
import { diag, type Diagnostic } from '../diagnostics/diagnostic.js';
import type { Graph, Node } from './graph.js';
import { IR_VERSION } from './graph.js';
import { FIXED_ARITY, MERGE_OPS, OP_KINDS } from './ops.js';

const NAME = /^[A-Za-z0-9_]+(\.[A-Za-z0-9_]+)*$/;

export function verify(graph: Graph, after = 'elaboration'): Diagnostic[] {
  const problems: string[] = [];
  const fail = (node: Node | undefined, message: string) =>
    problems.push(node ? `node ${node.id} (${node.name}): ${message}` : message);

  if (graph.irVersion !== IR_VERSION)
    fail(undefined, `irVersion ${graph.irVersion} is not ${IR_VERSION}`);
  const names = new NameSet();
  graph.nodes.forEach((node, index) => {
    if (node.id !== index) fail(node, `id ${node.id} is not its index ${index}`);
    if (!OP_KINDS.includes(node.op)) fail(node, `unknown op ${String(node.op)}`);
    if (!NAME.test(node.name)) fail(node, `malformed name ${JSON.stringify(node.name)}`);
    if (!names.add(node.name)) fail(node, `duplicate name ${node.name}`);
    const arity = node.inputs.length;
    const fixed = FIXED_ARITY[node.op];
    if (fixed !== undefined ? arity !== fixed : MERGE_OPS.has(node.op) ? arity < 1 : arity !== 1) {
      fail(node, `${node.op} has ${arity} inputs`);
    }
    for (const i of node.inputs) {
      if (!Number.isInteger(i) || i < 0 || i >= index)
        fail(node, `input ${i} is not an earlier node`);
    }
    if (!node.span || node.span.start > node.span.end) fail(node, 'missing or inverted span');
    if (node.weights) {
      for (const w of node.weights) {
        if (w.shape.some((d) => !Number.isInteger(d) || d <= 0))
          fail(node, `weight ${w.name} has shape [${w.shape}]`);
      }
    }
    if (node.shape) {
      for (const d of node.shape) {
        if (typeof d === 'number' && (!Number.isInteger(d) || d <= 0))
          fail(node, `shape has size ${d}`);
      }
    }
    // An exact count: a safe integer, or a bigint beyond 2^53 − 1 (compiler/sema/count.ts).
    const macs = node.macs;
    if (
      macs !== undefined &&
      macs !== null &&
      (typeof macs === 'bigint'
        ? macs <= BigInt(Number.MAX_SAFE_INTEGER)
        : !Number.isSafeInteger(macs) || macs < 0)
    ) {
      fail(node, `macs ${macs}`);
    }
  });
  for (const o of graph.outputs) {
    if (!Number.isInteger(o) || o < 0 || o >= graph.nodes.length)
      fail(undefined, `output ${o} is not a node`);
  }
  if (new Set(graph.outputs).size !== graph.outputs.length)
    fail(undefined, `an output is listed twice: ${graph.outputs.join(', ')}`);
  const outNames = graph.outputNames;
  if (outNames) {
    if (outNames.length !== graph.outputs.length)
      fail(undefined, `${outNames.length} output outNames for ${graph.outputs.length} outputs`);
    if (new Set(outNames).size !== outNames.length)
      fail(undefined, `duplicate output outNames: ${outNames.join(', ')}`);
    for (const n of outNames)
      if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(n)) fail(undefined, `output name ${JSON.stringify(n)}`);
  }
  return problems.map((p) =>
    diag('CNN9002', `IR verification failed after ${after}: ${p}`, {
      span: graph.span,
      help: 'this is a bug in cnnc; please report it with the .cnn file',
    }),
  );
}

/**
 * A set of dotted names kept as a tree of their parts: names under long labels share long prefixes,
 * and a Set of whole names hashes each whole (V8 hashes strings over 16 K characters by their
 * length alone, so such names collide).
 */
class NameSet {
  private readonly root = new Map<string, NameSetEntry>();

  /** Adds `name`; false when it was there already. */
  add(name: string): boolean {
    let level = this.root;
    let entry: NameSetEntry | undefined;
    for (const part of name.split('.')) {
      entry = level.get(part);
      if (!entry) {
        entry = { present: false, children: new Map() };
        level.set(part, entry);
      }
      level = entry.children;
    }
    if (!entry || entry.present) return false;
    entry.present = true;
    return true;
  }
}

interface NameSetEntry {
  present: boolean;
  readonly children: Map<string, NameSetEntry>;
}
