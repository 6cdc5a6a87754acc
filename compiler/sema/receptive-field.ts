/**
 * Receptive field of every IR op, as a table of pure functions:
 * `rfRules[op](attrs, inputRfs, inputShapes, outputShape)`.
 *
 * Per spatial axis, in pixels of the model input:
 *   input              size 1, jump 1
 *   conv, pool         size_out = size_in + (effK − 1)·jump_in,  jump_out = jump_in·stride
 *   transposed conv    one output position reads floor((effK − 1) / s) + 1 neighbouring input
 *                      positions, so size_out = size_in + floor((effK − 1) / s)·jump_in, and
 *                      jump_out = jump_in / stride — kept as a (possibly fractional) number: output
 *                      positions are 1/stride input positions apart
 *   adaptive pool      the largest window PyTorch uses, ceil((i + 1)·in / out) − floor(i·in / out),
 *                      and jump_in·in / out; null (unknown) for a symbolic input
 *   upsample           jump_in·in / out; bilinear reads one more input position (size + jump_in)
 *   merges             the largest size and the largest jump of the inputs
 *   dense, flatten, reshape, global pools, adaptive pools to 1   global: every position is mixed
 * Once global, a receptive field stays global. Element-wise ops keep their input's field.
 */
import type { ReceptiveField } from '../ir/graph.js';
import type { OpAttrMap, OpKind } from '../ir/ops.js';
import { effectiveKernel } from './conv-math.js';
import type { Dim } from './dim.js';

export type RfRule<K extends OpKind> = (
  attrs: OpAttrMap[K],
  inputs: readonly ReceptiveField[],
  inputShapes: readonly (readonly Dim[])[],
  outputShape: readonly Dim[],
) => ReceptiveField | null;

function window(
  rf: ReceptiveField,
  kernel: readonly number[],
  stride: readonly number[],
  dilation?: readonly number[],
): ReceptiveField {
  if (rf.global) return rf;
  return {
    size: rf.size.map(
      (s, i) => s + (effectiveKernel(kernel[i], dilation?.[i] ?? 1) - 1) * rf.jump[i],
    ),
    jump: rf.jump.map((j, i) => j * stride[i]),
    global: false,
  };
}

function transposed(rf: ReceptiveField, a: OpAttrMap['conv2d_transpose']): ReceptiveField {
  if (rf.global) return rf;
  return {
    size: rf.size.map((s, i) => {
      const reach = Math.floor((effectiveKernel(a.kernel[i], a.dilation[i]) - 1) / a.stride[i]);
      return s + reach * rf.jump[i];
    }),
    jump: rf.jump.map((j, i) => j / a.stride[i]),
    global: false,
  };
}

function adaptive(
  rf: ReceptiveField,
  a: OpAttrMap['adaptive_avg_pool'],
  inputShape: readonly Dim[],
): ReceptiveField | null {
  if (rf.global) return rf;
  if (a.output.every((o) => o === 1)) return globalRf(rf);
  const spatial = inputShape.slice(0, -1);
  if (!spatial.every((d): d is number => typeof d === 'number')) return null;
  const size = rf.size.map((s, i) => s + (largestWindow(spatial[i], a.output[i]) - 1) * rf.jump[i]);
  const jump = rf.jump.map((j, i) => (j * spatial[i]) / a.output[i]);
  return { size, jump, global: false };
}

/** PyTorch's adaptive windows: [floor(i·in / out), ceil((i + 1)·in / out)). */
function largestWindow(input: number, output: number): number {
  let largest = 0;
  for (let i = 0; i < output; i++) {
    const w = Math.ceil(((i + 1) * input) / output) - Math.floor((i * input) / output);
    if (w > largest) largest = w;
  }
  return largest;
}

/**
 * upsample: output positions are in/out input positions apart; bilinear reads two neighbouring
 * input positions (one jump wider), nearest one. Null for a target size of a symbolic input.
 */
function upsample(
  rf: ReceptiveField,
  a: OpAttrMap['upsample'],
  inputShape: readonly Dim[],
): ReceptiveField | null {
  if (rf.global) return rf;
  const ratio: number[] = [];
  for (let i = 0; i < rf.jump.length; i++) {
    const d = inputShape[i];
    if (a.scale) ratio.push(1 / a.scale[i]);
    else if (a.size && typeof d === 'number') ratio.push(d / a.size[i]);
    else return null;
  }
  const extra = a.mode === 'bilinear' ? 1 : 0;
  return {
    size: rf.size.map((s, i) => s + extra * rf.jump[i]),
    jump: rf.jump.map((j, i) => j * ratio[i]),
    global: false,
  };
}

function globalRf(rf: ReceptiveField): ReceptiveField {
  return rf.global ? rf : { ...rf, global: true };
}

function merge(rfs: readonly ReceptiveField[]): ReceptiveField {
  // Loops, not Math.max(...): a merge may have more branches than a spread can pass.
  const n = rfs.reduce((m, r) => Math.min(m, r.size.length), Infinity);
  const size: number[] = [];
  const jump: number[] = [];
  for (let i = 0; i < n; i++) {
    size.push(rfs.reduce((m, r) => Math.max(m, r.size[i]), -Infinity));
    jump.push(rfs.reduce((m, r) => Math.max(m, r.jump[i]), -Infinity));
  }
  return { size, jump, global: rfs.some((r) => r.global) };
}

const keep =
  <K extends OpKind>(): RfRule<K> =>
  (_a, ins) =>
    ins[0];
const makeGlobal =
  <K extends OpKind>(): RfRule<K> =>
  (_a, ins) =>
    globalRf(ins[0]);

export const rfRules: { readonly [K in OpKind]: RfRule<K> } = {
  input: (_a, _ins, _shapes, out) => {
    const spatial = Math.max(out.length - 1, 0);
    return { size: Array(spatial).fill(1), jump: Array(spatial).fill(1), global: false };
  },
  conv2d: (a, ins) => window(ins[0], a.kernel, a.stride, a.dilation),
  conv1d: (a, ins) => window(ins[0], a.kernel, a.stride, a.dilation),
  depthwise_conv2d: (a, ins) => window(ins[0], a.kernel, a.stride, a.dilation),
  conv2d_transpose: (a, ins) => transposed(ins[0], a),
  max_pool: (a, ins) => window(ins[0], a.kernel, a.stride),
  avg_pool: (a, ins) => window(ins[0], a.kernel, a.stride),
  global_max_pool: makeGlobal(),
  global_avg_pool: makeGlobal(),
  adaptive_max_pool: (a, ins, shapes) => adaptive(ins[0], a, shapes[0]),
  adaptive_avg_pool: (a, ins, shapes) => adaptive(ins[0], a, shapes[0]),
  dense: makeGlobal(),
  flatten: makeGlobal(),
  reshape: makeGlobal(),
  zero_pad: keep(),
  upsample: (a, ins, shapes) => upsample(ins[0], a, shapes[0]),
  dropout: keep(),
  batch_norm: keep(),
  lrn: keep(),
  activation: keep(),
  add: (_a, ins) => merge(ins),
  multiply: (_a, ins) => merge(ins),
  concat: (_a, ins) => merge(ins),
  highway: (_a, ins) => merge(ins),
  yolo: keep(),
};
