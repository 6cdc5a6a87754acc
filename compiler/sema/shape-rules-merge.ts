/**
 * Shape rules of the merges: add and multiply need every input to broadcast to one of them (aligned
 * at the channels, each axis equal or 1: a [C] or [1, 1, C] gate times an [H, W, C] map); concat
 * needs every axis but the last (channels) equal and sums the channels; highway needs H(x) shaped
 * as x and the gate broadcasting to it.
 */
import { diag } from '../diagnostics/diagnostic.js';
import type { DiagnosticCode } from '../diagnostics/codes.js';
import { dimEquals, isSym } from './dim.js';
import type { Dim } from './dim.js';
import { inputLabel, shapeText } from './shape-rule-context.js';
import type { RuleContext, ShapeRule } from './shape-rule-context.js';

type Comparison = 'equal' | 'different' | 'unknown';

/** Equal, provably different (two numbers, or c·S + a vs c·S + b), or not provable either way. */
function compareDims(a: Dim, b: Dim): Comparison {
  if (dimEquals(a, b)) return 'equal';
  if (typeof a === 'number' && typeof b === 'number') return 'different';
  if (isSym(a) && isSym(b) && a.sym === b.sym && a.num === b.num && a.den === b.den) {
    return 'different';
  }
  return 'unknown';
}

/** Compares every axis, or every axis but the last. */
function compareShapes(a: readonly Dim[], b: readonly Dim[], skipLast: boolean): Comparison {
  if (a.length !== b.length) return 'different';
  let result: Comparison = 'equal';
  const n = skipLast ? a.length - 1 : a.length;
  for (let i = 0; i < n; i++) {
    const c = compareDims(a[i], b[i]);
    if (c === 'different') return 'different';
    if (c === 'unknown') result = 'unknown';
  }
  return result;
}

/** The first input that differs from the first one (provably, else unprovably), or null. */
function findMismatch(
  shapes: readonly (readonly Dim[])[],
  skipLast: boolean,
): { index: number; comparison: Comparison } | null {
  let unknown = -1;
  for (let j = 1; j < shapes.length; j++) {
    const c = compareShapes(shapes[0], shapes[j], skipLast);
    if (c === 'different') return { index: j, comparison: c };
    if (c === 'unknown' && unknown < 0) unknown = j;
  }
  return unknown < 0 ? null : { index: unknown, comparison: 'unknown' };
}

function reportMismatch(
  ctx: RuleContext,
  code: DiagnosticCode,
  message: string,
  spanLabel: string,
  help: string,
) {
  const labels = ctx.inputs.map((input, i) =>
    inputLabel(input, shapeText(ctx.inputShapes[i], ctx.env), false),
  );
  ctx.report(diag(code, message, { span: ctx.node.span, spanLabel, labels, help }));
}

/** For two concrete [H, W, C] shapes: the 1x1 projection that maps the larger onto the smaller. */
function projectionHelp(a: readonly Dim[], b: readonly Dim[], text: (s: readonly Dim[]) => string) {
  const generic = 'make every branch produce the same shape';
  if (a.length !== 3 || b.length !== 3 || !a.every(isNumber) || !b.every(isNumber)) return generic;
  const [big, small] = a[0] > b[0] || (a[0] === b[0] && a[2] < b[2]) ? [a, b] : [b, a];
  const sh = big[0] / small[0];
  const sw = big[1] / small[1];
  if (!Number.isInteger(sh) || sh !== sw) return generic;
  const stride = sh === 1 ? '' : ` /${sh}`;
  return `add a projection shortcut \`conv ${small[2]} 1x1${stride}\` so both are ${text(small)}`;
}

function isNumber(d: Dim): d is number {
  return typeof d === 'number';
}

/** Can `small` broadcast to `big`: right-aligned, each of its axes equal to big's or 1? */
function broadcastTo(small: readonly Dim[], big: readonly Dim[]): Comparison {
  if (small.length > big.length) return 'different';
  const off = big.length - small.length;
  let result: Comparison = 'equal';
  for (let i = 0; i < small.length; i++) {
    if (small[i] === 1) continue;
    const c = compareDims(small[i], big[off + i]);
    if (c === 'different') return c;
    if (c === 'unknown') result = 'unknown';
  }
  return result;
}

/** The input every input broadcasts to (provably, else unprovably), or null. */
function broadcastTarget(
  shapes: readonly (readonly Dim[])[],
): { index: number; comparison: Comparison } | null {
  let unknown = -1;
  for (let j = 0; j < shapes.length; j++) {
    let r: Comparison = 'equal';
    for (const s of shapes) {
      const c = broadcastTo(s, shapes[j]);
      if (c === 'different') {
        r = c;
        break;
      }
      if (c === 'unknown') r = c;
    }
    if (r === 'equal') return { index: j, comparison: r };
    if (r === 'unknown' && unknown < 0) unknown = j;
  }
  return unknown < 0 ? null : { index: unknown, comparison: 'unknown' };
}

function elementwise(verb: 'add' | 'multiply', ctx: RuleContext): Dim[] | null {
  const shapes = ctx.inputShapes;
  const text = (s: readonly Dim[]) => shapeText(s, ctx.env);
  const target = broadcastTarget(shapes);
  if (target?.comparison === 'equal') {
    const out = shapes[target.index];
    if (shapes.some((s) => !compareShapesEqual(s, out))) {
      ctx.explain(
        () =>
          `broadcast ${shapes.map(text).join(' and ')} to ${text(out)} (aligned at the channels)`,
      );
    }
    return [...out];
  }
  const mismatch = findMismatch(shapes, false);
  const a = shapes[target?.index ?? 0];
  const b = shapes[mismatch?.index ?? 1] ?? shapes[0];
  if (target === null) {
    reportMismatch(
      ctx,
      'CNN3004',
      `cannot ${verb} ${text(a)} and ${text(b)}`,
      'inputs must have the same shape, or broadcast to one of them',
      projectionHelp(a, b, text),
    );
  } else {
    reportMismatch(
      ctx,
      'CNN3012',
      `cannot prove that ${text(a)} and ${text(b)} are equal for every input size`,
      'inputs must have the same shape',
      'give the input a fixed size, or make every branch resize its input the same way',
    );
  }
  return null;
}

function compareShapesEqual(a: readonly Dim[], b: readonly Dim[]): boolean {
  return compareShapes(a, b, false) === 'equal';
}

/** highway: inputs [x, H(x), T(x)]; H(x) keeps x's shape, T(x) broadcasts to it. */
export const highwayShape: ShapeRule<'highway'> = (_a, ctx) => {
  const [x, h, t] = ctx.inputShapes;
  const text = (s: readonly Dim[]) => shapeText(s, ctx.env);
  const labels = (i: number) => [
    inputLabel(ctx.inputs[0], text(x), false),
    inputLabel(ctx.inputs[i], text(ctx.inputShapes[i]), false),
  ];
  if (compareShapes(h, x, false) !== 'equal') {
    ctx.report(
      diag('CNN3020', `the highway's transform makes ${text(h)} from ${text(x)}`, {
        span: ctx.node.span,
        spanLabel: 'out = T·H(x) + (1 − T)·x needs H(x) shaped as x',
        labels: labels(1),
        help: 'keep the shape in the transform (`same` padding, stride 1, as many channels as x)',
      }),
    );
    return null;
  }
  if (broadcastTo(t, x) !== 'equal') {
    ctx.report(
      diag('CNN3021', `the highway's gate is ${text(t)}, which does not broadcast to ${text(x)}`, {
        span: ctx.node.span,
        spanLabel: 'the gate T must be shaped as x, or broadcast to it ([C], [1, 1, C])',
        labels: labels(2),
        help: `end the gate with as many channels as x and a sigmoid`,
      }),
    );
    return null;
  }
  ctx.explain(() => `out = T·H(x) + (1 − T)·x: ${text(x)}`);
  return [...x];
};

export const addShape: ShapeRule<'add'> = (_a, ctx) => elementwise('add', ctx);

export const multiplyShape: ShapeRule<'multiply'> = (_a, ctx) => elementwise('multiply', ctx);

export const concatShape: ShapeRule<'concat'> = (_a, ctx) => {
  const shapes = ctx.inputShapes;
  const mismatch = findMismatch(shapes, true);
  const text = (s: readonly Dim[]) => shapeText(s, ctx.env);
  if (mismatch !== null) {
    const a = shapes[0];
    const b = shapes[mismatch.index];
    if (mismatch.comparison === 'different') {
      const help =
        a.length !== b.length
          ? 'concatenate inputs of the same rank'
          : 'resize the branches to the same spatial size (same strides and padding)';
      reportMismatch(
        ctx,
        'CNN3005',
        `cannot concat ${text(a)} and ${text(b)}: all axes but the channels must match`,
        'concatenates along the channels',
        help,
      );
    } else {
      reportMismatch(
        ctx,
        'CNN3012',
        `cannot prove that ${text(a)} and ${text(b)} match except in their channels`,
        'concatenates along the channels',
        'give the input a fixed size, or make every branch resize its input the same way',
      );
    }
    return null;
  }
  const channels = shapes.map((s) => s[s.length - 1]);
  const total = channels.every(isNumber) ? channels.reduce((p, c) => p + c, 0) : null;
  ctx.explain(
    () => `channels: ${channels.map((c) => shapeText([c], ctx.env)).join(' + ')} = ${total ?? '?'}`,
  );
  return [...shapes[0].slice(0, -1), total];
};
