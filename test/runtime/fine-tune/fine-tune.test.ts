/**
 * Fine-tuning semantics through `cnnc train`, on the wasm backend and the reference executor:
 * frozen weights and frozen batch-norm statistics are bit-identical after training; `at epoch`
 * unfreezing leaves a layer untouched until its epoch; a group rate of 0 keeps a layer still;
 * `features cache` trains the head like the full model does.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { compileFile } from '../../../compiler/program.js';
import { nodeHost } from '../../../compiler/cli/host.js';
import { initialValue } from '../../../runtime/init.js';
import { loadCheckpoint } from '../../../runtime/train/checkpoint.js';
import { runCnnc } from '../../helpers/cli.js';

const MODEL = `model Small {
  input 28x28x1
  stem: { conv 8 3x3 pad 1, bn, relu, maxpool 2x2 /2 }
  body: { conv 8 3x3 pad 1, bn, relu, maxpool 2x2 /2 }
  head: { flatten, dense 10, softmax }
  TRAIN
}
`;

async function train(trainBlock: string, backend: string, extra: readonly string[] = []) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cnnc-ft-'));
  const file = path.join(dir, 'small.cnn');
  fs.writeFileSync(file, MODEL.replace('TRAIN', trainBlock));
  const r = await runCnnc([
    'train',
    file,
    '--backend',
    backend,
    '--data',
    'mnist-json',
    '--limit',
    '256',
    '--epochs',
    '2',
    '--batch',
    '32',
    '--out',
    path.join(dir, 'out'),
    '--quiet',
    ...extra,
  ]);
  expect(r.err, r.out).not.toMatch(/error/);
  expect(r.code).toBe(0);
  const graph = compileFile(file, nodeHost(dir)).models[0].graph;
  const ck = loadCheckpoint(path.join(dir, 'out', 'checkpoint'));
  const saved = new Map(ck.weights.map((w) => [w.name, w.data]));
  const initial = (key: string) => {
    const [node, w] = [key.slice(0, key.lastIndexOf('/')), key.slice(key.lastIndexOf('/') + 1)];
    const n = graph.nodes.find((x) => x.name === node)!;
    return initialValue(
      n,
      n.weights!.find((x) => x.name === w)!,
      42,
    );
  };
  const same = (key: string) =>
    Buffer.from(saved.get(key)!.buffer).equals(Buffer.from(initial(key).buffer));
  return { r, saved, same, ck };
}

const BACKENDS = ['wasm', 'reference'];

describe.each(BACKENDS)('fine-tuning on %s', (backend) => {
  it('keeps frozen weights and frozen batch-norm statistics bit-identical', async () => {
    const { same } = await train(
      'freeze stem\n  train { optimizer adam lr 1e-2 seed 42 }',
      backend,
    );
    for (const k of [
      'stem.conv1/kernel',
      'stem.conv1/bias',
      'stem.bn1/gamma',
      'stem.bn1/beta',
      'stem.bn1/moving_mean',
      'stem.bn1/moving_variance',
    ])
      expect(same(k), k).toBe(true);
    for (const k of ['body.conv1/kernel', 'body.bn1/moving_mean', 'head.dense1/kernel'])
      expect(same(k), k).toBe(false);
  });

  it('a group rate of 0 keeps its layers still while the rest train', async () => {
    const { same } = await train('train { optimizer sgd lr 0.05 seed 42\n  lr body 0 }', backend);
    expect(same('body.conv1/kernel')).toBe(true);
    expect(same('head.dense1/kernel')).toBe(false);
  });
});

describe('gradual unfreezing and feature caching (wasm)', () => {
  it('unfreezes at the epoch it says, and the checkpoint has its optimizer slots', async () => {
    const { ck, r } = await train(
      'freeze ..body\n  train { optimizer momentum lr 0.05 seed 42\n  at epoch 2 unfreeze body lr 0.01 }',
      'wasm',
    );
    expect(r.code).toBe(0);
    const slots = ck.optimizer!.slots.map((s) => s.name);
    expect(slots).toContain('body.conv1/kernel/velocity');
    expect(slots).not.toContain('stem.conv1/kernel/velocity');
  });

  it('features cache trains the head on cached features and matches uncached training', async () => {
    const block = 'freeze ..body\n  train { optimizer sgd lr 0.05 seed 42 FEAT }';
    const cached = await train(block.replace('FEAT', '\n  features cache'), 'wasm', [
      '--report',
      '/dev/null',
    ]);
    const plain = await train(block.replace('FEAT', ''), 'wasm');
    expect(cached.same('body.conv1/kernel')).toBe(true);
    const a = cached.saved.get('head.dense1/kernel')!;
    const b = plain.saved.get('head.dense1/kernel')!;
    let diff = 0;
    let max = 0;
    for (let i = 0; i < a.length; i++) {
      diff = Math.max(diff, Math.abs(a[i] - b[i]));
      max = Math.max(max, Math.abs(b[i]));
    }
    expect(diff / max).toBeLessThan(1e-4);
  });
});
