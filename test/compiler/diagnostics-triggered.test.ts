/**
 * Every diagnostic code in the catalog (but the internal ones, tested in internal-errors.test.ts)
 * is triggered by a small program, with its primary span checked; docs/diagnostics.md is generated
 * from the same cases.
 */
import { describe, expect, it } from 'vitest';
import { CODE_LIST } from '../../compiler/diagnostics/codes.js';
import { DIAGNOSTIC_CASES } from './diagnostic-cases.js';
import { runDiagnosticCase } from './import/run-case.js';

describe('every diagnostic code has a triggering case', () => {
  it('covers the catalog', () => {
    const covered = new Set(DIAGNOSTIC_CASES.map((c) => c.code));
    const missing = CODE_LIST.map((c) => c.code).filter(
      (c) => !covered.has(c) && !c.startsWith('CNN9'),
    );
    expect(missing).toEqual([]);
  });

  it.each(DIAGNOSTIC_CASES.map((c) => [c.code, c.about, c] as const))(
    '%s: %s',
    (code, _about, c) => {
      const result = runDiagnosticCase(c);
      const found = result.diagnostics.filter((d) => d.code === code);
      expect(
        found.map((d) => d.code),
        JSON.stringify(result.diagnostics.map((d) => [d.code, d.message])),
      ).toContain(code);
      const d = found[0];
      const file = c.spanFile ?? 'main.cnn';
      expect(d.span?.file).toBe(file);
      const text = c.files[file] ?? result.sources.get(file);
      expect(text.slice(d.span!.start, d.span!.end)).toBe(c.span);
      // No internal errors on the way.
      expect(result.diagnostics.filter((x) => x.code.startsWith('CNN9'))).toEqual([]);
    },
  );
});
