/**
 * The reference executor against the TensorFlow.js lowering (wasm), through `cnnc verify`: with the
 * same weights and seeded inputs, outputs, loss and every gradient agree within 1e-4 relative.
 *
 * Every example runs, and each stdlib family at a small input size. Gradients are taken in train
 * mode (batch statistics) except where the model has dropout (its draws differ between backends)
 * and for ResNet-50 and deeper, compared in eval mode. ReLU inputs within float32 rounding of 0
 * take the tfjs side for their derivative (runtime/verify.ts, "Kinks"): ResNet-34 at seed 1 has
 * one, whose derivative alone put a stage-3 gradient 3.4e-2 apart before. Even so, in train mode
 * ResNet-50 (64x64, batch 2) differs by 6.4e-4 (its losses by 6e-6: batch statistics over 2x2
 * maps amplify float32 rounding) — no float32 pair agrees to 1e-4 there. (An earlier float64
 * measurement that put both float32 engines 1e-1 off was kinks too: the float64 run had taken
 * other branches.) The remaining stdlib variants (same ops, bigger) run with CNNC_SLOW_TESTS=1.
 */
import { describe, expect, it } from 'vitest';
import { runCnnc } from '../../helpers/cli.js';

interface VerifyJson {
  readonly model: string;
  readonly ok: boolean;
  readonly worst: number;
  readonly trainingMode: boolean;
  readonly branchesTaken: number;
  readonly grads: readonly { readonly name: string; readonly error: number }[];
}

async function verify(args: readonly string[]): Promise<VerifyJson[]> {
  const r = await runCnnc(['verify', ...args, '--json']);
  expect(r.err).not.toMatch(/error\[/);
  return r.out
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as VerifyJson);
}

const model = (file: string, name: string, input: string, mode?: 'eval'): [string, string[]] => [
  file,
  ['--model', name, '--input', input, ...(mode ? ['--mode', mode] : [])],
];

const CASES: [string, string[]][] = [
  ['examples/lenet5.cnn', []],
  ['examples/yardstick.cnn', []],
  ['examples/small-vgg.cnn', []],
  ['examples/resnet-digits.cnn', []],
  ['examples/inception-module.cnn', []],
  ['examples/text-cnn.cnn', []],
  ['examples/budgets.cnn', []],
  ['examples/any-size.cnn', ['--input', '64x64x3']],
  ['examples/unet.cnn', []],
  ['examples/unet-upsample.cnn', []],
  ['examples/highway.cnn', []],
  ['examples/two-heads.cnn', []],
  ['stdlib/lenet.cnn', []],
  model('stdlib/alexnet.cnn', 'AlexNet', '64x64x3'),
  model('stdlib/resnet.cnn', 'ResNet18', '64x64x3'),
  model('stdlib/resnet.cnn', 'ResNet34', '64x64x3'),
  model('stdlib/resnet.cnn', 'ResNet50', '64x64x3', 'eval'),
  model('stdlib/vgg.cnn', 'VGG11_BN', '32x32x3'),
  ['stdlib/inception.cnn', ['--input', '64x64x3']],
  ['stdlib/mobilenet.cnn', ['--input', '32x32x3']],
  // DenseNet-121 at 32x32 ends at 1x1 maps, whose batch statistics over 2 values amplify
  // rounding (a kernel gradient 6.5 apart in train mode): compared in eval mode.
  model('stdlib/densenet.cnn', 'DenseNet121', '32x32x3', 'eval'),
  model('stdlib/squeezenet.cnn', 'SqueezeNet1_1', '64x64x3'),
  // 32 groups per 3x3 convolution.
  model('stdlib/resnet.cnn', 'ResNeXt50_32x4d', '32x32x3', 'eval'),
];

const SLOW: [string, string[]][] = [
  model('stdlib/alexnet.cnn', 'AlexNetOriginal', '227x227x3'),
  model('stdlib/alexnet.cnn', 'AlexNetOneGPU', '227x227x3'),
  model('stdlib/resnet.cnn', 'ResNet101', '64x64x3', 'eval'),
  model('stdlib/resnet.cnn', 'ResNet152', '64x64x3', 'eval'),
  model('stdlib/inception_v3.cnn', 'InceptionV3', '75x75x3', 'eval'),
  ...['VGG11', 'VGG13', 'VGG16', 'VGG19', 'VGG13_BN', 'VGG16_BN', 'VGG19_BN'].map((n) =>
    model('stdlib/vgg.cnn', n, '32x32x3'),
  ),
];

const slow = process.env.CNNC_SLOW_TESTS === '1';

describe('reference executor vs tfjs wasm (cnnc verify)', () => {
  it.each([...CASES, ...(slow ? SLOW : [])])('%s %s', async (file, extra) => {
    const reports = await verify([file, ...extra]);
    expect(reports.length).toBeGreaterThan(0);
    for (const r of reports) {
      expect(r.grads.length, r.model).toBeGreaterThan(0);
      expect(r.worst, `${r.model}: worst ${r.worst} (${r.grads[0]?.name})`).toBeLessThanOrEqual(
        1e-4,
      );
      expect(r.ok).toBe(true);
      // The kink this model has at seed 1 (see above): the comparison passes through it.
      if (r.model === 'ResNet34_64_64_3') expect(r.branchesTaken).toBeGreaterThan(0);
    }
  });

  it('fails, naming the tensor, when the backends disagree', async () => {
    const r = await runCnnc(['verify', 'examples/lenet5.cnn', '--tolerance', '1e-12']);
    expect(r.code).toBe(1);
    expect(r.out).toMatch(/^FAIL LeNet5 · .* worst [0-9.e-]+ \(\S+\/\S+\)/m);
  });

  it('points a train-mode failure of a model with batch norm at --mode eval', async () => {
    const r = await runCnnc(['verify', 'examples/yardstick.cnn', '--tolerance', '1e-12']);
    expect(r.code).toBe(1);
    expect(r.out).toMatch(
      /^FAIL Yardstick .*\n {2}note: in train mode batch norm .*\n {2}help: --mode eval/m,
    );
    const lenet = await runCnnc(['verify', 'examples/lenet5.cnn', '--tolerance', '1e-12']);
    expect(lenet.out).not.toMatch(/note:/);
  });

  it('refuses train-mode gradients of a model with dropout', async () => {
    const r = await runCnnc(['verify', 'examples/text-cnn.cnn', '--mode', 'train']);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/dropout.*--mode eval/);
  });
});
