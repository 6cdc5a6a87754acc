import * as fs from 'node:fs';
import * as path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { nodeHost } from '../../compiler/cli/host.js';
import { runCnnc as cnnc } from '../helpers/cli.js';
import { compileFile } from '../../compiler/program.js';
import { irHash, saveCheckpoint, sha256 } from '../../runtime/train/checkpoint.js';
import { flat, pattern, tmpDir, writeImage } from '../runtime/data/image-fixtures.js';

/**
 * A 2x2 input, flattened, dense 2 with softmax; the kernel adds K·red to class 0 and K·blue to class
 * 1 and there is no bias, so the probabilities follow from the pixels by hand.
 */
const K = 2;

function model(channels: 1 | 3): string {
  return `model P {\n  input 2x2x${channels}\n  flatten\n  dense 2, softmax\n}\n`;
}

/** Writes the model and a checkpoint with the weights above; returns the model file. */
function setUp(dir: string, channels: 1 | 3): string {
  const file = path.join(dir, `p${channels}.cnn`);
  fs.writeFileSync(file, model(channels));
  const r = compileFile(file, nodeHost(dir));
  expect(r.diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
  const graph = r.models[0].graph;
  const weights = graph.nodes.flatMap((n) =>
    (n.weights ?? []).map((w) => {
      const data = new Float32Array(w.shape.reduce((a, b) => a * b, 1));
      if (w.name === 'kernel') {
        // [inputs, 2]: input i is pixel i / C, channel i % C.
        const [inputs] = w.shape;
        for (let i = 0; i < inputs; i++) {
          const c = i % channels;
          if (channels === 1 || c === 0) data[i * 2] = K;
          if (channels === 3 && c === 2) data[i * 2 + 1] = K;
        }
      }
      return { name: `${n.name}/${w.name}`, shape: w.shape, data };
    }),
  );
  expect(weights.map((w) => w.name.split('/')[1]).sort()).toEqual(['bias', 'kernel']);
  saveCheckpoint(path.join(dir, `w${channels}`), {
    meta: {
      format: 'cnnc-checkpoint',
      version: 1,
      model: graph.model,
      sourceHash: sha256(model(channels)),
      irHash: irHash(graph),
      weights: Object.fromEntries(weights.map((w) => [w.name, w.shape])),
      optimizer: null,
      epoch: 1,
      globalStep: 1,
      metrics: null,
    },
    weights,
    optimizer: null,
  });
  return file;
}

/** Softmax of [K·Σred, K·Σblue] over the 2x2 input as floats. */
function probabilities(pixels: readonly (readonly number[])[]): [number, number] {
  const red = pixels.reduce((s, p) => s + p[0] / 255, 0);
  const blue = pixels.reduce((s, p) => s + p[2] / 255, 0);
  const a = Math.exp(K * red);
  const b = Math.exp(K * blue);
  return [a / (a + b), b / (a + b)];
}

interface Prediction {
  image: string;
  index: number;
  top: { class: number; probability: number }[];
}

describe('cnnc predict with PNG and JPEG images', () => {
  let dir: string;

  beforeAll(async () => {
    dir = tmpDir('cnnc-predict-');
    setUp(dir, 3);
    setUp(dir, 1);
    await writeImage(path.join(dir, 'red.png'), flat(2, 2, [255, 0, 0]));
    await writeImage(path.join(dir, 'blue.jpg'), flat(8, 8, [0, 0, 255]), 'jpeg');
    await writeImage(path.join(dir, 'grey.png'), flat(2, 2, [128]));
    await writeImage(path.join(dir, 'dot.png'), flat(1, 1, [0, 0, 200, 255]));
    await writeImage(path.join(dir, 'mixed.png'), pattern(2, 2, 3, 40));
    fs.writeFileSync(path.join(dir, 'fake.png'), 'not a png');
  });

  it('decodes, converts, fits and classifies each image', async () => {
    const r = await cnnc(
      [
        'predict',
        'p3.cnn',
        '--weights',
        'w3',
        '--backend',
        'cpu',
        '--top',
        '2',
        '--json',
        'red.png',
        'blue.jpg',
        'grey.png',
        'dot.png',
      ],
      dir,
    );
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    const got = (JSON.parse(r.out) as { predictions: Prediction[] }).predictions;
    expect(got.map((p) => p.image)).toEqual(['red.png', 'blue.jpg', 'grey.png', 'dot.png']);
    const byClass = (p: Prediction) =>
      [0, 1].map((c) => p.top.find((t) => t.class === c)!.probability);
    const want = [
      probabilities([
        [255, 0, 0],
        [255, 0, 0],
        [255, 0, 0],
        [255, 0, 0],
      ]),
      // 8x8 JPEG resized to 2x2: a flat colour, within JPEG's error.
      probabilities([
        [0, 0, 255],
        [0, 0, 255],
        [0, 0, 255],
        [0, 0, 255],
      ]),
      // Grey repeated into R, G and B: equal evidence.
      [0.5, 0.5],
      // One pixel, alpha dropped, zero-padded into the top-left of 2x2 (the centre rounds down).
      probabilities([
        [0, 0, 200],
        [0, 0, 0],
        [0, 0, 0],
        [0, 0, 0],
      ]),
    ];
    got.forEach((p, i) => {
      const [a, b] = byClass(p);
      expect(a).toBeCloseTo(want[i][0], 2);
      expect(b).toBeCloseTo(want[i][1], 2);
    });
    expect(got[0].top[0].class).toBe(0);
    expect(got[1].top[0].class).toBe(1);
  });

  it('turns colour into luma for a one-channel model', async () => {
    const r = await cnnc(
      ['predict', 'p1.cnn', '--weights', 'w1', '--backend', 'cpu', '--json', 'mixed.png'],
      dir,
    );
    expect(r.err).toBe('');
    const [p] = (JSON.parse(r.out) as { predictions: Prediction[] }).predictions;
    const px = pattern(2, 2, 3, 40).data;
    let luma = 0;
    for (let i = 0; i < 4; i++)
      luma += (0.299 * px[3 * i] + 0.587 * px[3 * i + 1] + 0.114 * px[3 * i + 2]) / 255;
    // Only class 0 has weights: p0 = e^{K·Σluma} / (e^{K·Σluma} + 1).
    const p0 = 1 / (1 + Math.exp(-K * luma));
    expect(p.top.find((t) => t.class === 0)!.probability).toBeCloseTo(p0, 4);
  });

  it.each([
    [
      'a file that is not an image',
      'fake.png',
      /^cnnc: error: .*fake\.png: not a readable image \(.+\)\n$/,
    ],
    ['a missing image', 'gone.jpg', /^cnnc: error: .*gone\.jpg: no such file\n$/],
  ])('reports %s without a stack trace', async (_, image, message) => {
    const r = await cnnc(['predict', 'p3.cnn', '--weights', 'w3', '--backend', 'cpu', image], dir);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(message);
    expect(r.out).toBe('');
  });
});
