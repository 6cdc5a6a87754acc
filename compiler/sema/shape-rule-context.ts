/**
 * What a shape rule sees, and small helpers shared by the rule families (shape-rules-*.ts).
 */
import { diag } from '../diagnostics/diagnostic.js';
import type { Diagnostic, Label } from '../diagnostics/diagnostic.js';
import type { Node } from '../ir/graph.js';
import { OP_KINDS, type OpAttrMap, type OpKind } from '../ir/ops.js';
import { OPS } from './op-table.js';
import { formatDim, formatShape, gcd } from './dim.js';
import type { Dim, SymbolEnv } from './dim.js';

export interface RuleContext {
  readonly env: SymbolEnv;
  /** The node being analysed; its span is the primary span of every diagnostic. */
  readonly node: Node;
  /** Input nodes; their `.shape` is set and non-null. */
  readonly inputs: readonly Node[];
  readonly inputShapes: readonly (readonly Dim[])[];
  report(d: Diagnostic): void;
  /**
   * A derivation line for `cnnc summary --explain`, or a function that builds it: the analysis calls
   * it only when explanations were asked for.
   */
  explain(line: string | (() => string)): void;
}

/** Output shape of one op, or null (after reporting why) when it has none. */
export type ShapeRule<K extends OpKind> = (attrs: OpAttrMap[K], ctx: RuleContext) => Dim[] | null;

/** How messages name an op (op-table.ts's OPS). */
export const OP_LABELS: { readonly [K in OpKind]: string } = Object.fromEntries(
  OP_KINDS.map((k) => [k, OPS[k].label]),
) as { readonly [K in OpKind]: string };

/** Names of the spatial axes of a rank-(n + 1) shape, for explain lines and notes. */
export function axisNames(spatialRank: number): readonly string[] {
  return spatialRank === 1 ? ['length'] : ['height', 'width'];
}

/** One size as messages print it: `H/2`, `?`, or a number with a real minus sign (`−1`). */
export function dimText(d: Dim, env: SymbolEnv): string {
  return typeof d === 'number' && d < 0 ? `−${-d}` : formatDim(d, env);
}

/** `28x28x1`, or `?` when the shape is unknown. */
export function shapeText(shape: readonly Dim[] | null | undefined, env: SymbolEnv): string {
  return shape ? formatShape(shape, env) : '?';
}

/**
 * A secondary label on the node an input came from: "input is 5x5 here" on the model's input,
 * else "input shrinks to 5x5 here" (`shrinks`) or "28x28x64 comes from here".
 */
export function inputLabel(input: Node, what: string, shrinks: boolean): Label {
  if (input.op === 'input') return { span: input.span, message: `input is ${what} here` };
  // Padding and transposed convolutions make a map larger, never smaller.
  const grows =
    input.op === 'zero_pad' || input.op === 'conv2d_transpose' || input.op === 'upsample';
  const message = shrinks
    ? `input ${grows ? 'grows' : 'shrinks'} to ${what} here`
    : `${what} comes from here`;
  return { span: input.span, message };
}

/** `a and b`, `a, b and c`. */
export function joinAnd(parts: readonly string[]): string {
  if (parts.length <= 1) return parts.join('');
  return `${parts.slice(0, -1).join(', ')} and ${parts[parts.length - 1]}`;
}

export function plural(n: number, one: string, many = `${one}s`): string {
  return `${n} ${n === 1 ? one : many}`;
}

/** Divisors of n in increasing order. */
export function divisors(n: number): number[] {
  const small: number[] = [];
  const large: number[] = [];
  for (let d = 1; d * d <= n; d++) {
    if (n % d !== 0) continue;
    small.push(d);
    if (d * d !== n) large.unshift(n / d);
  }
  return [...small, ...large];
}

/** `[height, width, channels]` for a spatial rank. */
export function layoutText(spatialRank: number): string {
  return `[${[...axisNames(spatialRank), 'channels'].join(', ')}]`;
}

/**
 * The input shape when it has `rank` axes; otherwise reports CNN3009 ("conv1d needs a [length,
 * channels] input; got 28x28x1") with a label on the input and returns null.
 */
export function requireRank(ctx: RuleContext, rank: number, help: string): readonly Dim[] | null {
  const shape = ctx.inputShapes[0];
  if (shape.length === rank) return shape;
  const got = shapeText(shape, ctx.env);
  ctx.report(
    diag('CNN3009', `${OP_LABELS[ctx.node.op]} needs a ${layoutText(rank - 1)} input; got ${got}`, {
      span: ctx.node.span,
      spanLabel: `expects ${rank} axes, got ${shape.length}`,
      labels: [inputLabel(ctx.inputs[0], got, false)],
      help,
    }),
  );
  return null;
}

/** The channel count (last axis) when it is concrete; otherwise reports CNN3010 and returns null. */
export function requireChannels(ctx: RuleContext, shape: readonly Dim[]): number | null {
  const c = shape[shape.length - 1];
  if (typeof c === 'number') return c;
  const got = shapeText(shape, ctx.env);
  ctx.report(
    diag('CNN3010', `${OP_LABELS[ctx.node.op]} needs a known number of channels; got ${got}`, {
      span: ctx.node.span,
      spanLabel: 'channel count must be known statically',
      labels: [inputLabel(ctx.inputs[0], got, false)],
    }),
  );
  return null;
}

/** Checks that `groups` divides both channel counts (CNN3011). */
export function checkGroups(
  ctx: RuleContext,
  groups: number,
  inChannels: number,
  outChannels: number,
): boolean {
  if (inChannels % groups === 0 && outChannels % groups === 0) return true;
  const options = divisors(gcd(inChannels, outChannels)).slice(0, 6);
  ctx.report(
    diag(
      'CNN3011',
      `groups = ${groups} must divide the ${inChannels} input channels and the ${outChannels} ` +
        `output channels`,
      {
        span: ctx.node.span,
        spanLabel: `${groups} groups`,
        labels: [inputLabel(ctx.inputs[0], shapeText(ctx.inputShapes[0], ctx.env), false)],
        notes: [
          `${inChannels} mod ${groups} = ${inChannels % groups}, ` +
            `${outChannels} mod ${groups} = ${outChannels % groups}`,
        ],
        help: `use groups = ${options.join(', ')}`,
      },
    ),
  );
  return false;
}
