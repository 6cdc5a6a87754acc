import { describe, expect, it } from 'vitest';
import {
  augmentBatch,
  isIdentity,
  NO_AUGMENT,
  type AugmentConfig,
} from '../../../runtime/data/augment.js';
import { rng } from '../../../runtime/data/dataset.js';

type Shape = readonly [number, number, number];

/** A batch of n distinct images with values in [0.1, 0.9]. */
function batch(n: number, shape: Shape, seed = 7): Float32Array {
  const r = rng(seed);
  return Float32Array.from({ length: n * shape[0] * shape[1] * shape[2] }, () => 0.1 + 0.8 * r());
}

/** A random() that returns the given values in turn, then fails. */
function script(...values: number[]): () => number {
  let i = 0;
  return () => {
    if (i >= values.length) throw new Error(`random() called ${i + 1} times`);
    return values[i++];
  };
}

const at = (img: Float32Array, s: Shape, y: number, x: number, c: number) =>
  img[(y * s[1] + x) * s[2] + c];

/** out[y][x] = img[fy(y, x)][fx(y, x)], or `fill` where the source is outside the image. */
function remap(
  img: Float32Array,
  s: Shape,
  f: (y: number, x: number) => [number, number],
  fill = 0,
): Float32Array {
  const out = new Float32Array(img.length);
  for (let y = 0; y < s[0]; y++)
    for (let x = 0; x < s[1]; x++)
      for (let c = 0; c < s[2]; c++) {
        const [sy, sx] = f(y, x);
        const inside = sy >= 0 && sy < s[0] && sx >= 0 && sx < s[1];
        out[(y * s[1] + x) * s[2] + c] = inside ? at(img, s, sy, sx, c) : fill;
      }
  return out;
}

const cfg = (over: Partial<AugmentConfig>): AugmentConfig => ({ ...NO_AUGMENT, ...over });

function close(a: Float32Array, b: Float32Array, tol = 1e-5): void {
  expect(a.length).toBe(b.length);
  let worst = 0;
  for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(a[i] - b[i]));
  expect(worst).toBeLessThanOrEqual(tol);
}

describe('augmentBatch geometry', () => {
  const s: Shape = [5, 6, 3];

  it('leaves the batch alone and draws nothing when everything is off', () => {
    const x = batch(2, s);
    const before = x.slice();
    expect(isIdentity(NO_AUGMENT)).toBe(true);
    expect(augmentBatch(x, 2, s, NO_AUGMENT, script())).toBe(x);
    expect(x).toEqual(before);
  });

  it.each([
    [
      'horizontal',
      { flipHorizontal: true },
      (y: number, x: number): [number, number] => [y, 5 - x],
    ],
    ['vertical', { flipVertical: true }, (y: number, x: number): [number, number] => [4 - y, x]],
  ])('flips %s exactly when random() < 1/2, in place', (_, over, f) => {
    const x = batch(2, s);
    const per = 5 * 6 * 3;
    const first = x.slice(0, per);
    const second = x.slice(per);
    augmentBatch(x, 2, s, cfg(over), script(0.2, 0.7));
    expect(x.slice(0, per)).toEqual(remap(first, s, f));
    expect(x.slice(per)).toEqual(second);
  });

  it('rotates by 180 degrees as both flips at once', () => {
    const x = batch(1, s);
    const expected = remap(x, s, (y, xx) => [4 - y, 5 - xx]);
    augmentBatch(x, 1, s, cfg({ rotation: 180 }), script(1));
    close(x, expected);
  });

  it('rotates a square image by 90 degrees as a permutation of its pixels', () => {
    const q: Shape = [4, 4, 2];
    const x = batch(1, q);
    // +90° (random() = 1 gives the top of the range): out[y][x] = in[N-1-x][y].
    const expected = remap(x, q, (y, xx) => [3 - xx, y]);
    augmentBatch(x, 1, q, cfg({ rotation: 90 }), script(1));
    close(x, expected);
  });

  it.each([
    ['zero', 0],
    ['edge', -1],
  ] as const)('translates by whole pixels, filling with %s', (fill, value) => {
    const q: Shape = [8, 8, 1];
    const x = batch(1, q);
    // translate 0.25 of 8 pixels with random() = 1: +2 in x and in y.
    const edge = (v: number) => Math.max(0, Math.min(7, v));
    const expected =
      value === 0
        ? remap(x, q, (y, xx) => [y - 2, xx - 2])
        : remap(x, q, (y, xx) => [edge(y - 2), edge(xx - 2)]);
    augmentBatch(x, 1, q, cfg({ translate: 0.25, fill }), script(1, 1));
    close(x, expected);
  });

  it('zooms about the centre: a linear ramp stays linear, twice as steep', () => {
    const q: Shape = [3, 8, 1];
    const x = new Float32Array(24);
    for (let y = 0; y < 3; y++) for (let xx = 0; xx < 8; xx++) x[y * 8 + xx] = 0.1 * xx;
    augmentBatch(x, 1, q, cfg({ zoom: [2, 2] }), script(0.5));
    // Output pixel centre xx + 0.5 sits at source (xx + 0.5 - 4) / 2 + 4 - 0.5; value 0.1 per pixel.
    for (let xx = 0; xx < 8; xx++)
      expect(x[8 + xx]).toBeCloseTo(0.1 * ((xx + 0.5 - 4) / 2 + 3.5), 5);
  });

  it('shrinks with zoom below 1 and fills the border with zeros', () => {
    const q: Shape = [8, 8, 1];
    const x = new Float32Array(64).fill(0.5);
    augmentBatch(x, 1, q, cfg({ zoom: [0.5, 0.5], fill: 'zero' }), script(0));
    // The 8x8 content covers the centre 4x4; the outer ring of 1 pixel is fully outside.
    expect(x[0]).toBe(0);
    expect(x[3 * 8 + 3]).toBeCloseTo(0.5, 6);
    expect(x[4 * 8 + 4]).toBeCloseTo(0.5, 6);
  });

  it('never leaves the range of the input with edge fill', () => {
    const x = batch(8, s, 3);
    const all = cfg({
      flipHorizontal: true,
      flipVertical: true,
      rotation: 30,
      zoom: [0.8, 1.3],
      translate: 0.2,
    });
    augmentBatch(x, 8, s, all, rng(1));
    expect(Math.min(...x)).toBeGreaterThanOrEqual(0.1 - 1e-6);
    expect(Math.max(...x)).toBeLessThanOrEqual(0.9 + 1e-6);
  });
});

describe('augmentBatch colour', () => {
  const s: Shape = [4, 4, 3];

  it('scales every value by the brightness factor', () => {
    const x = batch(1, s);
    const before = x.slice();
    augmentBatch(x, 1, s, cfg({ brightness: 0.5 }), script(0.25)); // factor 0.75
    close(
      x,
      before.map((v) => v * 0.75),
    );
  });

  it('scales distances from the mean by the contrast factor', () => {
    const x = batch(1, s);
    const before = x.slice();
    const mean = before.reduce((a, b) => a + b, 0) / before.length;
    augmentBatch(x, 1, s, cfg({ contrast: 0.5 }), script(0)); // factor 0.5
    close(
      x,
      before.map((v) => mean + 0.5 * (v - mean)),
    );
  });

  it('adds one offset per channel and clamps to [0, 1]', () => {
    const x = batch(1, s);
    const before = x.slice();
    // offsets −0.2·(1 − 2r): r = 0 → −0.2, r = 0.5 → 0, r = 1 → +0.2
    augmentBatch(x, 1, s, cfg({ channelShift: 0.2 }), script(0, 0.5, 1));
    const off = [-0.2, 0, 0.2];
    close(
      x,
      before.map((v, i) => Math.min(1, Math.max(0, v + off[i % 3]))),
    );
  });

  it('stays in [0, 1] with every transform on', () => {
    const x = batch(16, s, 9);
    const all = cfg({
      flipHorizontal: true,
      rotation: 45,
      zoom: [0.7, 1.4],
      translate: 0.3,
      brightness: 0.9,
      contrast: 0.9,
      channelShift: 0.5,
    });
    augmentBatch(x, 16, s, all, rng(5));
    expect(Math.min(...x)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...x)).toBeLessThanOrEqual(1);
  });
});

describe('augmentBatch seeding', () => {
  const s: Shape = [6, 6, 1];
  const all = cfg({ flipHorizontal: true, rotation: 20, translate: 0.1, brightness: 0.2 });

  it('gives the same batch for the same seed and another for another seed', () => {
    const a = augmentBatch(batch(4, s), 4, s, all, rng(11));
    const b = augmentBatch(batch(4, s), 4, s, all, rng(11));
    const c = augmentBatch(batch(4, s), 4, s, all, rng(12));
    expect(a).toEqual(b);
    expect(a).not.toEqual(c);
  });

  it('touches only the first n images of a larger buffer', () => {
    const x = batch(3, s);
    const tail = x.slice(2 * 36);
    augmentBatch(x, 2, s, all, rng(1));
    expect(x.slice(2 * 36)).toEqual(tail);
  });
});
