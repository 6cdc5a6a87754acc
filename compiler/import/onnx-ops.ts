/**
 * One ONNX node → a .cnn statement, as a table of pure functions keyed by op type. A translation
 * gives the statement text, which initializer holds each of its weights (and in which layout), and
 * the checks that need shapes (an axis that must be the channel axis). A setting the language
 * cannot express is CNN2072 at that attribute; an op type missing from the table is reported with
 * every other one in one CNN2071 (compiler/import/onnx.ts).
 *
 * ONNX is NCHW, cnnc channels last: an ONNX axis 1 of an image is cnnc's last axis. Weights keep
 * PyTorch's layouts in ONNX (Conv [O, I/g, kh, kw], ConvTranspose [I, O/g, kh, kw], Gemm with
 * transB [units, in]); the CLI converts them with runtime/weights/torchvision.ts's layouts.
 */
import { diag, type Diagnostic, type Span } from '../diagnostics/diagnostic.js';
import type { CodeStmt } from './keras-layers.js';
import type { AttrValue, OnnxNode, OnnxTensor } from './onnx-model.js';

/** How an initializer becomes a cnnc weight: `torch` PyTorch's layout, `transpose` [in, units]. */
export type WeightLayout = 'torch' | 'transpose' | 'none';

export interface OnnxWeight {
  readonly stmt: number;
  /** cnnc's weight name on the statement's node: `kernel`, `bias`, `gamma`, … */
  readonly local: string;
  /** The initializer (after Identity aliases). */
  readonly source: string;
  readonly layout: WeightLayout;
  /** A factor the values are multiplied by (Gemm's alpha and beta); 1 when absent. */
  readonly scale: number;
}

/** An ONNX axis that must be the channel axis (1) of the node's input; legacy: rank 2 only. */
export interface ChannelAxis {
  readonly axis: number;
  readonly span: Span;
  readonly what: string;
  readonly legacy?: boolean;
}

export interface OnnxLayerCode {
  readonly kind: 'layer';
  readonly stmts: readonly CodeStmt[];
  readonly group: false;
  readonly weights: readonly OnnxWeight[];
  readonly channelAxis?: ChannelAxis;
  /** A flatten that must give this many values per sample (a Reshape's target). */
  readonly flattenTo?: { readonly size: number; readonly span: Span };
}

export interface OnnxMergeCode {
  readonly kind: 'merge';
  readonly op: 'add' | 'concat' | 'multiply';
  readonly channelAxis?: ChannelAxis;
}

export type OnnxCode = OnnxLayerCode | OnnxMergeCode;

/** A folded constant: its values (NaN for a size known only at run time, the batch). */
export interface ConstValue {
  readonly dims: readonly number[];
  readonly values: readonly number[];
}

/** What a translation may ask about the graph around the node. */
export interface OpContext {
  readonly opset: number;
  /** The folded constant a value is, if it is one. */
  constOf(value: string): ConstValue | undefined;
  /** The initializer a value is (through Identity), if it is one. */
  initializerOf(value: string): OnnxTensor | undefined;
  /** Padding [top, left, bottom, right] of Pad nodes folded into this node. */
  extraPads(node: OnnxNode): readonly number[];
  /** A GlobalAveragePool/GlobalMaxPool whose Flatten was folded into it. */
  flattened(node: OnnxNode): boolean;
  /** The bias a MatMul takes from the Add after it. */
  matmulBias(node: OnnxNode): string | undefined;
  /** The non-constant inputs of the node. */
  dataInputs(node: OnnxNode): readonly string[];
  report(d: Diagnostic): void;
}

export type OpRule = (n: OnnxNode, cx: OpContext) => OnnxCode | undefined;

/** The shortest decimal that is the same float32 (ONNX stores 1e-5 as 9.999999747378752e-06). */
export function f32(x: number): string {
  const want = Math.fround(x);
  for (let p = 1; p <= 9; p++) {
    const s = Number(x.toPrecision(p));
    if (Math.fround(s) === want) return String(s);
  }
  return String(x);
}

const num = (x: number) => String(Number(x.toPrecision(12)));

/** Reads a node's attributes with defaults; `cannot` reports CNN2072 at one and returns undefined. */
class Attrs {
  constructor(
    private readonly n: OnnxNode,
    private readonly cx: OpContext,
  ) {}

  private get(name: string): AttrValue | undefined {
    return this.n.attrs.get(name)?.value;
  }

  has(name: string): boolean {
    return this.n.attrs.has(name);
  }

  span(name: string | null): Span {
    return (name !== null && this.n.attrs.get(name)?.span) || this.n.opSpan;
  }

  int(name: string, dflt: number): number {
    const v = this.get(name);
    return v?.kind === 'int' ? v.value : dflt;
  }

  float(name: string, dflt: number): number {
    const v = this.get(name);
    return v?.kind === 'float' ? v.value : v?.kind === 'int' ? v.value : dflt;
  }

  str(name: string, dflt: string): string {
    const v = this.get(name);
    return v?.kind === 'string' ? v.value : dflt;
  }

  ints(name: string, dflt: readonly number[] | undefined): readonly number[] | undefined {
    const v = this.get(name);
    return v?.kind === 'ints' ? v.value : dflt;
  }

  cannot(name: string | null, message: string, help?: string): undefined {
    this.cx.report(
      diag('CNN2072', `ONNX node \`${this.n.name}\` (${this.n.opType}): ${message}`, {
        span: this.span(name),
        help,
      }),
    );
    return undefined;
  }
}

const sizeText = (k: readonly number[]) => k.join('x');

function strideText(s: readonly number[]): string {
  if (s.every((x) => x === s[0])) return ` /${s[0]}`;
  return ` stride (${s.join(', ')})`;
}

/** ONNX pads [top, left, bottom, right] as a .cnn `pad`; '' for none. */
export function padText(p: readonly number[]): string {
  const [t, l, b, r] = p;
  if (p.every((x) => x === 0)) return '';
  if (p.every((x) => x === t)) return ` pad ${t}`;
  if (t === b && l === r) return ` pad (${t}, ${l})`;
  return ` pad (${t}, ${b}, ${l}, ${r})`;
}

const layer = (
  text: string,
  weights: OnnxWeight[] = [],
  extra: Partial<OnnxLayerCode> = {},
): OnnxLayerCode => ({ kind: 'layer', stmts: [{ text }], group: false, weights, ...extra });

const w = (
  local: string,
  source: string,
  layout: WeightLayout = 'none',
  scale = 1,
): OnnxWeight => ({
  stmt: 0,
  local,
  source,
  layout,
  scale,
});

/** The initializer behind input `i` of a node, or a CNN2072 saying it must be one. */
function weightInput(n: OnnxNode, cx: OpContext, a: Attrs, i: number, what: string) {
  const name = n.inputs[i] ?? '';
  const t = name ? cx.initializerOf(name) : undefined;
  if (!t)
    a.cannot(
      null,
      `its ${what} is computed by the graph; cnnc imports ${what}s stored as initializers`,
    );
  return t;
}

/** Pads of a window op: attribute pads plus folded Pad nodes, checked for 2-D. */
function windowPads(n: OnnxNode, cx: OpContext, a: Attrs): readonly number[] | undefined {
  const pads = a.ints('pads', [0, 0, 0, 0])!;
  if (pads.length !== 4) return a.cannot('pads', `${pads.length} pads; cnnc imports 2-D windows`);
  if (pads.some((p) => p < 0)) return a.cannot('pads', 'negative padding crops; cnnc cannot');
  const extra = cx.extraPads(n);
  return pads.map((p, i) => p + (extra[i] ?? 0));
}

/** `same` for SAME_UPPER; undefined after a diagnostic. */
function autoPad(a: Attrs, pads: readonly number[], deconv = false): string | undefined {
  const mode = a.str('auto_pad', 'NOTSET');
  if (mode === 'NOTSET' || mode === 'VALID') return '';
  if (mode === 'SAME_UPPER' && !deconv && pads.every((p) => p === 0)) return ' same';
  return a.cannot(
    'auto_pad',
    `auto_pad ${mode} has no counterpart`,
    'cnnc pads with explicit sizes or `same` (SAME_UPPER)',
  );
}

function conv(n: OnnxNode, cx: OpContext): OnnxCode | undefined {
  const a = new Attrs(n, cx);
  const W = weightInput(n, cx, a, 1, 'kernel');
  if (!W) return undefined;
  if (W.dims.length !== 4)
    return a.cannot(null, `a ${W.dims.length - 2}-D convolution; cnnc imports 2-D ones`);
  const [O, Ig, kh, kw] = W.dims;
  const kernel = a.ints('kernel_shape', [kh, kw])!;
  const strides = a.ints('strides', [1, 1])!;
  const dil = a.ints('dilations', [1, 1])!;
  const g = a.int('group', 1);
  const pads = windowPads(n, cx, a);
  if (!pads) return undefined;
  const same = autoPad(a, pads);
  if (same === undefined) return undefined;
  const bias = n.inputs[2] ? weightInput(n, cx, a, 2, 'bias') : null;
  if (bias === undefined) return undefined;
  const rest =
    `${strides.every((s) => s === 1) ? '' : strideText(strides)}${same}${padText(pads)}` +
    `${dil.every((d) => d === 1) ? '' : ` dilation ${dil.every((d) => d === dil[0]) ? dil[0] : `(${dil.join(', ')})`}`}`;
  const weights = [w(g > 1 && Ig === 1 ? 'depthwise_kernel' : 'kernel', W.name, 'torch')];
  if (bias) weights.push(w('bias', bias.name));
  const nobias = bias ? '' : ' nobias';
  if (g > 1 && Ig === 1) {
    const m = O / g;
    return layer(
      `dwconv ${sizeText(kernel)}${rest}${m !== 1 ? ` multiplier ${m}` : ''}${nobias}`,
      weights,
    );
  }
  return layer(
    `conv ${O} ${sizeText(kernel)}${rest}${g !== 1 ? ` groups ${g}` : ''}${nobias}`,
    weights,
  );
}

function convTranspose(n: OnnxNode, cx: OpContext): OnnxCode | undefined {
  const a = new Attrs(n, cx);
  const W = weightInput(n, cx, a, 1, 'kernel');
  if (!W) return undefined;
  if (W.dims.length !== 4)
    return a.cannot(null, `a ${W.dims.length - 2}-D transposed convolution; cnnc imports 2-D ones`);
  if (a.has('output_shape'))
    return a.cannot(
      'output_shape',
      'output_shape has no counterpart',
      'give pads and output_padding instead',
    );
  const [, Og, kh, kw] = W.dims;
  const kernel = a.ints('kernel_shape', [kh, kw])!;
  const strides = a.ints('strides', [1, 1])!;
  const dil = a.ints('dilations', [1, 1])!;
  const outpad = a.ints('output_padding', [0, 0])!;
  const g = a.int('group', 1);
  const pads = windowPads(n, cx, a);
  if (!pads) return undefined;
  if (autoPad(a, pads, true) === undefined) return undefined;
  const bias = n.inputs[2] ? weightInput(n, cx, a, 2, 'bias') : null;
  if (bias === undefined) return undefined;
  const weights = [w('kernel', W.name, 'torch')];
  if (bias) weights.push(w('bias', bias.name));
  const text =
    `deconv ${Og * g} ${sizeText(kernel)}${strides.every((s) => s === 1) ? '' : strideText(strides)}${padText(pads)}` +
    `${dil.every((d) => d === 1) ? '' : ` dilation ${dil.every((d) => d === dil[0]) ? dil[0] : `(${dil.join(', ')})`}`}` +
    `${g !== 1 ? ` groups ${g}` : ''}` +
    `${outpad.every((p) => p === 0) ? '' : ` outpad ${outpad.every((p) => p === outpad[0]) ? outpad[0] : `(${outpad.join(', ')})`}`}` +
    `${bias ? '' : ' nobias'}`;
  return layer(text, weights);
}

function batchNorm(n: OnnxNode, cx: OpContext): OnnxCode | undefined {
  const a = new Attrs(n, cx);
  if (a.int('training_mode', 0) !== 0)
    return a.cannot(
      'training_mode',
      'a batch norm in training mode',
      'export the model in eval mode',
    );
  if (n.outputs.length > 1 && n.outputs.slice(1).some(Boolean))
    return a.cannot(
      null,
      'running statistics as outputs (training mode)',
      'export the model in eval mode',
    );
  const names = ['gamma', 'beta', 'moving_mean', 'moving_variance'];
  const what = ['scale', 'bias', 'mean', 'variance'];
  const weights: OnnxWeight[] = [];
  for (let i = 0; i < 4; i++) {
    const t = weightInput(n, cx, a, i + 1, `batch-norm ${what[i]}`);
    if (!t) return undefined;
    weights.push(w(names[i], t.name));
  }
  const eps = Number(f32(a.float('epsilon', 1e-5)));
  const momentum = 1 - Number(f32(a.float('momentum', 0.9)));
  const text = `bn${eps === 1e-5 ? '' : ` eps ${eps}`}${num(momentum) === '0.1' ? '' : ` momentum ${num(momentum)}`}`;
  return layer(text, weights);
}

const simple =
  (text: string): OpRule =>
  () =>
    layer(text);

function leakyRelu(n: OnnxNode, cx: OpContext): OnnxCode {
  const alpha = f32(new Attrs(n, cx).float('alpha', 0.01));
  return layer(alpha === '0.01' ? 'leakyrelu' : `leakyrelu ${alpha}`);
}

function elu(n: OnnxNode, cx: OpContext): OnnxCode {
  const alpha = f32(new Attrs(n, cx).float('alpha', 1));
  return layer(alpha === '1' ? 'elu' : `elu ${alpha}`);
}

function clip(n: OnnxNode, cx: OpContext): OnnxCode | undefined {
  const a = new Attrs(n, cx);
  let lo = -Infinity;
  let hi = Infinity;
  if (cx.opset < 11) {
    lo = a.float('min', -Infinity);
    hi = a.float('max', Infinity);
  } else {
    for (const [i, set] of [
      [1, (v: number) => (lo = v)],
      [2, (v: number) => (hi = v)],
    ] as const) {
      const name = n.inputs[i];
      if (!name) continue;
      const c = cx.constOf(name);
      if (!c || c.values.length !== 1)
        return a.cannot(null, `its ${i === 1 ? 'min' : 'max'} is not a constant scalar`);
      set(c.values[0]);
    }
  }
  if (lo === 0 && hi === 6) return layer('relu6');
  if (lo === 0 && hi === Infinity) return layer('relu');
  return a.cannot(
    cx.opset < 11 ? (a.has('max') ? 'max' : 'min') : null,
    `Clip to [${lo}, ${hi}] has no counterpart`,
    'cnnc has relu (Clip to [0, ∞)) and relu6 (Clip to [0, 6])',
  );
}

function softmax(n: OnnxNode, cx: OpContext): OnnxCode {
  const a = new Attrs(n, cx);
  const legacy = cx.opset < 13;
  const axis = a.int('axis', legacy ? 1 : -1);
  return layer('softmax', [], {
    channelAxis: { axis, span: a.span('axis'), what: 'softmax', legacy },
  });
}

function pool(op: 'maxpool' | 'avgpool'): OpRule {
  return (n, cx) => {
    const a = new Attrs(n, cx);
    const kernel = a.ints('kernel_shape', undefined);
    if (!kernel || kernel.length !== 2)
      return a.cannot('kernel_shape', 'cnnc imports 2-D pooling windows');
    const strides = a.ints('strides', [1, 1])!;
    const dil = a.ints('dilations', [1, 1])!;
    if (dil.some((d) => d !== 1))
      return a.cannot('dilations', 'dilated pooling has no counterpart');
    const pads = windowPads(n, cx, a);
    if (!pads) return undefined;
    const same = autoPad(a, pads);
    if (same === undefined) return undefined;
    const ceil = a.int('ceil_mode', 0) === 1;
    const stride = strides.every((s, i) => s === kernel[i]) ? '' : strideText(strides);
    const exclude =
      op === 'avgpool' &&
      a.int('count_include_pad', 0) === 0 &&
      (same !== '' || ceil || pads.some((p) => p > 0));
    return layer(
      `${op} ${sizeText(kernel)}${stride}${same}${padText(pads)}${ceil ? ' ceil' : ''}${exclude ? ' exclude_pad' : ''}`,
    );
  };
}

function globalPool(op: 'gap' | 'gmp'): OpRule {
  return (n, cx) => layer(cx.flattened(n) ? op : `${op} keepdims`);
}

function gemm(n: OnnxNode, cx: OpContext): OnnxCode | undefined {
  const a = new Attrs(n, cx);
  if (a.int('transA', 0) !== 0) return a.cannot('transA', 'a transposed input has no counterpart');
  const B = weightInput(n, cx, a, 1, 'kernel');
  if (!B) return undefined;
  if (B.dims.length !== 2) return a.cannot(null, `a rank-${B.dims.length} B; Gemm's is rank 2`);
  const transB = a.int('transB', 0) === 1;
  const units = transB ? B.dims[0] : B.dims[1];
  const weights = [w('kernel', B.name, transB ? 'torch' : 'transpose', a.float('alpha', 1))];
  if (n.inputs[2]) {
    const C = weightInput(n, cx, a, 2, 'bias');
    if (!C) return undefined;
    if (C.dims.reduce((x, y) => x * y, 1) !== units)
      return a.cannot(
        null,
        `a bias C of ${C.dims.join('x') || 'one value'}; cnnc adds one bias per unit (${units})`,
      );
    weights.push(w('bias', C.name, 'none', a.float('beta', 1)));
  }
  return layer(`dense ${units}${n.inputs[2] ? '' : ' nobias'}`, weights);
}

function matmul(n: OnnxNode, cx: OpContext): OnnxCode | undefined {
  const a = new Attrs(n, cx);
  const B = weightInput(n, cx, a, 1, 'kernel');
  if (!B) return undefined;
  if (B.dims.length !== 2)
    return a.cannot(null, `a rank-${B.dims.length} B; cnnc imports x·W with W of rank 2`);
  const units = B.dims[1];
  const weights = [w('kernel', B.name, 'transpose')];
  const bias = cx.matmulBias(n);
  if (bias) weights.push(w('bias', bias));
  return layer(`dense ${units}${bias ? '' : ' nobias'}`, weights);
}

function flatten(n: OnnxNode, cx: OpContext): OnnxCode | undefined {
  const a = new Attrs(n, cx);
  if (a.int('axis', 1) !== 1)
    return a.cannot(
      'axis',
      `flattening from axis ${a.int('axis', 1)}; cnnc flattens each sample (axis 1)`,
    );
  return layer('flatten');
}

function reshape(n: OnnxNode, cx: OpContext): OnnxCode | undefined {
  const a = new Attrs(n, cx);
  const shape = n.inputs[1] ? cx.constOf(n.inputs[1]) : undefined;
  if (!shape)
    return a.cannot(
      null,
      'its target shape is computed at run time',
      'export with static shapes, or use Flatten',
    );
  const [first, second] = shape.values;
  const batchLike = (d: number) => Number.isNaN(d) || d === 0 || d === -1 || d > 0;
  if (
    shape.values.length === 2 &&
    batchLike(first) &&
    (second === -1 || second > 0) &&
    !(first === -1 && second === -1)
  ) {
    const span = n.opSpan;
    if (first === -1 && second > 0)
      return layer('flatten', [], { flattenTo: { size: second, span } });
    if (second > 0) return layer('flatten', [], { flattenTo: { size: second, span } });
    return layer('flatten');
  }
  return a.cannot(
    null,
    `a Reshape to [${shape.values.map((v) => (Number.isNaN(v) ? 'N' : v)).join(', ')}]; cnnc imports a Reshape that flattens each sample`,
  );
}

function merge(op: OnnxMergeCode['op']): OpRule {
  return (n, cx) => {
    const a = new Attrs(n, cx);
    const data = cx.dataInputs(n);
    if (data.length !== n.inputs.filter(Boolean).length)
      return a.cannot(
        null,
        `${op === 'concat' ? 'concatenates' : op === 'add' ? 'adds' : 'multiplies by'} a constant; cnnc ${op === 'add' ? 'adds' : 'joins'} the outputs of layers`,
      );
    if (data.length < 2) return a.cannot(null, 'one input; a merge joins two or more');
    if (op !== 'concat') return { kind: 'merge', op };
    if (!a.has('axis')) return a.cannot(null, 'Concat needs an axis');
    return {
      kind: 'merge',
      op,
      channelAxis: { axis: a.int('axis', 1), span: a.span('axis'), what: 'concat' },
    };
  };
}

function dropout(n: OnnxNode, cx: OpContext): OnnxCode | undefined {
  const a = new Attrs(n, cx);
  if (n.outputs[1]) return a.cannot(null, 'its mask is used; cnnc drops out without one');
  let rate = a.float('ratio', 0.5);
  if (cx.opset >= 12 && n.inputs[1]) {
    const c = cx.constOf(n.inputs[1]);
    if (!c || c.values.length !== 1) return a.cannot(null, 'its ratio is not a constant scalar');
    rate = c.values[0];
  }
  if (!(rate >= 0 && rate < 1)) return a.cannot('ratio', `a ratio of ${rate}; cnnc takes [0, 1)`);
  return layer(`dropout ${f32(rate)}`);
}

function lrn(n: OnnxNode, cx: OpContext): OnnxCode | undefined {
  const a = new Attrs(n, cx);
  const size = a.int('size', 0);
  if (size <= 0) return a.cannot('size', 'LRN needs a positive size');
  const alpha = f32(a.float('alpha', 1e-4));
  const beta = f32(a.float('beta', 0.75));
  const bias = f32(a.float('bias', 1));
  return layer(
    `lrn ${size}${alpha === '0.0001' ? '' : ` alpha ${alpha}`}${beta === '0.75' ? '' : ` beta ${beta}`}${bias === '1' ? '' : ` k ${bias}`}`,
  );
}

/**
 * A constant zero Pad of the two spatial axes of an NCHW tensor: [top, left, bottom, right], or a
 * reason it is not one.
 */
export function spatialPads(n: OnnxNode, cx: OpContext): readonly number[] | string {
  const a = new Attrs(n, cx);
  const mode = a.str('mode', 'constant');
  if (mode !== 'constant') return `mode ${JSON.stringify(mode)}: cnnc pads with zeros`;
  let pads: readonly number[] | undefined;
  let value = 0;
  if (cx.opset < 11) {
    pads = a.ints('pads', undefined);
    value = a.float('value', 0);
  } else {
    pads = n.inputs[1] ? cx.constOf(n.inputs[1])?.values : undefined;
    if (n.inputs[2]) {
      const c = cx.constOf(n.inputs[2]);
      if (!c || c.values.length !== 1) return 'its value is not a constant';
      value = c.values[0];
    }
    if (n.inputs[3]) return 'it pads chosen axes; cnnc pads height and width';
  }
  if (!pads) return 'its pads are computed at run time';
  if (value !== 0) return `it pads with ${value}; cnnc pads with zeros`;
  if (pads.length !== 8)
    return `it pads ${pads.length / 2} axes; cnnc pads the height and width of images`;
  if (pads.some((p) => p < 0 || !Number.isInteger(p))) return 'negative padding crops; cnnc cannot';
  if (pads[0] || pads[1] || pads[4] || pads[5]) return 'it pads the batch or channel axis';
  return [pads[2], pads[3], pads[6], pads[7]];
}

function pad(n: OnnxNode, cx: OpContext): OnnxCode | undefined {
  const p = spatialPads(n, cx);
  if (typeof p === 'string') return new Attrs(n, cx).cannot(cx.opset < 11 ? 'pads' : null, p);
  return layer(`zeropad${padText(p).replace(/^ pad/, '')}`);
}

/**
 * Resize in the two forms PyTorch's F.interpolate exports and cnnc's `upsample` means: nearest
 * (asymmetric, floor) and linear (half_pixel, or pytorch_half_pixel when no output axis is 1), by
 * constant integer `scales` [1, 1, h, w] or constant `sizes` [N, C, h, w].
 */
function resize(n: OnnxNode, cx: OpContext): OnnxCode | undefined {
  const a = new Attrs(n, cx);
  if (cx.opset < 11) return a.cannot(null, `Resize of opset ${cx.opset}; cnnc imports opset 11+`);
  const mode = a.str('mode', 'nearest');
  const coords = a.str('coordinate_transformation_mode', 'half_pixel');
  const scales = n.inputs[2] ? cx.constOf(n.inputs[2]) : undefined;
  const sizes = n.inputs[3] ? cx.constOf(n.inputs[3]) : undefined;
  if (n.inputs[2] && !scales && !n.inputs[3])
    return a.cannot(null, 'its scales are computed at run time');
  if (n.inputs[3] && !sizes) return a.cannot(null, 'its sizes are computed at run time');
  const hw = sizes && sizes.values.length === 4 ? sizes.values.slice(2) : undefined;
  let how: string;
  if (hw) {
    if (!hw.every((v) => Number.isInteger(v) && v > 0))
      return a.cannot(null, 'its output size is not known');
    how = `to ${sizeText(hw)}`;
  } else if (scales && scales.values.length === 4) {
    const [sn, sc, sh, sw] = scales.values;
    if (sn !== 1 || sc !== 1) return a.cannot(null, 'it resizes the batch or channel axis');
    if (![sh, sw].every((v) => Number.isInteger(v) && v >= 1))
      return a.cannot(
        null,
        `scales ${sh}x${sw}; cnnc upsamples by integer factors`,
        'export with a target size',
      );
    how = sh === sw ? String(sh) : `${sh}x${sw}`;
  } else return a.cannot(null, 'it resizes other than the height and width of an image');
  if (mode === 'nearest') {
    if (coords !== 'asymmetric' || a.str('nearest_mode', 'round_prefer_floor') !== 'floor')
      return a.cannot(
        'coordinate_transformation_mode',
        `nearest with ${coords} coordinates and ${a.str('nearest_mode', 'round_prefer_floor')} rounding; cnnc's nearest is PyTorch's (asymmetric, floor)`,
      );
    return layer(`upsample ${how}`);
  }
  if (mode === 'linear') {
    const ones = hw?.some((v) => v === 1) ?? false;
    if (coords !== 'half_pixel' && !(coords === 'pytorch_half_pixel' && !ones))
      return a.cannot(
        'coordinate_transformation_mode',
        `linear with ${coords} coordinates; cnnc's bilinear is PyTorch's align_corners=False (half_pixel)`,
      );
    return layer(`upsample ${how} bilinear`);
  }
  return a.cannot('mode', `mode ${JSON.stringify(mode)}; cnnc upsamples nearest or bilinear`);
}

/** The op types `cnnc import onnx` translates (Identity, Constant and folded shape arithmetic aside). */
export const ONNX_OPS: Readonly<Record<string, OpRule>> = {
  Conv: conv,
  ConvTranspose: convTranspose,
  BatchNormalization: batchNorm,
  Relu: simple('relu'),
  LeakyRelu: leakyRelu,
  Elu: elu,
  Clip: clip,
  Sigmoid: simple('sigmoid'),
  Tanh: simple('tanh'),
  Softmax: softmax,
  MaxPool: pool('maxpool'),
  AveragePool: pool('avgpool'),
  GlobalAveragePool: globalPool('gap'),
  GlobalMaxPool: globalPool('gmp'),
  Gemm: gemm,
  MatMul: matmul,
  Flatten: flatten,
  Reshape: reshape,
  Add: merge('add'),
  Mul: merge('multiply'),
  Concat: merge('concat'),
  Dropout: dropout,
  LRN: lrn,
  Pad: pad,
  Resize: resize,
};
