/**
 * Values of evaluated expressions, and the helpers the elaborator uses to convert them into
 * attribute values. Pure; no diagnostics here (callers report).
 */
export type Value =
  | { readonly kind: 'int'; readonly value: number }
  | { readonly kind: 'float'; readonly value: number }
  | { readonly kind: 'bool'; readonly value: boolean }
  | { readonly kind: 'string'; readonly value: string }
  /** A dims literal: numbers, symbols (`H`) and unknowns (null). */
  | { readonly kind: 'dims'; readonly parts: readonly (number | string | null)[] }
  | { readonly kind: 'tuple'; readonly items: readonly Value[] }
  /** A bare word that names no variable: `same`, `relu`. Only some attributes accept it. */
  | { readonly kind: 'word'; readonly value: string };

export function num(value: number): Value {
  return Number.isInteger(value) ? { kind: 'int', value } : { kind: 'float', value };
}

export function describe(v: Value): string {
  switch (v.kind) {
    case 'int':
    case 'float':
      return String(v.value);
    case 'bool':
      return String(v.value);
    case 'string':
      return JSON.stringify(v.value);
    case 'dims':
      return v.parts.map((p) => (p === null ? '?' : String(p))).join('x');
    case 'tuple':
      return `(${v.items.map(describe).join(', ')})`;
    case 'word':
      return v.value;
  }
}

export function typeName(v: Value): string {
  switch (v.kind) {
    case 'int':
      return 'an integer';
    case 'float':
      return 'a number';
    case 'bool':
      return 'a boolean';
    case 'string':
      return 'a string';
    case 'dims':
      return 'a size';
    case 'tuple':
      return 'a tuple';
    case 'word':
      return `the word \`${v.value}\``;
  }
}

/** An integer, or null. Floats with an integral value count (e.g. `c / 2` = 32). */
export function asInt(v: Value): number | null {
  if ((v.kind === 'int' || v.kind === 'float') && Number.isInteger(v.value)) return v.value;
  return null;
}

export function asNumber(v: Value): number | null {
  if (v.kind === 'int' || v.kind === 'float') return v.value;
  return null;
}

/** A list of integers from an int, a dims literal of numbers, or a tuple of ints. */
export function asInts(v: Value): number[] | null {
  const i = asInt(v);
  if (i !== null) return [i];
  if (v.kind === 'dims') {
    return v.parts.every((p): p is number => typeof p === 'number') ? [...v.parts] : null;
  }
  if (v.kind === 'tuple') {
    const out: number[] = [];
    for (const item of v.items) {
      const n = asInt(item);
      if (n === null) return null;
      out.push(n);
    }
    return out;
  }
  return null;
}

export function truthy(v: Value): boolean | null {
  return v.kind === 'bool' ? v.value : null;
}
