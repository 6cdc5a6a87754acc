/** The custom layer of `upsample`: PyTorch's nearest and bilinear (align_corners=False). */

/**
 * Upsample: the source rows and weights of compiler/ir/upsample.ts, applied as two matrix products
 * (columns, then rows). tf.layers.upSampling2d is not used: its bilinear mode is TensorFlow's
 * legacy asymmetric one, and tfjs's resizeBilinear gradient ignores halfPixelCenters.
 */
export const UPSAMPLE = String.raw`export interface UpsampleArgs extends LayerArgs {
  mode: 'nearest' | 'bilinear';
  /** An integer factor per spatial axis [h, w], or null when size is given. */
  scale?: number[] | null;
  /** The output's [h, w], or null when scale is given. */
  size?: number[] | null;
}

/**
 * Upsampling as PyTorch's F.interpolate(mode='nearest' or 'bilinear', align_corners=False): each
 * output row reads input rows i0 and i1 with weights w0 and w1, computed in float32 as PyTorch does,
 * by an integer factor (scale) or to a size. Applied as two matrix products, so that any backend
 * computes the gradient.
 */
export class Upsample extends tf.layers.Layer {
  static readonly className = 'Upsample';
  readonly mode: 'nearest' | 'bilinear';
  readonly scale: number[] | null;
  readonly size: number[] | null;

  constructor(args: UpsampleArgs) {
    super(args);
    this.mode = args.mode;
    this.scale = args.scale ?? null;
    this.size = args.size ?? null;
  }

  private outLength(axis: number, length: number): number {
    return this.size ? this.size[axis] : length * this.scale![axis];
  }

  /** The [length, out] interpolation matrix of one spatial axis. */
  private matrix(axis: number, length: number): tf.Tensor2D {
    const out = this.outLength(axis, length);
    const f32 = Math.fround;
    const s = this.size ? f32(length / out) : f32(1 / this.scale![axis]);
    const m = new Float32Array(length * out);
    for (let dst = 0; dst < out; dst++) {
      if (this.mode === 'nearest') {
        m[Math.min(Math.floor(f32(dst * s)), length - 1) * out + dst] = 1;
        continue;
      }
      const raw = f32(f32(s * f32(dst + 0.5)) - 0.5);
      const src = raw < 0 ? 0 : raw;
      const i0 = Math.min(Math.floor(src), length - 1);
      const i1 = i0 < length - 1 ? i0 + 1 : i0;
      const w1 = Math.min(Math.max(f32(src - i0), 0), 1);
      m[i0 * out + dst] += f32(1 - w1);
      m[i1 * out + dst] += w1;
    }
    return tf.tensor2d(m, [length, out]);
  }

  /** x [..., length] → [..., out] along its last axis. */
  private along(x: tf.Tensor, axis: number): tf.Tensor {
    const length = x.shape[x.rank - 1];
    const m = this.matrix(axis, length);
    const y = tf.matMul(tf.reshape(x, [-1, length]), m);
    return tf.reshape(y, [...x.shape.slice(0, -1), m.shape[1]]);
  }

  override computeOutputShape(inputShape: tf.Shape | tf.Shape[]): tf.Shape {
    const [n, h, w, c] = oneShape(inputShape);
    const at = (axis: number, d: number | null) => (this.size ? this.size[axis] : d === null ? null : d * this.scale![axis]);
    return [n, at(0, h), at(1, w), c];
  }

  override call(inputs: tf.Tensor | tf.Tensor[], kwargs: Kwargs): tf.Tensor {
    return tf.tidy(() => {
      const x = one(inputs);
      // [N, H, W, C] → [N, H, C, W] → columns → [N, OW, C, H] → rows → [N, OH, OW, C]
      const cols = this.along(tf.transpose(x, [0, 1, 3, 2]), 1);
      const rows = this.along(tf.transpose(cols, [0, 3, 2, 1]), 0);
      return tf.transpose(rows, [0, 3, 1, 2]);
    });
  }

  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), mode: this.mode, scale: this.scale, size: this.size };
  }
}
tf.serialization.registerClass(Upsample);
`;
