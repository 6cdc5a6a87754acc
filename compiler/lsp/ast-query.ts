/**
 * Questions about a file's syntax tree that several providers ask: which declarations and
 * statements enclose an offset, and every statement of a file in source order.
 */
import type { Branch, Decl, FileAst, Ident, Stmt } from '../../grammar/index.js';

/** A node of the tree that holds statements or is one. */
export type TreeNode = Decl | Stmt | Branch;

/** Where a node's text starts: its label when it has one. */
export function startOf(n: TreeNode): number {
  return 'label' in n && n.label ? n.label.span.start : n.span.start;
}

/** The nodes directly inside `n`: body statements, branches, groups of bindings. */
export function childrenOf(n: TreeNode): readonly TreeNode[] {
  if (!('kind' in n)) return n.body; // a branch
  switch (n.kind) {
    case 'Import':
    case 'Freeze':
    case 'Cut':
    case 'Budget':
      return [];
    case 'Model':
    case 'Block':
    case 'Group':
    case 'Repeat':
    case 'Replace':
    case 'Append':
    case 'Train':
      return n.body;
    case 'Residual':
      return n.shortcut ? [...n.body, ...n.shortcut.body] : n.body;
    case 'If':
      return n.otherwise ? [...n.then, ...n.otherwise] : n.then;
    case 'Merge':
      return n.branches;
    case 'Output':
      return n.body ?? [];
    case 'Let':
      return n.bindings.flatMap((b) => (b.value.kind === 'Group' ? [b.value] : []));
    case 'Simple':
      return n.with.flatMap((b) => (b.value.kind === 'Group' ? [b.value] : []));
  }
}

/** The nodes containing `offset` (both ends included), outermost first. */
export function pathAt(ast: FileAst, offset: number): TreeNode[] {
  const out: TreeNode[] = [];
  let level: readonly TreeNode[] = ast.decls;
  for (;;) {
    const hit = level.find((n) => startOf(n) <= offset && offset <= n.span.end);
    if (!hit) return out;
    out.push(hit);
    level = childrenOf(hit);
  }
}

/** Every declaration and statement of a file, depth first in source order. */
export function* allNodes(ast: FileAst): Generator<TreeNode> {
  const visit = function* (ns: readonly TreeNode[]): Generator<TreeNode> {
    for (const n of ns) {
      yield n;
      yield* visit(childrenOf(n));
    }
  };
  yield* visit(ast.decls);
}

/** The label of a node, if it has one. */
export function labelOf(n: TreeNode): Ident | undefined {
  return 'label' in n ? n.label : undefined;
}

export function contains(span: { start: number; end: number }, offset: number): boolean {
  return span.start <= offset && offset <= span.end;
}
