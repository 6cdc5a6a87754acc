// Conv2D on wasm: cnnc's direct SIMD loop (simd-conv-tile.ts, forwardTileKernel) runs where it pays
// (wasm-kernels.ts, directConvPays: filters up to 1 MB, padding, few input channels), wasm's own XNNPACK Conv2D for the
// rest. Both sum in the same order; without relaxed SIMD (and on the single-channel loop) they give
// the same bits, with it the tiles' fused multiply-adds round once a step instead of twice. Both
// kernels run on every geometry below; the direct loop is also checked against tfjs's cpu backend
// (an independent implementation) to a relative 1e-5.
import * as fs from 'node:fs';
import type * as Tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { asWasmBackend, simdPathCounts } from '../../../runtime/tfjs/kernel-utils.js';
import {
  conv2DSimd,
  DIRECT_CONV_MAX_FILTER_BYTES,
  DIRECT_CONV_MIN_CHANNELS,
  directConvPays,
  originalKernel,
  tapsInside,
} from '../../../runtime/tfjs/wasm-kernels.js';
import { singleRuns } from '../../../runtime/tfjs/simd-conv-narrow.js';
import { relaxedSimd } from '../../../runtime/tfjs/wasm-asm.js';
import { loadCpuAndWasm, relErr, seeded } from './kernel-setup.js';

type Shape4 = [number, number, number, number];
type Pads = [[0, 0], [number, number], [number, number], [0, 0]];

interface Case {
  readonly x: Shape4;
  readonly k: [number, number];
  readonly out: number;
  readonly stride: [number, number];
  readonly pad: 'valid' | 'same' | Pads;
  readonly dilation?: [number, number];
}

const pads = (t: number, b: number, l: number, r: number): Pads => [
  [0, 0],
  [t, b],
  [l, r],
  [0, 0],
];

const CASES: Case[] = [
  { x: [1, 5, 5, 1], k: [3, 3], out: 2, stride: [1, 1], pad: 'valid' },
  { x: [1, 5, 5, 2], k: [3, 3], out: 1, stride: [1, 1], pad: 'valid' },
  // LeNet-5's layers; the yardstick's; ResNet-18's at 32x32 (stem, late layers on 2x2 and 1x1
  // inputs where most taps are padding, a 1x1 downsample)
  { x: [4, 32, 32, 1], k: [5, 5], out: 6, stride: [1, 1], pad: 'valid' },
  { x: [4, 14, 14, 6], k: [5, 5], out: 16, stride: [1, 1], pad: 'valid' },
  { x: [3, 32, 32, 3], k: [3, 3], out: 32, stride: [1, 1], pad: pads(1, 1, 1, 1) },
  { x: [3, 16, 16, 32], k: [3, 3], out: 64, stride: [2, 2], pad: pads(1, 1, 1, 1) },
  { x: [2, 32, 32, 3], k: [7, 7], out: 64, stride: [2, 2], pad: pads(3, 3, 3, 3) },
  { x: [2, 2, 2, 256], k: [3, 3], out: 512, stride: [2, 2], pad: pads(1, 1, 1, 1) },
  { x: [2, 1, 1, 512], k: [3, 3], out: 512, stride: [1, 1], pad: pads(1, 1, 1, 1) },
  { x: [2, 2, 2, 256], k: [1, 1], out: 512, stride: [2, 2], pad: 'valid' },
  // tails of 1, 2 and 3 channels past the vectors; more than 8 vectors (two chunks); 'same' with
  // asymmetric pads; wide explicit pads; non-square kernels and strides; dilation
  { x: [3, 7, 6, 2], k: [3, 3], out: 5, stride: [1, 1], pad: 'same' },
  { x: [2, 9, 9, 3], k: [3, 3], out: 6, stride: [2, 2], pad: 'same' },
  { x: [2, 6, 7, 41], k: [3, 3], out: 39, stride: [2, 1], pad: 'same' },
  { x: [1, 5, 5, 64], k: [2, 2], out: 66, stride: [1, 1], pad: 'valid' },
  { x: [3, 9, 8, 2], k: [3, 2], out: 4, stride: [2, 2], pad: pads(0, 3, 2, 1) },
  { x: [1, 6, 6, 3], k: [2, 2], out: 7, stride: [1, 1], pad: pads(3, 1, 0, 4) },
  { x: [3, 11, 10, 3], k: [2, 3], out: 5, stride: [3, 2], pad: 'valid' },
  { x: [2, 10, 10, 4], k: [3, 3], out: 8, stride: [1, 1], pad: 'same', dilation: [2, 2] },
  // register tiles (simd-conv-tile.ts): full tiles of 4 images with 1, 2 or 3 left over, or only
  // the smaller tile; output channels past a multiple of 4; 1x1 and 2x2 inputs; padding on all
  // sides; dilation
  { x: [9, 2, 2, 10], k: [3, 3], out: 13, stride: [1, 1], pad: 'same' },
  { x: [6, 1, 1, 7], k: [3, 3], out: 9, stride: [1, 1], pad: 'same' },
  { x: [3, 7, 9, 5], k: [3, 3], out: 7, stride: [1, 1], pad: 'same' },
  { x: [7, 7, 9, 5], k: [3, 3], out: 7, stride: [2, 2], pad: pads(1, 2, 2, 1) },
  { x: [8, 4, 4, 33], k: [3, 3], out: 42, stride: [2, 2], pad: pads(1, 1, 1, 1) },
  { x: [5, 9, 8, 5], k: [3, 3], out: 9, stride: [1, 1], pad: 'same', dilation: [2, 2] },
  // one input channel (simd-conv-narrow.ts): blocks of 8 positions (up to 6 output channels) or 4
  // (7-12), scalar positions at padded edges and past the last block, stride and dilation in height
  { x: [2, 13, 21, 1], k: [3, 3], out: 4, stride: [1, 1], pad: 'same' },
  { x: [2, 12, 19, 1], k: [5, 3], out: 12, stride: [2, 1], pad: pads(2, 1, 3, 0) },
  { x: [1, 9, 6, 1], k: [2, 2], out: 2, stride: [1, 1], pad: 'valid', dilation: [2, 1] },
  { x: [3, 8, 30, 1], k: [3, 5], out: 7, stride: [1, 1], pad: 'valid' },
];

let tf: typeof Tf;

beforeAll(async () => {
  tf = await loadCpuAndWasm();
});

const size = (s: readonly number[]): number => s.reduce((a, b) => a * b, 1);
const title = (c: Case): string =>
  `x [${c.x}] k ${c.k.join('x')} out ${c.out} stride ${c.stride.join(',')} pad ${JSON.stringify(c.pad)}${c.dilation ? ` dilation ${c.dilation.join(',')}` : ''}`;

const attrsOf = (c: Case): Tf.NamedAttrMap => ({
  strides: c.stride,
  pad: c.pad,
  dilations: c.dilation ?? 1,
  dataFormat: 'NHWC',
});

/** The case's seeded input and filter, on the current backend. */
function operands(c: Case): { x: Tf.Tensor4D; filter: Tf.Tensor4D } {
  const wShape: Shape4 = [c.k[0], c.k[1], c.x[3], c.out];
  return {
    x: tf.tensor4d(seeded(size(c.x), 1), c.x),
    filter: tf.tensor4d(seeded(size(wShape), 2), wShape),
  };
}

/** One kernel run on the case's seeded operands: cnnc's direct loop, or XNNPACK's Conv2D. */
function runKernel(c: Case, which: 'direct' | 'xnnpack'): Float32Array {
  const backend = tf.backend() as Tf.KernelBackend;
  const { x, filter } = operands(c);
  const args = { inputs: { x, filter }, backend, attrs: attrsOf(c) };
  const out =
    which === 'direct'
      ? conv2DSimd(tf, asWasmBackend(backend), args.inputs, args.attrs)
      : originalKernel(tf, 'Conv2D')(args);
  if (out === null || Array.isArray(out)) throw new Error('expected one output');
  const values = (backend.readSync(out.dataId) as Float32Array).slice();
  backend.disposeData(out.dataId);
  tf.dispose([x, filter]);
  return values;
}

/** tf.conv2d on `backend`, `calls` times on one filter tensor. */
async function conv(backend: 'cpu' | 'wasm', c: Case, calls = 1): Promise<Float32Array[]> {
  await tf.setBackend(backend);
  const { x, filter: w } = operands(c);
  const out: Float32Array[] = [];
  for (let i = 0; i < calls; i++) {
    const y = tf.conv2d(x, w, c.stride, c.pad, 'NHWC', c.dilation ?? 1);
    out.push(y.dataSync<'float32'>().slice());
    y.dispose();
  }
  tf.dispose([x, w]);
  return out;
}

/** Whether the CPU multiply-adds in one instruction (/proc/cpuinfo's fma flag; arm64 always). */
function cpuHasFma(): boolean {
  if (process.arch === 'arm64') return true;
  try {
    return /^flags\s*:.*\bfma\b/m.test(fs.readFileSync('/proc/cpuinfo', 'utf8'));
  } catch {
    return true;
  }
}

describe('Conv2D on wasm', () => {
  it.each(CASES.map((c) => [title(c), c] as const))(
    'the direct loop gives XNNPACK’s bits, and the cpu backend’s values: %s',
    async (_, c) => {
      await tf.setBackend('wasm');
      const before = simdPathCounts();
      const direct = runKernel(c, 'direct');
      expect(simdPathCounts().taken - before.taken, 'the direct loop ran').toBe(1);
      const xnnpack = runKernel(c, 'xnnpack');
      // The single-channel loop, and the tiles without relaxed SIMD, multiply and add as XNNPACK
      // does; the tiles' fused multiply-adds round once per step instead of twice.
      if (c.x[3] === 1 || !relaxedSimd())
        expect(Buffer.from(direct.buffer).equals(Buffer.from(xnnpack.buffer))).toBe(true);
      else expect(relErr(direct, xnnpack)).toBeLessThan(1e-5);
      const [cpu] = await conv('cpu', c);
      expect(relErr(direct, cpu)).toBeLessThan(1e-5);
    },
  );

  it('fuses the tiles’ multiply-adds where the host runs relaxed SIMD (Node 20.16+ and 21+)', async () => {
    const node = Number(process.versions.node.split('.')[0]);
    const canFlag = typeof process.getBuiltinModule === 'function';
    expect(relaxedSimd()).toBe(!process.env['CNNC_NO_RELAXED_SIMD'] && (node >= 21 || canFlag));
    // y = −1·1 + (1 + 2⁻²³)(1 − 2⁻²³): the exact product 1 − 2⁻⁴⁶ rounds to 1 when multiplied
    // on its own (y = 0) and is kept whole by a fused multiply-add (y = −2⁻⁴⁶).
    await tf.setBackend('wasm');
    const e = 2 ** -23;
    const x = tf.tensor4d([-1, 1 + e], [1, 1, 1, 2]);
    const w = tf.tensor4d([1, 1, 1, 1, 1 - e, 1 - e, 1 - e, 1 - e], [1, 1, 2, 4]);
    const backend = tf.backend() as Tf.KernelBackend;
    const attrs = { strides: 1, pad: 'valid', dilations: 1, dataFormat: 'NHWC' };
    const out = conv2DSimd(tf, asWasmBackend(backend), { x, filter: w }, attrs);
    if (out === null || Array.isArray(out)) throw new Error('expected one output');
    const y = (backend.readSync(out.dataId) as Float32Array).slice();
    backend.disposeData(out.dataId);
    tf.dispose([x, w]);
    // relaxed_madd is fused where the CPU has FMA (x64's FMA3, every arm64); Linux says which.
    const fused = relaxedSimd() && cpuHasFma();
    expect(Array.from(y)).toEqual(new Array(4).fill(fused ? -(2 ** -46) : 0));
  });

  it('takes the direct loop for every call where it pays: few input channels', async () => {
    const c: Case = {
      x: [2, 6, 6, 3],
      k: [3, 3],
      out: DIRECT_CONV_MIN_CHANNELS,
      stride: [1, 1],
      pad: 'same',
    };
    const before = simdPathCounts();
    const [first, second, third] = await conv('wasm', c, 3);
    expect(simdPathCounts().taken - before.taken).toBe(3);
    expect(second).toEqual(first);
    expect(third).toEqual(first);
  });

  it.each([
    // [input, output channels, output pixels per side, share of taps inside, direct loop]: filters
    // over DIRECT_CONV_MAX_FILTER_BYTES (1 MB) by their padding, smaller ones always
    [[1, 1, 1, 512], 512, 1, 1 / 9, true],
    [[1, 2, 2, 256], 256, 2, (4 / 6) ** 2, true],
    [[1, 12, 12, 128], 256, 12, (34 / 36) ** 2, false],
    [[1, 12, 12, 16], 32, 12, (34 / 36) ** 2, true],
  ] as const)(
    'takes the direct loop where most taps are padding or the filter is small: x %j out %i',
    async (x, out, side, inside, direct) => {
      const c: Case = { x: [...x], k: [3, 3], out, stride: [1, 1], pad: 'same' };
      const info = tf.backend_util.computeConv2DInfo([...x], [3, 3, x[3], out], 1, 1, 'same');
      expect(info.outHeight).toBe(side);
      expect(tapsInside(info)).toBeCloseTo(inside, 12);
      expect(3 * 3 * x[3] * out * 4 > DIRECT_CONV_MAX_FILTER_BYTES).toBe(out >= 256);
      expect(directConvPays(info)).toBe(direct);
      const before = simdPathCounts();
      const [y] = await conv('wasm', c);
      expect(simdPathCounts().taken - before.taken).toBe(direct ? 1 : 0);
      const [cpu] = await conv('cpu', c);
      expect(relErr(y, cpu)).toBeLessThan(1e-5);
    },
  );

  it.each([1, 6, DIRECT_CONV_MIN_CHANNELS - 1])(
    'leaves a filter of %i output channels to XNNPACK',
    async (out) => {
      const c: Case = { x: [2, 6, 6, 2], k: [3, 3], out, stride: [1, 1], pad: 'same' };
      const before = simdPathCounts();
      const [y] = await conv('wasm', c);
      expect(simdPathCounts().taken).toBe(before.taken);
      const [cpu] = await conv('cpu', c);
      expect(relErr(y, cpu)).toBeLessThan(1e-5);
    },
  );

  it.each([
    [1, false],
    [2, true],
    [12, true],
    [13, false],
  ] as const)(
    'runs one input channel and %i output channels on the single-channel loop: %s',
    async (out, single) => {
      const c: Case = { x: [2, 9, 11, 1], k: [3, 3], out, stride: [1, 1], pad: 'same' };
      const before = singleRuns.count;
      const [y] = await conv('wasm', c);
      expect(singleRuns.count - before).toBe(single ? 1 : 0);
      const [cpu] = await conv('cpu', c);
      expect(relErr(y, cpu)).toBeLessThan(1e-5);
    },
  );

  it('keeps no tensor and no heap buffer of its own', async () => {
    const c = CASES[7];
    await conv('wasm', c);
    const before = tf.memory();
    await conv('wasm', c, 3);
    const after = tf.memory();
    expect(after.numTensors).toBe(before.numTensors);
    expect(after.numBytes).toBe(before.numBytes);
  });
});
