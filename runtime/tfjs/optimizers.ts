/**
 * The optimisers of runtime/train/optimizer-config.ts written out on tf variables, so that their
 * state is ours to checkpoint.
 */
import type * as tfjs from '@tensorflow/tfjs';
import {
  restoreOptimizerState,
  saveOptimizerState,
  SLOTS,
  type OptimizerConfig,
  type OptimizerState,
  type SlotAccess,
} from '../train/optimizer-config.js';
import { fusedUpdate } from './fused-update.js';

export type Tf = typeof tfjs;

export interface NamedParam {
  readonly name: string;
  readonly variable: tfjs.Variable;
}

export class Optimizer {
  /** Number of updates applied so far (Adam's t). */
  step = 0;
  private readonly slots: Map<string, tfjs.Variable>[];
  /**
   * Per param, whether this optimiser updates it and keeps its slots; null: every param. A
   * replica of a sharded optimiser step (sharded-optimizer.ts) owns some of the params.
   */
  private owned: readonly boolean[] | null = null;

  constructor(
    private readonly tf: Tf,
    readonly config: OptimizerConfig,
    private readonly params: readonly NamedParam[],
    /** Per param, a multiplier of the step's learning rate (per-group rates); default 1. */
    private readonly scales: ReadonlyMap<string, number> = new Map(),
  ) {
    this.slots = params.map(() => new Map<string, tfjs.Variable>());
    this.own(null);
  }

  /** Whether this optimiser updates param i (and keeps its slots). */
  owns(i: number): boolean {
    return this.owned === null || this.owned[i];
  }

  /**
   * Updates, and keeps the slots of, only the params where owned[i] (every param: null) from now
   * on: the slots of the others are dropped, those of newly owned ones start at zero (a caller
   * that makes this replica own more then restores a state: setState).
   */
  own(owned: readonly boolean[] | null): void {
    this.owned = owned;
    this.params.forEach((p, i) => {
      const m = this.slots[i];
      if (!this.owns(i)) {
        for (const v of m.values()) v.dispose();
        m.clear();
      } else if (m.size === 0) {
        for (const s of SLOTS[this.config.name])
          m.set(s, this.tf.variable(this.tf.zerosLike(p.variable), false));
      }
    });
  }

  /**
   * Applies one update to the params this optimiser owns (all by default); grads[i] belongs to
   * params[i] (those of params it does not own are not read). The gradients are not disposed.
   */
  apply(grads: readonly tfjs.Tensor[], baseLr: number): void {
    const { tf, config: c } = this;
    this.step++;
    const t = this.step;
    tf.tidy(() => {
      this.params.forEach((p, i) => {
        if (!this.owns(i)) return;
        const lr = baseLr * (this.scales.get(p.name) ?? 1);
        const w = p.variable;
        const slot = this.slots[i];
        if (
          c.name !== 'adam' &&
          c.name !== 'rmsprop' &&
          fusedUpdate(tf, {
            kind: c.name,
            w,
            g: grads[i],
            v: slot.get('velocity'),
            lr,
            momentum: c.name === 'sgd' ? 0 : c.momentum,
            weightDecay: c.weightDecay ?? 0,
          })
        )
          return;
        let g = grads[i];
        if (c.weightDecay) g = g.add(w.mul(c.weightDecay));
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

  /** The step and the slots this optimiser keeps (of the params it owns). */
  getState(): OptimizerState {
    const names = this.params.map((p) => p.name);
    return saveOptimizerState(this.config.name, this.step, names, this.slots, this.access);
  }

  /**
   * Restores a saved state (the slots of the params it owns); slots of another optimizer or shape
   * are an error naming them.
   */
  setState(state: OptimizerState): void {
    const names = this.params.map((p) => p.name);
    this.step = restoreOptimizerState(state, this.config.name, names, this.slots, this.access);
  }

  private readonly access: SlotAccess<tfjs.Variable> = {
    shape: (v) => v.shape,
    read: (v) => v.dataSync() as Float32Array,
    write: (v, data) => {
      const t = this.tf.tensor(data, v.shape);
      v.assign(t);
      t.dispose();
    },
  };

  dispose(): void {
    for (const m of this.slots) for (const v of m.values()) v.dispose();
  }
}

/**
 * Scales the gradients so that their global L2 norm is at most maxNorm (TensorFlow's
 * clip_by_global_norm). Returns new tensors and the norm before clipping.
 *
 * In a sharded optimiser step (sharded-optimizer.ts) a replica holds the summed gradients of the
 * params it owns (`owns`) only: it squares and sums those, `combine` adds the vectors of every
 * replica up (each param's value comes from its owner, the others' are 0), and the gradients of
 * the params it does not own are returned as they are. The norm is the same float32 sum of the
 * same per-param values on every replica and on one thread, so the clipped gradients are the same
 * bits.
 */
export function clipByGlobalNorm(
  tf: Tf,
  grads: readonly tfjs.Tensor[],
  maxNorm: number,
  owns: (i: number) => boolean = () => true,
  combine: (squares: Float32Array) => Float32Array = (squares) => squares,
): { grads: tfjs.Tensor[]; norm: number } {
  const mine = grads.flatMap((g, i) => (owns(i) ? [i] : []));
  const squares = new Float32Array(grads.length);
  if (mine.length > 0) {
    const sums = tf.tidy(() => tf.stack(mine.map((i) => grads[i].square().sum())).dataSync());
    mine.forEach((i, k) => (squares[i] = sums[k]));
  }
  const all = combine(squares);
  const norm = Math.sqrt(
    tf.tidy(() => tf.addN(Array.from(all, (s) => tf.scalar(s))).dataSync()[0] as number),
  );
  const scale = norm > maxNorm ? maxNorm / norm : 1;
  return {
    grads: grads.map((g, i) => (!owns(i) ? g : scale === 1 ? g.clone() : g.mul(scale))),
    norm,
  };
}
