/**
 * Turns the attribute values collected from a layer statement into the typed IR attributes of its
 * op, applying defaults and checking types and ranges. Pure: problems go to `report`.
 */
import type { Span } from '../diagnostics/diagnostic.js';
import type { DiagnosticCode } from '../diagnostics/codes.js';
import type { ActivationFn, OpAttrMap, OpKind, Padding, UpsampleMode } from '../ir/ops.js';
import type { AttrDefault, OpSpec } from './op-table.js';
import { didYouMean } from './suggest.js';
import { yoloAttrs } from './yolo-attrs.js';
import { asInt, asInts, asNumber, describe, typeName, type Value } from './values.js';

export interface RawAttr {
  readonly value: Value;
  readonly span: Span;
}

export interface BuildContext {
  readonly spec: OpSpec;
  readonly attrs: ReadonlyMap<string, RawAttr>;
  /** Spatial rank of the input (2 for [H, W, C], 1 for [L, C]); used to broadcast `3` to `3x3`. */
  readonly rank: number;
  /** The statement span, for missing attributes. */
  readonly span: Span;
  report(code: DiagnosticCode, message: string, span: Span, help?: string): void;
}

/** The largest size (channels, kernel, stride, input extent…) accepted: 2³¹ − 1. */
export const MAX_SIZE = 2 ** 31 - 1;

type Built = { [K in OpKind]: { op: K; attrs: OpAttrMap[K] } }[OpKind];

export class Getter {
  ok = true;
  constructor(private readonly ctx: BuildContext) {}

  private fail(code: DiagnosticCode, message: string, span: Span, help?: string): null {
    this.ok = false;
    this.ctx.report(code, message, span, help);
    return null;
  }

  private wrongType(name: string, raw: RawAttr, expected: string, help?: string): null {
    return this.fail(
      'CNN2005',
      `\`${name}\` of ${this.ctx.spec.keyword} must be ${expected}; found ${typeName(raw.value)} (${describe(raw.value)})`,
      raw.span,
      help,
    );
  }

  /** The attribute's default from the op table (op-table.ts), where it has one. */
  private dflt<T extends AttrDefault>(name: string, type: string): T | undefined {
    const d = Object.hasOwn(this.ctx.spec.attrs, name)
      ? this.ctx.spec.attrs[name].default
      : undefined;
    return typeof d === type ? (d as T) : undefined;
  }

  count(name: string, def = this.dflt<number>(name, 'number')): number {
    const raw = this.ctx.attrs.get(name);
    if (!raw) return def ?? 1;
    const n = asInt(raw.value);
    if (n === null) return this.wrongType(name, raw, 'a positive integer') ?? 1;
    if (n <= 0) {
      this.fail(
        'CNN3002',
        `\`${name}\` of ${this.ctx.spec.keyword} must be positive; found ${n}`,
        raw.span,
      );
      return 1;
    }
    if (n > MAX_SIZE) return this.absurd(name, n, raw) ?? 1;
    return n;
  }

  /** Sizes past 2³¹ − 1 would make parameter and MAC counts inexact (and no framework takes them). */
  absurd(name: string, n: number, raw: RawAttr): null {
    return this.fail(
      'CNN2030',
      `\`${name}\` of ${this.ctx.spec.keyword} is ${n.toExponential(2)}, beyond any real network`,
      raw.span,
      `sizes are limited to ${MAX_SIZE.toLocaleString('en-US')}`,
    );
  }

  number(name: string): number {
    const def = this.dflt<number>(name, 'number') ?? 0;
    const raw = this.ctx.attrs.get(name);
    if (!raw) return def;
    const n = asNumber(raw.value);
    if (n === null) return this.wrongType(name, raw, 'a number') ?? def;
    return n;
  }

  bool(name: string): boolean {
    const def = this.dflt<boolean>(name, 'boolean') ?? false;
    const raw = this.ctx.attrs.get(name);
    if (!raw) return def;
    if (raw.value.kind !== 'bool') return this.wrongType(name, raw, '`true` or `false`') ?? def;
    return raw.value.value;
  }

  /** `3` → [3, 3] at rank 2; `3x1` or `(3, 1)` → [3, 1]. Entries must be positive. */
  spatial(
    name: string,
    def: number | readonly number[] = this.dflt<number>(name, 'number') ?? 1,
    rank = this.ctx.rank,
    min = 1,
  ): number[] {
    const raw = this.ctx.attrs.get(name);
    if (!raw) return typeof def === 'number' ? Array<number>(rank).fill(def) : [...def];
    const list = asInts(raw.value);
    const fallback = Array<number>(rank).fill(typeof def === 'number' ? def : 1);
    if (list === null) {
      return (
        this.wrongType(
          name,
          raw,
          `an integer or a ${rank === 2 ? '2-D size like 3x3' : 'length'}`,
        ) ?? fallback
      );
    }
    const values = list.length === 1 ? Array<number>(rank).fill(list[0]) : list;
    if (values.length !== rank) {
      this.fail(
        'CNN3009',
        `\`${name}\` of ${this.ctx.spec.keyword} has ${values.length} entries but the input has ${rank} spatial ${rank === 1 ? 'axis' : 'axes'}`,
        raw.span,
        rank === 1
          ? `write a single number, e.g. \`${values[0]}\``
          : `write \`${values[0]}x${values[0]}\``,
      );
      return fallback;
    }
    const huge = values.find((v) => v > MAX_SIZE);
    if (huge !== undefined) return this.absurd(name, huge, raw) ?? fallback;
    const bad = values.find((v) => v < min);
    if (bad !== undefined) {
      this.fail(
        'CNN3002',
        `\`${name}\` of ${this.ctx.spec.keyword} must be ${min === 0 ? 'non-negative' : 'positive'}; found ${describe(raw.value)}`,
        raw.span,
      );
      return fallback;
    }
    return values;
  }

  /** Explicit pads per side: 2-D [top, bottom, left, right], 1-D [left, right]. */
  pads(name: string, rank = this.ctx.rank): number[] | null {
    const raw = this.ctx.attrs.get(name);
    if (!raw) return null;
    const list = asInts(raw.value);
    if (list === null) {
      return this.wrongType(name, raw, 'an integer, (h, w) or (top, bottom, left, right)');
    }
    const huge = list.find((v) => v > MAX_SIZE);
    if (huge !== undefined) return this.absurd(name, huge, raw);
    if (list.some((v) => v < 0)) {
      return this.fail(
        'CNN3002',
        `padding must be non-negative; found ${describe(raw.value)}`,
        raw.span,
      );
    }
    if (list.length === 1) return Array<number>(rank * 2).fill(list[0]);
    if (rank === 2 && list.length === 2) return [list[0], list[0], list[1], list[1]];
    if (list.length === rank * 2) return list;
    return this.fail(
      'CNN3009',
      `padding ${describe(raw.value)} has ${list.length} entries; a ${rank}-D input takes 1, ${rank === 2 ? '2 (h, w) or 4 (top, bottom, left, right)' : '2 (left, right)'}`,
      raw.span,
    );
  }

  padding(name: string): Padding {
    const raw = this.ctx.attrs.get(name);
    const def = this.dflt<string>(name, 'string');
    if (!raw) return { mode: def === 'same' || def === 'full' ? def : 'valid' };
    const v = raw.value;
    const word = v.kind === 'word' || v.kind === 'string' ? v.value : null;
    if (word === 'same' || word === 'valid' || word === 'full') return { mode: word };
    if (word !== null) {
      return (
        this.wrongType(name, raw, '`same`, `valid`, `full` or explicit pads') ?? { mode: 'valid' }
      );
    }
    const pads = this.pads(name);
    return pads ? { mode: 'explicit', pads } : { mode: 'valid' };
  }

  shape(name: string): (number | string | null)[] {
    const raw = this.ctx.attrs.get(name);
    if (!raw) return [];
    const list: (number | string | null)[] | null =
      raw.value.kind === 'dims' ? [...raw.value.parts] : asInts(raw.value);
    if (list === null) return this.wrongType(name, raw, 'a shape like 28x28x1') ?? [];
    const huge = list.find((v): v is number => typeof v === 'number' && v > MAX_SIZE);
    if (huge !== undefined) return this.absurd(name, huge, raw) ?? [];
    return list;
  }
}

/** Builds the IR attributes; null when an attribute was invalid (already reported). */
export function buildAttrs(ctx: BuildContext): Built | null {
  const g = new Getter(ctx);
  const { spec } = ctx;
  for (const req of spec.required) {
    if (!ctx.attrs.has(req)) {
      const example = spec.doc.match(/`([^`]+)`/)?.[1];
      ctx.report(
        'CNN2003',
        `${spec.keyword} needs \`${req}\` (${spec.attrs[req]?.doc ?? req})`,
        ctx.span,
        example ? `for example \`${example}\`` : undefined,
      );
      return null;
    }
  }
  const built = buildFor(spec, g, ctx);
  return g.ok ? built : null;
}

function buildFor(spec: OpSpec, g: Getter, ctx: BuildContext): Built {
  const op = spec.op;
  switch (op) {
    case 'input':
      return { op, attrs: { shape: g.shape('shape') } };
    case 'conv2d':
    case 'conv1d': {
      const rank = op === 'conv2d' ? 2 : 1;
      const common = {
        filters: g.count('filters'),
        kernel: g.spatial('kernel', undefined, rank),
        stride: g.spatial('stride', undefined, rank),
        dilation: g.spatial('dilation', undefined, rank),
        padding: paddingAt(g, rank),
        groups: g.count('groups'),
        bias: g.bool('bias'),
      };
      return op === 'conv2d'
        ? { op, attrs: common as unknown as OpAttrMap['conv2d'] }
        : { op, attrs: common as unknown as OpAttrMap['conv1d'] };
    }
    case 'depthwise_conv2d':
      return {
        op,
        attrs: {
          multiplier: g.count('multiplier'),
          kernel: g.spatial('kernel', undefined, 2) as [number, number],
          stride: g.spatial('stride', undefined, 2) as [number, number],
          dilation: g.spatial('dilation', undefined, 2) as [number, number],
          padding: paddingAt(g, 2),
          bias: g.bool('bias'),
        },
      };
    case 'conv2d_transpose': {
      const attrs = {
        filters: g.count('filters'),
        kernel: g.spatial('kernel', undefined, 2) as [number, number],
        stride: g.spatial('stride', undefined, 2) as [number, number],
        dilation: g.spatial('dilation', undefined, 2) as [number, number],
        padding: paddingAt(g, 2),
        outputPadding: g.spatial('outpad', undefined, 2, 0) as [number, number],
        groups: g.count('groups'),
        bias: g.bool('bias'),
      };
      // PyTorch: output padding must be smaller than either the stride or the dilation.
      const bad = attrs.outputPadding.findIndex(
        (p, i) => p >= Math.max(attrs.stride[i], attrs.dilation[i]),
      );
      if (bad >= 0) {
        const limit = Math.max(attrs.stride[bad], attrs.dilation[bad]);
        rangeCheck(
          ctx,
          g,
          'outpad',
          attrs.outputPadding[bad],
          false,
          `must be smaller than the stride or dilation (${limit})`,
        );
      }
      return { op, attrs };
    }
    case 'max_pool':
    case 'avg_pool': {
      const kernel = g.spatial('kernel');
      return {
        op,
        attrs: {
          kernel,
          // The default stride is the window (op-table.ts says so without a value).
          stride: g.spatial('stride', kernel),
          padding: g.padding('padding'),
          ceil: g.bool('ceil'),
          // max_pool has no such attribute: true, as PyTorch's default, is never read there.
          countIncludePad: op === 'avg_pool' ? g.bool('count_include_pad') : true,
        },
      };
    }
    case 'global_avg_pool':
    case 'global_max_pool':
      return { op, attrs: { keepDims: g.bool('keepdims') } };
    case 'adaptive_avg_pool':
    case 'adaptive_max_pool':
      return { op, attrs: { output: g.spatial('output') } };
    case 'dense':
      return { op, attrs: { units: g.count('units'), bias: g.bool('bias') } };
    case 'flatten':
    case 'add':
    case 'multiply':
    case 'highway':
      return { op, attrs: {} };
    case 'concat':
      return { op, attrs: { axis: -1 } };
    case 'reshape': {
      const shape = g.shape('shape');
      const nums = shape.filter((d): d is number => typeof d === 'number');
      if (nums.length !== shape.length) g.ok = false;
      return { op, attrs: { shape: nums } };
    }
    case 'zero_pad':
      return { op, attrs: { pads: g.pads('pads') ?? [] } };
    case 'upsample':
      return { op, attrs: upsampleAttrs(g, ctx) };
    case 'dropout': {
      const rate = g.number('rate');
      const raw = ctx.attrs.get('rate');
      if (raw && !(rate >= 0 && rate < 1)) {
        ctx.report(
          'CNN2030',
          `dropout rate must be in [0, 1); found ${rate}`,
          raw.span,
          rate >= 1 && rate < 100
            ? `a rate of ${rate}% is written \`dropout ${rate / 100}\``
            : 'use a rate such as 0.5',
        );
        g.ok = false;
      }
      return { op, attrs: { rate } };
    }
    case 'batch_norm': {
      const epsilon = g.number('eps');
      const momentum = g.number('momentum');
      rangeCheck(ctx, g, 'eps', epsilon, epsilon > 0, 'must be positive');
      rangeCheck(ctx, g, 'momentum', momentum, momentum >= 0 && momentum <= 1, 'must be in [0, 1]');
      return { op, attrs: { epsilon, momentum, affine: g.bool('affine') } };
    }
    case 'lrn':
      return {
        op,
        attrs: {
          size: g.count('size'),
          alpha: g.number('alpha'),
          beta: g.number('beta'),
          k: g.number('k'),
        },
      };
    case 'yolo':
      return yoloAttrs(g, ctx);
    case 'activation': {
      const fn = spec.activation as ActivationFn;
      // leakyrelu and elu take an alpha, with its default in the op table.
      if (!Object.hasOwn(spec.attrs, 'alpha')) return { op, attrs: { fn } };
      const alpha = g.number('alpha');
      rangeCheck(ctx, g, 'alpha', alpha, alpha >= 0, 'must be non-negative');
      return { op, attrs: { fn, alpha } };
    }
  }
}

/** `upsample 2`, `upsample 2x3 bilinear`, `upsample to 28x28`: exactly one of scale and size. */
function upsampleAttrs(g: Getter, ctx: BuildContext): OpAttrMap['upsample'] {
  const rawMode = ctx.attrs.get('mode');
  const modeWord =
    rawMode?.value.kind === 'word' || rawMode?.value.kind === 'string' ? rawMode.value.value : null;
  let mode = (ctx.spec.attrs.mode?.default ?? 'nearest') as UpsampleMode;
  if (rawMode) {
    if (modeWord === 'nearest' || modeWord === 'bilinear') mode = modeWord;
    else {
      g.ok = false;
      const s = modeWord !== null ? didYouMean(modeWord, ['nearest', 'bilinear']) : undefined;
      ctx.report(
        'CNN3031',
        `upsample mode must be \`nearest\` or \`bilinear\`; found ${describe(rawMode.value)}`,
        rawMode.span,
        s ? `did you mean \`${s}\`?` : 'write `upsample 2 nearest` or `upsample 2 bilinear`',
      );
    }
  }
  const hasScale = ctx.attrs.has('scale');
  const hasSize = ctx.attrs.has('size');
  if (hasScale === hasSize) {
    g.ok = false;
    ctx.report(
      'CNN3030',
      hasScale
        ? 'upsample takes a scale or a target size, not both'
        : 'upsample needs a scale (`upsample 2`) or a target size (`upsample to 28x28`)',
      hasScale ? (ctx.attrs.get('size')?.span ?? ctx.span) : ctx.span,
      hasScale ? 'remove one of them' : 'for example `upsample 2` or `upsample to 56x56 bilinear`',
    );
    return { mode };
  }
  if (hasScale) return { mode, scale: g.spatial('scale', 1, 2) as [number, number] };
  return { mode, size: g.spatial('size', 1, 2) as [number, number] };
}

function paddingAt(g: Getter, rank: number): Padding {
  const p = g.padding('padding');
  if (p.mode !== 'explicit') return p;
  // Getter.pads used the input rank; redo at the op's fixed rank (conv1d on any input is 1-D).
  return p.pads.length === rank * 2 ? p : { mode: 'explicit', pads: g.pads('padding', rank) ?? [] };
}

function rangeCheck(
  ctx: BuildContext,
  g: Getter,
  name: string,
  value: number,
  ok: boolean,
  what: string,
): void {
  if (ok) return;
  const raw = ctx.attrs.get(name);
  if (!raw) return;
  ctx.report('CNN2030', `\`${name}\` of ${ctx.spec.keyword} ${what}; found ${value}`, raw.span);
  g.ok = false;
}
