// Benchmark, not a test: GFLOP/s of the wasm conv kernels on a ResNet-stage-sized layer,
// x = [64, 56, 56, 64], filter 3x3x64x64, stride 1, 'same'.
//
//   npx tsc -p tsconfig.json && node dist/scripts/bench-kernels.js [--reps 3] [--batch 64]
//
// Run it with the machine quiet: a second CPU-heavy process skews the figures several-fold.

import type { Rank, Tensor } from '@tensorflow/tfjs';
import { initBackend } from '../runtime/tfjs/backend.js';

function numberFlag(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  if (i < 0) return fallback;
  const v = Number(process.argv[i + 1]);
  if (!Number.isInteger(v) || v < 1) throw new Error(`--${name} needs a positive integer`);
  return v;
}

async function main(): Promise<void> {
  const reps = numberFlag('reps', 3);
  const N = numberFlag('batch', 64);
  const [H, W, C, K, CO] = [56, 56, 64, 3, 64];
  const { tf, detail } = await initBackend('wasm');
  const x = tf.randomNormal<Rank.R4>([N, H, W, C], 0, 1, 'float32', 1);
  const filter = tf.randomNormal<Rank.R4>([K, K, C, CO], 0, 1, 'float32', 2);
  const dy = tf.randomNormal<Rank.R4>([N, H, W, CO], 0, 1, 'float32', 3);
  const flops = 2 * N * H * W * C * K * K * CO;

  const cases: ReadonlyArray<readonly [string, () => Tensor]> = [
    ['Conv2D (forward)', () => tf.conv2d(x, filter, 1, 'same')],
    ['Conv2DBackpropInput (cnnc)', () => tf.conv2dTranspose(dy, filter, [N, H, W, C], 1, 'same')],
    [
      'Conv2DBackpropFilter (cnnc)',
      () =>
        tf.engine().runKernel(
          'Conv2DBackpropFilter',
          { x, dy },
          {
            strides: 1,
            pad: 'same',
            dataFormat: 'NHWC',
            filterShape: [K, K, C, CO],
          },
        ) as Tensor,
    ],
  ];

  console.log(`${detail}; x [${N},${H},${W},${C}], filter [${K},${K},${C},${CO}], ${reps} reps`);
  for (const [name, run] of cases) {
    run().dispose(); // warm-up: operator creation and weight packing caches
    const t0 = performance.now();
    for (let i = 0; i < reps; i++) {
      const out = run();
      out.dataSync();
      out.dispose();
    }
    const seconds = (performance.now() - t0) / 1000 / reps;
    const gflops = flops / seconds / 1e9;
    console.log(
      `${name.padEnd(30)} ${(seconds * 1000).toFixed(0).padStart(6)} ms  ${gflops.toFixed(1).padStart(6)} GFLOP/s`,
    );
  }
  tf.dispose([x, filter, dy]);
}

await main();
