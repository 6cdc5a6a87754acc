/** Weights in and out: file formats, the torchvision name mapping, the plan, a forward pass. */
export {
  readWeightsFile,
  writeWeightsFile,
  type WeightsFile,
  type WeightsFormat,
} from './files.js';
export { forward, FORWARD_BACKENDS, type Batch, type ForwardBackend } from './forward.js';
export { prepareWeights, WEIGHT_MAPS, type PreparedWeights, type WeightMap } from './load.js';
export { encodeNpy } from './npy.js';
export {
  asSource,
  expectedWeights,
  planProblems,
  planWeights,
  tensorsToLoad,
  type ExpectedWeight,
  type PlanEntry,
  type PlanStatus,
  type SourceTensor,
  type WeightPlan,
} from './plan.js';
export { encodeSafetensors, parseSafetensors, type Safetensors } from './safetensors.js';
export { WeightsError, type FileTensor, type NamedTensor } from './tensor.js';
export {
  decodeTfjsWeights,
  encodeTfjsWeights,
  manifestOf,
  type TfjsManifestGroup,
} from './tfjs-format.js';
export {
  fromTorchvision,
  toTorchvision,
  type MappedWeights,
  type TorchvisionFamily,
} from './torchvision.js';
