/**
 * Convolution kernels: forward values against naive loops from PyTorch's definitions
 * (conv-cases.ts) for every case of the four ops; float32 (the GEMM path, on one thread and on the
 * worker pool) against float64 (the direct loops the gradient checks verify), forward and backward;
 * the textbook cases with values worked out by hand; and skipping dL/dx when the input needs no
 * gradient.
 */
import { afterAll, describe, expect, it } from 'vitest';
import type { Conv2dAttrs } from '../../../compiler/ir/ops.js';
import { conv2dKernel } from '../../../runtime/reference/kernels/conv.js';
import { configureParallel, parallelConfig } from '../../../runtime/reference/parallel.js';
import { cast, tensor, type Tensor } from '../../../runtime/reference/tensor.js';
import { valid } from './conv-cases.js';
import { allInstances, type ConvInstance } from './conv-setup.js';
import { ctxOf, maxDiff, opNode, randomTensor } from './op-node.js';

const titled = allInstances().map((c) => [c.title, c] as const);

describe('forward against naive loops', () => {
  it.each(titled)('%s', (_t, c) => {
    const y = c.kernel(c.node, [c.x], c.params, ctxOf()).output;
    const want = c.expected();
    expect(y.shape).toEqual(want.shape);
    expect(y.data).toBeInstanceOf(Float64Array);
    expect(maxDiff(y.data, want.data)).toBeLessThan(1e-12);
  });
});

function relErr(got: Tensor | null | undefined, want: Tensor | null | undefined): number {
  if (!got || !want) throw new Error('missing tensor');
  expect(got.shape).toEqual(want.shape);
  let scale = 1e-30;
  for (const v of want.data) scale = Math.max(scale, Math.abs(v));
  return maxDiff(got.data, want.data) / scale;
}

const initial = parallelConfig();
afterAll(() => {
  configureParallel(initial);
});

describe.each([
  ['one thread', 1],
  ['worker pool', 2],
])('float32 against float64, %s', (_name, threads) => {
  it.each(titled)('%s', (_t, c: ConvInstance) => {
    configureParallel({ threads, minFlops: 0 });
    const f64 = c.kernel(c.node, [c.x], c.params, ctxOf());
    const params32 = Object.fromEntries(
      Object.entries(c.params).map(([k, v]) => [k, cast(v, 'float32')]),
    );
    const f32 = c.kernel(c.node, [cast(c.x, 'float32')], params32, ctxOf());
    expect(f32.output.data).toBeInstanceOf(Float32Array);
    expect(relErr(f32.output, f64.output)).toBeLessThan(1e-5);
    const dy = randomTensor(f64.output.shape, 7);
    const g64 = f64.backward(dy);
    const g32 = f32.backward(cast(dy, 'float32'));
    expect(g32.inputs[0]?.data).toBeInstanceOf(Float32Array);
    expect(relErr(g32.inputs[0], g64.inputs[0])).toBeLessThan(1e-5);
    expect(Object.keys(g32.weights).sort()).toEqual(Object.keys(c.params).sort());
    for (const k of Object.keys(c.params)) {
      expect(g32.weights[k].data).toBeInstanceOf(Float32Array);
      expect(relErr(g32.weights[k], g64.weights[k])).toBeLessThan(1e-5);
    }
  });
});

describe('skipping the input gradient', () => {
  it.each(titled)('%s', (_t, c) => {
    for (const dtype of ['float32', 'float64'] as const) {
      const params = Object.fromEntries(
        Object.entries(c.params).map(([k, v]) => [k, cast(v, dtype)]),
      );
      const r = c.kernel(c.node, [cast(c.x, dtype)], params, {
        ...ctxOf(),
        needInputGrad: [false],
      });
      const g = r.backward(randomTensor(r.output.shape, 3, -1, 1, dtype));
      expect(g.inputs).toEqual([null]);
      expect(Object.keys(g.weights).sort()).toEqual(Object.keys(c.params).sort());
    }
  });
});

/** A conv2d node: 3x3 kernel, one input and one output channel unless told otherwise. */
function conv(more: Partial<Conv2dAttrs> = {}) {
  return opNode('conv2d', {
    filters: 1,
    kernel: [3, 3],
    stride: [1, 1],
    dilation: [1, 1],
    padding: valid,
    groups: 1,
    bias: false,
    ...more,
  });
}

/** The 7x7 ramp image x[i][j] = 7i + j, [1, 7, 7, 1]. */
const ramp = (dtype: 'float32' | 'float64') =>
  tensor(
    Array.from({ length: 49 }, (_, p) => p),
    [1, 7, 7, 1],
    dtype,
  );

describe.each(['float32', 'float64'] as const)('textbook cases, %s', (dtype) => {
  const run = (node: ReturnType<typeof conv>, x: Tensor, params: Record<string, Tensor>) =>
    conv2dKernel(node as never, [x], params, ctxOf()).output;
  const k3 = (values: number[]) => tensor(values, [3, 3, 1, 1], dtype);

  it('a 7x7 image with a 3x3 filter, valid, stride 1', () => {
    // Box filter: each output is the sum of a 3x3 window = 9 × its centre 7(i + 1) + (j + 1).
    const box = run(conv(), ramp(dtype), { kernel: k3([1, 1, 1, 1, 1, 1, 1, 1, 1]) });
    expect(box.shape).toEqual([1, 5, 5, 1]);
    expect([...box.data]).toEqual(
      Array.from({ length: 25 }, (_, p) => 9 * (7 * (Math.floor(p / 5) + 1) + (p % 5) + 1)),
    );
    // Horizontal gradient [−1 0 1] on every row: x[i][j+2] − x[i][j] = 2 per row, 3 rows → 6.
    const sobel = run(conv(), ramp(dtype), { kernel: k3([-1, 0, 1, -1, 0, 1, -1, 0, 1]) });
    expect([...sobel.data]).toEqual(Array(25).fill(6));
    // Discrete Laplacian of a linear image: 0.
    const lap = run(conv(), ramp(dtype), { kernel: k3([0, 1, 0, 1, -4, 1, 0, 1, 0]) });
    expect([...lap.data]).toEqual(Array(25).fill(0));
    // A single tap at the top-left corner picks x[i][j].
    const pick = run(conv(), ramp(dtype), { kernel: k3([1, 0, 0, 0, 0, 0, 0, 0, 0]) });
    expect([...pick.data]).toEqual(
      Array.from({ length: 25 }, (_, p) => 7 * Math.floor(p / 5) + (p % 5)),
    );
  });

  it.each([false, true])('an all-zero filter gives zeros, or the bias (bias %s)', (withBias) => {
    const node = conv({ filters: 3, bias: withBias, padding: { mode: 'same' } });
    const x = randomTensor([2, 6, 5, 2], 1, -1, 1, dtype);
    const params: Record<string, Tensor> = {
      kernel: tensor(new Array(54).fill(0), [3, 3, 2, 3], dtype),
    };
    if (withBias) params.bias = tensor([0.5, -2, 3], [3], dtype);
    const y = run(node, x, params);
    expect(y.shape).toEqual([2, 6, 5, 3]);
    expect([...y.data]).toEqual(
      Array.from({ length: 2 * 6 * 5 * 3 }, (_, p) => (withBias ? [0.5, -2, 3][p % 3] : 0)),
    );
  });

  it.each([
    [1, 3, [0, 1, 2]],
    [2, 2, [0, 2]],
    [3, 1, [0]],
  ])('a 5x5 input, 3x3 filter, stride %i: %ix%i output', (stride, size, starts) => {
    const x = tensor(
      Array.from({ length: 25 }, (_, p) => p),
      [1, 5, 5, 1],
      dtype,
    );
    const y = run(conv({ stride: [stride, stride] }), x, {
      kernel: k3([1, 0, 0, 0, 0, 0, 0, 0, 0]),
    });
    expect(y.shape).toEqual([1, size, size, 1]);
    // The corner tap reads the top-left pixel of each window: x[r][c] = 5r + c at r, c in starts.
    expect([...y.data]).toEqual(starts.flatMap((r) => starts.map((c) => 5 * r + c)));
  });
});
