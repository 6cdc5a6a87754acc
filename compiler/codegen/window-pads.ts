/**
 * A sliding window's padding per spatial axis, resolved the checker's way (sema/conv-math.ts):
 * what the PyTorch and ONNX generators both write out (PyTorch's `padding=` or an F.pad step, ONNX's
 * per-side `pads`).
 */
import type { Padding } from '../ir/ops.js';
import { resolvePadding, type AxisPads } from '../sema/conv-math.js';
import { SymbolEnv, type Dim } from '../sema/dim.js';

export interface WindowSpec {
  readonly kernel: readonly number[];
  readonly stride: readonly number[];
  readonly dilation: readonly number[];
  readonly padding: Padding;
}

/** The padding before and after each spatial axis of `input`. */
export function windowPads(spec: WindowSpec, input: readonly Dim[]): AxisPads[] {
  const env = new SymbolEnv();
  return spec.kernel.map(
    (k, i) =>
      resolvePadding(
        spec.padding,
        i,
        input[i],
        { kernel: k, stride: spec.stride[i], dilation: spec.dilation[i] },
        env,
      ).value,
  );
}

export const symmetric = (pads: readonly AxisPads[]) => pads.every((p) => p.before === p.after);
export const noPads = (pads: readonly AxisPads[]) =>
  pads.every((p) => p.before === 0 && p.after === 0);
