/**
 * The optimisers' settings and update rules (the train block's `optimizer` and its keys), shared by
 * both backends and by the PyTorch code generator. With g the
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
 * State starts at zero. Slots are named `${param}/${slot}` (velocity, m, s). runtime/tfjs/optimizers.ts
 * and runtime/reference/optimizers.ts implement these rules with the same semantics (state saving:
 * runtime/train/optimizer-config.ts); so does the emitted PyTorch train.py (compiler/codegen/pytorch).
 */
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

/** The state each optimiser keeps per trainable parameter, by slot name. */
export const SLOTS: Record<OptimizerName, readonly string[]> = {
  sgd: [],
  momentum: ['velocity'],
  nesterov: ['velocity'],
  adam: ['m', 's'],
  rmsprop: ['s'],
};
