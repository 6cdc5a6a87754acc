/**
 * The PyTorch form of every IR op (one table, typed so that a missing op is a compile error): the
 * module its node owns (layers with weights: nn.Conv2d, nn.Linear, nn.BatchNorm2d, …) and the
 * forward steps, each an expression of the previous value. Layers without weights are written
 * functionally (F.relu, F.max_pool2d, torch.cat).
 *
 * Semantics are those of the checker (compiler/sema/conv-math.ts) and the reference executor
 * (runtime/reference): tensors are NCHW (N, C, L for sequences, N, F for vectors); padding is per
 * side, so a `same` or explicit padding that PyTorch's symmetric `padding=` cannot say becomes an
 * F.pad before the op (−inf for max pooling; zeros, with a divisor from a pooled mask, for average
 * pooling that excludes padding); a ceil-mode window that PyTorch would start in such padding is
 * sliced off; a transposed convolution's uneven crop is a slice of PyTorch's output. What PyTorch
 * cannot express is a CNN6xxx diagnostic (`report`), never broken Python.
 */
import type { Diagnostic } from '../../diagnostics/diagnostic.js';
import type { IrNode } from '../../ir/graph.js';
import type { OpKind, PoolAttrs } from '../../ir/ops.js';
import { convOutputLength, resolveTransposedPadding, type AxisPads } from '../../sema/conv-math.js';
import { addConst, dimEquals, SymbolEnv, type Dim } from '../../sema/dim.js';
import { pyFloat, pyNumber } from '../python-text.js';
import type { FlattenOrder } from './weights.js';
import { noPads, symmetric, windowPads, type WindowSpec } from '../window-pads.js';

/** One forward step: the expression of the node's next value, given the current one. */
export type Step = (x: string) => string;

export interface OpForm {
  /** Constructor of the node's module (ops with weights). */
  readonly module?: string;
  /** Forward steps, the first applied to the first input's variable. */
  readonly steps: readonly Step[];
  /** The output is the input itself (no statement). */
  readonly alias?: boolean;
}

export interface OpContext<K extends OpKind> {
  readonly node: IrNode<K>;
  /** Python variables holding the inputs. */
  readonly inputs: readonly string[];
  readonly inShapes: readonly (readonly Dim[])[];
  readonly outShape: readonly Dim[];
  /** The node's module, as a Python expression (`self.stem["conv1"]`), for ops with weights. */
  readonly module: string;
  /** Flatten nodes: the order chosen by weights.ts flattenOrders. */
  readonly flattenOrder?: FlattenOrder;
  report(d: Diagnostic): void;
}

type OpRule<K extends OpKind> = (ctx: OpContext<K>) => OpForm;

/** `3` for equal entries, `(3, 5)` otherwise. */
function tup(values: readonly number[]): string {
  return values.every((v) => v === values[0]) ? String(values[0]) : `(${values.join(', ')})`;
}

/** `(28, 28)`: always a tuple. */
function tupleOf(values: readonly number[]): string {
  return `(${values.join(', ')})`;
}

/** `name=value` arguments, skipping those at their default. */
function kwargs(pairs: readonly (readonly [string, string, string?])[]): string {
  return pairs
    .filter(([, v, dflt]) => v !== dflt)
    .map(([k, v]) => `, ${k}=${v}`)
    .join('');
}

function channels(shape: readonly Dim[]): number {
  const c = shape[shape.length - 1];
  if (typeof c !== 'number') throw new Error(`channel count ${JSON.stringify(c)} is not concrete`);
  return c;
}

/** Spatial rank of a cnnc shape: 2 for [H, W, C], 1 for [L, C], 0 for a vector. */
const spatialRank = (shape: readonly Dim[]) => shape.length - 1;

/** F.pad's tuple: the last axis first, (left, right, top, bottom). */
function padTuple(pads: readonly AxisPads[]): string {
  return `(${[...pads]
    .reverse()
    .flatMap((p) => [p.before, p.after])
    .join(', ')})`;
}

/**
 * A convolution's padding: PyTorch's `padding=` when symmetric, else an F.pad step before it.
 */
function convPadding(
  spec: WindowSpec,
  input: readonly Dim[],
): { readonly arg: string; readonly pre: Step[] } {
  const pads = windowPads(spec, input);
  if (noPads(pads)) return { arg: '', pre: [] };
  if (symmetric(pads)) return { arg: `, padding=${tup(pads.map((p) => p.before))}`, pre: [] };
  // Not padding="same": PyTorch warns on every call that it copies the input for uneven padding.
  return { arg: '', pre: [(x) => `F.pad(${x}, ${padTuple(pads)})`] };
}

function convModule(
  cls: string,
  cin: number,
  cout: number,
  spec: WindowSpec,
  padArg: string,
  groups: number,
  bias: boolean,
): string {
  return (
    `${cls}(${cin}, ${cout}, ${tup(spec.kernel)}` +
    kwargs([['stride', tup(spec.stride), '1']]) +
    padArg +
    kwargs([
      ['dilation', tup(spec.dilation), '1'],
      ['groups', String(groups), '1'],
      ['bias', bias ? 'True' : 'False', 'True'],
    ])
  );
}

const conv2d: OpRule<'conv2d'> = (ctx) => {
  const a = ctx.node.attrs;
  const pad = convPadding(a, ctx.inShapes[0]);
  const cin = channels(ctx.inShapes[0]);
  return {
    module: `${convModule('nn.Conv2d', cin, a.filters, a, pad.arg, a.groups, a.bias)})`,
    steps: [...pad.pre, (x) => `${ctx.module}(${x})`],
  };
};

const conv1d: OpRule<'conv1d'> = (ctx) => {
  const a = ctx.node.attrs;
  const pad = convPadding(a, ctx.inShapes[0]);
  const cin = channels(ctx.inShapes[0]);
  return {
    module: `${convModule('nn.Conv1d', cin, a.filters, a, pad.arg, a.groups, a.bias)})`,
    steps: [...pad.pre, (x) => `${ctx.module}(${x})`],
  };
};

const depthwise: OpRule<'depthwise_conv2d'> = (ctx) => {
  const a = ctx.node.attrs;
  const pad = convPadding(a, ctx.inShapes[0]);
  const c = channels(ctx.inShapes[0]);
  // groups = C: one filter group per input channel, output channel c·m + j as in cnnc.
  return {
    module: `${convModule('nn.Conv2d', c, c * a.multiplier, a, pad.arg, c, a.bias)})`,
    steps: [...pad.pre, (x) => `${ctx.module}(${x})`],
  };
};

/**
 * PyTorch's ConvTranspose2d crops `padding` rows from both ends of the full output
 * (in − 1)·s + d·(k − 1) + 1 and adds `output_padding` (< max(stride, dilation)) at the end; cnnc
 * crops `before`/`after`, which TF `same` can make uneven or negative (rows added, as zeros before
 * the bias). Take PyTorch's padding p = min(before, after) and the output padding q that reaches
 * cnnc's last row; when q would be too large, pad the input with e zero rows at the end instead
 * (each adds s output rows that no nonzero tap reaches: zero plus the bias, as cnnc's). Then slice
 * PyTorch's output to cnnc's rows.
 */
const convTranspose: OpRule<'conv2d_transpose'> = (ctx) => {
  const a = ctx.node.attrs;
  const cin = channels(ctx.inShapes[0]);
  const axes = [0, 1].map((i) => {
    const s = a.stride[i];
    const { before, after } = resolveTransposedPadding(a.padding, i, {
      kernel: a.kernel[i],
      stride: s,
      dilation: a.dilation[i],
    }).value;
    const op = a.outputPadding[i];
    const p = Math.max(Math.min(before, after), 0);
    // Rows PyTorch must add past its cropped full output to reach cnnc's last row.
    const need = Math.max(op + p - after, 0);
    const fits = need < Math.max(s, a.dilation[i]);
    const e = fits ? 0 : Math.ceil(need / s);
    const q = fits ? need : 0;
    // PyTorch's rows in full-output coordinates: [p, full + e·s − p + q); cnnc's:
    // [before, full − after + op).
    const start = before - p;
    const trim = e * s - p + q + after - op;
    return {
      p,
      q,
      e,
      cut: start === 0 && trim === 0 ? ':' : `${start || ''}:${trim ? -trim : ''}`,
    };
  });
  const mod =
    `nn.ConvTranspose2d(${cin}, ${a.filters}, ${tup(a.kernel)}` +
    kwargs([
      ['stride', tup(a.stride), '1'],
      ['padding', tup(axes.map((x) => x.p)), '0'],
      ['output_padding', tup(axes.map((x) => x.q)), '0'],
      ['groups', String(a.groups), '1'],
      ['bias', a.bias ? 'True' : 'False', 'True'],
      ['dilation', tup(a.dilation), '1'],
    ]) +
    ')';
  const steps: Step[] = [];
  if (axes.some((x) => x.e > 0))
    steps.push((x) => `F.pad(${x}, (0, ${axes[1].e}, 0, ${axes[0].e}))`);
  steps.push((x) => `${ctx.module}(${x})`);
  if (axes.some((x) => x.cut !== ':'))
    steps.push((x) => `${x}[:, :, ${axes.map((c) => c.cut).join(', ')}]`);
  return { module: mod, steps };
};

/** F.max_pool2d / F.avg_pool1d … arguments after the input: kernel, stride (when not the kernel). */
function poolArgs(a: PoolAttrs): string {
  const k = tup(a.kernel);
  const s = tup(a.stride);
  return s === k ? k : `${k}, ${s}`;
}

/**
 * For a pool written as F.pad + a pool without padding: per axis, whether PyTorch's ceil mode keeps
 * one more window than cnnc (which never starts a window in the right padding). That window is
 * the last; it is sliced off.
 */
function extraWindow(a: PoolAttrs, input: readonly Dim[], pads: readonly AxisPads[]): boolean[] {
  const env = new SymbolEnv();
  return a.kernel.map((k, i) => {
    if (!a.ceil) return false;
    const w = { kernel: k, stride: a.stride[i], dilation: 1 };
    const ours = convOutputLength(input[i], w, pads[i], env, true).value;
    const padded = addConst(input[i], pads[i].before + pads[i].after);
    const theirs = convOutputLength(padded, w, { before: 0, after: 0 }, env, true).value;
    if (dimEquals(ours, theirs)) return false;
    if (dimEquals(addConst(ours, 1), theirs)) return true;
    throw new Error(
      `pool window counts differ by more than one: ${JSON.stringify([ours, theirs])}`,
    );
  });
}

function pool(kind: 'max' | 'avg'): OpRule<'max_pool' | 'avg_pool'> {
  return (ctx) => {
    const a = ctx.node.attrs;
    const rank = a.kernel.length;
    const fn = `F.${kind}_pool${rank}d`;
    const spec = { ...a, dilation: a.kernel.map(() => 1) };
    const pads = windowPads(spec, ctx.inShapes[0]);
    const ceil = a.ceil ? ', ceil_mode=True' : '';
    if (symmetric(pads)) {
      const padArg = noPads(pads) ? '' : `, padding=${tup(pads.map((p) => p.before))}`;
      const exclude =
        kind === 'avg' && !a.countIncludePad && padArg ? ', count_include_pad=False' : '';
      return { steps: [(x) => `${fn}(${x}, ${poolArgs(a)}${padArg}${ceil}${exclude})`] };
    }
    const pt = padTuple(pads);
    const steps: Step[] = [];
    if (kind === 'max') {
      steps.push((x) => `F.pad(${x}, ${pt}, value=float("-inf"))`);
      steps.push((x) => `${fn}(${x}, ${poolArgs(a)}${ceil})`);
    } else if (a.countIncludePad) {
      steps.push((x) => `F.pad(${x}, ${pt})`);
      steps.push((x) => `${fn}(${x}, ${poolArgs(a)}${ceil})`);
    } else {
      // Sums over the padded input divided by the count of real positions in each window.
      const p = (x: string) => `${fn}(F.pad(${x}, ${pt}), ${poolArgs(a)}${ceil})`;
      steps.push((x) => `${p(x)} / ${p(`torch.ones_like(${x}[:, :1])`)}`);
    }
    const extra = extraWindow(a, ctx.inShapes[0], pads);
    if (extra.some(Boolean))
      steps.push((x) => `${x}[:, :, ${extra.map((e) => (e ? ':-1' : ':')).join(', ')}]`);
    return { steps };
  };
}

function globalPool(kind: 'mean' | 'amax'): OpRule<'global_avg_pool' | 'global_max_pool'> {
  return (ctx) => {
    const rank = spatialRank(ctx.inShapes[0]);
    const dims = rank === 2 ? '(2, 3)' : '2';
    const keep = ctx.node.attrs.keepDims ? ', keepdim=True' : '';
    return {
      steps: [
        (x) => (kind === 'mean' ? `${x}.mean(${dims}${keep})` : `torch.amax(${x}, ${dims}${keep})`),
      ],
    };
  };
}

function adaptivePool(kind: 'avg' | 'max'): OpRule<'adaptive_avg_pool' | 'adaptive_max_pool'> {
  return (ctx) => {
    const out = ctx.node.attrs.output;
    return { steps: [(x) => `F.adaptive_${kind}_pool${out.length}d(${x}, ${tup(out)})`] };
  };
}

/** From NCHW / NCL to cnnc's channels-last order, and back. */
const TO_LAST = ['', '', '.permute(0, 2, 1)', '.permute(0, 2, 3, 1)'];
const FROM_LAST = ['', '', '.permute(0, 2, 1)', '.permute(0, 3, 1, 2)'];

const ACTIVATIONS: Readonly<Record<string, (x: string, alpha?: number) => string>> = {
  relu: (x) => `F.relu(${x})`,
  relu6: (x) => `F.relu6(${x})`,
  leaky_relu: (x, alpha) => `F.leaky_relu(${x}, ${pyFloat(alpha ?? 0.01)})`,
  elu: (x, alpha) => `F.elu(${x}, ${pyFloat(alpha ?? 1)})`,
  tanh: (x) => `torch.tanh(${x})`,
  sigmoid: (x) => `torch.sigmoid(${x})`,
  softmax: (x) => `F.softmax(${x}, dim=1)`,
  gelu: (x) => `F.gelu(${x})`,
};

/**
 * The inputs of an element-wise merge, those of lower rank than its output given the missing
 * spatial axes after the channels (`g[:, :, None, None]`: (N, C) → (N, C, 1, 1)), so that PyTorch
 * broadcasts them as cnnc does (shapes aligned at the channels).
 */
function broadcastInputs(ctx: OpContext<'add' | 'multiply' | 'highway'>): string[] {
  const rank = ctx.outShape.length;
  return ctx.inputs.map((v, i) => {
    const missing = rank - ctx.inShapes[i].length;
    return missing > 0 ? `${v}[:, :${', None'.repeat(missing)}]` : v;
  });
}

export const OP_RULES: { readonly [K in OpKind]: OpRule<K> } = {
  input: () => ({ steps: [], alias: true }),
  // The head's raw grid is the model output; decoding and the loss live outside the network.
  yolo: () => ({ steps: [], alias: true }),
  conv2d,
  conv1d,
  depthwise_conv2d: depthwise,
  conv2d_transpose: convTranspose,
  max_pool: pool('max'),
  avg_pool: pool('avg'),
  global_max_pool: globalPool('amax'),
  global_avg_pool: globalPool('mean'),
  adaptive_max_pool: adaptivePool('max'),
  adaptive_avg_pool: adaptivePool('avg'),
  dense: (ctx) => {
    const a = ctx.node.attrs;
    const units = channels(ctx.inShapes[0]);
    return {
      module: `nn.Linear(${units}, ${a.units}${a.bias ? '' : ', bias=False'})`,
      steps: [(x) => `${ctx.module}(${x})`],
    };
  },
  flatten: (ctx) => {
    const rank = ctx.inShapes[0].length;
    if (rank === 1) return { steps: [], alias: true };
    const permute = ctx.flattenOrder === 'chw' ? '' : TO_LAST[rank];
    return { steps: [(x) => `torch.flatten(${x}${permute}, 1)`] };
  },
  reshape: (ctx) => {
    const from = ctx.inShapes[0].length;
    const to = ctx.outShape;
    return {
      steps: [
        (x) =>
          `${x}${TO_LAST[from]}.reshape(${x}.shape[0], ${to.map((d) => pyNumber(Number(d))).join(', ')})${FROM_LAST[to.length]}`,
      ],
    };
  },
  zero_pad: (ctx) => {
    const p = ctx.node.attrs.pads;
    const pads = Array.from({ length: p.length / 2 }, (_, i) => ({
      before: p[2 * i],
      after: p[2 * i + 1],
    }));
    return { steps: [(x) => `F.pad(${x}, ${padTuple(pads)})`] };
  },
  upsample: (ctx) => {
    const a = ctx.node.attrs;
    const how = a.size ? `size=${tupleOf(a.size)}` : `scale_factor=${tup(a.scale ?? [1])}`;
    const mode = a.mode === 'bilinear' ? `mode="bilinear", align_corners=False` : `mode="nearest"`;
    return { steps: [(x) => `F.interpolate(${x}, ${how}, ${mode})`] };
  },
  dropout: (ctx) => ({
    steps: [(x) => `F.dropout(${x}, ${pyFloat(ctx.node.attrs.rate)}, self.training)`],
  }),
  batch_norm: (ctx) => {
    const a = ctx.node.attrs;
    const c = channels(ctx.inShapes[0]);
    const cls = spatialRank(ctx.inShapes[0]) === 2 ? 'nn.BatchNorm2d' : 'nn.BatchNorm1d';
    return {
      module:
        `${cls}(${c}` +
        kwargs([
          ['eps', pyFloat(a.epsilon), pyFloat(1e-5)],
          ['momentum', pyFloat(a.momentum), pyFloat(0.1)],
          ['affine', a.affine ? 'True' : 'False', 'True'],
        ]) +
        ')',
      steps: [(x) => `${ctx.module}(${x})`],
    };
  },
  lrn: (ctx) => {
    const a = ctx.node.attrs;
    const args =
      `${a.size}` +
      kwargs([
        ['alpha', pyFloat(a.alpha), pyFloat(1e-4)],
        ['beta', pyFloat(a.beta), pyFloat(0.75)],
        ['k', pyFloat(a.k), pyFloat(1)],
      ]);
    // F.local_response_norm needs a spatial axis: a vector gets one of size 1.
    if (ctx.inShapes[0].length === 1)
      return { steps: [(x) => `F.local_response_norm(${x}.unsqueeze(2), ${args}).squeeze(2)`] };
    return { steps: [(x) => `F.local_response_norm(${x}, ${args})`] };
  },
  activation: (ctx) => {
    const { fn, alpha } = ctx.node.attrs;
    if (fn === 'linear') return { steps: [], alias: true };
    return { steps: [(x) => ACTIVATIONS[fn](x, alpha)] };
  },
  add: (ctx) => ({ steps: [() => broadcastInputs(ctx).join(' + ')] }),
  multiply: (ctx) => ({ steps: [() => broadcastInputs(ctx).join(' * ')] }),
  // t·h + (1 − t)·x, as x + t·(h − x).
  highway: (ctx) => {
    const [x, h, t] = broadcastInputs(ctx);
    return { steps: [() => `${x} + ${t} * (${h} - ${x})`] };
  },
  concat: (ctx) => ({ steps: [() => `torch.cat([${ctx.inputs.join(', ')}], 1)`] }),
};
