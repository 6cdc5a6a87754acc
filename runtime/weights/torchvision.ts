/**
 * torchvision state dicts ↔ cnnc weights, for the stdlib's ResNets (wide ResNets and ResNeXts
 * included), VGGs, AlexNet, MobileNetV2s, GoogLeNet, Inception v3, DenseNets and SqueezeNets.
 *
 * Names: each cnnc node with weights has a torchvision module path (the tables in
 * compiler/codegen/pytorch/torchvision-names.ts), and each weight a parameter of that module:
 *   conv, dense        kernel → weight, bias → bias (depthwise_kernel → weight)
 *   batch norm         gamma → weight, beta → bias, moving_mean → running_mean,
 *                      moving_variance → running_var; num_batches_tracked is ignored
 * Layouts (PyTorch → cnnc, which keeps TensorFlow's):
 *   conv2d             [O, I/g, kh, kw] → [kh, kw, I/g, O]
 *   depthwise          [C·m, 1, kh, kw] → [kh, kw, C, m]
 *   conv2d_transpose   [I, O/g, kh, kw] → [kh, kw, O/g, I]
 *   conv1d             [O, I/g, k] → [k, I/g, O]
 *   dense              [units, in] → [in, units]; a dense layer fed by a flatten of an H×W×C map
 *                      also reorders its rows: PyTorch flattens C·H·W, cnnc flattens H·W·C, so
 *                      cnnc row (h·W + w)·C + c is PyTorch column c·H·W + h·W + w.
 * Which table applies is found from the file: the one whose names the file holds most of (the
 * first in TORCHVISION_FAMILIES' order on a tie).
 */
import type { Graph, Node } from '../../compiler/ir/graph.js';
import {
  flattenedMap,
  PARAM_NAMES,
  TORCHVISION_FAMILIES,
  TORCHVISION_TABLES as TABLES,
  type TorchvisionFamily,
} from '../../compiler/codegen/pytorch/torchvision-names.js';
import { asSource, type SourceTensor } from './plan.js';
import { permute, sameShape, sizeOf, type FileTensor, type NamedTensor } from './tensor.js';

// The module tables are pure data the PyTorch code generator shares; they live in the compiler.
export {
  flattenedMap,
  PARAM_NAMES,
  TORCHVISION_TABLES,
  type TorchvisionFamily,
} from '../../compiler/codegen/pytorch/torchvision-names.js';

export interface MappedWeights {
  /** The table used; null when no file tensor matched any. */
  readonly family: TorchvisionFamily | null;
  /** File tensors under cnnc names, converted to cnnc layouts when read. */
  readonly tensors: readonly SourceTensor[];
  /** File tensors under their own names, which no weight of the graph takes. */
  readonly unmapped: readonly SourceTensor[];
  /** File tensors left out on purpose: `num_batches_tracked`. */
  readonly ignored: readonly string[];
}

/**
 * A change of layout between PyTorch and cnnc: view the source as `view` (a reshape), permute its
 * axes by `perm`, and view the result as `shape`.
 */
interface Layout {
  readonly view: readonly number[];
  readonly perm: readonly number[];
  readonly shape: readonly number[];
}

/** How a torchvision tensor of shape `ts` becomes the cnnc weight `weight` of `node`; null: as is. */
function torchToCnnc(
  graph: Graph,
  node: Node,
  weight: string,
  ts: readonly number[],
  expected: readonly number[],
): Layout | null {
  if (weight !== 'kernel' && weight !== 'depthwise_kernel') return null;
  switch (node.op) {
    case 'conv2d':
    case 'conv2d_transpose':
      return ts.length === 4
        ? { view: ts, perm: [2, 3, 1, 0], shape: [ts[2], ts[3], ts[1], ts[0]] }
        : null;
    case 'conv1d':
      return ts.length === 3 ? { view: ts, perm: [2, 1, 0], shape: [ts[2], ts[1], ts[0]] } : null;
    case 'depthwise_conv2d': {
      if (ts.length !== 4 || ts[1] !== 1) return null;
      const m = expected.length === 4 && ts[0] % expected[3] === 0 ? expected[3] : 1;
      const c = ts[0] / m;
      return { view: [c, m, ts[2], ts[3]], perm: [2, 3, 0, 1], shape: [ts[2], ts[3], c, m] };
    }
    case 'dense': {
      if (ts.length !== 2) return null;
      const [units, inputs] = ts;
      const map = flattenedMap(graph, node);
      if (map && sizeOf(map) === inputs) {
        const [h, w, c] = map;
        return { view: [units, c, h, w], perm: [2, 3, 1, 0], shape: [inputs, units] };
      }
      return { view: ts, perm: [1, 0], shape: [inputs, units] };
    }
    default:
      return null;
  }
}

function apply(layout: Layout | null, data: Float32Array): Float32Array {
  return layout ? permute(data, layout.view, layout.perm) : data;
}

/**
 * A tensor in PyTorch's layout (`torchShape`), which ONNX's Conv, ConvTranspose and Gemm share, as
 * the cnnc weight `weight` of `node` (`expected` is its cnnc shape): `cnnc import onnx` converts
 * initializers with it.
 */
export function fromTorchLayout(
  graph: Graph,
  node: Node,
  weight: string,
  data: Float32Array,
  torchShape: readonly number[],
  expected: readonly number[],
): Float32Array {
  return apply(torchToCnnc(graph, node, weight, torchShape, expected), data);
}

/** For each node the family knows: its weights with their torchvision keys. */
function keysOf(graph: Graph, table: Map<string, string>) {
  const out: { node: Node; weight: string; shape: readonly number[]; key: string }[] = [];
  for (const node of graph.nodes) {
    const module = table.get(node.name);
    if (module === undefined) continue;
    for (const w of node.weights ?? []) {
      const p = PARAM_NAMES[w.name];
      if (p) out.push({ node, weight: w.name, shape: w.shape, key: `${module}.${p}` });
    }
  }
  return out;
}

/** Maps a torchvision state dict's tensors to a graph's weights (lazily converted). */
export function fromTorchvision(graph: Graph, file: readonly FileTensor[]): MappedWeights {
  const byKey = new Map(file.map((t) => [t.name, t]));
  let best: { family: TorchvisionFamily; keys: ReturnType<typeof keysOf>; hits: number } | null =
    null;
  for (const family of TORCHVISION_FAMILIES) {
    const keys = keysOf(graph, TABLES[family](graph));
    const hits = keys.filter((k) => byKey.has(k.key)).length;
    if (hits > 0 && (!best || hits > best.hits)) best = { family, keys, hits };
  }
  const tensors: SourceTensor[] = [];
  const taken = new Set<string>();
  for (const k of best?.keys ?? []) {
    const t = byKey.get(k.key);
    if (!t) continue;
    taken.add(k.key);
    const layout = torchToCnnc(graph, k.node, k.weight, t.shape, k.shape);
    tensors.push({
      name: `${k.node.name}/${k.weight}`,
      shape: layout ? layout.shape : t.shape,
      source: t.name,
      read: () => apply(layout, t.data),
    });
  }
  const ignored = file.filter((t) => /(^|\.)num_batches_tracked$/.test(t.name)).map((t) => t.name);
  const unmapped = file
    .filter((t) => !taken.has(t.name) && !ignored.includes(t.name))
    .map(asSource);
  return { family: best?.family ?? null, tensors, unmapped, ignored };
}

/**
 * The inverse: cnnc weights as a torchvision state dict of `family` (no num_batches_tracked), for
 * the nodes the family's table knows; other weights are left out.
 */
export function toTorchvision(
  graph: Graph,
  tensors: readonly NamedTensor[],
  family: TorchvisionFamily,
): NamedTensor[] {
  const byName = new Map(tensors.map((t) => [t.name, t]));
  const out: NamedTensor[] = [];
  for (const k of keysOf(graph, TABLES[family](graph))) {
    const t = byName.get(`${k.node.name}/${k.weight}`);
    if (!t || !sameShape(t.shape, k.shape)) continue;
    const torchShape = torchShapeOf(k.node, k.weight, t.shape);
    // The forward layout of the torch shape tells where each element goes; invert it.
    const layout = torchToCnnc(graph, k.node, k.weight, torchShape, t.shape);
    const data = layout ? invert(layout, t.data) : t.data;
    out.push({ name: k.key, shape: torchShape, data });
  }
  return out;
}

function torchShapeOf(node: Node, weight: string, s: readonly number[]): readonly number[] {
  if (weight !== 'kernel' && weight !== 'depthwise_kernel') return s;
  switch (node.op) {
    case 'conv2d':
    case 'conv2d_transpose':
      return [s[3], s[2], s[0], s[1]];
    case 'conv1d':
      return [s[2], s[1], s[0]];
    case 'depthwise_conv2d':
      return [s[2] * s[3], 1, s[0], s[1]];
    case 'dense':
      return [s[1], s[0]];
    default:
      return s;
  }
}

/** Undoes a Layout: permute the cnnc array back by the inverse permutation. */
function invert(layout: Layout, data: Float32Array): Float32Array {
  const permuted = layout.perm.map((p) => layout.view[p]);
  const inverse = layout.perm.map((_, i) => layout.perm.indexOf(i));
  return permute(data, permuted, inverse);
}
