/**
 * The reference executor as a training engine (runtime/train/engine.ts): the same loop, data,
 * metrics and checkpoints as the tfjs backends, with forward and backward passes, losses and
 * optimisers of our own in TypeScript.
 */
import type { Graph } from '../../compiler/ir/graph.js';
import type {
  Engine,
  EngineOptions,
  EvalBatch,
  Images,
  OutputLoss,
  WeightInfo,
} from '../train/engine.js';
import { headLosses } from '../train/engine.js';
import type { SavedTensor } from '../train/optimizer-config.js';
import { ReferenceModel, type ForwardPass } from './executor.js';
import { classScores, countCorrect, lossAndGrad } from './losses.js';
import { ArrayOptimizer, clipByGlobalNormInPlace } from './optimizers.js';
import { parallelConfig } from './parallel.js';
import type { Tensor } from './tensor.js';

export function referenceDetail(): string {
  const n = parallelConfig().threads;
  return `reference (TypeScript, ${n} thread${n === 1 ? '' : 's'})`;
}

const asTensor = (x: Images): Tensor => ({ shape: x.shape, data: x.data });
const rows = (t: Tensor): Tensor => ({
  shape: [t.shape[0], t.data.length / t.shape[0]],
  data: t.data,
});

export function createReferenceEngine(graph: Graph, options: EngineOptions): Engine {
  const model = new ReferenceModel(graph, { seed: options.seed, init: options.init });
  const trainable = new Set(model.trainable);
  const weights: WeightInfo[] = [
    ...[...model.params].map(([name, t]) => ({
      name,
      shape: t.shape,
      kind: 'param' as const,
      trainable: trainable.has(name),
    })),
    ...[...model.buffers].map(([name, t]) => ({
      name,
      shape: t.shape,
      kind: 'buffer' as const,
      trainable: false,
    })),
  ];
  const heads = headLosses(graph.outputs.length, options);
  // Per output: categorical losses work on the logits (a final softmax is fused into the loss).
  const fused = heads.map((h) => h.loss === 'categorical');
  /** The training loss Σ weight · loss of a pass and its seed gradient per output. */
  const lossOfPass = (pass: ForwardPass, y: Int32Array) => {
    let loss = 0;
    const each: number[] = [];
    const dys = pass.outputs.map((o, k) => {
      const { weight } = heads[k];
      const r = lossAndGrad(heads[k].loss, rows(o), y);
      each.push(r.loss);
      loss += weight * r.loss;
      const g = r.grad.data;
      if (weight !== 1) for (let j = 0; j < g.length; j++) g[j] *= weight;
      return { shape: o.shape, data: g };
    });
    return { loss, each, dys };
  };
  /** A loss computed outside the engine from copies of every raw output, and its seed gradients. */
  const outsideLoss = (pass: ForwardPass, lossOf: OutputLoss) => {
    const r = lossOf(
      pass.outputs.map((o) => ({ data: Float32Array.from(o.data), shape: o.shape })),
    );
    if (r.grads.length !== pass.outputs.length)
      throw new Error(`a loss of ${pass.outputs.length} outputs gave ${r.grads.length} gradients`);
    return {
      loss: r.loss,
      dys: pass.outputs.map((o, k) => ({ shape: o.shape, data: r.grads[k] })),
    };
  };
  let optimizer: ArrayOptimizer | null = null;
  const opt = (): ArrayOptimizer => {
    if (!options.optimizer) throw new Error('this engine was created without an optimizer');
    optimizer ??= new ArrayOptimizer(
      options.optimizer,
      model.trainable.map((name) => {
        const t = model.params.get(name)!;
        return { name, shape: t.shape, data: t.data as Float32Array };
      }),
      options.lrScales,
    );
    return optimizer;
  };

  return {
    backend: 'reference',
    inputShape: model.inputShape,
    endsInSoftmax: model.endsInSoftmax,
    weights,

    async trainStep(x, y, lr) {
      const o = opt();
      const pass = model.forward(asTensor(x), true, fused);
      const r = lossOfPass(pass, y);
      const correct = countCorrect(rows(pass.output), y);
      if (!Number.isFinite(r.loss)) return { loss: r.loss, correct };
      const grads = pass.backward(r.dys);
      const list = model.trainable.map((name) => {
        const g = grads.get(name);
        const size = model.params.get(name)!.data.length;
        return g ? Float32Array.from(g.data) : new Float32Array(size);
      });
      if (options.clipNorm != null) clipByGlobalNormInPlace(list, options.clipNorm);
      o.apply(list, lr);
      return { loss: r.loss, correct };
    },

    async trainStepOn(x, lossOf, lr) {
      const o = opt();
      const pass = model.forward(asTensor(x), true, false);
      const r = outsideLoss(pass, lossOf);
      if (!Number.isFinite(r.loss)) return { loss: r.loss };
      const grads = pass.backward(r.dys);
      const list = model.trainable.map((name) => {
        const g = grads.get(name);
        return g
          ? Float32Array.from(g.data)
          : new Float32Array(model.params.get(name)!.data.length);
      });
      if (options.clipNorm != null) clipByGlobalNormInPlace(list, options.clipNorm);
      o.apply(list, lr);
      return { loss: r.loss };
    },

    async gradientsOn(x, lossOf, training, branches) {
      let branchesTaken = 0;
      const pass = model.forward(asTensor(x), training, false, {
        branches,
        branchTaken: (n) => (branchesTaken += n),
      });
      const r = outsideLoss(pass, lossOf);
      const grads = pass.backward(r.dys);
      return {
        loss: r.loss,
        branchesTaken,
        grads: model.trainable.map((name) => {
          const t = model.params.get(name)!;
          const g = grads.get(name);
          return {
            name,
            shape: t.shape,
            data: g ? Float32Array.from(g.data) : new Float32Array(t.data.length),
          };
        }),
      };
    },

    async gradients(x, y, training, branches) {
      let branchesTaken = 0;
      const pass = model.forward(asTensor(x), training, fused, {
        branches,
        branchTaken: (n) => (branchesTaken += n),
      });
      const r = lossOfPass(pass, y);
      const grads = pass.backward(r.dys);
      return {
        loss: r.loss,
        branchesTaken,
        grads: model.trainable.map((name) => {
          const t = model.params.get(name)!;
          const g = grads.get(name);
          return {
            name,
            shape: t.shape,
            data: g ? Float32Array.from(g.data) : new Float32Array(t.data.length),
          };
        }),
      };
    },

    async evalBatch(x, y): Promise<EvalBatch> {
      const pass = model.forward(asTensor(x), false, fused);
      const r = lossOfPass(pass, y);
      const first = { loss: r.loss, ...classScores(rows(pass.output), fused[0]) };
      if (heads.length === 1) return first;
      const outputs = pass.outputs.map((o, k) => ({
        loss: r.each[k],
        ...classScores(rows(o), fused[k]),
      }));
      return { ...first, outputs };
    },

    async predict(x) {
      const pass = model.forward(asTensor(x), false);
      const first = classScores(rows(pass.output), !model.endsInSoftmax);
      if (heads.length === 1) return first;
      const outputs = pass.outputs.map((o, k) =>
        classScores(rows(o), !model.outputsEndInSoftmax[k]),
      );
      return { ...first, outputs };
    },

    async forward(x) {
      const out = model.forward(asTensor(x), false).output;
      return { data: Float32Array.from(out.data), shape: out.shape };
    },

    async forwardAll(x) {
      return model
        .forward(asTensor(x), false)
        .outputs.map((o) => ({ data: Float32Array.from(o.data), shape: o.shape }));
    },

    readWeights(): SavedTensor[] {
      return [...model.params, ...model.buffers].map(([name, t]) => ({
        name,
        shape: t.shape,
        data: Float32Array.from(t.data),
      }));
    },

    writeWeights(tensors) {
      for (const t of tensors) {
        const w = model.params.get(t.name) ?? model.buffers.get(t.name);
        if (!w) throw new Error(`no weight ${t.name}`);
        w.data.set(t.data);
      }
    },

    optimizerState: () => (options.optimizer ? opt().getState() : null),
    setOptimizerState: (state) => opt().setState(state),
    randomDraws: () => model.randomDraws,
    setRandomDraws(n) {
      model.randomDraws = n;
    },
    dispose() {},
  };
}
