/**
 * Builds small IR graphs by hand for tests of the shape, parameter and receptive-field rules. Every
 * node gets a fake span in `test.cnn` (node i spans [100·i, 100·i + 10)), so tests can assert which
 * node a diagnostic points at. Each layer method reads the last added node unless `from` says
 * otherwise, and returns the new node's id.
 */
import type { Span } from '../../compiler/diagnostics/diagnostic.js';
import { IR_VERSION } from '../../compiler/ir/graph.js';
import type { Graph, IrNode, Node } from '../../compiler/ir/graph.js';
import type { ActivationFn, OpAttrMap, OpKind, Padding } from '../../compiler/ir/ops.js';

export const TEST_FILE = 'test.cnn';

export function spanOf(id: number): Span {
  return { file: TEST_FILE, start: id * 100, end: id * 100 + 10 };
}

/** A padding as tests write it: `'same'`, `'valid'`, `'full'`, one number for every side, or pads. */
export type PadSpec = 'same' | 'valid' | 'full' | number | readonly number[];

export function padding(p: PadSpec, spatialRank = 2): Padding {
  if (p === 'same' || p === 'valid' || p === 'full') return { mode: p };
  if (typeof p === 'number') return { mode: 'explicit', pads: Array(2 * spatialRank).fill(p) };
  return { mode: 'explicit', pads: p };
}

type Pair = readonly [number, number];

function pair(v: number | Pair): Pair {
  return typeof v === 'number' ? [v, v] : v;
}

export interface NodeOpts {
  /** Input node ids; defaults to the last added node. */
  readonly from?: number | readonly number[];
  readonly name?: string;
  readonly frozen?: boolean;
}

export interface ConvOpts extends NodeOpts {
  readonly stride?: number | Pair;
  readonly padding?: PadSpec;
  readonly dilation?: number | Pair;
  readonly groups?: number;
  readonly bias?: boolean;
}

export interface PoolOpts extends NodeOpts {
  readonly stride?: number | readonly number[];
  readonly padding?: PadSpec;
  readonly ceil?: boolean;
}

export class IrBuilder {
  readonly nodes: Node[] = [];
  private last = -1;

  node<K extends OpKind>(op: K, attrs: OpAttrMap[K], opts: NodeOpts = {}): number {
    const id = this.nodes.length;
    const from = opts.from ?? (op === 'input' ? [] : [this.last]);
    const node: IrNode<K> = {
      id,
      name: opts.name ?? `${op}${id}`,
      op,
      attrs,
      inputs: typeof from === 'number' ? [from] : from,
      span: spanOf(id),
      frozen: opts.frozen ?? false,
    };
    this.nodes.push(node as IrNode as Node);
    this.last = id;
    return id;
  }

  /** Continue from node `id` (to build a branch). */
  at(id: number): this {
    this.last = id;
    return this;
  }

  input(...shape: (number | string | null)[]): number {
    return this.node('input', { shape });
  }

  conv(filters: number, kernel: number | Pair, o: ConvOpts = {}): number {
    return this.node(
      'conv2d',
      {
        filters,
        kernel: pair(kernel),
        stride: pair(o.stride ?? 1),
        dilation: pair(o.dilation ?? 1),
        padding: padding(o.padding ?? 'valid'),
        groups: o.groups ?? 1,
        bias: o.bias ?? true,
      },
      o,
    );
  }

  conv1d(filters: number, kernel: number, o: ConvOpts = {}): number {
    const stride = o.stride ?? 1;
    const dilation = o.dilation ?? 1;
    return this.node(
      'conv1d',
      {
        filters,
        kernel: [kernel],
        stride: [typeof stride === 'number' ? stride : stride[0]],
        dilation: [typeof dilation === 'number' ? dilation : dilation[0]],
        padding: padding(o.padding ?? 'valid', 1),
        groups: o.groups ?? 1,
        bias: o.bias ?? true,
      },
      o,
    );
  }

  depthwise(kernel: number | Pair, o: ConvOpts & { readonly multiplier?: number } = {}): number {
    return this.node(
      'depthwise_conv2d',
      {
        multiplier: o.multiplier ?? 1,
        kernel: pair(kernel),
        stride: pair(o.stride ?? 1),
        dilation: pair(o.dilation ?? 1),
        padding: padding(o.padding ?? 'valid'),
        bias: o.bias ?? true,
      },
      o,
    );
  }

  transpose(
    filters: number,
    kernel: number | Pair,
    o: ConvOpts & { readonly outputPadding?: number | Pair } = {},
  ): number {
    return this.node(
      'conv2d_transpose',
      {
        filters,
        kernel: pair(kernel),
        stride: pair(o.stride ?? 1),
        dilation: pair(o.dilation ?? 1),
        padding: padding(o.padding ?? 'valid'),
        outputPadding: pair(o.outputPadding ?? 0),
        groups: o.groups ?? 1,
        bias: o.bias ?? true,
      },
      o,
    );
  }

  private pool(op: 'max_pool' | 'avg_pool', kernel: number | readonly number[], o: PoolOpts) {
    const k = typeof kernel === 'number' ? [kernel, kernel] : kernel;
    const s = o.stride ?? k;
    return this.node(
      op,
      {
        kernel: k,
        stride: typeof s === 'number' ? k.map(() => s) : s,
        padding: padding(o.padding ?? 'valid', k.length),
        ceil: o.ceil ?? false,
        countIncludePad: true,
      },
      o,
    );
  }

  maxpool(kernel: number | readonly number[], o: PoolOpts = {}): number {
    return this.pool('max_pool', kernel, o);
  }

  avgpool(kernel: number | readonly number[], o: PoolOpts = {}): number {
    return this.pool('avg_pool', kernel, o);
  }

  gap(keepDims = false, o: NodeOpts = {}): number {
    return this.node('global_avg_pool', { keepDims }, o);
  }

  gmp(keepDims = false, o: NodeOpts = {}): number {
    return this.node('global_max_pool', { keepDims }, o);
  }

  adaptiveAvg(output: readonly number[], o: NodeOpts = {}): number {
    return this.node('adaptive_avg_pool', { output }, o);
  }

  dense(units: number, o: NodeOpts & { readonly bias?: boolean } = {}): number {
    return this.node('dense', { units, bias: o.bias ?? true }, o);
  }

  flatten(o: NodeOpts = {}): number {
    return this.node('flatten', {}, o);
  }

  reshape(shape: readonly number[], o: NodeOpts = {}): number {
    return this.node('reshape', { shape }, o);
  }

  zeroPad(pads: readonly number[], o: NodeOpts = {}): number {
    return this.node('zero_pad', { pads }, o);
  }

  upsample(attrs: OpAttrMap['upsample'], o: NodeOpts = {}): number {
    return this.node('upsample', attrs, o);
  }

  dropout(rate = 0.5, o: NodeOpts = {}): number {
    return this.node('dropout', { rate }, o);
  }

  bn(o: NodeOpts & { readonly affine?: boolean } = {}): number {
    return this.node('batch_norm', { epsilon: 1e-5, momentum: 0.1, affine: o.affine ?? true }, o);
  }

  lrn(o: NodeOpts = {}): number {
    return this.node('lrn', { size: 5, alpha: 1e-4, beta: 0.75, k: 2 }, o);
  }

  act(fn: ActivationFn = 'relu', o: NodeOpts = {}): number {
    return this.node('activation', { fn }, o);
  }

  relu(o: NodeOpts = {}): number {
    return this.act('relu', o);
  }

  add(from: readonly number[], o: NodeOpts = {}): number {
    return this.node('add', {}, { ...o, from });
  }

  multiply(from: readonly number[], o: NodeOpts = {}): number {
    return this.node('multiply', {}, { ...o, from });
  }

  concat(from: readonly number[], o: NodeOpts = {}): number {
    return this.node('concat', { axis: -1 }, { ...o, from });
  }

  graph(outputs: readonly number[] = [this.last], extra: Partial<Graph> = {}): Graph {
    return {
      irVersion: IR_VERSION,
      model: 'Test',
      file: TEST_FILE,
      span: { file: TEST_FILE, start: 0, end: 0 },
      nodes: this.nodes,
      outputs,
      budgets: [],
      symbols: [],
      ...extra,
    };
  }
}
