/**
 * Whether a backend can hold a model's tensors at a batch size, checked by cnnc train, evaluate,
 * predict, run, bench and verify before any tensor is allocated (CNN4012). Without it a model of
 * `input 20000x20000x1` started allocating and died of the machine's memory, and one of
 * `input 1000000x1000000x1` threw "Invalid typed array length".
 *
 * The memory is the checker's (compiler/sema/metrics.ts): training = the input batch, the
 * activations of the batch, parameters and buffers, gradients and optimiser state; inference = the
 * input batch, its activations, parameters and buffers (TensorFlow.js keeps a step's intermediate
 * tensors until it ends, and so does the reference executor).
 */
import { diag, type Diagnostic } from '../diagnostics/diagnostic.js';
import type { Graph } from '../ir/graph.js';
import { formatBytes, formatInt } from '../passes/format.js';
import { addCounts, productCount, toNumber, type Count } from '../sema/count.js';
import { summarize, type Optimizer } from '../sema/metrics.js';

export interface MemoryNeed {
  /** Samples per step. */
  readonly batch: number;
  /** A training step (gradients, optimiser state), or inference only. */
  readonly training: boolean;
  /** The optimiser, for its state (momentum and nesterov keep one slot, adam two). */
  readonly optimizer?: string;
}

interface Capacity {
  /** Bytes for every tensor at once; 'machine' for the machine's memory. */
  readonly total: number | 'machine';
  /** Elements of the largest single tensor. */
  readonly maxTensorElements: number;
  readonly why: string;
}

/** Node 20's typed arrays hold at most 2^32 elements (`new Float32Array(2 ** 32 + 1)` throws). */
const MAX_TYPED_ARRAY = 2 ** 32;

const IN_JS_ARRAYS: Capacity = {
  total: 'machine',
  maxTensorElements: MAX_TYPED_ARRAY,
  why: 'each tensor is a Float32Array, which holds at most 4,294,967,296 values in Node 20, and all of them share the machine memory',
};

/** What each backend can hold; a backend not listed is bounded by the machine memory. */
export const BACKEND_CAPACITY: Readonly<Record<string, Capacity>> = {
  wasm: {
    total: 4 * 2 ** 30,
    maxTensorElements: 2 ** 30,
    why: "TensorFlow.js's wasm backend keeps every tensor in one WebAssembly memory, which tfjs-backend-wasm-simd.wasm declares at most 65,536 pages of 64 KiB: 4 GiB",
  },
  cpu: IN_JS_ARRAYS,
  reference: IN_JS_ARRAYS,
  tensorflow: IN_JS_ARRAYS,
};

/** Slots of optimiser state per parameter, by the names train blocks use. */
function optimizerOf(name: string | undefined): Optimizer {
  if (name === 'sgd' || name === 'adam' || name === 'rmsprop') return name;
  return 'momentum'; // momentum and nesterov: one slot
}

/**
 * CNN4012 when `backend` cannot hold `graph` at `need`, else null; `machineBytes` is this
 * machine's memory (os.totalmem()). A graph with a symbolic input size is not checked: its size
 * comes from the data.
 */
export function checkBackendMemory(
  graph: Graph,
  backend: string,
  need: MemoryNeed,
  machineBytes: number,
): Diagnostic | null {
  const capacity = BACKEND_CAPACITY[backend] ?? IN_JS_ARRAYS;
  const total = capacity.total === 'machine' ? machineBytes : capacity.total;
  const where = capacity.total === 'machine' ? "this machine's memory" : `the ${backend} backend`;
  const s = summarize(graph, { batch: need.batch, optimizer: optimizerOf(need.optimizer) });
  const t = s.memory.training;
  if (t.inputBytes === null || t.activationsBytes === null) return null;
  const parts: [string, Count][] = [
    ['input', t.inputBytes],
    ['activations', t.activationsBytes],
    ['parameters', t.parametersBytes],
    ...(need.training
      ? ([
          ['gradients', t.gradientsBytes],
          ['optimizer state', t.optimizerStateBytes],
        ] as [string, Count][])
      : []),
  ];
  const bytes = parts.reduce<Count>((a, [, b]) => addCounts(a, b), 0);
  const what = `${need.training ? 'training' : 'running'} ${graph.model} at batch ${need.batch}`;
  const input = graph.nodes.find((n) => n.op === 'input');
  const span = input?.span ?? graph.span;
  const breakdown = `${formatBytes(bytes)} = ${parts.map(([k, v]) => `${k} ${formatBytes(v)}`).join(' + ')}`;
  if (toNumber(bytes) > total) {
    const perSample =
      toNumber(t.inputBytes) / need.batch + toNumber(t.activationsBytes) / need.batch;
    const fixed = toNumber(bytes) - perSample * need.batch;
    const fits = Math.floor((total - fixed) / perSample);
    return diag(
      'CNN4012',
      `${what} needs ${formatBytes(bytes)}: more than the ${formatBytes(total)} of ${where}`,
      {
        span,
        spanLabel: `${formatBytes(perSample)} of input and activations per sample`,
        notes: [breakdown, capacity.why],
        help:
          fits >= 1
            ? `use a batch of at most ${formatInt(fits)}, a smaller input, or a backend with more memory`
            : 'no batch fits: make the input smaller or downsample earlier',
      },
    );
  }
  const largest = largestTensor(graph, need.batch);
  if (largest && largest.elements > capacity.maxTensorElements) {
    return diag(
      'CNN4012',
      `${what} needs a tensor of ${formatInt(largest.elements)} values (${largest.what}): more than the ${formatInt(capacity.maxTensorElements)} one tensor of the ${backend} backend holds`,
      {
        span: largest.span,
        notes: [capacity.why],
        help: 'use a smaller batch or input, or fewer units',
      },
    );
  }
  return null;
}

/** The largest tensor a step makes: an output of a whole batch, or a weight. */
function largestTensor(
  graph: Graph,
  batch: number,
): { elements: number; what: string; span: Graph['span'] } | null {
  let best: { elements: number; what: string; span: Graph['span'] } | null = null;
  const consider = (elements: number, what: string, span: Graph['span']) => {
    if (!best || elements > best.elements) best = { elements, what, span };
  };
  for (const n of graph.nodes) {
    if (n.shape && n.shape.every((d): d is number => typeof d === 'number'))
      consider(toNumber(productCount([batch, ...n.shape])), `the output of ${n.name}`, n.span);
    for (const w of n.weights ?? [])
      consider(toNumber(productCount(w.shape)), `the weight ${n.name}/${w.name}`, n.span);
  }
  return best;
}
