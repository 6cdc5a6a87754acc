/**
 * optimizer.ts of an emitted TensorFlow.js project: cnnc's optimisers (a tf.Optimizer) and
 * learning-rate schedules, which train.ts compiles the model with.
 */
export const OPTIMIZER_TS = String.raw`/**
 * cnnc's optimisers and learning-rate schedules for model.fit, as cnnc train applies them.
 */
import * as tf from '@tensorflow/tfjs';

type NamedTensor = { name: string; tensor: tf.Tensor };

export const OPTIMIZERS = ['sgd', 'momentum', 'nesterov', 'adam', 'rmsprop'] as const;
export type OptimizerName = (typeof OPTIMIZERS)[number];

/** The optimiser and schedule settings of a train { } block. */
export interface OptimizerSettings {
  readonly optimizer: OptimizerName;
  readonly lr: number;
  readonly momentum: number;
  readonly beta1: number;
  readonly beta2: number;
  readonly rho: number;
  readonly epsilon: number;
  readonly weightDecay: number;
  readonly schedule: {
    readonly kind: 'constant' | 'step' | 'exponential' | 'cosine';
    readonly gamma: number;
    /** Epochs between the step schedule's decays. */
    readonly every: number;
    readonly minLr: number;
    /** Steps of linear warm-up. */
    readonly warmup: number;
  };
  /** Global gradient-norm limit, or null. */
  readonly clip: number | null;
}

/**
 * cnnc's optimisers (tfjs's rmsprop puts epsilon inside the square root, and none of tfjs's has
 * weight decay, clipping or per-layer rates). With g the gradient, w the weight, lr this step's
 * rate times the layer's multiplier and wd the weight decay (PyTorch's: added to the gradient):
 * g' = g + wd·w, then sgd w −= lr·g'; momentum v = μ·v + g', w −= lr·v; nesterov the same with
 * w −= lr·(g' + μ·v); adam as PyTorch's (bias-corrected, ε outside the root); rmsprop
 * s = ρ·s + (1 − ρ)·g'², w −= lr·g' / (√s + ε). Gradients are first scaled so that their global
 * norm is at most 'clip'.
 */
export class CnncOptimizer extends tf.Optimizer {
  static readonly className = 'CnncOptimizer';
  /** This step's base rate (the schedule sets it before each batch). */
  learningRate: number;
  private step = 0;
  private readonly slots = new Map<string, tf.Variable[]>();

  /** Learning-rate multiplier per variable name (per-layer rates); default 1. */
  scales: ReadonlyMap<string, number> = new Map();

  constructor(private readonly s: OptimizerSettings) {
    super();
    this.learningRate = s.lr;
  }

  override applyGradients(gradients: tf.NamedTensorMap | NamedTensor[]): void {
    const list: [string, tf.Tensor][] = Array.isArray(gradients)
      ? gradients.map((g) => [g.name, g.tensor])
      : Object.entries(gradients);
    const s = this.s;
    this.step++;
    const t = this.step;
    tf.tidy(() => {
      let scale = 1;
      if (s.clip !== null) {
        const norm = Math.sqrt(tf.addN(list.map(([, g]) => tf.sum(tf.square(g)))).dataSync()[0]);
        if (norm > s.clip) scale = s.clip / norm;
      }
      for (const [name, grad] of list) {
        const w = tf.engine().registeredVariables[name];
        const lr = this.learningRate * (this.scales.get(name) ?? 1);
        let g = scale === 1 ? grad : tf.mul(grad, scale);
        if (s.weightDecay) g = tf.add(g, tf.mul(w, s.weightDecay));
        const slot = this.slotsOf(name, w, s.optimizer === 'adam' ? 2 : s.optimizer === 'sgd' ? 0 : 1);
        switch (s.optimizer) {
          case 'sgd':
            w.assign(tf.sub(w, tf.mul(g, lr)));
            break;
          case 'momentum':
          case 'nesterov': {
            const v = tf.add(tf.mul(slot[0], s.momentum), g);
            slot[0].assign(v);
            const d = s.optimizer === 'momentum' ? v : tf.add(g, tf.mul(v, s.momentum));
            w.assign(tf.sub(w, tf.mul(d, lr)));
            break;
          }
          case 'adam': {
            const m = tf.add(tf.mul(slot[0], s.beta1), tf.mul(g, 1 - s.beta1));
            const v = tf.add(tf.mul(slot[1], s.beta2), tf.mul(tf.square(g), 1 - s.beta2));
            slot[0].assign(m);
            slot[1].assign(v);
            const mHat = tf.div(m, 1 - Math.pow(s.beta1, t));
            const vHat = tf.div(v, 1 - Math.pow(s.beta2, t));
            w.assign(tf.sub(w, tf.mul(tf.div(mHat, tf.add(tf.sqrt(vHat), s.epsilon)), lr)));
            break;
          }
          case 'rmsprop': {
            const sq = tf.add(tf.mul(slot[0], s.rho), tf.mul(tf.square(g), 1 - s.rho));
            slot[0].assign(sq);
            w.assign(tf.sub(w, tf.mul(tf.div(g, tf.add(tf.sqrt(sq), s.epsilon)), lr)));
            break;
          }
        }
      }
    });
  }

  private slotsOf(name: string, w: tf.Variable, count: number): tf.Variable[] {
    let slot = this.slots.get(name);
    if (!slot) {
      slot = Array.from({ length: count }, () => tf.variable(tf.zerosLike(w), false));
      this.slots.set(name, slot);
    }
    return slot;
  }

  /** The step count and every slot, named after its variable ('conv1/kernel/slot0'). */
  override async getWeights(): Promise<NamedTensor[]> {
    const out: NamedTensor[] = [{ name: 'step', tensor: tf.scalar(this.step, 'int32') }];
    for (const [name, slot] of this.slots) slot.forEach((v, i) => out.push({ name: name + '/slot' + i, tensor: v }));
    return out;
  }

  /** Restores what getWeights returned (slots of variables this process does not have are skipped). */
  override async setWeights(weights: NamedTensor[]): Promise<void> {
    const slotCount = this.s.optimizer === 'adam' ? 2 : this.s.optimizer === 'sgd' ? 0 : 1;
    for (const { name, tensor } of weights) {
      if (name === 'step') {
        this.step = tensor.dataSync()[0];
        continue;
      }
      const at = name.lastIndexOf('/slot');
      const variable = tf.engine().registeredVariables[name.slice(0, at)];
      if (at < 0 || !variable) continue;
      this.slotsOf(name.slice(0, at), variable, slotCount)[Number(name.slice(at + 5))]?.assign(tensor);
    }
  }

  override getConfig(): tf.serialization.ConfigDict {
    return { optimizer: this.s.optimizer, learningRate: this.s.lr };
  }

  override dispose(): void {
    for (const slot of this.slots.values()) tf.dispose(slot);
    this.slots.clear();
  }
}

/** The rate of a step (0-based): the schedule of the train block, then a linear warm-up. */
export function learningRate(s: OptimizerSettings, step: number, stepsPerEpoch: number, totalSteps: number): number {
  const c = s.schedule;
  const e = step / Math.max(1, stepsPerEpoch);
  let r = s.lr;
  if (c.kind === 'step') r = s.lr * Math.pow(c.gamma, Math.floor(e / Math.max(1e-9, c.every)));
  else if (c.kind === 'exponential') r = s.lr * Math.pow(c.gamma, e);
  else if (c.kind === 'cosine')
    r = c.minLr + ((s.lr - c.minLr) * (1 + Math.cos((Math.PI * Math.min(step, totalSteps)) / Math.max(1, totalSteps)))) / 2;
  if (step < c.warmup) r *= (step + 1) / c.warmup;
  return r;
}
`;
