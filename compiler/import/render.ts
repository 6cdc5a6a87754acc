/**
 * Writes the nested statements of an imported Keras model as .cnn text, remembering where each
 * statement starts: a compiled node's span starts there, which is how keras.ts finds the cnnc name
 * of every Keras layer without predicting the elaborator's naming.
 */
import { cnnComment } from '../codegen/cnn-text.js';
import type { GraphLayer, Item } from './keras-graph.js';
import type { CodeStmt } from './keras-layers.js';

/** Where a layer's statements start in the text, in statement order. */
export type Offsets = Map<string, number[]>;

/** What the writer needs of a translated layer (keras-layers.ts's Translation has it). */
export type WriterCode =
  | { readonly kind: 'input'; readonly text: string }
  | { readonly kind: 'layer'; readonly stmts: readonly CodeStmt[]; readonly group: boolean }
  | { readonly kind: 'merge'; readonly op: 'add' | 'concat' | 'multiply' };

type InputCode = Extract<WriterCode, { kind: 'input' }>;
type LayerCode = Extract<WriterCode, { kind: 'layer' }>;

/** Layers without a label (`labels` has none for them) are written unlabelled. */
export class Writer<L extends GraphLayer> {
  private parts: string[] = [];
  private length = 0;
  readonly offsets: Offsets = new Map();

  constructor(
    private readonly code: ReadonlyMap<string, WriterCode>,
    private readonly labels: ReadonlyMap<string, string>,
  ) {}

  get text(): string {
    return this.parts.join('');
  }

  raw(s: string): void {
    this.parts.push(s);
    this.length += s.length;
  }

  /** Writes `prefix` + `body` on a line and returns the offset where `body` starts. */
  private line(depth: number, prefix: string, body: string, comment = ''): number {
    this.raw('  '.repeat(depth) + prefix);
    const at = this.length;
    this.raw(`${body}${comment ? `  // ${cnnComment(comment)}` : ''}\n`);
    return at;
  }

  private mark(layer: L, at: number): void {
    const list = this.offsets.get(layer.name) ?? [];
    list.push(at);
    this.offsets.set(layer.name, list);
  }

  private prefix(layer: L): string {
    const label = this.labels.get(layer.name);
    return label === undefined ? '' : `${label}: `;
  }

  input(layer: L, depth: number): void {
    const code = this.code.get(layer.name) as InputCode;
    this.mark(layer, this.line(depth, this.prefix(layer), code.text));
  }

  items(items: readonly Item<L>[], depth: number): void {
    for (const item of items) this.item(item, depth);
  }

  /**
   * `output NAME { … }`: a head on the value so far; `output NAME` when it has no statements (the
   * value so far is the output). `comment`: what the source called the output, when not NAME.
   */
  output(name: string, items: readonly Item<L>[], depth: number, comment = ''): void {
    if (items.length === 0) {
      this.line(depth, '', `output ${name}`, comment);
      return;
    }
    this.line(depth, '', `output ${name} {`, comment);
    this.items(items, depth + 1);
    this.line(depth, '', '}');
  }

  private item(item: Item<L>, depth: number): void {
    switch (item.kind) {
      case 'layer':
        return this.layer(item.layer, depth);
      case 'residual': {
        this.mark(item.merge, this.line(depth, '', 'residual {', item.merge.name));
        this.items(item.body, depth + 1);
        if (item.shortcut) {
          this.line(depth, '', '} shortcut {');
          this.items(item.shortcut, depth + 1);
        }
        this.line(depth, '', '}');
        return;
      }
      case 'merge': {
        const code = this.code.get(item.merge.name);
        const op = code?.kind === 'merge' ? code.op : 'add';
        this.mark(item.merge, this.line(depth, '', `${op} {`, item.merge.name));
        for (const b of item.branches) {
          if (b.length === 0) {
            this.line(depth + 1, '', 'branch { }');
            continue;
          }
          this.line(depth + 1, '', 'branch {');
          this.items(b, depth + 2);
          this.line(depth + 1, '', '}');
        }
        this.line(depth, '', '}');
        return;
      }
    }
  }

  private layer(layer: L, depth: number): void {
    const code = this.code.get(layer.name) as LayerCode;
    const prefix = this.prefix(layer);
    if (code.group) {
      this.line(depth, prefix, '{');
      for (const s of code.stmts)
        this.mark(layer, this.line(depth + 1, s.label ? `${s.label}: ` : '', s.text));
      this.line(depth, '', '}');
      return;
    }
    code.stmts.forEach((s, i) => this.mark(layer, this.line(depth, i === 0 ? prefix : '', s.text)));
  }
}
