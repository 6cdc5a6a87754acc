/**
 * The shape logic shared by every sliding-window op (convolutions and pools): output size per axis,
 * kernels larger than their input (CNN3001), non-positive sizes (CNN3002), rows a stride never reads
 * (CNN3003) and pool padding beyond half the window (CNN3016).
 */
import { diag } from '../diagnostics/diagnostic.js';
import type { Node } from '../ir/graph.js';
import type { Padding } from '../ir/ops.js';
import {
  convOutputLength,
  droppedCount,
  droppedRows,
  effectiveKernel,
  nextEvenInput,
  resolvePadding,
} from './conv-math.js';
import type { AxisPads, AxisWindow, Derived, OutputLength } from './conv-math.js';
import { formatDim, requireAtLeast } from './dim.js';
import type { Dim, SymbolEnv } from './dim.js';
import { axisNames, dimText, inputLabel, joinAnd, plural } from './shape-rule-context.js';
import type { RuleContext } from './shape-rule-context.js';

export interface WindowSpec {
  readonly kernel: readonly number[];
  readonly stride: readonly number[];
  /** All ones for pools. */
  readonly dilation: readonly number[];
  readonly padding: Padding;
  readonly ceil: boolean;
  /** Pools must keep padding within half the window (PyTorch); convolutions may pad anything. */
  readonly pool: boolean;
}

interface Axis {
  readonly name: string;
  readonly input: Dim;
  readonly w: AxisWindow;
  readonly effK: number;
  readonly pads: AxisPads;
  readonly padDeriv: Derived<AxisPads>;
}

/** `5x5`, or `length 5` for one axis. */
function sizesText(sizes: readonly string[]): string {
  return sizes.length === 1 ? `length ${sizes[0]}` : sizes.join('x');
}

/** Notes for some axes: one `out = …` when they agree, else one per axis. */
function axisNotes(axes: readonly Axis[], lines: readonly string[]): string[] {
  if (lines.every((l) => l === lines[0])) return lines.length ? [`out = ${lines[0]}`] : [];
  return lines.map((l, i) => `${axes[i].name}: out = ${l}`);
}

/** Output spatial sizes of a window sliding over `spatial`, or null after reporting why not. */
export function windowSpatial(
  spec: WindowSpec,
  spatial: readonly Dim[],
  ctx: RuleContext,
): Dim[] | null {
  const env = ctx.env;
  const names = axisNames(spatial.length);
  const axes: Axis[] = spatial.map((input, i) => {
    const w = { kernel: spec.kernel[i], stride: spec.stride[i], dilation: spec.dilation[i] };
    const pads = resolvePadding(spec.padding, i, input, w, env);
    const effK = effectiveKernel(w.kernel, w.dilation);
    const name = names[i];
    return { name, input, w, effK, pads: pads.value, padDeriv: pads };
  });
  if (spec.pool && !checkPoolPadding(axes, ctx)) return null;

  const outs = axes.map((a) => convOutputLength(a.input, a.w, a.pads, env, spec.ceil));
  if (outs.some((o) => isNonPositive(o.value))) {
    reportTooSmall(axes, outs, ctx);
    return null;
  }
  for (let i = 0; i < outs.length; i++) {
    const o = outs[i];
    requireAtLeast(o.value, 1, env);
    const a = axes[i];
    ctx.explain(() => {
      const pad = spec.padding.mode === 'valid' ? '' : `${a.padDeriv.derivation}; `;
      return `${a.name}: ${pad}${o.derivation}`;
    });
  }
  if (!spec.ceil) reportDropped(axes, outs, spec, ctx);
  return outs.map((o) => o.value);
}

function checkPoolPadding(axes: readonly Axis[], ctx: RuleContext): boolean {
  const bad = axes.filter((a) => Math.max(a.pads.before, a.pads.after) > Math.floor(a.effK / 2));
  if (bad.length === 0) return true;
  const pad = Math.max(...bad.map((a) => Math.max(a.pads.before, a.pads.after)));
  const window = axes.map((a) => a.effK).join('x');
  const limits = axes.map((a) => Math.floor(a.effK / 2));
  ctx.report(
    diag('CNN3016', `padding ${pad} is more than half the ${window} pool window`, {
      span: ctx.node.span,
      spanLabel: `padding may be at most ${limits.join('x')}`,
      notes: bad.map(
        (a) =>
          `${a.name}: padding ${a.pads.before} + ${a.pads.after}, but PyTorch allows at most ` +
          `floor(${a.effK} / 2) = ${Math.floor(a.effK / 2)}`,
      ),
      help: `pad at most ${Math.min(...limits)}, or use a window of at least ${2 * pad}`,
    }),
  );
  return false;
}

function reportTooSmall(axes: readonly Axis[], outs: readonly OutputLength[], ctx: RuleContext) {
  const env = ctx.env;
  const failing = axes.map((_, i) => i).filter((i) => isNonPositive(outs[i].value));
  const padded = (a: Axis): number | null =>
    typeof a.input === 'number' ? a.input + a.pads.before + a.pads.after : null;
  const tooLarge = failing.some((i) => {
    const p = padded(axes[i]);
    return p !== null && axes[i].effK > p;
  });
  const notes = axisNotes(
    failing.map((i) => axes[i]),
    failing.map((i) => outs[i].derivation),
  );
  const inputText = sizesText(axes.map((a) => formatDim(a.input, env)));
  const label = inputLabel(ctx.inputs[0], inputText, true);
  if (!tooLarge) {
    const outText = outs.map((o) => dimText(o.value, env)).join('x');
    ctx.report(
      diag('CNN3002', `output size ${outText} is not positive`, {
        span: ctx.node.span,
        spanLabel: `produces ${outText}`,
        labels: [label],
        notes,
      }),
    );
    return;
  }
  const kernel = axes.map((a) => a.w.kernel).join('x');
  const dilated = axes.some((a) => a.w.dilation !== 1);
  const kernelText = dilated ? `${kernel} dilated to ${axes.map((a) => a.effK).join('x')}` : kernel;
  const hasPads = axes.some((a) => a.pads.before + a.pads.after !== 0);
  const paddedText = hasPads
    ? ` (${axes.map((a) => formatDim(padded(a), env)).join('x')} with padding)`
    : '';
  const needed = axes.map((a) => Math.max(a.effK - a.pads.before - a.pads.after, 1));
  // The largest kernel that fits: d·(k − 1) + 1 ≤ padded input.
  const fit = axes.map((a) => {
    const p = padded(a);
    return p === null ? a.w.kernel : Math.min(a.w.kernel, Math.floor((p - 1) / a.w.dilation) + 1);
  });
  const fitText = fit.length === 1 ? `a kernel of ${fit[0]}` : `a ${fit.join('x')} kernel`;
  const wording =
    axes.length === 1
      ? `kernel ${kernelText} is larger than its input of ${inputText}`
      : `kernel ${kernelText} is larger than its ${inputText} input`;
  const samePadding = ctx.node.op !== 'max_pool' && ctx.node.op !== 'avg_pool';
  ctx.report(
    diag('CNN3001', `${wording}${paddedText}`, {
      span: ctx.node.span,
      spanLabel: `needs an input of at least ${sizesText(needed.map(String))}`,
      labels: [label],
      notes,
      help: samePadding ? `pad with \`same\`, or use ${fitText}` : `use ${fitText}`,
    }),
  );
}

function isNonPositive(d: Dim): boolean {
  return typeof d === 'number' && d < 1;
}

const ROW_WORDS: readonly (readonly [string, string])[] = [
  ['row', 'rows'],
  ['column', 'columns'],
];

function reportDropped(
  axes: readonly Axis[],
  outs: readonly OutputLength[],
  spec: WindowSpec,
  ctx: RuleContext,
) {
  // Rows of zeros a `zeropad` right before added at the end: dropping them loses nothing.
  const zeros = trailingZeros(ctx.inputs[0], axes.length);
  let dropsRows = false;
  for (const [i, a] of axes.entries()) {
    if (typeof a.input === 'number' && droppedCount(a.input, a.w, a.pads) > zeros[i])
      dropsRows = true;
  }
  if (!dropsRows) return;
  const dropped = axes.map((a, i) =>
    typeof a.input === 'number' ? lessZeros(droppedRows(a.input, a.w, a.pads), zeros[i]) : null,
  );
  const words = axes.length === 1 ? [['position', 'positions'] as const] : ROW_WORDS;
  const hit = axes.map((_, i) => i).filter((i) => (dropped[i]?.value ?? 0) > 0);
  const env = ctx.env;
  const counts = hit.map((i) => plural(dropped[i]?.value ?? 0, words[i][0], words[i][1]));
  const inputText = sizesText(axes.map((a) => formatDim(a.input, env)));
  const kernel = axes.map((a) => a.effK).join('x');
  const stride = axes.every((a) => a.w.stride === axes[0].w.stride)
    ? String(axes[0].w.stride)
    : axes.map((a) => a.w.stride).join('x');
  const notes = hit.map(
    (i) =>
      `${words[i][1]}: out = ${outs[i].derivation}; left over: ${dropped[i]?.derivation ?? ''}`,
  );
  ctx.report(
    diag(
      'CNN3003',
      `kernel ${kernel} with stride ${stride} never reads the last ${joinAnd(counts)} of its ${inputText} input`,
      {
        span: ctx.node.span,
        spanLabel: `drops ${joinAnd(counts)}`,
        labels: [inputLabel(ctx.inputs[0], inputText, true)],
        notes,
        help: droppedHelp(axes, outs, dropped, spec, ctx.inputs[0].op === 'input', env),
      },
    ),
  );
}

/**
 * How to read every row: a larger input or another padding, each followed by the output size it
 * gives when that differs from today's (`or pad 1 (the output becomes 6x6)`), so that a fix that
 * changes the model's shapes says so. A padding that keeps the output size is preferred.
 */
function droppedHelp(
  axes: readonly Axis[],
  outs: readonly OutputLength[],
  dropped: readonly ({ readonly value: number } | null)[],
  spec: WindowSpec,
  isModelInput: boolean,
  env: SymbolEnv,
): string {
  const inputs = axes.map((a, i) =>
    typeof a.input === 'number' && (dropped[i]?.value ?? 0) > 0
      ? nextEvenInput(a.input, a.w, a.pads)
      : a.input,
  );
  const sizes = inputs.map((d) => formatDim(d, env));
  const size = sizes.length === 1 ? `of length ${sizes[0]}` : sizes.join('x');
  const inputFix = isModelInput
    ? sizes.length === 1
      ? `use an input ${size}`
      : `use a ${size} input`
    : `make its input ${sizes.length === 1 ? `length ${sizes[0]}` : size}`;
  const grown = changedOutput(
    axes.map((a, i) => ({ ...a, input: inputs[i] })),
    outs,
    env,
  );
  const pad = evenPadding(axes, outs, spec.pool);
  const padFix =
    pad === null
      ? ''
      : `, or ${pad === 0 ? 'remove the padding' : `pad ${pad}`}${changedOutput(
          axes.map((a) => ({ ...a, pads: { before: pad, after: pad } })),
          outs,
          env,
        )}`;
  return `${inputFix}${grown}${padFix}`;
}

/** ` (the output becomes 6x6)` when `axes` give another output than `outs`, else ``. */
function changedOutput(
  axes: readonly Axis[],
  outs: readonly OutputLength[],
  env: SymbolEnv,
): string {
  const now = axes.map((a) => convOutputLength(a.input, a.w, a.pads, env).value);
  if (now.every((d, i) => d === outs[i].value)) return '';
  return ` (the output becomes ${sizesText(now.map((d) => formatDim(d, env)))})`;
}

/**
 * A symmetric padding (other than the current one) under which no row is dropped: the smallest that
 * keeps the output size, else the smallest.
 */
function evenPadding(
  axes: readonly Axis[],
  outs: readonly OutputLength[],
  pool: boolean,
): number | null {
  const limit = Math.max(...axes.map((a) => a.w.stride));
  let first: number | null = null;
  for (let p = 0; p <= limit; p++) {
    const pads = { before: p, after: p };
    const current = axes.every((a) => a.pads.before === p && a.pads.after === p);
    const ok = axes.every(
      (a) =>
        typeof a.input !== 'number' ||
        (a.input + 2 * p >= a.effK &&
          droppedCount(a.input, a.w, pads) === 0 &&
          (!pool || p <= Math.floor(a.effK / 2))),
    );
    if (!ok || current) continue;
    const same = axes.every(
      (a, i) =>
        typeof a.input !== 'number' ||
        Math.floor((a.input + 2 * p - a.effK) / a.w.stride) + 1 === outs[i].value,
    );
    if (same) return p;
    first ??= p;
  }
  return first;
}

/** Per axis, the rows of zeros a `zeropad` input added after the data (0 for any other input). */
function trailingZeros(input: Node, rank: number): number[] {
  if (input.op !== 'zero_pad') return new Array<number>(rank).fill(0);
  const pads = (input.attrs as { readonly pads: readonly number[] }).pads;
  return Array.from({ length: rank }, (_, i) => pads[2 * i + 1] ?? 0);
}

/** `d` less `zeros` rows of a zeropad's padding, with the derivation saying so. */
function lessZeros(d: Derived<number>, zeros: number): Derived<number> {
  if (zeros === 0) return d;
  const value = Math.max(0, d.value - zeros);
  return {
    value,
    get derivation() {
      return `${d.derivation}, less ${zeros} of zeropad's padding = ${value}`;
    },
  };
}
