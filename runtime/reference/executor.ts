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
  /** The first output (the model's final value). */
  readonly output: Tensor;
  /** Every output, in the graph's order (`graph.outputs`). */
  readonly outputs: readonly Tensor[];
  /**
   * Back-propagates dL/d(output), or one dL/d(output k) per output (undefined: that output does
   * not reach the loss); gradients from several outputs sum. Returns dL/dw of every trainable
   * param by key.
   */
  backward(dy: Tensor | readonly (Tensor | undefined)[]): Map<string, Tensor>;
}

export class ReferenceModel {
  readonly params = new Map<string, Tensor>();
  readonly buffers = new Map<string, Tensor>();
  /** Keys of the params that are not frozen, in graph order. */
  readonly trainable: string[] = [];
  readonly inputShape: readonly number[];
  readonly endsInSoftmax: boolean;
  /** Per output: whether it is a softmax (then its logits are the softmax's input). */
  readonly outputsEndInSoftmax: readonly boolean[];
  readonly dtype: DType;
  private readonly outputNodes: readonly Node[];
  /** Nodes no other node reads. */
  private readonly unread: ReadonlySet<number>;
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
    this.outputNodes = graph.outputs.map((o) => graph.nodes[o]);
    if (this.outputNodes.length === 0 || this.outputNodes.some((n) => !n))
      throw new Error(`graph ${graph.model}: bad outputs ${graph.outputs.join(', ')}`);
    const read = new Set<number>();
    for (const n of graph.nodes) for (const i of n.inputs) read.add(i);
    this.unread = new Set(graph.nodes.filter((n) => !read.has(n.id)).map((n) => n.id));
    const input = graph.nodes.find((n) => n.op === 'input');
    if (!input) throw new Error(`graph ${graph.model}: no input node`);
    this.inputShape = (input.shape ?? []).map((d) => (typeof d === 'number' ? d : -1));
    this.outputsEndInSoftmax = this.outputNodes.map(
      (o) => o.op === 'activation' && o.attrs.fn === 'softmax',
    );
    this.endsInSoftmax = this.outputsEndInSoftmax[0];
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
   * logits of an output that is a softmax (one flag for all outputs, or one per output).
   */
  forward(
    x: Tensor,
    training: boolean,
    stopBeforeSoftmax: boolean | readonly boolean[] = false,
    opts: ForwardOptions = {},
  ): ForwardPass {
    const { graph } = this;
    const xs = cast(x, this.dtype);
    const values: Tensor[] = [];
    const results: (KernelResult | undefined)[] = [];
    const stops = this.outputNodes.map(
      (_, k) =>
        this.outputsEndInSoftmax[k] &&
        (typeof stopBeforeSoftmax === 'boolean' ? stopBeforeSoftmax : stopBeforeSoftmax[k]),
    );
    const lasts = this.outputNodes.map((o, k) => (stops[k] ? graph.nodes[o.inputs[0]] : o));
    // A softmax output that nothing else reads is not computed when its logits are wanted.
    const skip = new Set(this.outputNodes.filter((o, k) => stops[k] && this.unread.has(o.id)));
    const end = Math.max(...this.outputNodes.map((o, k) => (skip.has(o) ? lasts[k].id : o.id)));
    for (const node of graph.nodes) {
      if (node.id > end) break;
      if (skip.has(node)) continue;
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
    const outputs = lasts.map((l) => values[l.id]);
    return {
      output: outputs[0],
      outputs,
      backward: (dy) => this.backward(results, lasts, Array.isArray(dy) ? dy : [dy]),
    };
  }

  private backward(
    results: (KernelResult | undefined)[],
    lasts: readonly Node[],
    dys: readonly (Tensor | undefined)[],
  ): Map<string, Tensor> {
    const grads: (Tensor | undefined)[] = [];
    const owned: boolean[] = [];
    let start = -1;
    lasts.forEach((last, k) => {
      const dy = dys[k];
      if (!dy) return;
      start = Math.max(start, last.id);
      const prev = grads[last.id];
      if (!prev) {
        grads[last.id] = dy;
        return;
      }
      // Two outputs on one value (an output that is also another's logits): sum them.
      const acc = { shape: prev.shape, data: alloc(prev.data.length, this.dtype) };
      for (let j = 0; j < acc.data.length; j++) acc.data[j] = prev.data[j] + dy.data[j];
      grads[last.id] = acc;
      owned[last.id] = true;
    });
    const out = new Map<string, Tensor>();
    const nodes = this.graph.nodes;
    for (let id = start; id >= 0; id--) {
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
