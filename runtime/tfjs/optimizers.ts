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

  constructor(
    private readonly tf: Tf,
    readonly config: OptimizerConfig,
    private readonly params: readonly NamedParam[],
    /** Per param, a multiplier of the step's learning rate (per-group rates); default 1. */
    private readonly scales: ReadonlyMap<string, number> = new Map(),
  ) {
    this.slots = params.map((p) => {
      const m = new Map<string, tfjs.Variable>();
      for (const s of SLOTS[config.name]) m.set(s, tf.variable(tf.zerosLike(p.variable), false));
      return m;
    });
  }

  /** Applies one update; grads[i] belongs to params[i]. The gradients are not disposed. */
  apply(grads: readonly tfjs.Tensor[], baseLr: number): void {
    const { tf, config: c } = this;
    this.step++;
    const t = this.step;
    tf.tidy(() => {
      this.params.forEach((p, i) => {
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

  getState(): OptimizerState {
    const names = this.params.map((p) => p.name);
    return saveOptimizerState(this.config.name, this.step, names, this.slots, this.access);
  }

  /** Restores a saved state; slots of another optimizer or shape are an error naming them. */
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
