/**
 * Loads a data source by name, as the train block's `data` key and `--data` give them (the names
 * and their meanings: compiler/train/data-sources.ts). Relative paths are resolved from the
 * working directory.
 */
import * as path from 'node:path';
import { checkDataSource } from '../../compiler/train/data-sources.js';
import { DataError, type DataSplits } from './dataset.js';
import { loadCifar10 } from './cifar10.js';
import { loadImageFolder } from './image-folder.js';
import { loadIdxDir, loadMnist, loadMnistJson } from './mnist.js';

export { checkDataSource, DATA_SOURCES } from '../../compiler/train/data-sources.js';

export interface SourceOptions {
  /** The model input [H, W, C] (negative for a symbolic size): image folders are decoded to it. */
  readonly input?: readonly number[];
}

/** Loads the `which` splits of a source; a source may lack a split (folder:DIR without test). */
export async function loadSource(
  spec: string,
  cwd: string,
  which: readonly ('train' | 'test')[] = ['train', 'test'],
  options: SourceOptions = {},
): Promise<Partial<DataSplits>> {
  const problem = checkDataSource(spec);
  if (problem) throw new DataError(problem);
  if (spec === 'mnist') return loadMnist(which);
  if (spec === 'mnist-json') return loadMnistJson();
  const colon = spec.indexOf(':');
  const dir = path.resolve(cwd, spec.slice(colon + 1));
  switch (spec.slice(0, colon)) {
    case 'idx':
      return loadIdxDir(dir, undefined, which);
    case 'cifar10':
      return loadCifar10(dir, which);
    case 'coco':
      throw new DataError(
        `${spec} is detection data: a model ending in a \`yolo\` head trains on it (docs/detection.md)`,
      );
    default:
      return loadImageFolder(dir, which, { input: options.input });
  }
}

/** The folder of a `coco:DIR` source, or null when `spec` names another source. */
export function cocoFolder(spec: string, cwd: string): string | null {
  return spec.startsWith('coco:') && spec.length > 5 ? path.resolve(cwd, spec.slice(5)) : null;
}
