/**
 * One Keras layer → .cnn statements, as a table of pure functions keyed by Keras class name. A
 * translation gives the statement text (labelled with the layer's name by the caller), which
 * statement holds each Keras weight and under which cnnc name, and the weights Keras leaves out
 * that cnnc needs (batch norm with `scale: false` gets a gamma of ones). A setting the IR cannot
 * express is CNN2033 at that setting; a class it cannot express at all is CNN2032.
 *
 * Keras layouts are cnnc's (TensorFlow.js layouts): conv kernels [kh, kw, in, out], depthwise
 * [kh, kw, in, multiplier], dense [in, units], so weights keep their values and shapes.
 */
import { diag, type Diagnostic, type Span } from '../diagnostics/diagnostic.js';
import { Cfg, fmt } from './keras-config.js';
import type { KerasLayer } from './keras-model.js';
import { numbers, str, type Literal } from './literal.js';

export interface CodeStmt {
  readonly text: string;
  /** Local label inside a group (`depthwise`); the first statement of a plain layer gets the layer's name. */
  readonly label?: string;
}

export interface LayerCode {
  readonly kind: 'layer';
  readonly stmts: readonly CodeStmt[];
  /** The statements form a labelled group `name: { … }` (their nodes are `name.label`). */
  readonly group: boolean;
  /** Each Keras weight (`kernel`, `depthwise_kernel`, …): the statement holding it and cnnc's name. */
  readonly weights: readonly {
    readonly keras: string;
    readonly stmt: number;
    readonly local: string;
  }[];
  /** cnnc weights the Keras layer does not have, filled with a constant when weights are loaded. */
  readonly fills: readonly {
    readonly stmt: number;
    readonly local: string;
    readonly value: number;
  }[];
  /** A positive Keras axis that must be the input's last one (checked once shapes are known). */
  readonly lastAxis?: { readonly value: number; readonly span: Span };
}

export interface MergeCode {
  readonly kind: 'merge';
  readonly op: 'add' | 'concat' | 'multiply';
  readonly lastAxis?: { readonly value: number; readonly span: Span };
}

export interface InputCode {
  readonly kind: 'input';
  readonly text: string;
}

export type Translation = LayerCode | MergeCode | InputCode;

const ACTIVATIONS: Readonly<Record<string, string>> = {
  linear: '',
  relu: 'relu',
  relu6: 'relu6',
  tanh: 'tanh',
  sigmoid: 'sigmoid',
  softmax: 'softmax',
  elu: 'elu',
  gelu: 'gelu',
};

/** The statement of a Keras activation (`''` for linear), or undefined when cnnc has none. */
function activationOf(c: Cfg, key = 'activation'): string | undefined {
  const v = c.get(key);
  if (v === undefined || v.kind === 'null') return '';
  const name = str(v);
  const text =
    name !== undefined && Object.hasOwn(ACTIVATIONS, name) ? ACTIVATIONS[name] : undefined;
  if (text === undefined)
    return c.cannot(
      key,
      `activation ${name === undefined ? '(a custom object)' : JSON.stringify(name)} has no counterpart`,
      `cnnc has ${Object.keys(ACTIVATIONS).join(', ')}`,
    );
  return text;
}

function withActivation(code: LayerCode, act: string): LayerCode {
  return act ? { ...code, stmts: [...code.stmts, { text: act }] } : code;
}

const sizeText = (k: readonly number[]) => (k.length === 1 ? String(k[0]) : k.join('x'));

function strideText(s: readonly number[], word = 'stride'): string {
  if (s.every((x) => x === 1) && word === 'stride') return '';
  if (s.every((x) => x === s[0])) return word === 'stride' ? ` /${s[0]}` : ` ${word} ${s[0]}`;
  return ` ${word} (${s.join(', ')})`;
}

/** Keras padding → .cnn flag; `causal` (1-D) pads dilation·(k − 1) on the left. */
function paddingText(
  c: Cfg,
  kernel: readonly number[],
  dilation: readonly number[],
  causal: boolean,
  forward: boolean,
): string | undefined {
  const p = c.text('padding', 'valid');
  if (p === 'valid') return '';
  // A 1x1 window needs no padding to keep the size: `same` is `valid` there.
  if (p === 'same') return forward && kernel.every((k) => k === 1) ? '' : ' same';
  if (p === 'causal' && causal) return ` pad (${dilation[0] * (kernel[0] - 1)}, 0)`;
  return c.cannot(
    'padding',
    `padding ${JSON.stringify(p)} has no counterpart`,
    'cnnc pads with valid, same, or explicit sizes',
  );
}

const layer = (
  text: string,
  weights: LayerCode['weights'] = [],
  extra: Partial<LayerCode> = {},
): LayerCode => ({ kind: 'layer', stmts: [{ text }], group: false, weights, fills: [], ...extra });

const kernelBias = (bias: boolean, kernel = 'kernel') => [
  { keras: kernel, stmt: 0, local: kernel },
  ...(bias ? [{ keras: 'bias', stmt: 0, local: 'bias' }] : []),
];

function conv(c: Cfg, rank: 1 | 2, op: 'conv' | 'conv1d' | 'deconv'): LayerCode | undefined {
  if (!c.channelsLast()) return undefined;
  const filters = c.ints('filters', 1)?.[0];
  const kernel = c.ints('kernel_size', rank);
  const strides = c.ints('strides', rank, new Array<number>(rank).fill(1));
  const dilation = c.ints('dilation_rate', rank, new Array<number>(rank).fill(1));
  const groups = c.ints('groups', 1, [1])?.[0];
  const act = activationOf(c);
  if (!filters || !kernel || !strides || !dilation || !groups || act === undefined)
    return undefined;
  const pad = paddingText(c, kernel, dilation, rank === 1 && op === 'conv1d', op !== 'deconv');
  if (pad === undefined) return undefined;
  let extra = '';
  if (op === 'deconv') {
    const out = c.get('output_padding');
    if (out && out.kind !== 'null') {
      const o = c.ints('output_padding', rank);
      if (!o) return undefined;
      if (o.some((x) => x !== 0)) extra += strideText(o, 'outpad');
    }
  }
  const bias = c.flag('use_bias', true);
  const text =
    `${op} ${filters} ${sizeText(kernel)}${strideText(strides)}${pad}` +
    `${dilation.some((d) => d !== 1) ? strideText(dilation, 'dilation') : ''}` +
    `${groups !== 1 ? ` groups ${groups}` : ''}${extra}${bias ? '' : ' nobias'}`;
  return withActivation(layer(text, kernelBias(bias)), act);
}

function depthwise(c: Cfg): LayerCode | undefined {
  if (!c.channelsLast()) return undefined;
  const kernel = c.ints('kernel_size', 2);
  const strides = c.ints('strides', 2, [1, 1]);
  const dilation = c.ints('dilation_rate', 2, [1, 1]);
  const mult = c.ints('depth_multiplier', 1, [1])?.[0];
  const act = activationOf(c);
  if (!kernel || !strides || !dilation || !mult || act === undefined) return undefined;
  const pad = paddingText(c, kernel, dilation, false, true);
  if (pad === undefined) return undefined;
  const bias = c.flag('use_bias', true);
  const text =
    `dwconv ${sizeText(kernel)}${strideText(strides)}${pad}` +
    `${dilation.some((d) => d !== 1) ? strideText(dilation, 'dilation') : ''}` +
    `${mult !== 1 ? ` multiplier ${mult}` : ''}${bias ? '' : ' nobias'}`;
  return withActivation(layer(text, kernelBias(bias, 'depthwise_kernel')), act);
}

/** SeparableConv2D = depthwise (no bias) then a 1x1 pointwise conv, as a labelled group. */
function separable(c: Cfg): LayerCode | undefined {
  const dw = depthwise(c);
  const filters = c.ints('filters', 1)?.[0];
  if (!dw || !filters) return undefined;
  const bias = c.flag('use_bias', true);
  const dwText = dw.stmts[0].text.replace(/ nobias$/, '') + ' nobias';
  const stmts: CodeStmt[] = [
    { text: dwText, label: 'depthwise' },
    { text: `conv ${filters} 1x1${bias ? '' : ' nobias'}`, label: 'pointwise' },
    ...dw.stmts.slice(1),
  ];
  return {
    kind: 'layer',
    stmts,
    group: true,
    weights: [
      { keras: 'depthwise_kernel', stmt: 0, local: 'depthwise_kernel' },
      { keras: 'pointwise_kernel', stmt: 1, local: 'kernel' },
      ...(bias ? [{ keras: 'bias', stmt: 1, local: 'bias' }] : []),
    ],
    fills: [],
  };
}

function dense(c: Cfg): LayerCode | undefined {
  const units = c.ints('units', 1)?.[0];
  const act = activationOf(c);
  if (!units || act === undefined) return undefined;
  const bias = c.flag('use_bias', true);
  return withActivation(layer(`dense ${units}${bias ? '' : ' nobias'}`, kernelBias(bias)), act);
}

function axisOf(c: Cfg, key: string): { ok: boolean; last?: { value: number; span: Span } } {
  const xs = numbers(c.get(key));
  if (c.get(key) === undefined) return { ok: true };
  if (!xs || xs.length !== 1 || xs[0] === null) {
    c.cannot(key, 'the axis must be one integer: cnnc works on the last axis only');
    return { ok: false };
  }
  if (xs[0] === -1) return { ok: true };
  if (xs[0] > 0) return { ok: true, last: { value: xs[0], span: c.spanOf(key) } };
  c.cannot(key, `axis ${xs[0]}: cnnc works on the last (channel) axis only`);
  return { ok: false };
}

function batchNorm(c: Cfg): LayerCode | undefined {
  const axis = axisOf(c, 'axis');
  if (!axis.ok) return undefined;
  if (c.flag('renorm', false))
    return c.cannot('renorm', 'batch renormalisation has no counterpart');
  const vbs = c.get('virtual_batch_size');
  if (vbs && vbs.kind !== 'null')
    return c.cannot('virtual_batch_size', 'ghost batch norm has no counterpart');
  const eps = c.number('epsilon', 1e-3);
  const momentum = 1 - c.number('momentum', 0.99);
  const scale = c.flag('scale', true);
  const center = c.flag('center', true);
  const stats = [
    { keras: 'moving_mean', stmt: 0, local: 'moving_mean' },
    { keras: 'moving_variance', stmt: 0, local: 'moving_variance' },
  ];
  const text = `bn eps ${fmt(eps)} momentum ${fmt(momentum)}`;
  if (!scale && !center) return layer(`${text} noaffine`, stats, { lastAxis: axis.last });
  const fills: { stmt: number; local: string; value: number }[] = [];
  if (!scale) {
    c.approximate(
      'scale',
      'scale: false; cnnc learns scale and shift together, so gamma starts at 1 and becomes trainable',
    );
    fills.push({ stmt: 0, local: 'gamma', value: 1 });
  }
  if (!center) {
    c.approximate(
      'center',
      'center: false; cnnc learns scale and shift together, so beta starts at 0 and becomes trainable',
    );
    fills.push({ stmt: 0, local: 'beta', value: 0 });
  }
  const weights = [
    ...(scale ? [{ keras: 'gamma', stmt: 0, local: 'gamma' }] : []),
    ...(center ? [{ keras: 'beta', stmt: 0, local: 'beta' }] : []),
    ...stats,
  ];
  return layer(text, weights, { fills, lastAxis: axis.last });
}

function relu(c: Cfg): LayerCode | undefined {
  const max = c.get('max_value');
  const maxValue = max?.kind === 'number' ? max.value : null;
  const slope = c.number('negative_slope', 0);
  const threshold = c.number('threshold', 0);
  if (threshold !== 0)
    return c.cannot('threshold', `threshold ${fmt(threshold)} has no counterpart`);
  if (maxValue === null) return layer(slope === 0 ? 'relu' : `leakyrelu ${fmt(slope)}`);
  if (maxValue === 6 && slope === 0) return layer('relu6');
  return c.cannot(
    'max_value',
    `max_value ${fmt(maxValue)}${slope ? ` with negative_slope ${fmt(slope)}` : ''}: cnnc has relu and relu6 only`,
  );
}

function pool(c: Cfg, rank: 1 | 2, op: 'maxpool' | 'avgpool'): LayerCode | undefined {
  if (!c.channelsLast()) return undefined;
  const size = c.ints('pool_size', rank, new Array<number>(rank).fill(2));
  const strides = c.ints('strides', rank, size);
  if (!size || !strides) return undefined;
  const pad = c.text('padding', 'valid');
  if (pad !== 'valid' && pad !== 'same')
    return c.cannot('padding', `padding ${JSON.stringify(pad)} has no counterpart`);
  const stride = strides.every((s, i) => s === size[i]) ? '' : strideText(strides) || ' /1';
  // Keras averages over the window's inputs only (TensorFlow's SAME), not over the padding.
  const same = pad === 'same' ? (op === 'avgpool' ? ' same exclude_pad' : ' same') : '';
  return layer(`${op} ${sizeText(size)}${stride}${same}`);
}

function globalPool(c: Cfg, op: 'gap' | 'gmp'): LayerCode | undefined {
  if (!c.channelsLast()) return undefined;
  return layer(`${op}${c.flag('keepdims', false) ? ' keepdims' : ''}`);
}

function zeroPad(c: Cfg, rank: 1 | 2): LayerCode | undefined {
  const v = c.get('padding');
  const flat = (x: Literal | undefined): number[] | undefined => {
    if (x?.kind === 'number') return [x.value];
    if (x?.kind !== 'array') return undefined;
    const out: number[] = [];
    for (const i of x.items) {
      const inner = flat(i);
      if (!inner) return undefined;
      for (const x of inner) out.push(x);
    }
    return out;
  };
  let p = v === undefined ? [1] : flat(v);
  if (!p || p.some((x) => !Number.isInteger(x) || x < 0))
    return c.cannot('padding', 'padding must be integers');
  const nested = v?.kind === 'array' && v.items.some((i) => i.kind === 'array');
  if (rank === 2) {
    if (p.length === 1) p = [p[0], p[0], p[0], p[0]];
    else if (p.length === 2 && !nested) p = [p[0], p[0], p[1], p[1]];
    if (p.length !== 4)
      return c.cannot('padding', 'padding must be n, (h, w) or ((top, bottom), (left, right))');
    if (!c.channelsLast()) return undefined;
  } else {
    if (p.length === 1) p = [p[0], p[0]];
    if (p.length !== 2) return c.cannot('padding', 'padding must be n or (left, right)');
  }
  return layer(`zeropad ${p.every((x) => x === p![0]) ? p[0] : `(${p.join(', ')})`}`);
}

function dropout(c: Cfg, spatial: boolean): LayerCode {
  const rate = c.number('rate', 0.5);
  if (spatial) c.approximate('rate', 'drops single values, not whole channels, when training');
  const noise = c.get('noise_shape');
  if (!spatial && noise && noise.kind !== 'null')
    c.approximate('noise_shape', 'noise_shape is ignored: values are dropped one by one');
  return layer(`dropout ${fmt(rate)}`);
}

function reshape(c: Cfg): LayerCode | undefined {
  // TensorFlow.js saves an inferred axis (-1) as null.
  const raw = numbers(c.get('target_shape'));
  const t = raw?.filter((x) => x === null).length === 1 ? raw.map((x) => x ?? -1) : raw;
  if (!t || t.length === 0 || t.some((x) => x === null || !Number.isInteger(x)))
    return c.cannot('target_shape', '`target_shape` must be a list of integers');
  const dims = t as number[];
  return layer(
    `reshape ${dims.length > 1 && dims.every((d) => d > 0) ? dims.join('x') : `(${dims.join(', ')}${dims.length === 1 ? ',' : ''})`}`,
  );
}

function activationLayer(c: Cfg): LayerCode | undefined {
  const act = activationOf(c);
  if (act === undefined) return undefined;
  return layer(act || 'linear');
}

function inputLayer(c: Cfg): InputCode | undefined {
  const v = c.get('batch_input_shape') ?? c.get('batch_shape');
  const dims = numbers(v);
  if (!dims || dims.length < 2)
    return c.cannot(
      v ? (c.get('batch_input_shape') ? 'batch_input_shape' : 'batch_shape') : 'batch_input_shape',
      'the input shape is missing',
      'give the first layer an input_shape',
    );
  const sample = dims.slice(1);
  if (sample.length > 3)
    return c.cannot(
      'batch_input_shape',
      `a rank-${sample.length} input: cnnc takes [N], [L, C] or [H, W, C]`,
    );
  const text = sample.map((d) => (d === null ? '?' : String(d)));
  return { kind: 'input', text: `input ${sample.length === 1 ? text[0] : text.join('x')}` };
}

function merge(c: Cfg, op: MergeCode['op']): MergeCode | undefined {
  if (op !== 'concat') return { kind: 'merge', op };
  const axis = axisOf(c, 'axis');
  return axis.ok ? { kind: 'merge', op, lastAxis: axis.last } : undefined;
}

/**
 * The custom layers of a TensorFlow.js project that `cnnc compile --emit tfjs` wrote (its
 * layers.ts), so that a model it saved comes back: each is one cnnc statement.
 */
function padsText(c: Cfg, key: string, rank: number): string | undefined {
  const v = c.get(key);
  if (str(v) === 'same') return ' same';
  const flat = v?.kind === 'array' ? v.items.flatMap((i) => numbers(i) ?? [null]) : undefined;
  if (!flat || flat.length !== 2 * rank || flat.some((x) => x === null || !Number.isInteger(x)))
    return c.cannot(key, `\`${key}\` must be 'same' or [before, after] per axis`);
  const p = flat as number[];
  if (p.every((x) => x === p[0])) return p[0] === 0 ? '' : ` pad ${p[0]}`;
  return ` pad (${p.join(', ')})`;
}

function cnncConv(c: Cfg, depthwise: boolean): LayerCode | undefined {
  const kernel = numbers(c.get('kernel_size'));
  const rank = kernel?.length === 1 ? 1 : 2;
  const k = c.ints('kernel_size', rank);
  const strides = c.ints('strides', rank, new Array<number>(rank).fill(1));
  const dilation = c.ints('dilation_rate', rank, new Array<number>(rank).fill(1));
  const pad = padsText(c, 'padding', rank);
  if (!k || !strides || !dilation || pad === undefined) return undefined;
  const bias = c.flag('use_bias', true);
  const rest = `${strideText(strides)}${pad}${dilation.some((d) => d !== 1) ? strideText(dilation, 'dilation') : ''}`;
  if (depthwise) {
    const mult = c.ints('depth_multiplier', 1, [1])?.[0];
    if (!mult) return undefined;
    return layer(
      `dwconv ${sizeText(k)}${rest}${mult !== 1 ? ` multiplier ${mult}` : ''}${bias ? '' : ' nobias'}`,
      kernelBias(bias, 'depthwise_kernel'),
    );
  }
  const filters = c.ints('filters', 1)?.[0];
  const groups = c.ints('groups', 1, [1])?.[0];
  if (!filters || !groups) return undefined;
  return layer(
    `${rank === 1 ? 'conv1d' : 'conv'} ${filters} ${sizeText(k)}${rest}${groups !== 1 ? ` groups ${groups}` : ''}${bias ? '' : ' nobias'}`,
    kernelBias(bias),
  );
}

function cnncDeconv(c: Cfg): LayerCode | undefined {
  const filters = c.ints('filters', 1)?.[0];
  const k = c.ints('kernel_size', 2);
  const strides = c.ints('strides', 2, [1, 1]);
  const dilation = c.ints('dilation_rate', 2, [1, 1]);
  const outpad = c.ints('output_padding', 2, [0, 0]);
  const groups = c.ints('groups', 1, [1])?.[0];
  const crop = c.get('cropping');
  const p = crop?.kind === 'array' ? crop.items.flatMap((i) => numbers(i) ?? [null]) : undefined;
  if (!filters || !k || !strides || !dilation || !outpad || !groups) return undefined;
  if (!p || p.length !== 4 || p.some((x) => x === null || !Number.isInteger(x)))
    return c.cannot('cropping', '`cropping` must be [[top, bottom], [left, right]]');
  // TF `same` crops effK − s rows, the odd one at the end (a negative crop adds rows).
  const same = [0, 1].flatMap((i) => {
    const total = dilation[i] * (k[i] - 1) + 1 - strides[i];
    const before = Math.max(Math.floor(total / 2), 0);
    return [before, total - before];
  });
  const pads = p as number[];
  let pad = '';
  if (pads.every((x, i) => x === same[i])) pad = ' same';
  else if (pads.some((x) => x < 0)) return c.cannot('cropping', 'a negative crop other than same');
  else if (pads.some((x) => x !== 0))
    pad = pads.every((x) => x === pads[0]) ? ` pad ${pads[0]}` : ` pad (${pads.join(', ')})`;
  const bias = c.flag('use_bias', true);
  return layer(
    `deconv ${filters} ${sizeText(k)}${strideText(strides)}${pad}` +
      `${dilation.some((d) => d !== 1) ? strideText(dilation, 'dilation') : ''}` +
      `${outpad.some((o) => o !== 0) ? strideText(outpad, 'outpad') : ''}` +
      `${groups !== 1 ? ` groups ${groups}` : ''}${bias ? '' : ' nobias'}`,
    kernelBias(bias),
  );
}

function cnncPool(c: Cfg): LayerCode | undefined {
  const mode = c.text('mode', 'max');
  const rank = numbers(c.get('pool_size'))?.length === 1 ? 1 : 2;
  const size = c.ints('pool_size', rank);
  const strides = c.ints('strides', rank, size);
  const pad = padsText(c, 'padding', rank);
  if (!size || !strides || pad === undefined) return undefined;
  const stride = strides.every((s, i) => s === size[i]) ? '' : strideText(strides) || ' /1';
  const ceil = c.flag('ceil_mode', false) ? ' ceil' : '';
  const exclude = mode === 'avg' && !c.flag('count_include_pad', true) ? ' exclude_pad' : '';
  return layer(
    `${mode === 'avg' ? 'avgpool' : 'maxpool'} ${sizeText(size)}${stride}${pad}${ceil}${exclude}`,
  );
}

function cnncAdaptive(c: Cfg): LayerCode | undefined {
  const rank = numbers(c.get('output_size'))?.length === 1 ? 1 : 2;
  const out = c.ints('output_size', rank);
  if (!out) return undefined;
  return layer(`adaptive${c.text('mode', 'avg') === 'max' ? 'max' : 'avg'}pool ${sizeText(out)}`);
}

/**
 * Keras's UpSampling2D: integer factors, nearest or bilinear. Keras resizes with half-pixel centres
 * (tf.image.resize), which at integer factors is PyTorch's nearest and bilinear (align_corners=False).
 */
function upSampling(c: Cfg): LayerCode | undefined {
  if (!c.channelsLast()) return undefined;
  const size = c.ints('size', 2, [2, 2]);
  if (!size) return undefined;
  if (size.some((s) => s < 1)) return c.cannot('size', '`size` must be positive');
  const mode = c.text('interpolation', 'nearest');
  if (mode !== 'nearest' && mode !== 'bilinear')
    return c.cannot('interpolation', `interpolation ${mode}: cnnc upsamples nearest or bilinear`);
  return layer(`upsample ${upsampleFactor(size)}${mode === 'bilinear' ? ' bilinear' : ''}`);
}

const upsampleFactor = (s: readonly number[]) => (s[0] === s[1] ? String(s[0]) : sizeText(s));

/** cnnc's own Upsample layer (emitted TensorFlow.js projects). */
function cnncUpsample(c: Cfg): LayerCode | undefined {
  const mode = c.text('mode', 'nearest');
  if (mode !== 'nearest' && mode !== 'bilinear')
    return c.cannot('mode', `mode ${mode}: cnnc upsamples nearest or bilinear`);
  const hasSize = c.get('size') !== undefined && c.get('size')?.kind !== 'null';
  const v = hasSize ? c.ints('size', 2) : c.ints('scale', 2);
  if (!v) return undefined;
  if (v.some((s) => s < 1)) return c.cannot(hasSize ? 'size' : 'scale', 'sizes must be positive');
  const how = hasSize ? `to ${sizeText(v)}` : upsampleFactor(v);
  return layer(`upsample ${how}${mode === 'bilinear' ? ' bilinear' : ''}`);
}

function cnncBatchNorm(c: Cfg): LayerCode {
  const affine = c.flag('affine', true);
  const stats = [
    { keras: 'moving_mean', stmt: 0, local: 'moving_mean' },
    { keras: 'moving_variance', stmt: 0, local: 'moving_variance' },
  ];
  const weights = affine
    ? [
        { keras: 'gamma', stmt: 0, local: 'gamma' },
        { keras: 'beta', stmt: 0, local: 'beta' },
        ...stats,
      ]
    : stats;
  const text = `bn eps ${fmt(c.number('epsilon', 1e-5))} momentum ${fmt(c.number('momentum', 0.1))}`;
  return layer(affine ? text : `${text} noaffine`, weights);
}

const CNNC_TFJS_RULES: Readonly<Record<string, Rule>> = {
  PaddedConv: (c) => cnncConv(c, false),
  PaddedDepthwiseConv2D: (c) => cnncConv(c, true),
  CroppedConv2DTranspose: cnncDeconv,
  PaddedPooling: cnncPool,
  AdaptivePooling: cnncAdaptive,
  GlobalPooling: (c) =>
    layer(
      `${c.text('mode', 'avg') === 'max' ? 'gmp' : 'gap'}${c.flag('keep_dims', false) ? ' keepdims' : ''}`,
    ),
  TorchBatchNorm: cnncBatchNorm,
  LocalResponseNorm: (c) =>
    layer(
      `lrn ${fmt(c.number('size', 5))} alpha ${fmt(c.number('alpha', 1e-4))} beta ${fmt(c.number('beta', 0.75))} k ${fmt(c.number('k', 1))}`,
    ),
  Upsample: cnncUpsample,
  ELUWithAlpha: (c) => layer(`elu ${fmt(c.number('alpha', 1))}`),
};

type Rule = (c: Cfg) => Translation | undefined;

const RULES: Readonly<Record<string, Rule>> = {
  InputLayer: inputLayer,
  Conv2D: (c) => conv(c, 2, 'conv'),
  Convolution2D: (c) => conv(c, 2, 'conv'),
  Conv1D: (c) => conv(c, 1, 'conv1d'),
  Convolution1D: (c) => conv(c, 1, 'conv1d'),
  Conv2DTranspose: (c) => conv(c, 2, 'deconv'),
  Deconvolution2D: (c) => conv(c, 2, 'deconv'),
  DepthwiseConv2D: depthwise,
  SeparableConv2D: separable,
  SeparableConvolution2D: separable,
  Dense: dense,
  BatchNormalization: batchNorm,
  Activation: activationLayer,
  ReLU: relu,
  LeakyReLU: (c) => layer(`leakyrelu ${fmt(c.number('alpha', c.number('negative_slope', 0.3)))}`),
  ELU: (c) => layer(`elu ${fmt(c.number('alpha', 1))}`),
  Softmax: (c) => (axisOf(c, 'axis').ok ? layer('softmax') : undefined),
  ZeroPadding2D: (c) => zeroPad(c, 2),
  UpSampling2D: upSampling,
  ZeroPadding1D: (c) => zeroPad(c, 1),
  MaxPooling2D: (c) => pool(c, 2, 'maxpool'),
  MaxPool2D: (c) => pool(c, 2, 'maxpool'),
  AveragePooling2D: (c) => pool(c, 2, 'avgpool'),
  AvgPool2D: (c) => pool(c, 2, 'avgpool'),
  MaxPooling1D: (c) => pool(c, 1, 'maxpool'),
  MaxPool1D: (c) => pool(c, 1, 'maxpool'),
  AveragePooling1D: (c) => pool(c, 1, 'avgpool'),
  AvgPool1D: (c) => pool(c, 1, 'avgpool'),
  GlobalAveragePooling2D: (c) => globalPool(c, 'gap'),
  GlobalAvgPool2D: (c) => globalPool(c, 'gap'),
  GlobalAveragePooling1D: (c) => globalPool(c, 'gap'),
  GlobalMaxPooling2D: (c) => globalPool(c, 'gmp'),
  GlobalMaxPool2D: (c) => globalPool(c, 'gmp'),
  GlobalMaxPooling1D: (c) => globalPool(c, 'gmp'),
  Flatten: (c) => (c.channelsLast() ? layer('flatten') : undefined),
  Dropout: (c) => dropout(c, false),
  SpatialDropout1D: (c) => dropout(c, true),
  SpatialDropout2D: (c) => dropout(c, true),
  Reshape: reshape,
  Add: (c) => merge(c, 'add'),
  Multiply: (c) => merge(c, 'multiply'),
  Concatenate: (c) => merge(c, 'concat'),
  ...CNNC_TFJS_RULES,
};

export const SUPPORTED_CLASSES: readonly string[] = Object.keys(RULES);

/** Translates one layer; undefined after reporting why it cannot be. */
export function translateLayer(
  layer: KerasLayer,
  report: (d: Diagnostic) => void,
): Translation | undefined {
  const rule = Object.hasOwn(RULES, layer.className) ? RULES[layer.className] : undefined;
  if (!rule) {
    const nested = ['Model', 'Functional', 'Sequential'].includes(layer.className);
    report(
      diag(
        'CNN2032',
        `Keras layer \`${layer.name}\` (${layer.className}) has no counterpart in cnnc`,
        {
          span: layer.classSpan,
          help: nested
            ? 'a model used as a layer: save the outer model with the inner one flattened into it'
            : layer.className === 'Lambda'
              ? 'a Lambda layer runs Python code, which cannot be imported; write it with built-in layers'
              : 'cnnc imports convolutions (Conv1D, Conv2D, DepthwiseConv2D, SeparableConv2D, ' +
                'Conv2DTranspose), Dense, BatchNormalization, activations, pooling, zero padding, ' +
                'Flatten, Reshape, Dropout, Add, Multiply and Concatenate',
        },
      ),
    );
    return undefined;
  }
  return rule(new Cfg(layer, report));
}
