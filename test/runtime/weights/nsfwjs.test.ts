/**
 * The real pretrained network the project ships against: nsfwjs@4.4.0's Keras MobileNetV2, whose
 * TensorFlow.js weights are uint8-quantised. Its shards are base64 strings inside .min.js modules;
 * unwrapping them is the example's business, done here by hand, and the core reader takes the
 * manifest and bytes from there. Every backbone weight must load by name into the stdlib model.
 */
import * as fs from 'node:fs';
import { createRequire } from 'node:module';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { compileFile } from '../../../compiler/program.js';
import { asSource, expectedWeights, planWeights } from '../../../runtime/weights/plan.js';
import { decodeTfjsWeights, manifestOf } from '../../../runtime/weights/tfjs-format.js';
import { memoryHost, REPO } from '../../helpers/memory-host.js';

const dir = path.join(REPO, 'node_modules/nsfwjs/dist/models/mobilenet_v2');
const require = createRequire(import.meta.url);
const unwrap = <T>(m: { default?: T } | T): T => ((m as { default?: T }).default ?? m) as T;

describe.runIf(fs.existsSync(dir))('nsfwjs MobileNetV2 weights', () => {
  it('load by name into the stdlib MobileNetV2', () => {
    const json = unwrap<unknown>(require(path.join(dir, 'model.min.js')) as unknown);
    const manifest = manifestOf(json, 'nsfwjs model.json');
    const tensors = decodeTfjsWeights(
      manifest,
      (p) => {
        const b64 = unwrap<string>(require(path.join(dir, `${p}.min.js`)) as string);
        return Buffer.from(b64, 'base64');
      },
      'nsfwjs',
    );
    expect(new Set(tensors.map((t) => t.dtype))).toEqual(new Set(['uint8']));
    const r = compileFile(
      '/work/main.cnn',
      memoryHost({ 'main.cnn': 'import mobilenet\nmodel M = MobileNetV2 {}\n' }),
    );
    const graph = r.models[0].graph;
    const plan = planWeights(expectedWeights(graph), tensors.map(asSource));
    // nsfwjs replaced Keras's 1000-class `predictions` with its own 5-class head.
    expect(
      plan.entries.filter((e) => e.status !== 'loaded').map((e) => `${e.status} ${e.name}`),
    ).toEqual([
      'missing predictions/kernel',
      'missing predictions/bias',
      'unused dense_1/kernel',
      'unused dense_1/bias',
      'unused dense_2/kernel',
      'unused dense_2/bias',
      'unused dense_3/kernel',
      'unused dense_3/bias',
    ]);
    // 52 batch norms × 4 weights, 35 convolutions, 17 depthwise convolutions.
    expect(plan.counts.loaded).toBe(52 * 4 + 35 + 17);
    // Dequantised values: variances are positive and the kernels are not all one value.
    const byName = new Map(tensors.map((t) => [t.name, t.data]));
    expect(Math.min(...byName.get('block_13_expand_BN/moving_variance')!)).toBeGreaterThan(0);
    const k = byName.get('Conv1/kernel')!;
    expect(Math.max(...k)).toBeGreaterThan(Math.min(...k));
  });
});
