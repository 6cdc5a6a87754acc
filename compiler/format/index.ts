/**
 * The .cnn formatter: prettier with prettier-plugin-cnn (prettier-plugin.ts), behind one function
 * that `cnnc fmt` and `cnnc lsp` share. It refuses a file with syntax errors (the parse diagnostics
 * say why) and checks its own output: the formatted text must parse to the same tree (spans aside)
 * with the same comments, or the original is kept and the mismatch is reported as an internal error.
 */
import * as prettier from 'prettier';
import { parseFileWithComments, type ParsedFile } from '../../grammar/index.js';
import { diag, type Diagnostic } from '../diagnostics/diagnostic.js';
import plugin from './prettier-plugin.js';

export { plugin };

export interface FormatOptions {
  /** Default 100 (the plugin's default; a prettier configuration may say otherwise). */
  readonly printWidth?: number;
  readonly tabWidth?: number;
}

export interface FormatResult {
  /** The formatted text; undefined when the file was not formatted (see the diagnostics). */
  readonly formatted: string | undefined;
  /** The parse diagnostics (errors mean the file was refused), or an internal error. */
  readonly diagnostics: readonly Diagnostic[];
}

export async function formatCnn(
  text: string,
  file: string,
  options: FormatOptions = {},
): Promise<FormatResult> {
  const before = parseFileWithComments(text, file);
  if (before.diagnostics.some((d) => d.severity === 'error'))
    return { formatted: undefined, diagnostics: before.diagnostics };
  let formatted: string;
  try {
    formatted = await prettier.format(text, {
      parser: 'cnn',
      plugins: [plugin],
      filepath: file,
      ...options,
    });
  } catch (e) {
    return { formatted: undefined, diagnostics: [formatterBug(file, String(e))] };
  }
  const problem = differs(before, parseFileWithComments(formatted, file));
  if (problem) return { formatted: undefined, diagnostics: [formatterBug(file, problem)] };
  return { formatted, diagnostics: before.diagnostics };
}

function formatterBug(file: string, what: string): Diagnostic {
  return diag('CNN9001', `internal error while formatting ${file}: ${what}`, {
    span: { file, start: 0, end: 0 },
    notes: ['the file was left as it was'],
    help: 'this is a bug in cnnc; please report it with the file that triggers it',
  });
}

/** Why the formatted file is not the same program with the same comments, or undefined. */
export function differs(before: ParsedFile, after: ParsedFile): string | undefined {
  const err = after.diagnostics.find((d) => d.severity === 'error');
  if (err) return `the formatted text does not parse (${err.code}: ${err.message})`;
  if (!sameTree(before.value, after.value)) return 'the formatted text means something else';
  const text = (p: ParsedFile) =>
    p.comments.map((c) =>
      c.kind === 'LineComment' ? c.text.trimEnd() : c.text.replace(/\r\n?/g, '\n'),
    );
  const a = text(before);
  const b = text(after);
  if (a.length !== b.length || a.some((c, i) => c !== b[i])) return 'a comment was lost or changed';
  return undefined;
}

/** Structural equality of two syntax trees, ignoring where things are (spans). */
export function sameTree(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  const ka = Object.keys(a).filter((k) => !isSpanKey(k));
  const kb = Object.keys(b).filter((k) => !isSpanKey(k));
  if (ka.length !== kb.length) return false;
  const ra = a as Record<string, unknown>;
  const rb = b as Record<string, unknown>;
  return ka.every((k) => k in rb && sameTree(ra[k], rb[k]));
}

function isSpanKey(k: string): boolean {
  return k === 'span' || k.endsWith('Span');
}
