/**
 * ONNX export (`cnnc compile FILE --emit onnx`): an analysed IR graph and its weights (cnnc's names
 * and layouts) → the bytes of an inference ModelProto (opset 13, IR version 8, a dynamic batch axis)
 * and diagnostics. Pure: no files, no runtime. The graph is NCHW, as onnxruntime, Netron and
 * torch-exported models are; weights are permuted to PyTorch's layouts by the facts of
 * compiler/codegen/pytorch/weights.ts (layoutOf, torchLayout, flattenOrders), and initializers take
 * PyTorch's parameter names (`conv1.weight`, `bn1.running_mean`). `layout: 'nhwc'` puts a Transpose
 * after the input and before every output with spatial axes, for callers holding cnnc's
 * channels-last arrays. Node names are the IR's dotted names (a layer that takes several ONNX
 * nodes names its helpers `name/what`). docs/codegen.md has the op table.
 */
import { hasErrors, type Diagnostic } from '../../diagnostics/diagnostic.js';
import type { Graph, Node } from '../../ir/graph.js';
import type { OpKind } from '../../ir/ops.js';
import type { Dim } from '../../sema/dim.js';
import { ONNX_IR_VERSION } from '../../onnx/proto.js';
import { flattenOrders, layoutOf, torchLayout, torchParamName } from '../pytorch/weights.js';
import { GraphBuilder, FLOAT, type ExternalChunk } from './builder.js';
import { encodeModel } from './encode.js';
import { FROM_LAST, OP_RULES, TO_LAST, type OpContext } from './ops.js';
import { permute } from './permute.js';

export { describeOnnx } from './describe.js';
export type { ExternalChunk } from './builder.js';

/** The ONNX operator set the exporter writes (every op it uses exists there; see docs/codegen.md). */
export const ONNX_OPSET = 13;

export type OnnxLayout = 'nchw' | 'nhwc';
export const ONNX_LAYOUTS: readonly OnnxLayout[] = ['nchw', 'nhwc'];

/** A weight under its cnnc name (`conv1/kernel`) and layout (as runtime NamedTensor). */
export interface OnnxWeight {
  readonly name: string;
  readonly shape: readonly number[];
  readonly data: Float32Array;
}

export interface OnnxExportOptions {
  /** The graph input's (and spatial outputs') layout: nchw (default) or nhwc. */
  readonly layout?: OnnxLayout;
  /** ModelProto.producer_version (cnnc's version); empty when not given. */
  readonly producerVersion?: string;
  /**
   * Store the weights as ONNX external data in this file (a path relative to the model's folder,
   * `model.onnx.data`), one after another, instead of inside the model (`external` gives them).
   */
  readonly externalData?: string;
}

export interface OnnxExport {
  /** The serialised ModelProto; null when a diagnostic is an error. */
  readonly bytes: Uint8Array | null;
  readonly diagnostics: readonly Diagnostic[];
  /** With `externalData`: the weights, in the order and at the offsets of that file. */
  readonly external: readonly ExternalChunk[];
}

/** The symbolic batch axis of every input and output. */
export const BATCH_DIM = 'N';

/**
 * The names the graph outputs want: the model's own output names (`main`, `aux`: what `cnnc run`
 * and `cnnc summary` call them) when it declares any with `output NAME`, else `output` for its one
 * unnamed output.
 */
export function outputNames(graph: Graph): string[] {
  return graph.outputNames ? [...graph.outputNames] : graph.outputs.map(() => 'output');
}

/** A symbolic size as a dim_param: the symbol's display name (`H`; `height` for an unnamed `?`). */
function dimParam(graph: Graph, d: Exclude<Dim, number | null>): string {
  const s = graph.symbols.find((x) => x.sym === d.sym);
  const base =
    s && s.display !== '?'
      ? s.display
      : (s?.role.replace(/^input /, '') ?? d.sym).replace(/ /g, '_');
  let text = d.num === 1 ? base : `${d.num}*${base}`;
  if (d.den !== 1) text = `${text}/${d.den}`;
  if (d.add) text += d.add > 0 ? `+${d.add}` : `-${-d.add}`;
  return text;
}

function valueInfo(graph: Graph, name: string, shape: readonly Dim[], layout: OnnxLayout) {
  const dims =
    layout === 'nchw' && shape.length > 1
      ? [shape[shape.length - 1], ...shape.slice(0, -1)]
      : shape;
  return {
    name,
    type: {
      tensor_type: {
        elem_type: FLOAT,
        shape: {
          dim: [
            { dim_param: BATCH_DIM },
            ...dims.map((d) =>
              typeof d === 'number'
                ? { dim_value: d }
                : d === null
                  ? {}
                  : { dim_param: dimParam(graph, d) },
            ),
          ],
        },
      },
    },
  };
}

/** The node's weight `name` in PyTorch's layout, as an initializer named `node.param`. */
function weightInitializer(
  b: GraphBuilder,
  graph: Graph,
  node: Node,
  name: string,
  given: ReadonlyMap<string, OnnxWeight>,
  orders: ReturnType<typeof flattenOrders>,
): string {
  const w = node.weights?.find((x) => x.name === name);
  if (!w) throw new Error(`${node.name} has no weight ${name}`);
  const t = given.get(`${node.name}/${name}`);
  if (!t) throw new Error(`exportOnnx: no value for the weight ${node.name}/${name}`);
  if (t.shape.length !== w.shape.length || t.shape.some((d, i) => d !== w.shape[i]))
    throw new Error(`exportOnnx: ${t.name} is [${t.shape}], the model's is [${w.shape}]`);
  const layout = torchLayout(layoutOf(graph, node, w, orders), w.shape);
  return b.weightTensor(`${node.name}.${torchParamName(name)}`, layout.shape, () =>
    permute(t.data, layout.view, layout.perm),
  );
}

/**
 * The ONNX model of `graph` with `weights` (every weight of the graph, cnnc names and layouts).
 * Errors (an op with no ONNX form) come back as diagnostics naming the layer, with no bytes.
 */
export function exportOnnx(
  graph: Graph,
  weights: readonly OnnxWeight[],
  options: OnnxExportOptions = {},
): OnnxExport {
  const layout = options.layout ?? 'nchw';
  const given = new Map(weights.map((w) => [w.name, w]));
  const orders = flattenOrders(graph);
  const diagnostics: Diagnostic[] = [];
  const b = new GraphBuilder(options.externalData);
  const inputs = graph.nodes.filter((n) => n.op === 'input');
  for (const n of inputs) b.claimValue(n.name);
  // Before any node names a value: each output keeps its name unless the input has it (`_2`).
  const outputs = outputNames(graph).map((o) => b.freshValue(o));

  const value: string[] = [];
  // Graph outputs a node writes itself: NCHW values, and vectors in either layout.
  const direct = new Map<number, string>();
  graph.outputs.forEach((id, i) => {
    const rank = (graph.nodes[id].shape ?? []).length;
    if (!direct.has(id) && (layout === 'nchw' || rank <= 1)) direct.set(id, outputs[i]);
  });

  for (const node of graph.nodes) {
    if (node.op === 'input') {
      const rank = (node.shape ?? []).length + 1;
      value[node.id] =
        layout === 'nhwc' && FROM_LAST[rank]
          ? b.node('Transpose', `${node.name}/to_nchw`, [node.name], {
              perm: { ints: FROM_LAST[rank] },
            })
          : node.name;
      continue;
    }
    const ctx: OpContext<OpKind> = {
      node,
      inputs: node.inputs.map((i) => value[i]),
      inShapes: node.inputs.map((i) => graph.nodes[i].shape ?? []),
      outShape: node.shape ?? [],
      b,
      out: direct.get(node.id),
      weight: (name) => weightInitializer(b, graph, node, name, given, orders),
      flattenOrder: orders.get(node.id),
      report: (d) => diagnostics.push(d),
    };
    const rule = OP_RULES[node.op] as (c: OpContext<OpKind>) => string | null;
    value[node.id] = rule(ctx) ?? `\0failed:${node.name}`;
  }
  if (hasErrors(diagnostics)) return { bytes: null, diagnostics, external: [] };

  graph.outputs.forEach((id, i) => {
    const v = value[id];
    const rank = (graph.nodes[id].shape ?? []).length + 1;
    if (v === outputs[i]) return;
    const name = `${graph.nodes[id].name}/${outputs[i]}`;
    if (layout === 'nhwc' && TO_LAST[rank])
      b.node('Transpose', name, [v], { perm: { ints: TO_LAST[rank] } }, outputs[i]);
    else b.node('Identity', name, [v], {}, outputs[i]);
  });

  const model = {
    ir_version: ONNX_IR_VERSION,
    producer_name: 'cnnc',
    producer_version: options.producerVersion ?? '',
    opset_import: [{ domain: '', version: ONNX_OPSET }],
    metadata_props: [
      { key: 'cnnc.model', value: graph.model },
      { key: 'cnnc.layout', value: layout },
    ],
    graph: {
      name: graph.model,
      node: b.nodes,
      initializer: b.initializers,
      input: inputs.map((n) => valueInfo(graph, n.name, n.shape ?? [], layout)),
      output: graph.outputs.map((id, i) =>
        valueInfo(graph, outputs[i], graph.nodes[id].shape ?? [], layout),
      ),
    },
  };
  return { bytes: encodeModel(model), diagnostics, external: b.external };
}
