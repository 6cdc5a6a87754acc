/**
 * IR-to-IR transforms the training runtime needs for transfer learning: changing which nodes are
 * frozen (gradual unfreezing), and splitting a graph into a frozen, deterministic backbone and the
 * trainable head after it (feature extraction: the backbone's output is computed once per image,
 * then only the head is trained). Node names are kept, so weights keyed by name move between the
 * graphs unchanged.
 */
import type { Graph, IrNode, Node } from './graph.js';
import type { OpKind } from './ops.js';

/** The graph with `frozen` set to `frozen` on every node whose name is in `names`. */
export function withFrozen(graph: Graph, names: ReadonlySet<string>, frozen: boolean): Graph {
  return {
    ...graph,
    nodes: graph.nodes.map((n) =>
      names.has(n.name) && n.frozen !== frozen ? { ...n, frozen } : n,
    ),
  };
}

export interface FeatureSplit {
  /** From the input to the boundary node, whose output are the features. */
  readonly backbone: Graph;
  /** A new input node of the boundary's shape, then every node after the boundary. */
  readonly head: Graph;
  /** Name of the boundary node. */
  readonly boundary: string;
}

/**
 * Per node id, whether its output is the same every epoch (static): the input, and any node whose
 * inputs are static that is frozen (`frozen(n)`) or has no weights at all — neither params nor
 * statistics (a trainable batch norm without affine params still normalises with batch statistics
 * and moves its running ones) — except dropout (random in training). Feature caching
 * (splitStaticPrefix) and its lint (compiler/passes/fine-tune.ts featureBoundary) share it.
 */
export function staticNodes(
  graph: Graph,
  frozen: (n: Node) => boolean = (n) => n.frozen,
): boolean[] {
  const isStatic: boolean[] = [];
  for (const n of graph.nodes) {
    const self =
      n.op === 'input' || (n.op !== 'dropout' && (frozen(n) || (n.weights ?? []).length === 0));
    isStatic[n.id] = self && n.inputs.every((i) => isStatic[i]);
  }
  return isStatic;
}

/**
 * The split needs exactly one static node (staticNodes) feeding the rest; otherwise the reason is
 * returned.
 */
export function splitStaticPrefix(graph: Graph): FeatureSplit | { readonly reason: string } {
  if (graph.outputs.length > 1)
    return { reason: `the model has ${graph.outputs.length} outputs; features are cached for one` };
  const isStatic = staticNodes(graph);
  const out = graph.outputs[0];
  if (isStatic[out]) return { reason: 'every layer is frozen: there is nothing to train' };
  const boundary = new Set<number>();
  for (const n of graph.nodes)
    if (!isStatic[n.id]) for (const i of n.inputs) if (isStatic[i]) boundary.add(i);
  if (boundary.size !== 1) {
    const names = [...boundary].map((i) => graph.nodes[i].name).join(', ');
    return {
      reason: `the frozen part feeds the trainable part from ${boundary.size} layers (${names}), not one`,
    };
  }
  const b = [...boundary][0];
  const bnode = graph.nodes[b];
  if (bnode.op === 'input') return { reason: 'no layer before the first trainable one is frozen' };
  if (!bnode.shape || bnode.shape.some((d) => typeof d !== 'number'))
    return { reason: `the features of ${bnode.name} have no fixed size` };
  // A stack, not recursion: a chain of 200,000 layers would overflow the call stack.
  const backboneIds = new Set<number>();
  const stack = [b];
  while (stack.length) {
    const id = stack.pop()!;
    if (backboneIds.has(id)) continue;
    backboneIds.add(id);
    for (const i of graph.nodes[id].inputs) stack.push(i);
  }
  const backbone = subgraph(
    graph,
    [...backboneIds].sort((x, y) => x - y),
    b,
    null,
  );
  const headIds = graph.nodes.filter((n) => !isStatic[n.id]).map((n) => n.id);
  const head = subgraph(graph, headIds, out, bnode);
  return { backbone, head, boundary: bnode.name };
}

/** The nodes `ids` (topological order kept, renumbered), with `feed`'s output as a new input. */
function subgraph(graph: Graph, ids: readonly number[], output: number, feed: Node | null): Graph {
  const remap = new Map<number, number>();
  const nodes: Node[] = [];
  if (feed) {
    const input: IrNode<'input'> = {
      id: 0,
      name: `${feed.name}_features`,
      op: 'input',
      attrs: { shape: feed.shape!.map((d) => d as number) },
      inputs: [],
      span: feed.span,
      frozen: false,
      shape: feed.shape,
      weights: [],
      macs: 0,
      rf: null,
    };
    nodes.push(input);
    remap.set(feed.id, 0);
  }
  for (const id of ids) {
    const n = graph.nodes[id];
    remap.set(id, nodes.length);
    nodes.push({
      ...(n as IrNode<OpKind>),
      id: nodes.length,
      inputs: n.inputs.map((i) => {
        const j = remap.get(i);
        if (j === undefined)
          throw new Error(`subgraph: ${n.name} needs node ${i}, which is outside`);
        return j;
      }),
    } as Node);
  }
  return { ...graph, nodes, outputs: [remap.get(output)!], poisoned: undefined };
}
