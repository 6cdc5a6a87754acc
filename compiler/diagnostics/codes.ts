/**
 * The one catalog of diagnostic codes. Bands: CNN1xxx syntax, 2xxx names, structure and attributes,
 * 3xxx shapes, 4xxx parameters, budgets and resources, 5xxx backend capability, 6xxx code generation
 * (`cnnc compile --emit pytorch`), 9xxx internal.
 * A code, once published, keeps its meaning. test/compiler/diagnostics/codes.test.ts fails on
 * duplicates and on codes outside their band; docs/diagnostics.md has an example for every code.
 * A code nothing reports any more stays here, `retired` with the reason, so that it is never given
 * another meaning (and suppressions naming it stay valid); the tests check that nothing raises it.
 */
import type { Severity } from './diagnostic.js';

interface CodeEntry {
  readonly code: string;
  readonly severity: Severity;
  readonly title: string;
  /** Why nothing reports the code any more (it is never reused); absent for a code in use. */
  readonly retired?: string;
}

export const CODE_LIST = [
  // 1xxx syntax
  { code: 'CNN1001', severity: 'error', title: 'unexpected token' },
  { code: 'CNN1002', severity: 'error', title: 'unknown character' },
  { code: 'CNN1003', severity: 'error', title: 'unterminated string or comment' },
  { code: 'CNN1004', severity: 'error', title: 'missing token' },
  { code: 'CNN1005', severity: 'error', title: 'malformed number or dimension literal' },
  {
    code: 'CNN1006',
    severity: 'warning',
    title: 'text-direction control character (Trojan Source)',
  },
  { code: 'CNN1007', severity: 'error', title: 'source file too large' },
  { code: 'CNN1008', severity: 'error', title: 'expression nested too deeply' },
  // 1010–1019: graphs (named references, highway)
  { code: 'CNN1010', severity: 'error', title: 'malformed `from` reference' },
  { code: 'CNN1011', severity: 'error', title: 'malformed `highway`' },
  // 1020–1029: blocks that generalise (statement `if`, suppressions)
  { code: 'CNN1020', severity: 'error', title: 'statement `if` without braces' },
  { code: 'CNN1021', severity: 'error', title: 'unknown parameter type' },

  // 2xxx names, structure and attributes
  { code: 'CNN2001', severity: 'error', title: 'unknown layer or block' },
  { code: 'CNN2002', severity: 'error', title: 'unknown attribute' },
  { code: 'CNN2003', severity: 'error', title: 'missing required attribute' },
  { code: 'CNN2004', severity: 'error', title: 'attribute given twice or conflicting' },
  { code: 'CNN2005', severity: 'error', title: 'attribute value of the wrong type' },
  { code: 'CNN2006', severity: 'error', title: 'wrong number of arguments' },
  { code: 'CNN2007', severity: 'error', title: 'unknown named argument' },
  { code: 'CNN2008', severity: 'error', title: 'argument of the wrong type' },
  { code: 'CNN2009', severity: 'error', title: 'recursive block' },
  { code: 'CNN2010', severity: 'error', title: 'import cycle' },
  { code: 'CNN2011', severity: 'error', title: 'file or import not found' },
  { code: 'CNN2012', severity: 'error', title: 'duplicate definition' },
  { code: 'CNN2013', severity: 'error', title: 'duplicate label' },
  { code: 'CNN2014', severity: 'error', title: 'freeze marker matches nothing' },
  { code: 'CNN2015', severity: 'error', title: 'unknown model' },
  { code: 'CNN2016', severity: 'error', title: 'undefined name' },
  { code: 'CNN2017', severity: 'error', title: 'repeat count is negative' },
  { code: 'CNN2018', severity: 'error', title: 'repeat count is absurd' },
  { code: 'CNN2019', severity: 'error', title: 'letter pattern uses an unbound letter' },
  { code: 'CNN2020', severity: 'error', title: 'missing or misplaced input' },
  { code: 'CNN2021', severity: 'error', title: 'replace target not found' },
  { code: 'CNN2022', severity: 'error', title: 'invalid expression' },
  { code: 'CNN2024', severity: 'error', title: 'statement not allowed here' },
  { code: 'CNN2026', severity: 'error', title: 'empty group' },
  { code: 'CNN2027', severity: 'error', title: 'expansion too large' },
  { code: 'CNN2028', severity: 'error', title: 'expansion nested too deeply' },
  { code: 'CNN2030', severity: 'error', title: 'attribute value out of range' },
  // 2031–2039: importing models from other frameworks (cnnc import keras)
  { code: 'CNN2031', severity: 'error', title: 'not a Keras layers model' },
  { code: 'CNN2032', severity: 'error', title: 'Keras layer with no counterpart' },
  { code: 'CNN2033', severity: 'error', title: 'Keras layer setting with no counterpart' },
  { code: 'CNN2034', severity: 'error', title: 'Keras graph the language cannot write' },
  { code: 'CNN2035', severity: 'warning', title: 'Keras layer renamed' },
  { code: 'CNN2036', severity: 'error', title: 'weights do not fit the imported layers' },
  { code: 'CNN2037', severity: 'error', title: 'unsupported weight encoding' },
  { code: 'CNN2038', severity: 'warning', title: 'Keras layer imported approximately' },
  // 2040–2059: derived models and training groups
  { code: 'CNN2040', severity: 'error', title: 'cut point not found' },
  {
    code: 'CNN2041',
    severity: 'error',
    title: 'cut inside a construct that needs the dropped part',
  },
  { code: 'CNN2042', severity: 'error', title: 'training group matches no layer' },
  // 2060–2069: what a source may read (docs/security.md)
  { code: 'CNN2060', severity: 'error', title: 'import outside the project' },
  { code: 'CNN2061', severity: 'error', title: 'import of a file that is not a .cnn source' },
  { code: 'CNN2062', severity: 'error', title: 'source or import that is not a regular file' },
  // 2070–2079: importing ONNX models (cnnc import onnx)
  { code: 'CNN2070', severity: 'error', title: 'not an ONNX model' },
  { code: 'CNN2071', severity: 'error', title: 'ONNX operators with no counterpart' },
  { code: 'CNN2072', severity: 'error', title: 'ONNX node setting with no counterpart' },
  { code: 'CNN2073', severity: 'error', title: 'ONNX graph the language cannot write' },
  { code: 'CNN2074', severity: 'error', title: 'ONNX tensor cnnc cannot read' },
  // 2080–2099: graphs (named references)
  { code: 'CNN2080', severity: 'error', title: 'reference to an unknown layer' },
  { code: 'CNN2081', severity: 'error', title: 'reference to a later layer' },
  { code: 'CNN2082', severity: 'error', title: 'reference into another block call' },
  // 2083–2089: the outputs of an imported ONNX graph (cnnc import onnx)
  { code: 'CNN2083', severity: 'error', title: 'malformed ONNX graph outputs' },
  { code: 'CNN2084', severity: 'error', title: 'ONNX graph outputs the language cannot write' },
  { code: 'CNN2085', severity: 'note', title: 'imported outputs listed in another order' },
  // 2100–2119: blocks that generalise, suppressions, train settings checked by `cnnc check`
  { code: 'CNN2100', severity: 'note', title: 'stride after a parenthesised subtraction' },
  { code: 'CNN2101', severity: 'warning', title: 'suppression without a code or a reason' },
  { code: 'CNN2102', severity: 'warning', title: 'unused suppression' },
  {
    code: 'CNN2103',
    severity: 'warning',
    title: 'suppression of a code that cannot be suppressed',
  },

  // 2120–2129: detection heads and their training
  { code: 'CNN2120', severity: 'error', title: 'malformed anchors of a yolo head' },
  { code: 'CNN2121', severity: 'error', title: 'a yolo head that is not a model output' },
  {
    code: 'CNN2122',
    severity: 'error',
    title: 'a detection setting on a model without a yolo head',
  },
  { code: 'CNN2123', severity: 'error', title: 'a detector trained with a classification loss' },
  { code: 'CNN2124', severity: 'error', title: 'a detection setting out of range' },
  { code: 'CNN2125', severity: 'error', title: '`features cache` on a detector (cnnc train)' },
  // 2130–2139: several outputs
  { code: 'CNN2130', severity: 'error', title: 'duplicate output name' },
  { code: 'CNN2131', severity: 'error', title: '`output` outside the model body' },
  { code: 'CNN2132', severity: 'error', title: 'one value declared as two outputs' },
  { code: 'CNN2133', severity: 'error', title: 'loss for an unknown output' },
  { code: 'CNN2134', severity: 'error', title: 'output without a loss' },
  { code: 'CNN2135', severity: 'error', title: 'malformed per-output loss' },
  {
    code: 'CNN2136',
    severity: 'warning',
    title: 'emitted training code leaves out a model with several outputs',
    retired: 'the emitted train.py and train.ts train every output with its loss and weight',
  },
  { code: 'CNN2137', severity: 'error', title: 'a detector output that is not a yolo head' },

  // 3xxx shapes
  { code: 'CNN3001', severity: 'error', title: 'kernel larger than its input' },
  { code: 'CNN3002', severity: 'error', title: 'non-positive size' },
  { code: 'CNN3003', severity: 'warning', title: 'stride does not divide evenly' },
  { code: 'CNN3004', severity: 'error', title: 'element-wise shape mismatch' },
  { code: 'CNN3005', severity: 'error', title: 'concat shape mismatch' },
  { code: 'CNN3006', severity: 'error', title: 'dense on an unflattened input' },
  { code: 'CNN3007', severity: 'warning', title: 'softmax is not the last layer' },
  { code: 'CNN3009', severity: 'error', title: 'input rank does not fit the layer' },
  { code: 'CNN3010', severity: 'error', title: 'size must be known statically' },
  { code: 'CNN3011', severity: 'error', title: 'groups do not divide the channels' },
  { code: 'CNN3012', severity: 'error', title: 'symbolic sizes cannot be proven equal' },
  { code: 'CNN3013', severity: 'error', title: 'invalid input shape' },
  { code: 'CNN3014', severity: 'error', title: 'reshape changes the element count' },
  { code: 'CNN3016', severity: 'error', title: 'padding larger than half the kernel' },
  { code: 'CNN3018', severity: 'note', title: 'constraint on a symbolic input size' },
  // 3020–3039: graphs (highway, broadcasting, upsampling)
  { code: 'CNN3020', severity: 'error', title: "highway transform changes the input's shape" },
  { code: 'CNN3021', severity: 'error', title: 'highway gate does not fit its input' },
  { code: 'CNN3030', severity: 'error', title: 'upsample needs one of a scale and a size' },
  { code: 'CNN3031', severity: 'error', title: 'unknown upsample mode' },
  // 3040–3049: several outputs
  { code: 'CNN3040', severity: 'error', title: 'outputs disagree on the number of classes' },

  // 3100–3119: detection heads
  { code: 'CNN3100', severity: 'error', title: 'channels do not fit the detection head layout' },
  {
    code: 'CNN3101',
    severity: 'error',
    title: 'detection grid does not match image size and stride',
  },
  { code: 'CNN3102', severity: 'error', title: 'detection head needs a fixed image size' },
  {
    code: 'CNN3103',
    severity: 'error',
    title: 'yolo heads that disagree on classes or box style',
  },

  // 4xxx parameters, budgets and resources
  { code: 'CNN4001', severity: 'error', title: 'parameter budget exceeded' },
  { code: 'CNN4002', severity: 'error', title: 'MAC budget exceeded' },
  { code: 'CNN4003', severity: 'error', title: 'memory budget exceeded' },
  { code: 'CNN4004', severity: 'error', title: 'unknown budget metric' },
  {
    code: 'CNN4005',
    severity: 'warning',
    title: 'budget cannot be evaluated for a symbolic input',
  },
  // 4006–4011: fine-tuning lints
  {
    code: 'CNN4006',
    severity: 'warning',
    title: 'pretrained layers fine-tuned with a large learning rate',
  },
  { code: 'CNN4007', severity: 'note', title: 'freeze splits a layer from its batch norm' },
  {
    code: 'CNN4008',
    severity: 'warning',
    title: 'scheduled unfreeze of layers that are not frozen',
  },
  { code: 'CNN4009', severity: 'warning', title: 'scheduled unfreeze after the last epoch' },
  { code: 'CNN4010', severity: 'warning', title: 'feature cache with nothing to cache' },
  { code: 'CNN4011', severity: 'warning', title: 'learning rate for layers that never train' },
  // 4012–4019: resources beyond a backend or any machine
  { code: 'CNN4012', severity: 'error', title: 'memory beyond what the backend can hold' },
  { code: 'CNN4013', severity: 'warning', title: 'model beyond any machine' },
  // 4020–4024: limits on imported files (cnnc import onnx)
  { code: 'CNN4020', severity: 'error', title: 'ONNX model beyond the import limits' },

  // 6xxx code generation (cnnc compile --emit pytorch); 6001–6049: the PyTorch model
  { code: 'CNN6001', severity: 'error', title: 'no torchvision names for the model' },
  {
    code: 'CNN6002',
    severity: 'error',
    title: "torchvision names on arithmetic that differs from torchvision's",
  },
  {
    code: 'CNN6003',
    severity: 'warning',
    title: "batch norm epsilon differs from torchvision's",
  },
  { code: 'CNN6004', severity: 'warning', title: 'layers without a torchvision name' },

  // 6050–6099: the PyTorch training script (train.py)
  {
    code: 'CNN6050',
    severity: 'error',
    title: 'pretrained weights in a format train.py cannot read',
  },
  {
    code: 'CNN6051',
    severity: 'warning',
    title: 'train.py leaves out a model whose outputs cannot all take the plain loss',
  },
  {
    code: 'CNN6060',
    severity: 'warning',
    title: 'train.py leaves out a detector with several yolo heads',
    retired:
      "the emitted train.py trains multi-scale detectors, assigning each truth over every head's anchors as cnnc does",
  },
  {
    code: 'CNN6061',
    severity: 'warning',
    title: 'train.py leaves out a detector with `features cache`, which cnnc train refuses',
  },

  // 6100–6149: the TensorFlow.js project (cnnc compile --emit tfjs)
  {
    code: 'CNN6100',
    severity: 'error',
    title: 'pretrained weights under torchvision names, which train.ts cannot map',
  },
  { code: 'CNN6101', severity: 'error', title: 'a data source train.ts cannot read' },
  {
    code: 'CNN6102',
    severity: 'warning',
    title: 'a detector left out of the emitted train.ts, which trains classifiers',
  },

  // 6200–6219: the ONNX model (cnnc compile --emit onnx)
  {
    code: 'CNN6201',
    severity: 'error',
    title: 'an adaptive pool over a symbolic input size, which ONNX cannot write',
  },
  {
    code: 'CNN6202',
    severity: 'error',
    title: 'a ceil-mode pool over a symbolic input size, which ONNX cannot write',
  },

  // 9xxx internal
  { code: 'CNN9001', severity: 'error', title: 'internal compiler error' },
  { code: 'CNN9002', severity: 'error', title: 'IR verification failed' },
] as const satisfies readonly CodeEntry[];

export type DiagnosticCode = (typeof CODE_LIST)[number]['code'];

export const CODES: Readonly<Record<DiagnosticCode, CodeEntry>> = Object.fromEntries(
  CODE_LIST.map((e) => [e.code, e]),
) as Record<DiagnosticCode, CodeEntry>;
