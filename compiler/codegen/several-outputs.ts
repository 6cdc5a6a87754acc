/** What the code generators say about a model with several outputs (compiler/sema/outputs.ts). */
import { diag, type Diagnostic } from '../diagnostics/diagnostic.js';
import type { Graph } from '../ir/graph.js';
import { namedOutputs } from '../sema/outputs.js';

/**
 * CNN2136: the emitted training code trains one output with one loss; a model with several is left
 * out of it (its per-output losses would be dropped), with a warning saying so.
 */
export function severalOutputs(graph: Graph, file: string, what: string): Diagnostic {
  const names = namedOutputs(graph).map((o) => o.name);
  return diag(
    'CNN2136',
    `${file} trains models with one output; ${graph.model} has ${names.length} (${names.join(', ')}) and is left out of it`,
    {
      span: graph.nodes[graph.outputs[1]]?.span ?? graph.span,
      notes: [`${what}; training them with their per-output losses needs \`cnnc train\` for now`],
      help: `train it with \`cnnc train\`, which gives each output its loss and weight`,
    },
  );
}
