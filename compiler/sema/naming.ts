/**
 * Hierarchical node names. A scope has a dotted prefix (`stage2.1`); labelled statements use their
 * label, unlabelled layers get the op keyword and a per-scope counter (`conv1`, `conv2`, `bn1`), and
 * unlabelled block calls get their 0-based index among the scope's unlabelled calls (`stage2.0`,
 * `stage2.1`), as PyTorch numbers the children of a Sequential. Names that labels in the scope
 * reserve are skipped by the counters.
 */
import type { Stmt } from '../../grammar/ast.js';

export class NameScope {
  private readonly counters = new Map<string, number>();
  private nextIndex = 0;
  private readonly claimed = new Map<string, import('../diagnostics/diagnostic.js').Span>();

  constructor(
    readonly prefix: string,
    private readonly reserved: ReadonlySet<string>,
    private readonly taken: ReadonlyMap<string, unknown>,
  ) {}

  full(local: string): string {
    return this.prefix ? `${this.prefix}.${local}` : local;
  }

  private free(local: string): boolean {
    return !this.reserved.has(local) && !this.taken.has(this.full(local));
  }

  /** `conv1`, `conv2`, … skipping reserved and taken names. */
  auto(keyword: string): string {
    let n = this.counters.get(keyword) ?? 0;
    let local: string;
    do {
      n++;
      local = `${keyword}${n}`;
    } while (!this.free(local));
    this.counters.set(keyword, n);
    return local;
  }

  /** `shortcut`, then `shortcut2`, … */
  autoPlain(keyword: string): string {
    if (!this.counters.has(keyword) && this.free(keyword)) {
      this.counters.set(keyword, 1);
      return keyword;
    }
    return this.auto(keyword);
  }

  /** The next 0-based index for an unlabelled block call. */
  index(): string {
    let local: string;
    do {
      local = String(this.nextIndex++);
    } while (!this.free(local));
    return local;
  }

  /** Claims a label in this scope; returns the span of an earlier claim, if any. */
  claim(local: string, span: import('../diagnostics/diagnostic.js').Span) {
    const prev = this.claimed.get(local);
    if (!prev) this.claimed.set(local, span);
    return prev;
  }

  child(local: string, body: readonly Stmt[]): NameScope {
    return new NameScope(this.full(local), collectLabels(body), this.taken);
  }
}

/** Labels declared directly in a scope, looking through the constructs that do not open a scope. */
export function collectLabels(body: readonly Stmt[], into = new Set<string>()): Set<string> {
  for (const s of body) {
    if ('label' in s && s.label) into.add(s.label.name);
    else if (s.kind === 'Group' || s.kind === 'Repeat') collectLabels(s.body, into);
    else if (s.kind === 'Residual') collectLabels(s.body, into);
    else if (s.kind === 'Merge') {
      for (const b of s.branches) if (b.label) into.add(b.label.name);
    }
  }
  return into;
}
