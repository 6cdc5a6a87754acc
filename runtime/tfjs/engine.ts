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
import { headLosses, type OutputLoss } from '../train/engine.js';
import { EVERY, type Collective } from './collective.js';
import { asWasmBackend } from './kernel-utils.js';
import { StepTimer, type Profiled } from './step-profile.js';
import type { OptimizerState, SavedTensor } from '../train/optimizer-config.js';
import { lossInput, lossOf, predictions } from './losses.js';
import type { LoweredModel } from './lower.js';
import { WHOLE_BATCH, type BatchShard } from './lower-context.js';
import { allWeights, trainableNamed, type TrainableModel } from './model.js';
import { clipByGlobalNorm, Optimizer, type Tf } from './optimizers.js';
import { heapAdder } from './fused-update.js';
import { ownersBySize, shards, type ShardMode, type StateLayout } from './sharded-optimizer.js';

/** Scores from a loss input: softmax of logits, outputs otherwise; [1 − p, p] for one output. */
function scoresOf(tf: Tf, out: tfjs.Tensor2D, fromLogits: boolean): tfjs.Tensor2D {
  if (out.shape[1] === 1) return tf.concat([tf.scalar(1).sub(out) as tfjs.Tensor2D, out], 1);
  return fromLogits ? (tf.softmax(out) as tfjs.Tensor2D) : out;
}

/**
 * The data of the gradient tensors, as views of the wasm heap where they can be summed in place
 * (no tfjs call may allocate while they are in use: a growing heap detaches them). Tensors that
 * share their data with one listed before them are replaced (in `list`) by copies first, so that
 * every element is summed once. Elsewhere than on the wasm backend: copies written back by
 * tensors made from them would be needed, and data-parallel training runs on wasm only.
 */
function heapViews(tf: Tf, list: tfjs.Tensor[]): Float32Array[] {
  const backend = asWasmBackend(tf.backend());
  const seen = new Set<unknown>();
  for (const [i, g] of list.entries()) {
    if (seen.has(g.dataId)) list[i] = tf.tidy(() => tf.mul(g, 1));
    seen.add(list[i].dataId);
  }
  return list.map((g) => backend.typedArrayFromHeap(g) as Float32Array);
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
  /**
   * trainShard with a loss of the raw outputs computed outside the engine (trainStepOn): `outside`
   * gets this replica's rows of every output and returns the whole batch's loss and this replica's
   * rows of its gradients (output-exchange.ts shardedOutputsLoss exchanges them with the other
   * replicas; on one thread, the loss itself). Synchronous.
   */
  trainShardOn(
    x: Images,
    outside: OutputLoss,
    lr: number,
    offset: number,
    total: number,
    ranks: number,
  ): { loss: number };
  /** Times the phases of trainShard while active (step-profile.ts); the collective's when it has one. */
  readonly timer: StepTimer;
  /**
   * Where the optimiser step is sharded over the collective's replicas (sharded-optimizer.ts):
   * which replica owns each variable; optimizerState() is then this replica's part of the state.
   * Null when every replica updates every weight.
   */
  readonly stateLayout: StateLayout | null;
  /**
   * Sharded: `state` (the whole state) makes this replica update every weight, for a step that
   * not every replica takes part in (until reshard()).
   */
  unshard(state: OptimizerState): void;
  /** Back to updating, and keeping the slots of, only the variables this replica owns. */
  reshard(): void;
}

export function createTfjsEngine(
  tf: Tf,
  model: TrainableModel &
    Partial<Pick<LoweredModel, 'randomDraws' | 'setRandomDraws' | 'kinkInputs' | 'setShard'>>,
  backend: string,
  options: EngineOptions,
  collective: Collective | null = null,
  shardMode: ShardMode = 'auto',
): TfjsEngine {
  const trainable = new Set(model.trainable);
  const named = trainableNamed(model);
  const sizes = model.trainable.map((v) => v.size);
  const layout: StateLayout | null =
    collective !== null &&
    options.optimizer !== undefined &&
    shards(
      shardMode,
      sizes.reduce((a, b) => a + b, 0),
      collective.size,
    )
      ? {
          optimizer: options.optimizer.name,
          names: named.map((p) => p.name),
          shapes: model.trainable.map((v) => v.shape),
          sizes,
          owners: ownersBySize(sizes, collective.size),
        }
      : null;
  /** Per variable, whether this replica updates it: all of them unless sharded. */
  const ownMask = layout?.owners.map((o) => o === collective!.rank) ?? null;
  let sharding = layout !== null;
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
    if (optimizer === null) {
      optimizer = new Optimizer(tf, options.optimizer, named, options.lrScales);
      optimizer.own(sharding ? ownMask : null);
    }
    return optimizer;
  };
  /** The gradient all-reduce's SIMD sum of two replicas (fused-update.ts), made when first used. */
  let adder: ReturnType<typeof heapAdder> | undefined;
  const pairAdd = () => (adder ??= heapAdder(tf));
  const batch = (x: Images): tfjs.Tensor => tf.tensor(x.data, [...x.shape]);
  const timer = collective?.timer ?? new StepTimer(0);
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
  /** Every raw output of the model (graph.outputs order), none before its softmax. */
  const rawOutputs = (x: tfjs.Tensor, training: boolean): tfjs.Tensor[] =>
    several
      ? model.applyAll!(
          x,
          training,
          heads.map(() => false),
        )
      : [model.apply(x, training)];
  /**
   * The gradients of a loss computed outside the engine from the raw outputs (detection): the loss
   * is an op of its own whose value and gradients come from `outside` (shared with the reference
   * executor; in data parallel, an exchange with the other replicas, output-exchange.ts); tfjs
   * differentiates the network below it. The caller disposes the gradients.
   */
  const outputLossGrads = (x: Images, outside: OutputLoss, training: boolean) => {
    const xt = batch(x);
    let loss = NaN;
    // Kept past customGrad's scope until the gradients are taken.
    let kept: tfjs.Tensor[] = [];
    const outsideLoss = tf.customGrad((...args: (tfjs.Tensor | tfjs.GradSaveFunc)[]) => {
      const outs = args.slice(0, -1) as tfjs.Tensor[];
      const r = outside(outs.map((o) => ({ data: o.dataSync() as Float32Array, shape: o.shape })));
      if (r.grads.length !== outs.length)
        throw new Error(`a loss of ${outs.length} outputs gave ${r.grads.length} gradients`);
      loss = r.loss;
      const gs = outs.map((o, k) => tf.keep(tf.tensor(r.grads[k], o.shape)));
      kept = gs;
      return {
        value: tf.scalar(r.loss),
        gradFunc: (dy: tfjs.Tensor) => gs.map((g) => tf.mul(dy, g)),
      };
    });
    try {
      const { value, grads } = tf.variableGrads(
        () => outsideLoss(...rawOutputs(xt, training)) as tfjs.Scalar,
        model.trainable as tfjs.Variable[],
      );
      value.dispose();
      return { loss, grads };
    } finally {
      tf.dispose([xt, ...kept]);
    }
  };
  /** Batch norm's statistics over the whole batch when the batch is split over replicas. */
  const shardOf = (offset: number, total: number, ranks: number): BatchShard => ({
    offset,
    total,
    exchange:
      ranks > 1 && collective !== null
        ? {
            allGather: (local) => collective.allGather(local, ranks),
            allReduce: (local) => collective.allReduce(local, ranks),
          }
        : null,
  });
  /**
   * Sums the gradients (with `head`, when given) over the replicas, then applies them unless the
   * loss (read after the sum) is not finite; disposes every gradient. Sharded (every replica taking
   * part), each replica sums and updates only its own variables, then they exchange weights.
   */
  const reduceAndApply = (
    grads: tfjs.NamedTensorMap,
    head: Float32Array | null,
    lossAfter: () => number,
    lr: number,
    ranks: number,
  ): void => {
    const summed = model.trainable.map((v) => grads[v.name]);
    let list = summed;
    timer.mark('forwardBackward');
    const sharded = sharding && collective !== null && ranks === collective.size;
    if (ranks > 1 && collective !== null) {
      let n = head?.length ?? 0;
      let largest = 0;
      for (const g of list) {
        n += g.size;
        largest = Math.max(largest, g.size);
      }
      const add = ranks === 2 ? pairAdd() : null;
      add?.reserve(sharded ? largest : Math.ceil(n / ranks));
      const views = heapViews(tf, list);
      const parts = head ? [head, ...views] : views;
      if (sharded) {
        const owners = layout!.owners;
        collective.reduceScatterOwned(parts, head ? [EVERY, ...owners] : owners, ranks, add?.add);
      } else collective.allReduceInPlace(parts, ranks, add?.add ?? null);
    }
    timer.mark('allReduce');
    if (Number.isFinite(lossAfter())) {
      const o = opt();
      if (options.clipNorm != null) {
        // Sharded: each replica holds the sums of its own variables' gradients only.
        const combine = sharded
          ? (squares: Float32Array) => collective!.allReduce(squares, ranks)
          : undefined;
        list = clipByGlobalNorm(tf, list, options.clipNorm, (i) => o.owns(i), combine).grads;
      }
      o.apply(list, lr);
      if (sharded) shareWeights(ranks);
    }
    tf.dispose(Object.values(grads));
    tf.dispose(summed);
    tf.dispose(list);
    timer.mark('optimizer');
  };
  /**
   * A sharded step's all-gather: every replica's updated variables to the others, assigned as new
   * tensors. Not written into the variables' heap memory in place: tfjs-backend-wasm's XNNPACK
   * operators keep packed copies of a weight keyed by its tensor, which would go stale (measured:
   * the losses of the second step differ); nor is it cheaper (CPU the same, ResNet-18).
   */
  const shareWeights = (ranks: number) => {
    const backend = asWasmBackend(tf.backend());
    const vars = model.trainable;
    collective!.shareOwned(
      sizes,
      layout!.owners,
      ranks,
      (k) => backend.typedArrayFromHeap(vars[k]) as Float32Array,
      (k, values) => tf.tidy(() => vars[k].assign(tf.tensor(values, vars[k].shape))),
    );
  };

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
      opt();
      const n = x.shape[0];
      const sharded = ranks > 1 && collective !== null;
      model.setShard?.(shardOf(offset, total, ranks));
      const xt = batch(x);
      const yt = tf.tensor1d(y, 'int32');
      let correct: tfjs.Scalar | null = null;
      let value: tfjs.Scalar;
      let grads: tfjs.NamedTensorMap;
      try {
        ({ value, grads } = tf.variableGrads(() => {
          const outs = lossInputs(xt, true);
          correct = tf.keep(predictions(outs[0]).equal(yt).sum().cast('float32') as tfjs.Scalar);
          const mean = totalLoss(outs, yt).total;
          // This shard's share of the whole batch's mean loss.
          return sharded ? (mean.mul(n / total) as tfjs.Scalar) : mean;
        }, model.trainable as tfjs.Variable[]));
      } finally {
        model.setShard?.(WHOLE_BATCH);
      }
      // Loss and hit count ride on the gradients' all-reduce.
      const head = Float32Array.of(value.dataSync()[0], correct!.dataSync()[0]);
      tf.dispose([value, xt, yt, correct!]);
      reduceAndApply(grads, head, () => head[0], lr, ranks);
      return { loss: head[0], correct: head[1] };
    },

    trainShardOn(x, outside, lr, offset, total, ranks) {
      opt();
      model.setShard?.(shardOf(offset, total, ranks));
      let r: { loss: number; grads: tfjs.NamedTensorMap };
      try {
        r = outputLossGrads(x, outside, true);
      } finally {
        model.setShard?.(WHOLE_BATCH);
      }
      // Every replica has the whole batch's loss from the exchange: only the gradients are summed.
      reduceAndApply(r.grads, null, () => r.loss, lr, ranks);
      return { loss: r.loss };
    },

    async trainStepOn(x, lossOf, lr) {
      timer.begin();
      timer.mark('shard');
      return this.trainShardOn(x, lossOf, lr, 0, x.shape[0], 1);
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
        const ys = rawOutputs(batch(x), false);
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
      const outs = tf.tidy(() => rawOutputs(batch(x), false));
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
    stateLayout: layout,
    unshard(state) {
      sharding = false;
      opt().own(null);
      opt().setState(state);
    },
    reshard() {
      sharding = layout !== null;
      opt().own(sharding ? ownMask : null);
    },

    randomDraws: () => model.randomDraws?.() ?? 0,
    setRandomDraws: (n) => model.setRandomDraws?.(n),
    dispose() {
      model.dispose();
      optimizer?.dispose();
      adder?.dispose();
    },
  };
}
