/**
 * The normalisation and activation layers of the emitted layers.ts (custom-layers.ts assembles the file).
 */

/** TorchBatchNorm: PyTorch's batch norm, frozen when not trainable. */
export const TORCH_BATCH_NORM = String.raw`export interface TorchBatchNormArgs extends LayerArgs {
  /** PyTorch's convention: moving = (1 − momentum)·moving + momentum·batch. */
  momentum: number;
  epsilon: number;
  /** Learnable scale and shift (gamma, beta). */
  affine: boolean;
}

/**
 * PyTorch's batch norm over the last axis. Training (and trainable): normalise with the batch's
 * mean and biased variance, and move the statistics with the unbiased one. Otherwise, or when the
 * layer is frozen (trainable = false), normalise with the moving statistics and leave them alone.
 */
export class TorchBatchNorm extends tf.layers.Layer {
  static readonly className = 'TorchBatchNorm';
  readonly momentum: number;
  readonly epsilon: number;
  readonly affine: boolean;
  private gamma: tf.LayerVariable | null = null;
  private beta: tf.LayerVariable | null = null;
  private movingMean: tf.LayerVariable | null = null;
  private movingVariance: tf.LayerVariable | null = null;

  constructor(args: TorchBatchNormArgs) {
    super(args);
    this.momentum = args.momentum;
    this.epsilon = args.epsilon;
    this.affine = args.affine;
  }

  override build(inputShape: tf.Shape | tf.Shape[]): void {
    const c = channelsOf(oneShape(inputShape), this.name);
    if (this.affine) {
      this.gamma = this.addWeight('gamma', [c], 'float32', tf.initializers.ones());
      this.beta = this.addWeight('beta', [c], 'float32', tf.initializers.zeros());
    }
    this.movingMean = this.addWeight('moving_mean', [c], 'float32', tf.initializers.zeros(), undefined, false);
    this.movingVariance = this.addWeight('moving_variance', [c], 'float32', tf.initializers.ones(), undefined, false);
    this.built = true;
  }

  override computeOutputShape(inputShape: tf.Shape | tf.Shape[]): tf.Shape {
    return oneShape(inputShape);
  }

  override call(inputs: tf.Tensor | tf.Tensor[], kwargs: Kwargs): tf.Tensor {
    return tf.tidy(() => {
      const x = one(inputs);
      const mean = this.movingMean!;
      const variance = this.movingVariance!;
      let y: tf.Tensor;
      if (kwargs['training'] === true && this.trainable) {
        const axes = Array.from({ length: x.rank - 1 }, (_, i) => i);
        const batch = tf.moments(x, axes);
        const count = x.size / x.shape[x.rank - 1];
        const unbiased = count > 1 ? count / (count - 1) : 1;
        const m = this.momentum;
        mean.write(tf.add(tf.mul(mean.read(), 1 - m), tf.mul(batch.mean, m)));
        variance.write(tf.add(tf.mul(variance.read(), 1 - m), tf.mul(batch.variance, m * unbiased)));
        y = tf.mul(tf.sub(x, batch.mean), tf.rsqrt(tf.add(batch.variance, this.epsilon)));
      } else {
        y = tf.mul(tf.sub(x, mean.read()), tf.rsqrt(tf.add(variance.read(), this.epsilon)));
      }
      if (this.gamma) y = tf.mul(y, this.gamma.read());
      if (this.beta) y = tf.add(y, this.beta.read());
      return y;
    });
  }

  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), momentum: this.momentum, epsilon: this.epsilon, affine: this.affine };
  }
}
tf.serialization.registerClass(TorchBatchNorm);
`;

/** LocalResponseNorm: PyTorch's LRN. */
export const LOCAL_RESPONSE_NORM = String.raw`export interface LocalResponseNormArgs extends LayerArgs {
  size: number;
  alpha: number;
  beta: number;
  k: number;
}

/**
 * PyTorch's LocalResponseNorm: b_c = a_c / (k + alpha/size · Σ a²)^beta, the sum over channels
 * c − ⌊size/2⌋ … c + ⌊(size − 1)/2⌋ (tf.localResponseNormalization has other constants and only odd windows).
 */
export class LocalResponseNorm extends tf.layers.Layer {
  static readonly className = 'LocalResponseNorm';
  readonly size: number;
  readonly alpha: number;
  readonly beta: number;
  readonly k: number;

  constructor(args: LocalResponseNormArgs) {
    super(args);
    this.size = args.size;
    this.alpha = args.alpha;
    this.beta = args.beta;
    this.k = args.k;
  }

  override computeOutputShape(inputShape: tf.Shape | tf.Shape[]): tf.Shape {
    return oneShape(inputShape);
  }

  override call(inputs: tf.Tensor | tf.Tensor[], kwargs: Kwargs): tf.Tensor {
    return tf.tidy(() => {
      const x = one(inputs);
      const last = x.rank - 1;
      const pads: [number, number][] = x.shape.map((): [number, number] => [0, 0]);
      pads[last] = [Math.floor(this.size / 2), Math.floor((this.size - 1) / 2)];
      const squares = tf.pad(tf.square(x), pads);
      const begin = x.shape.map(() => 0);
      let sum = tf.zerosLike(x);
      for (let j = 0; j < this.size; j++) {
        begin[last] = j;
        sum = tf.add(sum, tf.slice(squares, begin, x.shape));
      }
      return tf.div(x, tf.pow(tf.add(tf.mul(sum, this.alpha / this.size), this.k), this.beta));
    });
  }

  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), size: this.size, alpha: this.alpha, beta: this.beta, k: this.k };
  }
}
tf.serialization.registerClass(LocalResponseNorm);
`;

/** ELUWithAlpha: ELU with any alpha. */
export const ELU_WITH_ALPHA = String.raw`export interface ELUWithAlphaArgs extends LayerArgs {
  alpha: number;
}

/** ELU with any alpha (tf.layers.elu takes 1 only): x for x > 0, alpha·(eˣ − 1) otherwise. */
export class ELUWithAlpha extends tf.layers.Layer {
  static readonly className = 'ELUWithAlpha';
  readonly alpha: number;

  constructor(args: ELUWithAlphaArgs) {
    super(args);
    this.alpha = args.alpha;
  }

  override computeOutputShape(inputShape: tf.Shape | tf.Shape[]): tf.Shape {
    return oneShape(inputShape);
  }

  override call(inputs: tf.Tensor | tf.Tensor[], kwargs: Kwargs): tf.Tensor {
    return tf.tidy(() => {
      const x = one(inputs);
      // Never exponentiates a large positive x.
      return tf.add(tf.relu(x), tf.mul(tf.elu(tf.minimum(x, 0)), this.alpha));
    });
  }

  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), alpha: this.alpha };
  }
}
tf.serialization.registerClass(ELUWithAlpha);
`;
