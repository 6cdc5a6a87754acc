/**
 * Lowers an analysed IR graph to a trainable TensorFlow.js model: `tf.*` ops over `tf.Variable`s,
 * no tfjs-layers. Each IR op has one lowering (lower-ops.ts); weights are created from the IR's
 * weight list with PyTorch's default initialisation (init.ts); frozen nodes get non-trainable
 * variables, and frozen batch norm never uses batch statistics.
 *
 * Sizes are taken from the tensors at run time, so a graph with a symbolic input size runs on any
 * input that fits; where the IR knows a size, every node's output is checked against it.
 */
import { checkShape } from '../check-shape.js';
import type * as tfjs from '@tensorflow/tfjs';
import type { Graph, IrNode, Node } from '../../compiler/ir/graph.js';
import type { OpKind } from '../../compiler/ir/ops.js';
import type { TrainableModel } from './model.js';
import { hashString, initialValue, type InitScheme } from '../init.js';
import { activationKinks } from '../train/engine.js';
import { biasActivationFuses } from './fused-bias-act.js';
import {
  NO_FUSED_BIAS,
  WHOLE_BATCH,
  type BatchShard,
  type FusedBias,
  type LowerContext,
  type OpLowering,
  type TF,
} from './lower-context.js';
import { lowerings } from './lower-ops.js';

/**
 * A lowered model is what the training loop trains (runtime/tfjs/model.ts documents the contract),
 * plus the position of its dropout stream, which a checkpoint saves so that a resumed run draws the
 * masks an uninterrupted one would.
 */
export interface LoweredModel extends TrainableModel {
  /** Dropout masks drawn so far (one per dropout node per training-mode forward pass). */
  randomDraws(): number;
  /** Continues the dropout stream after `draws` masks, e.g. with a resumed checkpoint's count. */
  setRandomDraws(draws: number): void;
  /**
   * The inputs of every kinked activation (runtime/train/engine.ts activationKinks) in a forward
   * pass, by node name (cnnc verify: runtime/train/engine.ts KinkBranches).
   */
  kinkInputs(x: tfjs.Tensor, training: boolean): Map<string, Float32Array>;
  /** The rows that the following forward passes compute (data-parallel.ts); WHOLE_BATCH by default. */
  setShard(shard: BatchShard): void;
}

export interface LowerOptions {
  /** Seed of the weight initialisation and of dropout; default 0. */
  readonly seed?: number;
  /** Initialisation scheme (runtime/init.ts); default PyTorch's. */
  readonly init?: InitScheme;
}

let modelCounter = 0;

export function lowerGraph(tf: TF, graph: Graph, opts: LowerOptions = {}): LoweredModel {
  const seed = opts.seed ?? 0;
  const prefix = `cnnc${++modelCounter}`;
  const params = new Map<string, tfjs.Variable>();
  const buffers = new Map<string, tfjs.Variable>();
  const trainable: tfjs.Variable[] = [];
  for (const node of graph.nodes) {
    if (node.op !== 'input' && node.weights === undefined) {
      throw new Error(`${node.name}: the graph has not been analysed (no weights)`);
    }
    for (const w of node.weights ?? []) {
      const key = `${node.name}/${w.name}`;
      const learn = w.kind === 'param' && !node.frozen;
      const init = tf.tensor(initialValue(node, w, seed, opts.init), [...w.shape], 'float32');
      const v = tf.variable(init, learn, `${prefix}/${key}`);
      init.dispose();
      (w.kind === 'param' ? params : buffers).set(key, v);
      if (learn) trainable.push(v);
    }
  }
  const outputNodes = graph.outputs.map((o) => graph.nodes[o]);
  if (outputNodes.length === 0 || outputNodes.some((n) => !n)) {
    throw new Error(`graph ${graph.model}: bad outputs ${graph.outputs.join(', ')}`);
  }
  const output = outputNodes[0];
  const outputsEndInSoftmax = outputNodes.map(
    (o) => o.op === 'activation' && o.attrs.fn === 'softmax',
  );
  const read = new Set<number>();
  for (const n of graph.nodes) for (const i of n.inputs) read.add(i);
  const input = graph.nodes.find((n) => n.op === 'input');
  if (!input) throw new Error(`graph ${graph.model}: no input node`);
  const inputShape = (input.shape ?? []).map((d) => (typeof d === 'number' ? d : -1));
  const endsInSoftmax = outputsEndInSoftmax[0];
  let draws = 0;
  let shard: BatchShard = WHOLE_BATCH;

  const fusedBias = fusedBiasOf(graph, (node) => params.get(`${node.name}/bias`));

  /** `fuse`: bias and activation as one op where fused-bias-act.ts runs (not when capturing). */
  const contextFor = (training: boolean, fuse: boolean): LowerContext => ({
    tf,
    training,
    weight: (node, name) =>
      params.get(`${node.name}/${name}`) ?? buffers.get(`${node.name}/${name}`),
    nextSeed: (node) => hashString(`${seed}:${node.name}:${draws++}`),
    shard,
    fusedBias: fuse && biasActivationFuses(tf) ? fusedBias : NO_FUSED_BIAS,
  });

  const run = (
    x: tfjs.Tensor,
    training: boolean,
    stopBeforeSoftmax: boolean,
    capture?: (node: Node, inputs: readonly tfjs.Tensor[]) => void,
  ): tfjs.Tensor => {
    checkShape(graph, input, x.shape, 'input');
    const ctx = contextFor(training, capture === undefined);
    return tf.tidy(() => {
      const values: tfjs.Tensor[] = [];
      for (const node of graph.nodes) {
        if (stopBeforeSoftmax && endsInSoftmax && node === output) break;
        const ins = node.op === 'input' ? [x] : node.inputs.map((i) => values[i]);
        capture?.(node, ins);
        const y = lowerNode(ctx, node, ins);
        checkShape(graph, node, y.shape, 'output');
        values[node.id] = y;
      }
      return stopBeforeSoftmax && endsInSoftmax ? values[output.inputs[0]] : values[output.id];
    });
  };

  /** Every output; a softmax output that nothing reads is not computed when its logits are asked. */
  const runAll = (
    x: tfjs.Tensor,
    training: boolean,
    logits: readonly boolean[],
    capture?: (node: Node, inputs: readonly tfjs.Tensor[]) => void,
  ): tfjs.Tensor[] => {
    checkShape(graph, input, x.shape, 'input');
    const ctx = contextFor(training, capture === undefined);
    const stops = outputNodes.map((_, k) => outputsEndInSoftmax[k] && logits[k] === true);
    const skip = new Set(outputNodes.filter((o, k) => stops[k] && !read.has(o.id)));
    const lasts = outputNodes.map((o, k) => (stops[k] ? o.inputs[0] : o.id));
    const end = Math.max(...outputNodes.map((o, k) => (skip.has(o) ? lasts[k] : o.id)));
    return tf.tidy(() => {
      const values: tfjs.Tensor[] = [];
      for (const node of graph.nodes) {
        if (node.id > end) break;
        if (skip.has(node)) continue;
        const ins = node.op === 'input' ? [x] : node.inputs.map((i) => values[i]);
        capture?.(node, ins);
        const y = lowerNode(ctx, node, ins);
        checkShape(graph, node, y.shape, 'output');
        values[node.id] = y;
      }
      return lasts.map((l) => values[l]);
    });
  };

  return {
    params,
    buffers,
    trainable,
    inputShape,
    endsInSoftmax,
    apply: (x, training) => run(x, training, false),
    logits: (x, training) => run(x, training, true),
    ...(outputNodes.length > 1 ? { applyAll: runAll, outputsEndInSoftmax } : {}),
    kinkInputs(x, training) {
      const out = new Map<string, Float32Array>();
      const kinked = (n: Node) => n.op === 'activation' && activationKinks(n.attrs).length > 0;
      const capture = (node: Node, ins: readonly tfjs.Tensor[]) => {
        if (kinked(node)) out.set(node.name, ins[0].dataSync() as Float32Array);
      };
      // Several outputs: the heads' activations too.
      tf.dispose(
        outputNodes.length > 1
          ? runAll(
              x,
              training,
              outputNodes.map(() => false),
              capture,
            )
          : run(x, training, false, capture),
      );
      return out;
    },
    setShard(next) {
      shard = next;
    },
    randomDraws: () => draws,
    setRandomDraws(n) {
      if (!Number.isSafeInteger(n) || n < 0) throw new Error(`setRandomDraws: bad count ${n}`);
      draws = n;
    },
    dispose() {
      for (const v of [...params.values(), ...buffers.values()]) v.dispose();
    },
  };
}

/**
 * The activations that add their producer's bias themselves (fused-bias-act.ts): a relu or tanh
 * whose input is a conv2d, conv1d or dense node with a bias that nothing else reads and that is
 * not an output of the graph.
 */
function fusedBiasOf(graph: Graph, biasOf: (node: Node) => tfjs.Variable | undefined): FusedBias {
  const readers = new Map<number, number>();
  for (const n of graph.nodes) for (const i of n.inputs) readers.set(i, (readers.get(i) ?? 0) + 1);
  const deferred = new Set<number>();
  const biases = new Map<number, tfjs.Variable>();
  for (const node of graph.nodes) {
    if (node.op !== 'activation' || (node.attrs.fn !== 'relu' && node.attrs.fn !== 'tanh'))
      continue;
    const producer = graph.nodes[node.inputs[0]];
    if (producer.op !== 'conv2d' && producer.op !== 'conv1d' && producer.op !== 'dense') continue;
    const bias = biasOf(producer);
    if (bias === undefined || readers.get(producer.id) !== 1 || graph.outputs.includes(producer.id))
      continue;
    deferred.add(producer.id);
    biases.set(node.id, bias);
  }
  return {
    defers: (node) => deferred.has(node.id),
    biasFor: (activation) => biases.get(activation.id) ?? null,
  };
}

function lowerNode(ctx: LowerContext, node: Node, inputs: readonly tfjs.Tensor[]): tfjs.Tensor {
  const lower = lowerings[node.op] as OpLowering<OpKind>;
  return lower(ctx, node as IrNode<OpKind>, inputs);
}
