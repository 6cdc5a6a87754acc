/**
 * A model's outputs. The model's final value (its last statement's output) is always an output;
 * `output NAME` statements declare more (or name the final one). The order is the declarations' in
 * source, except that a final value no `output` names comes first, as `main` — torchvision's
 * InceptionOutputs(logits, aux_logits) order, the main head before its auxiliaries. A model without
 * `output` statements has one unnamed output, exactly as before the statement existed.
 */
import { diag, type Diagnostic, type Span } from '../diagnostics/diagnostic.js';
import type { Graph } from '../ir/graph.js';

/** The name of a model's final value when no `output` statement names it. */
export const MAIN_OUTPUT = 'main';

export interface DeclaredOutput {
  readonly name: string;
  /** The node whose value the output is. */
  readonly id: number;
  readonly span: Span;
  readonly nameSpan: Span;
}

export function modelOutputs(
  final: number | undefined,
  declared: readonly DeclaredOutput[],
  report: (d: Diagnostic) => void,
): Pick<Graph, 'outputs' | 'outputNames'> {
  if (declared.length === 0) return { outputs: final === undefined ? [] : [final] };
  const list: { name: string; id: number }[] = [];
  const byName = new Map<string, DeclaredOutput>();
  const byId = new Map<number, DeclaredOutput>();
  const implicitMain = final !== undefined && !declared.some((o) => o.id === final);
  for (const o of declared) {
    const prev = byName.get(o.name);
    if (prev || (implicitMain && o.name === MAIN_OUTPUT)) {
      report(
        diag(
          'CNN2130',
          prev
            ? `the model already has an output named \`${o.name}\``
            : `\`${MAIN_OUTPUT}\` is the name of the model's final output`,
          {
            span: o.nameSpan,
            labels: prev ? [{ span: prev.nameSpan, message: 'first declared here' }] : [],
            help: prev
              ? 'give each output its own name'
              : `the last statement's value is the output \`${MAIN_OUTPUT}\` unless an \`output NAME\` at the end names it: pick another name`,
          },
        ),
      );
      continue;
    }
    const same = byId.get(o.id);
    if (same) {
      report(
        diag('CNN2132', `this value is already the output \`${same.name}\``, {
          span: o.span,
          labels: [{ span: same.span, message: `declared as \`${same.name}\` here` }],
          help: 'an output is one value with one name: remove one of the two',
        }),
      );
      continue;
    }
    byName.set(o.name, o);
    byId.set(o.id, o);
    list.push({ name: o.name, id: o.id });
  }
  if (implicitMain) list.unshift({ name: MAIN_OUTPUT, id: final });
  return { outputs: list.map((o) => o.id), outputNames: list.map((o) => o.name) };
}

/** The outputs of a graph with their names (`main` for a model without `output` statements). */
export function namedOutputs(graph: Graph): { readonly name: string; readonly id: number }[] {
  return graph.outputs.map((id, i) => ({ name: graph.outputNames?.[i] ?? MAIN_OUTPUT, id }));
}
