/**
 * Pools of the reference executor: forward values against a naive loop written from PyTorch's
 * definitions (explicit window bounds and divisors), and finite-difference gradients, over a table of
 * kernel / stride / padding / ceil / countIncludePad combinations, 1-D and 2-D, plus global and
 * adaptive pools.
 */
import { describe, expect, it } from 'vitest';
import type { Padding } from '../../../compiler/ir/ops.js';
import {
  adaptiveAvgPoolKernel,
  adaptiveMaxPoolKernel,
  avgPoolKernel,
  globalAvgPoolKernel,
  globalMaxPoolKernel,
  maxPoolKernel,
} from '../../../runtime/reference/kernels/pool.js';
import { cast, type Tensor, tensor } from '../../../runtime/reference/tensor.js';
import { windowPads } from '../../../runtime/window.js';
import { gradCheck } from './gradcheck.js';
import { asKernel, at4, ctxOf, distinctTensor, maxDiff, opNode, randomTensor } from './op-node.js';

type How = 'max' | 'avg';

interface PoolCase {
  readonly shape: readonly number[];
  readonly kernel: readonly number[];
  readonly stride: readonly number[];
  readonly padding: Padding;
  readonly ceil: boolean;
}

const explicit = (...pads: number[]): Padding => ({ mode: 'explicit', pads });
const valid: Padding = { mode: 'valid' };

const CASES: readonly PoolCase[] = [
  { shape: [2, 4, 4, 2], kernel: [2, 2], stride: [2, 2], padding: valid, ceil: false },
  { shape: [1, 5, 5, 2], kernel: [2, 2], stride: [2, 2], padding: valid, ceil: false },
  { shape: [1, 5, 6, 2], kernel: [3, 3], stride: [1, 1], padding: valid, ceil: false },
  {
    shape: [1, 6, 5, 2],
    kernel: [3, 3],
    stride: [2, 2],
    padding: explicit(1, 1, 1, 1),
    ceil: false,
  },
  { shape: [1, 6, 7, 2], kernel: [3, 3], stride: [2, 2], padding: { mode: 'same' }, ceil: false },
  { shape: [1, 5, 5, 2], kernel: [2, 2], stride: [2, 2], padding: valid, ceil: true },
  {
    shape: [1, 6, 6, 2],
    kernel: [3, 3],
    stride: [2, 2],
    padding: explicit(1, 1, 1, 1),
    ceil: true,
  },
  {
    shape: [1, 5, 6, 2],
    kernel: [2, 3],
    stride: [1, 2],
    padding: explicit(0, 1, 1, 0),
    ceil: false,
  },
  { shape: [1, 4, 5, 1], kernel: [3, 3], stride: [2, 2], padding: { mode: 'full' }, ceil: false },
  {
    shape: [2, 7, 5, 2],
    kernel: [3, 2],
    stride: [2, 3],
    padding: explicit(1, 1, 1, 0),
    ceil: true,
  },
  { shape: [2, 7, 3], kernel: [3], stride: [2], padding: explicit(1, 1), ceil: true },
  { shape: [1, 6, 2], kernel: [2], stride: [1], padding: valid, ceil: false },
  { shape: [1, 10, 2], kernel: [4], stride: [3], padding: { mode: 'same' }, ceil: false },
  { shape: [1, 8, 2], kernel: [3], stride: [2], padding: explicit(1, 0), ceil: true },
];

const title = (c: PoolCase) =>
  `[${c.shape}] k${c.kernel.join('x')} s${c.stride.join('x')} ${
    c.padding.mode === 'explicit' ? `pads ${c.padding.pads}` : c.padding.mode
  }${c.ceil ? ' ceil' : ''}`;

/** PyTorch's output size, restated: a ceil-mode window must start inside input + left padding. */
function outSize(input: number, k: number, s: number, pb: number, pe: number, ceil: boolean) {
  const span = input + pb + pe - k;
  let out = (ceil ? Math.ceil(span / s) : Math.floor(span / s)) + 1;
  if (ceil && (out - 1) * s >= input + pb) out--;
  return out;
}

/** Naive PyTorch max/avg pool of an NHWC tensor (a 1-D input is [N, 1, L, C] with a 1-row window). */
function naivePool(c: PoolCase, x: Tensor, how: How, includePad: boolean): Tensor {
  const oneD = c.shape.length === 3;
  const s = oneD ? [c.shape[0], 1, c.shape[1], c.shape[2]] : c.shape;
  const [N, H, W, C] = s;
  const k = oneD ? [1, c.kernel[0]] : c.kernel;
  const st = oneD ? [1, c.stride[0]] : c.stride;
  const ph = oneD ? { before: 0, after: 0 } : windowPads(c.padding, 0, H, k[0], st[0]);
  const pw = windowPads(c.padding, oneD ? 0 : 1, W, k[1], st[1]);
  const OH = outSize(H, k[0], st[0], ph.before, ph.after, c.ceil);
  const OW = outSize(W, k[1], st[1], pw.before, pw.after, c.ceil);
  const out: number[] = [];
  for (let n = 0; n < N; n++)
    for (let oh = 0; oh < OH; oh++)
      for (let ow = 0; ow < OW; ow++)
        for (let ch = 0; ch < C; ch++) {
          let best = -Infinity;
          let sum = 0;
          let inside = 0;
          let padded = 0;
          for (let i = 0; i < k[0]; i++) {
            for (let j = 0; j < k[1]; j++) {
              const h = oh * st[0] - ph.before + i;
              const w = ow * st[1] - pw.before + j;
              const inPadded =
                h >= -ph.before && h < H + ph.after && w >= -pw.before && w < W + pw.after;
              if (inPadded) padded++;
              if (h < 0 || h >= H || w < 0 || w >= W) continue;
              const v = x.data[at4(s, n, h, w, ch)];
              best = Math.max(best, v);
              sum += v;
              inside++;
            }
          }
          out.push(how === 'max' ? best : sum / (includePad ? padded : inside));
        }
  return tensor(out, oneD ? [N, OW, C] : [N, OH, OW, C], 'float64');
}

function poolNode(c: PoolCase, how: How, includePad: boolean) {
  const attrs = {
    kernel: c.kernel,
    stride: c.stride,
    padding: c.padding,
    ceil: c.ceil,
    countIncludePad: includePad,
  };
  return how === 'max' ? opNode('max_pool', attrs) : opNode('avg_pool', attrs);
}

const kernelOf = (how: How) => (how === 'max' ? asKernel(maxPoolKernel) : asKernel(avgPoolKernel));

const VARIANTS: readonly [How, boolean][] = [
  ['max', false],
  ['avg', true],
  ['avg', false],
];
const TABLE = CASES.flatMap((c, i) =>
  VARIANTS.map(([how, inc]) => ({
    c,
    how,
    inc,
    seed: 10 + i,
    name: `${how}${how === 'avg' ? (inc ? ' countIncludePad' : ' excludePad') : ''} ${title(c)}`,
  })),
);

describe('max_pool and avg_pool', () => {
  it.each(TABLE)('$name: forward matches the naive PyTorch loop', ({ c, how, inc, seed }) => {
    const x = randomTensor(c.shape, seed);
    const y = kernelOf(how)(poolNode(c, how, inc), [x], {}, ctxOf()).output;
    const want = naivePool(c, x, how, inc);
    expect(y.shape).toEqual(want.shape);
    expect(maxDiff(y.data, want.data)).toBeLessThan(1e-12);
  });

  it.each(TABLE)('$name: gradient matches finite differences', ({ c, how, inc, seed }) => {
    const x = distinctTensor(c.shape, seed);
    const r = gradCheck(kernelOf(how), poolNode(c, how, inc), [x]);
    expect(r.mismatches).toEqual([]);
    expect(r.checked).toBe(x.data.length);
  });

  it('avg_pool divisors: padding counts with countIncludePad, the ceil overhang never', () => {
    // [1, 2, 3, 4], k3 s2 pad 1 ceil: windows [-1, 2), [1, 4), [3, 6) where 5 is past the padding.
    const c: PoolCase = {
      shape: [1, 4, 1],
      kernel: [3],
      stride: [2],
      padding: explicit(1, 1),
      ceil: true,
    };
    const x = tensor([1, 2, 3, 4], [1, 4, 1], 'float64');
    const incl = avgPoolKernel(poolNode(c, 'avg', true) as never, [x], {}, ctxOf()).output;
    const excl = avgPoolKernel(poolNode(c, 'avg', false) as never, [x], {}, ctxOf()).output;
    expect([...incl.data]).toEqual([3 / 3, 9 / 3, 4 / 2]);
    expect([...excl.data]).toEqual([3 / 2, 9 / 3, 4 / 1]);
  });

  it('max_pool backward sums dy over every overlapping window that picked a position', () => {
    const x = tensor([1, 2, 3, 4, 9, 5, 6, 7, 8], [1, 3, 3, 1], 'float64');
    const c: PoolCase = {
      shape: [1, 3, 3, 1],
      kernel: [2, 2],
      stride: [1, 1],
      padding: valid,
      ceil: false,
    };
    const r = maxPoolKernel(poolNode(c, 'max', false) as never, [x], {}, ctxOf());
    expect([...r.output.data]).toEqual([9, 9, 9, 9]);
    const dx = r.backward(tensor([1, 10, 100, 1000], [1, 2, 2, 1], 'float64')).inputs[0];
    expect([...dx!.data]).toEqual([0, 0, 0, 0, 1111, 0, 0, 0, 0]);
  });

  it('works in float32 (float32 output, same values) and skips unwanted input gradients', () => {
    const c = CASES[6];
    const x64 = randomTensor(c.shape, 3);
    const x32 = cast(x64, 'float32');
    for (const [how, inc] of VARIANTS) {
      const node = poolNode(c, how, inc);
      const y64 = kernelOf(how)(node, [x64], {}, ctxOf()).output;
      const r32 = kernelOf(how)(node, [x32], {}, { ...ctxOf(), needInputGrad: [false] });
      expect(r32.output.data).toBeInstanceOf(Float32Array);
      expect(maxDiff(r32.output.data, y64.data)).toBeLessThan(1e-6);
      expect(r32.backward(r32.output).inputs).toEqual([null]);
    }
  });
});

describe('global pools', () => {
  const GLOBAL = [
    { shape: [2, 3, 4, 5], keepDims: false },
    { shape: [2, 3, 4, 5], keepDims: true },
    { shape: [2, 6, 3], keepDims: false },
    { shape: [2, 6, 3], keepDims: true },
  ].flatMap((g) => (['max', 'avg'] as const).map((how) => ({ ...g, how })));

  const run = (how: How, keepDims: boolean) => ({
    node: opNode(how === 'max' ? 'global_max_pool' : 'global_avg_pool', { keepDims }),
    kernel: how === 'max' ? asKernel(globalMaxPoolKernel) : asKernel(globalAvgPoolKernel),
  });

  it.each(GLOBAL)('$how [$shape] keepDims $keepDims', ({ shape, keepDims, how }) => {
    const x = distinctTensor(shape, 7);
    const { node, kernel } = run(how, keepDims);
    const y = kernel(node, [x], {}, ctxOf()).output;
    const [N, C] = [shape[0], shape[shape.length - 1]];
    const positions = x.data.length / (N * C);
    const want: number[] = [];
    for (let n = 0; n < N; n++) {
      for (let c = 0; c < C; c++) {
        const vals = Array.from(
          { length: positions },
          (_, p) => x.data[(n * positions + p) * C + c],
        );
        want.push(how === 'max' ? Math.max(...vals) : vals.reduce((a, b) => a + b) / positions);
      }
    }
    const kept = shape.length === 4 ? [N, 1, 1, C] : [N, 1, C];
    expect(y.shape).toEqual(keepDims ? kept : [N, C]);
    expect(maxDiff(y.data, want)).toBeLessThan(1e-12);
    expect(gradCheck(kernel, node, [x]).mismatches).toEqual([]);
  });
});

describe('adaptive pools', () => {
  /** PyTorch's bins. */
  const bin = (i: number, input: number, out: number) => [
    Math.floor((i * input) / out),
    Math.ceil(((i + 1) * input) / out),
  ];

  function naiveAdaptive(x: Tensor, out: readonly number[], how: How): Tensor {
    const oneD = x.shape.length === 3;
    const s = oneD ? [x.shape[0], 1, x.shape[1], x.shape[2]] : x.shape;
    const o = oneD ? [1, out[0]] : out;
    const [N, H, W, C] = s;
    const vals: number[] = [];
    for (let n = 0; n < N; n++)
      for (let i = 0; i < o[0]; i++)
        for (let j = 0; j < o[1]; j++)
          for (let c = 0; c < C; c++) {
            const [h0, h1] = bin(i, H, o[0]);
            const [w0, w1] = bin(j, W, o[1]);
            const win: number[] = [];
            for (let h = h0; h < h1; h++)
              for (let w = w0; w < w1; w++) win.push(x.data[at4(s, n, h, w, c)]);
            vals.push(how === 'max' ? Math.max(...win) : win.reduce((a, b) => a + b) / win.length);
          }
    return tensor(vals, oneD ? [N, o[1], C] : [N, o[0], o[1], C], 'float64');
  }

  const ADAPTIVE = [
    { shape: [1, 5, 7, 2], output: [3, 4], bins: 'overlapping' },
    { shape: [2, 6, 4, 2], output: [3, 2], bins: 'exact' },
    { shape: [1, 3, 3, 1], output: [5, 4], bins: 'repeating' },
    { shape: [2, 7, 3], output: [3], bins: 'overlapping 1-D' },
    { shape: [1, 6, 2], output: [2], bins: 'exact 1-D' },
  ].flatMap((a) => (['max', 'avg'] as const).map((how) => ({ ...a, how })));

  it.each(ADAPTIVE)('$how [$shape] → $output ($bins bins)', ({ shape, output, how }) => {
    const x = distinctTensor(shape, 11);
    const node = opNode(how === 'max' ? 'adaptive_max_pool' : 'adaptive_avg_pool', { output });
    const kernel =
      how === 'max' ? asKernel(adaptiveMaxPoolKernel) : asKernel(adaptiveAvgPoolKernel);
    const y = kernel(node, [x], {}, ctxOf()).output;
    const want = naiveAdaptive(x, output, how);
    expect(y.shape).toEqual(want.shape);
    expect(maxDiff(y.data, want.data)).toBeLessThan(1e-12);
    expect(gradCheck(kernel, node, [x]).mismatches).toEqual([]);
  });

  it('overlapping bins share positions: 5 → 3 gives [0, 2), [1, 4), [3, 5)', () => {
    expect([0, 1, 2].map((i) => bin(i, 5, 3))).toEqual([
      [0, 2],
      [1, 4],
      [3, 5],
    ]);
    const x = tensor([1, 2, 3, 4, 5], [1, 5, 1], 'float64');
    const node = opNode('adaptive_avg_pool', { output: [3] });
    expect([...asKernel(adaptiveAvgPoolKernel)(node, [x], {}, ctxOf()).output.data]).toEqual([
      1.5, 3, 4.5,
    ]);
  });
});
