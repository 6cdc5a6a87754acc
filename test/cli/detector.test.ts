/**
 * `cnnc train`, `evaluate` and `predict` on a detector (a model ending in a yolo head), on a tiny
 * generated shapes set: training writes a run folder whose checkpoint names the classes, evaluate
 * uses the train block's NMS settings, and predict prints COCO results and draws boxes whose places
 * follow from hand-set weights. Bad inputs are refused with a message and no output file.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { detectionsSvg } from '../../runtime/detection/draw.js';
import { loadCheckpoint, saveCheckpoint } from '../../runtime/train/checkpoint.js';
import { runCnnc as cnnc } from '../helpers/cli.js';

// 32x32 input → 2x2 grid at stride 16; 2 boxes and 3 classes: 13 channels.
const MODEL = `model T {
  input 32x32x3
  conv 8 3x3 stride 4 same
  relu
  conv 13 3x3 stride 4 same
  yolo 3 boxes 2
  train { loss yolo epochs 2 batch 4 lr 0.01 nms_iou 0.45 max_detections 5 seed 3 }
}
`;

let dir = '';
const at = (p: string) => path.join(dir, p);

beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cnnc-detector-'));
  fs.writeFileSync(at('t.cnn'), MODEL);
  const data = ['data', 'shapes', '--out', at('shapes'), '--train', '8', '--test', '3'];
  expect((await cnnc([...data, '--size', '48', '--seed', '2'])).code).toBe(0);
}, 60_000);

afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

describe('cnnc train/evaluate/predict on a detector', () => {
  it('trains into a run folder and evaluates with the train block settings', async () => {
    const data = `coco:${at('shapes')}`;
    const r = await cnnc(['train', at('t.cnn'), '--data', data, '--out', at('run')]);
    expect(r.code, r.err).toBe(0);
    expect(r.out).toMatch(/epoch 2\/2: loss \d/);
    expect(r.out).toContain('loss yolo (λ_coord 5, λ_noobj 0.5)');
    expect(r.out).toMatch(/Average Precision {2}\(AP\) @\[ IoU=0\.50 {6}\| area= {3}all/);
    const ck = loadCheckpoint(at('run/checkpoint'));
    expect(ck.meta.epoch).toBe(2);
    expect(ck.optimizer?.name).toBe('adam');
    expect(ck.meta.classes?.names).toEqual(['circle', 'square', 'triangle']);
    const log = fs.readFileSync(at('run/metrics.jsonl'), 'utf8').trim().split('\n');
    expect(log.map((l) => JSON.parse(l).epoch)).toEqual([1, 2]);
    const more = ['train', at('t.cnn'), '--data', data, '--out', at('run'), '--epochs', '3'];
    const resumed = await cnnc([...more, '--resume']);
    expect(resumed.code, resumed.err).toBe(0);
    expect(resumed.out).toMatch(/resuming from .* after epoch 2/);
    expect(resumed.out).not.toMatch(/epoch [12]\/3/);
    expect(resumed.out).toMatch(/epoch 3\/3/);
    expect(fs.readFileSync(at('run/metrics.jsonl'), 'utf8').trim().split('\n')).toHaveLength(3);

    const e = await cnnc([
      'evaluate',
      at('t.cnn'),
      '--data',
      data,
      '--weights',
      at('run'),
      '--json',
    ]);
    expect(e.code, e.err).toBe(0);
    const coco = JSON.parse(e.out).coco;
    expect(coco.images).toBe(3);
    expect(coco.nms).toEqual({ iouThreshold: 0.45, scoreThreshold: 0.01, maxDetections: 5 });
  }, 120_000);

  // test/cli/detector-pretrained.test.ts checks that frozen layers keep their values bit for bit.
  it('trains a detector in phases: `at epoch 2 unfreeze` frees a frozen layer from epoch 2', async () => {
    fs.writeFileSync(
      at('u.cnn'),
      MODEL.replace('  relu\n', '  relu\n  freeze conv1\n').replace(
        'seed 3 }',
        'seed 3 }\n  train { at epoch 2 unfreeze conv1 }',
      ),
    );
    const data = `coco:${at('shapes')}`;
    const once = ['train', at('u.cnn'), '--data', data, '--out', at('run-u'), '--epochs', '1'];
    const r = await cnnc(once);
    expect(r.code, r.err).toBe(0);
    const kernel = (ckDir: string) =>
      loadCheckpoint(ckDir).weights.find((w) => w.name === 'conv1/kernel')!.data;
    const start = kernel(at('run-u/checkpoint'));
    const more = ['train', at('u.cnn'), '--data', data, '--out', at('run-u'), '--resume'];
    const r2 = await cnnc(more);
    expect(r2.code, r2.err).toBe(0);
    expect(r2.out).toMatch(/epoch 2\/2/);
    const after = kernel(at('run-u/checkpoint'));
    expect(after.some((v, i) => v !== start[i])).toBe(true);
    fs.writeFileSync(
      at('c.cnn'),
      MODEL.replace('seed 3 }', 'seed 3 }\n  train { features cache }'),
    );
    const cached = await cnnc(['train', at('c.cnn'), '--data', data, '--out', at('run-c')]);
    expect(cached.code).toBe(1);
    expect(cached.err).toMatch(
      /error\[CNN2125\]: \w+ is a detector: `features cache` cannot train it/,
    );
    // the span: the train block's line, and the fix
    expect(cached.err).toMatch(/c\.cnn:\d+:\d+/);
    expect(cached.err).toContain('write `features off`');
    // refused before the run folder was made
    expect(fs.existsSync(at('run-c'))).toBe(false);
  }, 120_000);

  it('refuses a detector without COCO data', async () => {
    const r = await cnnc(['train', at('t.cnn'), '--out', at('run-mnist'), '--data', 'mnist-json']);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/is a detector: give it COCO data with --data coco:DIR/);
  }, 60_000);

  it('prints COCO results and draws the boxes of hand-set weights', async () => {
    // The last conv outputs its bias everywhere: box 1 centred in its cell, √w = √h = 0.25
    // (8 px of 32), confidence 0.9, class 0 at 0.8: four boxes scored 0.72, one per cell.
    const ck = loadCheckpoint(at('run/checkpoint'));
    const weights = ck.weights.map((w) => {
      if (w.shape.at(-1) !== 13) return w;
      const data = new Float32Array(w.data.length);
      if (w.shape.length === 1) data.set([0.5, 0.5, 0.5, 0.5, 0.9, 0, 0, 0, 0, 0, 0.8, 0, 0]);
      return { ...w, data };
    });
    saveCheckpoint(at('hand'), { meta: { ...ck.meta, optimizer: null }, weights, optimizer: null });
    const image = at('shapes/test/000001.png');
    const r = await cnnc([
      'predict',
      at('t.cnn'),
      '--weights',
      at('hand'),
      image,
      '--out',
      at('boxes.png'),
    ]);
    expect(r.code, r.err).toBe(0);
    // 48x48 letterboxed to 32x32 (scale 2/3): cell centres 8 and 24 become 12 and 36, size 12.
    const results = JSON.parse(r.out) as { image_id: number; bbox: number[]; score: number }[];
    expect(results.map((d) => [d.image_id, d.bbox, d.score])).toEqual(
      [
        [6, 6],
        [30, 6],
        [6, 30],
        [30, 30],
      ].map(([x, y]) => [1, [x, y, 12, 12], 0.72]),
    );
    expect(results.every((d) => (d as unknown as { category_id: number }).category_id === 1)).toBe(
      true,
    );
    const high = await cnnc([
      'predict',
      at('t.cnn'),
      '--weights',
      at('hand'),
      image,
      '--score-threshold',
      '0.8',
    ]);
    expect(JSON.parse(high.out)).toEqual([]);
    const sharp = (await import('sharp')).default;
    const { data, info } = await sharp(at('boxes.png')).raw().toBuffer({ resolveWithObject: true });
    expect([info.width, info.height]).toEqual([48, 48]);
    // The label's band over the top-left box is its class colour (#e6194b) above the text.
    const px = (x: number, y: number) =>
      [0, 1, 2].map((c) => data[(y * info.width + x) * info.channels + c]);
    for (const [v, want] of px(30, 6).map((v, i) => [v, [0xe6, 0x19, 0x4b][i]]))
      expect(Math.abs(v - want)).toBeLessThan(8);
  }, 60_000);

  it('refuses bad predict input without writing', async () => {
    const base = ['predict', at('t.cnn'), '--weights', at('run')];
    const two = await cnnc([
      ...base,
      at('shapes/test/000001.png'),
      at('shapes/test/000002.png'),
      '--out',
      at('x.png'),
    ]);
    expect(two.code).toBe(2);
    expect(two.err).toMatch(/--out draws the boxes of one image/);
    fs.writeFileSync(at('not-an-image.png'), 'hello');
    const broken = await cnnc([...base, at('not-an-image.png'), '--out', at('y.png')]);
    expect(broken.code).toBe(1);
    expect(broken.err).toMatch(/not-an-image\.png: not a readable image/);
    fs.mkdirSync(at('folder.png'));
    const folder = await cnnc([...base, at('shapes/test/000001.png'), '--out', at('folder.png')]);
    expect(folder.code).toBe(1);
    expect(folder.err).toMatch(/will not replace .*folder\.png: it is a folder/);
    const score = await cnnc([...base, at('shapes/test/000001.png'), '--score-threshold', '2']);
    expect(score.code).toBe(2);
    expect(score.err).toMatch(/--score-threshold must be a number from 0 to 1/);
    const missing = await cnnc([...base, at('none.png')]);
    expect(missing.code).toBe(1);
    expect(missing.err).toMatch(/none\.png/);
    expect(fs.existsSync(at('x.png')) || fs.existsSync(at('y.png'))).toBe(false);
  }, 60_000);

  it('escapes labels in the SVG overlay', () => {
    const svg = detectionsSvg(20, 10, [
      { box: [1, 2, 3, 4], label: '<script>a&"b\u202e', score: 0.5, cls: 0 },
    ]);
    expect(svg).toContain('&lt;script&gt;a&amp;&quot;b&lt;U+202E&gt; 0.50');
    expect(svg).not.toContain('<script>');
    expect(svg).toContain('<rect x="1" y="2" width="3" height="4"');
  });
});
