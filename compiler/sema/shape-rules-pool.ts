/**
 * Shape rules of the pools: windowed (max/avg), global and adaptive. They work on [L, C] and [H, W, C]
 * inputs; the window has one entry per spatial axis.
 */
import { diag } from '../diagnostics/diagnostic.js';
import type { AdaptivePoolAttrs, GlobalPoolAttrs, PoolAttrs } from '../ir/ops.js';
import type { Dim } from './dim.js';
import {
  OP_LABELS,
  axisNames,
  inputLabel,
  layoutText,
  requireChannels,
  shapeText,
} from './shape-rule-context.js';
import type { RuleContext } from './shape-rule-context.js';
import { windowSpatial } from './shape-rules-window.js';

/**
 * The input shape when it is [L, C] or [H, W, C] and, if `spatialRank` is given, has that many spatial
 * axes; otherwise reports CNN3009 and returns null.
 */
function requireSpatial(ctx: RuleContext, spatialRank: number | null): readonly Dim[] | null {
  const shape = ctx.inputShapes[0];
  const rank = shape.length;
  const fits = spatialRank === null ? rank === 2 || rank === 3 : rank === spatialRank + 1;
  if (fits) return shape;
  const got = shapeText(shape, ctx.env);
  const label = OP_LABELS[ctx.node.op];
  const expected =
    spatialRank === null ? `${layoutText(1)} or ${layoutText(2)}` : `${layoutText(spatialRank)}`;
  const help =
    rank < 2
      ? `pooling needs spatial axes; \`reshape\` the input first, or drop the ${label}`
      : `give the ${label} ${rank - 1} window ${rank === 2 ? 'size' : 'sizes'} to match the input`;
  ctx.report(
    diag('CNN3009', `${label} needs a ${expected} input; got ${got}`, {
      span: ctx.node.span,
      spanLabel: spatialRank === null ? 'needs spatial axes' : `a ${spatialRank}-D window`,
      labels: [inputLabel(ctx.inputs[0], got, false)],
      help,
    }),
  );
  return null;
}

const ONES_1D = [1] as const;
const ONES_2D = [1, 1] as const;

export function poolShape(a: PoolAttrs, ctx: RuleContext): Dim[] | null {
  const input = requireSpatial(ctx, a.kernel.length);
  if (!input) return null;
  const c = requireChannels(ctx, input);
  if (c === null) return null;
  const spec = {
    kernel: a.kernel,
    stride: a.stride,
    dilation: a.kernel.length === 2 ? ONES_2D : ONES_1D,
    padding: a.padding,
    ceil: a.ceil,
    pool: true,
  };
  const spatial = windowSpatial(spec, input.slice(0, -1), ctx);
  return spatial && [...spatial, c];
}

export function globalPoolShape(a: GlobalPoolAttrs, ctx: RuleContext): Dim[] | null {
  const input = requireSpatial(ctx, null);
  if (!input) return null;
  const c = requireChannels(ctx, input);
  if (c === null) return null;
  const spatial = input.slice(0, -1);
  ctx.explain(() => `${shapeText(spatial, ctx.env)} positions pooled into one`);
  return a.keepDims ? [...spatial.map(() => 1), c] : [c];
}

export function adaptivePoolShape(a: AdaptivePoolAttrs, ctx: RuleContext): Dim[] | null {
  const input = requireSpatial(ctx, a.output.length);
  if (!input) return null;
  const c = requireChannels(ctx, input);
  if (c === null) return null;
  if (a.output.some((o) => o < 1)) {
    const out = a.output.join('x');
    ctx.report(
      diag('CNN3002', `output size ${out} is not positive`, {
        span: ctx.node.span,
        spanLabel: `produces ${out}`,
      }),
    );
    return null;
  }
  const names = axisNames(a.output.length);
  a.output.forEach((o, i) => ctx.explain(() => `${names[i]}: adaptive to ${o}`));
  return [...a.output, c];
}
