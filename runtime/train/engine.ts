/**
 * What the training loop, evaluation, checkpoints and the CLI need of a backend: the contract that
 * both the TensorFlow.js lowering (runtime/tfjs/engine.ts) and the reference executor
 * (runtime/reference/engine.ts) implement. Everything crosses it as plain Float32Arrays, so the
 * loop, data, metrics and checkpoint code are written once.
 *
 * Weights are keyed `${node.name}/${weight}` with the IR's shapes (TF layouts).
 */
import type { ActivationAttrs } from '../../compiler/ir/ops.js';
import type { InitScheme } from '../init.js';
import type { LossKind } from './losses.js';
import type { OptimizerConfig, OptimizerState, SavedTensor } from './optimizer-config.js';

export interface WeightInfo {
  readonly name: string;
  readonly shape: readonly number[];
  /** `param`: learnable; `buffer`: saved state that is not learned (batch-norm statistics). */
  readonly kind: 'param' | 'buffer';
  /** A param of a node that is not frozen. */
  readonly trainable: boolean;
}

export interface StepResult {
  /** Mean loss of the batch (NaN or ±Infinity: no update was applied). */
  readonly loss: number;
  /** Images of the batch whose predicted class is the label. */
  readonly correct: number;
}

export interface EvalBatch {
  /** The training loss: Σ weight · loss over the outputs (the plain loss with one output). */
  readonly loss: number;
  /** Class scores [n, classes]: probabilities (softmax of logits) or the outputs; [1 − p, p] for one output. */
  readonly scores: Float32Array;
  readonly classes: number;
  /** With several outputs: each output's own loss (unweighted) and scores, in the graph's order. */
  readonly outputs?: readonly OutputScores[];
}

export interface OutputScores {
  readonly loss?: number;
  readonly scores: Float32Array;
  readonly classes: number;
}

/** The loss of one output of the graph and its weight in the training loss. */
export interface HeadLoss {
  readonly loss: LossKind;
  readonly weight: number;
}

/**
 * The loss of each of `n` outputs: `options.outputLosses` when it has one per output, else the
 * plain loss with weight 1 for each.
 */
export function headLosses(n: number, options: EngineOptions): readonly HeadLoss[] {
  const given = options.outputLosses;
  if (given && given.length === n) return given;
  return Array.from({ length: n }, () => ({ loss: options.loss, weight: 1 }));
}

export interface EngineOptions {
  readonly loss: LossKind;
  /**
   * Per output of the graph (in `graph.outputs` order), its loss and weight: the training loss is
   * Σ weight · loss. Absent: every output takes `loss` with weight 1.
   */
  readonly outputLosses?: readonly HeadLoss[];
  /** Needed by trainStep; evaluation-only engines may leave it out. */
  readonly optimizer?: OptimizerConfig;
  /** Global gradient-norm limit (TensorFlow's clip_by_global_norm), or null. */
  readonly clipNorm?: number | null;
  /** Seed of the weight initialisation and of dropout. */
  readonly seed: number;
  /** Weight initialisation scheme (runtime/init.ts); default PyTorch's. */
  readonly init?: InitScheme;
  /** Per trainable param, a multiplier of the step's learning rate (per-group rates); default 1. */
  readonly lrScales?: ReadonlyMap<string, number>;
  /**
   * Threads to train and infer on (runtime/engines.ts): data-parallel replicas on wasm, the worker
   * pool of the reference executor. Default: 1 on wasm, the pool's own setting on the reference
   * executor (the CLI's --threads defaults to os.availableParallelism()).
   */
  readonly threads?: number;
}

/** A batch of images [n, ...sample shape], row-major, channels last. */
export interface Images {
  readonly data: Float32Array;
  readonly shape: readonly number[];
}

/**
 * A loss of the model's raw outputs with its gradients: `outputs` holds every output of the graph
 * ([n, ...] each, in `graph.outputs` order: one for a single-output model), and `grads[k]` is
 * dL/d(output k) in that output's layout (detection: runtime/detection/yolo.ts, one yolo head per
 * output).
 */
export type OutputLoss = (outputs: readonly Images[]) => {
  loss: number;
  grads: readonly Float32Array[];
};

export interface Engine {
  /** `wasm`, `cpu`, `tensorflow` or `reference`. */
  readonly backend: string;
  /** Per-sample input shape, e.g. [32, 32, 1]; −1 for a size that is symbolic in the IR. */
  readonly inputShape: readonly number[];
  /** True when the graph ends in softmax (categorical loss then works on the logits before it). */
  readonly endsInSoftmax: boolean;
  /** Every saved weight, params first then buffers, in graph order. */
  readonly weights: readonly WeightInfo[];
  /** One optimiser step on a batch with integer labels y; lr of this step. */
  trainStep(x: Images, y: Int32Array, lr: number): Promise<StepResult>;
  /**
   * The mean loss of a batch and its gradient with respect to every trainable param, without an
   * update (cnnc verify). training: dropout and batch statistics as in trainStep (batch norm's moving
   * statistics are then updated too).
   */
  gradients(
    x: Images,
    y: Int32Array,
    training: boolean,
    branches?: KinkBranches,
  ): Promise<{ loss: number; grads: SavedTensor[]; branchesTaken?: number }>;
  /**
   * The inputs of every activation with a kink (activationKinks) in a forward pass on x, by node
   * name (cnnc verify hands them to the other engine's `gradients` as `branches`). Engines
   * that cannot observe their intermediate values leave it out.
   */
  kinkInputs?(x: Images, training: boolean): Promise<KinkBranches>;
  /**
   * One optimiser step whose loss is computed outside the engine from the model's raw outputs
   * (detection: runtime/detection/yolo.ts): `loss` returns the mean loss and dL/d(output) of every
   * output.
   */
  trainStepOn?(x: Images, loss: OutputLoss, lr: number): Promise<{ loss: number }>;
  /** `gradients` with a loss of the raw outputs as trainStepOn takes it (cnnc verify on a detector). */
  gradientsOn?(
    x: Images,
    loss: OutputLoss,
    training: boolean,
    branches?: KinkBranches,
  ): Promise<{ loss: number; grads: SavedTensor[]; branchesTaken?: number }>;
  /** Loss and class scores in inference mode. */
  evalBatch(x: Images, y: Int32Array): Promise<EvalBatch>;
  /** Class scores in inference mode (no labels); with several outputs, each output's too. */
  predict(
    x: Images,
  ): Promise<{ scores: Float32Array; classes: number; outputs?: readonly OutputScores[] }>;
  /** The model's raw output in inference mode, [n, ...outputShape]. */
  forward(x: Images): Promise<Images>;
  /** Every output of the model in inference mode, in the graph's order. */
  forwardAll(x: Images): Promise<Images[]>;
  /** Current values of every weight (copies). */
  readWeights(): SavedTensor[];
  /** Sets weights by name; the caller has checked names and shapes (weightDifferences). */
  writeWeights(tensors: readonly SavedTensor[]): void;
  /** The optimiser's state (step and slots), or null before trainStep was possible. */
  optimizerState(): OptimizerState | null;
  /** Restores optimiser state; throws an Error naming a slot that is missing or misshapen. */
  setOptimizerState(state: OptimizerState): void;
  /** Dropout masks drawn so far: saved in checkpoints so that a resumed run draws what an uninterrupted one would. */
  randomDraws(): number;
  setRandomDraws(draws: number): void;
  dispose(): void;
}

/**
 * Another engine's activation inputs by node name: where an engine's own input to a kinked
 * activation lies within float32 rounding of the kink (|x − kink| ≤ KINK_BAND · max |x| of the
 * tensor), its derivative takes the branch these values are on, so that two float32 engines
 * differentiate the same piece of a piecewise-linear function (cnnc verify). The reference engine
 * honours them; elsewhere they are ignored.
 */
export type KinkBranches = ReadonlyMap<string, Float32Array>;

/** The kinks of an activation: the inputs where its derivative jumps (none for smooth ones). */
export function activationKinks(a: ActivationAttrs): readonly number[] {
  switch (a.fn) {
    case 'relu':
      return [0];
    case 'relu6':
      return [0, 6];
    case 'leaky_relu':
      return (a.alpha ?? 0.01) === 1 ? [] : [0];
    default:
      return [];
  }
}

/** The band around a kink, relative to the largest |input| of the activation, where `KinkBranches` apply. */
export const KINK_BAND = 1e-4;

/** Parameter counts of an engine's weights. */
export function countParams(engine: Engine): { params: number; trainable: number } {
  let params = 0;
  let trainable = 0;
  for (const w of engine.weights) {
    if (w.kind !== 'param') continue;
    const n = w.shape.reduce((a, b) => a * b, 1);
    params += n;
    if (w.trainable) trainable += n;
  }
  return { params, trainable };
}
