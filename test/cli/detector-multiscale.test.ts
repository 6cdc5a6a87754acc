/**
 * `cnnc train`, `evaluate`, `predict` and `verify` on a multi-scale detector (one yolo head per
 * output), on a tiny generated shapes set: training writes a checkpoint of both heads' layers,
 * evaluation and prediction decode both heads (predict's boxes follow from hand-set weights, one
 * box from each head), and verify compares both engines' gradients of the summed loss.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadCheckpoint, saveCheckpoint } from '../../runtime/train/checkpoint.js';
import { runCnnc as cnnc } from '../helpers/cli.js';

// 32x32 input: a 4x4 grid at stride 8 (`fine`) and a 2x2 grid at stride 16 (`main`), one anchor
// each and 3 classes: 1·(5 + 3) = 8 channels.
const MODEL = `model MS {
  input 32x32x3
  conv 8 3x3 stride 4 same
  relu
  conv 8 3x3 stride 2 same
  relu
  output fine {
    conv 8 1x1
    yolo 3 anchors (8, 8) stride 8
  }
  conv 8 3x3 stride 2 same
  relu
  conv 8 1x1
  yolo 3 anchors (20, 20) stride 16
  train { loss yolo lambda_noobj 0.7 epochs 2 batch 4 lr 0.01 nms_iou 0.45 seed 3 }
}
`;

let dir = '';
const at = (p: string) => path.join(dir, p);

beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cnnc-multiscale-'));
  fs.writeFileSync(at('ms.cnn'), MODEL);
  const data = ['data', 'shapes', '--out', at('shapes'), '--train', '8', '--test', '3'];
  expect((await cnnc([...data, '--size', '32', '--seed', '2'])).code).toBe(0);
}, 60_000);

afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

describe('cnnc on a multi-scale detector', () => {
  it('trains both heads and evaluates their boxes together', async () => {
    const data = `coco:${at('shapes')}`;
    const r = await cnnc(['train', at('ms.cnn'), '--data', data, '--out', at('run')]);
    expect(r.code, r.err).toBe(0);
    expect(r.out).toMatch(/epoch 2\/2: loss \d/);
    expect(r.out).toContain('loss yolo (λ_coord 5, λ_noobj 0.7)');
    const ck = loadCheckpoint(at('run/checkpoint'));
    expect(ck.meta.epoch).toBe(2);
    const names = ck.weights.map((w) => w.name);
    expect(names).toContain('fine.conv1/kernel');
    expect(names).toContain('conv4/kernel');
    const e = await cnnc(['evaluate', at('ms.cnn'), '--data', data, '--weights', at('run')]);
    expect(e.code, e.err).toBe(0);
    expect(e.out).toMatch(/Average Precision {2}\(AP\) @\[ IoU=0\.50:0\.95/);
  }, 120_000);

  it('predicts and draws one box from each head', async () => {
    // Hand-set: each head's last conv outputs its bias everywhere; the fine head's says class 0
    // with score σ(3)², the coarse one's class 2 with σ(4)², both boxes the anchor's size.
    const ck = loadCheckpoint(at('run/checkpoint'));
    const bias = (score: number, cls: number) => {
      const b = new Float32Array(8).fill(-12);
      b.set([0, 0, 0, 0, score], 0);
      b[5 + cls] = score;
      return b;
    };
    const weights = ck.weights.map((w) => {
      if (w.name === 'fine.conv1/bias') return { ...w, data: bias(3, 0) };
      if (w.name === 'conv4/bias') return { ...w, data: bias(4, 2) };
      if (w.name === 'fine.conv1/kernel' || w.name === 'conv4/kernel')
        return { ...w, data: new Float32Array(w.data.length) };
      return w;
    });
    saveCheckpoint(at('hand'), { meta: { ...ck.meta, optimizer: null }, weights, optimizer: null });
    const image = at('shapes/test/000001.png');
    const r = await cnnc([
      'predict',
      at('ms.cnn'),
      '--weights',
      at('hand'),
      image,
      '--out',
      at('boxes.png'),
      '--score-threshold',
      '0.5',
    ]);
    expect(r.code, r.err).toBe(0);
    const results = JSON.parse(r.out) as { category_id: number; bbox: number[] }[];
    // 2x2 coarse cells of 20 px boxes clipped to the image: 18x18 (class 2 → category 3), and 4x4
    // fine cells of 8 px boxes (category 1); the coarse boxes score higher and come first.
    const byCategory = (c: number) => results.filter((d) => d.category_id === c);
    expect(byCategory(3).map((d) => d.bbox.slice(2))).toEqual(Array(4).fill([18, 18]));
    expect(byCategory(1).map((d) => d.bbox.slice(2))).toEqual(Array(16).fill([8, 8]));
    expect(results[0].category_id).toBe(3);
    expect(fs.existsSync(at('boxes.png'))).toBe(true);
    expect(r.err).toMatch(/drew 20 boxes/);
  }, 60_000);

  it('verifies the gradients of both heads’ loss on both engines', async () => {
    const r = await cnnc(['verify', at('ms.cnn'), '--json', '--batch', '2', '--seed', '5']);
    expect(r.code, r.err + r.out).toBe(0);
    const report = JSON.parse(r.out);
    expect(report.ok).toBe(true);
    // Three trunk convs and both heads' last convs: kernel and bias each.
    expect(report.grads).toHaveLength(10);
    expect(report.loss.b).toBeGreaterThan(0);
  }, 60_000);
});
