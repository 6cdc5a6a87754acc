/**
 * Classic CNNs built by hand as IR, layer for layer as torchvision defines them, to check the rule
 * tables against torchvision's parameter, buffer and MAC counts (test/baselines/torchvision.json).
 */
import { IrBuilder } from '../../helpers/ir-builder.js';

export function lenet5(): IrBuilder {
  const b = new IrBuilder();
  b.input(32, 32, 1);
  b.conv(6, 5);
  b.act('tanh');
  b.avgpool(2);
  b.conv(16, 5);
  b.act('tanh');
  b.avgpool(2);
  b.flatten();
  b.dense(120);
  b.act('tanh');
  b.dense(84);
  b.act('tanh');
  b.dense(10);
  b.act('softmax');
  return b;
}

export function alexnet(): IrBuilder {
  const b = new IrBuilder();
  b.input(224, 224, 3);
  b.conv(64, 11, { stride: 4, padding: 2 });
  b.relu();
  b.maxpool(3, { stride: 2 });
  b.conv(192, 5, { padding: 2 });
  b.relu();
  b.maxpool(3, { stride: 2 });
  for (const filters of [384, 256, 256]) {
    b.conv(filters, 3, { padding: 1 });
    b.relu();
  }
  b.maxpool(3, { stride: 2 });
  b.adaptiveAvg([6, 6]);
  b.flatten();
  b.dropout();
  b.dense(4096);
  b.relu();
  b.dropout();
  b.dense(4096);
  b.relu();
  b.dense(1000);
  return b;
}

const VGG16 = [
  64,
  64,
  'M',
  128,
  128,
  'M',
  256,
  256,
  256,
  'M',
  512,
  512,
  512,
  'M',
  512,
  512,
  512,
  'M',
];

export function vgg16(batchNorm: boolean): IrBuilder {
  const b = new IrBuilder();
  b.input(224, 224, 3);
  for (const v of VGG16) {
    if (v === 'M') {
      b.maxpool(2);
      continue;
    }
    b.conv(Number(v), 3, { padding: 1 });
    if (batchNorm) b.bn();
    b.relu();
  }
  b.adaptiveAvg([7, 7]);
  b.flatten();
  b.dense(4096);
  b.relu();
  b.dropout();
  b.dense(4096);
  b.relu();
  b.dropout();
  b.dense(1000);
  return b;
}

function stem(b: IrBuilder): number {
  b.input(224, 224, 3);
  b.conv(64, 7, { stride: 2, padding: 3, bias: false });
  b.bn();
  b.relu();
  return b.maxpool(3, { stride: 2, padding: 1 });
}

function convBn(b: IrBuilder, filters: number, kernel: number, stride: number, from: number) {
  b.conv(filters, kernel, { stride, padding: (kernel - 1) / 2, bias: false, from });
  return b.bn();
}

/** torchvision BasicBlock (ResNet-18/34). */
function basic(b: IrBuilder, x: number, inC: number, width: number, stride: number): number {
  b.relu({ from: convBn(b, width, 3, stride, x) });
  const main = convBn(b, width, 3, 1, b.nodes.length - 1);
  const shortcut = stride !== 1 || inC !== width ? convBn(b, width, 1, stride, x) : x;
  b.add([main, shortcut]);
  return b.relu();
}

/** torchvision Bottleneck (ResNet-50/101/152): the stride is on the 3x3 conv (ResNet v1.5). */
function bottleneck(b: IrBuilder, x: number, inC: number, width: number, stride: number): number {
  b.relu({ from: convBn(b, width, 1, 1, x) });
  b.relu({ from: convBn(b, width, 3, stride, b.nodes.length - 1) });
  const main = convBn(b, width * 4, 1, 1, b.nodes.length - 1);
  const shortcut = stride !== 1 || inC !== width * 4 ? convBn(b, width * 4, 1, stride, x) : x;
  b.add([main, shortcut]);
  return b.relu();
}

export function resnet(kind: 'basic' | 'bottleneck', layers: readonly number[]): IrBuilder {
  const b = new IrBuilder();
  let x = stem(b);
  let inC = 64;
  const expansion = kind === 'basic' ? 1 : 4;
  layers.forEach((blocks, stage) => {
    const width = 64 * 2 ** stage;
    for (let i = 0; i < blocks; i++) {
      const stride = stage > 0 && i === 0 ? 2 : 1;
      x = (kind === 'basic' ? basic : bottleneck)(b, x, inC, width, stride);
      inC = width * expansion;
    }
  });
  b.adaptiveAvg([1, 1]);
  b.flatten();
  b.dense(1000);
  return b;
}

function convBnRelu6(b: IrBuilder, filters: number, kernel: number, stride: number) {
  b.conv(filters, kernel, { stride, padding: (kernel - 1) / 2, bias: false });
  b.bn();
  return b.act('relu6');
}

export function mobilenetV2(): IrBuilder {
  const b = new IrBuilder();
  b.input(224, 224, 3);
  let x = convBnRelu6(b, 32, 3, 2);
  let inC = 32;
  const settings = [
    [1, 16, 1, 1],
    [6, 24, 2, 2],
    [6, 32, 3, 2],
    [6, 64, 4, 2],
    [6, 96, 3, 1],
    [6, 160, 3, 2],
    [6, 320, 1, 1],
  ];
  for (const [t, c, n, s] of settings) {
    for (let i = 0; i < n; i++) {
      const stride = i === 0 ? s : 1;
      if (t !== 1) convBnRelu6(b, inC * t, 1, 1);
      b.depthwise(3, { stride, padding: 1, bias: false });
      b.bn();
      b.act('relu6');
      b.conv(c, 1, { bias: false });
      const out = b.bn();
      x = stride === 1 && inC === c ? b.add([out, x]) : out;
      inC = c;
    }
  }
  convBnRelu6(b, 1280, 1, 1);
  b.adaptiveAvg([1, 1]);
  b.flatten();
  b.dropout(0.2);
  b.dense(1000);
  return b;
}
