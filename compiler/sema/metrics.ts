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
 */
import type { Graph, Node, ReceptiveField } from '../ir/graph.js';
import type { OpKind } from '../ir/ops.js';
import { product } from './dim.js';
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
  readonly params: number;
  readonly buffers: number;
  readonly macs: number | null;
  readonly frozen: boolean;
  readonly rf: ReceptiveField | null;
  /** Offset of the node's span, to order and locate layers in the source. */
  readonly spanStart: number;
}

export interface TrainingMemory {
  readonly batch: number;
  readonly optimizer: Optimizer;
  readonly inputBytes: number | null;
  readonly activationsBytes: number | null;
  readonly parametersBytes: number;
  readonly gradientsBytes: number;
  readonly optimizerStateBytes: number;
  /** null when the input size is symbolic. */
  readonly totalBytes: number | null;
}

export interface MemorySummary {
  readonly paramsBytes: number;
  readonly buffersBytes: number;
  readonly activationsPerSampleBytes: number | null;
  readonly inputPerSampleBytes: number | null;
  readonly training: TrainingMemory;
}

export interface ModelSummary {
  readonly model: string;
  /** Shape of the (first) input node. */
  readonly input: readonly Dim[] | null;
  /** Shape of the (first) output node. */
  readonly output: readonly Dim[] | null;
  readonly params: { readonly total: number; readonly trainable: number; readonly frozen: number };
  readonly buffers: number;
  readonly macs: number | null;
  readonly memory: MemorySummary;
  readonly layers: readonly LayerSummary[];
}

function elements(shape: readonly Dim[] | null | undefined): number | null {
  return shape ? product(shape) : null;
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

  let total = 0;
  let frozen = 0;
  let buffers = 0;
  let macs: number | null = 0;
  let activations: number | null = 0;
  for (let i = 0; i < layers.length; i++) {
    const layer = layers[i];
    total += layer.params;
    if (layer.frozen) frozen += layer.params;
    buffers += layer.buffers;
    macs = macs === null || layer.macs === null ? null : macs + layer.macs;
    if (layer.op === 'input') continue;
    const n = elements(layer.shape);
    activations = activations === null || n === null ? null : activations + n;
  }
  const trainable = total - frozen;

  const inputNode = graph.nodes.find((n) => n.op === 'input');
  const outputId = graph.outputs.length > 0 ? graph.outputs[0] : graph.nodes.length - 1;
  const outputNode = graph.nodes[outputId] as Node | undefined;
  const inputElements = elements(inputNode?.shape);

  const bytes = (n: number | null) => (n === null ? null : n * BYTES_PER_ELEMENT);
  const activationsPerSampleBytes = bytes(activations);
  const inputPerSampleBytes = bytes(inputElements);
  const times = (n: number | null) => (n === null ? null : n * batch);
  const training = {
    batch,
    optimizer,
    inputBytes: times(inputPerSampleBytes),
    activationsBytes: times(activationsPerSampleBytes),
    parametersBytes: (total + buffers) * BYTES_PER_ELEMENT,
    gradientsBytes: trainable * BYTES_PER_ELEMENT,
    optimizerStateBytes: OPTIMIZER_SLOTS[optimizer] * trainable * BYTES_PER_ELEMENT,
  };
  const totalBytes =
    training.inputBytes === null || training.activationsBytes === null
      ? null
      : training.inputBytes +
        training.activationsBytes +
        training.parametersBytes +
        training.gradientsBytes +
        training.optimizerStateBytes;

  return {
    model: graph.model,
    input: inputNode?.shape ?? null,
    output: outputNode?.shape ?? null,
    params: { total, trainable, frozen },
    buffers,
    macs,
    memory: {
      paramsBytes: total * BYTES_PER_ELEMENT,
      buffersBytes: buffers * BYTES_PER_ELEMENT,
      activationsPerSampleBytes,
      inputPerSampleBytes,
      training: { ...training, totalBytes },
    },
    layers,
  };
}
