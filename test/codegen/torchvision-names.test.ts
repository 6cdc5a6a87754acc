/**
 * `--names torchvision`: the stdlib ResNets, VGG, AlexNet and (with even padding) MobileNetV2 emit
 * modules whose state_dict keys are torchvision's, so a state dict of torchvision's own module loads
 * with load_state_dict(strict=True) and gives torchvision's output (within 1e-4); the same state
 * dict saved with torch.save loads into the cnnc-named module through cnnc_io.load_weights_file(
 * names="torchvision"). Models whose arithmetic or names do not match are diagnosed (CNN6001–6004)
 * and nothing is written. Needs torch and torchvision; skipped without them unless
 * CNNC_REQUIRE_TORCH=1.
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REPO } from '../helpers/memory-host.js';
import { emitPytorch, hasTorchvision, PYTHON, torchRequired } from './torch.js';

const work = fs.mkdtempSync(path.join(os.tmpdir(), 'cnnc-codegen-tv-'));
afterAll(() => fs.rmSync(work, { recursive: true, force: true }));

const SKIP = `skipped: ${PYTHON} cannot import torch and torchvision (CI sets CNNC_REQUIRE_TORCH=1)`;

const pads = ['Conv1_pad', 'block_1_pad', 'block_3_pad', 'block_6_pad', 'block_13_pad'];
const MODELS = `import resnet
import vgg
import alexnet
import mobilenet
import inception

model R18 = ResNet18 { input 32x32x3 }
model R50 = ResNet50 { input 32x32x3 }
model V11 = VGG11 {
  input 32x32x3
  replace classifier {
    avgpool: adaptiveavgpool 7x7, flatten
    fc1: dense 64, relu, dropout 0.5
    fc2: dense 64, relu, dropout 0.5
    fc3: dense 10
  }
}
model A = AlexNet {
  input 96x96x3
  replace classifier {
    dropout 0.5, fc6: dense 64, relu
    dropout 0.5, fc7: dense 64, relu
    fc8: dense 10
  }
}
model G = GoogLeNet { input 32x32x3 }
model M = MobileNetV2 {
  input 32x32x3
${pads.map((p) => `  replace ${p} { zeropad 1 }`).join('\n')}
}
`;

const CASES = [
  { tv: 'resnet18', model: 'R18', input: [2, 3, 32, 32] },
  { tv: 'resnet50', model: 'R50', input: [2, 3, 32, 32] },
  { tv: 'vgg11', model: 'V11', input: [2, 3, 32, 32], hidden: 64 },
  { tv: 'alexnet', model: 'A', input: [2, 3, 96, 96], hidden: 64 },
  { tv: 'googlenet', model: 'G', input: [2, 3, 32, 32], googlenet: true },
  // cnnc's MobileNetV2 keeps Keras's batch-norm eps (a warning, CNN6003): torchvision's gets it too.
  { tv: 'mobilenet_v2', model: 'M', input: [2, 3, 32, 32], eps: 1e-3 },
];

describe.runIf(hasTorchvision || torchRequired)('--names torchvision', () => {
  let results: { tv: string; named: number; plain: number; params: number[] }[] = [];
  let emitErr = '';
  beforeAll(async () => {
    expect(hasTorchvision, SKIP).toBe(true);
    const file = path.join(work, 'models.cnn');
    fs.writeFileSync(file, MODELS);
    const named = await emitPytorch(file, path.join(work, 'named'), ['--names', 'torchvision']);
    expect(named.code, named.err).toBe(0);
    emitErr = named.err;
    const plain = await emitPytorch(file, path.join(work, 'plain'));
    expect(plain.code, plain.err).toBe(0);
    const spec = path.join(work, 'spec.json');
    fs.writeFileSync(
      spec,
      JSON.stringify(
        CASES.map((c) => ({
          ...c,
          named: path.join(work, 'named'),
          plain: path.join(work, 'plain'),
        })),
      ),
    );
    const r = spawnSync(PYTHON, [path.join(REPO, 'test/codegen/torchvision-names.py'), spec], {
      encoding: 'utf8',
      timeout: 600_000,
      env: { ...process.env, PYTHONDONTWRITEBYTECODE: '1' },
    });
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    results = r.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as (typeof results)[number]);
  }, 600_000);

  it.each(CASES.map((c) => [c.tv]))(
    "%s: torchvision's state dict loads strictly and gives torchvision's output",
    (tv) => {
      const r = results.find((x) => x.tv === tv)!;
      console.log(
        `${tv}: relative error ${r.named.toExponential(2)} (torchvision names), ${r.plain.toExponential(2)} (cnnc names)`,
      );
      expect(r.named).toBeLessThanOrEqual(1e-4);
      expect(r.plain).toBeLessThanOrEqual(1e-4);
      expect(new Set(r.params).size).toBe(1);
    },
  );

  it('warns that MobileNetV2 keeps a batch-norm eps torchvision does not have', () => {
    expect(emitErr).toMatch(/warning\[CNN6003\]: batch norm eps 0\.001 differs/);
    expect(emitErr).not.toMatch(/CNN600[124]/);
  });

  it.each([
    ['mobilenet', 'MobileNetV2', 'CNN6002'],
    ['examples/text-cnn.cnn', 'TextCNN', 'CNN6001'],
  ])(
    '%s %s cannot take torchvision names (%s) and nothing is written',
    async (file, model, code) => {
      const out = path.join(work, `refused-${model}`);
      const r = await emitPytorch(file, out, ['--model', model, '--names', 'torchvision']);
      expect(r.code).toBe(1);
      expect(r.err).toContain(`error[${code}]`);
      expect(fs.existsSync(out)).toBe(false);
    },
  );
});

if (!hasTorchvision && !torchRequired) {
  describe('--names torchvision', () => {
    it.skip(SKIP, () => {});
  });
}
