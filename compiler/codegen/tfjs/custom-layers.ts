/**
 * layers.ts of an emitted TensorFlow.js project: the custom layers its model.ts uses (ops.ts says
 * which), each a tf.layers.Layer with build, computeOutputShape, call and getConfig, registered
 * with tf.serialization.registerClass so that model.save and tf.loadLayersModel round-trip. Only
 * the classes a project uses, and the helpers they need, are written.
 */
import {
  CROPPED_CONV2D_TRANSPOSE,
  GROUPED_CONV,
  PADDED_CONV,
  PADDED_DEPTHWISE_CONV2D,
} from './custom-conv-ts.js';
import { HIGHWAY } from './custom-graph-ts.js';
import { UPSAMPLE } from './custom-upsample-ts.js';
import { ELU_WITH_ALPHA, LOCAL_RESPONSE_NORM, TORCH_BATCH_NORM } from './custom-norm-ts.js';
import {
  ADAPTIVE_POOLING,
  GLOBAL_POOLING,
  PADDED_POOLING,
  ZERO_PADDING_1D,
} from './custom-pool-ts.js';

export const CUSTOM_LAYERS = [
  'PaddedConv',
  'PaddedDepthwiseConv2D',
  'CroppedConv2DTranspose',
  'PaddedPooling',
  'AdaptivePooling',
  'GlobalPooling',
  'ZeroPadding1D',
  'TorchBatchNorm',
  'LocalResponseNorm',
  'ELUWithAlpha',
  'Highway',
  'Upsample',
] as const;

export type CustomLayer = (typeof CUSTOM_LAYERS)[number];

type Helper = 'window' | 'conv';

const HEADER = String.raw`/**
 * Layers that tfjs-layers does not have, each computing what cnnc computes (PyTorch's semantics),
 * forward and backward, and registered for serialization, so that model.save and
 * tf.loadLayersModel round-trip (import this file before loading a saved model).
 */
import * as tf from '@tensorflow/tfjs';

type LayerArgs = NonNullable<ConstructorParameters<typeof tf.layers.Layer>[0]>;
type Kwargs = Record<string, unknown>;

function one(x: tf.Tensor | tf.Tensor[]): tf.Tensor {
  return Array.isArray(x) ? x[0] : x;
}

function oneShape(s: tf.Shape | tf.Shape[]): tf.Shape {
  return Array.isArray(s[0]) ? (s as tf.Shape[])[0] : (s as tf.Shape);
}
`;

const CHANNELS = String.raw`
function channelsOf(shape: tf.Shape, layer: string): number {
  const c = shape[shape.length - 1];
  if (c === null) throw new Error(layer + ': the channel count of the input must be known');
  return c;
}
`;

const WINDOW = String.raw`
type Pair = [number, number];

/** Per-side padding: TF's 'same' (resolved from the input size) or [before, after] per spatial axis. */
export type Padding = 'same' | number[][];

/** [before, after] along a spatial axis: explicit, or TF 'same' for an input of this size. */
function axisPads(padding: Padding, axis: number, size: number, kernel: number, stride: number): Pair {
  if (padding !== 'same') return [padding[axis][0], padding[axis][1]];
  const total = Math.max((Math.ceil(size / stride) - 1) * stride + kernel - size, 0);
  return [Math.floor(total / 2), total - Math.floor(total / 2)];
}

/** floor((size + pads − kernel) / stride) + 1, or PyTorch's ceil mode. */
function outLength(size: number, kernel: number, stride: number, pads: Pair, ceil = false): number {
  const slack = size + pads[0] + pads[1] - kernel;
  if (!ceil) return Math.floor(slack / stride) + 1;
  const out = Math.ceil(slack / stride) + 1;
  // A window must start inside the input or its left padding.
  return (out - 1) * stride >= size + pads[0] ? out - 1 : out;
}

/** A spatial axis's output length, or null when the input's is not known. */
function outSize(size: number | null, padding: Padding, axis: number, kernel: number, stride: number, ceil = false): number | null {
  if (size === null) return null;
  return outLength(size, kernel, stride, axisPads(padding, axis, size, kernel, stride), ceil);
}

/** [N, L, C] as [N, 1, L, C]; 4-D inputs as they are. */
function as4d(x: tf.Tensor): tf.Tensor4D {
  return x.rank === 4 ? (x as tf.Tensor4D) : tf.expandDims(x, 1);
}

function from4d(y: tf.Tensor4D, rank: number): tf.Tensor {
  return rank === 4 ? y : tf.squeeze(y, [1]);
}
`;

const CONV = String.raw`
type Initializer = ReturnType<typeof tf.initializers.randomUniform>;
type Explicit4 = [Pair, Pair, Pair, Pair];

/** PyTorch's default initialisation: U(−1/√fan_in, 1/√fan_in). */
function torchUniform(fanIn: number): Initializer {
  const bound = 1 / Math.sqrt(fanIn);
  return tf.initializers.randomUniform({ minval: -bound, maxval: bound });
}

/**
 * Inserts d − 1 zeros between the taps of a [kh, kw, a, b] kernel: the convolution then runs
 * undilated, since tfjs has no gradient of a dilated convolution.
 */
function dilateKernel(k: tf.Tensor4D, dilation: number[]): tf.Tensor4D {
  const [dh, dw] = dilation;
  let out = k;
  if (dh > 1) {
    const [kh, kw, a, b] = out.shape;
    const spread = tf.pad(tf.reshape(out, [kh, 1, kw * a * b]), [[0, 0], [0, dh - 1], [0, 0]]);
    out = tf.slice(tf.reshape(spread, [kh * dh, kw, a, b]) as tf.Tensor4D, [0, 0, 0, 0], [(kh - 1) * dh + 1, kw, a, b]);
  }
  if (dw > 1) {
    const [kh, kw, a, b] = out.shape;
    const spread = tf.pad(tf.reshape(out, [kh, kw, 1, a * b]), [[0, 0], [0, 0], [0, dw - 1], [0, 0]]);
    out = tf.slice(tf.reshape(spread, [kh, kw * dw, a, b]) as tf.Tensor4D, [0, 0, 0, 0], [kh, (kw - 1) * dw + 1, a, b]);
  }
  return out;
}
`;

interface LayerSource {
  readonly text: string;
  readonly helpers: readonly Helper[];
  readonly channels: boolean;
}

const SOURCES: { readonly [K in CustomLayer]: LayerSource } = {
  PaddedConv: {
    text: `${PADDED_CONV}\n\n${GROUPED_CONV}`,
    helpers: ['window', 'conv'],
    channels: true,
  },
  PaddedDepthwiseConv2D: {
    text: PADDED_DEPTHWISE_CONV2D,
    helpers: ['window', 'conv'],
    channels: true,
  },
  CroppedConv2DTranspose: {
    text: CROPPED_CONV2D_TRANSPOSE,
    helpers: ['window', 'conv'],
    channels: true,
  },
  PaddedPooling: { text: PADDED_POOLING, helpers: ['window'], channels: false },
  AdaptivePooling: { text: ADAPTIVE_POOLING, helpers: [], channels: false },
  GlobalPooling: { text: GLOBAL_POOLING, helpers: [], channels: false },
  ZeroPadding1D: { text: ZERO_PADDING_1D, helpers: [], channels: false },
  TorchBatchNorm: { text: TORCH_BATCH_NORM, helpers: [], channels: true },
  LocalResponseNorm: { text: LOCAL_RESPONSE_NORM, helpers: [], channels: false },
  ELUWithAlpha: { text: ELU_WITH_ALPHA, helpers: [], channels: false },
  Highway: { text: HIGHWAY, helpers: [], channels: false },
  Upsample: { text: UPSAMPLE, helpers: [], channels: false },
};

/** layers.ts holding `used` (in CUSTOM_LAYERS order); null when the project uses none. */
export function emitLayersTs(used: ReadonlySet<CustomLayer>): string | null {
  const classes = CUSTOM_LAYERS.filter((c) => used.has(c));
  if (classes.length === 0) return null;
  const helpers = new Set(classes.flatMap((c) => SOURCES[c].helpers));
  const parts = [HEADER];
  if (classes.some((c) => SOURCES[c].channels)) parts.push(CHANNELS);
  if (helpers.has('window') || helpers.has('conv')) parts.push(WINDOW);
  if (helpers.has('conv')) parts.push(CONV);
  for (const c of classes) parts.push(`\n${SOURCES[c].text}`);
  return parts.join('');
}
