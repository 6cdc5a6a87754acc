/**
 * `cnnc data shapes --out DIR --train N --test M [--size S] [--seed K]`: writes the generated
 * detection set (runtime/data/shapes.ts) as COCO data: DIR/instances_train.json,
 * DIR/instances_test.json and the PNGs under DIR/train and DIR/test. Every file goes through
 * safe-write (atomic, never over something that is not a regular file).
 */
import * as path from 'node:path';
import {
  renderScene,
  shapeScene,
  shapesCoco,
  imageName,
  type Scene,
} from '../../runtime/data/shapes.js';
import { DataError } from '../../runtime/data/dataset.js';
import { makeFolder, writeFileAtomic } from '../../runtime/safe-write.js';
import { parseArgs, parsePositiveInt, UsageError } from './args.js';
import type { ExitCode, Io } from './io.js';
import { runGuarded } from './train-session.js';

export const DATA_HELP = `usage: cnnc data shapes --out DIR [--train N] [--test M] [--size S] [--seed K]

Renders a detection data set of coloured circles, squares and triangles (three classes, random
sizes, positions, overlaps and backgrounds) and writes it as COCO data: DIR/instances_train.json,
DIR/instances_test.json, and the images under DIR/train/ and DIR/test/. The same seed gives the
same set. Train on it with \`data "coco:DIR"\`.

options:
  --out DIR    the folder to write (made if missing)
  --train N    training images (default 8000)
  --test M     test images (default 1000)
  --size S     image side in pixels, 32 to 1024 (default 96)
  --seed K     seed (default 1)`;

export function runData(argv: readonly string[], io: Io): Promise<ExitCode> {
  return runGuarded(io, async () => {
    const args = parseArgs(argv, {
      out: { value: true },
      train: { value: true },
      test: { value: true },
      size: { value: true },
      seed: { value: true },
    });
    const [kind, ...extra] = args.positional;
    if (kind !== 'shapes') throw new UsageError('expected `cnnc data shapes --out DIR`');
    if (extra.length) throw new UsageError(`unexpected argument ${JSON.stringify(extra[0])}`);
    const out = args.flags.get('out')?.[0];
    if (!out) throw new UsageError('--out DIR is required');
    const int = (name: string, def: number) => {
      const v = args.flags.get(name)?.[0];
      return v === undefined ? def : parsePositiveInt(name, v);
    };
    const train = int('train', 8000);
    const test = int('test', 1000);
    const size = int('size', 96);
    const seedText = args.flags.get('seed')?.[0];
    const seed = seedText === undefined ? 1 : Number(seedText);
    if (!Number.isInteger(seed) || seed < 0 || seed > 2 ** 31 - 1)
      throw new UsageError(
        `--seed expects an integer in 0..2147483647; got ${JSON.stringify(seedText)}`,
      );
    if (size < 32 || size > 1024) throw new UsageError(`--size must be in 32..1024; got ${size}`);
    if (train + test > 1_000_000)
      throw new UsageError('--train and --test together must be at most 1,000,000');
    const dir = path.resolve(io.cwd, out);
    const fail = (m: string) => new DataError(m);
    makeFolder(dir, fail);
    let written = 0;
    for (const [split, count, splitSeed] of [
      ['train', train, seed * 2],
      ['test', test, seed * 2 + 1],
    ] as const) {
      const folder = path.join(dir, split);
      makeFolder(folder, fail);
      const scenes: Scene[] = [];
      for (let i = 0; i < count; i++) {
        const scene = shapeScene(splitSeed, i, size);
        scenes.push(scene);
        writeFileAtomic(path.join(folder, imageName(i)), await renderScene(scene), fail);
      }
      const json = `${JSON.stringify(shapesCoco(scenes, split))}\n`;
      writeFileAtomic(path.join(dir, `instances_${split}.json`), json, fail);
      written += scenes.reduce((s, x) => s + x.objects.length, 0);
    }
    io.out(
      `wrote ${train} training and ${test} test images of ${size}x${size} with ${written} shapes to ${out}\n`,
    );
    return 0;
  });
}
