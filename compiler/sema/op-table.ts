/**
 * The one source of the language's ops: OPS, a record over every IR op kind (a missing one is a
 * compile error) holding what the op computes and the layer statements that write it — each
 * keyword and its aliases, positional attributes, keyword attributes (`pad 1`, `stride=2`), flags
 * (`same`, `nobias`), and every attribute's default, written once (`attr(kind, what, default)`: the
 * default is both the value build-attrs.ts applies and the text the docs show). OP_KINDS (the IR's
 * list, compiler/ir/ops.ts) orders it. docs/language.md's op table and docs/ir.schema.json's op
 * enum are generated from it (op-docs.ts; test/docs/op-table-doc.test.ts fails when they are
 * stale), and test/compiler/sema/op-table.test.ts checks the coverage: every op kind has an entry
 * written somewhere, every backend table has every op.
 */
import { OP_KINDS, type OpKind } from '../ir/ops.js';
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

/** A value an attribute takes when it is not written. */
export type AttrDefault = number | boolean | string;

export interface AttrDef {
  readonly kind: AttrKind;
  /** What it is, with its default: `stride (default 1)`. */
  readonly doc: string;
  /** The value build-attrs.ts applies when the attribute is not written; absent when required. */
  readonly default?: AttrDefault;
}

/**
 * An attribute: `what` it is and its default, whose value build-attrs.ts applies and whose text the
 * doc shows (`shown` when the default is computed, e.g. a pool's stride is its window).
 */
function attr(kind: AttrKind, what: string, dflt?: AttrDefault, shown?: string): AttrDef {
  const text = shown ?? (dflt === undefined ? undefined : defaultText(dflt));
  const doc = text === undefined ? what : what ? `${what} (default ${text})` : `default ${text}`;
  return dflt === undefined ? { kind, doc } : { kind, doc, default: dflt };
}

/** `1e-5` rather than `0.00001`. */
export function defaultText(v: AttrDefault): string {
  return typeof v === 'number' && v !== 0 && Math.abs(v) < 1e-3 ? v.toExponential() : String(v);
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
  kernel: attr('spatial', 'kernel size'),
  stride: attr('spatial', 'stride', 1),
  padding: attr('padding', 'padding', 'valid'),
  dilation: attr('spatial', 'dilation', 1),
  bias: attr('bool', 'learn a bias', true),
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
  kernel: attr('spatial', 'window size'),
  // No value: build-attrs.ts takes the window size.
  stride: attr('spatial', 'stride', undefined, 'the window size'),
  padding: attr('padding', 'padding', 'valid'),
  ceil: attr('bool', 'round the output size up (PyTorch ceil_mode)', false),
} as const satisfies Record<string, AttrDef>;

function activation(keyword: string, fn: string, aliases: string[] = [], alpha?: AttrDef): OpSpec {
  return {
    keyword,
    aliases,
    op: 'activation',
    doc: `${fn} activation`,
    positional: alpha ? ['alpha'] : [],
    required: [],
    attrs: alpha ? { alpha } : {},
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
      filters: attr('count', 'output channels'),
      ...CONV_ATTRS,
      groups: attr('count', 'groups', 1),
    },
    keywords: CONV_KEYWORDS,
    flags: { ...PAD_FLAGS, ...BIAS_FLAGS },
    strideAttr: 'stride',
  };
}

export interface OpDef {
  /** How messages name the op: `transposed conv`. */
  readonly label: string;
  /** What the op computes (docs/language.md's op table). */
  readonly doc: string;
  /** The layer statements that write it; none for the merges, which have their own syntax. */
  readonly statements: readonly OpSpec[];
  /** How a source writes an op that has no statement keyword. */
  readonly syntax?: string;
}

export const OPS: { readonly [K in OpKind]: OpDef } = {
  input: {
    label: 'input',
    doc: 'the model input, one sample, channels last',
    statements: [
      {
        keyword: 'input',
        aliases: [],
        op: 'input',
        doc: 'the model input, per sample, channels last: `input 224x224x3`, `input HxWx3`, `input 100x16`',
        positional: ['shape'],
        required: ['shape'],
        attrs: { shape: attr('shape', 'per-sample shape') },
        keywords: {},
        flags: {},
      },
    ],
  },
  conv2d: {
    label: 'conv',
    doc: '2-D convolution',
    statements: [
      filterConv('conv', ['conv2d'], 'conv2d', '2-D convolution: `conv 64 3x3 /2 same`'),
    ],
  },
  conv1d: {
    label: 'conv1d',
    doc: '1-D convolution over [length, channels]',
    statements: [
      filterConv(
        'conv1d',
        [],
        'conv1d',
        '1-D convolution over [length, channels]: `conv1d 64 5 same`',
      ),
    ],
  },
  depthwise_conv2d: {
    label: 'depthwise conv',
    doc: 'depthwise 2-D convolution',
    statements: [
      {
        keyword: 'dwconv',
        aliases: ['depthwise', 'dwconv2d', 'depthwise_conv'],
        op: 'depthwise_conv2d',
        doc: 'depthwise 2-D convolution: `dwconv 3x3 /2 same multiplier 1`',
        positional: ['kernel'],
        required: ['kernel'],
        attrs: {
          ...CONV_ATTRS,
          multiplier: attr('count', 'output channels per input channel', 1),
        },
        keywords: CONV_KEYWORDS,
        flags: { ...PAD_FLAGS, ...BIAS_FLAGS },
        strideAttr: 'stride',
      },
    ],
  },
  conv2d_transpose: {
    label: 'transposed conv',
    doc: 'transposed 2-D convolution',
    statements: [
      {
        keyword: 'deconv',
        aliases: ['convtranspose', 'conv_transpose', 'conv2d_transpose', 'upconv'],
        op: 'conv2d_transpose',
        doc: 'transposed 2-D convolution: `deconv 64 2x2 /2`',
        positional: ['filters', 'kernel'],
        required: ['filters', 'kernel'],
        attrs: {
          filters: attr('count', 'output channels'),
          ...CONV_ATTRS,
          groups: attr('count', 'groups', 1),
          outpad: attr(
            'spatial',
            "extra rows/columns at the bottom/right (PyTorch's output_padding)",
            0,
          ),
        },
        keywords: { ...CONV_KEYWORDS, output_padding: 'outpad' },
        flags: { ...PAD_FLAGS, ...BIAS_FLAGS },
        strideAttr: 'stride',
      },
    ],
  },
  max_pool: {
    label: 'maxpool',
    doc: 'max pooling, 1-D or 2-D',
    statements: [
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
    ],
  },
  avg_pool: {
    label: 'avgpool',
    doc: 'average pooling, 1-D or 2-D',
    statements: [
      {
        keyword: 'avgpool',
        aliases: ['avgpool2d', 'avgpool1d', 'avg_pool'],
        op: 'avg_pool',
        doc: 'average pooling, 1-D or 2-D by the input: `avgpool 2x2 /2`',
        positional: ['kernel'],
        required: ['kernel'],
        attrs: {
          ...POOL_ATTRS,
          count_include_pad: attr('bool', 'count padding in the divisor', true),
        },
        keywords: { pad: 'padding' },
        flags: {
          ...PAD_FLAGS,
          ceil: { attr: 'ceil', value: bool(true) },
          exclude_pad: { attr: 'count_include_pad', value: bool(false) },
        },
        strideAttr: 'stride',
      },
    ],
  },
  global_avg_pool: {
    label: 'global average pool',
    doc: 'global average pooling',
    statements: [
      {
        keyword: 'gap',
        aliases: ['globalavgpool', 'global_avg_pool'],
        op: 'global_avg_pool',
        doc: 'global average pooling to [C] (`keepdims` keeps [1, 1, C])',
        positional: [],
        required: [],
        attrs: { keepdims: attr('bool', 'keep the spatial axes', false) },
        keywords: {},
        flags: { keepdims: { attr: 'keepdims', value: bool(true) } },
      },
    ],
  },
  global_max_pool: {
    label: 'global maxpool',
    doc: 'global max pooling',
    statements: [
      {
        keyword: 'gmp',
        aliases: ['globalmaxpool', 'global_max_pool'],
        op: 'global_max_pool',
        doc: 'global max pooling to [C]',
        positional: [],
        required: [],
        attrs: { keepdims: attr('bool', 'keep the spatial axes', false) },
        keywords: {},
        flags: { keepdims: { attr: 'keepdims', value: bool(true) } },
      },
    ],
  },
  adaptive_avg_pool: {
    label: 'adaptive avgpool',
    doc: 'adaptive average pooling to a fixed size (PyTorch bins)',
    statements: [
      {
        keyword: 'adaptiveavgpool',
        aliases: ['adaptive_avg_pool', 'adaptiveavgpool2d'],
        op: 'adaptive_avg_pool',
        doc: 'adaptive average pooling to a fixed size: `adaptiveavgpool 7x7`',
        positional: ['output'],
        required: ['output'],
        attrs: { output: attr('spatial', 'output size') },
        keywords: {},
        flags: {},
      },
    ],
  },
  adaptive_max_pool: {
    label: 'adaptive maxpool',
    doc: 'adaptive max pooling to a fixed size (PyTorch bins)',
    statements: [
      {
        keyword: 'adaptivemaxpool',
        aliases: ['adaptive_max_pool', 'adaptivemaxpool2d'],
        op: 'adaptive_max_pool',
        doc: 'adaptive max pooling to a fixed size',
        positional: ['output'],
        required: ['output'],
        attrs: { output: attr('spatial', 'output size') },
        keywords: {},
        flags: {},
      },
    ],
  },
  dense: {
    label: 'dense',
    doc: 'fully connected layer',
    statements: [
      {
        keyword: 'dense',
        aliases: ['fc'],
        op: 'dense',
        doc: 'fully connected layer on a flat input: `dense 10`',
        positional: ['units'],
        required: ['units'],
        attrs: { units: attr('count', 'output units'), bias: CONV_ATTRS.bias },
        keywords: {},
        flags: BIAS_FLAGS,
      },
    ],
  },
  flatten: {
    label: 'flatten',
    doc: 'flatten to one axis',
    statements: [
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
    ],
  },
  reshape: {
    label: 'reshape',
    doc: 'reshape the per-sample tensor',
    statements: [
      {
        keyword: 'reshape',
        aliases: [],
        op: 'reshape',
        doc: 'reshape the per-sample tensor: `reshape 7x7x64` or `reshape (-1, 64)`',
        positional: ['shape'],
        required: ['shape'],
        attrs: { shape: attr('shape', 'target shape; one entry may be -1') },
        keywords: {},
        flags: {},
      },
    ],
  },
  zero_pad: {
    label: 'zero padding',
    doc: 'zero padding',
    statements: [
      {
        keyword: 'zeropad',
        aliases: ['zeropad2d', 'zero_pad', 'zeropad1d'],
        op: 'zero_pad',
        doc: 'zero padding: `zeropad 1`, `zeropad (1, 2)`, `zeropad (0, 1, 0, 1)`',
        positional: ['pads'],
        required: ['pads'],
        attrs: { pads: attr('pads', 'padding per side') },
        keywords: {},
        flags: {},
      },
    ],
  },
  upsample: {
    label: 'upsample',
    doc: 'upsampling, nearest or bilinear (PyTorch, align_corners=False)',
    statements: [
      {
        keyword: 'upsample',
        aliases: ['upsample2d', 'upsampling2d', 'interpolate'],
        op: 'upsample',
        doc: 'upsampling by an integer factor or to a size, nearest or bilinear (PyTorch, align_corners=False): `upsample 2`, `upsample 2 bilinear`, `upsample to 28x28`',
        positional: ['scale'],
        required: [],
        attrs: {
          scale: attr('spatial', 'integer factor per spatial axis'),
          size: attr('spatial', 'output size, instead of a factor'),
          mode: attr('word', '`nearest` or `bilinear`', 'nearest'),
        },
        keywords: { to: 'size' },
        flags: {
          nearest: { attr: 'mode', value: word('nearest') },
          bilinear: { attr: 'mode', value: word('bilinear') },
        },
      },
    ],
  },
  dropout: {
    label: 'dropout',
    doc: 'inverted dropout while training',
    statements: [
      {
        keyword: 'dropout',
        aliases: [],
        op: 'dropout',
        doc: 'dropout with rate in [0, 1): `dropout 0.5`',
        positional: ['rate'],
        required: [],
        attrs: { rate: attr('number', 'fraction dropped', 0.5) },
        keywords: {},
        flags: {},
      },
    ],
  },
  batch_norm: {
    label: 'batch norm',
    doc: 'batch normalisation',
    statements: [
      {
        keyword: 'bn',
        aliases: ['batchnorm', 'batch_norm'],
        op: 'batch_norm',
        doc: 'batch normalisation over the channel axis: `bn`, `bn eps 0.001`',
        positional: [],
        required: [],
        attrs: {
          eps: attr('number', 'epsilon', 1e-5),
          momentum: attr('number', 'running-statistics momentum, PyTorch convention', 0.1),
          affine: attr('bool', 'learn scale and shift', true),
        },
        keywords: { epsilon: 'eps' },
        flags: { noaffine: { attr: 'affine', value: bool(false) } },
      },
    ],
  },
  lrn: {
    label: 'local response norm',
    doc: 'local response normalisation (PyTorch)',
    statements: [
      {
        keyword: 'lrn',
        aliases: ['localresponsenorm'],
        op: 'lrn',
        doc: 'local response normalisation (PyTorch LocalResponseNorm): `lrn 5 alpha 1e-4 beta 0.75 k 2`',
        positional: ['size'],
        required: ['size'],
        attrs: {
          size: attr('count', 'neighbouring channels'),
          alpha: attr('number', '', 1e-4),
          beta: attr('number', '', 0.75),
          k: attr('number', '', 1),
        },
        keywords: {},
        flags: {},
      },
    ],
  },
  activation: {
    label: 'activation',
    doc: 'an element-wise activation function',
    statements: [
      activation('relu', 'relu'),
      activation('relu6', 'relu6'),
      activation(
        'leakyrelu',
        'leaky_relu',
        ['leaky_relu', 'lrelu'],
        attr('number', 'negative slope', 0.01),
      ),
      activation('elu', 'elu', [], attr('number', 'alpha', 1)),
      activation('tanh', 'tanh'),
      activation('sigmoid', 'sigmoid'),
      activation('softmax', 'softmax'),
      activation('linear', 'linear', ['identity']),
      activation('gelu', 'gelu'),
    ],
  },
  add: {
    label: 'add',
    doc: 'element-wise sum of branches (broadcasting a lower-rank branch)',
    statements: [],
    syntax: '`add { branch {…} … }`, `residual { … }`',
  },
  multiply: {
    label: 'multiply',
    doc: 'element-wise product of branches (broadcasting a lower-rank branch)',
    statements: [],
    syntax: '`multiply { branch {…} … }`',
  },
  concat: {
    label: 'concat',
    doc: 'concatenation of branches along the channels',
    statements: [],
    syntax: '`concat { branch {…} … }`',
  },
  highway: {
    label: 'highway',
    doc: 'highway merge T·H(x) + (1 − T)·x',
    statements: [],
    syntax: '`highway { transform {…} gate {…} }`',
  },
  yolo: {
    label: 'yolo head',
    doc: 'YOLO detection head: the raw S×S grid of boxes, confidences and classes (docs/detection.md)',
    statements: [
      {
        keyword: 'yolo',
        aliases: ['yolo_head'],
        op: 'yolo',
        doc: 'YOLO detection head on an SxSxN grid: `yolo 3 boxes 2` (v1) or `yolo 3 anchors (16, 16, 32, 32) stride 16`',
        positional: ['classes'],
        required: ['classes'],
        attrs: {
          classes: attr('count', 'object classes'),
          boxes: attr('count', 'boxes per cell of a v1 head', 2),
          anchors: attr('shape', 'anchor sizes in input pixels, w and h in turn'),
          stride: attr('count', 'input pixels per grid cell, checked against the model'),
        },
        keywords: {},
        flags: {},
      },
    ],
  },
};

/** Every layer statement, in OP_KINDS order. */
export const OP_SPECS: readonly OpSpec[] = OP_KINDS.flatMap((k) => OPS[k].statements);

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
