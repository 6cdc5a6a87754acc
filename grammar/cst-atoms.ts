/**
 * The atoms of a simple statement, CST → AST. The parser keeps them inline in the `stmt` (or
 * `binding`) node without a node per atom (parser-expr.ts `atoms`), so here they are put back in
 * source order and grouped: `/` + value, value + `=` + value, value + tail, or a value alone.
 */
import type { CstNode, IToken } from 'chevrotain';
import { diag } from '../compiler/diagnostics/diagnostic.js';
import type { Diagnostic } from '../compiler/diagnostics/diagnostic.js';
import type { Atom } from './ast.js';
import { exprStart } from './cst-expr.js';
import type { ExprBuilder } from './cst-expr.js';
import { isReal } from './cst-helpers.js';
import type { Spans } from './cst-helpers.js';
import * as T from './tokens.js';

export class AtomBuilder {
  constructor(
    private readonly spans: Spans,
    private readonly exprs: ExprBuilder,
    private readonly diagnostics: Diagnostic[],
  ) {}

  /**
   * The atoms inline in a `stmt` or `binding` node (see parser.ts `atoms`), in source order: the
   * tokens `/`, `=` and values under `atomTok`; under `atomValue` the `unary` after a `/`, the
   * `expr` after a `=` or standing alone, and the `exprTail` that continues a value token.
   */
  atoms(n: CstNode): Atom[] {
    const toks = (n.children['atomTok'] ?? []) as IToken[];
    const values = n.children['atomValue'] as CstNode[] | undefined;
    const out: Atom[] = [];
    if (values === undefined) {
      // The usual case: nothing but one-token values.
      for (const t of toks) {
        const value = this.exprs.literal(t);
        if (value) out.push({ kind: 'Value', value, span: value.span });
      }
      return out;
    }
    const seq = mergeByStart(toks, values);
    for (let i = 0; i < seq.length; i++) {
      const item = seq[i];
      const next = seq[i + 1];
      if (!('image' in item)) {
        if (item.name === 'expr') out.push(...this.valueAtom(item));
      } else if (item.tokenType === T.StrideSlash) {
        if (next && !('image' in next) && next.name === 'unary') {
          i++;
          const ext = this.exprs.unaryExt(next);
          if (ext)
            out.push({
              kind: 'Stride',
              value: ext.e,
              span: this.spans.of(item.startOffset, ext.end),
            });
        }
      } else if (next && 'image' in next && next.tokenType === T.Equals) {
        const valueNode = seq[i + 2];
        i += 2;
        if (!valueNode || 'image' in valueNode || !isReal(item)) continue;
        const ext = this.exprs.exprExt(valueNode);
        if (item.tokenType !== T.Identifier) {
          // As the grammar has it: the value was a whole atom, and the `=` after it fits nowhere.
          this.diagnostics.push(
            diag('CNN1001', `expected a name before \`=\`, found \`${item.image}\``, {
              span: this.spans.token(next),
              help: 'named attributes are written `name=value`, as in `stride=2`',
            }),
          );
          const value = this.exprs.literal(item);
          if (value) out.push({ kind: 'Value', value, span: value.span });
        } else if (ext) {
          const span = this.spans.of(item.startOffset, ext.end);
          out.push({ kind: 'Named', name: this.spans.ident(item), value: ext.e, span });
        }
      } else if (next && !('image' in next) && next.name === 'exprTail') {
        i++;
        const ext = this.exprs.tailExt(item, next);
        if (ext) out.push({ kind: 'Value', value: ext.e, span: this.spans.of(ext.start, ext.end) });
      } else {
        const value = this.exprs.literal(item);
        if (value) out.push({ kind: 'Value', value, span: value.span });
      }
    }
    return out;
  }

  /** A value atom for an `expr` node; its span includes parentheses around the value. */
  private valueAtom(node: CstNode): Atom[] {
    const ext = this.exprs.exprExt(node);
    if (!ext) return [];
    const value = ext.e;
    const span =
      value.span.start === ext.start && value.span.end === ext.end
        ? value.span
        : this.spans.of(ext.start, ext.end);
    return [{ kind: 'Value', value, span }];
  }
}

/** Tokens and nodes (each list in source order) merged into one list in source order. */
function mergeByStart(toks: readonly IToken[], nodes: readonly CstNode[]): (IToken | CstNode)[] {
  const out: (IToken | CstNode)[] = [];
  let t = 0;
  for (const n of nodes) {
    const start = exprStart(n);
    while (t < toks.length && !(toks[t].startOffset > start)) out.push(toks[t++]);
    out.push(n);
  }
  while (t < toks.length) out.push(toks[t++]);
  return out;
}
