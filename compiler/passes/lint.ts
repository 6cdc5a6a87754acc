/** Lints that need shapes: softmax that is not the last layer (CNN3007). */
import { diag, type Diagnostic } from '../diagnostics/diagnostic.js';
import type { Graph } from '../ir/graph.js';

export function lintSoftmax(graph: Graph): Diagnostic[] {
  const consumers = new Map<number, number[]>();
  for (const n of graph.nodes)
    for (const i of n.inputs) (consumers.get(i) ?? consumers.set(i, []).get(i)!).push(n.id);
  const out: Diagnostic[] = [];
  for (const n of graph.nodes) {
    if (n.op !== 'activation' || n.attrs.fn !== 'softmax') continue;
    const users = consumers.get(n.id) ?? [];
    if (users.length === 0) continue;
    const next = graph.nodes[users[0]];
    out.push(
      diag('CNN3007', 'softmax is not the last layer', {
        span: n.span,
        spanLabel: 'probabilities here',
        labels: [{ span: next.span, message: `are fed to ${next.name}` }],
        notes: [
          'softmax turns scores into probabilities; layers after it see values squashed into (0, 1)',
        ],
        help: 'move softmax to the end, or remove it and let the loss apply it',
      }),
    );
  }
  return out;
}
