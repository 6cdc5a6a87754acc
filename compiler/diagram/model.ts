/**
 * A compiled model's diagram data: one layer per IR node, with its op, output shape, frozen mark and
 * hover details, and the scopes that the IR's dotted names form (`stage2.1.conv1` lies in `stage2`
 * and `stage2.1`), each with the source text of the block call that made it (from the nodes'
 * callSites). Pure: the sources come in as a map from display path to text.
 */
import { SourceFile } from '../diagnostics/source-file.js';
import type { Span } from '../diagnostics/diagnostic.js';
import type { Graph, Node } from '../ir/graph.js';
import { formatCount, formatInt } from '../passes/format.js';
import { opDetail } from '../report/op-detail.js';
import { addCounts, type Count } from '../sema/count.js';
import { formatDim, type Dim, type SymbolEnv } from '../sema/dim.js';
import type { ModelSummary } from '../sema/metrics.js';
import type { DiagramLayer, DiagramModel, DiagramScope, EdgeKind } from './types.js';

export interface DiagramInput {
  readonly graph: Graph;
  readonly summary: ModelSummary;
  readonly env: SymbolEnv | null;
}

/** The longest block-call text a scope label keeps before it is shortened with `…`. */
const MAX_CALL_CHARS = 60;

export function diagramModel(m: DiagramInput, sources: ReadonlyMap<string, string>): DiagramModel {
  const files = new Map<string, SourceFile>();
  const fileOf = (path: string) => {
    let f = files.get(path);
    const text = sources.get(path);
    if (!f && text !== undefined) files.set(path, (f = new SourceFile(path, text)));
    return f;
  };
  const where = (span: Span) => {
    const f = fileOf(span.file);
    if (!f) return span.file;
    const { line, col } = f.lineCol(span.start);
    return `${span.file}:${line}:${col}`;
  };
  const shapeText = (shape: readonly Dim[] | null | undefined) =>
    shape ? shape.map((d) => formatDim(d, m.env ?? undefined)).join('x') : '?';

  const layers: DiagramLayer[] = m.graph.nodes.map((node, i) => {
    const s = m.summary.layers[i];
    const details = [
      node.name,
      opDetail(node),
      `output ${shapeText(node.shape)}`,
      `params ${formatInt(s.params)}${s.buffers ? ` + ${formatInt(s.buffers)} buffers` : ''}`,
      `MACs ${s.macs === null ? '?' : formatInt(s.macs)}`,
      `receptive field ${rfText(node)}`,
      ...(node.frozen ? ['frozen'] : []),
      where(node.span),
    ];
    return {
      id: node.id,
      name: node.name,
      scope: scopeOf(node.name),
      op: opDetail(node),
      shape: shapeText(node.shape),
      frozen: node.frozen,
      inputs: node.inputs,
      edgeKind: edgeKindOf(node),
      details,
    };
  });

  const members = new Map<string, number[]>();
  for (const layer of layers) {
    for (let p = layer.scope; p !== ''; p = scopeOf(p)) {
      const list = members.get(p);
      if (list) list.push(layer.id);
      else members.set(p, [layer.id]);
    }
  }
  // Parents before children, in order of first appearance: a parent's first member is never later.
  const order = [...members.keys()].sort(
    (a, b) => members.get(a)![0] - members.get(b)![0] || depthOf(a) - depthOf(b),
  );
  const scopes: DiagramScope[] = order.map((path) => {
    const ids = members.get(path)!;
    const parentIds = scopeOf(path) === '' ? null : members.get(scopeOf(path))!;
    const call = callText(m.graph.nodes, ids, parentIds, sources);
    const frozen = ids.filter((id) => layers[id].frozen).length;
    const params = ids.reduce<Count>((a, id) => addCounts(a, m.summary.layers[id].params), 0);
    const macs = ids.reduce<Count | null>((a, id) => {
      const v = m.summary.layers[id].macs;
      return a === null || v === null ? null : addCounts(a, v);
    }, 0);
    const last = layers[ids[ids.length - 1]];
    return {
      path,
      parent: scopeOf(path),
      depth: depthOf(path),
      call,
      layers: ids.length,
      frozen: frozen === 0 ? 'none' : frozen === ids.length ? 'all' : 'some',
      shape: last.shape,
      details: [
        path,
        ...(call ? [call] : []),
        `${ids.length} layers, output ${last.shape}`,
        `params ${formatInt(params)} (${formatCount(params)})`,
        `MACs ${macs === null ? '?' : `${formatInt(macs)} (${formatCount(macs)})`}`,
        ...(frozen ? [`${frozen} of ${ids.length} layers frozen`] : []),
      ],
    };
  });
  return { model: m.graph.model, file: m.graph.file, layers, scopes };
}

/** `stage2.1.conv1` → `stage2.1`; a top-level name → ''. */
export function scopeOf(name: string): string {
  const dot = name.lastIndexOf('.');
  return dot < 0 ? '' : name.slice(0, dot);
}

function depthOf(path: string): number {
  return path.split('.').length;
}

function edgeKindOf(node: Node): EdgeKind {
  if (node.op === 'add' || node.op === 'multiply') return 'residual';
  if (node.op === 'concat') return 'concat';
  return 'flow';
}

function rfText(node: Node): string {
  const rf = node.rf;
  if (!rf) return '?';
  if (rf.global) return 'global';
  return `${rf.size.join('x')}, stride ${rf.jump.join('x')}`;
}

/**
 * The block call that made a scope: the outermost call site that all its layers share and that its
 * parent scope's layers do not all share (the call of `stage2` is `bottleneck_stage(128, 4, 2)`; the
 * blocks `stage2.0`, `stage2.1` come from one `repeat` statement, which their parent shares, so they
 * have none). Whitespace is collapsed and long calls are shortened.
 */
function callText(
  nodes: readonly Node[],
  ids: readonly number[],
  parentIds: readonly number[] | null,
  sources: ReadonlyMap<string, string>,
): string | null {
  const common = commonSites(nodes, ids);
  const parentCommon = parentIds ? commonSites(nodes, parentIds) : [];
  const site = common[parentCommon.length];
  if (!site) return null;
  const text = sources.get(site.file)?.slice(site.start, site.end);
  if (!text) return null;
  const flat = text.replace(/\s+/g, ' ').trim();
  return flat.length > MAX_CALL_CHARS ? `${flat.slice(0, MAX_CALL_CHARS - 1)}…` : flat;
}

function commonSites(nodes: readonly Node[], ids: readonly number[]): readonly Span[] {
  let common: readonly Span[] = nodes[ids[0]].callSites ?? [];
  for (const id of ids) {
    const sites = nodes[id].callSites ?? [];
    let n = 0;
    while (n < common.length && n < sites.length && sameSpan(common[n], sites[n])) n++;
    if (n < common.length) common = common.slice(0, n);
  }
  return common;
}

function sameSpan(a: Span, b: Span): boolean {
  return a.file === b.file && a.start === b.start && a.end === b.end;
}
