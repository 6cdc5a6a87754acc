/**
 * Saving and restoring optimiser state, shared by both backends. The optimisers' settings and update
 * rules are part of the train-settings schema: compiler/train/optimizers.ts (re-exported here).
 */
import type { OptimizerName } from '../../compiler/train/optimizers.js';

export {
  DEFAULT_OPTIMIZER,
  OPTIMIZERS,
  SLOTS,
  type OptimizerConfig,
  type OptimizerName,
} from '../../compiler/train/optimizers.js';

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
