/**
 * prettier-plugin-cnn: .cnn files in prettier 3 (`import plugin from 'cnnc/prettier-plugin'`, or
 * `"plugins": ["cnnc/prettier-plugin"]` in a prettier configuration).
 *
 * - the parser is cnnc's own (grammar/), with its comments channel; a file with syntax errors is
 *   refused with the first error, so prettier never rewrites what it cannot read;
 * - comments are attached by prettier's algorithm (`canAttachComment`, `getCommentChildNodes`) with
 *   the placement rules of attach.ts (`handleComments`);
 * - the printer lays the file out (layout.ts) and aligns the comments at the ends of lines
 *   (align.ts); it prints every comment itself (`willPrintOwnComments`), and prettier checks that
 *   none was lost.
 */
import { doc, util, type AstPath, type Doc, type Plugin } from 'prettier';
import { parseFileWithComments, type FileAst } from '../../grammar/index.js';
import { SourceFile } from '../diagnostics/source-file.js';
import { renderLines } from './align.js';
import { attachComment } from './attach.js';
import { layoutFile } from './layout.js';
import {
  childNodes,
  indexSource,
  nodeStart,
  type FmtComment,
  type FmtNode,
  type Source,
} from './source.js';

/** The root prettier works on: the file's tree, and its comments until prettier attaches them. */
export interface CnnRoot extends FileAst {
  comments?: FmtComment[];
}

type AnyNode = CnnRoot | FmtNode | FmtComment;

const sources = new WeakMap<object, Source>();

/** A syntax error as prettier reports it (with a code frame at `loc`). */
class CnnSyntaxError extends Error {
  constructor(
    message: string,
    readonly loc: { start: { line: number; column: number } },
  ) {
    super(message);
    this.name = 'SyntaxError';
  }
}

function parse(text: string, options: { filepath?: string }): CnnRoot {
  const file = options.filepath ?? 'input.cnn';
  const parsed = parseFileWithComments(text, file);
  const error = parsed.diagnostics.find((d) => d.severity === 'error');
  if (error) {
    const { line, col } = new SourceFile(file, text).lineCol(error.span?.start ?? 0);
    throw new CnnSyntaxError(`${error.code}: ${error.message}`, { start: { line, column: col } });
  }
  const src = indexSource(text, parsed.value, parsed.comments);
  const root: CnnRoot = { ...parsed.value, comments: [...src.comments] };
  sources.set(root, src);
  return root;
}

function sourceOf(root: object): Source {
  const src = sources.get(root);
  if (!src) throw new Error('prettier-plugin-cnn: a tree that its parser did not make');
  return src;
}

function locStart(n: AnyNode): number {
  return 'type' in n ? n.span.start : nodeStart(n);
}

function locEnd(n: AnyNode): number {
  return n.span.end;
}

function isNode(n: AnyNode): n is FmtNode {
  return !('type' in n) && !('decls' in n);
}

const attacher = {
  addLeading: (n: object, c: FmtComment) => util.addLeadingComment(n, c),
  addTrailing: (n: object, c: FmtComment) => util.addTrailingComment(n, c),
  addDangling: (n: object, c: FmtComment, marker: string) => util.addDanglingComment(n, c, marker),
};

function handle(comment: FmtComment & { enclosingNode?: FmtNode }, ...rest: unknown[]): boolean {
  const root = rest[2] as CnnRoot;
  attachComment(sourceOf(root), root, comment.enclosingNode, comment, attacher);
  return true;
}

function print(path: AstPath<AnyNode>, options: { tabWidth: number; printWidth: number }): Doc {
  const root = path.node;
  if (!('decls' in root)) throw new Error('prettier-plugin-cnn prints whole files only');
  const src = sourceOf(root);
  const lines = layoutFile(src, root, { indent: options.tabWidth, printWidth: options.printWidth });
  const text = renderLines(lines, options.tabWidth);
  if (text === '') return '';
  return doc.builders
    .join(doc.builders.hardline, text.slice(0, -1).split('\n'))
    .concat([doc.builders.hardline]);
}

export const languages: Plugin['languages'] = [
  {
    name: 'cnn',
    parsers: ['cnn'],
    extensions: ['.cnn'],
    vscodeLanguageIds: ['cnn'],
  },
];

export const parsers: Plugin<AnyNode>['parsers'] = {
  cnn: { parse, astFormat: 'cnn', locStart, locEnd },
};

export const printers: Plugin<AnyNode>['printers'] = {
  cnn: {
    print,
    canAttachComment: (n) => isNode(n),
    getCommentChildNodes: (n) => ('type' in n ? [] : [...childNodes(n)]),
    handleComments: { ownLine: handle, endOfLine: handle, remaining: handle },
    willPrintOwnComments: () => true,
    isBlockComment: (c) => 'type' in c && c.kind === 'BlockComment',
    printComment: (path) => {
      const c = path.node;
      return 'type' in c ? c.text : '';
    },
  },
};

/** The width of the language's own docs and examples. */
export const defaultOptions: Plugin['defaultOptions'] = { printWidth: 100, tabWidth: 2 };

const plugin: Plugin<AnyNode> = { languages, parsers, printers, defaultOptions };
export default plugin;
