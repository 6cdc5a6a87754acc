/**
 * U-Net (examples/unet.cnn: named references, skip connections by `branch from encK`; and
 * examples/unet-upsample.cnn, whose decoder upsamples bilinearly before a 2x2 convolution) trains a
 * step on both backends: the TensorFlow.js lowering (wasm) and the reference executor start from
 * the same seeded weights, take one SGD step on the same batch, and agree on the loss and on the
 * updated weights. The loss is the loop's `mse` against one-hot targets of the 64x64x2 output seen
 * as one row per image (the training loop has no per-pixel segmentation loss).
 */
import { describe, expect, it } from 'vitest';
import { nodeHost } from '../../../compiler/cli/host.js';
import { compileFile } from '../../../compiler/program.js';
import { DEFAULT_OPTIMIZER } from '../../../compiler/train/optimizers.js';
import { openEngine, type EngineBackend } from '../../../runtime/engines.js';
import { seededRandom } from '../../../runtime/init.js';
import { REPO } from '../../helpers/memory-host.js';
import * as path from 'node:path';

describe('U-Net', () => {
  // unet-upsample.cnn: the decoder's up-convolutions as `upsample 2 bilinear` + `conv c 2x2`.
  it.each(['examples/unet.cnn', 'examples/unet-upsample.cnn'])(
    '%s trains one step on wasm and reference, which agree',
    async (file) => {
      const r = compileFile(path.join(REPO, file), nodeHost());
      expect(r.diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
      const graph = r.models[0].graph;
      const random = seededRandom(3);
      const n = 2;
      const x = {
        data: Float32Array.from({ length: n * 64 * 64 }, () => random()),
        shape: [n, 64, 64, 1],
      };
      const y = Int32Array.from([5, 4000]);
      const results = [];
      for (const backend of ['wasm', 'reference'] as EngineBackend[]) {
        const opened = await openEngine(backend, graph, {
          loss: 'mse',
          optimizer: { ...DEFAULT_OPTIMIZER, name: 'sgd' },
          seed: 7,
        });
        const engine = opened.engine!;
        const before = engine.readWeights();
        const step = await engine.trainStep(x, y, 0.5);
        const after = engine.readWeights();
        expect(Number.isFinite(step.loss)).toBe(true);
        const params = new Set(engine.weights.filter((w) => w.kind === 'param').map((w) => w.name));
        const stuck = after
          .filter((w, i) => params.has(w.name) && w.data.every((v, j) => v === before[i].data[j]))
          .filter((w) => !/\.conv[12]\/bias$/.test(w.name))
          .map((w) => w.name);
        // Every param moves (a skip connection that carried no gradient would leave its encoder
        // level still), but the biases of convolutions right before a batch norm, which subtracts
        // them again: their gradient is zero up to rounding.
        expect(params.size).toBe(82);
        expect(stuck).toEqual([]);
        engine.dispose();
        results.push({ loss: step.loss, after });
      }
      const [tfjs, ref] = results;
      expect(Math.abs(tfjs.loss - ref.loss) / ref.loss).toBeLessThan(1e-4);
      let worst = 0;
      for (const w of ref.after) {
        const other = tfjs.after.find((t) => t.name === w.name)!;
        let scale = 0;
        let diff = 0;
        for (let i = 0; i < w.data.length; i++) {
          scale = Math.max(scale, Math.abs(w.data[i]));
          diff = Math.max(diff, Math.abs(w.data[i] - other.data[i]));
        }
        worst = Math.max(worst, diff / (scale || 1));
      }
      expect(worst).toBeLessThan(1e-4);
    },
    120_000,
  );
});
