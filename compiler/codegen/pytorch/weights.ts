/**
 * How each IR weight travels between cnnc and PyTorch: its state_dict key and the layout conversion
 * cnnc_io.py applies (pure data; cnnc_io.py's LAYOUTS implement them, docs/codegen.md lists them).
 *
 *   layout                      cnnc (TensorFlow's)          PyTorch
 *   conv2d                      kernel [kh, kw, I/g, O]      weight [O, I/g, kh, kw]
 *   conv1d                      kernel [k, I/g, O]           weight [O, I/g, k]
 *   depthwise                   kernel [kh, kw, C, m]        weight [C·m, 1, kh, kw]
 *   conv_transpose              kernel [kh, kw, O/g, I]      weight [I, O/g, kh, kw]
 *   dense                       kernel [in, units]           weight [units, in]
 *   dense_after_flatten:H,W,C   kernel [H·W·C, units]        weight [units, C·H·W] (rows reordered:
 *                               (also :L,C for sequences)    cnnc row (h·W + w)·C + c is PyTorch
 *                                                            column c·H·W + h·W + w)
 *   same                        bias, gamma, beta, moving statistics: the same vector
 *
 * PyTorch flattens an NCHW map in C·H·W order. The emitted module does so (torch.flatten) whenever
 * every path from the flatten reaches dense layers through dropouts and activations only, and the
 * dense layers' weights are reordered; a flatten whose value is used otherwise (a model output, a
 * batch norm, a merge) is written in cnnc's H·W·C order (permute first), which needs no reorder.
 */
import type { Graph, Node, Weight } from '../../ir/graph.js';
import type { Dim } from '../../sema/dim.js';
import { PARAM_NAMES } from './torchvision-names.js';

export type FlattenOrder = 'chw' | 'hwc';

/** For each flatten node with spatial axes: the order the emitted module flattens in. */
export function flattenOrders(graph: Graph): Map<number, FlattenOrder> {
  const consumers: number[][] = graph.nodes.map(() => []);
  for (const n of graph.nodes) for (const i of n.inputs) consumers[i].push(n.id);
  const outputs = new Set(graph.outputs);
  const reachesDenseOnly = (id: number): boolean =>
    !outputs.has(id) &&
    consumers[id].every((c) => {
      const n = graph.nodes[c];
      if (n.op === 'dense') return true;
      if (n.op === 'dropout' || n.op === 'activation') return reachesDenseOnly(c);
      return false;
    });
  const out = new Map<number, FlattenOrder>();
  for (const n of graph.nodes) {
    if (n.op !== 'flatten') continue;
    const s = graph.nodes[n.inputs[0]].shape ?? [];
    if (s.length < 2) continue;
    const spatial = s.slice(0, -1);
    const one = spatial.every((d) => d === 1);
    out.set(n.id, one || reachesDenseOnly(n.id) ? 'chw' : 'hwc');
  }
  return out;
}

/** The cnnc map (H, W, C or L, C) a dense layer's C·H·W-ordered flatten reads; null: none. */
export function flattenSource(
  graph: Graph,
  node: Node,
  orders: ReadonlyMap<number, FlattenOrder>,
): readonly number[] | null {
  let n = graph.nodes[node.inputs[0]];
  while (n && (n.op === 'dropout' || n.op === 'activation')) n = graph.nodes[n.inputs[0]];
  if (n?.op !== 'flatten' || orders.get(n.id) !== 'chw') return null;
  const s: readonly Dim[] = graph.nodes[n.inputs[0]].shape ?? [];
  if (!s.every((d): d is number => typeof d === 'number')) return null;
  return s.slice(0, -1).every((d) => d === 1) ? null : (s as number[]);
}

/** The layout name of one weight of a node (the table in the header). */
export function layoutOf(
  graph: Graph,
  node: Node,
  weight: Weight,
  orders: ReadonlyMap<number, FlattenOrder>,
): string {
  if (weight.name !== 'kernel' && weight.name !== 'depthwise_kernel') return 'same';
  switch (node.op) {
    case 'conv2d':
      return 'conv2d';
    case 'conv1d':
      return 'conv1d';
    case 'depthwise_conv2d':
      return 'depthwise';
    case 'conv2d_transpose':
      return 'conv_transpose';
    case 'dense': {
      const src = flattenSource(graph, node, orders);
      return src ? `dense_after_flatten:${src.join(',')}` : 'dense';
    }
    default:
      throw new Error(`${node.op} ${node.name}: no layout for weight ${weight.name}`);
  }
}

/**
 * How a cnnc weight becomes PyTorch's under a layout (the table in the header): view the cnnc array
 * as `view` (a reshape), permute its axes by `perm`, and view the result as `shape`. Values a
 * permutation of rank up to 4 can apply (the ONNX exporter does; cnnc_io.py mirrors it in Python).
 */
export interface TorchLayout {
  readonly view: readonly number[];
  readonly perm: readonly number[];
  readonly shape: readonly number[];
}

export function torchLayout(layout: string, s: readonly number[]): TorchLayout {
  const [kind, arg] = layout.split(':');
  switch (kind) {
    case 'conv2d':
    case 'conv_transpose':
      return { view: s, perm: [3, 2, 0, 1], shape: [s[3], s[2], s[0], s[1]] };
    case 'conv1d':
      return { view: s, perm: [2, 1, 0], shape: [s[2], s[1], s[0]] };
    case 'depthwise':
      return { view: s, perm: [2, 3, 0, 1], shape: [s[2] * s[3], 1, s[0], s[1]] };
    case 'dense':
      return { view: s, perm: [1, 0], shape: [s[1], s[0]] };
    case 'dense_after_flatten': {
      // Rows (h·W + w)·C + c become columns c·H·W + h·W + w: [H, W, C, units] → [units, C, H, W].
      const map = arg.split(',').map(Number);
      const r = map.length;
      const spatial = Array.from({ length: r - 1 }, (_, i) => i);
      return { view: [...map, s[1]], perm: [r, r - 1, ...spatial], shape: [s[1], s[0]] };
    }
    default:
      return { view: s, perm: s.map((_, i) => i), shape: s };
  }
}

/** The PyTorch shape of a cnnc weight under a layout. */
export function torchShape(layout: string, s: readonly number[]): readonly number[] {
  return torchLayout(layout, s).shape;
}

/** The PyTorch parameter or buffer name of a cnnc weight (`kernel` → `weight`). */
export function torchParamName(weight: string): string {
  const p = PARAM_NAMES[weight];
  if (!p) throw new Error(`no PyTorch name for the weight ${weight}`);
  return p;
}
