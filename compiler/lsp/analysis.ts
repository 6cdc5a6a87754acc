/**
 * Everything the providers know about one version of one document: the compile of the file, its
 * syntax tree, and which IR nodes each of its statements produced. Built once per version by the
 * workspace (workspace.ts) and read by every provider. The `--explain` arithmetic costs time on
 * large files and only hover shows it: it comes from a second compile, made on the first hover.
 */
import { TextDocument } from 'vscode-languageserver-textdocument';
import type { Location, Position, Range } from 'vscode-languageserver/node';
import { sortDiagnostics, type Diagnostic, type Span } from '../diagnostics/diagnostic.js';
import type { Node } from '../ir/graph.js';
import type { CompiledModel, CompileResult } from '../program.js';
import { fileUrl } from '../sema/host-path.js';
import type { Module } from '../sema/resolve.js';

/** One IR node produced by a statement, in one of the file's compiled models. */
export interface Produced {
  readonly model: CompiledModel;
  readonly node: Node;
}

export class Analysis {
  private anchorIndex: Map<string, Produced[]> | undefined;
  private readonly docs = new Map<string, TextDocument>();
  private explained: CompileResult | undefined;

  constructor(
    readonly uri: string,
    /** Absolute path (a made-up one for a document that is not a file). */
    readonly path: string,
    /** The path spans and diagnostics use. */
    readonly display: string,
    readonly version: number,
    readonly text: string,
    readonly result: CompileResult,
    /** The same compile with the `--explain` arithmetic. */
    private readonly explain: () => CompileResult,
  ) {}

  /** The arithmetic behind a node's output size (`cnnc summary --explain`). */
  explainLines(model: string, nodeId: number): readonly string[] {
    this.explained ??= this.explain();
    const m = this.explained.models.find((x) => x.graph.model === model);
    return m?.explain.get(nodeId) ?? [];
  }

  /** The file's declarations, imports and syntax tree. */
  get module(): Module | undefined {
    return this.result.entry;
  }

  /** This document's text, for offsets and positions. */
  get document(): TextDocument {
    return this.docOf(this.display)!;
  }

  /** The module of a file this analysis read (this document or an import), by display path. */
  moduleOf(display: string): Module | undefined {
    const seen = new Set<Module>();
    const find = (m: Module | undefined): Module | undefined => {
      if (!m || seen.has(m)) return undefined;
      seen.add(m);
      if (m.display === display) return m;
      for (const i of m.imports) {
        const hit = find(i);
        if (hit) return hit;
      }
      return undefined;
    };
    return find(this.module);
  }

  /** The text of a file this analysis read, as a document (for positions). */
  docOf(display: string): TextDocument | undefined {
    const cached = this.docs.get(display);
    if (cached) return cached;
    const text = display === this.display ? this.text : this.result.sources.get(display);
    if (text === undefined) return undefined;
    const doc = TextDocument.create(this.uriOf(display), 'cnn', 0, text);
    this.docs.set(display, doc);
    return doc;
  }

  uriOf(display: string): string {
    if (display === this.display) return this.uri;
    const m = this.moduleOf(display);
    return m ? fileUrl(m.path) : display;
  }

  offsetAt(p: Position): number {
    return this.document.offsetAt(p);
  }

  /** The range of a span of this document. */
  range(span: { start: number; end: number }): Range {
    const d = this.document;
    return { start: d.positionAt(span.start), end: d.positionAt(span.end) };
  }

  /** Where a span is, in this document or in a file it imports. */
  locate(span: Span): Location | undefined {
    const d = this.docOf(span.file);
    if (!d) return undefined;
    return {
      uri: this.uriOf(span.file),
      range: { start: d.positionAt(span.start), end: d.positionAt(span.end) },
    };
  }

  /** Diagnostics located in this document (and those located nowhere), in the CLI's order. */
  get diagnostics(): Diagnostic[] {
    return sortDiagnostics(
      this.result.diagnostics.filter((d) => !d.span || d.span.file === this.display),
    );
  }

  /**
   * The IR nodes a statement of this file produced: those whose span is the statement's (a layer,
   * the merge of a residual), or that a call at the statement produced (`stage1: basic_stage(64)`),
   * in every compiled model, in graph order.
   */
  produced(span: Span): readonly Produced[] {
    return this.anchors().get(key(span)) ?? [];
  }

  /** Every statement span of this file that produced something, with what it produced. */
  allProduced(): ReadonlyMap<string, Produced[]> {
    return this.anchors();
  }

  private anchors(): Map<string, Produced[]> {
    if (this.anchorIndex) return this.anchorIndex;
    const index = new Map<string, Produced[]>();
    const add = (span: Span, p: Produced) => {
      if (span.file !== this.display) return;
      const k = key(span);
      const list = index.get(k);
      if (list) list.push(p);
      else index.set(k, [p]);
    };
    for (const model of this.result.models) {
      for (const node of model.graph.nodes) {
        const p = { model, node };
        add(node.span, p);
        for (const site of node.callSites ?? []) add(site, p);
      }
    }
    this.anchorIndex = index;
    return index;
  }
}

export function key(span: { start: number; end: number }): string {
  return `${span.start}:${span.end}`;
}

/**
 * What one statement produced, split into instances (one per call of the enclosing block, one per
 * model): a run of consecutive nodes of one model. The last node of a run is the instance's output.
 */
export function instances(produced: readonly Produced[]): Produced[][] {
  const runs: Produced[][] = [];
  for (const p of produced) {
    const run = runs[runs.length - 1];
    const prev = run?.[run.length - 1];
    if (prev && prev.model === p.model && prev.node.id + 1 === p.node.id) run.push(p);
    else runs.push([p]);
  }
  return runs;
}
