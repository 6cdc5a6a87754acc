/**
 * The diagnostic cases of the code generators (CNN6xxx: --emit pytorch, tfjs and onnx) and of
 * `cnnc import onnx` (CNN2070–CNN2074, CNN4020), in DIAGNOSTIC_CASES's order after the others
 * (test/compiler/diagnostic-cases.ts, which holds DiagnosticCase).
 */
import type { DiagnosticCase } from './diagnostic-cases.js';
import { m } from './diagnostic-case-text.js';

export const CODEGEN_CASES: readonly DiagnosticCase[] = [
  {
    code: 'CNN6001',
    about: 'torchvision names for a model that no torchvision model resembles',
    files: { 'main.cnn': 'model Tiny {\n  input 8x8x1\n  conv 4 3x3\n}\n' },
    span: 'model Tiny {\n  input 8x8x1\n  conv 4 3x3\n}',
    emitPytorch: { names: 'torchvision' },
  },
  {
    code: 'CNN6002',
    about: 'torchvision names on a ResNet-like model that pads like Keras',
    files: {
      'main.cnn': m(
        'stem: { conv1: conv 4 3x3 /2 same nobias, bn1: bn, relu }\nhead: { gap, fc: dense 10 }',
        '8x8x3',
      ),
    },
    span: 'conv 4 3x3 /2 same nobias',
    emitPytorch: { names: 'torchvision' },
  },
  {
    code: 'CNN6003',
    about: "torchvision names on batch norms with Keras's epsilon",
    files: {
      'main.cnn': m(
        'stem: { conv1: conv 4 3x3 pad 1 nobias, bn1: bn eps 0.001, relu }\nhead: { gap, fc: dense 10 }',
        '8x8x3',
      ),
    },
    span: 'bn eps 0.001',
    emitPytorch: { names: 'torchvision' },
  },
  {
    code: 'CNN6004',
    about: 'torchvision names on a model with a layer torchvision does not have',
    files: {
      'main.cnn': m(
        'stem: { conv1: conv 4 3x3 pad 1 nobias, bn1: bn, relu }\nextra: conv 4 1x1\nhead: { gap, fc: dense 10 }',
        '8x8x3',
      ),
    },
    span: 'conv 4 1x1',
    emitPytorch: { names: 'torchvision' },
  },
  {
    code: 'CNN6050',
    about:
      "a train block's pretrained weights in TensorFlow.js's format, which train.py cannot read",
    files: {
      'main.cnn':
        'model M {\n  input 8x8x1\n  conv 4 3x3\n  train { weights "tfjs/model.json" }\n}\n',
    },
    span: 'weights "tfjs/model.json"',
    emitPytorch: { names: 'cnnc' },
  },
  {
    code: 'CNN6051',
    about: 'two outputs of different sizes without a train block: train.py leaves the model out',
    files: {
      'main.cnn': m('conv 4 3x3 same, relu\noutput aux { gap, dense 3 }\nflatten\ndense 5'),
    },
    span: 'dense 3',
    emitPytorch: { names: 'cnnc' },
  },
  {
    code: 'CNN6061',
    about: 'a detector whose train block caches features: train.py leaves it out',
    files: {
      'main.cnn': m(
        'stem: conv 4 3x3 same\nconv 8 1x1\nyolo 3 boxes 1\nfreeze stem\ntrain { loss yolo, features cache }',
      ),
    },
    span: 'features cache',
    emitPytorch: { names: 'cnnc' },
  },
  {
    code: 'CNN6100',
    about: 'a TensorFlow.js project whose train block starts from torchvision-named weights',
    files: {
      'main.cnn': m(
        'conv 4 3x3, relu\ngap\ndense 10\ntrain { weights "resnet18.pth" map torchvision }',
      ),
    },
    span: 'weights "resnet18.pth" map torchvision',
    emitTfjs: true,
  },
  {
    code: 'CNN6101',
    about: 'a TensorFlow.js project whose train block reads an image folder',
    files: { 'main.cnn': m('conv 4 3x3, relu\ngap\ndense 10\ntrain { data "folder:photos" }') },
    span: 'data "folder:photos"',
    emitTfjs: true,
  },
  {
    code: 'CNN6102',
    about: 'a TensorFlow.js project of a detector, which train.ts does not train',
    files: { 'main.cnn': m('conv 14 1x1\nyolo 2 anchors (8, 8, 16, 16) stride 1', '8x8x3') },
    span: 'yolo 2 anchors (8, 8, 16, 16) stride 1',
    emitTfjs: true,
  },
  {
    code: 'CNN6201',
    about: 'an ONNX export of an adaptive pool over an input of any size',
    files: { 'main.cnn': 'model M {\n  input ?x?x3\n  conv 4 3x3\n  adaptiveavgpool 2x2\n}\n' },
    span: 'adaptiveavgpool 2x2',
    emitOnnx: true,
  },
  {
    code: 'CNN6202',
    about: 'an ONNX export of a ceil-mode pool over an input of any size',
    files: { 'main.cnn': 'model M {\n  input ?x?x3\n  maxpool 3x3 /2 ceil\n}\n' },
    span: 'maxpool 3x3 /2 ceil',
    emitOnnx: true,
  },
  {
    code: 'CNN2070',
    about: 'a file that is not an ONNX protobuf',
    files: {},
    onnxImport: { bytes: '\x08\xff\xff' },
    span: 'model.onnx: not an ONNX protobuf (index out of range: 3 + 1 > 3)',
    spanFile: 'model.onnx',
  },
  {
    code: 'CNN2071',
    about: 'ONNX operators cnnc has no counterpart for',
    files: {},
    onnxImport: {
      input: { name: 'x', dims: ['N', 4] },
      output: 'z',
      nodes: [
        { op: 'Sqrt', name: 'root', inputs: ['x'], outputs: ['y'] },
        { op: 'Erf', name: 'erf', inputs: ['y'], outputs: ['z'] },
      ],
    },
    span: 'Sqrt',
    spanFile: 'model.onnx',
  },
  {
    code: 'CNN2072',
    about: 'an ONNX Conv padded SAME_LOWER',
    files: {},
    onnxImport: {
      input: { name: 'x', dims: ['N', 1, 8, 8] },
      output: 'y',
      initializers: [{ name: 'w', dims: [2, 1, 2, 2], values: [1, 2, 3, 4, 5, 6, 7, 8] }],
      nodes: [
        {
          op: 'Conv',
          name: 'conv',
          inputs: ['x', 'w'],
          outputs: ['y'],
          attrs: { kernel_shape: [2, 2], auto_pad: 'SAME_LOWER' },
        },
      ],
    },
    span: 'auto_pad="SAME_LOWER"',
    spanFile: 'model.onnx',
  },
  {
    code: 'CNN2073',
    about: 'an ONNX model whose input is neither an image nor a vector',
    files: {},
    onnxImport: {
      input: { name: 'x', dims: ['N', 3, 8] },
      output: 'y',
      nodes: [{ op: 'Relu', name: 'relu', inputs: ['x'], outputs: ['y'] }],
    },
    span: 'input x: float[N, 3, 8]',
    spanFile: 'model.onnx',
  },
  {
    code: 'CNN2074',
    about: 'ONNX weights stored as float16',
    files: {},
    onnxImport: {
      input: { name: 'x', dims: ['N', 3] },
      output: 'y',
      initializers: [{ name: 'w', dims: [3, 2], values: [], dataType: 10 }],
      nodes: [{ op: 'MatMul', name: 'fc', inputs: ['x', 'w'], outputs: ['y'] }],
    },
    span: 'initializer w: float16[3, 2]',
    spanFile: 'model.onnx',
  },
  {
    code: 'CNN4020',
    about: 'an ONNX graph with more nodes than cnnc imports',
    files: {},
    onnxImport: {
      input: { name: 'x', dims: ['N', 4] },
      output: 'y100000',
      nodes: Array.from({ length: 100_001 }, (_, i) => ({
        op: 'Relu',
        name: `r${i}`,
        inputs: [i ? `y${i - 1}` : 'x'],
        outputs: [`y${i}`],
      })),
    },
    span: 'ONNX graph "g", opset 13, from cnnc-tests',
    spanFile: 'model.onnx',
  },
];
