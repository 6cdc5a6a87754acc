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
  StepResult,
  WeightInfo,
} from '../train/engine.js';
import type { Collective } from './collective.js';
import { StepTimer, type Profiled } from './step-profile.js';
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

/** A tfjs engine that can also train one replica's shard of a batch (data-parallel.ts). */
export interface TfjsEngine extends Engine, Profiled {
  /**
   * One optimiser step on rows [offset, offset + n) of a batch of `total` rows split over the
   * replicas 0 … ranks − 1 of `collective`, each calling it with its own rows: the loss is the
   * whole batch's mean, batch norm sees the whole batch, the gradients are summed over the replicas
   * and every replica applies the same update. Synchronous (it blocks on the other replicas).
   */
  trainShard(
    x: Images,
    y: Int32Array,
    lr: number,
    offset: number,
    total: number,
    ranks: number,
  ): StepResult;
  /** Times the phases of trainShard while active (step-profile.ts); the collective's when it has one. */
  readonly timer: StepTimer;
}

export function createTfjsEngine(
  tf: Tf,
  model: TrainableModel &
    Partial<Pick<LoweredModel, 'randomDraws' | 'setRandomDraws' | 'kinkInputs' | 'setShard'>>,
  backend: string,
  options: EngineOptions,
  collective: Collective | null = null,
): TfjsEngine {
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
  const timer = collective?.timer ?? new StepTimer(0);

  return {
    backend,
    timer,
    startProfile: () => timer.start(),
    readProfile: async () => [timer.profile],
    inputShape: model.inputShape,
    endsInSoftmax: model.endsInSoftmax,
    weights,

    async trainStep(x, y, lr) {
      timer.begin();
      timer.mark('shard');
      return this.trainShard(x, y, lr, 0, x.shape[0], 1);
    },

    trainShard(x, y, lr, offset, total, ranks) {
      const o = opt();
      const n = x.shape[0];
      const sharded = ranks > 1 && collective !== null;
      const sum = sharded
        ? tf.customGrad((input) => {
            const t = input as tfjs.Tensor;
            return {
              value: tf.tensor(collective.allReduce(t.dataSync() as Float32Array, ranks), t.shape),
              gradFunc: (dy: tfjs.Tensor) =>
                tf.tensor(collective.allReduce(dy.dataSync() as Float32Array, ranks), dy.shape),
            };
          })
        : null;
      model.setShard?.({ offset, total, sum: sum as ((t: tfjs.Tensor) => tfjs.Tensor) | null });
      const xt = batch(x);
      const yt = tf.tensor1d(y, 'int32');
      let correct: tfjs.Scalar | null = null;
      let value: tfjs.Scalar;
      let grads: tfjs.NamedTensorMap;
      try {
        ({ value, grads } = tf.variableGrads(() => {
          const out = lossInput(model, xt, options.loss, true);
          correct = tf.keep(predictions(out).equal(yt).sum().cast('float32') as tfjs.Scalar);
          const mean = lossOf(tf, out, yt, options.loss);
          // This shard's share of the whole batch's mean loss.
          return sharded ? (mean.mul(n / total) as tfjs.Scalar) : mean;
        }, model.trainable as tfjs.Variable[]));
      } finally {
        model.setShard?.({ offset: 0, total: null, sum: null });
      }
      let loss = value.dataSync()[0];
      let hits = correct!.dataSync()[0];
      tf.dispose([value, xt, yt, correct!]);
      let list = model.trainable.map((v) => grads[v.name]);
      timer.mark('forwardBackward');
      if (sharded) {
        const sizes = list.map((g) => g.size);
        const flat = new Float32Array(2 + sizes.reduce((a, b) => a + b, 0));
        flat[0] = loss;
        flat[1] = hits;
        let at = 2;
        for (const g of list) {
          flat.set(g.dataSync() as Float32Array, at);
          at += g.size;
        }
        const summed = collective.allReduce(flat, ranks);
        loss = summed[0];
        hits = summed[1];
        at = 2;
        list = list.map((g) => {
          const t = tf.tensor(summed.subarray(at, at + g.size), g.shape);
          at += g.size;
          return t;
        });
      }
      timer.mark('allReduce');
      if (Number.isFinite(loss)) {
        if (options.clipNorm != null) {
          const clipped = clipByGlobalNorm(tf, list, options.clipNorm);
          if (sharded) tf.dispose(list);
          list = clipped.grads;
        }
        o.apply(list, lr);
      }
      tf.dispose(Object.values(grads));
      tf.dispose(list);
      timer.mark('optimizer');
      return { loss, correct: hits };
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
