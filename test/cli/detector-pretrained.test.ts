/**
 * `cnnc train` of a detector on a pretrained stdlib backbone (examples/detection/resnet-detector.cnn
 * in small): the train block's `weights "FILE" map torchvision` loads torchvision's ResNet-18
 * (seeded random weights saved by /usr/bin/python3 scripts/torch-export.py) into the backbone, the
 * head keeps its initialisation, frozen layers stay bit for bit the file's over training steps, the
 * layers with a rate of their own train, and `at epoch 2 unfreeze stage2` trains stage2 from epoch 2
 * (a resumed run crossing into that phase). Needs torch and torchvision; skipped without them unless
 * CNNC_REQUIRE_TORCH=1.
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { nodeHost } from '../../compiler/cli/host.js';
import { compileFile } from '../../compiler/program.js';
import { loadCheckpoint } from '../../runtime/train/checkpoint.js';
import { prepareWeights } from '../../runtime/weights/load.js';
import { tensorsToLoad } from '../../runtime/weights/plan.js';
import { hasTorchvision, PYTHON, torchRequired } from '../codegen/torch.js';
import { REPO } from '../helpers/memory-host.js';
import { runCnnc as cnnc } from '../helpers/cli.js';

// 32x32 input: stage3 ends at 2x2x256 (stride 16); one anchor and 3 classes: 8 channels.
const MODEL = `import resnet

model RD = ResNet18 {
  input 32x32x3
  cut after stage3
  append { head: { conv 8 1x1, yolo 3 anchors (16, 16) stride 16 } }
  freeze ..stage2
  train {
    weights "resnet18.safetensors" map torchvision
    loss yolo
    optimizer adam lr 1e-2 batch 4 epochs 2 seed 1
    lr stage3 1e-3
    at epoch 2 unfreeze stage2 lr 1e-3
  }
}
`;

let dir = '';
const at = (p: string) => path.join(dir, p);

describe.runIf(hasTorchvision || torchRequired)('a detector on a pretrained ResNet-18', () => {
  beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cnnc-det-pretrained-'));
    fs.writeFileSync(at('rd.cnn'), MODEL);
    const py = spawnSync(
      PYTHON,
      [path.join(REPO, 'scripts/torch-export.py'), dir, 'resnet18:32x32:1'],
      {
        encoding: 'utf8',
        timeout: 300_000,
        env: { ...process.env, OMP_NUM_THREADS: '2' },
      },
    );
    expect(py.status, py.stderr).toBe(0);
    const data = ['data', 'shapes', '--out', at('shapes'), '--train', '4', '--test', '2'];
    expect((await cnnc([...data, '--size', '32', '--seed', '4'])).code).toBe(0);
  }, 300_000);

  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('loads the backbone, keeps frozen layers, trains the rest and unfreezes at epoch 2', async () => {
    const graph = compileFile(at('rd.cnn'), nodeHost(dir)).models[0].graph;
    const prepared = prepareWeights(graph, at('resnet18.safetensors'), 'torchvision');
    const file = new Map(tensorsToLoad(prepared.plan, prepared.sources).map((t) => [t.name, t]));
    // Every backbone weight comes from the file; the head's are not in it.
    expect(file.has('stem.conv1/kernel')).toBe(true);
    expect(file.has('stage3.1.conv2/kernel')).toBe(true);
    expect([...file.keys()].some((n) => n.startsWith('head.'))).toBe(false);
    const same = (a: Float32Array, b: Float32Array) =>
      a.length === b.length && a.every((v, i) => Object.is(v, b[i]));
    const compare = (ckDir: string) => {
      const weights = loadCheckpoint(ckDir).weights;
      const changed = (prefix: string) =>
        weights
          .filter((w) => w.name.startsWith(prefix) && file.has(w.name))
          .map((w) => !same(w.data, file.get(w.name)!.data as Float32Array));
      return {
        names: weights.map((w) => w.name),
        stem: changed('stem.'),
        stage1: changed('stage1.'),
        stage2: changed('stage2.'),
        stage3: changed('stage3.'),
      };
    };

    const data = `coco:${at('shapes')}`;
    const first = await cnnc([
      'train',
      at('rd.cnn'),
      '--data',
      data,
      '--out',
      at('run'),
      '--epochs',
      '1',
    ]);
    expect(first.code, first.err).toBe(0);
    // The weights plan: the backbone loaded, the head initialised, stage4 and fc unused.
    expect(first.out).toMatch(/missing\s+head\.conv1\/kernel/);
    expect(first.out).toMatch(/unused\s+layer4\./);
    expect(first.out).toMatch(/epoch 1\/1: loss \d/);
    const one = compare(at('run/checkpoint'));
    expect(one.names).toContain('head.conv1/kernel');
    expect(one.stem.length).toBeGreaterThan(0);
    // Frozen (stem, stage1, stage2): the file's values, bit for bit, batch-norm statistics too.
    expect([...one.stem, ...one.stage1, ...one.stage2].every((c) => !c)).toBe(true);
    // stage3 trains at its own rate: every kernel and batch norm moved.
    expect(one.stage3.every((c) => c)).toBe(true);

    const second = await cnnc([
      'train',
      at('rd.cnn'),
      '--data',
      data,
      '--out',
      at('run'),
      '--epochs',
      '2',
      '--resume',
    ]);
    expect(second.code, second.err).toBe(0);
    expect(second.out).toMatch(/resuming from .* after epoch 1/);
    expect(second.out).toMatch(/epoch 2\/2: loss \d/);
    const two = compare(at('run/checkpoint'));
    expect([...two.stem, ...two.stage1].every((c) => !c)).toBe(true);
    // Unfrozen at epoch 2: stage2 now trains.
    expect(two.stage2.every((c) => c)).toBe(true);
  }, 300_000);
});
