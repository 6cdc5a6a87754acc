/**
 * The float32 convolutions (forward, input gradient, filter gradient) — im2col GEMM
 * (conv-gemm.ts) and Winograd F(2×2, 3×3) (conv-winograd.ts) — against naive loops written here
 * from the definitions — the gradients as gathers over every (output, tap) pair that reaches an
 * input or filter element, not as the col2im / transposed-im2col / transform adjoints the kernels
 * use — on seeded random geometries (groups, strides, dilations, asymmetric and over-wide pads,
 * several row blocks, depths past one GEMM slice; for Winograd odd output sizes that cut tiles,
 * channel counts that are not multiples of 3, more tiles than one block), on one thread and on the
 * worker pool with 2 and 3 threads. Also: which path conv.ts picks.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { seededRandom } from '../../../runtime/init.js';
import {
  configureWinograd,
  conv2dFilterGradF32,
  conv2dForwardF32,
  conv2dInputGradF32,
  convFilterGrad,
  convForward,
  convInputGrad,
  winogradApplies,
  winogradFilterGradF32,
  winogradForwardF32,
  winogradInputGradF32,
  type ConvGeometry,
} from '../../../runtime/reference/kernels/conv.js';
import { configureParallel, parallelConfig } from '../../../runtime/reference/parallel.js';

function random(n: number, seed: number): Float32Array {
  const r = seededRandom(seed);
  return Float32Array.from({ length: n }, () => 2 * r() - 1);
}

/** Every (output position, tap, input channel, filter) product term, in no particular order. */
function forEachTerm(g: ConvGeometry, visit: (xi: number, wi: number, yi: number) => void): void {
  const cg = g.c / g.groups;
  const cog = g.co / g.groups;
  for (let n = 0; n < g.n; n++)
    for (let oy = 0; oy < g.oh; oy++)
      for (let ox = 0; ox < g.ow; ox++)
        for (let f = 0; f < g.co; f++) {
          const grp = Math.floor(f / cog);
          for (let ky = 0; ky < g.kh; ky++)
            for (let kx = 0; kx < g.kw; kx++) {
              const iy = oy * g.sh + ky * g.dh - g.pt;
              const ix = ox * g.sw + kx * g.dw - g.pl;
              if (iy < 0 || iy >= g.h || ix < 0 || ix >= g.w) continue;
              for (let ci = 0; ci < cg; ci++) {
                const xi = ((n * g.h + iy) * g.w + ix) * g.c + grp * cg + ci;
                const wi = ((ky * g.kw + kx) * cg + ci) * g.co + f;
                const yi = ((n * g.oh + oy) * g.ow + ox) * g.co + f;
                visit(xi, wi, yi);
              }
            }
        }
}

function naive(g: ConvGeometry, x: Float32Array, w: Float32Array, dy: Float32Array) {
  const y = new Float64Array(dy.length);
  const dx = new Float64Array(x.length);
  const dw = new Float64Array(w.length);
  forEachTerm(g, (xi, wi, yi) => {
    y[yi] += x[xi] * w[wi];
    dx[xi] += dy[yi] * w[wi];
    dw[wi] += x[xi] * dy[yi];
  });
  return { y, dx, dw };
}

function relErr(got: ArrayLike<number>, want: ArrayLike<number>): number {
  expect(got.length).toBe(want.length);
  let err = 0;
  let scale = 1e-30;
  for (let i = 0; i < got.length; i++) {
    err = Math.max(err, Math.abs(got[i] - want[i]));
    scale = Math.max(scale, Math.abs(want[i]));
  }
  return err / scale;
}

type G = Omit<ConvGeometry, 'oh' | 'ow'> & { readonly pb: number; readonly pr: number };

/** The geometry with its output size: floor((in + pads − effK) / s) + 1. */
function geometry(g: G): ConvGeometry {
  const oh = Math.floor((g.h + g.pt + g.pb - (g.dh * (g.kh - 1) + 1)) / g.sh) + 1;
  const ow = Math.floor((g.w + g.pl + g.pr - (g.dw * (g.kw - 1) + 1)) / g.sw) + 1;
  const { pb: _pb, pr: _pr, ...rest } = g;
  return { ...rest, oh, ow };
}

const base = { sh: 1, sw: 1, dh: 1, dw: 1, pt: 0, pl: 0, pb: 0, pr: 0, groups: 1 };
const GEOMETRIES: readonly G[] = [
  { ...base, n: 1, h: 7, w: 7, c: 1, co: 1, kh: 3, kw: 3 },
  { ...base, n: 2, h: 6, w: 5, c: 3, co: 5, kh: 3, kw: 2, pt: 1, pl: 0, pb: 1, pr: 2 },
  { ...base, n: 2, h: 9, w: 8, c: 4, co: 6, kh: 3, kw: 3, sh: 2, sw: 3, pt: 2, pl: 1, pb: 0 },
  { ...base, n: 1, h: 10, w: 9, c: 4, co: 8, kh: 3, kw: 2, dh: 2, dw: 3, pt: 1, pl: 3, pr: 1 },
  { ...base, n: 2, h: 7, w: 7, c: 6, co: 4, kh: 3, kw: 3, groups: 2, pt: 1, pl: 1, pb: 1, pr: 1 },
  { ...base, n: 1, h: 5, w: 5, c: 6, co: 9, kh: 1, kw: 1, groups: 3, sh: 2, sw: 2 },
  { ...base, n: 2, h: 4, w: 4, c: 2, co: 3, kh: 2, kw: 2, pt: 3, pl: 2, pb: 4, pr: 3 },
  { ...base, n: 3, h: 9, w: 9, c: 48, co: 17, kh: 3, kw: 3, pt: 1, pl: 1, pb: 1, pr: 1 },
  { ...base, n: 5, h: 12, w: 11, c: 3, co: 10, kh: 5, kw: 5, sh: 2, sw: 2, pt: 2, pl: 2, pb: 2 },
];

/** 3×3, stride 1, one group: the convolutions Winograd F(2×2, 3×3) computes. */
const WINOGRAD_GEOMETRIES: readonly G[] = [
  { ...base, n: 1, h: 7, w: 7, c: 1, co: 1, kh: 3, kw: 3 },
  { ...base, n: 2, h: 7, w: 9, c: 10, co: 11, kh: 3, kw: 3, pt: 1, pl: 1, pb: 1, pr: 1 },
  { ...base, n: 3, h: 5, w: 6, c: 4, co: 8, kh: 3, kw: 3, pt: 2, pl: 2, pb: 2, pr: 2 },
  { ...base, n: 2, h: 6, w: 5, c: 9, co: 13, kh: 3, kw: 3, pt: 1, pl: 0, pb: 0, pr: 0 },
  { ...base, n: 1, h: 4, w: 3, c: 2, co: 2, kh: 3, kw: 3, pt: 3, pl: 0, pb: 1, pr: 4 },
  // 13 images × 25 tiles: several forward (48) and filter-gradient (96) blocks, a ragged last one.
  { ...base, n: 13, h: 9, w: 10, c: 7, co: 5, kh: 3, kw: 3, pt: 1, pl: 1, pb: 1, pr: 1 },
];

const title = (g: G) =>
  `[${g.n},${g.h},${g.w},${g.c}] k${g.kh}x${g.kw}→${g.co} s${g.sh},${g.sw} d${g.dh},${g.dw} ` +
  `pads ${g.pt},${g.pb},${g.pl},${g.pr} groups ${g.groups}`;

const initial = parallelConfig();
afterAll(() => {
  configureParallel(initial);
});

interface Algorithm {
  readonly forward: (x: Float32Array, w: Float32Array, g: ConvGeometry) => Float32Array;
  readonly inputGrad: (dy: Float32Array, w: Float32Array, g: ConvGeometry) => Float32Array;
  readonly filterGrad: (x: Float32Array, dy: Float32Array, g: ConvGeometry) => Float32Array;
}
const GEMM: Algorithm = {
  forward: (x, w, g) => conv2dForwardF32(x, w, g),
  inputGrad: conv2dInputGradF32,
  filterGrad: conv2dFilterGradF32,
};
const WINOGRAD: Algorithm = {
  forward: (x, w, g) => winogradForwardF32(x, w, g),
  inputGrad: winogradInputGradF32,
  filterGrad: winogradFilterGradF32,
};

// Two threads split the input gradient of 5 images by image, three by rows (< 2 per thread).
describe.each([
  ['im2col GEMM', 'one thread', 1, GEMM, GEOMETRIES],
  ['im2col GEMM', 'two threads', 2, GEMM, GEOMETRIES],
  ['im2col GEMM', 'three threads', 3, GEMM, GEOMETRIES],
  ['Winograd', 'one thread', 1, WINOGRAD, WINOGRAD_GEOMETRIES],
  ['Winograd', 'two threads', 2, WINOGRAD, WINOGRAD_GEOMETRIES],
  ['Winograd', 'three threads', 3, WINOGRAD, WINOGRAD_GEOMETRIES],
] as const)('float32 %s convolution, %s', (_alg, _name, threads, alg, geometries) => {
  it.each(geometries.map((g) => [title(g), g] as const))('%s', (_t, g) => {
    configureParallel({ threads, minFlops: 0 });
    const geo = geometry(g);
    const x = random(geo.n * geo.h * geo.w * geo.c, 1);
    const w = random(geo.kh * geo.kw * (geo.c / geo.groups) * geo.co, 2);
    const dy = random(geo.n * geo.oh * geo.ow * geo.co, 3);
    const want = naive(geo, x, w, dy);
    expect(relErr(alg.forward(x, w, geo), want.y)).toBeLessThan(1e-5);
    expect(relErr(alg.inputGrad(dy, w, geo), want.dx)).toBeLessThan(1e-5);
    expect(relErr(alg.filterGrad(x, dy, geo), want.dw)).toBeLessThan(1e-5);
  });
});

describe('which float32 convolution conv.ts runs', () => {
  const square = (c: number, co: number, size: number, extra: Partial<G> = {}) =>
    geometry({
      ...base,
      n: 2,
      h: size,
      w: size,
      c,
      co,
      kh: 3,
      kw: 3,
      pt: 1,
      pl: 1,
      pb: 1,
      pr: 1,
      ...extra,
    });

  it('picks Winograd for 3×3 stride-1 convolutions of 8+ channels and 6×6+ outputs only', () => {
    expect(winogradApplies(square(64, 64, 56))).toBe(true);
    expect(winogradApplies(square(8, 8, 6))).toBe(true);
    expect(winogradApplies(square(3, 64, 56))).toBe(false); // an RGB first layer
    expect(winogradApplies(square(64, 4, 56))).toBe(false);
    expect(winogradApplies(square(64, 64, 5))).toBe(false);
    expect(winogradApplies(square(64, 64, 56, { sh: 2, sw: 2 }))).toBe(false);
    expect(winogradApplies(square(64, 64, 56, { dh: 2, dw: 2 }))).toBe(false);
    expect(winogradApplies(square(64, 64, 56, { groups: 2 }))).toBe(false);
    expect(winogradApplies(square(64, 64, 56, { kh: 5, kw: 5, pt: 2, pl: 2, pb: 2, pr: 2 }))).toBe(
      false,
    );
    const prev = configureWinograd(false);
    try {
      expect(winogradApplies(square(64, 64, 56))).toBe(false);
    } finally {
      configureWinograd(prev);
    }
  });

  it('gives the same results with Winograd on and off (with a bias)', () => {
    configureParallel({ threads: 2, minFlops: 0 });
    const geo = square(16, 12, 9);
    expect(winogradApplies(geo)).toBe(true);
    const x = random(geo.n * geo.h * geo.w * geo.c, 7);
    const w = random(9 * geo.c * geo.co, 8);
    const dy = random(geo.n * geo.oh * geo.ow * geo.co, 9);
    const bias = random(geo.co, 10);
    const run = () => ({
      y: convForward(x, w, geo, bias),
      dx: convInputGrad(dy, w, geo),
      dw: convFilterGrad(x, dy, geo),
    });
    const on = run();
    const prev = configureWinograd(false);
    let off: ReturnType<typeof run>;
    try {
      off = run();
    } finally {
      configureWinograd(prev);
    }
    expect(relErr(on.y, off.y)).toBeLessThan(1e-6);
    expect(relErr(on.dx, off.dx)).toBeLessThan(1e-6);
    expect(relErr(on.dw, off.dw)).toBeLessThan(1e-6);
  });
});

describe('float32 GEMM convolution, bias and shared outputs', () => {
  it('adds the bias per output channel, on either path', () => {
    const geo = geometry({ ...base, n: 2, h: 5, w: 6, c: 3, co: 5, kh: 3, kw: 3, pt: 1, pb: 1 });
    const x = random(geo.n * geo.h * geo.w * geo.c, 4);
    const w = random(geo.kh * geo.kw * geo.c * geo.co, 5);
    const bias = random(geo.co, 6);
    for (const threads of [1, 2]) {
      configureParallel({ threads, minFlops: 0 });
      const y0 = conv2dForwardF32(x, w, geo);
      const y1 = conv2dForwardF32(x, w, geo, bias);
      for (let i = 0; i < y0.length; i++) expect(y1[i] - y0[i]).toBeCloseTo(bias[i % geo.co], 6);
    }
  });

  it('rejects channel counts that the groups do not divide', () => {
    const geo = { ...geometry({ ...base, n: 1, h: 3, w: 3, c: 3, co: 4, kh: 1, kw: 1 }) };
    const bad = { ...geo, groups: 2 };
    expect(() => conv2dForwardF32(new Float32Array(27), new Float32Array(6), bad)).toThrow(
      /groups/,
    );
  });
});
