import { describe, expect, it } from 'vitest';
import { charWidth, layoutLine, toDisplayCol } from '../../../compiler/diagnostics/layout.js';

describe('layoutLine', () => {
  it.each([
    ['ascii', 'conv 8', 'conv 8', [0, 1, 2, 3, 4, 5, 6]],
    ['leading tab', '\tx', '    x', [0, 4, 5]],
    ['tab after text stops at 4', 'ab\tc', 'ab  c', [0, 1, 2, 4, 5]],
    ['tab at a stop is a full stop', 'abcd\te', 'abcd    e', [0, 1, 2, 3, 4, 8, 9]],
    ['control character', 'a\x1bb', 'a\uFFFDb', [0, 1, 2, 3]],
    ['surrogate pair, wide emoji', 'a🎯b', 'a🎯b', [0, 1, 1, 3, 4]],
    ['CJK is wide', '層x', '層x', [0, 2, 3]],
    ['combining mark has no width', 'e\u0301x', 'e\u0301x', [0, 1, 1, 2]],
    ['non-ASCII narrow', 'é—x', 'é—x', [0, 1, 2, 3]],
  ])('%s', (_name, text, shown, cols) => {
    const layout = layoutLine(text);
    expect(layout.shown).toBe(shown);
    expect(layout.cols).toEqual(cols);
  });

  it.each([
    [1, 0],
    [2, 4],
    [3, 5],
    [4, 6],
    [6, 8],
  ])('toDisplayCol(%i) past tabs and the end is %i', (col, display) => {
    expect(toDisplayCol(layoutLine('\tx'), col)).toBe(display);
  });

  it.each([
    [0x41, 1],
    [0x301, 0],
    [0x4e00, 2],
    [0x1f3af, 2],
    [0xb7, 1],
  ])('charWidth(%i) is %i', (cp, width) => {
    expect(charWidth(cp)).toBe(width);
  });
});
