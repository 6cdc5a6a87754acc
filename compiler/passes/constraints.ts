/** Reports the assumptions made about symbolic input sizes (CNN3018 notes), at the input. */
import { diag, type Diagnostic } from '../diagnostics/diagnostic.js';
import type { Graph } from '../ir/graph.js';
import { smallestAdmissible } from '../sema/dim.js';

export function reportConstraints(graph: Graph): Diagnostic[] {
  const input = graph.nodes.find((n) => n.op === 'input');
  if (!input) return [];
  const out: Diagnostic[] = [];
  for (const s of graph.symbols) {
    const parts: string[] = [];
    if (s.multipleOf > 1) parts.push(`a multiple of ${s.multipleOf}`);
    if (s.min > Math.max(1, s.multipleOf)) parts.push(`at least ${s.min}`);
    if (parts.length === 0) continue;
    const who = s.display === '?' ? `the ${s.role}` : `${s.display} (the ${s.role})`;
    out.push(
      diag('CNN3018', `${who} must be ${parts.join(' and ')}`, {
        span: input.span,
        spanLabel: `${s.display} is symbolic here`,
        notes: [
          ...(s.multipleOf > 1
            ? [
                `the strides multiply to ${s.multipleOf}: a multiple of ${s.multipleOf} keeps every size exact (other sizes are rounded down by each stride)`,
              ]
            : []),
          ...(s.min > Math.max(1, s.multipleOf)
            ? [`below ${s.min} some layer's output size would be zero or negative`]
            : []),
        ],
        help: `the smallest valid ${s.role} is ${smallestAdmissible({ ...s })}`,
      }),
    );
  }
  return out;
}
