/**
 * The convolution layers of the emitted layers.ts (custom-layers.ts assembles the file): text of
 * TypeScript that the emitted project compiles, checked by tsc and run in the forward-parity tests.
 */

/** PaddedConv: 1-D and 2-D convolutions with per-side padding, groups and dilation. */
export const PADDED_CONV = String.raw`export interface PaddedConvArgs extends LayerArgs {
  filters: number;
  /** [kh, kw], or [k] for a 1-D convolution. */
  kernelSize: number[];
  strides: number[];
  dilationRate: number[];
  padding: Padding;
  groups: number;
  useBias: boolean;
  kernelInitializer?: Initializer;
  biasInitializer?: Initializer;
}

/**
 * A 1-D or 2-D convolution with per-side padding, groups and dilation: the kernel is
 * [...kernelSize, inChannels / groups, filters], as Conv2D's and Conv1D's.
 */
export class PaddedConv extends tf.layers.Layer {
  static readonly className = 'PaddedConv';
  readonly filters: number;
  readonly kernelSize: number[];
  readonly strides: number[];
  readonly dilationRate: number[];
  readonly padding: Padding;
  readonly groups: number;
  readonly useBias: boolean;
  private readonly kernelInitializer: Initializer | undefined;
  private readonly biasInitializer: Initializer | undefined;
  private kernel: tf.LayerVariable | null = null;
  private bias: tf.LayerVariable | null = null;

  constructor(args: PaddedConvArgs) {
    super(args);
    this.filters = args.filters;
    this.kernelSize = args.kernelSize;
    this.strides = args.strides;
    this.dilationRate = args.dilationRate;
    this.padding = args.padding;
    this.groups = args.groups;
    this.useBias = args.useBias;
    this.kernelInitializer = args.kernelInitializer;
    this.biasInitializer = args.biasInitializer;
  }

  override build(inputShape: tf.Shape | tf.Shape[]): void {
    const perGroup = channelsOf(oneShape(inputShape), this.name) / this.groups;
    const fanIn = perGroup * this.kernelSize.reduce((a, b) => a * b, 1);
    const kernelShape = [...this.kernelSize, perGroup, this.filters];
    this.kernel = this.addWeight('kernel', kernelShape, 'float32', this.kernelInitializer ?? torchUniform(fanIn));
    if (this.useBias)
      this.bias = this.addWeight('bias', [this.filters], 'float32', this.biasInitializer ?? torchUniform(fanIn));
    this.built = true;
  }

  override computeOutputShape(inputShape: tf.Shape | tf.Shape[]): tf.Shape {
    const s = oneShape(inputShape);
    const spatial = this.kernelSize.map((k, i) => {
      const effK = this.dilationRate[i] * (k - 1) + 1;
      return outSize(s[1 + i], this.padding, i, effK, this.strides[i]);
    });
    return [s[0], ...spatial, this.filters];
  }

  override call(inputs: tf.Tensor | tf.Tensor[], kwargs: Kwargs): tf.Tensor {
    return tf.tidy(() => {
      const input = one(inputs);
      const oneD = this.kernelSize.length === 1;
      const x = as4d(input);
      let kernel = this.kernel!.read() as tf.Tensor4D;
      if (oneD) kernel = tf.expandDims(kernel, 0);
      const kernelSize = oneD ? [1, this.kernelSize[0]] : this.kernelSize;
      const strides: Pair = oneD ? [1, this.strides[0]] : [this.strides[0], this.strides[1]];
      const dilation = oneD ? [1, this.dilationRate[0]] : this.dilationRate;
      const pads = [0, 1].map((i) => {
        if (oneD && i === 0) return [0, 0] as Pair;
        const effK = dilation[i] * (kernelSize[i] - 1) + 1;
        return axisPads(this.padding, oneD ? 0 : i, x.shape[1 + i], effK, strides[i]);
      });
      const k = dilateKernel(kernel, dilation);
      let y = groupedConv(x, k, strides, [[0, 0], pads[0], pads[1], [0, 0]], this.groups);
      if (this.bias) y = tf.add(y, this.bias.read());
      return from4d(y, input.rank);
    });
  }

  override getConfig(): tf.serialization.ConfigDict {
    return {
      ...super.getConfig(),
      filters: this.filters,
      kernelSize: this.kernelSize,
      strides: this.strides,
      dilationRate: this.dilationRate,
      padding: this.padding,
      groups: this.groups,
      useBias: this.useBias,
    };
  }
}
tf.serialization.registerClass(PaddedConv);
`;

/** groupedConv: the grouped convolution PaddedConv runs. */
export const GROUPED_CONV = String.raw`/**
 * A convolution of 'groups' groups: input channels and filters split into as many parts, each
 * convolved separately (groups = channels is a depthwise convolution, output channel c·m + j).
 */
function groupedConv(x: tf.Tensor4D, kernel: tf.Tensor4D, strides: Pair, pads: Explicit4, groups: number): tf.Tensor4D {
  if (groups === 1) return tf.conv2d(x, kernel, strides, pads);
  const padded = tf.pad(x, pads);
  const [kh, kw, , filters] = kernel.shape;
  const channels = x.shape[3];
  if (groups === channels)
    return tf.depthwiseConv2d(padded, tf.reshape(kernel, [kh, kw, channels, filters / channels]) as tf.Tensor4D, strides, 'valid');
  const xs = tf.split(padded, groups, 3) as tf.Tensor4D[];
  const ks = tf.split(kernel, groups, 3) as tf.Tensor4D[];
  return tf.concat(xs.map((xg, g) => tf.conv2d(xg, ks[g], strides, 'valid')), 3);
}
`;

/** PaddedDepthwiseConv2D: depthwise convolutions with per-side padding and dilation. */
export const PADDED_DEPTHWISE_CONV2D = String.raw`export interface PaddedDepthwiseConv2DArgs extends LayerArgs {
  kernelSize: number[];
  depthMultiplier: number;
  strides: number[];
  dilationRate: number[];
  padding: Padding;
  useBias: boolean;
  depthwiseInitializer?: Initializer;
  biasInitializer?: Initializer;
}

/** DepthwiseConv2D with per-side padding and dilation: kernel [kh, kw, channels, multiplier]. */
export class PaddedDepthwiseConv2D extends tf.layers.Layer {
  static readonly className = 'PaddedDepthwiseConv2D';
  readonly kernelSize: number[];
  readonly depthMultiplier: number;
  readonly strides: number[];
  readonly dilationRate: number[];
  readonly padding: Padding;
  readonly useBias: boolean;
  private readonly depthwiseInitializer: Initializer | undefined;
  private readonly biasInitializer: Initializer | undefined;
  private kernel: tf.LayerVariable | null = null;
  private bias: tf.LayerVariable | null = null;

  constructor(args: PaddedDepthwiseConv2DArgs) {
    super(args);
    this.kernelSize = args.kernelSize;
    this.depthMultiplier = args.depthMultiplier;
    this.strides = args.strides;
    this.dilationRate = args.dilationRate;
    this.padding = args.padding;
    this.useBias = args.useBias;
    this.depthwiseInitializer = args.depthwiseInitializer;
    this.biasInitializer = args.biasInitializer;
  }

  override build(inputShape: tf.Shape | tf.Shape[]): void {
    const channels = channelsOf(oneShape(inputShape), this.name);
    // PyTorch's fan_in of a depthwise kernel is its window.
    const fanIn = this.kernelSize[0] * this.kernelSize[1];
    const shape = [...this.kernelSize, channels, this.depthMultiplier];
    this.kernel = this.addWeight('depthwise_kernel', shape, 'float32', this.depthwiseInitializer ?? torchUniform(fanIn));
    if (this.useBias)
      this.bias = this.addWeight('bias', [channels * this.depthMultiplier], 'float32', this.biasInitializer ?? torchUniform(fanIn));
    this.built = true;
  }

  override computeOutputShape(inputShape: tf.Shape | tf.Shape[]): tf.Shape {
    const s = oneShape(inputShape);
    const spatial = [0, 1].map((i) => {
      const effK = this.dilationRate[i] * (this.kernelSize[i] - 1) + 1;
      return outSize(s[1 + i], this.padding, i, effK, this.strides[i]);
    });
    const c = s[3];
    return [s[0], ...spatial, c === null ? null : c * this.depthMultiplier];
  }

  override call(inputs: tf.Tensor | tf.Tensor[], kwargs: Kwargs): tf.Tensor {
    return tf.tidy(() => {
      const x = one(inputs) as tf.Tensor4D;
      const pads = [0, 1].map((i) => {
        const effK = this.dilationRate[i] * (this.kernelSize[i] - 1) + 1;
        return axisPads(this.padding, i, x.shape[1 + i], effK, this.strides[i]);
      });
      const padded = tf.pad(x, [[0, 0], pads[0], pads[1], [0, 0]]);
      const kernel = dilateKernel(this.kernel!.read() as tf.Tensor4D, this.dilationRate);
      const y = tf.depthwiseConv2d(padded, kernel, [this.strides[0], this.strides[1]], 'valid');
      return this.bias ? tf.add(y, this.bias.read()) : y;
    });
  }

  override getConfig(): tf.serialization.ConfigDict {
    return {
      ...super.getConfig(),
      kernelSize: this.kernelSize,
      depthMultiplier: this.depthMultiplier,
      strides: this.strides,
      dilationRate: this.dilationRate,
      padding: this.padding,
      useBias: this.useBias,
    };
  }
}
tf.serialization.registerClass(PaddedDepthwiseConv2D);
`;

/** CroppedConv2DTranspose: PyTorch's transposed convolution. */
export const CROPPED_CONV2D_TRANSPOSE = String.raw`export interface CroppedConv2DTransposeArgs extends LayerArgs {
  filters: number;
  kernelSize: number[];
  strides: number[];
  dilationRate: number[];
  /** Rows and columns removed from each side of the full output, [[top, bottom], [left, right]] (PyTorch's 'padding'; a negative one adds zeros). */
  cropping: number[][];
  /** Rows and columns added at the bottom and right (PyTorch's 'output_padding'). */
  outputPadding: number[];
  groups: number;
  useBias: boolean;
  kernelInitializer?: Initializer;
  biasInitializer?: Initializer;
}

/**
 * PyTorch's ConvTranspose2d: the full output (in − 1)·s + d·(k − 1) + 1, cropped, with output
 * padding and groups. Kernel [kh, kw, filters / groups, inChannels], as Conv2DTranspose's.
 */
export class CroppedConv2DTranspose extends tf.layers.Layer {
  static readonly className = 'CroppedConv2DTranspose';
  readonly filters: number;
  readonly kernelSize: number[];
  readonly strides: number[];
  readonly dilationRate: number[];
  readonly cropping: number[][];
  readonly outputPadding: number[];
  readonly groups: number;
  readonly useBias: boolean;
  private readonly kernelInitializer: Initializer | undefined;
  private readonly biasInitializer: Initializer | undefined;
  private kernel: tf.LayerVariable | null = null;
  private bias: tf.LayerVariable | null = null;

  constructor(args: CroppedConv2DTransposeArgs) {
    super(args);
    this.filters = args.filters;
    this.kernelSize = args.kernelSize;
    this.strides = args.strides;
    this.dilationRate = args.dilationRate;
    this.cropping = args.cropping;
    this.outputPadding = args.outputPadding;
    this.groups = args.groups;
    this.useBias = args.useBias;
    this.kernelInitializer = args.kernelInitializer;
    this.biasInitializer = args.biasInitializer;
  }

  override build(inputShape: tf.Shape | tf.Shape[]): void {
    const channels = channelsOf(oneShape(inputShape), this.name);
    // PyTorch's fan_in of a transposed kernel [in, filters / groups, kh, kw].
    const fanIn = (this.filters / this.groups) * this.kernelSize[0] * this.kernelSize[1];
    const shape = [...this.kernelSize, this.filters / this.groups, channels];
    this.kernel = this.addWeight('kernel', shape, 'float32', this.kernelInitializer ?? torchUniform(fanIn));
    if (this.useBias)
      this.bias = this.addWeight('bias', [this.filters], 'float32', this.biasInitializer ?? torchUniform(fanIn));
    this.built = true;
  }

  /** The full output's length along axis i, and the rows kept. */
  private axis(size: number, i: number): { full: number; out: number } {
    const full = (size - 1) * this.strides[i] + this.dilationRate[i] * (this.kernelSize[i] - 1) + 1;
    const [before, after] = this.cropping[i];
    return { full, out: full - before - after + this.outputPadding[i] };
  }

  override computeOutputShape(inputShape: tf.Shape | tf.Shape[]): tf.Shape {
    const s = oneShape(inputShape);
    const spatial = [0, 1].map((i) => {
      const size = s[1 + i];
      return size === null ? null : this.axis(size, i).out;
    });
    return [s[0], ...spatial, this.filters];
  }

  override call(inputs: tf.Tensor | tf.Tensor[], kwargs: Kwargs): tf.Tensor {
    return tf.tidy(() => {
      const x = one(inputs) as tf.Tensor4D;
      const n = x.shape[0];
      const [h, w] = [0, 1].map((i) => this.axis(x.shape[1 + i], i));
      const kernel = dilateKernel(this.kernel!.read() as tf.Tensor4D, this.dilationRate);
      const strides: Pair = [this.strides[0], this.strides[1]];
      const perGroup = this.filters / this.groups;
      const xs = this.groups === 1 ? [x] : (tf.split(x, this.groups, 3) as tf.Tensor4D[]);
      const ks = this.groups === 1 ? [kernel] : (tf.split(kernel, this.groups, 3) as tf.Tensor4D[]);
      const parts = xs.map((xg, g) =>
        tf.conv2dTranspose(xg, ks[g], [n, h.full, w.full, perGroup], strides, 'valid'),
      );
      const full = parts.length === 1 ? parts[0] : (tf.concat(parts, 3) as tf.Tensor4D);
      // Rows past the full output (a negative crop, output padding) are zeros before the bias.
      const extra = [h, w].map((a, i) => Math.max(this.cropping[i][0] + a.out - a.full, 0));
      const grown = tf.pad(full, [[0, 0], [0, extra[0]], [0, extra[1]], [0, 0]]);
      const y = tf.slice(grown, [0, this.cropping[0][0], this.cropping[1][0], 0], [n, h.out, w.out, this.filters]);
      return this.bias ? tf.add(y, this.bias.read()) : y;
    });
  }

  override getConfig(): tf.serialization.ConfigDict {
    return {
      ...super.getConfig(),
      filters: this.filters,
      kernelSize: this.kernelSize,
      strides: this.strides,
      dilationRate: this.dilationRate,
      cropping: this.cropping,
      outputPadding: this.outputPadding,
      groups: this.groups,
      useBias: this.useBias,
    };
  }
}
tf.serialization.registerClass(CroppedConv2DTranspose);
`;
