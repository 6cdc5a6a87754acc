/**
 * The optimisers of runtime/train/optimizer-config.ts on Float32Arrays, for the reference executor:
 * the same rules, slot names and state as runtime/tfjs/optimizers.ts, so a checkpoint's optimiser
 * state moves between backends. Arithmetic is in float64 per element, stored as float32.
 */
import {
  restoreOptimizerState,
  saveOptimizerState,
  SLOTS,
  type OptimizerConfig,
  type OptimizerState,
  type SlotAccess,
} from '../train/optimizer-config.js';

export interface ArrayParam {
  readonly name: string;
  readonly shape: readonly number[];
  readonly data: Float32Array;
}

export class ArrayOptimizer {
  /** Number of updates applied so far (Adam's t). */
  step = 0;
  private readonly slots: Map<string, Float32Array>[];

  constructor(
    readonly config: OptimizerConfig,
    private readonly params: readonly ArrayParam[],
    /** Per param, a multiplier of the step's learning rate (per-group rates); default 1. */
    private readonly scales: ReadonlyMap<string, number> = new Map(),
  ) {
    this.slots = params.map(
      (p) => new Map(SLOTS[config.name].map((s) => [s, new Float32Array(p.data.length)])),
    );
  }

  /** Applies one update in place; grads[i] belongs to params[i]. */
  apply(grads: readonly Float32Array[], baseLr: number): void {
    const c = this.config;
    this.step++;
    const t = this.step;
    const wd = c.weightDecay;
    const bc1 = 1 - Math.pow(c.beta1, t);
    const bc2 = 1 - Math.pow(c.beta2, t);
    this.params.forEach((p, i) => {
      const lr = baseLr * (this.scales.get(p.name) ?? 1);
      const w = p.data;
      const g = grads[i];
      const slot = this.slots[i];
      const n = w.length;
      switch (c.name) {
        case 'sgd':
          for (let j = 0; j < n; j++) w[j] -= lr * (g[j] + wd * w[j]);
          break;
        case 'momentum':
        case 'nesterov': {
          const v = slot.get('velocity')!;
          const mu = c.momentum;
          const nesterov = c.name === 'nesterov';
          for (let j = 0; j < n; j++) {
            const gj = g[j] + wd * w[j];
            const nv = mu * v[j] + gj;
            v[j] = nv;
            w[j] -= lr * (nesterov ? gj + mu * nv : nv);
          }
          break;
        }
        case 'adam': {
          const m = slot.get('m')!;
          const s = slot.get('s')!;
          for (let j = 0; j < n; j++) {
            const gj = g[j] + wd * w[j];
            const nm = c.beta1 * m[j] + (1 - c.beta1) * gj;
            const ns = c.beta2 * s[j] + (1 - c.beta2) * gj * gj;
            m[j] = nm;
            s[j] = ns;
            w[j] -= (lr * (nm / bc1)) / (Math.sqrt(ns / bc2) + c.epsilon);
          }
          break;
        }
        case 'rmsprop': {
          const s = slot.get('s')!;
          for (let j = 0; j < n; j++) {
            const gj = g[j] + wd * w[j];
            const ns = c.rho * s[j] + (1 - c.rho) * gj * gj;
            s[j] = ns;
            w[j] -= (lr * gj) / (Math.sqrt(ns) + c.epsilon);
          }
          break;
        }
      }
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

  private readonly access: SlotAccess<Float32Array> = {
    shape: (_v, i) => this.params[i].shape,
    read: (v) => v.slice(),
    write: (v, data) => v.set(data),
  };
}

/** Scales gradients in place so that their global L2 norm is at most maxNorm; returns the norm before. */
export function clipByGlobalNormInPlace(grads: readonly Float32Array[], maxNorm: number): number {
  let sum = 0;
  for (const g of grads) for (let j = 0; j < g.length; j++) sum += g[j] * g[j];
  const norm = Math.sqrt(sum);
  if (norm > maxNorm) {
    const scale = maxNorm / norm;
    for (const g of grads) for (let j = 0; j < g.length; j++) g[j] *= scale;
  }
  return norm;
}
