// The gradient kernels cnnc registers for the wasm backend, checked against tfjs's cpu backend
// (through tf.grad, as training uses them; with the generated SIMD kernels and, for some cases,
// without them) and, where tfjs's own gradients refuse the config (dilations > 1), against the
// definition written as plain loops. Error measure: the largest
// absolute difference divided by the largest magnitude of the reference.

import type * as Tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  originalKernel,
  registerWasmGradKernels,
  WASM_GRAD_KERNELS,
  WASM_OVERRIDDEN_KERNELS,
} from '../../../runtime/tfjs/wasm-kernels.js';
import { simdPathCounts } from '../../../runtime/tfjs/kernel-utils.js';
import { tilingOf } from '../../../runtime/tfjs/simd-conv.js';
import type { ConvTiling } from '../../../runtime/tfjs/simd-conv-tile.js';
import { narrowRuns } from '../../../runtime/tfjs/simd-conv-narrow.js';
import { wasmOverrides } from '../../../runtime/tfjs/wasm-overrides.js';
import { loadCpuAndWasm, relErr, seeded } from './kernel-setup.js';

type Pad = 'valid' | 'same' | [[0, 0], [number, number], [number, number], [0, 0]];
type Shape4 = [number, number, number, number];

interface ConvCase {
  readonly x: Shape4;
  readonly k: [number, number];
  readonly out: number; // output channels, or the channel multiplier for depthwise
  readonly stride: [number, number];
  readonly pad: Pad;
}

const TOLERANCE = 1e-4;

let tf: typeof Tf;

beforeAll(async () => {
  tf = await loadCpuAndWasm();
});

const size = (s: readonly number[]): number => s.reduce((a, b) => a * b, 1);
const title = (c: ConvCase): string =>
  `x [${c.x}] k ${c.k.join('x')} out ${c.out} stride ${c.stride.join(',')} pad ${JSON.stringify(c.pad)}`;

/** Gradients of sum(op(x, w) · r) with respect to x and w, on the named backend. */
async function grads(
  backend: 'cpu' | 'wasm',
  c: ConvCase,
  depthwise: boolean,
  simd = true,
): Promise<{ dx: Float32Array; dw: Float32Array }> {
  await tf.setBackend(backend);
  if (!simd) process.env['CNNC_NO_SIMD_KERNELS'] = '1';
  const wShape: Shape4 = [c.k[0], c.k[1], c.x[3], c.out];
  const conv = (x: Tf.Tensor4D, w: Tf.Tensor4D): Tf.Tensor4D =>
    depthwise ? tf.depthwiseConv2d(x, w, c.stride, c.pad) : tf.conv2d(x, w, c.stride, c.pad);
  const before = tf.memory().numTensors;
  const [dx, dw] = tf.tidy(() => {
    const x = tf.tensor4d(seeded(size(c.x), 1), c.x);
    const w = tf.tensor4d(seeded(size(wShape), 2), wShape);
    const outShape = conv(x, w).shape;
    const r = tf.tensor4d(seeded(size(outShape), 3), outShape);
    // tf.grads hands the inputs back as rank-erased tensors of the shapes given below.
    const f = (xv: Tf.Tensor, wv: Tf.Tensor): Tf.Scalar =>
      tf.sum(tf.mul(conv(xv as Tf.Tensor4D, wv as Tf.Tensor4D), r));
    return tf.grads(f)([x, w]);
  });
  delete process.env['CNNC_NO_SIMD_KERNELS'];
  const out = { dx: dx.dataSync<'float32'>().slice(), dw: dw.dataSync<'float32'>().slice() };
  tf.dispose([dx, dw]);
  expect(tf.memory().numTensors).toBe(before);
  return out;
}

const convCases: ConvCase[] = [
  { x: [1, 5, 5, 1], k: [3, 3], out: 1, stride: [1, 1], pad: 'valid' },
  { x: [3, 7, 6, 2], k: [3, 3], out: 4, stride: [1, 1], pad: 'same' },
  { x: [2, 9, 9, 3], k: [3, 3], out: 5, stride: [2, 2], pad: 'same' },
  { x: [3, 10, 8, 4], k: [3, 3], out: 2, stride: [2, 2], pad: 'valid' },
  { x: [1, 8, 7, 8], k: [2, 4], out: 3, stride: [1, 2], pad: 'same' },
  {
    x: [2, 6, 9, 5],
    k: [3, 1],
    out: 8,
    stride: [2, 1],
    pad: [
      [0, 0],
      [1, 2],
      [0, 1],
      [0, 0],
    ],
  },
  {
    x: [3, 7, 7, 6],
    k: [5, 5],
    out: 7,
    stride: [1, 1],
    pad: [
      [0, 0],
      [2, 0],
      [1, 3],
      [0, 0],
    ],
  },
  { x: [2, 12, 12, 8], k: [1, 1], out: 8, stride: [2, 2], pad: 'valid' },
  // Input-gradient geometry: even sizes with stride 2 (asymmetric 'same' pads), rows dY never
  // reaches, explicit pads wider than the kernel, non-square kernels and strides.
  { x: [1, 8, 8, 3], k: [3, 3], out: 4, stride: [2, 2], pad: 'same' },
  { x: [3, 10, 9, 2], k: [4, 2], out: 3, stride: [2, 2], pad: 'same' },
  { x: [3, 11, 10, 3], k: [2, 3], out: 5, stride: [3, 2], pad: 'valid' },
  { x: [1, 7, 9, 4], k: [1, 5], out: 6, stride: [1, 1], pad: 'valid' },
  {
    x: [3, 9, 8, 2],
    k: [3, 2],
    out: 4,
    stride: [2, 2],
    pad: [
      [0, 0],
      [0, 3],
      [2, 1],
      [0, 0],
    ],
  },
  {
    x: [1, 6, 6, 3],
    k: [2, 2],
    out: 2,
    stride: [1, 1],
    pad: [
      [0, 0],
      [3, 1],
      [0, 4],
      [0, 0],
    ],
  },
  { x: [3, 28, 28, 1], k: [5, 5], out: 6, stride: [1, 1], pad: 'same' },
  { x: [3, 14, 14, 6], k: [5, 5], out: 16, stride: [1, 1], pad: 'valid' },
  // SIMD kernels: more than 8 vectors of input channels (accumulated in passes) and of output
  // channels (read in place), with scalar tails.
  { x: [2, 6, 7, 41], k: [3, 3], out: 37, stride: [2, 1], pad: 'same' },
  { x: [1, 5, 5, 64], k: [2, 2], out: 66, stride: [1, 1], pad: 'valid' },
  // The narrow input gradient (fewer than 8 input channels): output-channel vectors unrolled (at
  // most 8) or looped (more), with a scalar tail; strides 2 and 3 skip the taps between steps.
  { x: [2, 9, 8, 3], k: [3, 3], out: 38, stride: [2, 2], pad: 'same' },
  { x: [2, 7, 7, 7], k: [3, 3], out: 4, stride: [1, 1], pad: 'same' },
  { x: [1, 11, 10, 5], k: [4, 3], out: 9, stride: [3, 2], pad: 'valid' },
];

/**
 * The register tiles' shape classes (simd-conv-tile.ts; 8 input channels or more, where the input
 * gradient takes them): full tiles of 4 images with 1, 2 or 3
 * left over, or only the smaller tile; filter tiles of 2 input channels with 1 left over; output
 * and input channels past a multiple of 4; 1x1 and 2x2 inputs, whose filter gradient takes blocks
 * of whole images where an image has one output position (7 images of 1030 channels: blocks of 3,
 * 3 and 1), rows elsewhere; strides 2 and padding on all sides.
 */
const tileCases: [ConvCase, ConvTiling][] = [
  [
    { x: [9, 2, 2, 10], k: [3, 3], out: 13, stride: [1, 1], pad: 'same' },
    { fullImages: 8, restImages: 1, fullChannels: 10, restChannels: 0, filterBlock: 0 },
  ],
  [
    { x: [6, 1, 1, 9], k: [3, 3], out: 9, stride: [1, 1], pad: 'same' },
    { fullImages: 4, restImages: 2, fullChannels: 8, restChannels: 1, filterBlock: 455 },
  ],
  [
    { x: [7, 1, 1, 11], k: [3, 3], out: 1030, stride: [1, 1], pad: 'same' },
    { fullImages: 4, restImages: 3, fullChannels: 10, restChannels: 1, filterBlock: 3 },
  ],
  [
    { x: [8, 2, 2, 12], k: [3, 3], out: 16, stride: [2, 2], pad: 'same' },
    { fullImages: 8, restImages: 0, fullChannels: 12, restChannels: 0, filterBlock: 256 },
  ],
  [
    { x: [3, 7, 9, 13], k: [3, 3], out: 7, stride: [1, 1], pad: 'same' },
    { fullImages: 0, restImages: 3, fullChannels: 12, restChannels: 1, filterBlock: 0 },
  ],
  [
    {
      x: [7, 7, 9, 9],
      k: [3, 3],
      out: 7,
      stride: [2, 2],
      pad: [
        [0, 0],
        [1, 2],
        [2, 1],
        [0, 0],
      ],
    },
    { fullImages: 4, restImages: 3, fullChannels: 8, restChannels: 1, filterBlock: 0 },
  ],
];

const depthwiseCases: ConvCase[] = [
  { x: [1, 6, 6, 1], k: [3, 3], out: 1, stride: [1, 1], pad: 'valid' },
  { x: [3, 7, 6, 4], k: [3, 3], out: 1, stride: [1, 1], pad: 'same' },
  { x: [2, 9, 8, 3], k: [3, 3], out: 2, stride: [2, 2], pad: 'same' },
  {
    x: [3, 8, 9, 5],
    k: [2, 4],
    out: 2,
    stride: [1, 2],
    pad: [
      [0, 0],
      [2, 1],
      [0, 2],
      [0, 0],
    ],
  },
  { x: [2, 10, 10, 8], k: [5, 3], out: 1, stride: [2, 1], pad: 'valid' },
];

describe('wasm gradient kernels', () => {
  it('registers every kernel wasm lacks', () => {
    for (const name of WASM_GRAD_KERNELS) expect(tf.getKernel(name, 'wasm')).toBeDefined();
  });

  it('replaces wasm Conv2DBackpropInput and the pool gradients once, keeping their setupFunc', () => {
    for (const name of WASM_OVERRIDDEN_KERNELS) {
      const ours = tf.getKernel(name, 'wasm');
      expect(ours?.setupFunc).toBeDefined();
      registerWasmGradKernels(tf);
      expect(tf.getKernel(name, 'wasm')?.kernelFunc).toBe(ours?.kernelFunc);
    }
  });

  it('registers each faster kernel once', () => {
    const names = Object.keys(wasmOverrides(tf));
    const before = names.map((name) => tf.getKernel(name, 'wasm')?.kernelFunc);
    registerWasmGradKernels(tf);
    expect(names.map((name) => tf.getKernel(name, 'wasm')?.kernelFunc)).toEqual(before);
    for (const name of names)
      expect(originalKernel(tf, name)).not.toBe(tf.getKernel(name, 'wasm')?.kernelFunc);
  });

  it.each(convCases.map((c) => [title(c), c] as const))(
    'Conv2DBackpropInput frees its buffers: %s',
    async (_, c) => {
      await tf.setBackend('wasm');
      const wShape: Shape4 = [c.k[0], c.k[1], c.x[3], c.out];
      const w = tf.tensor4d(seeded(size(wShape), 2), wShape);
      const outShape = tf.tidy(
        () => tf.conv2d(tf.zeros<Tf.Rank.R4>(c.x), w, c.stride, c.pad).shape,
      );
      const dy = tf.tensor4d(seeded(size(outShape), 3), outShape);
      const dataIds = tf.engine().backend.numDataIds();
      const dx = tf.conv2dTranspose(dy, w, c.x, c.stride, c.pad);
      expect(dx.shape).toEqual(c.x);
      dx.dispose();
      expect(tf.engine().backend.numDataIds()).toBe(dataIds);
      tf.dispose([w, dy]);
    },
  );

  it.each(convCases.map((c) => [title(c), c] as const))(
    'conv2d grads match cpu: %s',
    async (_, c) => {
      const cpu = await grads('cpu', c, false);
      const wasm = await grads('wasm', c, false);
      expect(relErr(wasm.dw, cpu.dw)).toBeLessThanOrEqual(TOLERANCE);
      expect(relErr(wasm.dx, cpu.dx)).toBeLessThanOrEqual(TOLERANCE);
    },
  );

  it('takes the narrow input gradient below 8 input channels', async () => {
    const before = narrowRuns.count;
    const c = convCases.find((k) => k.x[3] === 7)!;
    const cpu = await grads('cpu', c, false);
    const wasm = await grads('wasm', c, false);
    expect(narrowRuns.count - before, 'the narrow kernel ran').toBe(1);
    expect(relErr(wasm.dx, cpu.dx)).toBeLessThanOrEqual(TOLERANCE);
  });

  it.each(convCases.filter((_, i) => i % 3 === 0).map((c) => [title(c), c] as const))(
    'conv2d grads match cpu without the SIMD kernels (on XNNPACK): %s',
    async (_, c) => {
      const cpu = await grads('cpu', c, false);
      const wasm = await grads('wasm', c, false, false);
      expect(relErr(wasm.dw, cpu.dw)).toBeLessThanOrEqual(TOLERANCE);
      expect(relErr(wasm.dx, cpu.dx)).toBeLessThanOrEqual(TOLERANCE);
    },
  );

  it.each(tileCases.map(([c, tiling]) => [title(c), c, tiling] as const))(
    'conv2d grads match cpu on each register tile class: %s',
    async (_, c, tiling) => {
      const info = tf.backend_util.computeConv2DInfo(
        c.x,
        [c.k[0], c.k[1], c.x[3], c.out],
        c.stride,
        1,
        c.pad,
      );
      expect(tilingOf(info)).toEqual(tiling);
      const cpu = await grads('cpu', c, false);
      const before = simdPathCounts().taken;
      const wasm = await grads('wasm', c, false);
      // the filter and input gradients ran on the generated kernels (the forward pass may not)
      expect(simdPathCounts().taken - before).toBeGreaterThanOrEqual(2);
      expect(relErr(wasm.dw, cpu.dw)).toBeLessThanOrEqual(TOLERANCE);
      expect(relErr(wasm.dx, cpu.dx)).toBeLessThanOrEqual(TOLERANCE);
    },
  );

  it.each(depthwiseCases.map((c) => [title(c), c] as const))(
    'depthwise grads match cpu: %s',
    async (_, c) => {
      const cpu = await grads('cpu', c, true);
      const wasm = await grads('wasm', c, true);
      expect(relErr(wasm.dw, cpu.dw)).toBeLessThanOrEqual(TOLERANCE);
      expect(relErr(wasm.dx, cpu.dx)).toBeLessThanOrEqual(TOLERANCE);
    },
  );
});

interface DilatedCase extends ConvCase {
  readonly dilation: [number, number];
  readonly depthwise: boolean;
}

const dilatedCases: DilatedCase[] = [
  {
    x: [6, 9, 8, 9],
    k: [3, 3],
    out: 9,
    stride: [1, 2],
    pad: 'same',
    dilation: [2, 2],
    depthwise: false,
  },
  {
    x: [2, 9, 9, 3],
    k: [3, 3],
    out: 4,
    stride: [1, 1],
    pad: 'same',
    dilation: [2, 2],
    depthwise: false,
  },
  {
    x: [1, 11, 10, 2],
    k: [3, 2],
    out: 3,
    stride: [1, 1],
    pad: 'valid',
    dilation: [2, 3],
    depthwise: false,
  },
  {
    x: [2, 11, 11, 2],
    k: [3, 3],
    out: 2,
    stride: [2, 2],
    pad: [
      [0, 0],
      [1, 2],
      [2, 1],
      [0, 0],
    ],
    dilation: [2, 2],
    depthwise: false,
  },
  {
    x: [2, 9, 9, 3],
    k: [3, 3],
    out: 1,
    stride: [1, 1],
    pad: 'same',
    dilation: [2, 2],
    depthwise: true,
  },
  {
    x: [1, 10, 11, 4],
    k: [2, 3],
    out: 2,
    stride: [1, 1],
    pad: 'valid',
    dilation: [3, 2],
    depthwise: true,
  },
];

/** dW and dX of sum(conv(x, w) · dy) by their definitions; `info` supplies only the padding. */
function referenceGrads(c: DilatedCase, x: Float32Array, w: Float32Array, dy: Float32Array) {
  const wShape: Shape4 = [c.k[0], c.k[1], c.x[3], c.out];
  const info = tf.backend_util.computeConv2DInfo(
    c.x,
    wShape,
    c.stride,
    c.dilation,
    c.pad,
    undefined,
    c.depthwise,
    'channelsLast',
  );
  const [N, H, W, C] = c.x;
  const { outHeight: OH, outWidth: OW, outChannels: CO } = info;
  const dw = new Float32Array(size(wShape));
  const dx = new Float32Array(size(c.x));
  for (let n = 0; n < N; n++)
    for (let oh = 0; oh < OH; oh++)
      for (let ow = 0; ow < OW; ow++)
        for (let kh = 0; kh < c.k[0]; kh++)
          for (let kw = 0; kw < c.k[1]; kw++) {
            const ih = oh * c.stride[0] + kh * c.dilation[0] - info.padInfo.top;
            const iw = ow * c.stride[1] + kw * c.dilation[1] - info.padInfo.left;
            if (ih < 0 || ih >= H || iw < 0 || iw >= W) continue;
            for (let ci = 0; ci < C; ci++)
              for (let o = 0; o < c.out; o++) {
                const co = c.depthwise ? ci * c.out + o : o;
                const g = dy[((n * OH + oh) * OW + ow) * CO + co];
                const xi = ((n * H + ih) * W + iw) * C + ci;
                const wi = ((kh * c.k[1] + kw) * C + ci) * c.out + o;
                dw[wi] += x[xi] * g;
                dx[xi] += w[wi] * g;
              }
          }
  return { dw, dx, outShape: [N, OH, OW, CO] };
}

describe('wasm gradient kernels with dilations (direct kernel calls)', () => {
  it.each(
    dilatedCases.map(
      (c) =>
        [`${c.depthwise ? 'depthwise' : 'conv2d'} dilation ${c.dilation} ${title(c)}`, c] as const,
    ),
  )('%s', async (_, c) => {
    await tf.setBackend('wasm');
    const wShape: Shape4 = [c.k[0], c.k[1], c.x[3], c.out];
    const xv = seeded(size(c.x), 4);
    const wv = seeded(size(wShape), 5);
    const probe = referenceGrads(c, xv, wv, new Float32Array(0));
    const dyv = seeded(size(probe.outShape), 6);
    const ref = referenceGrads(c, xv, wv, dyv);
    const dataIds = tf.engine().backend.numDataIds();
    const attrs = { strides: c.stride, dilations: c.dilation, pad: c.pad, dataFormat: 'NHWC' };
    const [dw, dx] = tf.tidy(() => {
      const x = tf.tensor4d(xv, c.x);
      const w = tf.tensor4d(wv, wShape);
      const dy = tf.tensor(dyv, probe.outShape);
      const filterName = c.depthwise
        ? 'DepthwiseConv2dNativeBackpropFilter'
        : 'Conv2DBackpropFilter';
      const inputName = c.depthwise ? 'DepthwiseConv2dNativeBackpropInput' : 'Conv2DBackpropInput';
      return [
        tf
          .engine()
          .runKernel(filterName, { x, dy }, { ...attrs, filterShape: wShape }) as Tf.Tensor,
        tf
          .engine()
          .runKernel(inputName, { dy, filter: w }, { ...attrs, inputShape: c.x }) as Tf.Tensor,
      ];
    });
    expect(relErr(dw.dataSync<'float32'>(), ref.dw)).toBeLessThanOrEqual(TOLERANCE);
    expect(relErr(dx.dataSync<'float32'>(), ref.dx)).toBeLessThanOrEqual(TOLERANCE);
    tf.dispose([dw, dx]);
    expect(tf.engine().backend.numDataIds()).toBe(dataIds);
  });
});
