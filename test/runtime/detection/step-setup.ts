/**
 * The setup the detector training-step tests share (train-step, multiscale, single-head): a
 * detector compiled from source with its yolo heads, the step's training options, a seeded batch
 * of 16x16x3 images, and the reference engine beside a tfjs (cpu) one that starts from its weights.
 */
import type { Graph } from '../../../compiler/ir/graph.js';
import { yoloHeadsOf, type YoloHead } from '../../../compiler/ir/yolo-heads.js';
import { compileFile } from '../../../compiler/program.js';
import { rng } from '../../../runtime/data/dataset.js';
import { openEngine } from '../../../runtime/engines.js';
import type { Engine, EngineOptions, Images } from '../../../runtime/train/engine.js';
import { memoryHost, memPath } from '../../helpers/memory-host.js';

/** The first model of `source` and its yolo heads (the source must be a detector). */
export function compileDetector(source: string): { graph: Graph; heads: YoloHead[] } {
  const file = memPath('d.cnn');
  const graph = compileFile(file, memoryHost({ [file]: source })).models[0].graph;
  const heads = yoloHeadsOf(graph);
  if (!heads) throw new Error('the test model is not a detector');
  return { graph, heads };
}

/** Plain SGD (no momentum, no weight decay) or Adam, weights seeded with 3. */
export function stepOptions(optimizer: 'sgd' | 'adam'): EngineOptions {
  return {
    loss: 'mse',
    optimizer: {
      name: optimizer,
      beta1: 0.9,
      beta2: 0.999,
      epsilon: 1e-7,
      momentum: 0,
      rho: 0.9,
      weightDecay: 0,
    },
    seed: 3,
  };
}

/** `n` 16x16x3 images of values in [0, 1) from rng(5). */
export function seededImages(n: number): Images {
  const g = rng(5);
  return {
    data: Float32Array.from({ length: n * 16 * 16 * 3 }, () => g()),
    shape: [n, 16, 16, 3],
  };
}

/** The reference engine, and a tfjs cpu engine given the reference's initial weights. */
export async function twinEngines(
  graph: Graph,
  options: EngineOptions,
): Promise<{ ref: Engine; tf: Engine }> {
  const ref = (await openEngine('reference', graph, options)).engine!;
  const tf = (await openEngine('cpu', graph, options)).engine!;
  tf.writeWeights(ref.readWeights());
  return { ref, tf };
}
