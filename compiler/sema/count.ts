/**
 * Exact counts of parameters, MACs and bytes. A model may have more than 2^53 of them
 * (`input 1000000x1000000x3` and a conv: 1.7·10^18 MACs), where a double keeps only the leading
 * digits; a Count is a number while it is a safe integer and a bigint beyond, so the common case
 * stays a plain number and the rare huge one stays exact. Ratios and comparisons with budgets use
 * toNumber (the nearest double).
 *
 * In JSON (summaries, the IR) a count beyond Number.MAX_SAFE_INTEGER is a string of digits, since
 * JSON readers parse numbers as doubles (docs/ir.schema.json, `count`).
 */
export type Count = number | bigint;

const SAFE = BigInt(Number.MAX_SAFE_INTEGER);

/** `x` as a number when it is a safe integer, else as a bigint. */
export function exact(x: bigint): Count {
  return x <= SAFE && x >= -SAFE ? Number(x) : x;
}

function big(c: Count): bigint {
  return typeof c === 'bigint' ? c : BigInt(c);
}

export function addCounts(a: Count, b: Count): Count {
  if (typeof a === 'number' && typeof b === 'number') {
    const s = a + b;
    if (Number.isSafeInteger(s)) return s;
  }
  return exact(big(a) + big(b));
}

export function subCounts(a: Count, b: Count): Count {
  if (typeof a === 'number' && typeof b === 'number') {
    const s = a - b;
    if (Number.isSafeInteger(s)) return s;
  }
  return exact(big(a) - big(b));
}

export function mulCounts(a: Count, b: Count): Count {
  if (typeof a === 'number' && typeof b === 'number') {
    const p = a * b;
    if (Number.isSafeInteger(p)) return p;
  }
  return exact(big(a) * big(b));
}

/** The product of integer sizes, exactly. */
export function productCount(dims: readonly number[]): Count {
  let p: Count = 1;
  for (const d of dims) p = mulCounts(p, d);
  return p;
}

export function sumCounts(xs: Iterable<Count>): Count {
  let s: Count = 0;
  for (const x of xs) s = addCounts(s, x);
  return s;
}

/** The nearest double. */
export function toNumber(c: Count): number {
  return Number(c);
}

/** A count for JSON: a number, or a string of digits beyond 2^53 − 1. */
export function countJson(c: Count): number | string {
  return typeof c === 'bigint' ? c.toString() : c;
}

/** `count` with thousands separators: 61,706; 1,728,000,000,000,000,001. */
export function formatExact(c: Count): string {
  return c.toLocaleString('en-US');
}

/** A JSON.stringify replacer writing every count as countJson does (a bigint as its digits). */
export function countReplacer(_key: string, value: unknown): unknown {
  return typeof value === 'bigint' ? value.toString() : value;
}
