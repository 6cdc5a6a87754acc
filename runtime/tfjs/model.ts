/**
 * A lowered model: tf variables and a forward function. runtime/tfjs/lower.ts builds one and
 * engine.ts trains it; tests can hand engine.ts a small model made of tf
 * variables.
 */
import type * as tfjs from '@tensorflow/tfjs';

export interface TrainableModel {
  /** Learnable weights keyed `${node.name}/${weight}`. */
  readonly params: ReadonlyMap<string, tfjs.Variable>;
  /** Saved state that is not learned (batch-norm moving statistics), same keys. */
  readonly buffers: ReadonlyMap<string, tfjs.Variable>;
  /** The params that are not frozen. */
  readonly trainable: readonly tfjs.Variable[];
  /** Per-sample input shape, e.g. [32, 32, 1]; −1 for a size that is symbolic in the IR. */
  readonly inputShape: readonly number[];
  /** True when the graph ends in softmax: `logits` then returns the pre-softmax tensor. */
  readonly endsInSoftmax: boolean;
  /**
   * Forward pass on a batch [N, ...inputShape]. training=true: dropout active, batch norm uses batch
   * statistics and updates the moving statistics of non-frozen BN layers (PyTorch momentum
   * convention, unbiased variance for the running update); frozen BN always uses its running
   * statistics and never updates them.
   */
  apply(x: tfjs.Tensor, training: boolean): tfjs.Tensor;
  /** The output before a final softmax (the same as apply when there is none), for a fused, stable cross-entropy. */
  logits(x: tfjs.Tensor, training: boolean): tfjs.Tensor;
  /**
   * Every output of a model with several (graph.outputs order), each before its softmax where
   * `logits[k]` asks for it; models with one output may leave it out.
   */
  applyAll?(x: tfjs.Tensor, training: boolean, logits: readonly boolean[]): tfjs.Tensor[];
  /** Per output, whether it is a softmax (with applyAll). */
  readonly outputsEndInSoftmax?: readonly boolean[];
  dispose(): void;
}

/** The trainable variables with their names, in the order of `model.trainable`. */
export function trainableNamed(model: TrainableModel): { name: string; variable: tfjs.Variable }[] {
  const names = new Map<tfjs.Variable, string>();
  for (const [name, v] of model.params) names.set(v, name);
  return model.trainable.map((v, i) => ({ name: names.get(v) ?? `trainable${i}`, variable: v }));
}

/** Every saved weight: params then buffers, in the model's order. */
export function allWeights(model: TrainableModel): [string, tfjs.Variable][] {
  return [...model.params, ...model.buffers];
}
