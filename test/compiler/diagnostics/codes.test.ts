import { describe, expect, it } from 'vitest';
import { CODE_LIST, CODES } from '../../../compiler/diagnostics/codes.js';

/** The first digit of a code names its band (STYLE.md habit 2). */
const BANDS: Readonly<Record<string, string>> = {
  '1': 'syntax',
  '2': 'names, structure and attributes',
  '3': 'shapes',
  '4': 'parameters, budgets and resources',
  '5': 'backend capability',
  '6': 'code generation',
  '9': 'internal',
};

describe('diagnostic code catalog', () => {
  it('has no duplicate codes', () => {
    const seen = new Set<string>();
    const duplicates = CODE_LIST.map((e) => e.code).filter((c) => seen.size === seen.add(c).size);
    expect(duplicates).toEqual([]);
    expect(Object.keys(CODES)).toHaveLength(CODE_LIST.length);
  });

  it('lists codes in ascending order, so each band stays together', () => {
    const codes = CODE_LIST.map((e) => e.code);
    expect(codes).toEqual([...codes].sort());
  });

  it('uses no title twice', () => {
    const titles = CODE_LIST.map((e) => e.title);
    expect(titles.filter((t, i) => titles.indexOf(t) !== i)).toEqual([]);
  });

  it.each(CODE_LIST.map((e) => [e.code, BANDS[e.code[3]] ?? 'no band', e] as const))(
    '%s (%s) is well formed',
    (code, _band, entry) => {
      expect(code).toMatch(/^CNN\d{4}$/);
      expect(Object.keys(BANDS), `${code} is outside every band`).toContain(code[3]);
      expect(entry.title.trim()).not.toBe('');
      expect(entry.title).toBe(entry.title.trim());
      expect(['error', 'warning', 'note']).toContain(entry.severity);
      expect(CODES[code]).toBe(entry);
    },
  );
});
