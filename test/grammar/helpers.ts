/**
 * Helpers for the grammar tests: parse a snippet, read the text under a span, print an expression as
 * an s-expression so that precedence tables stay readable.
 */
import { expect } from 'vitest';
import { parseFile } from '../../grammar/index.js';
import type { Atom, Expr, FileAst, Stmt } from '../../grammar/index.js';
import type { Diagnostic, Result, Span } from '../../compiler/diagnostics/diagnostic.js';

export const FILE = 'test.cnn';

export function parse(text: string): Result<FileAst> {
  return parseFile(text, FILE);
}

/** Parse and require zero diagnostics. */
export function parseClean(text: string): FileAst {
  const r = parse(text);
  expect(r.diagnostics.map((d) => `${d.code} ${d.message}`)).toEqual([]);
  return r.value;
}

/** The statements of `model M { <body> }`, which must parse cleanly. */
export function body(stmts: string): readonly Stmt[] {
  const decl = parseClean(`model M {\n${stmts}\n}`).decls[0];
  if (decl?.kind !== 'Model') throw new Error('no model');
  return decl.body;
}

/** The one statement of `model M { <stmt> }`. */
export function stmt(text: string): Stmt {
  const stmts = body(text);
  expect(stmts).toHaveLength(1);
  return stmts[0];
}

/** The atoms of the one simple statement `text`. */
export function atoms(text: string): readonly Atom[] {
  const s = stmt(text);
  if (s.kind !== 'Simple') throw new Error(`not a simple statement: ${s.kind}`);
  return s.atoms;
}

/** The expression `text`, as the default value of a block parameter (always an expression). */
export function expr(text: string): Expr {
  const decl = parseClean(`block b(x: int = ${text}) {}`).decls[0];
  if (decl?.kind !== 'Block' || !decl.params[0]?.default) throw new Error('no default');
  return decl.params[0].default;
}

/** `(+ 1 (* 2 3))`: operators first, members as `(. a b)`, unary minus as `(neg a)`. */
export function sexpr(e: Expr): string {
  switch (e.kind) {
    case 'Number':
      return e.raw;
    case 'String':
      return JSON.stringify(e.value);
    case 'Bool':
      return String(e.value);
    case 'Dims':
      return e.raw;
    case 'Name':
      return e.name;
    case 'In':
      return 'in';
    case 'Member':
      return `(. ${sexpr(e.object)} ${e.member.name})`;
    case 'Unary':
      return `(${e.op === '-' ? 'neg' : 'not'} ${sexpr(e.operand)})`;
    case 'Binary':
      return `(${e.op} ${sexpr(e.left)} ${sexpr(e.right)})`;
    case 'Cond':
      return `(if ${sexpr(e.test)} ${sexpr(e.then)} ${sexpr(e.otherwise)})`;
    case 'Call':
      return `(${e.callee.name}${e.args.map((a) => ` ${sexpr(a.value)}`).join('')})`;
    case 'Tuple':
      return `(tuple${e.items.map((a) => ` ${a.name ? `${a.name.name}=` : ''}${sexpr(a.value)}`).join('')})`;
  }
}

/** `Stride:2`, `Named:stride=1`, `Value:(+ a 1)`. */
export function showAtom(a: Atom): string {
  if (a.kind === 'Named') return `Named:${a.name.name}=${sexpr(a.value)}`;
  return `${a.kind}:${sexpr(a.value)}`;
}

export function textOf(text: string, span: Span | undefined): string {
  if (!span) return '<no span>';
  expect(span.file).toBe(FILE);
  return text.slice(span.start, span.end);
}

/** Each diagnostic as `[code, text under its primary span]`, in order. */
export function codesAndText(text: string, diagnostics: readonly Diagnostic[]): [string, string][] {
  return diagnostics.map((d) => [d.code, textOf(text, d.span)]);
}

/** Every span in an AST (or any value), for range checks. */
export function allSpans(x: unknown, out: Span[] = []): Span[] {
  if (Array.isArray(x)) {
    for (const v of x) allSpans(v, out);
  } else if (x !== null && typeof x === 'object') {
    for (const [k, v] of Object.entries(x)) {
      if ((k === 'span' || k === 'opSpan' || k === 'typeSpan') && v) out.push(v as Span);
      else allSpans(v, out);
    }
  }
  return out;
}
