/**
 * From a weights file to what a model loads: read the file (files.ts), map its names and layouts
 * (as they are, or from torchvision's), and plan (plan.ts). `cnnc weights plan`, `cnnc run` and
 * `cnnc train --weights` share this.
 */
import type { Graph } from '../../compiler/ir/graph.js';
import { readWeightsFile, type WeightsFormat } from './files.js';
import {
  asSource,
  expectedWeights,
  planWeights,
  type SourceTensor,
  type WeightPlan,
} from './plan.js';
import { fromTorchvision, type TorchvisionFamily } from './torchvision.js';

import { WEIGHT_MAPS, type WeightMap } from '../../compiler/train/fine-tune-settings.js';

export { WEIGHT_MAPS, type WeightMap };

export interface PreparedWeights {
  readonly file: string;
  readonly format: WeightsFormat;
  readonly map: WeightMap;
  /** The torchvision table used, with --map torchvision. */
  readonly family: TorchvisionFamily | null;
  readonly plan: WeightPlan;
  /** Every tensor the file offers, under the names the plan uses; pass to tensorsToLoad. */
  readonly sources: readonly SourceTensor[];
}

export function prepareWeights(
  graph: Graph,
  file: string,
  map: WeightMap = 'none',
): PreparedWeights {
  const read = readWeightsFile(file);
  const expected = expectedWeights(graph);
  if (map === 'torchvision') {
    const m = fromTorchvision(graph, read.tensors);
    const sources = [...m.tensors, ...m.unmapped];
    return {
      file,
      format: read.format,
      map,
      family: m.family,
      plan: planWeights(expected, sources, m.ignored),
      sources,
    };
  }
  const sources = read.tensors.map(asSource);
  return {
    file,
    format: read.format,
    map,
    family: null,
    plan: planWeights(expected, sources),
    sources,
  };
}
