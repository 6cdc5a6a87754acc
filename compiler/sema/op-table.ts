/**
 * The source vocabulary of layer statements: each op keyword (and its aliases), its positional
 * attributes, keyword attributes (`pad 1`, `stride=2`), flags (`same`, `nobias`) and how the
 * collected values become the IR attributes of compiler/ir/ops.ts. docs/language.md lists the same
 * table for users; test/compiler/sema/op-table.test.ts checks that every op kind is reachable.
 */
import type { OpKind } from '../ir/ops.js';
import type { Value } from './values.js';

export type AttrKind =
  /** a positive integer */
  | 'count'
  /** a non-negative number */
  | 'number'
  /** an integer or a size per spatial axis: `3`, `3x3`, `(3, 1)` */
  | 'spatial'
  /** `same`, `valid`, `full`, `n`, `(h, w)` or `(top, bottom, left, right)` */
  | 'padding'
  /** a size per spatial axis used as explicit per-side pads: `1`, `(1, 2)`, `(t, b, l, r)` */
  | 'pads'
  /** true/false */
  | 'bool'
  /** a dims literal or tuple of integers (reshape) */
  | 'shape'
  /** one of the words its doc lists (`mode bilinear`) */
  | 'word';

export interface AttrDef {
  readonly kind: AttrKind;
  readonly doc: string;
}

export interface Flag {
  readonly attr: string;
  readonly value: Value;
}

export interface OpSpec {
  /** The canonical keyword, also the prefix of auto-generated layer names (`conv1`, `bn2`). */
  readonly keyword: string;
  readonly aliases: readonly string[];
  readonly op: OpKind;
  readonly doc: string;
  readonly positional: readonly string[];
  /** Attributes that must be given. */
  readonly required: readonly string[];
  readonly attrs: Readonly<Record<string, AttrDef>>;
  /** Valued keywords: `pad 1` → attrs.padding. Every attribute name is also a valued keyword. */
  readonly keywords: Readonly<Record<string, string>>;
  readonly flags: Readonly<Record<string, Flag>>;
  /** The attribute `/s` sets. */
  readonly strideAttr?: string;
  /** Activation ops: the IR activation function. */
  readonly activation?: string;
}

const word = (value: string): Value => ({ kind: 'word', value });
const bool = (value: boolean): Value => ({ kind: 'bool', value });

const CONV_ATTRS = {
  kernel: { kind: 'spatial', doc: 'kernel size' },
  stride: { kind: 'spatial', doc: 'stride (default 1)' },
  padding: { kind: 'padding', doc: 'padding (default valid)' },
  dilation: { kind: 'spatial', doc: 'dilation (default 1)' },
  bias: { kind: 'bool', doc: 'learn a bias (default true)' },
} as const satisfies Record<string, AttrDef>;

const CONV_KEYWORDS = { pad: 'padding', dilate: 'dilation' } as const;

const PAD_FLAGS: Record<string, Flag> = {
  same: { attr: 'padding', value: word('same') },
  valid: { attr: 'padding', value: word('valid') },
  full: { attr: 'padding', value: word('full') },
};

const BIAS_FLAGS: Record<string, Flag> = {
  nobias: { attr: 'bias', value: bool(false) },
  bias: { attr: 'bias', value: bool(true) },
};

const POOL_ATTRS = {
  kernel: { kind: 'spatial', doc: 'window size' },
  stride: { kind: 'spatial', doc: 'stride (default: the window size)' },
  padding: { kind: 'padding', doc: 'padding (default valid)' },
  ceil: { kind: 'bool', doc: 'round the output size up (PyTorch ceil_mode)' },
} as const satisfies Record<string, AttrDef>;

function activation(keyword: string, fn: string, aliases: string[] = [], alpha?: string): OpSpec {
  return {
    keyword,
    aliases,
    op: 'activation',
    doc: `${fn} activation`,
    positional: alpha ? ['alpha'] : [],
    required: [],
    attrs: alpha ? { alpha: { kind: 'number', doc: alpha } } : {},
    keywords: {},
    flags: {},
    activation: fn,
  };
}

/** conv and conv1d: filters and kernel, then the conv keywords. */
function filterConv(
  keyword: string,
  aliases: string[],
  op: 'conv2d' | 'conv1d',
  doc: string,
): OpSpec {
  return {
    keyword,
    aliases,
    op,
    doc,
    positional: ['filters', 'kernel'],
    required: ['filters', 'kernel'],
    attrs: {
      filters: { kind: 'count', doc: 'output channels' },
      ...CONV_ATTRS,
      groups: { kind: 'count', doc: 'groups (default 1)' },
    },
    keywords: CONV_KEYWORDS,
    flags: { ...PAD_FLAGS, ...BIAS_FLAGS },
    strideAttr: 'stride',
  };
}

export const OP_SPECS: readonly OpSpec[] = [
  {
    keyword: 'input',
    aliases: [],
    op: 'input',
    doc: 'the model input, per sample, channels last: `input 224x224x3`, `input HxWx3`, `input 100x16`',
    positional: ['shape'],
    required: ['shape'],
    attrs: { shape: { kind: 'shape', doc: 'per-sample shape' } },
    keywords: {},
    flags: {},
  },
  filterConv('conv', ['conv2d'], 'conv2d', '2-D convolution: `conv 64 3x3 /2 same`'),
  filterConv('conv1d', [], 'conv1d', '1-D convolution over [length, channels]: `conv1d 64 5 same`'),
  {
    keyword: 'dwconv',
    aliases: ['depthwise', 'dwconv2d', 'depthwise_conv'],
    op: 'depthwise_conv2d',
    doc: 'depthwise 2-D convolution: `dwconv 3x3 /2 same multiplier 1`',
    positional: ['kernel'],
    required: ['kernel'],
    attrs: {
      ...CONV_ATTRS,
      multiplier: { kind: 'count', doc: 'output channels per input channel' },
    },
    keywords: CONV_KEYWORDS,
    flags: { ...PAD_FLAGS, ...BIAS_FLAGS },
    strideAttr: 'stride',
  },
  {
    keyword: 'deconv',
    aliases: ['convtranspose', 'conv_transpose', 'conv2d_transpose', 'upconv'],
    op: 'conv2d_transpose',
    doc: 'transposed 2-D convolution: `deconv 64 2x2 /2`',
    positional: ['filters', 'kernel'],
    required: ['filters', 'kernel'],
    attrs: {
      filters: { kind: 'count', doc: 'output channels' },
      ...CONV_ATTRS,
      groups: { kind: 'count', doc: 'groups (default 1)' },
      outpad: {
        kind: 'spatial',
        doc: "extra rows/columns at the bottom/right (PyTorch's output_padding)",
      },
    },
    keywords: { ...CONV_KEYWORDS, output_padding: 'outpad' },
    flags: { ...PAD_FLAGS, ...BIAS_FLAGS },
    strideAttr: 'stride',
  },
  {
    keyword: 'maxpool',
    aliases: ['maxpool2d', 'maxpool1d', 'max_pool'],
    op: 'max_pool',
    doc: 'max pooling, 1-D or 2-D by the input: `maxpool 3x3 /2 pad 1`',
    positional: ['kernel'],
    required: ['kernel'],
    attrs: POOL_ATTRS,
    keywords: { pad: 'padding' },
    flags: { ...PAD_FLAGS, ceil: { attr: 'ceil', value: bool(true) } },
    strideAttr: 'stride',
  },
  {
    keyword: 'avgpool',
    aliases: ['avgpool2d', 'avgpool1d', 'avg_pool'],
    op: 'avg_pool',
    doc: 'average pooling, 1-D or 2-D by the input: `avgpool 2x2 /2`',
    positional: ['kernel'],
    required: ['kernel'],
    attrs: {
      ...POOL_ATTRS,
      count_include_pad: { kind: 'bool', doc: 'count padding in the divisor (default true)' },
    },
    keywords: { pad: 'padding' },
    flags: {
      ...PAD_FLAGS,
      ceil: { attr: 'ceil', value: bool(true) },
      exclude_pad: { attr: 'count_include_pad', value: bool(false) },
    },
    strideAttr: 'stride',
  },
  {
    keyword: 'gap',
    aliases: ['globalavgpool', 'global_avg_pool'],
    op: 'global_avg_pool',
    doc: 'global average pooling to [C] (`keepdims` keeps [1, 1, C])',
    positional: [],
    required: [],
    attrs: { keepdims: { kind: 'bool', doc: 'keep the spatial axes' } },
    keywords: {},
    flags: { keepdims: { attr: 'keepdims', value: bool(true) } },
  },
  {
    keyword: 'gmp',
    aliases: ['globalmaxpool', 'global_max_pool'],
    op: 'global_max_pool',
    doc: 'global max pooling to [C]',
    positional: [],
    required: [],
    attrs: { keepdims: { kind: 'bool', doc: 'keep the spatial axes' } },
    keywords: {},
    flags: { keepdims: { attr: 'keepdims', value: bool(true) } },
  },
  {
    keyword: 'adaptiveavgpool',
    aliases: ['adaptive_avg_pool', 'adaptiveavgpool2d'],
    op: 'adaptive_avg_pool',
    doc: 'adaptive average pooling to a fixed size: `adaptiveavgpool 7x7`',
    positional: ['output'],
    required: ['output'],
    attrs: { output: { kind: 'spatial', doc: 'output size' } },
    keywords: {},
    flags: {},
  },
  {
    keyword: 'adaptivemaxpool',
    aliases: ['adaptive_max_pool', 'adaptivemaxpool2d'],
    op: 'adaptive_max_pool',
    doc: 'adaptive max pooling to a fixed size',
    positional: ['output'],
    required: ['output'],
    attrs: { output: { kind: 'spatial', doc: 'output size' } },
    keywords: {},
    flags: {},
  },
  {
    keyword: 'dense',
    aliases: ['fc'],
    op: 'dense',
    doc: 'fully connected layer on a flat input: `dense 10`',
    positional: ['units'],
    required: ['units'],
    attrs: { units: { kind: 'count', doc: 'output units' }, bias: CONV_ATTRS.bias },
    keywords: {},
    flags: BIAS_FLAGS,
  },
  {
    keyword: 'flatten',
    aliases: [],
    op: 'flatten',
    doc: 'flatten to one axis (channels-last order)',
    positional: [],
    required: [],
    attrs: {},
    keywords: {},
    flags: {},
  },
  {
    keyword: 'reshape',
    aliases: [],
    op: 'reshape',
    doc: 'reshape the per-sample tensor: `reshape 7x7x64` or `reshape (-1, 64)`',
    positional: ['shape'],
    required: ['shape'],
    attrs: { shape: { kind: 'shape', doc: 'target shape; one entry may be -1' } },
    keywords: {},
    flags: {},
  },
  {
    keyword: 'zeropad',
    aliases: ['zeropad2d', 'zero_pad', 'zeropad1d'],
    op: 'zero_pad',
    doc: 'zero padding: `zeropad 1`, `zeropad (1, 2)`, `zeropad (0, 1, 0, 1)`',
    positional: ['pads'],
    required: ['pads'],
    attrs: { pads: { kind: 'pads', doc: 'padding per side' } },
    keywords: {},
    flags: {},
  },
  {
    keyword: 'upsample',
    aliases: ['upsample2d', 'upsampling2d', 'interpolate'],
    op: 'upsample',
    doc: 'upsampling by an integer factor or to a size, nearest or bilinear (PyTorch, align_corners=False): `upsample 2`, `upsample 2 bilinear`, `upsample to 28x28`',
    positional: ['scale'],
    required: [],
    attrs: {
      scale: { kind: 'spatial', doc: 'integer factor per spatial axis' },
      size: { kind: 'spatial', doc: 'output size, instead of a factor' },
      mode: { kind: 'word', doc: '`nearest` (default) or `bilinear`' },
    },
    keywords: { to: 'size' },
    flags: {
      nearest: { attr: 'mode', value: word('nearest') },
      bilinear: { attr: 'mode', value: word('bilinear') },
    },
  },
  {
    keyword: 'dropout',
    aliases: [],
    op: 'dropout',
    doc: 'dropout with rate in [0, 1): `dropout 0.5`',
    positional: ['rate'],
    required: [],
    attrs: { rate: { kind: 'number', doc: 'fraction dropped (default 0.5)' } },
    keywords: {},
    flags: {},
  },
  {
    keyword: 'bn',
    aliases: ['batchnorm', 'batch_norm'],
    op: 'batch_norm',
    doc: 'batch normalisation over the channel axis: `bn`, `bn eps 0.001`',
    positional: [],
    required: [],
    attrs: {
      eps: { kind: 'number', doc: 'epsilon (default 1e-5)' },
      momentum: {
        kind: 'number',
        doc: 'running-statistics momentum, PyTorch convention (default 0.1)',
      },
      affine: { kind: 'bool', doc: 'learn scale and shift (default true)' },
    },
    keywords: { epsilon: 'eps' },
    flags: { noaffine: { attr: 'affine', value: bool(false) } },
  },
  {
    keyword: 'lrn',
    aliases: ['localresponsenorm'],
    op: 'lrn',
    doc: 'local response normalisation (PyTorch LocalResponseNorm): `lrn 5 alpha 1e-4 beta 0.75 k 2`',
    positional: ['size'],
    required: ['size'],
    attrs: {
      size: { kind: 'count', doc: 'neighbouring channels' },
      alpha: { kind: 'number', doc: 'default 1e-4' },
      beta: { kind: 'number', doc: 'default 0.75' },
      k: { kind: 'number', doc: 'default 1' },
    },
    keywords: {},
    flags: {},
  },
  activation('relu', 'relu'),
  activation('relu6', 'relu6'),
  activation('leakyrelu', 'leaky_relu', ['leaky_relu', 'lrelu'], 'negative slope (default 0.01)'),
  activation('elu', 'elu', [], 'alpha (default 1)'),
  activation('tanh', 'tanh'),
  activation('sigmoid', 'sigmoid'),
  activation('softmax', 'softmax'),
  activation('linear', 'linear', ['identity']),
  activation('gelu', 'gelu'),
];

const BY_WORD = new Map<string, OpSpec>();
for (const spec of OP_SPECS) {
  BY_WORD.set(spec.keyword, spec);
  for (const a of spec.aliases) BY_WORD.set(a, spec);
}

export function lookupOp(word: string): OpSpec | undefined {
  return BY_WORD.get(word);
}

export function allOpWords(): string[] {
  return [...BY_WORD.keys()];
}
