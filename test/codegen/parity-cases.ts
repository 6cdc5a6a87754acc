/**
 * The models every code generator's forward-parity test runs (PyTorch: forward-parity.test.ts;
 * TensorFlow.js: tfjs/forward-parity.test.ts): every example file, and the stdlib families at
 * small inputs, with the hidden dense layers of AlexNet and VGG narrowed as in
 * test/cli/parity.test.ts. The single-op cases are op-cases.ts.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { REPO } from '../helpers/memory-host.js';

/** The stdlib families at small inputs (classifiers narrowed to 64 hidden units). */
export const STDLIB_MODELS = `import lenet
import alexnet
import vgg
import resnet
import inception
import mobilenet

model LeNet = LeNet5 { input 32x32x1 }
model AlexNetSmall = AlexNet {
  input 96x96x3
  replace classifier {
    dropout 0.5, fc6: dense 64, relu
    dropout 0.5, fc7: dense 64, relu
    fc8: dense 10
  }
}
model AlexNetOriginalSmall = AlexNetOriginal {
  input 99x99x3
  replace classifier { fc6: dense 64, relu, dropout 0.5, fc7: dense 64, relu, dropout 0.5, fc8: dense 10 }
}
model AlexNetOneGPUSmall = AlexNetOneGPU {
  input 99x99x3
  replace classifier { fc6: dense 64, relu, dropout 0.5, fc7: dense 64, relu, dropout 0.5, fc8: dense 10 }
}
model VGG11Small = VGG11 {
  input 32x32x3
  replace classifier {
    avgpool: adaptiveavgpool 7x7, flatten
    fc1: dense 64, relu, dropout 0.5
    fc2: dense 64, relu, dropout 0.5
    fc3: dense 10
  }
}
model VGG11BNSmall = VGG11_BN {
  input 32x32x3
  replace classifier {
    avgpool: adaptiveavgpool 7x7, flatten
    fc1: dense 64, relu, dropout 0.5
    fc2: dense 64, relu, dropout 0.5
    fc3: dense 10
  }
}
model ResNet18Small = ResNet18 { input 32x32x3 }
model ResNet50Small = ResNet50 { input 32x32x3 }
model GoogLeNetSmall = GoogLeNet { input 32x32x3 }
model MobileNetV2Small = MobileNetV2 { input 32x32x3 }
`;

/** The number of models STDLIB_MODELS defines (one per family and variant). */
export const STDLIB_MODEL_COUNT = 10;

/**
 * Every example: examples/*.cnn, examples/transfer/*.cnn and examples/detection/*.cnn, relative to
 * the repository, sorted. Examples with several outputs (`output NAME`, examples/two-heads.cnn) are
 * compared output by output (`cnnc run --output Y.npy` writes Y.NAME.npy per output).
 */
export const EXAMPLE_FILES: readonly string[] = [
  'examples',
  'examples/transfer',
  'examples/detection',
]
  .flatMap((dir) =>
    fs
      .readdirSync(path.join(REPO, dir))
      .filter((f) => f.endsWith('.cnn'))
      .map((f) => `${dir}/${f}`),
  )
  .sort();
