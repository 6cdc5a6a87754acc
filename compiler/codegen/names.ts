/**
 * What every code generator's naming shares: a namer that gives each original name (a model or
 * layer name from a source file) one name of the target, stable for the order in which names are
 * first asked for, with `_2`, `_3`, … for a second original that mangles to a taken name; and the
 * rule that cuts a long name to a prefix and a hash of the whole. Each target's escaping module
 * (python-text.ts, ts-text.ts) supplies the mangling itself.
 */

/** FNV-1a over UTF-16 code units: a short stable hash for cut names (not for security). */
export function hash8(s: string): string {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h.toString(16).padStart(8, '0');
}

/**
 * `mangled` (made from `original`) cut to `max` characters when longer: the first max − 9, `_` and
 * 8 hex digits of a hash of the original, so two long names that share a prefix stay apart.
 */
export function cutLongName(mangled: string, original: string, max: number): string {
  return mangled.length > max ? `${mangled.slice(0, max - 9)}_${hash8(original)}` : mangled;
}

/**
 * Names in one namespace of the target: each original name gets one name, stable for the order in
 * which names are first asked for; two originals never share one, and no original gets a reserved
 * or claimed name.
 */
export class Namer {
  private readonly byOriginal = new Map<string, string>();
  private readonly used = new Set<string>();

  constructor(
    /** The target's mangling rule: a legal name close to the original, never a reserved one. */
    private readonly mangle: (original: string) => string,
    private readonly reserved: ReadonlySet<string> = new Set(),
  ) {}

  /**
   * The name of `original`; `key` tells apart two things that want the same original (a model's
   * builder `buildX` and a model named `buildX`).
   */
  name(original: string, key: string = original): string {
    const known = this.byOriginal.get(key);
    if (known !== undefined) return known;
    const base = this.mangle(original);
    let candidate = base;
    for (let k = 2; this.used.has(candidate) || this.reserved.has(candidate); k++)
      candidate = `${base}_${k}`;
    this.byOriginal.set(key, candidate);
    this.used.add(candidate);
    return candidate;
  }

  /** Claims a name for ourselves (a fixed name of the emitted code), so no original gets it. */
  claim(name: string): void {
    this.used.add(name);
  }
}
