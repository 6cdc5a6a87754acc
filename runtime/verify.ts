/**
 * Differential check of two engines on one graph (cnnc verify): with the same weights and the same
 * seeded inputs, the outputs, the loss and every trainable param's gradient must agree.
 *
 * The error of a tensor is max|a − b| / max(max|b|, floor) with b the reference: a relative error
 * of the whole tensor, which does not blow up on entries near zero. For gradients the floor is
 * 1e-2 of the largest gradient entry of the model (so the tolerance 1e-4 allows an absolute error
 * of 1e-6 of it), because some gradients are zero in exact arithmetic and only rounding noise in
 * float32 — the bias of a convolution followed by batch norm in training mode (batch norm
 * subtracts the mean, so the bias cannot change the loss; measured: noise of 4e-7 of the largest
 * entry) — and noise compared with noise says nothing.
 *
 * Kinks: a ReLU input within float32 rounding of 0 may land on either side in two float32 engines,
 * and its derivative (0 or 1) then differs — not an error of either, but a different piece of a
 * piecewise-linear function, whose gradient can differ by 1/(N·H·W) of a channel's (measured:
 * ResNet-34 at 64x64, batch 2: one input at 2.4e-6 of its tensor's largest, three orders of
 * magnitude off in the 4x4 stage, a gradient off by 3.4e-2; the float32 reference agreed with a
 * float64 run to 7e-6, tfjs did not). So where engine a can report its kinked activations' inputs
 * (kinkInputs), b's derivative takes a's branch at inputs within KINK_BAND (1e-4) of the largest
 * |input| of a kink; everywhere else both decide for themselves, and `branchesTaken` counts the
 * derivatives that changed side.
 */
import { rng } from './data/dataset.js';
import type { Engine, OutputLoss } from './train/engine.js';

export interface TensorError {
  readonly name: string;
  readonly error: number;
  readonly maxAbs: number;
}

export interface VerifyReport {
  readonly output: TensorError;
  readonly loss: { readonly a: number; readonly b: number; readonly error: number };
  /** Every trainable param, worst first. */
  readonly grads: readonly TensorError[];
  /** Whether the gradients were taken in training mode (batch statistics); false with dropout. */
  readonly trainingMode: boolean;
  /** Activation derivatives of b that took a's side of a kink they were within rounding of. */
  readonly branchesTaken: number;
  readonly worst: number;
  readonly ok: boolean;
}

export interface VerifyOptions {
  readonly batch: number;
  readonly seed: number;
  /** Largest relative error accepted (default 1e-4). */
  readonly tolerance?: number;
  /** Input shape per sample where the engines' is symbolic. */
  readonly inputShape?: readonly number[];
  readonly classes: number;
  /** Take gradients in training mode (false when the graph has dropout, whose draws differ). */
  readonly training: boolean;
  /**
   * A loss of the raw output instead of the engines' classification loss (a detector's yolo loss
   * against seeded boxes: runtime/detection/yolo.ts), through `gradientsOn`.
   */
  readonly outputLoss?: OutputLoss;
}

export function relativeError(
  name: string,
  a: Float32Array,
  b: Float32Array,
  floor = 1e-30,
): TensorError {
  if (a.length !== b.length) return { name, error: Infinity, maxAbs: 0 };
  let diff = 0;
  let maxAbs = 0;
  for (let i = 0; i < a.length; i++) {
    const d = Math.abs(a[i] - b[i]);
    if (!(d <= diff)) diff = Number.isNaN(d) ? Infinity : d;
    maxAbs = Math.max(maxAbs, Math.abs(b[i]));
  }
  return { name, error: diff === 0 ? 0 : diff / Math.max(maxAbs, floor), maxAbs };
}

/** Copies b's weights into a, then compares a (e.g. tfjs) against b (the reference). */
export async function verifyEngines(
  a: Engine,
  b: Engine,
  opts: VerifyOptions,
): Promise<VerifyReport> {
  const tolerance = opts.tolerance ?? 1e-4;
  a.writeWeights(b.readWeights());
  const shape = (opts.inputShape ?? b.inputShape).map((d) => (d < 0 ? 1 : d));
  const per = shape.reduce((x, y) => x * y, 1);
  const r = rng(opts.seed);
  const data = Float32Array.from({ length: opts.batch * per }, () => r());
  const labels = Int32Array.from({ length: opts.batch }, () => Math.floor(r() * opts.classes));
  const x = { data, shape: [opts.batch, ...shape] };
  // Every output, one after the other (a model with several outputs compares them all).
  const joined = (ys: readonly { readonly data: Float32Array }[]) => {
    const out = new Float32Array(ys.reduce((n, y) => n + y.data.length, 0));
    let at = 0;
    for (const y of ys) {
      out.set(y.data, at);
      at += y.data.length;
    }
    return out;
  };
  const [ya, yb] = [joined(await a.forwardAll(x)), joined(await b.forwardAll(x))];
  const output = relativeError('output', ya, yb);
  const custom = opts.outputLoss;
  if (custom && !(a.gradientsOn && b.gradientsOn))
    throw new Error(`the ${a.backend} or ${b.backend} engine cannot take a loss of the output`);
  const ga = custom
    ? await a.gradientsOn!(x, custom, opts.training)
    : await a.gradients(x, labels, opts.training);
  const branches = a.kinkInputs ? await a.kinkInputs(x, opts.training) : undefined;
  const gb = custom
    ? await b.gradientsOn!(x, custom, opts.training, branches)
    : await b.gradients(x, labels, opts.training, branches);
  const bGrads = new Map(gb.grads.map((g) => [g.name, g.data]));
  let largest = 0;
  for (const g of gb.grads) for (const v of g.data) largest = Math.max(largest, Math.abs(v));
  const floor = Math.max(1e-2 * largest, 1e-30);
  const grads = ga.grads
    .map((g) => relativeError(g.name, g.data, bGrads.get(g.name) ?? new Float32Array(0), floor))
    .sort((p, q) => q.error - p.error);
  const lossError = Math.abs(ga.loss - gb.loss) / Math.max(Math.abs(gb.loss), 1e-30);
  const worst = grads.reduce((m, g) => Math.max(m, g.error), Math.max(output.error, lossError));
  return {
    output,
    loss: { a: ga.loss, b: gb.loss, error: lossError },
    grads,
    trainingMode: opts.training,
    branchesTaken: gb.branchesTaken ?? 0,
    worst,
    ok: worst <= tolerance,
  };
}
