/**
 * The transfer example (examples/transfer), CI-sized: its models compile, its few-shot data are
 * what `cnnc train --data idx:DIR` expects, and on MNIST at 30 images per class the pretrained
 * MobileNetV2's features beat the raw pixels by at least 5 points and the same network with random
 * weights by at least 30 (the claims of RESULTS.md, which scripts/transfer-results.ts measures in
 * full).
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { nodeHost } from '../../compiler/cli/host.js';
import { compileFile } from '../../compiler/program.js';
import { makeDataset, type Dataset } from '../../runtime/data/dataset.js';
import { readIdxFile } from '../../runtime/data/idx.js';
import { loadIdxDir } from '../../runtime/data/mnist.js';
import {
  batchFor,
  condition,
  ensurePretrainedWeights,
  EXAMPLE_DIR,
  runCondition,
  type ConditionId,
} from '../../examples/transfer/experiment.js';
import {
  balancedIndices,
  loadFull,
  MissingDataset,
  resizeToRgb,
  writeFewShot,
} from '../../examples/transfer/few-shot-data.js';
import { REPO } from '../helpers/memory-host.js';

const models = fs
  .readdirSync(EXAMPLE_DIR)
  .filter((f) => f.endsWith('.cnn'))
  .sort();

describe('examples/transfer models', () => {
  it.each(models)('%s compiles without errors or warnings', (file) => {
    const r = compileFile(path.join(EXAMPLE_DIR, file), nodeHost(REPO), { verifyEach: true });
    expect(
      r.diagnostics.filter((d) => d.severity !== 'note').map((d) => `${d.code} ${d.message}`),
    ).toEqual([]);
    expect(r.models.length).toBe(1);
  });

  it.each([
    // flatten of 4x4x576 features (or of the 64x64x3 pixels) into 10 classes, plus the bias
    ['raw-pixels.cnn', 64 * 64 * 3 * 10 + 10],
    ['random-frozen.cnn', 4 * 4 * 576 * 10 + 10],
    ['pretrained-frozen.cnn', 4 * 4 * 576 * 10 + 10],
    ['fine-tuned.cnn', 4 * 4 * 576 * 10 + 10],
  ])('%s trains only its linear head at the start (%i params)', (file, head) => {
    const graph = compileFile(path.join(EXAMPLE_DIR, file), nodeHost(REPO)).models[0].graph;
    const trainable = graph.nodes
      .filter((n) => !n.frozen)
      .flatMap((n) => n.weights ?? [])
      .filter((w) => w.kind === 'param')
      .reduce((s, w) => s + w.shape.reduce((a, b) => a * b, 1), 0);
    expect(trainable).toBe(head);
  });
});

describe('few-shot data', () => {
  // 3 classes of 5 samples each, the label in every pixel, so a sample shows where it came from.
  const labels = Int32Array.from({ length: 15 }, (_, i) => i % 3);
  const images = Float32Array.from({ length: 15 * 4 }, (_, i) => Math.floor(i / 4) / 100);
  const tiny: Dataset = makeDataset('tiny', images, labels, [2, 2, 1], 3);

  it('draws class-balanced samples, and a smaller draw is a prefix of a larger one per class', () => {
    const four = balancedIndices(tiny, 4, 7);
    const two = balancedIndices(tiny, 2, 7);
    expect([...four].map((i) => labels[i])).toEqual([0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2]);
    expect(new Set(four).size).toBe(12);
    for (let c = 0; c < 3; c++)
      expect([...two.subarray(2 * c, 2 * c + 2)]).toEqual([...four.subarray(4 * c, 4 * c + 2)]);
    expect([...balancedIndices(tiny, 4, 8)]).not.toEqual([...four]);
    expect(() => balancedIndices(tiny, 6, 7)).toThrow(/class 0 has 5 samples, fewer than 6/);
  });

  it.each([
    ['a constant image stays constant', [0.5, 0.5, 0.5, 0.5], 128, 128],
    // a left-to-right ramp 0 → 1 over two pixels: the first and last output columns clamp to the
    // edge pixels, the middle interpolates
    ['a ramp keeps its ends', [0, 1, 0, 1], 0, 255],
  ])('resizes grey to RGB: %s', (_t, src, first, last) => {
    const out = new Uint8Array(8 * 8 * 3);
    resizeToRgb(Float32Array.from(src), 2, 2, out, 8);
    expect(out[0]).toBe(first);
    expect(out[7 * 3]).toBe(last);
    for (let i = 0; i < out.length; i += 3)
      expect(out[i + 1] === out[i] && out[i + 2] === out[i]).toBe(true);
  });

  it('says clearly when Fashion-MNIST is not installed', () => {
    const nowhere = path.join(os.tmpdir(), 'cnnc-no-fashion-mnist');
    expect(() => loadFull('fashion-mnist', nowhere)).toThrow(MissingDataset);
    expect(() => loadFull('fashion-mnist', nowhere)).toThrow(
      /apt-get install dataset-fashion-mnist/,
    );
  });
});

describe('few-shot transfer on MNIST (30 images per class)', () => {
  const PER_CLASS = 30;
  const TEST_PER_CLASS = 30;
  let work = '';
  let dataDir = '';
  let weightsDir = '';

  beforeAll(() => {
    work = fs.mkdtempSync(path.join(os.tmpdir(), 'cnnc-transfer-'));
    dataDir = path.join(work, 'mnist-30');
    weightsDir = path.join(work, 'mobilenet_v2');
    writeFewShot(loadFull('mnist'), dataDir, {
      perClass: PER_CLASS,
      testPerClass: TEST_PER_CLASS,
      seed: 1,
    });
    ensurePretrainedWeights(weightsDir);
  });
  afterAll(() => fs.rmSync(work, { recursive: true, force: true }));

  it('writes IDX files of 64x64x3 images that the idx: source reads', () => {
    const train = readIdxFile(path.join(dataDir, 'train-images-idx3-ubyte'));
    expect(train.dims).toEqual([10 * PER_CLASS, 64, 64, 3]);
    const splits = loadIdxDir(dataDir);
    expect(splits.train?.shape).toEqual([64, 64, 3]);
    expect(splits.test?.count).toBe(10 * TEST_PER_CLASS);
    const perClass = new Array<number>(10).fill(0);
    for (const l of splits.train!.labels) perClass[l]++;
    expect(perClass).toEqual(new Array<number>(10).fill(PER_CLASS));
  });

  it('pretrained features beat raw pixels by 5 points and random weights by 30', async () => {
    const accuracy = new Map<ConditionId, number>();
    for (const id of ['raw-pixels', 'random-frozen', 'pretrained-frozen'] as const) {
      const r = await runCondition(condition(id), {
        dataDir,
        weightsDir,
        outDir: path.join(work, 'runs', id),
        seed: 1,
        epochs: 20,
        batch: batchFor(10 * PER_CLASS),
      });
      expect(r.testCount).toBe(10 * TEST_PER_CLASS);
      accuracy.set(id, r.accuracy);
    }
    const pretrained = accuracy.get('pretrained-frozen')!;
    const summary = [...accuracy].map(([id, a]) => `${id} ${(100 * a).toFixed(1)}%`).join(', ');
    expect(pretrained - accuracy.get('raw-pixels')!, summary).toBeGreaterThanOrEqual(0.05);
    expect(pretrained - accuracy.get('random-frozen')!, summary).toBeGreaterThanOrEqual(0.3);
  });
});
