import { describe, expect, it } from 'vitest';
import {
  convOutputLength,
  droppedRows,
  effectiveKernel,
  formatNumber,
  nextEvenInput,
  resolvePadding,
  resolveTransposedPadding,
  transposedOutputLength,
} from '../../../compiler/sema/conv-math.js';
import type { Padding } from '../../../compiler/ir/ops.js';
import { SymbolEnv, sym } from '../../../compiler/sema/dim.js';
import type { Dim } from '../../../compiler/sema/dim.js';

const win = (kernel: number, stride = 1, dilation = 1) => ({ kernel, stride, dilation });
const pads = (before: number, after = before) => ({ before, after });

describe('effectiveKernel', () => {
  it.each([
    [3, 1, 3],
    [3, 2, 5],
    [3, 4, 9],
    [1, 7, 1],
  ])('k=%i d=%i → %i', (k, d, expected) => {
    expect(effectiveKernel(k, d)).toBe(expected);
  });
});

describe('convOutputLength (floor mode)', () => {
  const cases: readonly (readonly [string, number, number, number, number, number, number])[] = [
    // title, in, k, s, d, pad, out
    ['5x5 with 3x3 stride 1', 5, 3, 1, 1, 0, 3],
    ['5x5 with 3x3 stride 2', 5, 3, 2, 1, 0, 2],
    ['5x5 with 3x3 stride 3', 5, 3, 3, 1, 0, 1],
    ['AlexNet torchvision 224, 11x11 /4 pad 2', 224, 11, 4, 1, 2, 55],
    ['AlexNet original 227, 11x11 /4', 227, 11, 4, 1, 0, 55],
    ['AlexNet original at 224, 11x11 /4', 224, 11, 4, 1, 0, 54],
    ['ResNet stem 224, 7x7 /2 pad 3', 224, 7, 2, 1, 3, 112],
    ['dilation 2 keeps 32 with pad 2', 32, 3, 1, 2, 2, 32],
    ['dilation 4 without padding', 32, 3, 1, 4, 0, 24],
    ['kernel larger than input', 5, 7, 1, 1, 0, -1],
  ];
  it.each(cases)('%s', (_title, input, k, s, d, p, out) => {
    const r = convOutputLength(input, win(k, s, d), pads(p), new SymbolEnv());
    expect(r.value).toBe(out);
  });

  it.each([
    [224, 11, 4, 2, 'floor((224 + 2·2 − 11) / 4) + 1 = 55'],
    [5, 7, 1, 0, 'floor((5 + 2·0 − 7) / 1) + 1 = −1'],
  ])('derivation for in=%i k=%i s=%i pad=%i', (input, k, s, p, text) => {
    expect(convOutputLength(input, win(k, s), pads(p), new SymbolEnv()).derivation).toBe(text);
  });

  it('shows asymmetric pads and dilated kernels', () => {
    const r = convOutputLength(10, win(3, 1, 2), pads(1, 3), new SymbolEnv());
    expect(r.value).toBe(10);
    expect(r.derivation).toBe('floor((10 + 1 + 3 − (2·(3 − 1) + 1)) / 1) + 1 = 10');
  });
});

describe('convOutputLength (ceil mode)', () => {
  it.each([
    // in, k, s, pad, floor, ceil, last window removed
    [112, 3, 2, 0, 55, 56, false],
    [56, 3, 2, 0, 27, 28, false],
    [5, 2, 2, 1, 3, 3, true],
    [6, 3, 2, 1, 3, 4, false],
    [4, 2, 2, 0, 2, 2, false],
    [2, 3, 2, 0, 0, 1, false],
  ])('in=%i k=%i s=%i pad=%i: floor %i, ceil %i', (input, k, s, p, floor, ceil, removed) => {
    const env = new SymbolEnv();
    expect(convOutputLength(input, win(k, s), pads(p), env).value).toBe(floor);
    const r = convOutputLength(input, win(k, s), pads(p), env, true);
    expect(r.value).toBe(ceil);
    expect(r.lastWindowRemoved).toBe(removed);
  });

  it('explains the last-window rule', () => {
    const r = convOutputLength(5, win(2, 2), pads(1), new SymbolEnv(), true);
    expect(r.derivation).toContain('ceil((5 + 2·1 − 2) / 2) + 1 − 1 = 3');
  });

  it('applies the last-window rule to a symbolic size', () => {
    const env = new SymbolEnv();
    const r = convOutputLength({ ...sym('H'), add: 1 }, win(2, 2), pads(1), env, true);
    // H + 1 with H even: ceil((H + 1)/2) + 1 = H/2 + 2, minus the window that starts in padding.
    expect(r.value).toEqual({ sym: 'H', num: 1, den: 2, add: 1 });
    expect(r.lastWindowRemoved).toBe(true);
  });
});

describe('resolvePadding', () => {
  const cases: readonly (readonly [
    string,
    Padding,
    number,
    Dim,
    number,
    number,
    number,
    number,
  ])[] = [
    // title, padding, axis, in, k, s, before, after
    ['valid', { mode: 'valid' }, 0, 224, 3, 1, 0, 0],
    ['same 3x3 /1', { mode: 'same' }, 0, 224, 3, 1, 1, 1],
    ['same 3x3 /2 on even input: extra row at the bottom', { mode: 'same' }, 0, 224, 3, 2, 0, 1],
    ['same 3x3 /2 on odd input', { mode: 'same' }, 0, 225, 3, 2, 1, 1],
    ['same 1x1 /3: never negative', { mode: 'same' }, 0, 5, 1, 3, 0, 0],
    ['same 4x4 /1: odd total', { mode: 'same' }, 0, 10, 4, 1, 1, 2],
    ['full 3x3', { mode: 'full' }, 0, 10, 3, 1, 2, 2],
    ['explicit, height axis', { mode: 'explicit', pads: [1, 2, 3, 4] }, 0, 10, 3, 1, 1, 2],
    ['explicit, width axis', { mode: 'explicit', pads: [1, 2, 3, 4] }, 1, 10, 3, 1, 3, 4],
    ['explicit single pad', { mode: 'explicit', pads: [2] }, 1, 10, 3, 1, 2, 2],
  ];
  it.each(cases)('%s', (_title, p, axis, input, k, s, before, after) => {
    const r = resolvePadding(p, axis, input, win(k, s), new SymbolEnv());
    expect(r.value).toEqual({ before, after });
  });

  it('full pads the dilated kernel', () => {
    const r = resolvePadding({ mode: 'full' }, 0, 10, win(3, 1, 2), new SymbolEnv());
    expect(r.value).toEqual({ before: 4, after: 4 });
  });

  it('same on a symbolic size is concrete and records divisibility', () => {
    const env = new SymbolEnv();
    env.declare('H', 'H', 'input height');
    const r = resolvePadding({ mode: 'same' }, 0, sym('H'), win(3, 2), env);
    expect(r.value).toEqual({ before: 0, after: 1 });
    expect(env.info('H').multipleOf).toBe(2);
    expect(r.derivation).toBe('same: total = max((H/2 − 1)·2 + 3 − H, 0) = 1 = 0 + 1');
  });

  it.each([224, 225, 226, 227])('same gives ceil(in / s) for in=%i', (input) => {
    const env = new SymbolEnv();
    const w = win(3, 2);
    const p = resolvePadding({ mode: 'same' }, 0, input, w, env).value;
    expect(convOutputLength(input, w, p, env).value).toBe(Math.ceil(input / 2));
  });
});

describe('transposedOutputLength', () => {
  const cases: readonly (readonly [string, number, number, number, Padding, number, number])[] = [
    // title, in, k, s, padding, outputPadding, out
    ['3x3 /2 pad 1 output padding 1', 7, 3, 2, { mode: 'explicit', pads: [1, 1, 1, 1] }, 1, 14],
    ['DCGAN 4x4 /2 pad 1', 4, 4, 2, { mode: 'explicit', pads: [1, 1, 1, 1] }, 0, 8],
    ['valid 2x2 /2', 7, 2, 2, { mode: 'valid' }, 0, 14],
    ['valid 3x3 /1 grows by k − 1', 5, 3, 1, { mode: 'valid' }, 0, 7],
    ['same 3x3 /2 doubles', 7, 3, 2, { mode: 'same' }, 0, 14],
    ['same 1x1 /2 doubles', 7, 1, 2, { mode: 'same' }, 0, 14],
    ['same 5x5 /3 triples', 7, 5, 3, { mode: 'same' }, 0, 21],
  ];
  it.each(cases)('%s', (_title, input, k, s, p, op, out) => {
    const w = win(k, s);
    const pd = resolveTransposedPadding(p, 0, w).value;
    const r = transposedOutputLength(input, w, pd, op, new SymbolEnv());
    expect(r.value).toBe(out);
  });

  it('derivation', () => {
    const r = transposedOutputLength(7, win(3, 2), pads(1), 1, new SymbolEnv());
    expect(r.derivation).toBe('(7 − 1)·2 − 2·1 + 1·(3 − 1) + 1 + 1 = 14');
  });

  it('symbolic: same doubles H', () => {
    const w = win(3, 2);
    const pd = resolveTransposedPadding({ mode: 'same' }, 0, w).value;
    const r = transposedOutputLength({ ...sym('H'), den: 4 }, w, pd, 0, new SymbolEnv());
    expect(r.value).toEqual({ sym: 'H', num: 1, den: 2, add: 0 });
  });
});

describe('droppedRows', () => {
  it.each([
    // in, k, s, pad before, pad after, dropped
    [224, 11, 4, 0, 0, 1],
    [224, 11, 4, 2, 2, 0],
    [227, 11, 4, 0, 0, 0],
    [7, 2, 2, 0, 0, 1],
    [7, 1, 2, 0, 0, 0],
    [8, 3, 2, 0, 0, 1],
    [8, 3, 2, 1, 1, 0],
    [10, 3, 3, 0, 0, 1],
    [10, 4, 3, 0, 0, 0],
    [11, 3, 4, 0, 0, 0],
    [13, 5, 4, 0, 0, 0],
    [18, 5, 4, 1, 0, 2],
    [18, 5, 4, 0, 1, 1],
  ])('in=%i k=%i s=%i pads %i+%i → %i', (input, k, s, pb, pe, expected) => {
    expect(droppedRows(input, win(k, s), pads(pb, pe)).value).toBe(expected);
  });

  it('explains the rows left over', () => {
    expect(droppedRows(224, win(11, 4), pads(0)).derivation).toBe('(224 + 2·0 − 11) mod 4 = 1');
  });
});

describe('nextEvenInput', () => {
  it.each([
    [224, 11, 4, 0, 227],
    [8, 3, 2, 0, 9],
    [7, 2, 2, 0, 8],
  ])('in=%i k=%i s=%i pad=%i → %i', (input, k, s, p, expected) => {
    expect(nextEvenInput(input, win(k, s), pads(p))).toBe(expected);
  });
});

it('formatNumber uses a real minus sign', () => {
  expect(formatNumber(-1)).toBe('−1');
  expect(formatNumber(3)).toBe('3');
});
