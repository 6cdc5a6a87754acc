/**
 * Shape rules of the convolutions: conv2d, conv1d, depthwise_conv2d, conv2d_transpose.
 * Inputs are channels last: [H, W, C] for 2-D ops, [L, C] for conv1d.
 */
import { diag } from '../diagnostics/diagnostic.js';
import type { Conv1dAttrs, Conv2dAttrs, DepthwiseConv2dAttrs } from '../ir/ops.js';
import { resolveTransposedPadding, transposedOutputLength } from './conv-math.js';
import { requireAtLeast } from './dim.js';
import type { Dim } from './dim.js';
import {
  axisNames,
  checkGroups,
  dimText,
  inputLabel,
  requireChannels,
  requireRank,
  shapeText,
} from './shape-rule-context.js';
import type { ShapeRule } from './shape-rule-context.js';
import { windowSpatial } from './shape-rules-window.js';
import type { WindowSpec } from './shape-rules-window.js';

function help2d(rank: number): string {
  return rank === 2
    ? 'use `conv1d` for a [length, channels] input, or `reshape` it to [height, width, channels]'
    : 'a 2-D convolution cannot follow `flatten` or `dense`; `reshape` to [height, width, channels] first';
}

function help1d(rank: number): string {
  return rank === 3
    ? 'use `conv` for a [height, width, channels] input, or `reshape` it to [length, channels]'
    : '`reshape` the input to [length, channels] first';
}

/** The window of a convolution: no ceil mode, padding unrestricted. */
function convWindow(a: Conv2dAttrs | Conv1dAttrs | DepthwiseConv2dAttrs): WindowSpec {
  const { kernel, stride, dilation, padding } = a;
  return { kernel, stride, dilation, padding, ceil: false, pool: false };
}

export const conv2dShape: ShapeRule<'conv2d'> = (a, ctx) => {
  const input = requireRank(ctx, 3, help2d(ctx.inputShapes[0].length));
  if (!input) return null;
  const cin = requireChannels(ctx, input);
  if (cin === null || !checkGroups(ctx, a.groups, cin, a.filters)) return null;
  const spatial = windowSpatial(convWindow(a), input.slice(0, 2), ctx);
  return spatial && [spatial[0], spatial[1], a.filters];
};

export const conv1dShape: ShapeRule<'conv1d'> = (a, ctx) => {
  const input = requireRank(ctx, 2, help1d(ctx.inputShapes[0].length));
  if (!input) return null;
  const cin = requireChannels(ctx, input);
  if (cin === null || !checkGroups(ctx, a.groups, cin, a.filters)) return null;
  const spatial = windowSpatial(convWindow(a), input.slice(0, 1), ctx);
  return spatial && [spatial[0], a.filters];
};

export const depthwiseShape: ShapeRule<'depthwise_conv2d'> = (a, ctx) => {
  const input = requireRank(ctx, 3, help2d(ctx.inputShapes[0].length));
  if (!input) return null;
  const cin = requireChannels(ctx, input);
  if (cin === null) return null;
  const spatial = windowSpatial(convWindow(a), input.slice(0, 2), ctx);
  return spatial && [spatial[0], spatial[1], cin * a.multiplier];
};

export const transposeShape: ShapeRule<'conv2d_transpose'> = (a, ctx) => {
  const input = requireRank(ctx, 3, help2d(ctx.inputShapes[0].length));
  if (!input) return null;
  const cin = requireChannels(ctx, input);
  if (cin === null || !checkGroups(ctx, a.groups, cin, a.filters)) return null;
  const env = ctx.env;
  const names = axisNames(2);
  const outs = [0, 1].map((i) => {
    const w = { kernel: a.kernel[i], stride: a.stride[i], dilation: a.dilation[i] };
    const pads = resolveTransposedPadding(a.padding, i, w);
    const out = transposedOutputLength(input[i], w, pads.value, a.outputPadding[i], env);
    return { value: out.value, out, pads };
  });
  const bad = outs.filter((o) => typeof o.value === 'number' && o.value < 1);
  if (bad.length > 0) {
    const outText = outs.map((o) => dimText(o.value, env)).join('x');
    const inText = shapeText(input.slice(0, 2), env);
    ctx.report(
      diag('CNN3002', `output size ${outText} is not positive`, {
        span: ctx.node.span,
        spanLabel: `produces ${outText}`,
        labels: [inputLabel(ctx.inputs[0], inText, false)],
        notes: [...new Set(bad.map((o) => `out = ${o.out.derivation}`))],
        help: 'reduce the padding',
      }),
    );
    return null;
  }
  outs.forEach((o, i) => {
    requireAtLeast(o.value, 1, env);
    const pad = a.padding.mode === 'explicit' || a.padding.mode === 'same';
    ctx.explain(() => `${names[i]}: ${pad ? `${o.pads.derivation}; ` : ''}${o.out.derivation}`);
  });
  const spatial: Dim[] = outs.map((o) => o.value);
  return [...spatial, a.filters];
};
