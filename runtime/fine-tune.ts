/**
 * The runtime side of fine-tuning (compiler/passes/fine-tune.ts reads the settings, whose types are
 * in compiler/train/fine-tune-settings.ts):
 *
 * - per-group learning rates become per-param multipliers of the scheduled rate;
 * - `at epoch N unfreeze X` splits a run into phases; each phase trains the graph with the layers
 *   unfrozen so far, on an engine re-opened with the weights and optimiser state of the last one
 *   (new trainable params start with zero optimiser slots);
 * - `features cache` trains, in each phase, only the part after the frozen backbone
 *   (compiler/ir/transform.ts splitStaticPrefix) on the backbone's outputs, computed once per phase
 *   in inference mode; the full model's weights are kept in step for checkpoints and testing.
 */
import type { Graph } from '../compiler/ir/graph.js';
import { splitStaticPrefix, withFrozen } from '../compiler/ir/transform.js';
import { groupRates } from '../compiler/train/fine-tune-settings.js';
import { batches, makeDataset, type Dataset } from './data/dataset.js';
import { openEngine, type EngineBackend } from './engines.js';
import type { TrainSettings } from './train/config.js';
import type { Engine } from './train/engine.js';
import { SLOTS, type OptimizerState } from './train/optimizer-config.js';

export interface Phase {
  /** Epochs fromEpoch … toEpoch (1-based, inclusive). */
  readonly fromEpoch: number;
  readonly toEpoch: number;
  /** The graph with the unfreeze steps before fromEpoch applied. */
  readonly graph: Graph;
  /** Learning-rate multiplier per param key `${node}/${weight}`. */
  readonly lrScales: ReadonlyMap<string, number>;
}

/** The phases of a run: one, or one more per distinct `at epoch` within the run. */
export function phases(graph: Graph, settings: TrainSettings): Phase[] {
  const { fineTune, lr, epochs } = settings;
  const rates = groupRates(fineTune);
  const starts = [...new Set(fineTune.unfreeze.map((u) => u.epoch))].filter(
    (e) => e > 1 && e <= epochs,
  );
  const bounds = [1, ...starts.sort((a, b) => a - b), epochs + 1];
  const out: Phase[] = [];
  let g = graph;
  for (let i = 0; i + 1 < bounds.length; i++) {
    const from = bounds[i];
    for (const u of fineTune.unfreeze.filter((s) => s.epoch === from)) {
      g = withFrozen(g, new Set(u.nodes), false);
      if (u.lr !== null) for (const n of u.nodes) rates.set(n, u.lr);
    }
    const lrScales = new Map<string, number>();
    for (const n of g.nodes) {
      const rate = rates.get(n.name);
      if (rate === undefined) continue;
      for (const w of n.weights ?? []) lrScales.set(`${n.name}/${w.name}`, rate / lr);
    }
    out.push({
      fromEpoch: from,
      toEpoch: bounds[i + 1] - 1,
      graph: g,
      lrScales: new Map(lrScales),
    });
  }
  return out;
}

/** A saved optimiser state extended with zero slots for params it lacks (newly unfrozen ones). */
export function extendOptimizerState(state: OptimizerState, engine: Engine): OptimizerState {
  const have = new Set(state.slots.map((s) => s.name));
  const slots = [...state.slots];
  for (const w of engine.weights) {
    if (!w.trainable) continue;
    for (const s of SLOTS[state.name]) {
      const name = `${w.name}/${s}`;
      if (have.has(name)) continue;
      const size = w.shape.reduce((a, b) => a * b, 1);
      slots.push({ name, shape: w.shape, data: new Float32Array(size) });
    }
  }
  return { ...state, slots };
}

export interface PhaseEngines {
  /** The engine the loop trains: the full model, or only its head on cached features. */
  readonly train: Engine;
  /** The whole model (the same object as `train` without feature caching). */
  readonly full: Engine;
  /** Cached features of the data sets, when `features cache` is on. */
  readonly features: { readonly boundary: string; readonly sets: Map<Dataset, Dataset> } | null;
  /** Copies the trained weights into `full` (before a checkpoint or the test). */
  sync(): void;
  dispose(): void;
}

/** Features of a dataset: the backbone's outputs in inference mode, batch by batch. */
async function featuresOf(
  backbone: Engine,
  ds: Dataset,
  shape: readonly number[],
): Promise<Dataset> {
  const per = shape.reduce((a, b) => a * b, 1);
  const images = new Float32Array(ds.count * per);
  let offset = 0;
  for (const b of batches(ds, 256)) {
    const y = await backbone.forward({ data: b.x, shape: [b.n, ...ds.shape] });
    images.set(y.data, offset);
    offset += y.data.length;
  }
  const s3 = [1, 1, 1, ...shape].slice(-3) as [number, number, number];
  const out = makeDataset(
    `${ds.name} features`,
    images,
    ds.labels,
    s3,
    ds.numClasses,
    ds.classNames,
  );
  return out;
}

/**
 * Opens the engines of a phase on `backend` with `threads` threads (data-parallel on wasm: the
 * backbone computing the cached features, the head and the full model alike), starting from
 * `previous`'s weights and optimiser state (when given). With feature caching, `sets` are turned
 * into feature datasets.
 */
export async function openPhase(
  backend: EngineBackend,
  phase: Phase,
  settings: TrainSettings,
  previous: { readonly engine: Engine; readonly optimizer: OptimizerState | null } | null,
  sets: readonly Dataset[],
  threads = 1,
): Promise<PhaseEngines> {
  const options = {
    loss: settings.loss,
    ...(settings.outputLosses.length ? { outputLosses: settings.outputLosses } : {}),
    optimizer: settings.optimizer,
    clipNorm: settings.clipNorm,
    seed: settings.seed,
    init: settings.init,
    lrScales: phase.lrScales,
    threads,
  };
  const open = async (graph: Graph): Promise<Engine> => {
    const r = await openEngine(backend, graph, options);
    if (!r.engine) throw new Error(`${graph.model}: the ${backend} backend cannot run it`);
    return r.engine;
  };
  const full = await open(phase.graph);
  if (previous) {
    full.writeWeights(previous.engine.readWeights());
    full.setRandomDraws(previous.engine.randomDraws());
  }
  const split = settings.fineTune.features === 'cache' ? splitStaticPrefix(phase.graph) : null;
  if (!split || 'reason' in split) {
    if (previous?.optimizer) full.setOptimizerState(extendOptimizerState(previous.optimizer, full));
    return { train: full, full, features: null, sync() {}, dispose: () => full.dispose() };
  }
  const backbone = await open(split.backbone);
  const head = await open(split.head);
  const weights = full.readWeights();
  const names = (e: Engine) => new Set(e.weights.map((w) => w.name));
  const inBackbone = names(backbone);
  const inHead = names(head);
  backbone.writeWeights(weights.filter((w) => inBackbone.has(w.name)));
  head.writeWeights(weights.filter((w) => inHead.has(w.name)));
  if (previous?.optimizer) head.setOptimizerState(extendOptimizerState(previous.optimizer, head));
  const shape = head.inputShape;
  const cached = new Map<Dataset, Dataset>();
  for (const ds of sets) cached.set(ds, await featuresOf(backbone, ds, shape));
  backbone.dispose();
  return {
    train: head,
    full,
    features: { boundary: split.boundary, sets: cached },
    sync: () => full.writeWeights(head.readWeights()),
    dispose() {
      head.dispose();
      full.dispose();
    },
  };
}

/** Why feature caching cannot apply to a graph, or null when it can. */
export function featureCacheProblem(graph: Graph): string | null {
  const split = splitStaticPrefix(graph);
  return 'reason' in split ? split.reason : null;
}
