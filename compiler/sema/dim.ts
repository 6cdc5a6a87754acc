/**
 * Sizes that may be symbolic. A dimension is a concrete integer, a symbolic affine size
 * `(num/den)·S + add` of one input symbol S (`H`, `W`, or `?` written in an input shape), or unknown
 * (null: the product of two symbolic sizes, or the output of a poisoned layer).
 *
 * Floor and ceiling divisions of a symbolic size stay affine by assuming the symbol is a multiple of
 * some M: floor((c·S + b) / s) = (c/s)·S + floor(b/s) whenever c·S is a multiple of s. The assumptions
 * are collected in a SymbolEnv, and the checker reports them ("H must be a multiple of 32"), together
 * with the smallest size that keeps every layer's output positive.
 */

export interface SymDim {
  readonly sym: string;
  /** Coefficient numerator and denominator, reduced, both positive. */
  readonly num: number;
  readonly den: number;
  readonly add: number;
}

export type Dim = number | SymDim | null;

export interface SymbolInfo {
  /** Display name: `H`, or `?` for an unnamed size. */
  readonly display: string;
  /** What the symbol stands for: "input height". */
  readonly role: string;
  /** The symbol is assumed to be a multiple of this. */
  multipleOf: number;
  /** The symbol must be at least this for every output size to stay positive. */
  min: number;
}

/** The assumptions made about the symbols of one model. */
export class SymbolEnv {
  readonly symbols = new Map<string, SymbolInfo>();

  declare(sym: string, display: string, role: string): void {
    if (!this.symbols.has(sym)) this.symbols.set(sym, { display, role, multipleOf: 1, min: 1 });
  }

  info(sym: string): SymbolInfo {
    let info = this.symbols.get(sym);
    if (!info) {
      info = { display: sym, role: sym, multipleOf: 1, min: 1 };
      this.symbols.set(sym, info);
    }
    return info;
  }
}

export function gcd(a: number, b: number): number {
  a = Math.abs(a);
  b = Math.abs(b);
  while (b) [a, b] = [b, a % b];
  return a;
}

export function lcm(a: number, b: number): number {
  return (a / gcd(a, b)) * b;
}

export function sym(name: string): SymDim {
  return { sym: name, num: 1, den: 1, add: 0 };
}

function makeSym(s: string, num: number, den: number, add: number): Dim {
  if (num === 0) return add;
  const g = gcd(num, den);
  return { sym: s, num: num / g, den: den / g, add };
}

export function isConcrete(d: Dim): d is number {
  return typeof d === 'number';
}

export function isSym(d: Dim): d is SymDim {
  return d !== null && typeof d === 'object';
}

/** d + k */
export function addConst(d: Dim, k: number): Dim {
  if (d === null) return null;
  if (typeof d === 'number') return d + k;
  return { ...d, add: d.add + k };
}

/** d · k for a positive integer k. */
export function mulConst(d: Dim, k: number): Dim {
  if (d === null) return null;
  if (typeof d === 'number') return d * k;
  return makeSym(d.sym, d.num * k, d.den, d.add * k);
}

/** Make c·S a multiple of s for every admissible S, strengthening the symbol's assumption. */
function requireDivisible(d: SymDim, s: number, env: SymbolEnv): void {
  const info = env.info(d.sym);
  // c·M = num·M/den is an integer by construction; make it a multiple of s.
  const cm = (d.num * info.multipleOf) / d.den;
  if (cm % s !== 0) info.multipleOf *= s / gcd(cm, s);
}

/** floor(d / s) for a positive integer s. */
export function floorDiv(d: Dim, s: number, env: SymbolEnv): Dim {
  if (d === null) return null;
  if (typeof d === 'number') return Math.floor(d / s);
  if (s === 1) return d;
  requireDivisible(d, s, env);
  return makeSym(d.sym, d.num, d.den * s, Math.floor(d.add / s));
}

/** ceil(d / s) for a positive integer s. */
export function ceilDiv(d: Dim, s: number, env: SymbolEnv): Dim {
  if (d === null) return null;
  if (typeof d === 'number') return Math.ceil(d / s);
  if (s === 1) return d;
  requireDivisible(d, s, env);
  return makeSym(d.sym, d.num, d.den * s, Math.ceil(d.add / s));
}

/** Structural equality: true only when provably equal. */
export function dimEquals(a: Dim, b: Dim): boolean {
  if (a === null || b === null) return false;
  if (typeof a === 'number' || typeof b === 'number') return a === b;
  return a.sym === b.sym && a.num === b.num && a.den === b.den && a.add === b.add;
}

/** Record that d ≥ k must hold; returns false when it cannot hold (a concrete d < k). */
export function requireAtLeast(d: Dim, k: number, env: SymbolEnv): boolean {
  if (d === null) return true;
  if (typeof d === 'number') return d >= k;
  // (num/den)·S + add ≥ k  ⇔  S ≥ (k − add)·den/num
  const info = env.info(d.sym);
  const bound = Math.ceil(((k - d.add) * d.den) / d.num);
  if (bound > info.min) info.min = bound;
  return true;
}

/** The smallest admissible value of a symbol: at least `min`, and a multiple of `multipleOf`. */
export function smallestAdmissible(info: SymbolInfo): number {
  const m = info.multipleOf;
  return Math.max(m, Math.ceil(info.min / m) * m);
}

/** Substitute a value for the symbol (used to evaluate an example size). */
export function evalDim(d: Dim, values: ReadonlyMap<string, number>): number | null {
  if (d === null) return null;
  if (typeof d === 'number') return d;
  const v = values.get(d.sym);
  if (v === undefined) return null;
  return (d.num * v) / d.den + d.add;
}

/** `224`, `H/32`, `3H/2+1`, `?/4`, `?` for unknown. */
export function formatDim(d: Dim, env?: SymbolEnv): string {
  if (d === null) return '?';
  if (typeof d === 'number') return String(d);
  const name = env?.symbols.get(d.sym)?.display ?? d.sym;
  let s = d.num === 1 ? name : `${d.num}${name}`;
  if (d.den !== 1) s += `/${d.den}`;
  if (d.add > 0) s += `+${d.add}`;
  else if (d.add < 0) s += `-${-d.add}`;
  return s;
}

export function formatShape(shape: readonly Dim[], env?: SymbolEnv): string {
  return shape.map((d) => formatDim(d, env)).join('x');
}

/** Product of concrete dims, or null when any is symbolic or unknown. */
export function product(shape: readonly Dim[]): number | null {
  let p = 1;
  for (const d of shape) {
    if (typeof d !== 'number') return null;
    p *= d;
  }
  return p;
}
