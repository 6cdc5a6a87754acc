/**
 * The shapes generator and the coco:DIR reader: scenes are a function of the seed, a written set
 * reads back with its boxes letterboxed, bad annotation files are DataErrors naming the field, and
 * box-aware augmentation moves boxes with the pixels.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { NO_AUGMENT } from '../../../compiler/train/augment.js';
import { augmentDetection } from '../../../runtime/data/box-augment.js';
import { loadCocoSplit, parseCocoJson } from '../../../runtime/data/coco.js';
import { DataError } from '../../../runtime/data/dataset.js';
import { imageName, renderScene, shapeScene, shapesCoco } from '../../../runtime/data/shapes.js';

describe('shapes generator and coco:DIR', () => {
  it('is deterministic by seed and reads back letterboxed', async () => {
    expect(shapeScene(3, 5, 64)).toEqual(shapeScene(3, 5, 64));
    expect(shapeScene(3, 5, 64).svg).not.toBe(shapeScene(4, 5, 64).svg);
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cnnc-coco-'));
    const scenes = [0, 1, 2].map((i) => shapeScene(1, i, 64));
    fs.mkdirSync(path.join(dir, 'test'));
    for (let i = 0; i < scenes.length; i++)
      fs.writeFileSync(path.join(dir, 'test', imageName(i)), await renderScene(scenes[i]));
    fs.writeFileSync(
      path.join(dir, 'instances_test.json'),
      JSON.stringify(shapesCoco(scenes, 'test')),
    );
    // 64x64 into 32x48: scale 0.5, centred with 8 px on each side.
    const ds = await loadCocoSplit(dir, 'test', [32, 48, 3]);
    expect(ds.count).toBe(3);
    expect(ds.classNames).toEqual(['circle', 'square', 'triangle']);
    const [b] = scenes[0].objects;
    const [x, y, w, h] = b.bbox;
    expect(ds.boxes[0][0]).toEqual({ box: [x / 2 + 8, y / 2, w / 2, h / 2], label: b.label });
    expect(ds.images[0]).toBe(0.5); // letterbox padding is grey
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it.each([
    ['{"images": 3, "categories": []}', 'images must be a list'],
    [
      '{"images": [{"id": 1, "file_name": "a.png", "width": 4, "height": 4}], "categories": [{"id": 1, "name": "a"}], "annotations": [{"image_id": 2, "category_id": 1, "bbox": [0, 0, 1, 1]}]}',
      'annotations[0].image_id 2 names no image',
    ],
    [
      '{"images": [], "categories": [{"id": 1, "name": "a"}], "annotations": [{"image_id": 1, "category_id": 1, "bbox": [0, 0, 1]}]}',
      'names no image',
    ],
  ])('refuses %s', (text, message) => {
    expect(() => parseCocoJson(text, 'x.json')).toThrow(DataError);
    expect(() => parseCocoJson(text, 'x.json')).toThrow(message);
  });

  it('flips boxes with the pixels and drops boxes pushed out', () => {
    const img = new Float32Array(8 * 8);
    img[0] = 1; // pixel (0, 0)
    const flipped = augmentDetection(
      img,
      [8, 8, 1],
      [{ box: [0, 0, 2, 3], label: 1 }],
      { ...NO_AUGMENT, flipHorizontal: true },
      () => 0, // flip (0 < 0.5); zoom and translate at their low ends: identity here
    );
    expect(img[7]).toBeCloseTo(1, 6);
    expect(flipped).toEqual([{ box: [6, 0, 2, 3], label: 1 }]);
    const shifted = augmentDetection(
      new Float32Array(64),
      [8, 8, 1],
      [{ box: [0, 0, 2, 2], label: 0 }],
      { ...NO_AUGMENT, translate: 0.5 },
      () => 0, // dx = dy = −4: the box leaves the image
    );
    expect(shifted).toEqual([]);
  });
});
