/**
 * The optimisers' settings, state and update rules, shared by both backends. With g the
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
 * and runtime/reference/optimizers.ts implement these rules with the same semantics.
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

/** How an optimiser implementation stores one slot (a Float32Array, a tf variable, …). */
export interface SlotAccess<V> {
  /** The shape of slot v of param `param` (its index). */
  shape(v: V, param: number): readonly number[];
  read(v: V): Float32Array;
  write(v: V, data: Float32Array): void;
}

/**
 * The saved state of an optimiser whose param i (named `names[i]`) has the slots `slots[i]`: one
 * tensor per slot, named `${param}/${slot}` — the checkpoint layout both backends share.
 */
export function saveOptimizerState<V>(
  name: OptimizerName,
  step: number,
  names: readonly string[],
  slots: readonly ReadonlyMap<string, V>[],
  access: SlotAccess<V>,
): OptimizerState {
  const saved: SavedTensor[] = [];
  names.forEach((p, i) => {
    for (const [s, v] of slots[i])
      saved.push({ name: `${p}/${s}`, shape: access.shape(v, i), data: access.read(v) });
  });
  return { name, step, slots: saved };
}

/**
 * Writes a saved state into `slots` (laid out as saveOptimizerState's) and returns its step;
 * throws an Error naming the optimiser or the slot that is missing or misshapen.
 */
export function restoreOptimizerState<V>(
  state: OptimizerState,
  name: OptimizerName,
  names: readonly string[],
  slots: readonly ReadonlyMap<string, V>[],
  access: SlotAccess<V>,
): number {
  if (state.name !== name) throw new Error(`optimizer state is for ${state.name}, not ${name}`);
  const saved = new Map(state.slots.map((s) => [s.name, s]));
  names.forEach((p, i) => {
    for (const [s, v] of slots[i]) {
      const t = saved.get(`${p}/${s}`);
      const shape = access.shape(v, i);
      if (!t || t.data.length !== shape.reduce((a, b) => a * b, 1))
        throw new Error(`optimizer state lacks ${p}/${s} of shape ${shape.join('x')}`);
      access.write(v, t.data);
    }
  });
  return state.step;
}

export const SLOTS: Record<OptimizerName, readonly string[]> = {
  sgd: [],
  momentum: ['velocity'],
  nesterov: ['velocity'],
  adam: ['m', 's'],
  rmsprop: ['s'],
};
