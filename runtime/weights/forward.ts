/**
 * One forward pass in inference mode with given weights: the single entry point `cnnc run` uses, so
 * that other executors (the reference executor) can be added here without touching the CLI.
 */
import type { Graph } from '../../compiler/ir/graph.js';
import { ENGINE_BACKENDS, openEngine, type EngineBackend } from '../engines.js';
import { WeightsError, type NamedTensor } from './tensor.js';

export type ForwardBackend = EngineBackend;
export const FORWARD_BACKENDS: readonly ForwardBackend[] = ENGINE_BACKENDS;

/** A batch, row-major, channels last: [N, ...per-sample shape]. */
export interface Batch {
  readonly data: Float32Array;
  readonly shape: readonly number[];
}

/**
 * Runs `graph` on `x` with `weights` (cnnc names and layouts; weights not given keep their seeded
 * initial values) and returns the output. Throws BackendUnavailable when the backend cannot load.
 */
export async function forward(
  backend: ForwardBackend,
  graph: Graph,
  weights: readonly NamedTensor[],
  x: Batch,
  threads = 1,
): Promise<Batch> {
  return (await forwardAll(backend, graph, weights, x, false, threads))[0];
}

/** As `forward`, every output of the graph (graph.outputs order); `all` false: the first only. */
export async function forwardAll(
  backend: ForwardBackend,
  graph: Graph,
  weights: readonly NamedTensor[],
  x: Batch,
  all = true,
  threads = 1,
): Promise<Batch[]> {
  const opened = await openEngine(backend, graph, { loss: 'categorical', seed: 0, threads });
  const engine = opened.engine;
  if (!engine)
    throw new WeightsError(
      `the ${backend} backend cannot run ${graph.model}: ${opened.diagnostics.map((d) => d.message).join('; ')}`,
    );
  try {
    const known = new Set(engine.weights.map((w) => w.name));
    for (const w of weights)
      if (!known.has(w.name)) throw new WeightsError(`${graph.model} has no weight ${w.name}`);
    engine.writeWeights(weights);
    return all ? await engine.forwardAll(x) : [await engine.forward(x)];
  } finally {
    engine.dispose();
  }
}
