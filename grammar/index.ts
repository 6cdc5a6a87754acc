/**
 * The grammar's public surface: `parseFile` (text → AST + syntax diagnostics) and the AST types.
 * Syntax only; names, shapes and everything else are the compiler's business.
 */
import type { CstNode, IToken } from 'chevrotain';
import { diag, sortDiagnostics } from '../compiler/diagnostics/diagnostic.js';
import type { Diagnostic, Result } from '../compiler/diagnostics/diagnostic.js';
import type { Comment, FileAst } from './ast.js';
import { cstToAst } from './cst-to-ast.js';
import { lex } from './lexer.js';
import { parseTokens } from './parser.js';
import { syntaxDiagnostics, withSyntaxContext } from './syntax-diagnostics.js';

export * from './ast.js';

/**
 * Parse one .cnn file. `file` is the display path put into every span; spans are [start, end) UTF-16
 * offsets into `text`. Never throws: lexical and syntax errors come back as diagnostics (CNN1001–
 * CNN1005) next to the AST of whatever parsed; a bug of ours comes back as CNN9001.
 */
export function parseFile(text: string, file: string): Result<FileAst> {
  const { value, diagnostics } = parseFileWithComments(text, file);
  return { value, diagnostics };
}

/** A parsed file and its comments, for the formatter and the language server. */
export interface ParsedFile extends Result<FileAst> {
  /** Every comment of the file in source order (empty after an internal error). */
  readonly comments: readonly Comment[];
}

/** parseFile, plus the comments the syntax tree leaves out. */
export function parseFileWithComments(text: string, file: string): ParsedFile {
  try {
    const lexed = lex(text, file);
    const parsed = withSyntaxContext(text, lexed.tokens, () => parseTokens(lexed.tokens));
    const ast = cstToAst(parsed.cst, text, file);
    const declStarts = declarationStarts(parsed.cst);
    const syntax = syntaxDiagnostics({
      file,
      text,
      errors: parsed.errors,
      missingSeparators: parsed.missingSeparators.map((m): IToken => m.token),
      declStarts,
      cutoff: lexed.cutoff,
    });
    const diagnostics: Diagnostic[] = [...lexed.diagnostics, ...syntax, ...ast.diagnostics];
    return {
      value: ast.value,
      diagnostics: sortDiagnostics(diagnostics),
      comments: lexed.comments,
    };
  } catch (e) {
    const message = e instanceof Error ? e.message : String(e);
    return {
      value: { kind: 'File', file, decls: [], span: { file, start: 0, end: text.length } },
      diagnostics: [
        diag('CNN9001', `internal error while parsing: ${message}`, {
          span: { file, start: 0, end: 0 },
          help: 'this is a bug in cnnc; please report it with the file that triggers it',
        }),
      ],
      comments: [],
    };
  }
}

/** Where each parsed declaration starts (its keyword), to tell runs of top-level junk apart. */
function declarationStarts(cst: CstNode | undefined): number[] {
  const starts: number[] = [];
  for (const d of cst?.children['decl'] ?? []) {
    if (!('children' in d)) continue;
    for (const inner of Object.values(d.children)) {
      const decl = inner[0];
      const kw = decl && 'children' in decl ? Object.values(decl.children)[0]?.[0] : undefined;
      if (kw && 'image' in kw && Number.isFinite(kw.startOffset)) starts.push(kw.startOffset);
    }
  }
  return starts;
}
