/**
 * Finite-difference gradient checks for reference kernels, in float64. The scalar checked is
 * L = Σ y·r for a fixed random r of y's shape, so dL/dy = r; the kernel's backward(r) is compared
 * with central differences (L(v + h) − L(v − h)) / 2h for every element of every input and param
 * weight (or an evenly spread sample of `maxPerTensor` elements of large ones).
 */
import type { Node } from '../../../compiler/ir/graph.js';
import { seededRandom } from '../../../runtime/init.js';
import type { Kernel, KernelContext } from '../../../runtime/reference/kernel.js';
import { cast, type Tensor } from '../../../runtime/reference/tensor.js';

export interface GradCheckOptions {
  readonly training?: boolean;
  /** Seed of the dL/dy weights and of ctx.random (the same stream on every forward). */
  readonly seed?: number;
  readonly h?: number;
  readonly rtol?: number;
  readonly atol?: number;
  readonly maxPerTensor?: number;
}

export interface GradMismatch {
  readonly tensor: string;
  readonly index: number;
  readonly analytic: number;
  readonly numeric: number;
}

export interface GradCheckResult {
  readonly checked: number;
  readonly mismatches: readonly GradMismatch[];
  readonly maxError: number;
}

/** Runs the check; `params` are the param weights to differentiate, `buffers` the others. */
export function gradCheck(
  kernel: Kernel,
  node: Node,
  inputs: readonly Tensor[],
  params: Readonly<Record<string, Tensor>> = {},
  buffers: Readonly<Record<string, Tensor>> = {},
  opts: GradCheckOptions = {},
): GradCheckResult {
  const seed = opts.seed ?? 1;
  const h = opts.h ?? 1e-6;
  const rtol = opts.rtol ?? 1e-5;
  const atol = opts.atol ?? 1e-7;
  const maxPer = opts.maxPerTensor ?? 400;
  const xs = inputs.map((t) => cast(t, 'float64'));
  const ps = Object.fromEntries(Object.entries(params).map(([k, t]) => [k, cast(t, 'float64')]));
  const bs = Object.fromEntries(Object.entries(buffers).map(([k, t]) => [k, cast(t, 'float64')]));
  const ctx = (): KernelContext => ({
    training: opts.training ?? false,
    needInputGrad: xs.map(() => true),
    random: seededRandom(seed * 7919 + 13),
  });
  const run = () => kernel(node as never, xs, { ...ps, ...bs }, ctx());
  const first = run();
  const rand = seededRandom(seed);
  const r = cast(
    { shape: first.output.shape, data: first.output.data.map(() => 2 * rand() - 1) },
    'float64',
  );
  const loss = (): number => {
    const y = run().output.data;
    let s = 0;
    for (let i = 0; i < y.length; i++) s += y[i] * r.data[i];
    return s;
  };
  const grads = first.backward(r);
  const targets: [string, Tensor, Tensor | null][] = [
    ...xs.map((x, i): [string, Tensor, Tensor | null] => [`input${i}`, x, grads.inputs[i] ?? null]),
    ...Object.entries(ps).map(([k, w]): [string, Tensor, Tensor | null] => [
      k,
      w,
      grads.weights[k] ?? null,
    ]),
  ];
  const mismatches: GradMismatch[] = [];
  let checked = 0;
  let maxError = 0;
  for (const [name, t, g] of targets) {
    if (!g) throw new Error(`gradCheck: no gradient for ${name}`);
    if (g.data.length !== t.data.length)
      throw new Error(
        `gradCheck: gradient of ${name} has ${g.data.length} values, expected ${t.data.length}`,
      );
    const n = t.data.length;
    const step = Math.max(1, Math.floor(n / maxPer));
    for (let i = 0; i < n; i += step) {
      const v = t.data[i];
      t.data[i] = v + h;
      const lp = loss();
      t.data[i] = v - h;
      const lm = loss();
      t.data[i] = v;
      const numeric = (lp - lm) / (2 * h);
      const analytic = g.data[i];
      const err = Math.abs(analytic - numeric);
      checked++;
      const scale = Math.max(Math.abs(analytic), Math.abs(numeric));
      maxError = Math.max(maxError, err / Math.max(scale, 1e-12));
      if (err > atol + rtol * scale) mismatches.push({ tensor: name, index: i, analytic, numeric });
    }
  }
  return { checked, mismatches, maxError };
}
