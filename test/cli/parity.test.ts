/**
 * PyTorch parity: seeded random torchvision ResNet-18, VGG-11, AlexNet, MobileNetV2 (also as the
 * stdlib's MobileNetV2_Torchvision), ResNeXt-50 32x4d, DenseNet-121, SqueezeNet 1.1 and Inception v3
 * (scripts/torch-export.py) load into the stdlib models through the torchvision name map, and
 * `cnnc run` gives PyTorch's outputs within 1e-4 (max |cnnc − torch| / max |torch|) on the wasm
 * and cpu backends and on the reference executor.
 *
 * To stay fast, the inputs are small (the stdlib models with their input changed) and the two
 * hidden dense layers of VGG-11 and AlexNet have 256 units instead of 4096: every conv layer, the
 * adaptive pools, the CHW-to-HWC reordering of the first dense layer and every module name are
 * torchvision's, at a fraction of their 120M and 54M dense parameters. CNNC_PARITY_FULL=1 runs the
 * full-width classifiers. Needs /usr/bin/python3 with torch and torchvision (Debian python3-torch,
 * python3-torchvision); skipped without them unless CNNC_REQUIRE_TORCH=1 (set by .ci/run).
 */
import { runCnnc } from '../helpers/cli.js';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseNpy } from '../../runtime/data/npy.js';
import { REPO } from '../helpers/memory-host.js';

const PYTHON = '/usr/bin/python3';
const hasTorch =
  spawnSync(PYTHON, ['-c', 'import torch, torchvision'], { stdio: 'ignore' }).status === 0;
const required = process.env.CNNC_REQUIRE_TORCH === '1';
const full = process.env.CNNC_PARITY_FULL === '1';
const hidden = full ? 4096 : 256;

const MODELS = [
  {
    name: 'resnet18',
    spec: 'resnet18:64x64:1',
    cnn: 'model R18 = ResNet18 { input 64x64x3 }',
    model: 'R18',
  },
  {
    // 64x64 ends the features at 2x2, which the adaptive pool spreads over 7x7.
    name: 'vgg11',
    spec: `vgg11:64x64:1${full ? '' : `:${hidden}`}`,
    cnn: `model V11 = VGG11 {
  input 64x64x3
  replace classifier {
    avgpool: adaptiveavgpool 7x7, flatten
    fc1: dense ${hidden}, relu, dropout 0.5
    fc2: dense ${hidden}, relu, dropout 0.5
    fc3: dense 1000
  }
}`,
    model: 'V11',
  },
  {
    // 128x128 ends the features at 3x3, which the adaptive pool spreads over 6x6.
    name: 'alexnet',
    spec: `alexnet:128x128:1${full ? '' : `:${hidden}`}`,
    cnn: `model A = AlexNet {
  input 128x128x3
  replace classifier {
    dropout 0.5, fc6: dense ${hidden}, relu
    dropout 0.5, fc7: dense ${hidden}, relu
    fc8: dense 1000
  }
}`,
    model: 'A',
  },
  {
    // The stdlib MobileNetV2 has Keras's layer names and padding: its strided convolutions pad
    // (0, 1, 0, 1); torchvision pads 1 on every side, the same as (1, 0, 1, 0) where the bottom row
    // and right column are never read. The script gives torchvision's batch norm Keras's eps 1e-3.
    name: 'mobilenet_v2',
    spec: 'mobilenet_v2:64x64:2',
    cnn: `model M = MobileNetV2 {
  input 64x64x3
${['Conv1_pad', 'block_1_pad', 'block_3_pad', 'block_6_pad', 'block_13_pad']
  .map((p) => `  replace ${p} { zeropad (1, 0, 1, 0) }`)
  .join('\n')}
}`,
    model: 'M',
  },
  // One model of each family added later, at the smallest input it takes: the others of a family
  // are the same ops at other widths and depths (test/codegen/torchvision-names covers each).
  {
    name: 'mobilenet_v2_torchvision',
    spec: 'mobilenet_v2_torchvision:32x32:2',
    cnn: 'model MT = MobileNetV2_Torchvision { input 32x32x3 }',
    model: 'MT',
  },
  {
    // Grouped 3x3 convolutions (32 groups), as in ResNeXt101_32x8d; the wide ResNets are
    // ResNet50's ops at twice the width.
    name: 'resnext50_32x4d',
    spec: 'resnext50_32x4d:32x32:2',
    cnn: 'model RX50 = ResNeXt50_32x4d { input 32x32x3 }',
    model: 'RX50',
  },
  {
    name: 'densenet121',
    spec: 'densenet121:32x32:2',
    cnn: 'model D121 = DenseNet121 { input 32x32x3 }',
    model: 'D121',
  },
  {
    name: 'squeezenet1_1',
    spec: 'squeezenet1_1:64x64:2',
    cnn: 'model S11 = SqueezeNet1_1 { input 64x64x3 }',
    model: 'S11',
    // The first convolution leaves a row and a column unread, as torchvision's does.
    warns: 'CNN3003',
  },
  {
    name: 'inception_v3',
    spec: 'inception_v3:75x75:2',
    cnn: 'model I3 = InceptionV3 { input 75x75x3 }',
    model: 'I3',
  },
];
const BACKENDS = ['wasm', 'cpu', 'reference'] as const;

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cnnc-parity-'));

const cnnc = (args: readonly string[]) => runCnnc(args, dir);

afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

const npy = (file: string) => parseNpy(fs.readFileSync(path.join(dir, file)), file).data;

describe.runIf(hasTorch || required)('PyTorch parity', () => {
  beforeAll(() => {
    expect(hasTorch, `${PYTHON} cannot import torch and torchvision`).toBe(true);
    const r = spawnSync(
      PYTHON,
      [path.join(REPO, 'scripts/torch-export.py'), dir, ...MODELS.map((m) => m.spec)],
      { encoding: 'utf8', timeout: 300_000 },
    );
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    fs.writeFileSync(
      path.join(dir, 'models.cnn'),
      `import resnet\nimport vgg\nimport alexnet\nimport mobilenet\nimport densenet\nimport squeezenet\nimport inception_v3\n\n${MODELS.map((m) => m.cnn).join('\n\n')}\n`,
    );
  }, 300_000);

  it.each(MODELS.flatMap((m) => BACKENDS.map((b) => [m.name, b, m] as const)))(
    '%s on %s matches PyTorch',
    async (name, backend, m) => {
      const output = `${name}-${backend}.npy`;
      const r = await cnnc([
        'run',
        'models.cnn',
        '--model',
        m.model,
        '--weights',
        `${name}.safetensors`,
        '--map',
        'torchvision',
        '--input',
        `${name}-input.npy`,
        '--output',
        output,
        '--backend',
        backend,
      ]);
      // No warning (but the model's own): every weight loaded and every tensor of the file used.
      const codes = [...r.err.matchAll(/^(?:error|warning)\[(CNN\d+)\]/gm)].map((x) => x[1]);
      expect(codes.filter((c) => c !== ('warns' in m ? m.warns : undefined))).toEqual([]);
      expect(r.err.replace(/^warning\[CNN3003\][^]*?\n\d+ warnings?\n/m, '')).toBe('');
      expect(r.code).toBe(0);
      const ours = npy(output);
      const torch = npy(`${name}-output.npy`);
      expect(ours.length).toBe(torch.length);
      let err = 0;
      let scale = 0;
      for (let i = 0; i < torch.length; i++) {
        err = Math.max(err, Math.abs(ours[i] - torch[i]));
        scale = Math.max(scale, Math.abs(torch[i]));
      }
      expect(scale).toBeGreaterThan(0);
      expect(err / scale).toBeLessThanOrEqual(1e-4);
    },
  );
});

if (!hasTorch && !required) {
  describe('PyTorch parity', () => {
    it.skip(`skipped: ${PYTHON} cannot import torch and torchvision (apt-get install python3-torch python3-torchvision)`, () => {});
  });
}
