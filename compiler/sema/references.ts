/**
 * Named references: `branch from NAME` reads the output of an earlier labelled layer or scope.
 *
 * Every labelled statement (and labelled merge branch) is recorded on its entry in the name tree
 * (naming.ts: `dec3.enc3`, `enc1`, `enc1.conv_a`) with the block call it belongs to (its frame: the
 * root for the model, the call's scope inside a block call). A reference is looked up as a name
 * relative to the scope it is written in, then to each enclosing scope up to its frame: `from enc3`
 * inside the scope `dec3` is `dec3.enc3`, else `enc3`; `from down.pool` walks the labels `down`,
 * then `pool`. Lookups go one label at a time through the tree, never by whole dotted names. What a
 * reference may not reach:
 * - a layer inside another block call (`from enc1.conv_a` where `enc1` is a call, or a model's
 *   label from inside a block body: a block sees only its input and its parameters) — CNN2082;
 * - a layer that comes later, or the statement the reference is written in — CNN2081;
 * - a name no label has (an automatic name such as `conv3` included: it moves when layers are
 *   added) — CNN2080, with a did-you-mean among the labels it could reach.
 */
import { diag, type Diagnostic, type Span } from '../diagnostics/diagnostic.js';
import type { NameEntry } from './naming.js';
import { didYouMean, suggestedEdit } from './suggest.js';

interface Entry {
  /** The statement's output; undefined while it is being elaborated (or when it made nothing). */
  id: number | undefined;
  done: boolean;
  readonly span: Span;
  readonly frame: NameEntry;
}

/** A reference that found nothing yet: judged at the end, when later labels are known. */
interface Pending {
  readonly raw: string;
  readonly span: Span;
  /** The scopes it was looked up in, innermost first. */
  readonly scopes: readonly NameEntry[];
  readonly visible: readonly string[];
  readonly autoName: boolean;
}

export type Resolved = { readonly id: number } | undefined;

/** `entry`, then each enclosing scope up to the root. */
function chainOf(entry: NameEntry): NameEntry[] {
  const out: NameEntry[] = [];
  for (let e: NameEntry | undefined = entry; e; e = e.parent) out.push(e);
  return out;
}

/** The entry of the dotted path `parts` under `from`, if every part exists. */
function walk(from: NameEntry, parts: readonly string[]): NameEntry | undefined {
  let e: NameEntry | undefined = from;
  for (const p of parts) {
    e = e.children.get(p);
    if (!e) return undefined;
  }
  return e;
}

function isWithin(e: NameEntry, ancestor: NameEntry): boolean {
  for (let x: NameEntry | undefined = e; x; x = x.parent) if (x === ancestor) return true;
  return false;
}

export class References {
  private readonly entries = new WeakMap<NameEntry, Entry>();
  /** Labelled entries per scope, for did-you-mean (labels only: short keys). */
  private readonly labels = new WeakMap<NameEntry, string[]>();
  private readonly pending: Pending[] = [];

  constructor(private readonly report: (d: Diagnostic) => void) {}

  /**
   * A labelled statement starts at `entry` (its name in the tree) in block call `frame`: returns
   * the entry to close, or undefined when the name is not new.
   */
  open(entry: NameEntry, span: Span, frame: NameEntry): NameEntry | undefined {
    if (this.entries.has(entry)) return undefined;
    this.entries.set(entry, { id: undefined, done: false, span, frame });
    const parent = entry.parent;
    if (parent) {
      const local = entry.full.slice(entry.full.lastIndexOf('.') + 1);
      const list = this.labels.get(parent);
      if (list) list.push(local);
      else this.labels.set(parent, [local]);
    }
    return entry;
  }

  /** The labelled statement `key` ended with output `id` (undefined: it made nothing). */
  close(key: NameEntry | undefined, id: number | undefined): void {
    if (key === undefined) return;
    const e = this.entries.get(key);
    if (e) {
      e.id = id;
      e.done = true;
    }
  }

  /** Resolves `raw` written in the scope `scope` inside the block call `frame`; reports failures. */
  resolve(raw: string, span: Span, scope: NameEntry, frame: NameEntry): Resolved {
    const parts = raw.split('.');
    const chain = chainOf(scope);
    const cut = chain.indexOf(frame);
    const inFrame = cut < 0 ? chain : chain.slice(0, cut + 1);
    for (const s of inFrame) {
      const target = walk(s, parts);
      const e = target && this.entries.get(target);
      if (!target || !e) continue;
      if (e.frame !== frame) {
        this.intoCall(raw, span, target, e, frame);
        return undefined;
      }
      if (!e.done) {
        this.report(
          diag('CNN2081', `\`${raw}\` is the statement this reference is written in`, {
            span,
            labels: [{ span: e.span, message: `\`${raw}\` starts here` }],
            help: 'a branch can read layers that come before the statement holding it',
          }),
        );
        return undefined;
      }
      if (e.id === undefined) return undefined; // it made no node: reported where it failed
      return { id: e.id };
    }
    // A label outside this block call (the model's, or an enclosing call's).
    for (const s of chain.slice(inFrame.length)) {
      const target = walk(s, parts);
      const e = target && this.entries.get(target);
      if (target && e?.done) {
        this.intoCall(raw, span, target, e, frame);
        return undefined;
      }
    }
    const visible: string[] = [];
    for (const s of inFrame) {
      for (const l of this.labels.get(s) ?? []) {
        const e = this.entries.get(s.children.get(l)!);
        if (e?.done && e.frame === frame) visible.push(l);
      }
    }
    const autoName = inFrame.some((s) => walk(s, parts)?.span !== undefined);
    this.pending.push({ raw, span, scopes: inFrame, visible, autoName });
    return undefined;
  }

  private intoCall(raw: string, span: Span, target: NameEntry, e: Entry, frame: NameEntry): void {
    const inside = e.frame.parent !== undefined && !isWithin(frame, e.frame);
    const call = e.frame.full.slice(e.frame.full.lastIndexOf('.') + 1);
    const message = inside
      ? `\`${raw}\` is inside the block call \`${e.frame.full}\``
      : `\`${raw}\` is outside this block call`;
    const help = inside
      ? `refer to the call's output, \`${call}\`: the layers inside a block call are its own`
      : 'a block sees only its input and its parameters: pass the layer in through a merge around the call';
    this.report(
      diag('CNN2082', message, {
        span,
        labels: [{ span: e.span, message: `\`${target.full}\` is defined here` }],
        help,
      }),
    );
  }

  /** Reports the references that found nothing: later layers (CNN2081), unknown names (CNN2080). */
  finish(): void {
    for (const p of this.pending) {
      const parts = p.raw.split('.');
      const later = p.scopes
        .map((s) => {
          const t = walk(s, parts);
          return t && this.entries.get(t);
        })
        .find((e) => e !== undefined);
      if (later) {
        this.report(
          diag('CNN2081', `\`${p.raw}\` comes later in the model`, {
            span: p.span,
            labels: [{ span: later.span, message: `\`${p.raw}\` is defined here` }],
            help: 'a branch can read only layers that come before it',
          }),
        );
        continue;
      }
      const suggestion = didYouMean(p.raw, p.visible);
      const help = suggestion
        ? `did you mean \`${suggestion}\`?`
        : p.autoName
          ? `\`${p.raw}\` is an automatic name, which moves when layers are added: label the layer (\`skip: conv …\`) and refer to the label`
          : p.visible.length
            ? `labels this branch can read: ${p.visible.slice(0, 8).join(', ')}`
            : 'label an earlier layer (`skip: conv …`) and refer to the label';
      this.report(
        diag('CNN2080', `no earlier layer is labelled \`${p.raw}\``, {
          span: p.span,
          help,
          edit: suggestedEdit(p.span, suggestion),
        }),
      );
    }
    this.pending.length = 0;
  }
}
