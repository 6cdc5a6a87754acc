/**
 * The import diagnostics' cases in test/compiler/diagnostic-cases.ts (CNN2031–CNN2039), checked as
 * diagnostics-triggered.test.ts checks the others: the code is reported, its primary span covers
 * the case's text, and nothing internal goes wrong.
 */
import { expect, it } from 'vitest';
import { CODE_LIST } from '../../../compiler/diagnostics/codes.js';
import { DIAGNOSTIC_CASES } from '../diagnostic-cases.js';
import { runDiagnosticCase } from './run-case.js';

const IMPORT_CODES = CODE_LIST.map((c) => c.code).filter((c) => c >= 'CNN2031' && c <= 'CNN2039');
const cases = DIAGNOSTIC_CASES.filter((c) => c.kerasImport);

it('every import code has a Keras case', () => {
  expect(cases.map((c) => c.code).sort()).toEqual(IMPORT_CODES);
});

it.each(cases.map((c) => [c.code, c.about, c] as const))('%s: %s', (code, _about, c) => {
  const r = runDiagnosticCase(c);
  const found = r.diagnostics.filter((d) => d.code === code);
  expect(
    found.map((d) => d.code),
    JSON.stringify(r.diagnostics.map((d) => [d.code, d.message])),
  ).toEqual([code]);
  const d = found[0];
  expect(d.span?.file).toBe(c.spanFile);
  expect(c.files[c.spanFile!].slice(d.span!.start, d.span!.end)).toBe(c.span);
  expect(r.sources.get(c.spanFile!)).toBe(c.files[c.spanFile!]);
  expect(r.diagnostics.filter((x) => x.code.startsWith('CNN9'))).toEqual([]);
});
