/**
 * Backend-capability diagnostics (CNN5xxx): which ops or attributes of a graph a TensorFlow.js
 * backend cannot run.
 *
 * Today there are none. lower.ts builds every IR op from kernels that the cpu, wasm and tensorflow
 * (tfjs-node) backends all have: explicit padding through tf.pad (or wasm's native explicit
 * padding), dilation through explicitly dilated kernels (tfjs has no dilated transposed convolution
 * and no gradient of a dilated one), groups by splitting, LRN and ceil-mode or adaptive pools from
 * elementary ops. The gradient kernels wasm lacks are registered by backend.ts (wasm-kernels.ts);
 * whether they are is a run-time condition, not a property of the graph.
 * test/runtime/tfjs/edge-ops.test.ts runs the edge cases of the language (large, uneven and
 * strided dilations, grouped and dilated transposed convolutions, 1-D convs and pools, ceil mode,
 * kernels larger than the input, enlarging adaptive pools, every activation) on cpu and wasm and
 * finds the same outputs and gradients on both.
 *
 * A limit that is not about ops: wasm's memory is 32-bit, at most 4 GiB, and an allocation past it
 * fails mid-run with "memory access out of bounds". A graph whose training memory at the batch size
 * (compiler/sema/metrics.ts) exceeds it could be refused here, given the batch size; this function
 * stays the place for such checks.
 */
import type { Diagnostic } from '../../compiler/diagnostics/diagnostic.js';
import type { Graph } from '../../compiler/ir/graph.js';

export type TfjsBackend = 'tensorflow' | 'wasm' | 'cpu';

export function backendDiagnostics(graph: Graph, backend: TfjsBackend): Diagnostic[] {
  void graph;
  void backend;
  return [];
}
