/**
 * Model totals from an analysed graph: parameters, buffers, MACs and memory.
 *
 * Conventions (so that the numbers match PyTorch / torchvision / torchinfo):
 *   - params.total is the sum of the products of every `param` weight's shape; buffers (batch-norm
 *     running statistics) are counted apart, as torchinfo does. params.frozen are the params of
 *     nodes marked `frozen`; params.trainable = total − frozen.
 *   - macs are per sample and count convolutions and dense layers only (see param-rules.ts); null
 *     when any layer's count depends on a symbolic size (or could not be computed).
 *   - Every tensor is float32: 4 bytes per element.
 *   - activationsPerSampleBytes is torchinfo's "forward pass size": the output of every node except
 *     the input, one sample, 4 bytes each. Element-wise layers count although a runtime may run them
 *     in place. inputPerSampleBytes is the input tensor alone.
 *   - training memory at batch B: activationsBytes = B · activationsPerSampleBytes (the activations
 *     saved for the backward pass), inputBytes = B · inputPerSampleBytes, parametersBytes = all
 *     params and buffers (frozen included), gradientsBytes = trainable params, optimizerStateBytes =
 *     slots · trainable params with sgd 0, momentum 1, rmsprop 1, adam 2 slots; totalBytes is their
 *     sum. Workspace memory of the kernels and framework overhead are not counted.
 *   - Defaults: batch 1, optimizer momentum.
 *   - Every count is exact (count.ts): a bigint where it passes 2^53 − 1.
 */
import type { Graph, Node, ReceptiveField } from '../ir/graph.js';
import type { OpKind } from '../ir/ops.js';
import { addCounts, mulCounts, productCount, subCounts, type Count } from './count.js';
import type { Dim } from './dim.js';
import { countWeights } from './param-rules.js';

export type Optimizer = 'sgd' | 'momentum' | 'adam' | 'rmsprop';

/** Per-parameter state each optimizer keeps, in tensors the size of the parameters. */
export const OPTIMIZER_SLOTS: { readonly [O in Optimizer]: number } = {
  sgd: 0,
  momentum: 1,
  rmsprop: 1,
  adam: 2,
};

export const BYTES_PER_ELEMENT = 4;

export interface SummaryOptions {
  readonly batch?: number;
  readonly optimizer?: Optimizer;
}

export interface LayerSummary {
  readonly name: string;
  readonly op: OpKind;
  /** Per-sample output shape; null for a poisoned node. */
  readonly shape: readonly Dim[] | null;
  readonly params: Count;
  readonly buffers: Count;
  readonly macs: Count | null;
  readonly frozen: boolean;
  readonly rf: ReceptiveField | null;
  /** Offset of the node's span, to order and locate layers in the source. */
  readonly spanStart: number;
}

export interface TrainingMemory {
  readonly batch: number;
  readonly optimizer: Optimizer;
  readonly inputBytes: Count | null;
  readonly activationsBytes: Count | null;
  readonly parametersBytes: Count;
  readonly gradientsBytes: Count;
  readonly optimizerStateBytes: Count;
  /** null when the input size is symbolic. */
  readonly totalBytes: Count | null;
}

export interface MemorySummary {
  readonly paramsBytes: Count;
  readonly buffersBytes: Count;
  readonly activationsPerSampleBytes: Count | null;
  readonly inputPerSampleBytes: Count | null;
  readonly training: TrainingMemory;
}

export interface ModelSummary {
  readonly model: string;
  /** Shape of the (first) input node. */
  readonly input: readonly Dim[] | null;
  /** Shape of the (first) output node. */
  readonly output: readonly Dim[] | null;
  readonly params: { readonly total: Count; readonly trainable: Count; readonly frozen: Count };
  readonly buffers: Count;
  readonly macs: Count | null;
  readonly memory: MemorySummary;
  readonly layers: readonly LayerSummary[];
}

function elements(shape: readonly Dim[] | null | undefined): Count | null {
  if (!shape) return null;
  const dims: number[] = [];
  for (const d of shape) {
    if (typeof d !== 'number') return null;
    dims.push(d);
  }
  return productCount(dims);
}

function layerOf(node: Node): LayerSummary {
  const weights = node.weights ?? [];
  return {
    name: node.name,
    op: node.op,
    shape: node.shape ?? null,
    params: countWeights(weights, 'param'),
    buffers: countWeights(weights, 'buffer'),
    macs: node.macs ?? null,
    frozen: node.frozen,
    rf: node.rf ?? null,
    spanStart: node.span.start,
  };
}

export function summarize(graph: Graph, opts: SummaryOptions = {}): ModelSummary {
  const batch = opts.batch ?? 1;
  const optimizer = opts.optimizer ?? 'momentum';
  const layers = graph.nodes.map(layerOf);

  let total: Count = 0;
  let frozen: Count = 0;
  let buffers: Count = 0;
  let macs: Count | null = 0;
  let activations: Count | null = 0;
  for (let i = 0; i < layers.length; i++) {
    const layer = layers[i];
    total = addCounts(total, layer.params);
    if (layer.frozen) frozen = addCounts(frozen, layer.params);
    buffers = addCounts(buffers, layer.buffers);
    macs = macs === null || layer.macs === null ? null : addCounts(macs, layer.macs);
    if (layer.op === 'input') continue;
    const n = elements(layer.shape);
    activations = activations === null || n === null ? null : addCounts(activations, n);
  }
  const trainable = subCounts(total, frozen);

  const inputNode = graph.nodes.find((n) => n.op === 'input');
  const outputId = graph.outputs.length > 0 ? graph.outputs[0] : graph.nodes.length - 1;
  const outputNode = graph.nodes[outputId] as Node | undefined;
  const inputElements = elements(inputNode?.shape);

  const bytes = (n: Count) => mulCounts(n, BYTES_PER_ELEMENT);
  const activationsPerSampleBytes = activations === null ? null : bytes(activations);
  const inputPerSampleBytes = inputElements === null ? null : bytes(inputElements);
  const times = (n: Count | null) => (n === null ? null : mulCounts(n, batch));
  const training = {
    batch,
    optimizer,
    inputBytes: times(inputPerSampleBytes),
    activationsBytes: times(activationsPerSampleBytes),
    parametersBytes: bytes(addCounts(total, buffers)),
    gradientsBytes: bytes(trainable),
    optimizerStateBytes: bytes(mulCounts(OPTIMIZER_SLOTS[optimizer], trainable)),
  };
  const totalBytes =
    training.inputBytes === null || training.activationsBytes === null
      ? null
      : [
          training.activationsBytes,
          training.parametersBytes,
          training.gradientsBytes,
          training.optimizerStateBytes,
        ].reduce(addCounts, training.inputBytes);

  return {
    model: graph.model,
    input: inputNode?.shape ?? null,
    output: outputNode?.shape ?? null,
    params: { total, trainable, frozen },
    buffers,
    macs,
    memory: {
      paramsBytes: bytes(total),
      buffersBytes: bytes(buffers),
      activationsPerSampleBytes,
      inputPerSampleBytes,
      training: { ...training, totalBytes },
    },
    layers,
  };
}
