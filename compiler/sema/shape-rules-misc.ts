/**
 * Shape rules of the ops without windows: input, dense, flatten, reshape, zero_pad, upsample and the ops that
 * keep their input's shape (dropout, batch_norm, lrn, activation).
 */
import { diag } from '../diagnostics/diagnostic.js';
import { formatNumber } from './conv-math.js';
import { addConst, formatDim, mulConst, product, sym } from './dim.js';
import type { Dim } from './dim.js';
import {
  dimText,
  inputLabel,
  layoutText,
  requireChannels,
  requireRank,
  shapeText,
} from './shape-rule-context.js';
import type { RuleContext, ShapeRule } from './shape-rule-context.js';

const INPUT_ROLES: readonly (readonly string[])[] = [
  [],
  ['input size'],
  ['input length', 'input channels'],
  ['input height', 'input width', 'input channels'],
];

export const inputShape: ShapeRule<'input'> = (a, ctx) => {
  const rank = a.shape.length;
  const written = a.shape.map((d) => (d === null ? '?' : String(d))).join('x');
  const invalid = (message: string, help: string) => {
    ctx.report(diag('CNN3013', message, { span: ctx.node.span, spanLabel: written, help }));
    return null;
  };
  if (rank < 1 || rank > 3) {
    return invalid(
      `an input has 1 to 3 axes ([size], [length, channels] or [height, width, channels]); ` +
        `got ${rank}`,
      'write the per-sample shape, channels last, without the batch axis: `input 224x224x3`',
    );
  }
  const last = a.shape[rank - 1];
  if (typeof last !== 'number') {
    return invalid(
      `the channel count of an input must be a number; got ${last ?? '?'} in ${written}`,
      'only the spatial sizes may be symbolic, e.g. `input HxWx3`',
    );
  }
  const bad = a.shape.find((d) => typeof d === 'number' && (!Number.isInteger(d) || d < 1));
  if (bad !== undefined) {
    return invalid(
      `input sizes must be positive integers; got ${formatNumber(Number(bad))} in ${written}`,
      'write each size as a positive integer, a capital letter (`H`) or `?`',
    );
  }
  const roles = INPUT_ROLES[rank];
  const shape = a.shape.map((d, i): Dim => {
    if (typeof d === 'number') return d;
    const name = d ?? `?${ctx.node.id}.${i}`;
    ctx.env.declare(name, d ?? '?', roles[i]);
    return sym(name);
  });
  ctx.explain(() => `input ${shapeText(shape, ctx.env)}`);
  return shape;
};

export const denseShape: ShapeRule<'dense'> = (a, ctx) => {
  const input = ctx.inputShapes[0];
  const got = shapeText(input, ctx.env);
  if (input.length !== 1) {
    const count = product(input);
    const flat =
      count === null
        ? 'insert `gap` (global average pooling); `flatten` would need a fixed input size'
        : `insert \`flatten\` (${input.join('·')} = ${count} inputs) or \`gap\``;
    ctx.report(
      diag('CNN3006', `dense needs a flat input; got ${got}`, {
        span: ctx.node.span,
        spanLabel: 'needs a [size] input',
        labels: [inputLabel(ctx.inputs[0], got, false)],
        help: flat,
      }),
    );
    return null;
  }
  if (typeof input[0] !== 'number') {
    ctx.report(
      diag('CNN3010', `dense needs an input size known statically; got ${got}`, {
        span: ctx.node.span,
        spanLabel: 'the weight matrix needs a fixed size',
        labels: [inputLabel(ctx.inputs[0], got, false)],
        help: 'use `gap` instead of `flatten` so the size does not depend on the input size, or give the input a fixed size',
      }),
    );
    return null;
  }
  ctx.explain(() => `${input[0]} inputs → ${a.units} units`);
  return [a.units];
};

export const flattenShape: ShapeRule<'flatten'> = (_a, ctx) => {
  const input = ctx.inputShapes[0];
  const count = product(input);
  if (input.length === 1) return [input[0]];
  ctx.explain(() => {
    const factors = input.map((d) => formatDim(d, ctx.env)).join('·');
    return count === null ? `${factors}: not known statically` : `${factors} = ${count}`;
  });
  return [count];
};

export const reshapeShape: ShapeRule<'reshape'> = (a, ctx) => {
  const input = ctx.inputShapes[0];
  const got = shapeText(input, ctx.env);
  const count = product(input);
  const target = a.shape.map(formatNumber).join('x');
  const fail = (code: 'CNN3002' | 'CNN3010' | 'CNN3014', message: string, help?: string) => {
    const labels = [inputLabel(ctx.inputs[0], got, false)];
    ctx.report(
      diag(code, message, { span: ctx.node.span, spanLabel: `to ${target}`, labels, help }),
    );
    return null;
  };
  if (count === null) {
    return fail('CNN3010', `reshape needs a known element count; got ${got}`);
  }
  const inferred = a.shape.filter((d) => d === -1).length;
  if (inferred > 1) {
    return fail('CNN3014', `reshape can infer at most one axis; ${target} has ${inferred}`);
  }
  if (a.shape.some((d) => d !== -1 && d < 1)) {
    return fail('CNN3002', `reshape to ${target} has a non-positive size`);
  }
  const known = a.shape.reduce((p, d) => (d === -1 ? p : p * d), 1);
  if (inferred === 1) {
    if (count % known !== 0) {
      return fail(
        'CNN3014',
        `cannot reshape ${input.length === 1 ? got : `${got} (${count} elements)`} to ${target}: ` +
          `${count} is not a multiple of ${known}`,
      );
    }
    ctx.explain(() => `${count} / ${known} = ${count / known} for the −1 axis`);
    return a.shape.map((d) => (d === -1 ? count / known : d));
  }
  if (known !== count) {
    return fail(
      'CNN3014',
      `reshape to ${target} needs ${known} elements; its ${got} input has ${count}`,
      `the target sizes must multiply to ${count}`,
    );
  }
  return [...a.shape];
};

export const zeroPadShape: ShapeRule<'zero_pad'> = (a, ctx) => {
  const input = ctx.inputShapes[0];
  const spatialRank = a.pads.length / 2;
  const got = shapeText(input, ctx.env);
  if (input.length !== spatialRank + 1 || (spatialRank !== 1 && spatialRank !== 2)) {
    const expected = spatialRank === 1 || spatialRank === 2 ? layoutText(spatialRank) : 'a spatial';
    ctx.report(
      diag(
        'CNN3009',
        `zero padding with ${a.pads.length} pads needs a ${expected} input; got ${got}`,
        {
          span: ctx.node.span,
          spanLabel: `${a.pads.length} pads`,
          labels: [inputLabel(ctx.inputs[0], got, false)],
          help: 'give two pads per spatial axis: [top, bottom, left, right] or [left, right]',
        },
      ),
    );
    return null;
  }
  const spatial = input.slice(0, -1).map((d, i) => addConst(d, a.pads[2 * i] + a.pads[2 * i + 1]));
  if (spatial.some((d) => typeof d === 'number' && d < 1)) {
    const out = spatial.map((d) => dimText(d, ctx.env)).join('x');
    ctx.report(
      diag('CNN3002', `output size ${out} is not positive`, {
        span: ctx.node.span,
        spanLabel: `produces ${out}`,
        labels: [inputLabel(ctx.inputs[0], got, false)],
      }),
    );
    return null;
  }
  return [...spatial, input[input.length - 1]];
};

/** upsample: [H, W, C] → [H·f, W·g, C] for a factor, or [h, w, C] for a target size. */
export const upsampleShape: ShapeRule<'upsample'> = (a, ctx) => {
  const input = requireRank(ctx, 3, 'upsample reads an image [height, width, channels]');
  if (input === null) return null;
  const spatial = input
    .slice(0, 2)
    .map((d, i) => (a.size ? a.size[i] : mulConst(d, a.scale?.[i] ?? 1)));
  ctx.explain(() =>
    a.size
      ? `upsample to ${a.size.join('x')} (${a.mode})`
      : `${spatial.map((d, i) => `${dimText(input[i], ctx.env)}·${a.scale?.[i] ?? 1} = ${dimText(d, ctx.env)}`).join(', ')} (${a.mode})`,
  );
  return [...spatial, input[2]];
};

/** dropout and activation: the output has the input's shape. */
export function sameShape(_a: unknown, ctx: RuleContext): Dim[] {
  return [...ctx.inputShapes[0]];
}

/** batch_norm and lrn: the output has the input's shape; the channel count must be known. */
export function normShape(_a: unknown, ctx: RuleContext): Dim[] | null {
  const input = ctx.inputShapes[0];
  return requireChannels(ctx, input) === null ? null : [...input];
}
