/**
 * Backend-capability diagnostics (CNN5xxx): which ops or attributes of a graph a TensorFlow.js
 * backend cannot run.
 *
 * Today there are none. lower.ts builds every IR op from kernels that the cpu, wasm and tensorflow
 * (tfjs-node) backends all have: explicit padding through tf.pad, dilation through explicitly dilated
 * kernels (tfjs has no dilated transposed convolution and no gradient of a dilated one), groups by
 * splitting, LRN and ceil-mode or adaptive pools from elementary ops, and conv2d's filter gradient as
 * a forward convolution. The one gap, wasm's missing depthwise backprop kernels, is filled by the
 * kernels runtime/tfjs/backend.ts registers; whether they are registered is a run-time condition, not
 * a property of the graph. The function stays the place to report such combinations when one appears.
 */
import type { Diagnostic } from '../../compiler/diagnostics/diagnostic.js';
import type { Graph } from '../../compiler/ir/graph.js';

export type TfjsBackend = 'tensorflow' | 'wasm' | 'cpu';

export function backendDiagnostics(graph: Graph, backend: TfjsBackend): Diagnostic[] {
  void graph;
  void backend;
  return [];
}
