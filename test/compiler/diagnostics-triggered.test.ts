/**
 * Every diagnostic code in the catalog (but the internal ones, tested in internal-errors.test.ts,
 * and the retired ones, which nothing in compiler/ or runtime/ may raise) is triggered by a small
 * program, with its primary span checked; docs/diagnostics.md is generated from the same cases.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { CODE_LIST } from '../../compiler/diagnostics/codes.js';
import { REPO } from '../helpers/memory-host.js';
import { DIAGNOSTIC_CASES } from './diagnostic-cases.js';
import { runDiagnosticCase } from './import/run-case.js';

describe('every diagnostic code has a triggering case', () => {
  it('covers the catalog', () => {
    const covered = new Set(DIAGNOSTIC_CASES.map((c) => c.code));
    const missing = CODE_LIST.filter((c) => !('retired' in c))
      .map((c) => c.code)
      .filter((c) => !covered.has(c) && !c.startsWith('CNN9'));
    expect(missing).toEqual([]);
  });

  it('has no case for a retired code, and no source in compiler/ or runtime/ names one', () => {
    const retired = CODE_LIST.filter((c) => 'retired' in c).map((c) => c.code as string);
    expect(DIAGNOSTIC_CASES.filter((c) => retired.includes(c.code)).map((c) => c.code)).toEqual([]);
    const sources = (dir: string): string[] =>
      fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
        const p = path.join(dir, e.name);
        return e.isDirectory() ? sources(p) : e.name.endsWith('.ts') ? [p] : [];
      });
    const codesFile = path.join(REPO, 'compiler/diagnostics/codes.ts');
    const naming = ['compiler', 'runtime']
      .flatMap((d) => sources(path.join(REPO, d)))
      .filter((f) => f !== codesFile)
      .flatMap((f) => {
        const text = fs.readFileSync(f, 'utf8');
        return retired
          .filter((c) => text.includes(`'${c}'`))
          .map((c) => `${c} in ${path.relative(REPO, f)}`);
      });
    expect(naming).toEqual([]);
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
