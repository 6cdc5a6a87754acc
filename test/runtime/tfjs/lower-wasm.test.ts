/**
 * The wasm backend takes its own paths through the lowering (native explicit padding, our gradient
 * kernels): forward outputs and gradients of a small model must equal the cpu backend's.
 */
import { expect, it } from 'vitest';
import { compileFile } from '../../../compiler/program.js';
import { initBackend } from '../../../runtime/tfjs/backend.js';
import { lowerGraph } from '../../../runtime/tfjs/lower.js';
import { memPath, memoryHost } from '../../helpers/memory-host.js';

const SOURCE = `
model Pads {
  input 9x9x3
  conv 4 3x3 same, relu
  conv 6 3x3 /2 pad (0, 1, 1, 0), bn, relu
  dwconv 3x3 pad 1 multiplier 2
  conv 5 2x3 /2 pad 1
  maxpool 2 /1 pad 1
  maxpool 2 /2
  flatten, dense 3
}`;

async function run(backend: 'cpu' | 'wasm') {
  const { tf } = await initBackend(backend);
  const graph = compileFile(memPath('main.cnn'), memoryHost({ 'main.cnn': SOURCE })).models[0]
    .graph;
  const model = lowerGraph(tf, graph, { seed: 7 });
  const x = tf.tensor(
    Array.from({ length: 2 * 9 * 9 * 3 }, (_, i) => Math.sin(i * 0.37)),
    [2, 9, 9, 3],
  );
  const out = model.apply(x, false);
  const outBefore = Array.from(await out.data());
  const { value, grads } = tf.variableGrads(
    () => tf.sum(tf.square(model.logits(x, true))),
    [...model.trainable],
  );
  const result = {
    outBefore,
    out: Array.from(await out.data()),
    loss: (await value.data())[0],
    keys: Object.keys(grads).sort(),
    grads: await Promise.all(
      Object.keys(grads)
        .sort()
        .map(async (k) => Array.from(await grads[k].data())),
    ),
  };
  tf.dispose([x, out, value, ...Object.values(grads)]);
  model.dispose();
  return result;
}

function maxRel(a: number[], b: number[], floor = 1e-6): number {
  const scale = Math.max(floor, ...b.map(Math.abs));
  return Math.max(0, ...a.map((v, i) => Math.abs(v - b[i]) / scale));
}

it('wasm and cpu agree on outputs and gradients', async () => {
  const cpu = await run('cpu');
  const wasm = await run('wasm');
  expect(maxRel(cpu.out, cpu.outBefore)).toBe(0);
  expect(maxRel(wasm.outBefore, cpu.outBefore)).toBeLessThan(1e-4);
  // A tensor's data must not change when later kernels run (no heap reuse of live buffers).
  expect(maxRel(wasm.out, wasm.outBefore)).toBe(0);
  expect(maxRel(wasm.out, cpu.out)).toBeLessThan(1e-4);
  expect(Math.abs(wasm.loss - cpu.loss) / Math.abs(cpu.loss)).toBeLessThan(1e-4);
  expect(wasm.grads.length).toBe(cpu.grads.length);
  // Gradients that vanish in exact arithmetic (a bias before batch norm, ~1e-8 here) are measured
  // against the largest gradient of the model, not against their own rounding noise.
  const floor = 1e-2 * Math.max(...cpu.grads.flat().map(Math.abs));
  const bad = wasm.grads
    .map((g, i) => [wasm.keys[i], maxRel(g, cpu.grads[i], floor)] as const)
    .filter(([, e]) => e > 1e-4);
  expect(bad).toEqual([]);
});
