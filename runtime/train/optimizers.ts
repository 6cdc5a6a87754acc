/**
 * Optimisers, written out on tf variables so that their state is ours to checkpoint. With g the
 * gradient of the mean batch loss, w a parameter, lr the learning rate of this step and wd the L2
 * weight decay (PyTorch's `weight_decay`: added to the gradient, applied to every trainable
 * parameter, biases included), every rule first forms g' = g + wd·w, then:
 *
 *   sgd       w ← w − lr·g'
 *   momentum  v ← μ·v + g';          w ← w − lr·v                 (PyTorch SGD, dampening 0)
 *   nesterov  v ← μ·v + g';          w ← w − lr·(g' + μ·v)
 *   adam      m ← β1·m + (1−β1)·g';  s ← β2·s + (1−β2)·g'²;  t ← t + 1
 *             w ← w − lr·(m / (1−β1ᵗ)) / (√(s / (1−β2ᵗ)) + ε)   (PyTorch Adam)
 *   rmsprop   s ← ρ·s + (1−ρ)·g'²;    w ← w − lr·g' / (√s + ε)     (PyTorch RMSprop, no momentum)
 *
 * State starts at zero. Slots are named `${param}/${slot}` (velocity, m, s).
 */
import type * as tfjs from '@tensorflow/tfjs';

export type Tf = typeof tfjs;

export const OPTIMIZERS = ['sgd', 'momentum', 'nesterov', 'adam', 'rmsprop'] as const;
export type OptimizerName = (typeof OPTIMIZERS)[number];

export interface OptimizerConfig {
  readonly name: OptimizerName;
  /** μ for momentum and nesterov (default 0.9). */
  readonly momentum: number;
  readonly beta1: number;
  readonly beta2: number;
  /** ρ of rmsprop (default 0.9, as in Keras; PyTorch uses 0.99). */
  readonly rho: number;
  readonly epsilon: number;
  readonly weightDecay: number;
}

export const DEFAULT_OPTIMIZER: OptimizerConfig = {
  name: 'adam',
  momentum: 0.9,
  beta1: 0.9,
  beta2: 0.999,
  rho: 0.9,
  epsilon: 1e-8,
  weightDecay: 0,
};

export interface NamedParam {
  readonly name: string;
  readonly variable: tfjs.Variable;
}

export interface SavedTensor {
  readonly name: string;
  readonly shape: readonly number[];
  readonly data: Float32Array;
}

export interface OptimizerState {
  readonly name: OptimizerName;
  readonly step: number;
  readonly slots: readonly SavedTensor[];
}

const SLOTS: Record<OptimizerName, readonly string[]> = {
  sgd: [],
  momentum: ['velocity'],
  nesterov: ['velocity'],
  adam: ['m', 's'],
  rmsprop: ['s'],
};

export class Optimizer {
  /** Number of updates applied so far (Adam's t). */
  step = 0;
  private readonly slots: Map<string, tfjs.Variable>[];

  constructor(
    private readonly tf: Tf,
    readonly config: OptimizerConfig,
    private readonly params: readonly NamedParam[],
  ) {
    this.slots = params.map((p) => {
      const m = new Map<string, tfjs.Variable>();
      for (const s of SLOTS[config.name]) m.set(s, tf.variable(tf.zerosLike(p.variable), false));
      return m;
    });
  }

  /** Applies one update; grads[i] belongs to params[i]. The gradients are not disposed. */
  apply(grads: readonly tfjs.Tensor[], lr: number): void {
    const { tf, config: c } = this;
    this.step++;
    const t = this.step;
    tf.tidy(() => {
      this.params.forEach((p, i) => {
        const w = p.variable;
        let g = grads[i];
        if (c.weightDecay) g = g.add(w.mul(c.weightDecay));
        const slot = this.slots[i];
        switch (c.name) {
          case 'sgd':
            w.assign(w.sub(g.mul(lr)));
            break;
          case 'momentum':
          case 'nesterov': {
            const v = slot.get('velocity')!;
            const nv = v.mul(c.momentum).add(g);
            v.assign(nv);
            const d = c.name === 'momentum' ? nv : g.add(nv.mul(c.momentum));
            w.assign(w.sub(d.mul(lr)));
            break;
          }
          case 'adam': {
            const m = slot.get('m')!;
            const s = slot.get('s')!;
            const nm = m.mul(c.beta1).add(g.mul(1 - c.beta1));
            const ns = s.mul(c.beta2).add(g.square().mul(1 - c.beta2));
            m.assign(nm);
            s.assign(ns);
            const mHat = nm.div(1 - Math.pow(c.beta1, t));
            const sHat = ns.div(1 - Math.pow(c.beta2, t));
            w.assign(w.sub(mHat.div(sHat.sqrt().add(c.epsilon)).mul(lr)));
            break;
          }
          case 'rmsprop': {
            const s = slot.get('s')!;
            const ns = s.mul(c.rho).add(g.square().mul(1 - c.rho));
            s.assign(ns);
            w.assign(w.sub(g.div(ns.sqrt().add(c.epsilon)).mul(lr)));
            break;
          }
        }
      });
    });
  }

  getState(): OptimizerState {
    const slots: SavedTensor[] = [];
    this.params.forEach((p, i) => {
      for (const [s, v] of this.slots[i])
        slots.push({ name: `${p.name}/${s}`, shape: v.shape, data: v.dataSync() as Float32Array });
    });
    return { name: this.config.name, step: this.step, slots };
  }

  /** Restores a saved state; slots of another optimizer or shape are an error naming them. */
  setState(state: OptimizerState): void {
    if (state.name !== this.config.name)
      throw new Error(`optimizer state is for ${state.name}, not ${this.config.name}`);
    const saved = new Map(state.slots.map((s) => [s.name, s]));
    this.params.forEach((p, i) => {
      for (const [s, v] of this.slots[i]) {
        const t = saved.get(`${p.name}/${s}`);
        if (!t || t.data.length !== v.size)
          throw new Error(`optimizer state lacks ${p.name}/${s} of shape ${v.shape.join('x')}`);
        v.assign(this.tf.tensor(t.data, v.shape));
      }
    });
    this.step = state.step;
  }

  dispose(): void {
    for (const m of this.slots) for (const v of m.values()) v.dispose();
  }
}

/**
 * Scales the gradients so that their global L2 norm is at most maxNorm (TensorFlow's
 * clip_by_global_norm). Returns new tensors and the norm before clipping.
 */
export function clipByGlobalNorm(
  tf: Tf,
  grads: readonly tfjs.Tensor[],
  maxNorm: number,
): { grads: tfjs.Tensor[]; norm: number } {
  const norm = Math.sqrt(
    tf.tidy(() => tf.addN(grads.map((g) => g.square().sum())).dataSync()[0] as number),
  );
  const scale = norm > maxNorm ? maxNorm / norm : 1;
  return { grads: grads.map((g) => (scale === 1 ? g.clone() : g.mul(scale))), norm };
}
