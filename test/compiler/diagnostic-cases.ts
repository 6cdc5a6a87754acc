/**
 * One small program per diagnostic code: the test in diagnostics-triggered.test.ts compiles each and
 * checks that the code is reported with its primary span on `span` (the text the span covers), and
 * docs/diagnostics.md is generated from this table with the rendered output.
 */
import type { DiagnosticCode } from '../../compiler/diagnostics/codes.js';
import type { GraphSpec } from './import/onnx-fixtures.js';

export interface DiagnosticCase {
  readonly code: DiagnosticCode;
  /** What the example shows, for the docs. */
  readonly about: string;
  /** main.cnn and any other files it imports. */
  readonly files: Readonly<Record<string, string>>;
  /** The exact text under the primary span (empty for a zero-width span at the end of a file). */
  readonly span: string;
  /** The file the span is in, if not main.cnn. */
  readonly spanFile?: string;
  readonly budgets?: { readonly params?: number; readonly macs?: number; readonly memory?: number };
  /**
   * The case is the memory check of cnnc train/evaluate/predict/run (compiler/report/
   * backend-memory.ts) on the compiled model, on this backend and machine.
   */
  readonly backendMemory?: {
    readonly backend: string;
    readonly batch: number;
    readonly training: boolean;
    readonly machineBytes: number;
  };
  /** Byte sizes the host reports for files whose text stands in for a huge one. */
  readonly fileSizes?: Readonly<Record<string, number>>;
  /**
   * The case imports a Keras model.json (`cnnc import keras`, compiler/import/keras.ts) instead of
   * compiling main.cnn: `files` holds model.json, and the span is in it.
   */
  readonly kerasImport?: true;
  /**
   * The case compiles main.cnn to a PyTorch project (`cnnc compile --emit pytorch`,
   * compiler/codegen/pytorch) with these names: code generation's diagnostics (CNN6xxx).
   */
  readonly emitPytorch?: { readonly names: 'cnnc' | 'torchvision' };
  /**
   * The case compiles main.cnn to a TensorFlow.js project (`cnnc compile --emit tfjs`,
   * compiler/codegen/tfjs): code generation's diagnostics (CNN61xx).
   */
  readonly emitTfjs?: true;
  /** The case exports main.cnn's one model to ONNX (compiler/codegen/onnx): CNN62xx. */
  readonly emitOnnx?: true;
  /**
   * The case imports an ONNX model (`cnnc import onnx`, compiler/import/onnx.ts): a graph built by
   * test/compiler/import/onnx-fixtures.ts, or raw bytes (a latin1 string). The span is in the
   * listing of model.onnx the import writes (`files` stays empty).
   */
  readonly onnxImport?: GraphSpec | { readonly bytes: string };
}

const m = (body: string, input = '8x8x1') =>
  `model M {\n  input ${input}\n${body
    .split('\n')
    .map((l) => `  ${l}`)
    .join('\n')}\n}\n`;

const derived = (body: string) =>
  `model A {\n  input 8x8x1\n  stem: { conv 4 3x3, bn, relu }\n  concat { branch { conv 2 1x1 } branch { conv 2 1x1 } }\n  head: { gap, dense 10 }\n}\nmodel B = A {\n${body}\n}\n`;

/** A TensorFlow.js layers model.json of a Sequential Keras model: its layers and manifest entries. */
const kerasSequential = (layers: string, weights?: string) =>
  `{ "modelTopology": { "class_name": "Sequential", "config": { "name": "s", "layers": [\n${layers
    .split('\n')
    .map((l) => `  ${l}`)
    .join('\n')}\n] } }${
    weights
      ? `,\n  "weightsManifest": [{ "paths": ["weights.bin"], "weights": [\n${weights
          .split('\n')
          .map((l) => `  ${l}`)
          .join('\n')}\n] }]`
      : ''
  } }\n`;

export const DIAGNOSTIC_CASES: readonly DiagnosticCase[] = [
  {
    code: 'CNN1001',
    about: 'a token where none fits',
    files: { 'main.cnn': m('conv 4 3x3 = 2') },
    span: '=',
  },
  {
    code: 'CNN1002',
    about: 'a character the language does not use',
    files: { 'main.cnn': m('relu @') },
    span: '@',
  },
  {
    code: 'CNN1003',
    about: 'a block comment that never ends',
    files: { 'main.cnn': 'model M {\n  input 8x8x1 /* never closed\n}\n' },
    span: '/*',
  },
  {
    code: 'CNN1004',
    about: 'a missing closing brace',
    files: { 'main.cnn': 'model M {\n  input 8x8x1\n  relu\n' },
    span: '',
  },
  {
    code: 'CNN1005',
    about: 'a number run into letters',
    files: { 'main.cnn': m('conv 6 5s') },
    span: '5s',
  },
  {
    code: 'CNN1006',
    about: 'a right-to-left override in a comment, which reverses the text after it on screen',
    files: { 'main.cnn': m('dense 4 // units: \u202e4 \u2066') },
    span: '\u202e',
  },
  {
    code: 'CNN1007',
    about: 'an import of a 9 MiB file (here a short text stands in for it)',
    files: {
      'main.cnn': `import "./generated.cnn"\n${m('dense 4')}`,
      'generated.cnn': '// 9 MiB of generated models\n',
    },
    fileSizes: { 'generated.cnn': 9 * 1024 * 1024 },
    span: 'import "./generated.cnn"',
  },
  {
    code: 'CNN1008',
    about: 'a size written as 300 nested minus signs',
    files: { 'main.cnn': m(`dense ${'-'.repeat(300)}4`) },
    span: `${'-'.repeat(256)}4`,
  },
  // 1010–1019: named references and highway (issue 12, graphs)
  {
    code: 'CNN1010',
    about: 'a `from` reference that is a pattern, not a layer name',
    files: { 'main.cnn': m('x: conv 4 3x3 same\nconcat { branch from x*; branch { } }') },
    span: 'x*',
  },
  {
    code: 'CNN1011',
    about: 'a highway without its gate',
    files: { 'main.cnn': m('flatten\nhighway { transform { dense 64, relu } }') },
    span: 'highway',
  },
  {
    code: 'CNN1020',
    about: 'the expression form of `if` written as a statement',
    files: {
      'main.cnn': `block expand(t: int) {\n  if t != 1 then conv 8 1x1 else relu\n}\n${m('expand(6)')}`,
    },
    span: 'then',
  },
  {
    code: 'CNN2100',
    about: 'a stride after a parenthesised subtraction, which reads as a division',
    files: { 'main.cnn': m('let k = 3\nconv 4 k pad (k - 1) /2') },
    span: '/2',
  },
  {
    code: 'CNN2101',
    about: 'a suppression without a reason (it hides nothing)',
    files: { 'main.cnn': m('conv 4 2x2 /2 // cnnc-ignore CNN3003', '9x9x1') },
    span: '// cnnc-ignore CNN3003',
  },
  {
    code: 'CNN2102',
    about: 'a suppression whose line has no such warning',
    files: { 'main.cnn': m('relu // cnnc-ignore CNN3003: the conv below drops a row') },
    span: '// cnnc-ignore CNN3003: the conv below drops a row',
  },
  {
    code: 'CNN2103',
    about: 'a suppression of an error',
    files: { 'main.cnn': m('conv 4 9x9 // cnnc-ignore CNN3001: too big on purpose') },
    span: '// cnnc-ignore CNN3001: too big on purpose',
  },
  {
    code: 'CNN1021',
    about: 'a parameter type that does not exist',
    files: { 'main.cnn': `block c(k: size = 3x3) {\n  conv 4 k\n}\n${m('c()')}` },
    span: 'size',
  },
  {
    code: 'CNN2001',
    about: 'an unknown layer, with a did-you-mean',
    files: { 'main.cnn': m('conb 4 3x3') },
    span: 'conb',
  },
  {
    code: 'CNN2002',
    about: 'an unknown attribute, with a did-you-mean',
    files: { 'main.cnn': m('conv 4 3x3 nobais') },
    span: 'nobais',
  },
  {
    code: 'CNN2003',
    about: 'a required attribute left out',
    files: { 'main.cnn': m('conv 4') },
    span: 'conv 4',
  },
  {
    code: 'CNN2004',
    about: 'an attribute given twice',
    files: { 'main.cnn': m('conv 4 3x3 stride 2 /2') },
    span: '/2',
  },
  {
    code: 'CNN2005',
    about: 'an attribute of the wrong type',
    files: { 'main.cnn': m('flatten\ndense "ten"') },
    span: '"ten"',
  },
  {
    code: 'CNN2006',
    about: 'a block called with too many arguments',
    files: { 'main.cnn': `block b(c: int) { conv c 3x3 same }\n${m('b(4, 5)')}` },
    span: '5',
  },
  {
    code: 'CNN2007',
    about: 'a named argument the block does not have',
    files: { 'main.cnn': `block b(c: int) { conv c 3x3 same }\n${m('b(d = 4)')}` },
    span: 'd',
  },
  {
    code: 'CNN2008',
    about: 'an argument of the wrong type',
    files: { 'main.cnn': `block b(c: int) { conv c 3x3 same }\n${m('b(1.5)')}` },
    span: '1.5',
  },
  {
    code: 'CNN2009',
    about: 'blocks that call each other forever',
    files: { 'main.cnn': `block a(c: int) { b(c) }\nblock b(c: int) { a(c) }\n${m('a(4)')}` },
    span: 'a(c)',
  },
  {
    code: 'CNN2010',
    about: 'files that import each other',
    files: { 'main.cnn': `import "./b.cnn"\n${m('relu')}`, 'b.cnn': 'import "./main.cnn"\n' },
    span: 'import "./main.cnn"',
    spanFile: 'b.cnn',
  },
  {
    code: 'CNN2011',
    about: 'an import of a file that does not exist',
    files: { 'main.cnn': `import "./nope.cnn"\n${m('relu')}` },
    span: 'import "./nope.cnn"',
  },
  {
    code: 'CNN2012',
    about: 'two models with one name',
    files: { 'main.cnn': `${m('relu')}${m('tanh')}` },
    span: 'M',
  },
  {
    code: 'CNN2013',
    about: 'a label used twice in one scope',
    files: { 'main.cnn': m('x: conv 4 3x3\nx: relu') },
    span: 'x',
  },
  {
    code: 'CNN2014',
    about: 'a freeze marker that matches no layer',
    files: {
      'main.cnn': `model A {\n  input 8x8x1\n  stem: { conv 4 3x3 }\n}\nmodel B = A {\n  freeze stme\n}\n`,
    },
    span: 'stme',
  },
  {
    code: 'CNN2015',
    about: 'a derived model whose base does not exist',
    files: { 'main.cnn': 'model B = Nope {\n  input 8x8x1\n}\n' },
    span: 'Nope',
  },
  {
    code: 'CNN2016',
    about: 'a name that is not defined',
    files: { 'main.cnn': m('flatten\ndense n * 2') },
    span: 'n',
  },
  {
    code: 'CNN2017',
    about: 'a negative repeat count (`repeat 0` is an empty statement)',
    files: { 'main.cnn': m('let n = 1\nrepeat n - 2 { relu }') },
    span: 'n - 2',
  },
  {
    code: 'CNN2018',
    about: 'an absurd repeat count',
    files: { 'main.cnn': m('repeat 100000 { relu }') },
    span: '100000',
  },
  {
    code: 'CNN2019',
    about: 'a letter pattern with an unbound letter',
    files: { 'main.cnn': m('let C = conv 4 3x3 same\nCRC') },
    span: 'CRC',
  },
  {
    code: 'CNN2020',
    about: 'a model without an input',
    files: { 'main.cnn': 'model M {\n  conv 4 3x3\n}\n' },
    span: 'conv 4 3x3',
  },
  {
    code: 'CNN2021',
    about: 'replacing a label the base model does not have',
    files: {
      'main.cnn': `model A {\n  input 8x8x1\n  head: { flatten, dense 2 }\n}\nmodel B = A {\n  replace hed { flatten, dense 3 }\n}\n`,
    },
    span: 'hed',
  },
  {
    code: 'CNN2022',
    about: 'a division by zero',
    files: { 'main.cnn': m('flatten\ndense 10 / 0') },
    span: '0',
  },
  {
    code: 'CNN2024',
    about: 'a statement out of place',
    files: { 'main.cnn': m('append { relu }') },
    span: 'append { relu }',
  },
  {
    code: 'CNN2026',
    about: 'a concat without branches',
    files: { 'main.cnn': m('concat { }') },
    span: 'concat { }',
  },
  {
    code: 'CNN2027',
    about: 'a model that expands to too many layers',
    files: { 'main.cnn': m('repeat 10000 { repeat 30 { relu } }') },
    span: 'relu',
  },
  {
    code: 'CNN2028',
    about: 'a chain of 250 `let` bindings, each naming the one before',
    files: {
      'main.cnn': m(
        `let A0 = relu\nlet ${Array.from({ length: 250 }, (_, i) => `A${i + 1} = A${i}`).join(', ')}\nA250`,
      ),
    },
    span: 'A250',
  },
  {
    code: 'CNN2030',
    about: 'a dropout rate outside [0, 1)',
    files: { 'main.cnn': m('dropout 1.5') },
    span: '1.5',
  },
  {
    code: 'CNN2031',
    about: 'a TensorFlow.js graph model given to `cnnc import keras`',
    files: { 'model.json': '{ "format": "graph-model", "modelTopology": { "node": [] } }\n' },
    span: '"graph-model"',
    spanFile: 'model.json',
    kerasImport: true,
  },
  {
    code: 'CNN2032',
    about: 'a Keras Lambda layer, which runs Python code',
    files: {
      'model.json': kerasSequential(
        '{ "class_name": "Dense", "config": { "name": "dense_1", "units": 4, "batch_input_shape": [null, 3] } },\n' +
          '{ "class_name": "Lambda", "config": { "name": "double", "function": "x * 2" } }',
      ),
    },
    span: '"Lambda"',
    spanFile: 'model.json',
    kerasImport: true,
  },
  {
    code: 'CNN2033',
    about: 'a Keras activation cnnc does not have',
    files: {
      'model.json': kerasSequential(
        '{ "class_name": "Dense", "config": { "name": "dense_1", "units": 4, "activation": "selu", "batch_input_shape": [null, 3] } }',
      ),
    },
    span: '"selu"',
    spanFile: 'model.json',
    kerasImport: true,
  },
  {
    code: 'CNN2034',
    about: 'a Keras layer called twice (shared weights)',
    files: {
      'model.json':
        '{ "class_name": "Model", "config": { "name": "m",\n' +
        '  "layers": [\n' +
        '    { "name": "x", "class_name": "InputLayer", "config": { "batch_input_shape": [null, 4] }, "inbound_nodes": [] },\n' +
        '    { "name": "d", "class_name": "Dense", "config": { "units": 4 },\n' +
        '      "inbound_nodes": [[["x", 0, 0, {}]], [["x", 0, 0, {}]]] } ],\n' +
        '  "input_layers": [["x", 0, 0]], "output_layers": [["d", 0, 0]] } }\n',
    },
    span: '"Dense"',
    spanFile: 'model.json',
    kerasImport: true,
  },
  {
    code: 'CNN2035',
    about: 'a Keras layer name that is not an identifier',
    files: {
      'model.json': kerasSequential(
        '{ "class_name": "Dense", "config": { "name": "dense-1", "units": 4, "batch_input_shape": [null, 3] } }',
      ),
    },
    span: '"dense-1"',
    spanFile: 'model.json',
    kerasImport: true,
  },
  {
    code: 'CNN2036',
    about: 'a weight whose shape does not fit the layer',
    files: {
      'model.json': kerasSequential(
        '{ "class_name": "Dense", "config": { "name": "dense_1", "units": 2, "batch_input_shape": [null, 3] } }',
        '{ "name": "dense_1/kernel", "shape": [2, 3], "dtype": "float32" },\n' +
          '{ "name": "dense_1/bias", "shape": [2], "dtype": "float32" }',
      ),
    },
    span: '"dense_1/kernel"',
    spanFile: 'model.json',
    kerasImport: true,
  },
  {
    code: 'CNN2037',
    about: 'a weight stored in a type cnnc cannot read',
    files: {
      'model.json': kerasSequential(
        '{ "class_name": "Dense", "config": { "name": "dense_1", "units": 2, "batch_input_shape": [null, 3] } }',
        '{ "name": "dense_1/kernel", "shape": [3, 2], "dtype": "complex64" },\n' +
          '{ "name": "dense_1/bias", "shape": [2], "dtype": "float32" }',
      ),
    },
    span: '"dense_1/kernel"',
    spanFile: 'model.json',
    kerasImport: true,
  },
  {
    code: 'CNN2038',
    about: 'a Keras batch norm without scale, which cnnc learns with a scale of ones',
    files: {
      'model.json': kerasSequential(
        '{ "class_name": "Dense", "config": { "name": "dense_1", "units": 4, "batch_input_shape": [null, 3] } },\n' +
          '{ "class_name": "BatchNormalization", "config": { "name": "bn", "scale": false } }',
      ),
    },
    span: 'false',
    spanFile: 'model.json',
    kerasImport: true,
  },
  {
    code: 'CNN2040',
    about: 'a cut at a layer the model does not have',
    files: { 'main.cnn': derived('  cut after stme.relu1') },
    span: 'stme.relu1',
  },
  {
    code: 'CNN2041',
    about: 'a cut inside one branch of a concat, which needs the others',
    files: { 'main.cnn': derived('  cut after branch1.conv1') },
    span: 'branch1.conv1',
  },
  {
    code: 'CNN2042',
    about: 'a learning rate for a group that matches no layer',
    files: { 'main.cnn': derived('  train { lr stem 1e-4, haed 1e-3 }') },
    span: 'haed 1e-3',
  },
  {
    code: 'CNN2060',
    about: 'an import of a file outside the project (it is not read)',
    files: { 'main.cnn': `import "../../etc/secrets.cnn"\n${m('relu')}` },
    span: 'import "../../etc/secrets.cnn"',
  },
  {
    code: 'CNN2061',
    about: 'an import of a file that is not a .cnn source (it is not read)',
    files: { 'main.cnn': `import "./notes.txt"\n${m('relu')}`, 'notes.txt': 'token=…\n' },
    span: 'import "./notes.txt"',
  },
  {
    code: 'CNN2062',
    about: 'an import of a directory',
    files: {
      'main.cnn': `import "./layers.cnn"\n${m('relu')}`,
      'layers.cnn/conv.cnn': 'block C() { relu }\n',
    },
    span: 'import "./layers.cnn"',
  },
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
    code: 'CNN6060',
    about: 'a multi-scale detector (two yolo heads): train.py leaves it out',
    files: {
      'main.cnn': m(
        'conv 16 3x3 same\noutput small { conv 8 1x1, yolo 3 boxes 1 }\nmaxpool 2x2\nconv 8 1x1\nyolo 3 boxes 1\ntrain { loss yolo }',
      ),
    },
    span: 'yolo 3 boxes 1',
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
