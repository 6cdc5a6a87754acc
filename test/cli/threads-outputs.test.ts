/**
 * `cnnc train`, `evaluate` and `predict` of a detector, and `train` and `evaluate` of a model with
 * two outputs, take --threads as other models do: data-parallel wasm replicas (runtime/engines.ts
 * opened these on one thread before), whose epoch losses, test figures and boxes are one thread's
 * up to float32 summation order.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCnnc as cnnc } from '../helpers/cli.js';

// 32x32 input → 2x2 grid at stride 16; 2 boxes and 3 classes: 13 channels; batch norm.
const DETECTOR = `model T {
  input 32x32x3
  conv 8 3x3 stride 4 same
  bn
  relu
  conv 13 3x3 stride 4 same
  yolo 3 boxes 2
  train { loss yolo epochs 2 batch 4 lr 0.01 seed 3 }
}
`;

let dir = '';
const at = (p: string) => path.join(dir, p);

beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cnnc-threads-'));
  fs.writeFileSync(at('t.cnn'), DETECTOR);
  const data = ['data', 'shapes', '--out', at('shapes'), '--train', '10', '--test', '3'];
  expect((await cnnc([...data, '--size', '48', '--seed', '2'])).code).toBe(0);
}, 60_000);

afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

/** The epoch losses a run folder's metrics.jsonl holds. */
const epochLosses = (run: string): number[] =>
  fs
    .readFileSync(at(`${run}/metrics.jsonl`), 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l).train.loss as number);

function expectClose(a: readonly number[], b: readonly number[], tolerance: number) {
  expect(b).toHaveLength(a.length);
  a.forEach((v, i) => expect(Math.abs(v - b[i]), `value ${i}`).toBeLessThanOrEqual(tolerance));
}

describe('cnnc on several wasm threads', () => {
  it('trains and evaluates a detector data-parallel, as on one thread', async () => {
    const data = `coco:${at('shapes')}`;
    const heads: string[] = [];
    for (const threads of ['1', '2']) {
      const out = at(`det${threads}`);
      const r = await cnnc([
        'train',
        at('t.cnn'),
        '--data',
        data,
        '--out',
        out,
        '--threads',
        threads,
      ]);
      expect(r.code, r.err).toBe(0);
      heads.push(r.out.split('\n')[0]);
    }
    expect(heads[1]).toContain('2 threads, data-parallel');
    // 10 images in batches of 4: the last batch of 2 rows splits 1 + 1.
    expectClose(epochLosses('det1'), epochLosses('det2'), 1e-4);

    const stats: number[][] = [];
    for (const threads of ['1', '3']) {
      const args = ['evaluate', at('t.cnn'), '--data', data, '--weights', at('det1'), '--json'];
      const e = await cnnc([...args, '--threads', threads]);
      expect(e.code, e.err).toBe(0);
      const coco = JSON.parse(e.out).coco;
      expect(coco.images).toBe(3);
      stats.push(coco.stats);
    }
    expectClose(stats[0], stats[1], 1e-6);

    // predict: three images in one batch, one a replica on three threads.
    const images = ['000001', '000002', '000003'].map((i) => at(`shapes/test/${i}.png`));
    const boxes: { image_id: number; bbox: number[]; score: number }[][] = [];
    for (const threads of ['1', '3']) {
      const args = ['predict', at('t.cnn'), '--weights', at('det1'), ...images];
      const p = await cnnc([...args, '--threads', threads]);
      expect(p.code, p.err).toBe(0);
      boxes.push(JSON.parse(p.out));
    }
    expect(boxes[0].length).toBeGreaterThan(0);
    expect(boxes[1].map((d) => d.image_id)).toEqual(boxes[0].map((d) => d.image_id));
    expectClose(
      boxes[0].flatMap((d) => [...d.bbox, d.score]),
      boxes[1].flatMap((d) => [...d.bbox, d.score]),
      1e-4,
    );
  }, 180_000);

  it('trains and evaluates examples/two-heads.cnn data-parallel, as on one thread', async () => {
    const common = ['examples/two-heads.cnn', '--limit', '40', '--epochs', '1'];
    for (const threads of ['1', '2']) {
      const out = at(`two${threads}`);
      const r = await cnnc(['train', ...common, '--out', out, '--threads', threads]);
      expect(r.code, r.err).toBe(0);
      if (threads === '2') expect(r.out).toContain('2 threads, data-parallel');
    }
    // 40 images in batches of 32 and 8.
    expectClose(epochLosses('two1'), epochLosses('two2'), 1e-4);

    const tests = [];
    for (const threads of ['1', '3']) {
      const args = ['evaluate', 'examples/two-heads.cnn', '--weights', at('two1'), '--limit', '40'];
      const e = await cnnc([...args, '--json', '--threads', threads]);
      expect(e.code, e.err).toBe(0);
      tests.push(JSON.parse(e.out).test);
    }
    const [one, three] = tests;
    expect(three.outputs.map((o: { name: string }) => o.name)).toEqual(['main', 'aux']);
    expectClose(
      [
        one.loss,
        one.accuracy,
        ...one.outputs.flatMap((o: { loss: number; accuracy: number }) => [o.loss, o.accuracy]),
      ],
      [
        three.loss,
        three.accuracy,
        ...three.outputs.flatMap((o: { loss: number; accuracy: number }) => [o.loss, o.accuracy]),
      ],
      1e-5,
    );
  }, 180_000);
});
