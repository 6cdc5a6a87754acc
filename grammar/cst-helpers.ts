/**
 * Reading chevrotain CST nodes defensively. After error recovery a node may lack any child, and
 * tokens inserted by recovery have no text and no offsets: every accessor here returns only children
 * that exist and tokens that were really in the source, so callers can skip what is broken.
 */
import type { CstElement, CstNode, IToken } from 'chevrotain';
import type { Span } from '../compiler/diagnostics/diagnostic.js';
import type { Ident } from './ast.js';

function isNode(e: CstElement): e is CstNode {
  return (e as Partial<CstNode>).children !== undefined;
}

/** A token that is really in the source (not inserted by error recovery). */
export function isReal(t: IToken): boolean {
  return t.isInsertedInRecovery !== true && Number.isFinite(t.startOffset);
}

export function nodes(n: CstNode, key: string): CstNode[] {
  const kids = n.children[key];
  if (kids === undefined) return [];
  const out: CstNode[] = [];
  for (const k of kids) if (isNode(k)) out.push(k);
  return out;
}

export function node(n: CstNode, key: string): CstNode | undefined {
  const kids = n.children[key];
  if (kids === undefined) return undefined;
  for (const k of kids) if (isNode(k)) return k;
  return undefined;
}

export function tokens(n: CstNode, key: string): IToken[] {
  const kids = n.children[key];
  if (kids === undefined) return [];
  const out: IToken[] = [];
  for (const k of kids) if (!isNode(k) && isReal(k)) out.push(k);
  return out;
}

export function token(n: CstNode, key: string): IToken | undefined {
  const kids = n.children[key];
  if (kids === undefined) return undefined;
  for (const k of kids) if (!isNode(k) && isReal(k)) return k;
  return undefined;
}

/** Number of children under `key`, real or not (used to see whether recovery dropped some). */
export function count(n: CstNode, key: string): number {
  return n.children[key]?.length ?? 0;
}

/** Builds spans for one file. */
export class Spans {
  constructor(readonly file: string) {}

  of(start: number, end: number): Span {
    return { file: this.file, start, end };
  }

  token(t: IToken): Span {
    return this.of(t.startOffset, t.startOffset + t.image.length);
  }

  /** From `start` to the furthest end of `a`, `b`, `c` (ignoring missing ones), at least `start`. */
  from(start: number, a?: Span, b?: Span, c?: Span): Span {
    let end = start;
    if (a !== undefined && a.end > end) end = a.end;
    if (b !== undefined && b.end > end) end = b.end;
    if (c !== undefined && c.end > end) end = c.end;
    return this.of(start, end);
  }

  /** From the start of `a` to the end of `b`. */
  join(a: Span, b: Span): Span {
    return this.of(Math.min(a.start, b.start), Math.max(a.end, b.end));
  }

  ident(t: IToken): Ident {
    return { kind: 'Ident', name: t.image, span: this.token(t) };
  }
}
