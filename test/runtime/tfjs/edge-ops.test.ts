/**
 * Op and attribute combinations at the edges of what the language allows (large and uneven
 * dilations, dilation with stride, groups on transposed and 1-D convolutions, strides larger than
 * the kernel, kernels larger than the input under `full` padding, ceil-mode and padded pools, 1-D
 * pools, adaptive pools that enlarge, every activation) lower and run on both the cpu and the wasm
 * backend: the same outputs, input gradients and weight gradients on both. This is the evidence
 * behind lowering every graph on every tfjs backend (runtime/engines.ts refuses none for its ops).
 */
import type * as Tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { compileFile } from '../../../compiler/program.js';
import { initBackend } from '../../../runtime/tfjs/backend.js';
import { lowerGraph } from '../../../runtime/tfjs/lower.js';
import { memPath, memoryHost } from '../../helpers/memory-host.js';

let tf: typeof Tf;

beforeAll(async () => {
  tf = (await initBackend('cpu')).tf;
  await initBackend('wasm');
});

/** name, input, layers (one per line) */
const CASES: readonly (readonly [string, string, string])[] = [
  ['dilation 12 on a 40x40 map', '40x40x2', 'conv 3 3x3 dilation 12 pad 12'],
  ['dilation with a stride', '17x17x2', 'conv 3 3x3 /2 dilation 3 pad 2'],
  ['uneven dilation', '9x30x2', 'conv 2 2x5 dilation (1, 6)'],
  ['grouped transposed conv', '5x5x4', 'deconv 6 3x3 /2 groups 2 pad 1 outpad 1'],
  ['depthwise-grouped dilated transposed conv', '5x5x4', 'deconv 4 3x3 /2 groups 4 dilation 2'],
  ['transposed conv, dilation 5', '4x4x2', 'deconv 3 3x3 dilation 5'],
  ['transposed conv, stride > kernel', '4x4x2', 'deconv 3 2x2 /3'],
  ['1-D conv: groups, dilation, stride', '21x4', 'conv1d 6 3 /2 dilation 2 groups 2 pad 1'],
  ['1-D conv, full padding', '5x3', 'conv1d 2 4 full'],
  ['1-D max pool, ceil mode', '20x4', 'conv1d 4 1\nmaxpool 3 /2 ceil'],
  ['1-D average pool without padding', '20x4', 'conv1d 4 1\navgpool 3 /2 pad 1 exclude_pad'],
  ['padded ceil-mode average pool', '9x9x3', 'conv 3 1x1\navgpool 3 /2 pad 1 ceil'],
  ['max pool, same padding', '9x8x3', 'conv 3 1x1\nmaxpool 3 /2 same'],
  ['max pool, stride > kernel', '9x9x2', 'conv 3 1x1\nmaxpool 2 /3'],
  ['overlapping max pool', '9x9x2', 'conv 3 1x1\nmaxpool 3 /1'],
  [
    'strided dilated depthwise, multiplier 3',
    '15x15x3',
    'dwconv 3x3 /2 dilation 2 multiplier 3 pad 2',
  ],
  ['groups = channels', '8x8x4', 'conv 8 3x3 groups 4'],
  ['groups 2, same padding, stride 2', '8x8x4', 'conv 6 3x3 groups 2 /2 same'],
  ['a 7x7 kernel on a 3x3 map, full padding', '3x3x2', 'conv 2 7x7 full'],
  ['1x1 conv, stride 3', '10x10x3', 'conv 2 1x1 /3'],
  ['stride 8 on a 9x9 map', '9x9x2', 'conv 2 3x3 /8'],
  ['adaptive max pool', '7x7x3', 'conv 3 1x1\nadaptivemaxpool 3x3'],
  ['1-D adaptive average pool', '7x3', 'conv1d 3 1\nadaptiveavgpool 5'],
  ['adaptive average pool that enlarges', '3x3x2', 'conv 3 1x1\nadaptiveavgpool 5x5'],
  ['local response normalisation', '6x6x7', 'conv 3 1x1\nlrn 5 alpha 1e-3 beta 0.75 k 2'],
  ['activations', '6x6x3', 'conv 4 3x3, gelu\nelu 0.5\nleakyrelu 0.2\nsigmoid\nrelu6\ntanh'],
  ['zero padding, reshape', '5x6x2', 'zeropad (1, 2, 3, 4)\nreshape 8x26x1\nconv 2 3x3'],
  ['global max pool, keepdims', '6x6x3', 'conv 4 3x3\ngmp keepdims'],
  ['1-D batch norm', '9x3', 'conv1d 4 3 nobias\nbn'],
  ['symbolic input size', '?x?x3', 'conv 4 3x3 same\ngap\ndense 3'],
];

/** Deterministic values in [-1, 1]. */
const wave = (n: number, f: number) => Array.from({ length: n }, (_, i) => Math.sin(i * f));

async function run(backend: 'cpu' | 'wasm', input: string, layers: string) {
  await tf.setBackend(backend);
  const source = `model P {\n  input ${input}\n  ${layers.split('\n').join('\n  ')}\n}\n`;
  const r = compileFile(memPath('main.cnn'), memoryHost({ 'main.cnn': source }));
  expect(r.diagnostics.filter((d) => d.severity === 'error').map((d) => d.message)).toEqual([]);
  const graph = r.models[0].graph;
  const m = lowerGraph(tf, graph, { seed: 2 });
  const shape = m.inputShape.map((d) => (d < 0 ? 11 : d));
  const before = tf.memory().numTensors;
  const x = tf.tensor(wave(2 * shape.reduce((a, b) => a * b, 1), 0.7), [2, ...shape]);
  const y = m.apply(x, false);
  const w = tf.tensor(wave(y.size, 0.3), y.shape);
  const loss = (xx: Tf.Tensor) => tf.sum(tf.mul(m.apply(xx, true), w)) as Tf.Scalar;
  const { value, grads } = tf.variableGrads(() => loss(x), [...m.trainable]);
  const dx = tf.grad(loss)(x);
  const keys = Object.keys(grads).sort();
  const out = {
    y: Array.from(y.dataSync()),
    dx: Array.from(dx.dataSync()),
    grads: keys.map((k) => Array.from(grads[k].dataSync())),
  };
  tf.dispose([x, y, w, dx, value, ...Object.values(grads)]);
  expect(tf.memory().numTensors).toBe(before);
  m.dispose();
  return out;
}

/** Largest difference over the largest magnitude of the reference (at least 1e-6). */
function relErr(a: readonly number[], b: readonly number[]): number {
  expect(a.length).toBe(b.length);
  const scale = Math.max(1e-6, ...b.map(Math.abs));
  return Math.max(0, ...a.map((v, i) => Math.abs(v - b[i]) / scale));
}

describe('edge-case layers run alike on the cpu and wasm backends', () => {
  it.each(CASES)('%s', async (_, input, layers) => {
    const cpu = await run('cpu', input, layers);
    const wasm = await run('wasm', input, layers);
    expect([...cpu.y, ...cpu.dx, ...cpu.grads.flat()].every(Number.isFinite)).toBe(true);
    expect(relErr(wasm.y, cpu.y)).toBeLessThan(1e-4);
    expect(relErr(wasm.dx, cpu.dx)).toBeLessThan(1e-4);
    expect(wasm.grads.length).toBe(cpu.grads.length);
    wasm.grads.forEach((g, i) => expect(relErr(g, cpu.grads[i])).toBeLessThan(1e-4));
  });
});
