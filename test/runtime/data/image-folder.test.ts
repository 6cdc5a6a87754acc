import * as fs from 'node:fs';
import * as path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { DataError } from '../../../runtime/data/dataset.js';
import { decodeImage, decodeImageFile } from '../../../runtime/data/image-decode.js';
import { loadImageFolder } from '../../../runtime/data/image-folder.js';
import { encode, flat, pattern, tmpDir, writeImage, type Pixels } from './image-fixtures.js';

/** The bytes of p as floats, converted to `channels` the documented way. */
function expected(p: Pixels, channels: 1 | 3): number[] {
  const out: number[] = [];
  for (let i = 0; i < p.width * p.height; i++) {
    const px = p.data.subarray(i * p.channels, (i + 1) * p.channels);
    const rgb = p.channels <= 2 ? [px[0], px[0], px[0]] : [px[0], px[1], px[2]];
    if (channels === 3) out.push(...rgb.map((v) => v / 255));
    else out.push((0.299 * rgb[0] + 0.587 * rgb[1] + 0.114 * rgb[2]) / 255);
  }
  return out;
}

function near(actual: ArrayLike<number>, want: readonly number[], tol = 1e-6): void {
  expect(actual.length).toBe(want.length);
  let worst = 0;
  for (let i = 0; i < want.length; i++) worst = Math.max(worst, Math.abs(actual[i] - want[i]));
  expect(worst).toBeLessThanOrEqual(tol);
}

async function rejects(p: Promise<unknown>): Promise<string> {
  try {
    await p;
  } catch (e) {
    expect(e).toBeInstanceOf(DataError);
    return (e as Error).message;
  }
  throw new Error('expected a DataError');
}

describe('decoding PNG and JPEG', () => {
  it.each([
    ['grey → grey', 1, 1],
    ['grey → RGB (repeated)', 1, 3],
    ['RGB → RGB', 3, 3],
    ['RGB → grey (BT.601 luma)', 3, 1],
    ['grey + alpha → grey (alpha dropped)', 2, 1],
    ['RGBA → RGB (alpha dropped)', 4, 3],
    ['RGBA → grey', 4, 1],
  ] as const)('converts %s', async (_, from, to) => {
    const p = pattern(5, 4, from, 3);
    const img = await decodeImage(await encode(p, 'png'), 'p.png', { channels: to });
    expect([img.height, img.width, img.channels]).toEqual([4, 5, to]);
    // The luma of 8-bit values is exact before rounding to float32.
    near(img.data, expected(p, to), 1e-6);
  });

  it('zero-pads a smaller image around the centre, as fitToInput does', async () => {
    const p = pattern(2, 3, 3);
    const img = await decodeImage(await encode(p, 'png'), 'p.png', {
      channels: 3,
      height: 5,
      width: 6,
    });
    const inner = expected(p, 3);
    const want: number[] = [];
    for (let y = 0; y < 5; y++)
      for (let x = 0; x < 6; x++)
        for (let k = 0; k < 3; k++) {
          const inside = y >= 1 && y < 4 && x >= 2 && x < 4;
          want.push(inside ? inner[((y - 1) * 2 + x - 2) * 3 + k] : 0);
        }
    near(img.data, want);
  });

  it.each([
    ['larger', 40, 30],
    ['wider but shorter', 20, 4],
  ])('resizes a %s image to exactly the input', async (_, w, h) => {
    const p = flat(w, h, [200, 100, 50]);
    const img = await decodeImage(await encode(p, 'png'), 'p.png', {
      channels: 3,
      height: 8,
      width: 10,
    });
    expect([img.height, img.width]).toEqual([8, 10]);
    near(img.data, expected(flat(10, 8, [200, 100, 50]), 3), 1 / 255 + 1e-6);
  });

  it('decodes JPEG (lossy: a flat colour within 3/255)', async () => {
    const p = flat(16, 16, [30, 120, 220]);
    const img = await decodeImage(await encode(p, 'jpeg'), 'p.jpg', { channels: 3 });
    near(img.data, expected(p, 3), 3 / 255);
  });

  it.each([
    ['a text file', () => Buffer.from('hello, not an image'), /x\.png: not a readable image \(/],
    [
      'a truncated PNG',
      async () => (await encode(pattern(8, 8, 3), 'png')).subarray(0, 60),
      /x\.png: not a readable image \(/,
    ],
  ])('rejects %s, naming it', async (_, bytes, pattern_) => {
    expect(await rejects(decodeImage(await bytes(), 'x.png', { channels: 3 }))).toMatch(pattern_);
  });

  it('rejects a model input of 4 channels and a missing file', async () => {
    const png = await encode(pattern(2, 2, 3), 'png');
    expect(await rejects(decodeImage(png, 'x.png', { channels: 4 }))).toMatch(
      /x\.png: the model input has 4 channels; images can be fitted to 1 \(grey\) or 3 \(RGB\)/,
    );
    expect(await rejects(decodeImageFile('/nonexistent/y.png', { channels: 3 }))).toBe(
      '/nonexistent/y.png: no such file',
    );
  });
});

describe('folder:DIR image folders', () => {
  let dir: string;
  const images = {
    'train/zebra/a.png': pattern(4, 4, 3, 1),
    'train/cat/b.png': pattern(4, 4, 1, 2),
    'train/cat/sub/c.png': pattern(4, 4, 4, 3),
    'train/dog/d.png': pattern(4, 4, 3, 4),
    'test/dog/e.png': pattern(4, 4, 3, 5),
    'test/cat/f.png': pattern(4, 4, 3, 6),
  };

  beforeAll(async () => {
    dir = tmpDir();
    for (const [f, p] of Object.entries(images)) await writeImage(path.join(dir, f), p);
    fs.writeFileSync(path.join(dir, 'train', 'cat', '.DS_Store'), 'junk');
  });

  it('labels classes by sorted folder name and uses the training classes for the test split', async () => {
    const { train, test } = await loadImageFolder(dir, ['train', 'test'], { input: [4, 4, 3] });
    expect(train!.classNames).toEqual(['cat', 'dog', 'zebra']);
    expect(train!.numClasses).toBe(3);
    expect([...train!.labels]).toEqual([0, 0, 1, 2]);
    expect(train!.shape).toEqual([4, 4, 3]);
    const order = [
      'train/cat/b.png',
      'train/cat/sub/c.png',
      'train/dog/d.png',
      'train/zebra/a.png',
    ];
    near(
      train!.images,
      order.flatMap((f) => expected(images[f as keyof typeof images], 3)),
    );
    expect(test!.classNames).toEqual(['cat', 'dog', 'zebra']);
    expect([...test!.labels]).toEqual([0, 1]);
    expect(train!.name).toBe(`${path.basename(dir)} train`);
  });

  it('fits images to the model input: grey and resized', async () => {
    const { train } = await loadImageFolder(dir, ['train'], { input: [8, 6, 1] });
    expect(train!.shape).toEqual([8, 6, 1]);
    expect(train!.images.length).toBe(4 * 8 * 6);
    expect(Math.max(...train!.images)).toBeLessThanOrEqual(1);
  });

  it('takes the first image’s size when the input size is symbolic', async () => {
    const { test } = await loadImageFolder(dir, ['test'], { input: [-1, -1, 3] });
    expect(test!.shape).toEqual([4, 4, 3]);
  });

  it('treats a folder without train/test as the training set, or the test set for evaluate', async () => {
    const flatDir = tmpDir();
    await writeImage(path.join(flatDir, 'b', '1.png'), pattern(3, 3, 3));
    await writeImage(path.join(flatDir, 'a', '1.jpg'), pattern(5, 5, 3), 'jpeg');
    fs.writeFileSync(path.join(flatDir, 'README.txt'), 'top-level files are ignored');
    const splits = await loadImageFolder(flatDir, ['train', 'test'], { input: [4, 4, 3] });
    expect(Object.keys(splits)).toEqual(['train']);
    expect([...splits.train!.labels]).toEqual([0, 1]);
    const ev = await loadImageFolder(flatDir, ['test'], { input: [4, 4, 3] });
    expect(Object.keys(ev)).toEqual(['test']);
  });

  it.each([
    [
      'a missing folder',
      async (d: string) => path.join(d, 'missing'),
      /missing: no such directory$/,
    ],
    ['an empty folder', async (d: string) => d, /: no class folders: .*; it is empty$/],
    [
      'a folder of loose files',
      async (d: string) => {
        await writeImage(path.join(d, 'x.png'), pattern(2, 2, 3));
        return d;
      },
      /: no class folders: .*; found 1 file and no folders$/,
    ],
    [
      'an empty class folder',
      async (d: string) => {
        await writeImage(path.join(d, 'a', 'x.png'), pattern(2, 2, 3));
        fs.mkdirSync(path.join(d, 'b'));
        return d;
      },
      /[/\\]b: no images in this class folder$/,
    ],
    [
      'a file that is not an image',
      async (d: string) => {
        await writeImage(path.join(d, 'a', 'x.png'), pattern(2, 2, 3));
        fs.writeFileSync(path.join(d, 'a', 'notes.txt'), 'not an image');
        return d;
      },
      /[/\\]a[/\\]notes\.txt: not a readable image \(/,
    ],
    [
      'a corrupt PNG',
      async (d: string) => {
        const png = await encode(pattern(6, 6, 3), 'png');
        fs.mkdirSync(path.join(d, 'a'));
        fs.writeFileSync(path.join(d, 'a', 'bad.png'), png.subarray(0, png.length - 30));
        return d;
      },
      /[/\\]a[/\\]bad\.png: not a readable image \(/,
    ],
    [
      'a test class that training lacks',
      async (d: string) => {
        await writeImage(path.join(d, 'train', 'a', 'x.png'), pattern(2, 2, 3));
        await writeImage(path.join(d, 'test', 'horse', 'x.png'), pattern(2, 2, 3));
        return d;
      },
      /[/\\]test[/\\]horse: class "horse" is not among the training classes \(a\)$/,
    ],
    [
      'a test split without a train split',
      async (d: string) => {
        await writeImage(path.join(d, 'test', 'a', 'x.png'), pattern(2, 2, 3));
        return d;
      },
      /: has a test folder but no train folder to train on$/,
    ],
  ])('rejects %s with the path', async (_, make, pattern_) => {
    const d = await make(tmpDir());
    expect(await rejects(loadImageFolder(d, ['train', 'test'], { input: [2, 2, 3] }))).toMatch(
      pattern_,
    );
  });

  it('rejects a path that is a file', async () => {
    const d = tmpDir();
    fs.writeFileSync(path.join(d, 'f'), '');
    expect(await rejects(loadImageFolder(path.join(d, 'f')))).toMatch(/f: not a directory/);
  });
});
