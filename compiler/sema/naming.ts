/**
 * Hierarchical node names. A scope has a dotted prefix (`stage2.1`); labelled statements use their
 * label, unlabelled layers get the op keyword and a per-scope counter (`conv1`, `conv2`, `bn1`), and
 * unlabelled block calls get their 0-based index among the scope's unlabelled calls (`stage2.0`,
 * `stage2.1`), as PyTorch numbers the children of a Sequential. Names that labels in the scope
 * reserve are skipped by the counters.
 */
import type { Stmt } from '../../grammar/ast.js';
import type { Span } from '../diagnostics/diagnostic.js';

/**
 * The names given so far, as a tree of their dotted parts. Names are looked up one part at a time
 * in the scope that holds them, never whole: a name under fifty long labels is as cheap to check as
 * a short one (hashing whole names cost time in their length, and V8 hashes strings over 16 K
 * characters by their length alone, so long names that differ only at the end all collided).
 */
export interface NameEntry {
  /** The dotted name; built from the parent's, so names share their prefixes. */
  readonly full: string;
  readonly children: Map<string, NameEntry>;
  /** The enclosing scope's entry (absent at the root). */
  readonly parent?: NameEntry;
  /** Where the node of this exact name comes from; undefined while no node has it. */
  span?: Span;
}

export function nameTree(): NameEntry {
  return { full: '', children: new Map() };
}

function childEntry(parent: NameEntry, local: string): NameEntry {
  let e = parent.children.get(local);
  if (!e) {
    e = { full: parent.full ? `${parent.full}.${local}` : local, children: new Map(), parent };
    parent.children.set(local, e);
  }
  return e;
}

export class NameScope {
  private readonly counters = new Map<string, number>();
  private nextIndex = 0;
  private readonly claimed = new Map<string, Span>();

  constructor(
    private readonly entry: NameEntry,
    private readonly reserved: ReadonlySet<string>,
  ) {}

  get prefix(): string {
    return this.entry.full;
  }

  /** This scope's entry in the name tree (named references walk it: references.ts). */
  get node(): NameEntry {
    return this.entry;
  }

  /** The entry of `local` in this scope, made if needed. */
  entryOf(local: string): NameEntry {
    return childEntry(this.entry, local);
  }

  full(local: string): string {
    return this.entry.full ? `${this.entry.full}.${local}` : local;
  }

  /** Where the node named `local` in this scope comes from, if one has that name already. */
  taken(local: string): Span | undefined {
    return this.entry.children.get(local)?.span;
  }

  /** Gives `local` in this scope to a node from `span`; returns the full name. */
  take(local: string, span: Span): string {
    const e = childEntry(this.entry, local);
    e.span = span;
    return e.full;
  }

  private free(local: string): boolean {
    return !this.reserved.has(local) && this.taken(local) === undefined;
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
  claim(local: string, span: Span): Span | undefined {
    const prev = this.claimed.get(local);
    if (!prev) this.claimed.set(local, span);
    return prev;
  }

  child(local: string, body: readonly Stmt[]): NameScope {
    return new NameScope(childEntry(this.entry, local), collectLabels(body));
  }
}

/** Labels declared directly in a scope, looking through the constructs that do not open a scope. */
export function collectLabels(body: readonly Stmt[], into = new Set<string>()): Set<string> {
  for (const s of body) {
    if ('label' in s && s.label) into.add(s.label.name);
    else if (s.kind === 'Group' || s.kind === 'Repeat') collectLabels(s.body, into);
    else if (s.kind === 'Residual') collectLabels(s.body, into);
    else if (s.kind === 'If') {
      collectLabels(s.then, into);
      if (s.otherwise) collectLabels(s.otherwise, into);
    } else if (s.kind === 'Merge') {
      for (const b of s.branches) if (b.label) into.add(b.label.name);
    } else if (s.kind === 'Output' && s.body?.length) into.add(s.name.name);
  }
  return into;
}
