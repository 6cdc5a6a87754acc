/**
 * cnnc's generated SIMD kernels reach tfjs-backend-wasm's memory through its internals
 * (`backend.wasm.asm.memory`, kernel-utils.ts); where those move, the kernels fall back to
 * JavaScript loops without a word. This test trains one step of a conv/pool/batch-norm model on
 * the wasm backend and fails unless the SIMD path was taken and never missed.
 */
import { expect, it } from 'vitest';
import { compileFile } from '../../../compiler/program.js';
import { initBackend } from '../../../runtime/tfjs/backend.js';
import { simdPathCounts } from '../../../runtime/tfjs/kernel-utils.js';
import { lowerGraph } from '../../../runtime/tfjs/lower.js';
import { simdSupported } from '../../../runtime/tfjs/wasm-asm.js';
import { memPath, memoryHost } from '../../helpers/memory-host.js';

const SOURCE = `
model Simd {
  input 12x12x4
  conv 8 3x3 same, bn, relu
  maxpool 2
  conv 8 3x3, relu
  avgpool 2
  flatten, dense 3
}`;

it('a training step on wasm runs the generated SIMD kernels', async () => {
  expect(simdSupported(), 'Node 20 runs WebAssembly SIMD').toBe(true);
  const { tf } = await initBackend('wasm');
  const graph = compileFile(memPath('main.cnn'), memoryHost({ 'main.cnn': SOURCE })).models[0]
    .graph;
  const model = lowerGraph(tf, graph, { seed: 3 });
  const x = tf.tensor(
    Array.from({ length: 4 * 12 * 12 * 4 }, (_, i) => Math.sin(i * 0.21)),
    [4, 12, 12, 4],
  );
  const before = simdPathCounts();
  const { value, grads } = tf.variableGrads(
    () => tf.sum(tf.square(model.logits(x, true))),
    [...model.trainable],
  );
  await value.data();
  const after = simdPathCounts();
  tf.dispose([x, value, ...Object.values(grads)]);
  model.dispose();
  expect(after.missed - before.missed, 'SIMD kernels fell back to JavaScript').toBe(0);
  expect(after.disabled - before.disabled).toBe(0);
  expect(after.taken - before.taken).toBeGreaterThanOrEqual(4);
});
