/**
 * `--names torchvision`: the stdlib ResNets (wide and ResNeXt too), VGG, AlexNet, GoogLeNet,
 * Inception v3, DenseNets, SqueezeNets and both MobileNetV2s (the Keras one with even padding) emit
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
import inception_v3
import densenet
import squeezenet

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
model MT = MobileNetV2_Torchvision { input 32x32x3 }
model WR50 = WideResNet50_2 { input 32x32x3 }
model WR101 = WideResNet101_2 { input 32x32x3 }
model RX50 = ResNeXt50_32x4d { input 32x32x3 }
model RX101 = ResNeXt101_32x8d { input 32x32x3 }
model D121 = DenseNet121 { input 32x32x3 }
model D161 = DenseNet161 { input 32x32x3 }
model D169 = DenseNet169 { input 32x32x3 }
model D201 = DenseNet201 { input 32x32x3 }
model S10 = SqueezeNet1_0 { input 64x64x3 }
model S11 = SqueezeNet1_1 { input 64x64x3 }
model I3 = InceptionV3 { input 75x75x3 }
model I3A = InceptionV3Aux {
  input 299x299x3
  train { loss main categorical, aux categorical 0.4 }
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
  // The smallest inputs the models take (DenseNets, ResNets and MobileNetV2 end at 1x1, Inception
  // v3 at 1x1 from 75x75). The biggest skip the round trip through a .pth file, which the
  // smallest of their family takes.
  { tv: 'mobilenet_v2', model: 'MT', input: [2, 3, 32, 32], id: 'mobilenet_v2 (torchvision)' },
  { tv: 'wide_resnet50_2', model: 'WR50', input: [2, 3, 32, 32], skipPlain: true },
  { tv: 'wide_resnet101_2', model: 'WR101', input: [2, 3, 32, 32], skipPlain: true },
  { tv: 'resnext50_32x4d', model: 'RX50', input: [2, 3, 32, 32] },
  { tv: 'resnext101_32x8d', model: 'RX101', input: [2, 3, 32, 32], skipPlain: true },
  { tv: 'densenet121', model: 'D121', input: [2, 3, 32, 32] },
  { tv: 'densenet161', model: 'D161', input: [2, 3, 32, 32], skipPlain: true },
  { tv: 'densenet169', model: 'D169', input: [2, 3, 32, 32], skipPlain: true },
  { tv: 'densenet201', model: 'D201', input: [2, 3, 32, 32], skipPlain: true },
  { tv: 'squeezenet1_0', model: 'S10', input: [2, 3, 64, 64] },
  { tv: 'squeezenet1_1', model: 'S11', input: [2, 3, 64, 64] },
  {
    tv: 'inception_v3',
    model: 'I3',
    input: [2, 3, 75, 75],
    kwargs: { aux_logits: false, init_weights: false },
  },
  // Both outputs (main, aux): torchvision in train mode at the top, eval below (batch norm on its
  // running statistics, no dropout), which returns InceptionOutputs(logits, aux_logits); the aux
  // head needs the full 299x299 (batch 1: batch norm is on its running statistics).
  {
    tv: 'inception_v3',
    model: 'I3A',
    input: [1, 3, 299, 299],
    kwargs: { aux_logits: true, init_weights: false },
    aux: true,
    id: 'inception_v3 (aux_logits=True, both outputs)',
  },
];
const idOf = (c: (typeof CASES)[number]) => ('id' in c && c.id) || c.tv;

describe.runIf(hasTorchvision || torchRequired)('--names torchvision', () => {
  let results: { tv: string; named: number; plain: number | null; params: number[] }[] = [];
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
    // The SqueezeNets' first convolutions warn CNN3003 at emit time; Python must say nothing.
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    results = r.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as (typeof results)[number]);
  }, 600_000);

  it.each(CASES.map((c, i) => [idOf(c), i]))(
    "%s: torchvision's state dict loads strictly and gives torchvision's output",
    (tv, i) => {
      const r = results[i];
      expect(r.tv).toBe(CASES[i].tv);
      console.log(
        `${tv}: relative error ${r.named.toExponential(2)} (torchvision names), ${r.plain?.toExponential(2) ?? 'not run'} (cnnc names)`,
      );
      expect(r.named).toBeLessThanOrEqual(1e-4);
      if (!('skipPlain' in CASES[i] && CASES[i].skipPlain)) {
        expect(r.plain).not.toBeNull();
        expect(r.plain).toBeLessThanOrEqual(1e-4);
      }
      expect(new Set(r.params).size).toBe(1);
    },
  );

  it('trains InceptionV3Aux, with two outputs, in train.py with its per-output losses', () => {
    expect(emitErr).not.toMatch(/CNN2136/);
    for (const dir of ['named', 'plain']) {
      const train = fs.readFileSync(path.join(work, dir, 'train.py'), 'utf8');
      const i3a = train.slice(train.indexOf('    "I3A": {'));
      expect(i3a).toMatch(
        /^ {4}"I3A": \{[^}]*"output_losses": \(\("main", "categorical", 1\), \("aux", "categorical", 0\.4\)\)/,
      );
    }
  });

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
