/**
 * Checks JSON read from a file (a checkpoint's cnnc.json, a model.json manifest) against the shape
 * its reader expects, field by field, so that a wrong type anywhere is an error that names the file
 * and the field — `cnnc.json: optimizer.slots[2].shape must be a list of sizes; found "x"` — instead
 * of a TypeError deep in a loader. Each reader passes its own error type.
 */
import type { Fail } from './safe-read.js';

function describe(v: unknown): string {
  if (v === undefined) return 'nothing';
  if (Array.isArray(v)) return 'a list';
  const text = JSON.stringify(v) ?? String(v);
  return text.length > 40 ? `${text.slice(0, 37)}…` : text;
}

/** A JSON path segment: `.name`, or `["odd name"]` when the name is not an identifier. */
export function key(at: string, name: string): string {
  return /^[A-Za-z_$][\w$]*$/.test(name)
    ? `${at}${at ? '.' : ''}${name}`
    : `${at}[${JSON.stringify(name)}]`;
}

export class JsonCheck {
  constructor(
    readonly file: string,
    private readonly fail: Fail,
  ) {}

  /** An error naming the file and the field (`at`, empty for the whole document). */
  wrong(at: string, want: string, found: unknown): Error {
    return this.fail(
      `${this.file}: ${at || 'the document'} must be ${want}; found ${describe(found)}`,
    );
  }

  object(v: unknown, at: string): Record<string, unknown> {
    if (typeof v !== 'object' || v === null || Array.isArray(v))
      throw this.wrong(at, 'an object', v);
    return v as Record<string, unknown>;
  }

  array(v: unknown, at: string): unknown[] {
    if (!Array.isArray(v)) throw this.wrong(at, 'a list', v);
    return v;
  }

  string(v: unknown, at: string): string {
    if (typeof v !== 'string') throw this.wrong(at, 'a string', v);
    return v;
  }

  number(v: unknown, at: string): number {
    if (typeof v !== 'number' || !Number.isFinite(v)) throw this.wrong(at, 'a number', v);
    return v;
  }

  /** A non-negative safe integer: a count, an index, a size. */
  count(v: unknown, at: string): number {
    if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 0)
      throw this.wrong(at, 'a size (a whole number ≥ 0)', v);
    return v;
  }

  /** A tensor shape: a list of sizes. */
  shape(v: unknown, at: string): number[] {
    return this.array(v, at).map((d, i) => this.count(d, `${at}[${i}]`));
  }

  /** A list of strings. */
  strings(v: unknown, at: string): string[] {
    return this.array(v, at).map((s, i) => this.string(s, `${at}[${i}]`));
  }
}
