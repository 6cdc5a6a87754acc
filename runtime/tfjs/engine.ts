/**
 * The TensorFlow.js backend as a training engine (runtime/train/engine.ts): a lowered model, its
 * optimiser and loss. Gradients come from tf.variableGrads over the trainable variables; a
 * non-finite loss applies no update.
 */
import type * as tfjs from '@tensorflow/tfjs';
import type { Engine, EngineOptions, EvalBatch, Images, WeightInfo } from '../train/engine.js';
import { headLosses } from '../train/engine.js';
import type { OptimizerState, SavedTensor } from '../train/optimizer-config.js';
import { lossInput, lossOf, predictions } from './losses.js';
import type { LoweredModel } from './lower.js';
import { allWeights, trainableNamed, type TrainableModel } from './model.js';
import { clipByGlobalNorm, Optimizer, type Tf } from './optimizers.js';

/** Scores from a loss input: softmax of logits, outputs otherwise; [1 − p, p] for one output. */
function scoresOf(tf: Tf, out: tfjs.Tensor2D, fromLogits: boolean): tfjs.Tensor2D {
  if (out.shape[1] === 1) return tf.concat([tf.scalar(1).sub(out) as tfjs.Tensor2D, out], 1);
  return fromLogits ? (tf.softmax(out) as tfjs.Tensor2D) : out;
}

export function createTfjsEngine(
  tf: Tf,
  model: TrainableModel &
    Partial<Pick<LoweredModel, 'randomDraws' | 'setRandomDraws' | 'kinkInputs'>>,
  backend: string,
  options: EngineOptions,
): Engine {
  const trainable = new Set(model.trainable);
  const weights: WeightInfo[] = [
    ...[...model.params].map(([name, v]) => ({
      name,
      shape: v.shape,
      kind: 'param' as const,
      trainable: trainable.has(v),
    })),
    ...[...model.buffers].map(([name, v]) => ({
      name,
      shape: v.shape,
      kind: 'buffer' as const,
      trainable: false,
    })),
  ];
  let optimizer: Optimizer | null = null;
  const opt = (): Optimizer => {
    if (!options.optimizer) throw new Error('this engine was created without an optimizer');
    optimizer ??= new Optimizer(tf, options.optimizer, trainableNamed(model), options.lrScales);
    return optimizer;
  };
  const batch = (x: Images): tfjs.Tensor => tf.tensor(x.data, [...x.shape]);
  const heads = headLosses(model.outputsEndInSoftmax?.length ?? 1, options);
  const several = heads.length > 1 && model.applyAll !== undefined;
  /** What each output's loss works on, [n, k]: logits for categorical, outputs otherwise. */
  const lossInputs = (x: tfjs.Tensor, training: boolean): tfjs.Tensor2D[] =>
    several
      ? model.applyAll!(
          x,
          training,
          heads.map((h) => h.loss === 'categorical'),
        ).map((o) => o.reshape([o.shape[0], -1]) as tfjs.Tensor2D)
      : [lossInput(model, x, heads[0].loss, training)];
  /** Σ weight · loss over the outputs, and each output's own loss. */
  const totalLoss = (outs: readonly tfjs.Tensor2D[], y: tfjs.Tensor1D) => {
    const each = outs.map((o, k) => lossOf(tf, o, y, heads[k].loss));
    const weighted = each.map((l, k) => (heads[k].weight === 1 ? l : l.mul(heads[k].weight)));
    const total = weighted.length === 1 ? weighted[0] : (tf.addN(weighted) as tfjs.Scalar);
    return { total: total as tfjs.Scalar, each };
  };

  return {
    backend,
    inputShape: model.inputShape,
    endsInSoftmax: model.endsInSoftmax,
    weights,

    async trainStep(x, y, lr) {
      const o = opt();
      const xt = batch(x);
      const yt = tf.tensor1d(y, 'int32');
      let correct: tfjs.Scalar | null = null;
      const { value, grads } = tf.variableGrads(() => {
        const outs = lossInputs(xt, true);
        correct = tf.keep(predictions(outs[0]).equal(yt).sum().cast('float32') as tfjs.Scalar);
        return totalLoss(outs, yt).total;
      }, model.trainable as tfjs.Variable[]);
      const loss = (await value.data())[0];
      const hits = (await correct!.data())[0];
      tf.dispose([value, xt, yt, correct!]);
      if (Number.isFinite(loss)) {
        let list = model.trainable.map((v) => grads[v.name]);
        if (options.clipNorm != null) {
          const clipped = clipByGlobalNorm(tf, list, options.clipNorm);
          tf.dispose(list);
          list = clipped.grads;
        }
        o.apply(list, lr);
        tf.dispose(list);
      }
      tf.dispose(Object.values(grads));
      return { loss, correct: hits };
    },

    async gradients(x, y, training) {
      const xt = batch(x);
      const yt = tf.tensor1d(y, 'int32');
      const { value, grads } = tf.variableGrads(
        () => totalLoss(lossInputs(xt, training), yt).total,
        model.trainable as tfjs.Variable[],
      );
      const loss = (await value.data())[0];
      const out: SavedTensor[] = [];
      for (const { name, variable } of trainableNamed(model)) {
        const g = grads[variable.name];
        out.push({ name, shape: g.shape, data: (await g.data()) as Float32Array });
      }
      tf.dispose([value, xt, yt, ...Object.values(grads)]);
      return { loss, grads: out };
    },

    ...(model.kinkInputs
      ? {
          async kinkInputs(x: Images, training: boolean) {
            const xt = batch(x);
            try {
              return model.kinkInputs!(xt, training);
            } finally {
              xt.dispose();
            }
          },
        }
      : {}),

    async evalBatch(x, y): Promise<EvalBatch> {
      const r = tf.tidy(() => {
        const outs = lossInputs(batch(x), false);
        const { total, each } = totalLoss(outs, tf.tensor1d(y, 'int32'));
        return {
          loss: total,
          each,
          scores: outs.map((o, k) => scoresOf(tf, o, heads[k].loss === 'categorical')),
        };
      });
      const loss = (await r.loss.data())[0];
      const outputs = [];
      for (let k = 0; k < r.scores.length; k++) {
        outputs.push({
          loss: (await r.each[k].data())[0],
          scores: (await r.scores[k].data()) as Float32Array,
          classes: r.scores[k].shape[1],
        });
      }
      tf.dispose([r.loss, ...r.each, ...r.scores]);
      const { scores, classes } = outputs[0];
      return several ? { loss, scores, classes, outputs } : { loss, scores, classes };
    },

    async predict(x) {
      const outs = tf.tidy(() => {
        const xs = batch(x);
        const ys = several
          ? model.applyAll!(
              xs,
              false,
              heads.map(() => false),
            )
          : [model.apply(xs, false)];
        const ends = model.outputsEndInSoftmax ?? [model.endsInSoftmax];
        return ys.map((y, k) =>
          scoresOf(tf, y.reshape([x.shape[0], -1]) as tfjs.Tensor2D, !ends[k]),
        );
      });
      const outputs = [];
      for (const o of outs) {
        outputs.push({ scores: (await o.data()) as Float32Array, classes: o.shape[1] });
      }
      tf.dispose(outs);
      return several ? { ...outputs[0], outputs } : outputs[0];
    },

    async forward(x) {
      const out = tf.tidy(() => model.apply(batch(x), false));
      const data = (await out.data()) as Float32Array;
      const shape = out.shape;
      out.dispose();
      return { data, shape };
    },

    async forwardAll(x) {
      const outs = tf.tidy(() =>
        several
          ? model.applyAll!(
              batch(x),
              false,
              heads.map(() => false),
            )
          : [model.apply(batch(x), false)],
      );
      const result: Images[] = [];
      for (const o of outs) result.push({ data: (await o.data()) as Float32Array, shape: o.shape });
      tf.dispose(outs);
      return result;
    },

    readWeights(): SavedTensor[] {
      return allWeights(model).map(([name, v]) => ({
        name,
        shape: v.shape,
        data: v.dataSync() as Float32Array,
      }));
    },

    writeWeights(tensors) {
      const vars = new Map(allWeights(model));
      for (const t of tensors) {
        const v = vars.get(t.name);
        if (!v) throw new Error(`no weight ${t.name}`);
        tf.tidy(() => v.assign(tf.tensor(t.data, [...t.shape])));
      }
    },

    optimizerState: (): OptimizerState | null => (options.optimizer ? opt().getState() : null),
    setOptimizerState: (state) => opt().setState(state),

    randomDraws: () => model.randomDraws?.() ?? 0,
    setRandomDraws: (n) => model.setRandomDraws?.(n),
    dispose() {
      model.dispose();
      optimizer?.dispose();
    },
  };
}
