/** Document symbols: imports, models and blocks, and inside them the labelled statements. */
import { SymbolKind, type DocumentSymbol } from 'vscode-languageserver';
import type { Analysis } from '../analysis.js';
import { childrenOf, labelOf, startOf, type TreeNode } from '../ast-query.js';
import { signature } from '../describe.js';

export function documentSymbols(a: Analysis): DocumentSymbol[] {
  const module = a.module;
  if (!module) return [];
  const out: DocumentSymbol[] = [];
  for (const d of module.ast.decls) {
    if (d.kind === 'Import') {
      const name = d.target.kind === 'Stdlib' ? d.target.name : d.target.path;
      out.push(symbol(a, name, SymbolKind.Module, d.span, d.span, 'import'));
    } else if (d.kind === 'Model') {
      const detail = d.base ? `= ${d.base.name}` : 'model';
      out.push({
        ...symbol(a, d.name.name, SymbolKind.Class, d.span, d.name.span, detail),
        children: labels(a, d.body),
      });
    } else {
      const detail = signature(d, module).slice('block '.length + d.name.name.length);
      out.push({
        ...symbol(a, d.name.name, SymbolKind.Function, d.span, d.name.span, detail),
        children: labels(a, d.body),
      });
    }
  }
  return out;
}

/** The labelled statements among `nodes`, each with the labelled statements inside it. */
function labels(a: Analysis, nodes: readonly TreeNode[]): DocumentSymbol[] {
  const out: DocumentSymbol[] = [];
  for (const n of nodes) {
    const inner = labels(a, childrenOf(n));
    const label = labelOf(n);
    if (label) {
      const span = { start: startOf(n), end: n.span.end };
      const detail =
        'kind' in n && n.kind === 'Simple'
          ? a.text.slice(n.span.start, n.span.end).split('\n')[0]
          : 'kind' in n
            ? n.kind.toLowerCase()
            : 'branch';
      out.push({
        ...symbol(a, label.name, SymbolKind.Field, span, label.span, detail),
        children: inner,
      });
    } else out.push(...inner);
  }
  return out;
}

function symbol(
  a: Analysis,
  name: string,
  kind: SymbolKind,
  span: { start: number; end: number },
  selection: { start: number; end: number },
  detail: string,
): DocumentSymbol {
  return { name, kind, detail, range: a.range(span), selectionRange: a.range(selection) };
}
