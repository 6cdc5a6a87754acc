/**
 * Golden files. `expectBaseline('diagnostics/pretty/example.txt', text)` compares `text` with
 * test/baselines/diagnostics/pretty/example.txt; with UPDATE_BASELINES=1 it writes the file instead,
 * so that a reviewer reads the change as a diff. Line endings are normalised to `\n` and a final
 * newline is added if missing, so a CRLF checkout or an editor's final newline does not fail a test.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, isAbsolute, join, normalize, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect } from 'vitest';

/** The repository's test/baselines folder. */
export const BASELINES_DIR = fileURLToPath(new URL('../baselines/', import.meta.url));

export function shouldUpdateBaselines(
  env: Readonly<Record<string, string | undefined>> = process.env,
): boolean {
  return env.UPDATE_BASELINES === '1' || env.UPDATE_BASELINES === 'true';
}

/** `\r\n` and lone `\r` become `\n`, and a final newline is added if missing (not to an empty text). */
export function normalizeBaseline(text: string): string {
  const unix = text.replace(/\r\n?/g, '\n');
  return unix === '' || unix.endsWith('\n') ? unix : `${unix}\n`;
}

/** The absolute path of a baseline; refuses paths that leave the baselines folder. */
export function baselinePath(relPath: string, root: string = BASELINES_DIR): string {
  const full = normalize(join(root, relPath));
  const rel = relative(root, full);
  if (isAbsolute(relPath) || rel === '' || rel.startsWith('..') || isAbsolute(rel)) {
    throw new Error(`a baseline path must be relative and inside test/baselines: ${relPath}`);
  }
  return full;
}

/** Compares `actual` with test/baselines/<relPath>, or writes it there with UPDATE_BASELINES=1. */
export function expectBaseline(relPath: string, actual: string): void {
  checkBaseline(relPath, actual, { root: BASELINES_DIR, update: shouldUpdateBaselines() });
}

export interface BaselineOptions {
  /** The folder baselines live in. */
  readonly root: string;
  /** Write the file instead of comparing. */
  readonly update: boolean;
}

/** expectBaseline with the folder and the mode spelled out, for testing the helper itself. */
export function checkBaseline(relPath: string, actual: string, opts: BaselineOptions): void {
  const file = baselinePath(relPath, opts.root);
  const text = normalizeBaseline(actual);
  const shown = `test/baselines/${relative(opts.root, file).split(sep).join('/')}`;
  if (opts.update) {
    const old = existsSync(file) ? normalizeBaseline(readFileSync(file, 'utf8')) : undefined;
    if (old !== text) {
      mkdirSync(dirname(file), { recursive: true });
      writeFileSync(file, text, 'utf8');
    }
    return;
  }
  if (!existsSync(file)) {
    expect.fail(`missing baseline ${shown}; run the tests with UPDATE_BASELINES=1 to create it`);
  }
  const expected = normalizeBaseline(readFileSync(file, 'utf8'));
  expect(
    text,
    `output differs from ${shown}; if the change is intended, rerun with UPDATE_BASELINES=1 and review the diff`,
  ).toBe(expected);
}
