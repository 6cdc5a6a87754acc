/**
 * The diagnostic cases of shapes, parameters, budgets and resources (CNN3xxx, CNN4xxx, and the
 * few others written among them), in DIAGNOSTIC_CASES's order (test/compiler/diagnostic-cases.ts).
 */
import { derived, m } from './diagnostic-case-text.js';
import type { DiagnosticCase } from './diagnostic-cases.js';

export const SHAPE_CASES: readonly DiagnosticCase[] = [
  {
    code: 'CNN3001',
    about: 'a kernel larger than its input',
    files: { 'main.cnn': m('conv 6 5x5\nmaxpool 2\nconv 16 7x7', '14x14x1') },
    span: 'conv 16 7x7',
  },
  {
    code: 'CNN3002',
    about: 'a non-positive size',
    files: { 'main.cnn': m('conv 0 3x3') },
    span: '0',
  },
  {
    code: 'CNN3003',
    about: 'a stride that drops input rows (AlexNet at 224 instead of 227)',
    files: { 'main.cnn': m('conv 96 11x11 /4', '224x224x3') },
    span: 'conv 96 11x11 /4',
  },
  // 2080–2099: named references (issue 12, graphs)
  {
    code: 'CNN2080',
    about: 'a reference to a label that does not exist (with a did-you-mean)',
    files: {
      'main.cnn': m(
        'skip: conv 4 3x3 same\nconv 4 3x3 same\nconcat { branch from skp; branch { } }',
      ),
    },
    span: 'skp',
  },
  {
    code: 'CNN2081',
    about: 'a reference to a layer that comes later',
    files: { 'main.cnn': m('conv 4 3x3 same\nadd { branch from late; branch { } }\nlate: relu') },
    span: 'late',
  },
  {
    code: 'CNN2082',
    about: 'a reference to a layer inside another block call',
    files: {
      'main.cnn': `block double(c: int) {\n  a: conv c 3x3 same\n  relu\n}\n${m('enc: double(4)\nconv 4 3x3 same\nadd { branch from enc.a; branch { } }')}`,
    },
    span: 'enc.a',
  },
  {
    code: 'CNN2083',
    about: 'an ONNX model one of whose outputs is its input',
    files: {},
    onnxImport: {
      input: { name: 'x', dims: ['N', 4] },
      output: ['y', 'x'],
      nodes: [{ op: 'Relu', name: 'relu', inputs: ['x'], outputs: ['y'] }],
    },
    span: 'output x: type 0',
    spanFile: 'model.onnx',
  },
  {
    code: 'CNN2084',
    about: 'an ONNX output that reads the main path at two places',
    files: {},
    onnxImport: {
      input: { name: 'x', dims: ['N', 4] },
      output: ['z', 'both'],
      nodes: [
        { op: 'Relu', name: 'relu', inputs: ['x'], outputs: ['y'] },
        { op: 'Sigmoid', name: 'sigmoid', inputs: ['y'], outputs: ['z'] },
        { op: 'Add', name: 'join', inputs: ['x', 'y'], outputs: ['both'] },
      ],
    },
    span: 'output both: type 0',
    spanFile: 'model.onnx',
  },
  {
    code: 'CNN2085',
    about: 'an ONNX model that lists an auxiliary output before the main one',
    files: {},
    onnxImport: {
      input: { name: 'x', dims: ['N', 4] },
      output: ['aux', 'main'],
      nodes: [
        { op: 'Relu', name: 'relu', inputs: ['x'], outputs: ['y'] },
        { op: 'Sigmoid', name: 'aux_head', inputs: ['y'], outputs: ['aux'] },
        { op: 'Tanh', name: 'tanh', inputs: ['y'], outputs: ['t'] },
        { op: 'Sigmoid', name: 'sigmoid', inputs: ['t'], outputs: ['main'] },
      ],
    },
    span: 'output main: type 0',
    spanFile: 'model.onnx',
  },
  {
    code: 'CNN2130',
    about: 'two outputs with one name',
    files: { 'main.cnn': m('flatten\noutput aux { dense 3 }\noutput aux { dense 2 }\ndense 3') },
    span: 'aux',
  },
  {
    code: 'CNN2131',
    about: 'an output inside a group',
    files: { 'main.cnn': m('flatten\nhead: { dense 3\noutput early }\ndense 3') },
    span: 'output early',
  },
  {
    code: 'CNN2132',
    about: 'one value declared as two outputs',
    files: { 'main.cnn': m('flatten\noutput a\noutput b\ndense 3') },
    span: 'output b',
  },
  {
    code: 'CNN2133',
    about: 'a loss for an output the model does not have',
    files: {
      'main.cnn': m(
        'flatten\noutput aux { dense 3 }\ndense 3\ntrain { loss main categorical, axu categorical 0.3 }',
      ),
    },
    span: 'axu categorical 0.3',
  },
  {
    code: 'CNN2134',
    about: 'per-output losses that leave an output without one',
    files: {
      'main.cnn': m('flatten\noutput aux { dense 3 }\ndense 3\ntrain { loss main categorical }'),
    },
    span: 'loss main categorical',
  },
  {
    code: 'CNN2135',
    about: 'a per-output loss that names no loss',
    files: {
      'main.cnn': m(
        'flatten\noutput aux { dense 3 }\ndense 3\ntrain { loss main categorical, aux hinge }',
      ),
    },
    span: 'aux hinge',
  },
  {
    code: 'CNN3040',
    about: 'two outputs trained on the same labels with different numbers of classes',
    files: {
      'main.cnn': m(
        'flatten\noutput aux { dense 4 }\ndense 3\ntrain { loss main categorical, aux binary }',
      ),
    },
    span: 'dense 4',
  },
  {
    code: 'CNN3004',
    about: 'a residual whose body changes the channel count',
    files: { 'main.cnn': m('residual { conv 8 3x3 same }', '8x8x4') },
    span: 'residual { conv 8 3x3 same }',
  },
  {
    code: 'CNN3005',
    about: 'concat branches with different spatial sizes',
    files: { 'main.cnn': m('concat {\n  branch { maxpool 2 }\n  branch { relu }\n}') },
    span: 'concat',
  },
  {
    code: 'CNN3006',
    about: 'dense on an unflattened input',
    files: { 'main.cnn': m('conv 4 3x3\ndense 10') },
    span: 'dense 10',
  },
  {
    code: 'CNN3007',
    about: 'softmax before another layer',
    files: { 'main.cnn': m('flatten\nsoftmax\ndense 3') },
    span: 'softmax',
  },
  {
    code: 'CNN3009',
    about: 'a 1-D convolution on an image',
    files: { 'main.cnn': m('conv1d 4 3') },
    span: 'conv1d 4 3',
  },
  {
    code: 'CNN3010',
    about: 'dense after flattening a symbolic size',
    files: { 'main.cnn': m('flatten\ndense 10', 'HxWx3') },
    span: 'dense 10',
  },
  {
    code: 'CNN3011',
    about: 'groups that do not divide the channels',
    files: { 'main.cnn': m('conv 8 3x3 groups 4', '8x8x6') },
    span: 'conv 8 3x3 groups 4',
  },
  {
    code: 'CNN3012',
    about: 'symbolic sizes that cannot be shown equal',
    files: { 'main.cnn': m('add {\n  branch { maxpool 2 }\n  branch { maxpool 4 }\n}', 'HxWx3') },
    span: 'add',
  },
  {
    code: 'CNN3013',
    about: 'an input with a zero size',
    files: { 'main.cnn': m('relu', '0x8x1') },
    span: 'input 0x8x1',
  },
  {
    code: 'CNN3014',
    about: 'a reshape that changes the element count',
    files: { 'main.cnn': m('reshape 10x10') },
    span: 'reshape 10x10',
  },
  {
    code: 'CNN3016',
    about: 'pool padding over half the window',
    files: { 'main.cnn': m('maxpool 2 pad 2') },
    span: 'maxpool 2 pad 2',
  },
  {
    code: 'CNN3018',
    about: 'the constraint derived for a symbolic input size',
    files: { 'main.cnn': m('conv 8 3x3 /2 pad 1\nconv 8 3x3 /2 pad 1', 'HxWx3') },
    span: 'input HxWx3',
  },
  // 3020–3039: graphs (issue 12)
  {
    code: 'CNN3020',
    about: "a highway whose transform changes its input's width",
    files: {
      'main.cnn': m(
        'flatten\nhighway {\n  transform { dense 32, relu }\n  gate { dense 64, sigmoid }\n}',
      ),
    },
    span: 'highway',
  },
  {
    code: 'CNN3021',
    about: 'a highway gate that does not fit its input',
    files: {
      'main.cnn': m(
        'flatten\nhighway {\n  transform { dense 64, relu }\n  gate { dense 8, sigmoid }\n}',
      ),
    },
    span: 'highway',
  },
  // detection heads (docs/detection.md)
  {
    code: 'CNN2120',
    about: 'yolo anchors that are not (width, height) pairs',
    files: { 'main.cnn': m('conv 21 1x1\nyolo 2 anchors (8, 8, 16) stride 1', '8x8x3') },
    span: 'anchors (8, 8, 16)',
  },
  {
    code: 'CNN2121',
    about: 'a yolo head that later layers read',
    files: { 'main.cnn': m('conv 12 1x1\nyolo 2 boxes 2\nrelu', '8x8x3') },
    span: 'yolo 2 boxes 2',
  },
  {
    code: 'CNN2137',
    about: 'a detector with a classifier output beside its yolo head',
    files: {
      'main.cnn': m(
        'conv 12 3x3 /2 same\noutput cls {\n  gap\n  dense 3\n}\nyolo 2 boxes 2',
        '8x8x3',
      ),
    },
    span: 'dense 3',
  },
  {
    code: 'CNN2122',
    about: 'a detection setting on a classifier',
    files: { 'main.cnn': m('flatten\ndense 3\ntrain { nms_iou 0.4 }') },
    span: 'nms_iou',
  },
  {
    code: 'CNN2123',
    about: 'a detector trained with a classification loss',
    files: { 'main.cnn': m('conv 13 1x1\nyolo 3 boxes 2\ntrain { loss categorical }', '8x8x3') },
    span: 'loss categorical',
  },
  {
    code: 'CNN2124',
    about: 'an NMS IoU threshold above 1',
    files: {
      'main.cnn': m('conv 13 1x1\nyolo 3 boxes 2\ntrain { loss yolo nms_iou 1.5 }', '8x8x3'),
    },
    span: 'loss yolo nms_iou 1.5',
  },
  {
    code: 'CNN2125',
    about: 'cnnc train on a detector whose train block caches features',
    files: {
      'main.cnn': m(
        'stem: conv 4 3x3 same\nconv 13 1x1\nyolo 3 boxes 2\nfreeze stem\ntrain { loss yolo, features cache }',
        '8x8x3',
      ),
    },
    span: 'features cache',
    train: true,
  },
  {
    code: 'CNN3100',
    about: 'a conv whose channels do not fit the yolo head: B·5 + C',
    files: { 'main.cnn': m('conv 10 1x1\nyolo 3 boxes 2', '8x8x3') },
    span: 'yolo 3 boxes 2',
  },
  {
    code: 'CNN3101',
    about: 'a declared stride that does not give the grid',
    files: { 'main.cnn': m('conv 13 3x3 /2 same\nyolo 3 boxes 2 stride 4', '16x16x3') },
    span: 'yolo 3 boxes 2 stride 4',
  },
  {
    code: 'CNN3102',
    about: 'a yolo head on an image of symbolic size',
    files: { 'main.cnn': m('conv 13 1x1\nyolo 3 boxes 2', 'HxWx3') },
    span: 'yolo 3 boxes 2',
  },
  {
    code: 'CNN3103',
    about: 'two yolo heads of one detector with different class counts',
    files: {
      'main.cnn': m(
        'conv 8 3x3 /2 same\noutput fine {\n  conv 7 1x1\n  yolo 2 anchors (4, 4)\n}\nconv 8 3x3 /2 same\nconv 8 1x1\nyolo 3 anchors (8, 8)',
        '16x16x3',
      ),
    },
    span: 'yolo 2 anchors (4, 4)',
  },
  {
    code: 'CNN3030',
    about: 'an upsample with neither a scale nor a target size',
    files: { 'main.cnn': m('conv 8 3x3\nupsample bilinear') },
    span: 'upsample bilinear',
  },
  {
    code: 'CNN3031',
    about: 'an upsample mode that is not nearest or bilinear',
    files: { 'main.cnn': m('conv 8 3x3\nupsample 2 mode bicubic') },
    span: 'mode bicubic',
  },
  {
    code: 'CNN4001',
    about: 'a parameter budget exceeded',
    files: { 'main.cnn': m('conv 64 3x3\nbudget params <= 100') },
    span: 'params <= 100',
  },
  {
    code: 'CNN4002',
    about: 'a MAC budget exceeded',
    files: { 'main.cnn': m('conv 64 3x3\nbudget macs <= 1K') },
    span: 'macs <= 1K',
  },
  {
    code: 'CNN4003',
    about: 'a training-memory budget exceeded',
    files: { 'main.cnn': m('conv 64 3x3\nbudget memory <= 1KiB') },
    span: 'memory <= 1KiB',
  },
  {
    code: 'CNN4004',
    about: 'an unknown budget metric',
    files: { 'main.cnn': m('relu\nbudget flops <= 1G') },
    span: 'flops',
  },
  {
    code: 'CNN4005',
    about: 'a MAC budget on a symbolic input size',
    files: { 'main.cnn': m('conv 8 3x3 same\nbudget macs <= 1G', 'HxWx3') },
    span: 'macs <= 1G',
  },
  {
    code: 'CNN4006',
    about: 'pretrained layers fine-tuned with a large learning rate',
    files: { 'main.cnn': derived('  train { weights "a.safetensors", lr 0.01 }') },
    span: 'lr 0.01',
  },
  {
    code: 'CNN4007',
    about: 'a freeze that stops between a convolution and its batch norm',
    files: { 'main.cnn': derived('  freeze ..stem.conv1') },
    span: '..stem.conv1',
  },
  {
    code: 'CNN4008',
    about: 'a scheduled unfreeze of layers that were never frozen',
    files: { 'main.cnn': derived('  freeze stem\n  train { at epoch 2 unfreeze head }') },
    span: 'at epoch 2 unfreeze head',
  },
  {
    code: 'CNN4009',
    about: 'a scheduled unfreeze after the last epoch',
    files: { 'main.cnn': derived('  freeze stem\n  train { epochs 3, at epoch 5 unfreeze stem }') },
    span: 'at epoch 5 unfreeze stem',
  },
  {
    code: 'CNN4010',
    about: 'a feature cache with no frozen backbone',
    files: { 'main.cnn': derived('  freeze head\n  train { features cache }') },
    span: 'features cache',
  },
  {
    code: 'CNN4011',
    about: 'a learning rate for layers that stay frozen',
    files: { 'main.cnn': derived('  freeze stem\n  train { lr stem 1e-4 }') },
    span: 'lr stem 1e-4',
  },
  {
    code: 'CNN4012',
    about:
      'training at batch 64 on the wasm backend, whose memory stops at 4 GiB (cnnc train, evaluate, predict, run, bench and verify check before allocating)',
    files: { 'main.cnn': m('conv 64 3x3 same, relu\ngap\ndense 10', '512x512x3') },
    backendMemory: { backend: 'wasm', batch: 64, training: true, machineBytes: 16 * 2 ** 30 },
    span: 'input 512x512x3',
  },
  {
    code: 'CNN4013',
    about: 'an input whose activations no machine holds',
    files: { 'main.cnn': m('conv 64 3x3 same', '1000000x1000000x3') },
    span: 'conv 64 3x3 same',
  },
];
