/**
 * The reference executor: runs an analysed IR graph node by node with the kernels of kernels/, in
 * float32 (or float64 for gradient checks), and back-propagates through the recorded kernel
 * results in reverse order. Gradients of a value used by several nodes are summed. Only what needs
 * a gradient is differentiated: the image input never, and a node's input only when a trainable
 * (non-frozen) param lies upstream of it.
 *
 * Weights are keyed `${node.name}/${weight}` as in the tfjs lowering and checkpoints, with the same
 * seeded initial values (runtime/init.ts), so both backends start from identical weights.
 */
import { checkShape } from '../check-shape.js';
import type { Graph, IrNode, Node } from '../../compiler/ir/graph.js';
import type { OpKind } from '../../compiler/ir/ops.js';
import { hashString, initialValue, seededRandom, type InitScheme } from '../init.js';
import type { Kernel, KernelResult } from './kernel.js';
import { kernels } from './kernels/index.js';
import { alloc, cast, type DType, type FloatArray, type Tensor } from './tensor.js';

export interface ExecutorOptions {
  /** Seed of the initial weights and of dropout; default 0. */
  readonly seed?: number;
  readonly dtype?: DType;
  /** Initialisation scheme (runtime/init.ts); default PyTorch's. */
  readonly init?: InitScheme;
}

export interface ForwardOptions {
  /** Another engine's inputs of kinked activations (runtime/train/engine.ts KinkBranches). */
  readonly branches?: ReadonlyMap<string, FloatArray>;
  /** Called with the number of derivatives whose branch came from `branches` and differs from ours. */
  readonly branchTaken?: (n: number) => void;
}

export interface ForwardPass {
  readonly output: Tensor;
  /** Back-propagates dL/d(output); returns dL/dw of every trainable param by key. */
  backward(dy: Tensor): Map<string, Tensor>;
}

export class ReferenceModel {
  readonly params = new Map<string, Tensor>();
  readonly buffers = new Map<string, Tensor>();
  /** Keys of the params that are not frozen, in graph order. */
  readonly trainable: string[] = [];
  readonly inputShape: readonly number[];
  readonly endsInSoftmax: boolean;
  readonly dtype: DType;
  private readonly output: Node;
  /** Per node: whether its output depends on a trainable param (so needs a gradient). */
  private readonly needsGrad: boolean[];
  private readonly seed: number;
  private draws = 0;

  constructor(
    readonly graph: Graph,
    opts: ExecutorOptions = {},
  ) {
    this.seed = opts.seed ?? 0;
    this.dtype = opts.dtype ?? 'float32';
    for (const node of graph.nodes) {
      if (node.op !== 'input' && node.weights === undefined)
        throw new Error(`${node.name}: the graph has not been analysed (no weights)`);
      for (const w of node.weights ?? []) {
        const key = `${node.name}/${w.name}`;
        const value = cast(
          { shape: w.shape, data: initialValue(node, w, this.seed, opts.init) },
          this.dtype,
        );
        (w.kind === 'param' ? this.params : this.buffers).set(key, value);
        if (w.kind === 'param' && !node.frozen) this.trainable.push(key);
      }
    }
    const output = graph.nodes[graph.outputs[0]];
    if (graph.outputs.length !== 1 || !output)
      throw new Error(`graph ${graph.model}: expected one output, got ${graph.outputs.length}`);
    this.output = output;
    const input = graph.nodes.find((n) => n.op === 'input');
    if (!input) throw new Error(`graph ${graph.model}: no input node`);
    this.inputShape = (input.shape ?? []).map((d) => (typeof d === 'number' ? d : -1));
    this.endsInSoftmax = output.op === 'activation' && output.attrs.fn === 'softmax';
    this.needsGrad = [];
    for (const node of graph.nodes) {
      const own = !node.frozen && (node.weights ?? []).some((w) => w.kind === 'param');
      this.needsGrad[node.id] = own || node.inputs.some((i) => this.needsGrad[i]);
    }
  }

  /** The number of dropout draws so far (saved with a checkpoint so a resumed run continues the stream). */
  get randomDraws(): number {
    return this.draws;
  }
  set randomDraws(n: number) {
    this.draws = n;
  }

  /**
   * Forward pass over x [N, ...inputShape]. training: dropout on, batch norm on batch statistics
   * with its moving statistics updated (not for frozen nodes). stopBeforeSoftmax returns the
   * logits of a graph that ends in softmax.
   */
  forward(
    x: Tensor,
    training: boolean,
    stopBeforeSoftmax = false,
    opts: ForwardOptions = {},
  ): ForwardPass {
    const { graph } = this;
    const xs = cast(x, this.dtype);
    const values: Tensor[] = [];
    const results: (KernelResult | undefined)[] = [];
    let last: Node = this.output;
    for (const node of graph.nodes) {
      if (stopBeforeSoftmax && this.endsInSoftmax && node === this.output) {
        last = graph.nodes[node.inputs[0]];
        break;
      }
      const ins = node.op === 'input' ? [xs] : node.inputs.map((i) => values[i]);
      const weights: Record<string, Tensor> = {};
      for (const w of node.weights ?? []) {
        const key = `${node.name}/${w.name}`;
        weights[w.name] = (this.params.get(key) ?? this.buffers.get(key))!;
      }
      const kernel = kernels[node.op] as Kernel<OpKind>;
      const random = seededRandom(hashString(`${this.seed}:${node.name}:${this.draws++}`));
      const r = kernel(node as IrNode<OpKind>, ins, weights, {
        training,
        needInputGrad: node.op === 'input' ? [false] : node.inputs.map((i) => this.needsGrad[i]),
        random,
        branchInput: opts.branches?.get(node.name),
        branchTaken: opts.branchTaken,
      });
      checkShape(graph, node, r.output.shape, 'output');
      if (training && r.buffers && !node.frozen) {
        for (const [name, t] of Object.entries(r.buffers)) {
          this.buffers.get(`${node.name}/${name}`)!.data.set(t.data);
        }
      }
      values[node.id] = r.output;
      results[node.id] = this.needsGrad[node.id] ? r : undefined;
    }
    const output = values[last.id];
    return {
      output,
      backward: (dy) => this.backward(results, last, dy),
    };
  }

  private backward(
    results: (KernelResult | undefined)[],
    last: Node,
    dy: Tensor,
  ): Map<string, Tensor> {
    const grads: (Tensor | undefined)[] = [];
    const owned: boolean[] = [];
    grads[last.id] = dy;
    const out = new Map<string, Tensor>();
    const nodes = this.graph.nodes;
    for (let id = last.id; id >= 0; id--) {
      const g = grads[id];
      const r = results[id];
      if (!g || !r) continue;
      grads[id] = undefined;
      const node = nodes[id];
      const back = r.backward(g);
      if (!node.frozen) {
        for (const [name, wg] of Object.entries(back.weights)) out.set(`${node.name}/${name}`, wg);
      }
      node.inputs.forEach((src, i) => {
        const gi = back.inputs[i];
        if (!gi || !this.needsGrad[src]) return;
        const prev = grads[src];
        if (!prev) {
          grads[src] = gi;
          owned[src] = false;
          return;
        }
        // A value used twice: sum into a buffer of our own (kernels may return shared buffers).
        let acc = prev;
        if (!owned[src]) {
          acc = { shape: prev.shape, data: alloc(prev.data.length, this.dtype) };
          acc.data.set(prev.data);
          grads[src] = acc;
          owned[src] = true;
        }
        const a = acc.data;
        const b = gi.data;
        for (let j = 0; j < a.length; j++) a[j] += b[j];
      });
    }
    return out;
  }
}
