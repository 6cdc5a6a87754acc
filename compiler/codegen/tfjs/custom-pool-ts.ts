/**
 * The pooling and padding layers of the emitted layers.ts (custom-layers.ts assembles the file).
 */

/** PaddedPooling: max and average pools with per-side padding, ceil mode and PyTorch's divisor. */
export const PADDED_POOLING = String.raw`export interface PaddedPoolingArgs extends LayerArgs {
  mode: 'max' | 'avg';
  /** [kh, kw], or [k] for a 1-D pool. */
  poolSize: number[];
  strides: number[];
  padding: Padding;
  /** PyTorch's ceil_mode: round the output size up; a window must still start inside the input or its left padding. */
  ceilMode: boolean;
  /** Average pools: count the padded zeros in the divisor (PyTorch's default). */
  countIncludePad?: boolean;
}

/**
 * Max or average pooling, 1-D or 2-D, with per-side padding, ceil mode and PyTorch's divisor:
 * the window clipped to the padded input (countIncludePad) or to the input itself.
 */
export class PaddedPooling extends tf.layers.Layer {
  static readonly className = 'PaddedPooling';
  readonly mode: 'max' | 'avg';
  readonly poolSize: number[];
  readonly strides: number[];
  readonly padding: Padding;
  readonly ceilMode: boolean;
  readonly countIncludePad: boolean;

  constructor(args: PaddedPoolingArgs) {
    super(args);
    this.mode = args.mode;
    this.poolSize = args.poolSize;
    this.strides = args.strides;
    this.padding = args.padding;
    this.ceilMode = args.ceilMode;
    this.countIncludePad = args.countIncludePad ?? true;
  }

  override computeOutputShape(inputShape: tf.Shape | tf.Shape[]): tf.Shape {
    const s = oneShape(inputShape);
    const spatial = this.poolSize.map((k, i) =>
      outSize(s[1 + i], this.padding, i, k, this.strides[i], this.ceilMode),
    );
    return [s[0], ...spatial, s[s.length - 1]];
  }

  override call(inputs: tf.Tensor | tf.Tensor[], kwargs: Kwargs): tf.Tensor {
    return tf.tidy(() => {
      const input = one(inputs);
      const x = as4d(input);
      const oneD = this.poolSize.length === 1;
      const axes = [0, 1].map((i) => {
        const size = x.shape[1 + i];
        if (oneD && i === 0) return { size, kernel: 1, stride: 1, pads: [0, 0] as Pair, out: size, overhang: 0 };
        const j = oneD ? 0 : i;
        const [kernel, stride] = [this.poolSize[j], this.strides[j]];
        const pads = axisPads(this.padding, j, size, kernel, stride);
        const out = outLength(size, kernel, stride, pads, this.ceilMode);
        // Ceil mode's last window may reach past the padding: pad that too (never counted).
        const overhang = Math.max((out - 1) * stride + kernel - (size + pads[0] + pads[1]), 0);
        return { size, kernel, stride, pads, out, overhang };
      });
      const padded = tf.pad(
        x,
        [[0, 0], [axes[0].pads[0], axes[0].pads[1] + axes[0].overhang], [axes[1].pads[0], axes[1].pads[1] + axes[1].overhang], [0, 0]],
        this.mode === 'max' ? -Infinity : 0,
      );
      const size: Pair = [axes[0].kernel, axes[1].kernel];
      const strides: Pair = [axes[0].stride, axes[1].stride];
      if (this.mode === 'max') return from4d(tf.maxPool(padded, size, strides, 'valid'), input.rank);
      const y = tf.avgPool(padded, size, strides, 'valid');
      // tf.avgPool divides by kh·kw; PyTorch by the window's count of input (and padding) positions.
      const counts = axes.map((a) =>
        Array.from({ length: a.out }, (_, o) => {
          const start = o * a.stride - a.pads[0];
          const end = Math.min(start + a.kernel, a.size + a.pads[1]);
          return this.countIncludePad ? end - start : Math.min(end, a.size) - Math.max(start, 0);
        }),
      );
      const area = size[0] * size[1];
      const scale = counts[0].flatMap((ch) => counts[1].map((cw) => (ch * cw > 0 ? area / (ch * cw) : 0)));
      if (scale.every((v) => v === 1)) return from4d(y, input.rank);
      return from4d(tf.mul(y, tf.tensor4d(scale, [1, axes[0].out, axes[1].out, 1])), input.rank);
    });
  }

  override getConfig(): tf.serialization.ConfigDict {
    return {
      ...super.getConfig(),
      mode: this.mode,
      poolSize: this.poolSize,
      strides: this.strides,
      padding: this.padding,
      ceilMode: this.ceilMode,
      countIncludePad: this.countIncludePad,
    };
  }
}
tf.serialization.registerClass(PaddedPooling);
`;

/** AdaptivePooling: PyTorch's adaptive pools. */
export const ADAPTIVE_POOLING = String.raw`export interface AdaptivePoolingArgs extends LayerArgs {
  mode: 'max' | 'avg';
  /** The output's spatial size: [h, w], or [l] for a 1-D input. */
  outputSize: number[];
}

/** PyTorch's adaptive pooling: output i pools input rows [floor(i·in / out), ceil((i + 1)·in / out)). */
export class AdaptivePooling extends tf.layers.Layer {
  static readonly className = 'AdaptivePooling';
  readonly mode: 'max' | 'avg';
  readonly outputSize: number[];

  constructor(args: AdaptivePoolingArgs) {
    super(args);
    this.mode = args.mode;
    this.outputSize = args.outputSize;
  }

  override computeOutputShape(inputShape: tf.Shape | tf.Shape[]): tf.Shape {
    const s = oneShape(inputShape);
    return [s[0], ...this.outputSize, s[s.length - 1]];
  }

  override call(inputs: tf.Tensor | tf.Tensor[], kwargs: Kwargs): tf.Tensor {
    return tf.tidy(() => {
      let y = one(inputs);
      this.outputSize.forEach((out, i) => {
        y = this.axis(y, 1 + i, out);
      });
      return y;
    });
  }

  /** Pools one axis (windows along different axes are independent, so 2-D is two 1-D passes). */
  private axis(x: tf.Tensor, axis: number, out: number): tf.Tensor {
    const reduce = (t: tf.Tensor, a: number, keep: boolean) =>
      this.mode === 'avg' ? tf.mean(t, a, keep) : tf.max(t, a, keep);
    const size = x.shape[axis];
    if (size === out) return x;
    if (size % out === 0) {
      const shape = [...x.shape.slice(0, axis), out, size / out, ...x.shape.slice(axis + 1)];
      return reduce(tf.reshape(x, shape), axis + 1, false);
    }
    const parts: tf.Tensor[] = [];
    for (let i = 0; i < out; i++) {
      const start = Math.floor((i * size) / out);
      const end = Math.ceil(((i + 1) * size) / out);
      const begin = x.shape.map((_, a) => (a === axis ? start : 0));
      const extent = x.shape.map((d, a) => (a === axis ? end - start : d));
      parts.push(reduce(tf.slice(x, begin, extent), axis, true));
    }
    return tf.concat(parts, axis);
  }

  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), mode: this.mode, outputSize: this.outputSize };
  }
}
tf.serialization.registerClass(AdaptivePooling);
`;

/** GlobalPooling: global pools that keep their spatial axes. */
export const GLOBAL_POOLING = String.raw`export interface GlobalPoolingArgs extends LayerArgs {
  mode: 'max' | 'avg';
  /** Keep the spatial axes as size 1 ([N, 1, 1, C]) instead of dropping them ([N, C]). */
  keepDims: boolean;
}

/** Global average or max pooling over every spatial axis, optionally keeping them. */
export class GlobalPooling extends tf.layers.Layer {
  static readonly className = 'GlobalPooling';
  readonly mode: 'max' | 'avg';
  readonly keepDims: boolean;

  constructor(args: GlobalPoolingArgs) {
    super(args);
    this.mode = args.mode;
    this.keepDims = args.keepDims;
  }

  override computeOutputShape(inputShape: tf.Shape | tf.Shape[]): tf.Shape {
    const s = oneShape(inputShape);
    const c = s[s.length - 1];
    return this.keepDims ? [s[0], ...s.slice(1, -1).map(() => 1), c] : [s[0], c];
  }

  override call(inputs: tf.Tensor | tf.Tensor[], kwargs: Kwargs): tf.Tensor {
    return tf.tidy(() => {
      const x = one(inputs);
      const axes = Array.from({ length: x.rank - 2 }, (_, i) => i + 1);
      return this.mode === 'avg' ? tf.mean(x, axes, this.keepDims) : tf.max(x, axes, this.keepDims);
    });
  }

  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), mode: this.mode, keepDims: this.keepDims };
  }
}
tf.serialization.registerClass(GlobalPooling);
`;

/** ZeroPadding1D: zeros around a sequence. */
export const ZERO_PADDING_1D = String.raw`export interface ZeroPadding1DArgs extends LayerArgs {
  /** [left, right]. */
  padding: number[];
}

/** Zeros before and after a sequence [N, L, C]. */
export class ZeroPadding1D extends tf.layers.Layer {
  static readonly className = 'ZeroPadding1D';
  readonly padding: number[];

  constructor(args: ZeroPadding1DArgs) {
    super(args);
    this.padding = args.padding;
  }

  override computeOutputShape(inputShape: tf.Shape | tf.Shape[]): tf.Shape {
    const s = oneShape(inputShape);
    return [s[0], s[1] === null ? null : s[1] + this.padding[0] + this.padding[1], s[2]];
  }

  override call(inputs: tf.Tensor | tf.Tensor[], kwargs: Kwargs): tf.Tensor {
    return tf.tidy(() => tf.pad(one(inputs), [[0, 0], [this.padding[0], this.padding[1]], [0, 0]]));
  }

  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), padding: this.padding };
  }
}
tf.serialization.registerClass(ZeroPadding1D);
`;
