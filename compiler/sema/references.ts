/**
 * Named references: `branch from NAME` reads the output of an earlier labelled layer or scope.
 *
 * Every labelled statement (and labelled merge branch) is recorded under its full IR name
 * (`dec3.enc3`, `enc1`, `enc1.conv_a`) with the block call it belongs to (its frame: '' for the
 * model, the call's name inside a block call). A reference is looked up as a name relative to the
 * scope it is written in, then to each enclosing scope, up to its frame: `from enc3` inside the scope
 * `dec3` is `dec3.enc3`, else `enc3`. What a reference may not reach:
 * - a layer inside another block call (`from enc1.conv_a` where `enc1` is a call, or a model's
 *   label from inside a block body: a block sees only its input and its parameters) — CNN2082;
 * - a layer that comes later, or the statement the reference is written in — CNN2081;
 * - a name no label has (an automatic name such as `conv3` included: it moves when layers are
 *   added) — CNN2080, with a did-you-mean among the labels it could reach.
 */
import { diag, type Diagnostic, type Span } from '../diagnostics/diagnostic.js';
import { didYouMean, suggestedEdit } from './suggest.js';

interface Entry {
  /** The statement's output; undefined while it is being elaborated (or when it made nothing). */
  id: number | undefined;
  done: boolean;
  readonly span: Span;
  readonly frame: string;
}

/** A reference that found nothing yet: judged at the end, when later labels are known. */
interface Pending {
  readonly raw: string;
  readonly span: Span;
  readonly keys: readonly string[];
  readonly visible: readonly string[];
  readonly autoName: boolean;
}

export type Resolved = { readonly id: number } | undefined;

function join(prefix: string, name: string): string {
  return prefix ? `${prefix}.${name}` : name;
}

/** `a.b.c` → ['a.b.c', 'a.b', 'a', '']. */
function prefixes(prefix: string): string[] {
  const out: string[] = [];
  let p = prefix;
  for (;;) {
    out.push(p);
    if (p === '') return out;
    const dot = p.lastIndexOf('.');
    p = dot < 0 ? '' : p.slice(0, dot);
  }
}

export class References {
  private readonly entries = new Map<string, Entry>();
  private readonly pending: Pending[] = [];

  constructor(private readonly report: (d: Diagnostic) => void) {}

  /** A labelled statement starts: returns its key, or undefined when the name is not new. */
  open(full: string, span: Span, frame: string): string | undefined {
    if (this.entries.has(full)) return undefined;
    this.entries.set(full, { id: undefined, done: false, span, frame });
    return full;
  }

  /** The labelled statement `key` ended with output `id` (undefined: it made nothing). */
  close(key: string | undefined, id: number | undefined): void {
    if (key === undefined) return;
    const e = this.entries.get(key);
    if (e) {
      e.id = id;
      e.done = true;
    }
  }

  /**
   * Resolves `raw` written in the scope `scope` inside the frame `frame`; reports and returns
   * undefined when it cannot. `isNode(full)`: whether some node (an automatic name) has that name.
   */
  resolve(
    raw: string,
    span: Span,
    scope: string,
    frame: string,
    isNode: (full: string) => boolean,
  ): Resolved {
    const chain = prefixes(scope);
    const inFrame = chain.filter((p) => p === frame || p.startsWith(frame ? `${frame}.` : ''));
    const keys = inFrame.map((p) => join(p, raw));
    for (const key of keys) {
      const e = this.entries.get(key);
      if (!e) continue;
      if (e.frame !== frame) {
        this.intoCall(raw, span, key, e, frame);
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
    for (const p of chain) {
      if (inFrame.includes(p)) continue;
      const e = this.entries.get(join(p, raw));
      if (e && e.done) {
        this.intoCall(raw, span, join(p, raw), e, frame);
        return undefined;
      }
    }
    const visible = new Set<string>();
    for (const [k, e] of this.entries) {
      if (e.frame !== frame || !e.done) continue;
      for (const p of inFrame) {
        if (p === '' || k.startsWith(`${p}.`)) visible.add(p === '' ? k : k.slice(p.length + 1));
      }
    }
    this.pending.push({
      raw,
      span,
      keys,
      visible: [...visible],
      autoName: keys.some((k) => isNode(k)),
    });
    return undefined;
  }

  private intoCall(raw: string, span: Span, key: string, e: Entry, frame: string): void {
    const inside = e.frame !== '' && frame !== e.frame && !frame.startsWith(`${e.frame}.`);
    const message = inside
      ? `\`${raw}\` is inside the block call \`${e.frame}\``
      : `\`${raw}\` is outside this block call`;
    const help = inside
      ? `refer to the call's output, \`${e.frame.slice(e.frame.lastIndexOf('.') + 1)}\`, or label the layer and make it the call's output`
      : 'a block sees only its input and its parameters: pass the layer in through a merge around the call';
    this.report(
      diag('CNN2082', message, {
        span,
        labels: [{ span: e.span, message: `\`${key}\` is defined here` }],
        help,
      }),
    );
  }

  /** Reports the references that found nothing: later layers (CNN2081), unknown names (CNN2080). */
  finish(): void {
    for (const p of this.pending) {
      const later = p.keys.map((k) => this.entries.get(k)).find((e) => e !== undefined);
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
