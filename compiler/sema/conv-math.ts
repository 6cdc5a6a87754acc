/**
 * The arithmetic of sliding windows (convolutions and pools) along one spatial axis, in one place.
 * Every function is pure and returns, next to its value, the derivation that `cnnc summary --explain`
 * and the diagnostics' notes print: `floor((224 + 2·2 − 11) / 4) + 1 = 55`.
 *
 * Sizes may be symbolic (see dim.ts). All size arithmetic goes through dim.ts so that the
 * divisibility and positivity assumptions about a symbol are recorded in the SymbolEnv.
 *
 * Conventions (PyTorch where PyTorch defines them):
 *   effective kernel  effK = d·(k − 1) + 1
 *   floor mode        out = floor((in + pb + pe − effK) / s) + 1
 *   ceil mode         out = ceil((in + pb + pe − effK) / s) + 1, minus 1 when the last window would
 *                     start in the right padding: (out − 1)·s ≥ in + pb
 *   same (TF)         out = ceil(in / s); total = max((out − 1)·s + effK − in, 0); pb = floor(total / 2)
 *   full              pb = pe = effK − 1
 *   transposed        out = (in − 1)·s − pb − pe + d·(k − 1) + outputPadding + 1
 */
import { assertNever } from '../../grammar/ast.js';
import type { Padding } from '../ir/ops.js';
import { addConst, ceilDiv, floorDiv, formatDim, mulConst } from './dim.js';
import type { Dim, SymbolEnv } from './dim.js';

/** A value together with the arithmetic that produced it. */
export interface Derived<T> {
  readonly value: T;
  readonly derivation: string;
}

/**
 * A Derived whose derivation text is built on first read: most are never printed, and the analysis
 * of a large graph must not spend its time formatting numbers.
 */
class LazyDerived<T> implements Derived<T> {
  private text: string | undefined;
  constructor(
    readonly value: T,
    private readonly build: () => string,
  ) {}
  get derivation(): string {
    return (this.text ??= this.build());
  }
}

/** Padding on the two sides of one axis: top/bottom or left/right. */
export interface AxisPads {
  readonly before: number;
  readonly after: number;
}

/** A window along one axis. */
export interface AxisWindow {
  readonly kernel: number;
  readonly stride: number;
  readonly dilation: number;
}

export interface OutputLength extends Derived<Dim> {
  /** Ceil mode only: the last window was removed because it would start in the padding. */
  readonly lastWindowRemoved: boolean;
}

/** `5`, `−1`: a number as derivations print it (a real minus sign). */
export function formatNumber(n: number): string {
  return n < 0 ? `−${-n}` : String(n);
}

export function effectiveKernel(kernel: number, dilation: number): number {
  return dilation * (kernel - 1) + 1;
}

/** `7`, or `(2·(3 − 1) + 1)` for a dilated kernel: the effective kernel as derivations subtract it. */
function kernelTerm(w: AxisWindow): string {
  return w.dilation === 1 ? String(w.kernel) : `(${w.dilation}·(${w.kernel} − 1) + 1)`;
}

/** ` + 2·1` or ` + 0 + 1`: the padding terms of a derivation. */
function padTerms(pads: AxisPads, sign: '+' | '−'): string {
  if (pads.before === pads.after) return ` ${sign} 2·${pads.before}`;
  return ` ${sign} ${pads.before} ${sign} ${pads.after}`;
}

/**
 * For a size known modulo s (a number, or a symbol whose coefficient part is a multiple of s, which
 * floorDiv/ceilDiv record), a concrete representative of its residue class.
 */
function residueRepresentative(d: Dim): number | null {
  if (d === null) return null;
  return typeof d === 'number' ? d : d.add;
}

/** ceil(x / s)·s − x, the rows a ceiling division rounds up by; concrete even for symbolic x. */
function roundUpExcess(x: Dim, stride: number): number | null {
  const r = residueRepresentative(x);
  return r === null ? null : Math.ceil(r / stride) * stride - r;
}

/** x mod s as a non-negative number. */
function mod(x: number, s: number): number {
  return ((x % s) + s) % s;
}

/**
 * The per-side pads a Padding means along `axis` (0 = height or length, 1 = width) for an input of
 * size `input`. Explicit pads are laid out [top, bottom, left, right] (1-D: [left, right]); a single
 * entry applies to every side. TF `same` pads are concrete even for a symbolic input, because
 * ceil(in / s)·s − in depends only on in mod s.
 */
export function resolvePadding(
  padding: Padding,
  axis: number,
  input: Dim,
  w: AxisWindow,
  env: SymbolEnv,
): Derived<AxisPads> {
  const effK = effectiveKernel(w.kernel, w.dilation);
  switch (padding.mode) {
    case 'valid':
      return VALID;
    case 'full':
      return new LazyDerived(
        { before: effK - 1, after: effK - 1 },
        () => `full: ${effK} − 1 = ${effK - 1} on each side`,
      );
    case 'explicit':
      return explicitPads(padding.pads, axis);
    case 'same': {
      const out = ceilDiv(input, w.stride, env);
      const excess = roundUpExcess(input, w.stride);
      // (out − 1)·s + effK − in = excess − s + effK, where excess = ceil(in / s)·s − in.
      const total = excess === null ? 0 : Math.max(excess - w.stride + effK, 0);
      const before = Math.floor(total / 2);
      return new LazyDerived(
        { before, after: total - before },
        () =>
          `same: total = max((${formatDim(out, env)} − 1)·${w.stride} + ${effK} − ` +
          `${formatDim(input, env)}, 0) = ${total} = ${before} + ${total - before}`,
      );
    }
    default:
      return assertNever(padding);
  }
}

const VALID: Derived<AxisPads> = {
  value: { before: 0, after: 0 },
  derivation: 'valid: no padding',
};

function explicitPads(p: readonly number[], axis: number): Derived<AxisPads> {
  const before = p.length === 1 ? p[0] : (p[2 * axis] ?? 0);
  const after = p.length === 1 ? p[0] : (p[2 * axis + 1] ?? before);
  return new LazyDerived({ before, after }, () => `pad ${before} + ${after}`);
}

/** in + pb + pe − effK, the span the window start can move over. */
function slack(input: Dim, effK: number, pads: AxisPads): Dim {
  return addConst(input, pads.before + pads.after - effK);
}

/**
 * Output length of a convolution or pool: floor((in + pb + pe − effK) / s) + 1, or PyTorch's ceil mode.
 * A non-positive result is returned as is; the caller reports it.
 */
export function convOutputLength(
  input: Dim,
  w: AxisWindow,
  pads: AxisPads,
  env: SymbolEnv,
  ceil = false,
): OutputLength {
  const effK = effectiveKernel(w.kernel, w.dilation);
  const x = slack(input, effK, pads);
  if (!ceil)
    return new ConvOutput(addConst(floorDiv(x, w.stride, env), 1), false, input, w, pads, env);
  const value = addConst(ceilDiv(x, w.stride, env), 1);
  // (out − 1)·s − (in + pb) = [ceil(x / s)·s − x] + x − in − pb = excess + pe − effK.
  const excess = roundUpExcess(x, w.stride);
  if (excess === null || excess + pads.after - effK < 0) {
    return new ConvOutput(value, true, input, w, pads, env);
  }
  return new ConvOutput(addConst(value, -1), true, input, w, pads, env, true);
}

/** The result of convOutputLength; its derivation is built on first read. */
class ConvOutput implements OutputLength {
  constructor(
    readonly value: Dim,
    private readonly ceil: boolean,
    private readonly input: Dim,
    private readonly w: AxisWindow,
    private readonly pads: AxisPads,
    private readonly env: SymbolEnv,
    readonly lastWindowRemoved = false,
  ) {}

  get derivation(): string {
    const { w, env } = this;
    const body = `(${formatDim(this.input, env)}${padTerms(this.pads, '+')} − ${kernelTerm(w)}) / ${w.stride}`;
    const result = formatValue(this.value, env);
    if (!this.ceil) return `floor(${body}) + 1 = ${result}`;
    if (!this.lastWindowRemoved) return `ceil(${body}) + 1 = ${result}`;
    return `ceil(${body}) + 1 − 1 = ${result} (the last window would start in the padding)`;
  }
}

function formatValue(d: Dim, env: SymbolEnv): string {
  return typeof d === 'number' ? formatNumber(d) : formatDim(d, env);
}

/**
 * Per-side pads of a transposed convolution, which (as PyTorch's `padding`) remove rows from the
 * full output. `valid` and `full` remove nothing: the full output of a transposed convolution is
 * already (in − 1)·s + effK. TF `same` gives out = in·s: total = effK − s, split as for a
 * convolution; when effK < s the missing s − effK rows are added at the end (a negative `after`).
 */
export function resolveTransposedPadding(
  padding: Padding,
  axis: number,
  w: AxisWindow,
): Derived<AxisPads> {
  const effK = effectiveKernel(w.kernel, w.dilation);
  switch (padding.mode) {
    case 'valid':
    case 'full':
      return { value: { before: 0, after: 0 }, derivation: `${padding.mode}: no rows removed` };
    case 'explicit':
      return explicitPads(padding.pads, axis);
    case 'same': {
      const total = effK - w.stride;
      const before = Math.max(Math.floor(total / 2), 0);
      return new LazyDerived(
        { before, after: total - before },
        () => `same: total = ${effK} − ${w.stride} = ${formatNumber(total)}`,
      );
    }
    default:
      return assertNever(padding);
  }
}

/** Output length of a transposed convolution: (in − 1)·s − pb − pe + d·(k − 1) + outputPadding + 1. */
export function transposedOutputLength(
  input: Dim,
  w: AxisWindow,
  pads: AxisPads,
  outputPadding: number,
  env: SymbolEnv,
): Derived<Dim> {
  const effK = effectiveKernel(w.kernel, w.dilation);
  const value = addConst(
    mulConst(input, w.stride),
    -w.stride - pads.before - pads.after + effK + outputPadding,
  );
  return new LazyDerived(value, () => {
    const extra = outputPadding !== 0 ? ` + ${outputPadding}` : '';
    const padText =
      pads.before === pads.after
        ? ` − 2·${formatNumber(pads.before)}`
        : ` − ${formatNumber(pads.before)} − ${formatNumber(pads.after)}`;
    return (
      `(${formatDim(input, env)} − 1)·${w.stride}${padText} + ${w.dilation}·(${w.kernel} − 1)` +
      `${extra} + 1 = ${formatValue(value, env)}`
    );
  });
}

/**
 * Real input rows a floor-mode window never reads: max(0, ((in + pb + pe − effK) mod s) − pe).
 * Rows of padding do not count. With effK < s rows are skipped by design, so that is reported as 0.
 */
export function droppedRows(input: number, w: AxisWindow, pads: AxisPads): Derived<number> {
  const value = droppedCount(input, w, pads);
  if (value === 0) return NONE_DROPPED;
  return new LazyDerived(value, () => {
    const rest = mod(
      input + pads.before + pads.after - effectiveKernel(w.kernel, w.dilation),
      w.stride,
    );
    const body = `(${input}${padTerms(pads, '+')} − ${kernelTerm(w)}) mod ${w.stride} = ${rest}`;
    return pads.after > 0 ? `${body}, less ${pads.after} of padding = ${value}` : body;
  });
}

const NONE_DROPPED: Derived<number> = { value: 0, derivation: 'no rows left over' };

/** The number droppedRows derives, without the derivation. */
export function droppedCount(input: number, w: AxisWindow, pads: AxisPads): number {
  const effK = effectiveKernel(w.kernel, w.dilation);
  if (effK < w.stride || input + pads.before + pads.after < effK) return 0;
  return Math.max(0, mod(input + pads.before + pads.after - effK, w.stride) - pads.after);
}

/** The smallest input size above `input` whose rows are all read, with the same window and pads. */
export function nextEvenInput(input: number, w: AxisWindow, pads: AxisPads): number {
  // The leftover (in + pb + pe − effK) mod s cycles with period s, so s steps always find one.
  const last = input + Math.max(w.stride, 1);
  for (let n = input + 1; n <= last; n++) {
    if (droppedCount(n, w, pads) === 0) return n;
  }
  return last;
}
