/** The run-time shape check both backends make after every node. */
import type { Graph, Node } from '../compiler/ir/graph.js';

/** Throws (our bug, or the caller's wrong input) when a tensor contradicts a size the IR knows. */
export function checkShape(graph: Graph, node: Node, shape: readonly number[], what: string): void {
  const expected = node.shape;
  if (!expected) return;
  const ok =
    shape.length === expected.length + 1 &&
    expected.every((d, i) => typeof d !== 'number' || d === shape[i + 1]);
  if (!ok) {
    const want = expected.map((d) => (typeof d === 'number' ? d : '?')).join(', ');
    throw new Error(
      `${graph.model}: ${what} of ${node.name} (${node.op}) is [${shape.join(', ')}], ` +
        `expected [N, ${want}]`,
    );
  }
}
