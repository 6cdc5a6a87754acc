/**
 * The IR's op set and each op's attributes. Attributes are fully evaluated (no expressions, no block
 * parameters): the elaborator in compiler/sema produces them from source statements. Spatial
 * attributes are arrays with one entry per spatial axis ([h, w] for 2-D ops, [l] for 1-D ops).
 *
 * Layout convention: every shape is per sample, channels last (NHWC without the N): [H, W, C] for
 * images, [L, C] for sequences, [N] for vectors.
 */

/** Explicit per-side padding; `valid` = all zeros. 2-D: [top, bottom, left, right]; 1-D: [left, right]. */
export type Padding =
  | { readonly mode: 'valid' }
  /** TensorFlow's `same`: out = ceil(in / stride); the odd extra row/column goes at the bottom/right. */
  | { readonly mode: 'same' }
  /** `full`: dilation·(k − 1) on every side (out = in + k − 1 at stride 1). */
  | { readonly mode: 'full' }
  | { readonly mode: 'explicit'; readonly pads: readonly number[] };

export type ActivationFn =
  'relu' | 'relu6' | 'leaky_relu' | 'elu' | 'tanh' | 'sigmoid' | 'softmax' | 'linear' | 'gelu';

export interface InputAttrs {
  /** Per-sample shape as written: numbers, symbols (`H`) or unknown (`?`, stored as null). */
  readonly shape: readonly (number | string | null)[];
}

export interface Conv2dAttrs {
  readonly filters: number;
  readonly kernel: readonly [number, number];
  readonly stride: readonly [number, number];
  readonly dilation: readonly [number, number];
  readonly padding: Padding;
  readonly groups: number;
  readonly bias: boolean;
}

export interface Conv1dAttrs {
  readonly filters: number;
  readonly kernel: readonly [number];
  readonly stride: readonly [number];
  readonly dilation: readonly [number];
  readonly padding: Padding;
  readonly groups: number;
  readonly bias: boolean;
}

export interface DepthwiseConv2dAttrs {
  /** Output channels per input channel (Keras `depth_multiplier`). */
  readonly multiplier: number;
  readonly kernel: readonly [number, number];
  readonly stride: readonly [number, number];
  readonly dilation: readonly [number, number];
  readonly padding: Padding;
  readonly bias: boolean;
}

export interface Conv2dTransposeAttrs {
  readonly filters: number;
  readonly kernel: readonly [number, number];
  readonly stride: readonly [number, number];
  readonly dilation: readonly [number, number];
  /** Explicit padding removes rows/columns from the full output, as PyTorch's `padding`. */
  readonly padding: Padding;
  /** PyTorch's `output_padding`: extra rows/columns added at the bottom/right. */
  readonly outputPadding: readonly [number, number];
  readonly groups: number;
  readonly bias: boolean;
}

export interface PoolAttrs {
  /** One entry per spatial axis of the input (1 or 2). */
  readonly kernel: readonly number[];
  readonly stride: readonly number[];
  readonly padding: Padding;
  /** PyTorch's `ceil_mode`: round the output size up; a window must still start inside the input. */
  readonly ceil: boolean;
  /** Average pooling only: count padded zeros in the divisor (PyTorch default true). */
  readonly countIncludePad: boolean;
}

export interface GlobalPoolAttrs {
  /** Keep the spatial axes as size 1 ([1, 1, C]) instead of dropping them ([C]). */
  readonly keepDims: boolean;
}

export interface AdaptivePoolAttrs {
  /** Output spatial size, one entry per spatial axis. */
  readonly output: readonly number[];
}

export interface DenseAttrs {
  readonly units: number;
  readonly bias: boolean;
}

export interface ReshapeAttrs {
  /** Target per-sample shape; at most one entry may be -1 (inferred). */
  readonly shape: readonly number[];
}

export interface ZeroPadAttrs {
  /** 2-D: [top, bottom, left, right]; 1-D: [left, right]. */
  readonly pads: readonly number[];
}

/** How `upsample` reads its input: PyTorch's `nearest` and `bilinear` with align_corners=False. */
export type UpsampleMode = 'nearest' | 'bilinear';

/**
 * `upsample`: exactly one of `scale` (an integer factor per spatial axis) and `size` (the output
 * [h, w]). compiler/ir/upsample.ts holds PyTorch's source-index and weight arithmetic.
 */
export interface UpsampleAttrs {
  readonly mode: UpsampleMode;
  readonly scale?: readonly [number, number];
  readonly size?: readonly [number, number];
}

export interface DropoutAttrs {
  readonly rate: number;
}

export interface BatchNormAttrs {
  readonly epsilon: number;
  /** PyTorch convention: running = (1 − momentum)·running + momentum·batch. */
  readonly momentum: number;
  /** Learnable scale and shift (gamma, beta). */
  readonly affine: boolean;
}

export interface LrnAttrs {
  /** PyTorch LocalResponseNorm: b = a / (k + alpha/size · Σ a²)^beta over `size` neighbouring channels. */
  readonly size: number;
  readonly alpha: number;
  readonly beta: number;
  readonly k: number;
}

export interface ActivationAttrs {
  readonly fn: ActivationFn;
  /** leaky_relu negative slope, elu alpha. */
  readonly alpha?: number;
}

export interface ConcatAttrs {
  /** Always the channel (last) axis for now. */
  readonly axis: -1;
}

/**
 * A YOLO detection head (docs/detection.md): the identity on its [S, S, channels] input, which it
 * declares to be a grid of box predictions. `boxes` > 0 and no anchors: YOLO v1, each cell holding
 * B boxes of (x, y, √w, √h, confidence) then C class scores (B·5 + C channels). Anchors: YOLO v2/v3,
 * each cell holding per anchor (tx, ty, tw, th, objectness, C class logits) (A·(5 + C) channels).
 */
export interface YoloAttrs {
  readonly classes: number;
  /** Boxes per cell of a v1 head; the anchor count of an anchor head. */
  readonly boxes: number;
  /** Anchor sizes [w, h] in input pixels; empty for a v1 head. */
  readonly anchors: readonly (readonly [number, number])[];
  /** Input pixels per grid cell as declared (`stride 16`); 0: not declared. */
  readonly stride: number;
}

export type EmptyAttrs = Readonly<Record<string, never>>;

/** Maps each op to its attributes. */
export interface OpAttrMap {
  input: InputAttrs;
  conv2d: Conv2dAttrs;
  conv1d: Conv1dAttrs;
  depthwise_conv2d: DepthwiseConv2dAttrs;
  conv2d_transpose: Conv2dTransposeAttrs;
  max_pool: PoolAttrs;
  avg_pool: PoolAttrs;
  global_max_pool: GlobalPoolAttrs;
  global_avg_pool: GlobalPoolAttrs;
  adaptive_max_pool: AdaptivePoolAttrs;
  adaptive_avg_pool: AdaptivePoolAttrs;
  dense: DenseAttrs;
  flatten: EmptyAttrs;
  reshape: ReshapeAttrs;
  zero_pad: ZeroPadAttrs;
  upsample: UpsampleAttrs;
  dropout: DropoutAttrs;
  batch_norm: BatchNormAttrs;
  lrn: LrnAttrs;
  activation: ActivationAttrs;
  add: EmptyAttrs;
  multiply: EmptyAttrs;
  concat: ConcatAttrs;
  /** Inputs [x, h, t]: t·h + (1 − t)·x (highway networks, the carry gate tied to 1 − t). */
  highway: EmptyAttrs;
  yolo: YoloAttrs;
}

export type OpKind = keyof OpAttrMap;

/**
 * The inputs each op takes: a count, or `many` (one or more) for the merges. Its keys are the one
 * list of op kinds (OP_KINDS, in this order); compiler/sema/op-table.ts's OPS holds each op's
 * source form and docs, and docs/ir.schema.json's op enum is generated from it
 * (test/docs/op-table-doc.test.ts).
 */
export const OP_ARITY: { readonly [K in OpKind]: number | 'many' } = {
  input: 0,
  conv2d: 1,
  conv1d: 1,
  depthwise_conv2d: 1,
  conv2d_transpose: 1,
  max_pool: 1,
  avg_pool: 1,
  global_avg_pool: 1,
  global_max_pool: 1,
  adaptive_avg_pool: 1,
  adaptive_max_pool: 1,
  dense: 1,
  flatten: 1,
  reshape: 1,
  zero_pad: 1,
  upsample: 1,
  dropout: 1,
  batch_norm: 1,
  lrn: 1,
  activation: 1,
  add: 'many',
  multiply: 'many',
  concat: 'many',
  /** [x, h, t] */
  highway: 3,
  /** the raw grid of a detection head (runtime/detection decodes it) */
  yolo: 1,
};

export const OP_KINDS: readonly OpKind[] = Object.keys(OP_ARITY) as OpKind[];

/** Ops that take several inputs. Every other op except `input` takes exactly one. */
export const MERGE_OPS: ReadonlySet<OpKind> = new Set<OpKind>(
  OP_KINDS.filter((k) => OP_ARITY[k] === 'many' || (OP_ARITY[k] as number) > 1),
);

/** Ops with a fixed number of inputs other than one. */
export const FIXED_ARITY: Partial<Readonly<Record<OpKind, number>>> = Object.fromEntries(
  OP_KINDS.flatMap((k) => {
    const n = OP_ARITY[k];
    return typeof n === 'number' && n !== 1 ? [[k, n]] : [];
  }),
);
