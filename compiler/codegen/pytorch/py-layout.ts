/**
 * The fixed layout of emitted Python literals and calls (4-space indent, lines of at most 100
 * columns where the content allows): a value or a call goes on one line when it fits and is
 * otherwise exploded one element per line with a trailing comma, as black lays them out. Strings
 * and numbers go through python-text.ts, the one escaping module for Python targets.
 */
import { pyNumber, pyString } from '../python-text.js';

export const INDENT = '    ';
export const WIDTH = 100;

/** Python source text placed as it is (a name, an expression). */
export class PyCode {
  constructor(readonly code: string) {}
}

export const code = (text: string): PyCode => new PyCode(text);

/** A value emitted as a Python literal: arrays become tuples, objects dicts with string keys. */
export type PyValue =
  | number
  | string
  | boolean
  | null
  | PyCode
  | readonly PyValue[]
  | { readonly [key: string]: PyValue };

function isPlainObject(v: PyValue): v is { readonly [key: string]: PyValue } {
  return typeof v === 'object' && v !== null && !(v instanceof PyCode) && !Array.isArray(v);
}

/** The value on one line. */
export function inline(v: PyValue): string {
  if (v === null) return 'None';
  if (typeof v === 'boolean') return v ? 'True' : 'False';
  if (typeof v === 'number') return pyNumber(v);
  if (typeof v === 'string') return pyString(v);
  if (v instanceof PyCode) return v.code;
  if (Array.isArray(v)) {
    const items = (v as readonly PyValue[]).map(inline);
    return items.length === 1 ? `(${items[0]},)` : `(${items.join(', ')})`;
  }
  const entries = Object.entries(v as { readonly [key: string]: PyValue });
  return `{${entries.map(([k, x]) => `${pyString(k)}: ${inline(x)}`).join(', ')}}`;
}

/**
 * Lines of `prefix + value + suffix` at `indent`: one line when it fits in WIDTH, else the value's
 * elements one per line (recursively), each with a trailing comma.
 */
export function layout(prefix: string, v: PyValue, suffix: string, indent: string): string[] {
  const one = `${indent}${prefix}${inline(v)}${suffix}`;
  const composite = Array.isArray(v) || isPlainObject(v);
  if (one.length <= WIDTH || !composite) return [one];
  const inner = indent + INDENT;
  const [open, close] = Array.isArray(v) ? ['(', ')'] : ['{', '}'];
  const lines = [`${indent}${prefix}${open}`];
  if (Array.isArray(v))
    for (const x of v as readonly PyValue[]) lines.push(...layout('', x, ',', inner));
  else
    for (const [k, x] of Object.entries(v as { readonly [key: string]: PyValue }))
      lines.push(...layout(`${pyString(k)}: `, x, ',', inner));
  lines.push(`${indent}${close}${suffix}`);
  return lines;
}

/**
 * A call `fn(arg, …)`: on one line when it fits, else one argument per line with a trailing
 * comma. Arguments are code (already formatted, e.g. `default=s["lr"]`).
 */
export function call(fn: string, args: readonly string[], indent: string, suffix = ''): string[] {
  const one = `${indent}${fn}(${args.join(', ')})${suffix}`;
  if (one.length <= WIDTH) return [one];
  return [`${indent}${fn}(`, ...args.map((a) => `${indent}${INDENT}${a},`), `${indent})${suffix}`];
}
