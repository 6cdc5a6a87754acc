/**
 * Adaptive pools the way cnnc's exporter writes them where a size does not divide
 * (compiler/codegen/onnx/ops.ts): along each spatial axis, one Slice per output position of
 * PyTorch's bin [floor(j·in / out), ceil((j + 1)·in / out)), each reduced by ReduceMean (or
 * ReduceMax) with keepdims, and the positions concatenated; first along the height, then along the
 * width. Both axes found, with every bin as PyTorch places it, the chain is one
 * `adaptiveavgpool HxW` (`adaptivemaxpool`) statement. Anything else is left as it is (and its
 * Slice nodes are reported as having no counterpart).
 */
import type { ConstValue, OnnxLayerCode } from './onnx-ops.js';
import type { OnnxNode } from './onnx-model.js';

export interface AdaptivePool {
  /** The value the pool reads. */
  readonly input: string;
  readonly op: 'adaptiveavgpool' | 'adaptivemaxpool';
  /** Output height and width. */
  readonly out: readonly [number, number];
  /** The nodes the statement stands for, but for the last Concat, which becomes it. */
  readonly folded: readonly OnnxNode[];
}

interface AxisPool {
  readonly input: string;
  readonly axis: number;
  readonly reduce: string;
  readonly out: number;
  readonly nodes: readonly OnnxNode[];
}

interface Graph {
  readonly producer: ReadonlyMap<string, OnnxNode>;
  /** The data nodes that read each value. */
  readonly consumers: ReadonlyMap<string, readonly OnnxNode[]>;
  constOf(value: string): ConstValue | undefined;
}

const intAttr = (n: OnnxNode, k: string) => {
  const v = n.attrs.get(k)?.value;
  return v?.kind === 'int' ? v.value : undefined;
};
const intsAttr = (n: OnnxNode, k: string) => {
  const v = n.attrs.get(k)?.value;
  return v?.kind === 'ints' ? v.value : undefined;
};

/** The one value of a constant input, if it is a one-element constant. */
function scalar(g: Graph, v: string | undefined): number | undefined {
  const c = v ? g.constOf(v) : undefined;
  return c && c.values.length === 1 ? c.values[0] : undefined;
}

/** A Concat of reduced Slices of one value, bin by bin as PyTorch's adaptive pool places them. */
function axisPool(n: OnnxNode, g: Graph): AxisPool | undefined {
  if (n.opType !== 'Concat' || n.domain !== '') return undefined;
  const axis = intAttr(n, 'axis');
  if (axis !== 2 && axis !== 3) return undefined;
  const bins: { start: number; end: number }[] = [];
  const nodes: OnnxNode[] = [];
  let input: string | undefined;
  let reduce: string | undefined;
  for (const v of n.inputs) {
    const r = v ? g.producer.get(v) : undefined;
    if (!r || r.domain !== '' || (r.opType !== 'ReduceMean' && r.opType !== 'ReduceMax'))
      return undefined;
    if ((reduce ??= r.opType) !== r.opType) return undefined;
    const axes = intsAttr(r, 'axes');
    if (intAttr(r, 'keepdims') !== 1 || axes?.length !== 1 || axes[0] !== axis) return undefined;
    if (g.consumers.get(v)?.length !== 1 || r.inputs.length !== 1) return undefined;
    const s = g.producer.get(r.inputs[0]);
    if (!s || s.opType !== 'Slice' || s.domain !== '' || s.inputs.length !== 4) return undefined;
    if (g.consumers.get(r.inputs[0])?.length !== 1) return undefined;
    const [x, starts, ends, sliceAxes] = s.inputs;
    const start = scalar(g, starts);
    const end = scalar(g, ends);
    if (start === undefined || end === undefined || scalar(g, sliceAxes) !== axis) return undefined;
    if ((input ??= x) !== x) return undefined;
    bins.push({ start, end });
    nodes.push(s, r);
  }
  const out = bins.length;
  const size = bins[out - 1]?.end;
  if (!input || !reduce || !size) return undefined;
  const placed = bins.every(
    (b, j) =>
      b.start === Math.floor((j * size) / out) && b.end === Math.ceil(((j + 1) * size) / out),
  );
  return placed ? { input, axis, reduce, out, nodes } : undefined;
}

/** Every adaptive pool of the graph, by the Concat that ends it. */
export function findAdaptivePools(
  nodes: readonly OnnxNode[],
  g: Graph,
): Map<OnnxNode, AdaptivePool> {
  const found = new Map<OnnxNode, AdaptivePool>();
  for (const last of nodes) {
    const w = axisPool(last, g);
    if (!w || w.axis !== 3) continue;
    const first = g.producer.get(w.input);
    const h = first && axisPool(first, g);
    if (!h || h.axis !== 2 || h.reduce !== w.reduce) continue;
    // The height pass feeds only the width pass's slices.
    if (g.consumers.get(w.input)?.length !== w.out) continue;
    found.set(last, {
      input: h.input,
      op: w.reduce === 'ReduceMean' ? 'adaptiveavgpool' : 'adaptivemaxpool',
      out: [h.out, w.out],
      folded: [...h.nodes, first, ...w.nodes],
    });
  }
  return found;
}

/** The statement of an adaptive pool. */
export function adaptivePoolCode(p: AdaptivePool): OnnxLayerCode {
  return {
    kind: 'layer',
    stmts: [{ text: `${p.op} ${p.out[0]}x${p.out[1]}` }],
    group: false,
    weights: [],
  };
}
