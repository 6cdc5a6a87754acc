/**
 * The two implementations of every optimiser (runtime/tfjs/optimizers.ts on tf variables,
 * runtime/reference/optimizers.ts on Float32Arrays) follow the same rules: from the same weights
 * and gradients, with weight decay, per-param rate multipliers and clipping, they give the same
 * weights and the same saved state, step after step.
 */
import { describe, expect, it } from 'vitest';
import { rng } from '../../../runtime/data/dataset.js';
import { ArrayOptimizer, clipByGlobalNormInPlace } from '../../../runtime/reference/optimizers.js';
import { clipByGlobalNorm, Optimizer } from '../../../runtime/tfjs/optimizers.js';
import { DEFAULT_OPTIMIZER, OPTIMIZERS } from '../../../runtime/train/optimizer-config.js';
import { cpuTf } from './tiny-model.js';

const SHAPES = [[3, 4], [5]] as const;

describe.each(OPTIMIZERS)('%s on tfjs and on Float32Arrays', (name) => {
  it('gives the same weights and state over 5 steps, with decay, rate scales and clipping', async () => {
    const t = await cpuTf();
    const r = rng(11);
    const init = SHAPES.map((s) =>
      Float32Array.from({ length: s.reduce((a, b) => a * b, 1) }, () => r() * 2 - 1),
    );
    const config = { ...DEFAULT_OPTIMIZER, name, weightDecay: 0.01 };
    const scales = new Map([['b', 0.5]]);
    const vars = init.map((d, i) => t.variable(t.tensor(d, [...SHAPES[i]])));
    const tfOpt = new Optimizer(
      t,
      config,
      vars.map((v, i) => ({ name: 'ab'[i], variable: v })),
      scales,
    );
    const arrays = init.map((d) => d.slice());
    const refOpt = new ArrayOptimizer(
      config,
      arrays.map((d, i) => ({ name: 'ab'[i], shape: SHAPES[i], data: d })),
      scales,
    );
    for (let step = 0; step < 5; step++) {
      const grads = init.map((d) =>
        Float32Array.from({ length: d.length }, () => (r() * 2 - 1) * 3),
      );
      const tg = grads.map((g, i) => t.tensor(g, [...SHAPES[i]]));
      const clipped = clipByGlobalNorm(t, tg, 2);
      tfOpt.apply(clipped.grads, 0.05);
      t.dispose([...tg, ...clipped.grads]);
      const norm = clipByGlobalNormInPlace(grads, 2);
      expect(norm).toBeCloseTo(clipped.norm, 4);
      refOpt.apply(grads, 0.05);
      vars.forEach((v, i) => {
        const a = v.dataSync();
        for (let j = 0; j < a.length; j++) expect(arrays[i][j]).toBeCloseTo(a[j], 5);
      });
    }
    const s1 = tfOpt.getState();
    const s2 = refOpt.getState();
    expect(s2.step).toBe(s1.step);
    expect(s2.slots.map((s) => s.name)).toEqual(s1.slots.map((s) => s.name));
    s1.slots.forEach((s, i) => {
      for (let j = 0; j < s.data.length; j++) expect(s2.slots[i].data[j]).toBeCloseTo(s.data[j], 5);
    });
    tfOpt.dispose();
    t.dispose(vars);
  });
});

describe('restoring optimiser state, on tfjs and on Float32Arrays', () => {
  it('moves state across the two and names what is wrong with a bad one', async () => {
    const t = await cpuTf();
    const config = { ...DEFAULT_OPTIMIZER, name: 'adam' as const };
    const v = t.variable(t.zeros([2, 3]));
    const tfOpt = new Optimizer(t, config, [{ name: 'w', variable: v }]);
    const refOpt = new ArrayOptimizer(config, [
      { name: 'w', shape: [2, 3], data: new Float32Array(6) },
    ]);
    refOpt.apply([Float32Array.from([1, 2, 3, 4, 5, 6])], 0.1);
    const saved = refOpt.getState();
    tfOpt.setState(saved);
    expect(tfOpt.getState()).toEqual(saved);
    for (const opt of [tfOpt, refOpt]) {
      expect(() => opt.setState({ ...saved, name: 'sgd' })).toThrow(
        'optimizer state is for sgd, not adam',
      );
      const lacking = { ...saved, slots: saved.slots.filter((x) => x.name !== 'w/s') };
      expect(() => opt.setState(lacking)).toThrow('optimizer state lacks w/s of shape 2x3');
      const misshapen = {
        ...saved,
        slots: saved.slots.map((x) => (x.name === 'w/m' ? { ...x, data: new Float32Array(5) } : x)),
      };
      expect(() => opt.setState(misshapen)).toThrow('optimizer state lacks w/m of shape 2x3');
    }
    tfOpt.dispose();
    v.dispose();
  });
});
