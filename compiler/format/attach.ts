/**
 * Where each comment belongs, for prettier's comment attachment (the plugin's `handleComments`).
 * prettier finds the innermost node that encloses a comment; this decides the rest from the
 * structure of that node:
 *
 * - inside one of its `{ … }` bodies, between statements: a comment on the line of the statement
 *   before it trails that statement (`conv 6 5x5  // 28x28x6`); one written against the statement
 *   after it, or on lines of its own, leads that statement; one on the line of the `{`, followed by
 *   a line break, stays there (marker `open:K` for body K); in an empty body it is `body:K`;
 * - anywhere else in the node (a header like `repeat 3 as i`, the inside of a statement): marker
 *   `header`, printed where it stands among the tokens.
 *
 * At the top of the file the declarations are the statements of a body without braces.
 */
import type { FileAst } from '../../grammar/index.js';
import { bodiesOf, nodeStart, type FmtComment, type FmtNode, type Source } from './source.js';

export interface Attacher {
  addLeading(node: object, comment: FmtComment): void;
  addTrailing(node: object, comment: FmtComment): void;
  addDangling(node: object, comment: FmtComment, marker: string): void;
}

function hasNewline(text: string, from: number, to: number): boolean {
  for (let i = from; i < to; i++) {
    const c = text.charCodeAt(i);
    if (c === 10 || c === 13) return true;
  }
  return false;
}

/** Only spaces (no line break, no token) between `from` and `to`. */
function onlySpaces(text: string, from: number, to: number): boolean {
  return /^[ \t\f\v\uFEFF]*$/.test(text.slice(from, to));
}

export function attachComment(
  src: Source,
  root: FileAst,
  enclosing: FmtNode | undefined,
  comment: FmtComment,
  a: Attacher,
): void {
  const start = comment.span.start;
  const end = comment.span.end;
  const owner: FmtNode | FileAst = enclosing ?? root;
  const bodies =
    'decls' in owner
      ? [{ open: -1, close: src.text.length, items: owner.decls }]
      : bodiesOf(src, owner);
  const k = bodies.findIndex((b) => b.open < start && end <= b.close);
  if (k < 0) {
    a.addDangling(owner, comment, 'header');
    return;
  }
  const { open, items } = bodies[k];
  let prev: FmtNode | undefined;
  let next: FmtNode | undefined;
  for (const item of items) {
    if (item.span.end <= start) prev = item;
    else if (next === undefined && nodeStart(item) >= end) next = item;
  }
  const text = src.text;
  if (next && onlySpaces(text, end, nodeStart(next))) a.addLeading(next, comment);
  else if (prev && !hasNewline(text, prev.span.end, start)) a.addTrailing(prev, comment);
  else if (!prev && open >= 0 && !hasNewline(text, open, start) && next)
    a.addDangling(owner, comment, `open:${k}`);
  else if (next) a.addLeading(next, comment);
  else if (prev) a.addTrailing(prev, comment);
  else
    a.addDangling(
      owner,
      comment,
      open >= 0 && !hasNewline(text, open, start) ? `open:${k}` : `body:${k}`,
    );
}
