/**
 * Single-op models for the forward-parity test of the PyTorch code generator: every IR op and every
 * padding mode the checker knows, where PyTorch's form differs from a plain call (uneven `same`,
 * explicit per-side pads, `full`, ceil mode with and without an extra window, count_include_pad both
 * ways, dilation, groups, depthwise multipliers, transposed convolutions with uneven crops and
 * output padding, LRN of odd and even sizes, adaptive pools with sizes that do not divide, every
 * activation, flatten in both orders, reshape between ranks, merges).
 */
export interface OpCase {
  /** What the case covers, for the test title. */
  readonly title: string;
  /** The IR ops the case exercises (for the coverage check). */
  readonly ops: readonly string[];
  readonly input: string;
  readonly body: string;
}

export const OP_CASES: readonly OpCase[] = [
  // conv2d
  { title: 'conv same, odd kernel', ops: ['conv2d'], input: '8x8x3', body: 'conv 4 3x3 same' },
  {
    title: 'conv same, even kernel (uneven)',
    ops: ['conv2d'],
    input: '8x8x3',
    body: 'conv 4 4x4 same',
  },
  {
    title: 'conv same, stride 2 (uneven)',
    ops: ['conv2d'],
    input: '8x8x3',
    body: 'conv 4 3x3 /2 same',
  },
  {
    title: 'conv explicit per-side pads',
    ops: ['conv2d'],
    input: '8x8x3',
    body: 'conv 4 3x3 pad (1, 2, 0, 1)',
  },
  { title: 'conv full', ops: ['conv2d'], input: '6x6x3', body: 'conv 4 3x3 full' },
  {
    title: 'conv dilated same',
    ops: ['conv2d'],
    input: '9x9x3',
    body: 'conv 4 3x3 dilation 2 same',
  },
  {
    title: 'conv dilated, strided, uneven same',
    ops: ['conv2d'],
    input: '10x10x2',
    body: 'conv 4 3x3 /2 dilation 2 same',
  },
  {
    title: 'conv groups, no bias',
    ops: ['conv2d'],
    input: '8x8x6',
    body: 'conv 9 3x3 groups 3 nobias',
  },
  {
    title: 'conv rectangular kernel and stride',
    ops: ['conv2d'],
    input: '9x8x2',
    body: 'conv 4 5x3 /(2, 1) pad (2, 1)',
  },
  // conv1d
  { title: 'conv1d same', ops: ['conv1d'], input: '10x3', body: 'conv1d 4 3 same' },
  { title: 'conv1d same, even kernel', ops: ['conv1d'], input: '10x3', body: 'conv1d 4 4 same' },
  {
    title: 'conv1d same, stride 2 (uneven)',
    ops: ['conv1d'],
    input: '10x3',
    body: 'conv1d 4 3 /2 same',
  },
  {
    title: 'conv1d dilated full, groups',
    ops: ['conv1d'],
    input: '9x4',
    body: 'conv1d 6 3 dilation 2 full groups 2',
  },
  { title: 'conv1d explicit pads', ops: ['conv1d'], input: '9x4', body: 'conv1d 6 3 pad (0, 2)' },
  // depthwise
  {
    title: 'dwconv same, multiplier 2',
    ops: ['depthwise_conv2d'],
    input: '8x8x3',
    body: 'dwconv 3x3 same multiplier 2',
  },
  {
    title: 'dwconv stride 2 same (uneven)',
    ops: ['depthwise_conv2d'],
    input: '8x8x4',
    body: 'dwconv 3x3 /2 same',
  },
  {
    title: 'dwconv pad 1, no bias, dilated',
    ops: ['depthwise_conv2d'],
    input: '9x9x4',
    body: 'dwconv 3x3 pad 2 dilation 2 nobias',
  },
  {
    title: 'dwconv one channel',
    ops: ['depthwise_conv2d'],
    input: '8x8x1',
    body: 'dwconv 3x3 multiplier 3',
  },
  // conv2d_transpose
  { title: 'deconv valid', ops: ['conv2d_transpose'], input: '5x5x3', body: 'deconv 4 3x3 /2' },
  {
    title: 'deconv pad 1, output padding 1',
    ops: ['conv2d_transpose'],
    input: '5x5x3',
    body: 'deconv 4 3x3 /2 pad 1 outpad 1',
  },
  {
    title: 'deconv same, odd kernel (uneven crop)',
    ops: ['conv2d_transpose'],
    input: '5x5x3',
    body: 'deconv 4 3x3 /2 same',
  },
  {
    title: 'deconv same, even kernel',
    ops: ['conv2d_transpose'],
    input: '5x5x3',
    body: 'deconv 4 4x4 /2 same',
  },
  {
    title: 'deconv same, kernel below stride (rows added)',
    ops: ['conv2d_transpose'],
    input: '5x5x3',
    body: 'deconv 4 1x1 /2 same outpad 1',
  },
  {
    title: 'deconv explicit uneven pads',
    ops: ['conv2d_transpose'],
    input: '5x5x3',
    body: 'deconv 4 3x3 /2 pad (0, 2, 1, 0) outpad (1, 0)',
  },
  {
    title: 'deconv groups, dilation, output padding',
    ops: ['conv2d_transpose'],
    input: '5x5x4',
    body: 'deconv 6 3x3 dilation 2 groups 2 outpad 1',
  },
  {
    title: 'deconv full, no bias',
    ops: ['conv2d_transpose'],
    input: '4x4x2',
    body: 'deconv 3 2x2 /2 full nobias',
  },
  // max_pool
  { title: 'maxpool 2x2 /2', ops: ['max_pool'], input: '8x8x3', body: 'maxpool 2x2 /2' },
  { title: 'maxpool pad 1', ops: ['max_pool'], input: '8x8x3', body: 'maxpool 3x3 /2 pad 1' },
  { title: 'maxpool ceil', ops: ['max_pool'], input: '8x8x3', body: 'maxpool 3x3 /2 ceil' },
  {
    title: 'maxpool pad 1 ceil',
    ops: ['max_pool'],
    input: '8x8x3',
    body: 'maxpool 3x3 /2 pad 1 ceil',
  },
  {
    title: 'maxpool same (uneven)',
    ops: ['max_pool'],
    input: '7x7x3',
    body: 'maxpool 2x2 /2 same',
  },
  {
    title: 'maxpool uneven pads, ceil, extra PyTorch window',
    ops: ['max_pool'],
    input: '4x4x3',
    body: 'maxpool 4x4 /4 pad (0, 2, 0, 2) ceil',
  },
  { title: 'maxpool 1-D same', ops: ['max_pool'], input: '9x4', body: 'maxpool 3 /2 same' },
  // avg_pool
  {
    title: 'avgpool pad 1 (count_include_pad)',
    ops: ['avg_pool'],
    input: '8x8x3',
    body: 'avgpool 3x3 /2 pad 1',
  },
  {
    title: 'avgpool pad 1 exclude_pad',
    ops: ['avg_pool'],
    input: '8x8x3',
    body: 'avgpool 3x3 /2 pad 1 exclude_pad',
  },
  {
    title: 'avgpool pad 1 ceil',
    ops: ['avg_pool'],
    input: '8x8x3',
    body: 'avgpool 3x3 /2 pad 1 ceil',
  },
  {
    title: 'avgpool pad 1 ceil exclude_pad',
    ops: ['avg_pool'],
    input: '8x8x3',
    body: 'avgpool 3x3 /2 pad 1 ceil exclude_pad',
  },
  {
    title: 'avgpool same (uneven), count_include_pad',
    ops: ['avg_pool'],
    input: '7x7x3',
    body: 'avgpool 2x2 /2 same',
  },
  {
    title: 'avgpool same (uneven), exclude_pad',
    ops: ['avg_pool'],
    input: '7x7x3',
    body: 'avgpool 3x3 /2 same exclude_pad',
  },
  {
    title: 'avgpool uneven pads, ceil, extra window, include',
    ops: ['avg_pool'],
    input: '4x4x3',
    body: 'avgpool 4x4 /4 pad (0, 2, 0, 2) ceil',
  },
  {
    title: 'avgpool uneven pads, ceil, extra window, exclude',
    ops: ['avg_pool'],
    input: '4x4x3',
    body: 'avgpool 4x4 /4 pad (0, 2, 1, 1) ceil exclude_pad',
  },
  {
    title: 'avgpool 1-D pad 1 ceil exclude_pad',
    ops: ['avg_pool'],
    input: '9x4',
    body: 'avgpool 3 /2 pad 1 ceil exclude_pad',
  },
  // global and adaptive pools
  {
    title: 'gap, gmp',
    ops: ['global_avg_pool', 'global_max_pool', 'concat'],
    input: '5x6x3',
    body: 'concat { branch { gap } branch { gmp } }',
  },
  {
    title: 'gap keepdims, gmp keepdims',
    ops: ['global_avg_pool', 'global_max_pool', 'add'],
    input: '5x6x3',
    body: 'add { branch { gap keepdims } branch { gmp keepdims } }',
  },
  {
    title: 'gap and gmp 1-D',
    ops: ['global_avg_pool', 'global_max_pool', 'concat'],
    input: '9x4',
    body: 'concat { branch { gap } branch { gmp } }',
  },
  {
    title: 'adaptive avg 3x3 of 8x8',
    ops: ['adaptive_avg_pool'],
    input: '8x8x3',
    body: 'adaptiveavgpool 3x3',
  },
  {
    title: 'adaptive max 3x5 of 7x11',
    ops: ['adaptive_max_pool'],
    input: '7x11x3',
    body: 'adaptivemaxpool 3x5',
  },
  {
    title: 'adaptive avg upsampling 5x5 of 3x3',
    ops: ['adaptive_avg_pool'],
    input: '3x3x2',
    body: 'adaptiveavgpool 5x5',
  },
  {
    title: 'adaptive 1-D',
    ops: ['adaptive_avg_pool', 'adaptive_max_pool', 'concat'],
    input: '10x4',
    body: 'concat { branch { adaptiveavgpool 3 } branch { adaptivemaxpool 3 } }',
  },
  // graphs (issue 12): broadcasting merges, highway, named references
  {
    title: 'multiply broadcasting a [C] gate (squeeze-and-excitation)',
    ops: ['multiply', 'global_avg_pool', 'dense'],
    input: '5x6x4',
    body: 'multiply { branch { } branch { gap, dense 4, sigmoid } }',
  },
  {
    title: 'add broadcasting [1, 1, C] and [H, W, 1]',
    ops: ['add', 'global_max_pool', 'conv2d'],
    input: '5x6x4',
    body: 'add { branch { gmp keepdims } branch { } branch { conv 1 1x1 } }',
  },
  {
    title: 'highway on vectors',
    ops: ['highway', 'dense'],
    input: '6',
    body: 'highway { transform { dense 6, relu } gate { dense 6, sigmoid } }',
  },
  {
    title: 'highway on a map with a [C] gate, named references',
    ops: ['highway', 'conv2d', 'concat'],
    input: '5x5x3',
    body: 'a: conv 4 3x3 same\nb: conv 4 1x1\nhighway { transform { conv 4 3x3 same } gate { gap, dense 4, sigmoid } }\nconcat { branch from a; branch from b { relu }; branch { } }',
  },
  // detection heads (issue 14): the identity on the raw grid in every backend
  {
    title: 'yolo v1 head (2 boxes, 2 classes per cell)',
    ops: ['yolo', 'conv2d'],
    input: '8x8x3',
    body: 'conv 12 1x1\nyolo 2 boxes 2',
  },
  {
    title: 'yolo anchor head',
    ops: ['yolo', 'conv2d'],
    input: '8x8x3',
    body: 'conv 14 3x3 same\nyolo 2 anchors (2, 2, 4, 4)',
  },
  // dense, flatten, reshape, zero_pad, dropout
  {
    title: 'flatten to the output (cnnc order)',
    ops: ['flatten'],
    input: '3x4x2',
    body: 'conv 3 1x1, flatten',
  },
  {
    title: 'flatten, dropout, relu, dense (PyTorch order, reordered weights)',
    ops: ['flatten', 'dropout', 'dense'],
    input: '3x4x2',
    body: 'flatten, dropout 0.3, relu, dense 5',
  },
  {
    title: 'flatten, batch norm, dense (cnnc order)',
    ops: ['flatten', 'batch_norm', 'dense'],
    input: '3x4x2',
    body: 'flatten, bn, dense 5',
  },
  {
    title: 'flatten feeding a dense and a merge (cnnc order)',
    ops: ['flatten', 'dense', 'concat'],
    input: '2x2x2',
    body: 'flatten\nconcat { branch { dense 3 } branch { } }',
  },
  {
    title: 'flatten 1-D, dense without bias',
    ops: ['flatten', 'dense'],
    input: '6x3',
    body: 'flatten, dense 4 nobias',
  },
  {
    title: 'flatten 1x1xC, dense',
    ops: ['flatten', 'dense'],
    input: '4x4x3',
    body: 'maxpool 4x4, flatten, dense 4',
  },
  {
    title: 'reshape image to image',
    ops: ['reshape', 'conv2d'],
    input: '4x4x2',
    body: 'reshape 2x8x2, conv 3 1x1',
  },
  {
    title: 'reshape image to sequence',
    ops: ['reshape', 'conv1d'],
    input: '4x4x2',
    body: 'reshape (8, 4), conv1d 3 1',
  },
  {
    title: 'reshape vector to image, inferred axis',
    ops: ['reshape', 'dense'],
    input: '12',
    body: 'dense 24, reshape (2, -1, 3)',
  },
  {
    title: 'zero pad 2-D per side',
    ops: ['zero_pad', 'conv2d'],
    input: '5x5x2',
    body: 'zeropad (0, 1, 2, 3), conv 2 3x3',
  },
  {
    title: 'zero pad 1-D',
    ops: ['zero_pad', 'conv1d'],
    input: '6x2',
    body: 'zeropad (1, 2), conv1d 2 3',
  },
  // upsample
  { title: 'upsample nearest x2', ops: ['upsample'], input: '4x5x2', body: 'upsample 2' },
  {
    title: 'upsample bilinear x2',
    ops: ['upsample', 'conv2d'],
    input: '4x5x2',
    body: 'upsample 2 bilinear, conv 2 3x3',
  },
  { title: 'upsample nearest 2x3', ops: ['upsample'], input: '3x4x2', body: 'upsample 2x3' },
  { title: 'upsample bilinear x3', ops: ['upsample'], input: '3x4x2', body: 'upsample 3 bilinear' },
  {
    title: 'upsample nearest to a non-integer ratio (float32 rounding, 14 to 20)',
    ops: ['upsample'],
    input: '14x7x1',
    body: 'upsample to 20x10',
  },
  {
    title: 'upsample bilinear to a non-integer ratio',
    ops: ['upsample'],
    input: '5x7x2',
    body: 'upsample to 8x10 bilinear',
  },
  // normalisation
  {
    title: 'bn eps and momentum',
    ops: ['batch_norm'],
    input: '5x5x3',
    body: 'bn eps 0.001 momentum 0.01',
  },
  { title: 'bn noaffine', ops: ['batch_norm'], input: '5x5x3', body: 'bn noaffine' },
  {
    title: 'bn 1-D and on a vector',
    ops: ['batch_norm', 'dense'],
    input: '6x3',
    body: 'bn, flatten, dense 4, bn',
  },
  { title: 'lrn odd size', ops: ['lrn'], input: '4x4x7', body: 'lrn 5 alpha 0.001 beta 0.75 k 2' },
  { title: 'lrn even size', ops: ['lrn'], input: '4x4x7', body: 'lrn 4 alpha 0.01 beta 0.5' },
  {
    title: 'lrn 1-D and on a vector',
    ops: ['lrn', 'dense'],
    input: '5x6',
    body: 'lrn 3, flatten, dense 4, lrn 2',
  },
  // activations
  {
    title: 'relu, relu6',
    ops: ['activation'],
    input: '4x4x3',
    body: 'conv 3 1x1, relu, conv 3 1x1, relu6',
  },
  {
    title: 'leaky_relu, elu',
    ops: ['activation'],
    input: '4x4x3',
    body: 'leakyrelu 0.2, conv 3 1x1, elu 0.5',
  },
  {
    title: 'tanh, sigmoid, gelu',
    ops: ['activation'],
    input: '4x4x3',
    body: 'tanh, conv 3 1x1, sigmoid, conv 3 1x1, gelu',
  },
  {
    title: 'linear, softmax over channels',
    ops: ['activation'],
    input: '4x4x3',
    body: 'linear, conv 5 1x1, softmax',
  },
  { title: 'softmax head', ops: ['activation', 'dense'], input: '6', body: 'dense 4, softmax' },
  // symbolic input sizes (the parity test runs them at 32x32)
  {
    title: 'symbolic ?x? input: strided same conv and pool, global pool',
    ops: ['conv2d', 'max_pool', 'global_avg_pool', 'dense'],
    input: '?x?x3',
    body: 'conv 4 3x3 /2 same, maxpool 3x3 /2 same, gap, dense 3',
  },
  // merges
  {
    title: 'residual add',
    ops: ['add'],
    input: '4x4x3',
    body: 'residual { conv 3 3x3 same, relu }',
  },
  {
    title: 'multiply (gating)',
    ops: ['multiply'],
    input: '4x4x3',
    body: 'multiply { branch { } branch { conv 3 1x1, sigmoid } }',
  },
  {
    title: 'merges of one branch',
    ops: ['concat', 'add', 'multiply'],
    input: '4x4x2',
    body: 'concat { branch { conv 2 1x1 } }\nadd { branch { conv 2 1x1 } }\nmultiply { branch { relu } }',
  },
  {
    title: 'concat of three branches',
    ops: ['concat'],
    input: '4x4x3',
    body: 'concat { branch { conv 2 1x1 } branch { } branch { maxpool 3x3 /1 same } }',
  },
];

/** The cases as one .cnn file: model Op1 … OpN. */
export function opCasesFile(): string {
  return OP_CASES.map(
    (c, i) =>
      `// ${c.title}\nmodel Op${i + 1} {\n  input ${c.input}\n${c.body
        .split('\n')
        .map((l) => `  ${l}`)
        .join('\n')}\n}\n`,
  ).join('\n');
}
