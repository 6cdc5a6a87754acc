/**
 * One small program per diagnostic code: the test in diagnostics-triggered.test.ts compiles each and
 * checks that the code is reported with its primary span on `span` (the text the span covers), and
 * docs/diagnostics.md is generated from this table with the rendered output.
 */
import type { DiagnosticCode } from '../../compiler/diagnostics/codes.js';
import type { GraphSpec } from './import/onnx-fixtures.js';
import { CODEGEN_CASES } from './diagnostic-cases-codegen.js';
import { SHAPE_CASES } from './diagnostic-cases-shapes.js';
import { derived, kerasSequential, m } from './diagnostic-case-text.js';

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
  /** `cnnc train`'s own refusals (compiler/cli/train.ts) on the compiled model: CNN2125. */
  readonly train?: true;
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
  ...SHAPE_CASES,
  ...CODEGEN_CASES,
];
