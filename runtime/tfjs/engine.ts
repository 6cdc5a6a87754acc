/**
 * The TensorFlow.js backend as a training engine (runtime/train/engine.ts): a lowered model, its
 * optimiser and loss. Gradients come from tf.variableGrads over the trainable variables; a
 * non-finite loss applies no update.
 */
import type * as tfjs from '@tensorflow/tfjs';
import type {
  Engine,
  EngineOptions,
  EvalBatch,
  Images,
  OutputLoss,
  WeightInfo,
} from '../train/engine.js';
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
  /**
   * The gradients of a loss computed outside the engine from the raw output (detection): the loss
   * is an op of its own whose value and gradient come from lossOf (shared with the reference
   * executor); tfjs differentiates the network below it. The caller disposes the gradients.
   */
  const outputLossGrads = (x: Images, outside: OutputLoss, training: boolean) => {
    const xt = batch(x);
    let loss = NaN;
    let gradient: tfjs.Tensor | null = null;
    const outsideLoss = tf.customGrad((...args: (tfjs.Tensor | tfjs.GradSaveFunc)[]) => {
      const out = args[0] as tfjs.Tensor;
      const r = outside({ data: out.dataSync() as Float32Array, shape: out.shape });
      loss = r.loss;
      // Kept past customGrad's scope until the gradients are taken.
      gradient = tf.keep(tf.tensor(r.grad, out.shape));
      const g = gradient;
      return { value: tf.scalar(r.loss), gradFunc: (dy: tfjs.Tensor) => tf.mul(dy, g) };
    });
    const { value, grads } = tf.variableGrads(
      () => outsideLoss(model.apply(xt, training)) as tfjs.Scalar,
      model.trainable as tfjs.Variable[],
    );
    tf.dispose([value, xt]);
    if (gradient) tf.dispose(gradient);
    return { loss, grads };
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
        const out = lossInput(model, xt, options.loss, true);
        correct = tf.keep(predictions(out).equal(yt).sum().cast('float32') as tfjs.Scalar);
        return lossOf(tf, out, yt, options.loss);
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

    async trainStepOn(x, lossOf, lr) {
      const o = opt();
      const { loss, grads } = outputLossGrads(x, lossOf, true);
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
      return { loss };
    },

    async gradientsOn(x, lossOf, training) {
      const { loss, grads } = outputLossGrads(x, lossOf, training);
      const out: SavedTensor[] = [];
      for (const { name, variable } of trainableNamed(model)) {
        const g = grads[variable.name];
        out.push({ name, shape: g.shape, data: (await g.data()) as Float32Array });
      }
      tf.dispose(Object.values(grads));
      return { loss, grads: out };
    },

    async gradients(x, y, training) {
      const xt = batch(x);
      const yt = tf.tensor1d(y, 'int32');
      const { value, grads } = tf.variableGrads(
        () => lossOf(tf, lossInput(model, xt, options.loss, training), yt, options.loss),
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
        const out = lossInput(model, batch(x), options.loss, false);
        return {
          loss: lossOf(tf, out, tf.tensor1d(y, 'int32'), options.loss),
          scores: scoresOf(tf, out, options.loss === 'categorical'),
        };
      });
      const loss = (await r.loss.data())[0];
      const scores = (await r.scores.data()) as Float32Array;
      const classes = r.scores.shape[1];
      tf.dispose([r.loss, r.scores]);
      return { loss, scores, classes };
    },

    async predict(x) {
      const out = tf.tidy(() => {
        const y = model.apply(batch(x), false).reshape([x.shape[0], -1]) as tfjs.Tensor2D;
        return scoresOf(tf, y, !model.endsInSoftmax);
      });
      const scores = (await out.data()) as Float32Array;
      const classes = out.shape[1];
      out.dispose();
      return { scores, classes };
    },

    async forward(x) {
      const out = tf.tidy(() => model.apply(batch(x), false));
      const data = (await out.data()) as Float32Array;
      const shape = out.shape;
      out.dispose();
      return { data, shape };
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
