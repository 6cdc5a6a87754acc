/**
 * Completion, from where the cursor is among the tokens before it:
 * - at the start of a statement: layers (compiler/sema/op-table.ts), the blocks in scope with their
 *   parameters, and the statement keywords; `branch` inside `concat`/`add`/`multiply`;
 * - after a layer's name: its attributes and flags; after a block's name: its named parameters;
 * - after `freeze`, `unfreeze`, `cut after|before`, `replace` (and in `train` settings that take
 *   layers): the layer names and scopes of the model;
 * - at the start of a `train` setting: the training settings' keys;
 * - at the top of the file: `model`, `block`, `import`; after `import`, the stdlib's modules; after
 *   `model X =`, the models in scope.
 */
import {
  CompletionItemKind,
  InsertTextFormat,
  type CompletionItem,
  type Position,
} from 'vscode-languageserver';
import type { IToken } from 'chevrotain';
import { lex } from '../../../grammar/lexer.js';
import * as T from '../../../grammar/tokens.js';
import { OP_SPECS, lookupOp } from '../../sema/op-table.js';
import { lookupDecl, visibleNames, type Module } from '../../sema/resolve.js';
import type { Analysis } from '../analysis.js';
import { signature } from '../describe.js';

export interface CompletionSources {
  /** The training settings, as `key` or `key ARGS…` (the train-settings schema). */
  readonly trainKeys: readonly string[];
  readonly stdlibModules: () => readonly string[];
}

const STATEMENT_KEYWORDS = [
  'repeat', 'residual', 'concat', 'add', 'multiply', 'let', 'freeze', 'unfreeze', 'replace',
  'append', 'cut', 'budget', 'train',
]; // prettier-ignore
const MERGES = new Set(['concat', 'add', 'multiply']);
const TARGET_KEYWORDS = new Set(['freeze', 'unfreeze', 'cut', 'replace']);

/** The statement being written at the cursor and what encloses it. */
interface Context {
  /** The keyword (or head) of the statement whose body the cursor is in; undefined at top level. */
  readonly enclosing: string | undefined;
  /** The tokens of the current statement before the cursor (its label left out). */
  readonly before: readonly IToken[];
}

function context(text: string, offset: number): Context {
  const tokens = lex(text, 'completion.cnn').tokens.filter(
    (t) => t.startOffset + t.image.length < offset,
  );
  // The word being typed is not part of what comes before.
  const stack: string[] = [];
  let stmt: IToken[] = [];
  let parens = 0;
  for (const t of tokens) {
    const type = t.tokenType;
    if (type === T.LParen) parens++;
    else if (type === T.RParen) parens = Math.max(0, parens - 1);
    if (type === T.LBrace) {
      const head = stmt.find((s) => s.tokenType !== T.Colon && !isLabel(stmt, s)) ?? stmt[0];
      stack.push(stmt.some((s) => s.image === 'shortcut') ? 'shortcut' : (head?.image ?? '{'));
      stmt = [];
      parens = 0;
    } else if (type === T.RBrace) {
      stack.pop();
      stmt = [t];
      parens = 0;
    } else if (
      type === T.Newline ||
      type === T.Semicolon ||
      (type === T.Comma && parens === 0 && separates(stmt))
    ) {
      stmt = [];
    } else stmt.push(t);
  }
  if (stmt[0]?.tokenType === T.RBrace) stmt = stmt.slice(1);
  const before = stmt.length >= 2 && stmt[1].tokenType === T.Colon ? stmt.slice(2) : stmt;
  return { enclosing: stack[stack.length - 1], before };
}

function isLabel(stmt: readonly IToken[], t: IToken): boolean {
  const i = stmt.indexOf(t);
  return i === 0 && stmt[1]?.tokenType === T.Colon;
}

/** A comma ends a statement except inside `let`, `with`, `freeze`, `budget` and `lr` lists. */
function separates(stmt: readonly IToken[]): boolean {
  const words = stmt.map((t) => t.image);
  return (
    !['let', 'freeze', 'unfreeze', 'budget', 'lr'].includes(words[0]) && !words.includes('with')
  );
}

export function completion(
  a: Analysis,
  position: Position,
  sources: CompletionSources,
): CompletionItem[] {
  const offset = a.offsetAt(position);
  const { enclosing, before } = context(a.text, offset);
  const words = before.map((t) => t.image);
  const module = a.module;
  if (enclosing === undefined) {
    if (words[0] === 'import')
      return sources.stdlibModules().map((m) => item(m, CompletionItemKind.Module));
    if (words[0] === 'model' && words[2] === '=' && module)
      return visibleNames(module, 'models').map((m) => item(m, CompletionItemKind.Class));
    if (words.length === 0)
      return ['model', 'block', 'import'].map((k) => item(k, CompletionItemKind.Keyword));
    return [];
  }
  if (TARGET_KEYWORDS.has(words[0]) || (enclosing === 'train' && words.includes('unfreeze')))
    return layerNames(a, offset);
  if (enclosing === 'train') {
    if (words.length === 0) return trainKeys(sources.trainKeys);
    if (words[0] === 'lr' && words.length >= 1) return layerNames(a, offset);
    return [];
  }
  if (MERGES.has(enclosing) && words.length === 0)
    return [item('branch', CompletionItemKind.Keyword)];
  if (words.length === 0) return statementStart(module);
  return afterHead(module, words[0]);
}

function item(label: string, kind: CompletionItemKind, detail?: string): CompletionItem {
  return detail === undefined ? { label, kind } : { label, kind, detail };
}

function statementStart(module: Module | undefined): CompletionItem[] {
  const out: CompletionItem[] = [];
  for (const spec of OP_SPECS) {
    const usage = [spec.keyword, ...spec.positional.map((p) => p.toUpperCase())].join(' ');
    out.push({
      ...item(spec.keyword, CompletionItemKind.Function, spec.doc),
      documentation: usage,
    });
    for (const alias of spec.aliases)
      out.push(item(alias, CompletionItemKind.Function, `${spec.doc} (\`${spec.keyword}\`)`));
  }
  if (module) {
    for (const name of new Set(visibleNames(module, 'blocks'))) {
      const found = lookupDecl(module, 'blocks', name);
      if (!found) continue;
      const required = found.decl.params.filter((p) => !p.default);
      const args = required.map((p, i) => `\${${i + 1}:${p.name.name}}`).join(', ');
      out.push({
        label: name,
        kind: CompletionItemKind.Method,
        detail: signature(found.decl, found.module),
        insertText: `${name}(${args})`,
        insertTextFormat: InsertTextFormat.Snippet,
      });
    }
  }
  for (const k of STATEMENT_KEYWORDS) out.push(item(k, CompletionItemKind.Keyword));
  return out;
}

function afterHead(module: Module | undefined, head: string): CompletionItem[] {
  const spec = lookupOp(head);
  if (spec) {
    const out: CompletionItem[] = [];
    for (const [word, attr] of Object.entries(spec.keywords))
      out.push(item(word, CompletionItemKind.Property, spec.attrs[attr]?.doc ?? attr));
    for (const [name, def] of Object.entries(spec.attrs))
      if (!spec.keywords[name]) out.push(item(name, CompletionItemKind.Property, def.doc));
    for (const [word, flag] of Object.entries(spec.flags))
      out.push(item(word, CompletionItemKind.EnumMember, `sets ${flag.attr}`));
    return out;
  }
  const block = module && lookupDecl(module, 'blocks', head);
  if (!block) return [];
  return block.decl.params.map((p) => ({
    ...item(`${p.name.name} =`, CompletionItemKind.Field, `${p.name.name}: ${p.type}`),
    insertText: `${p.name.name} = `,
  }));
}

function trainKeys(keys: readonly string[]): CompletionItem[] {
  const seen = new Set<string>();
  const out: CompletionItem[] = [];
  for (const k of keys) {
    const word = k.split(' ')[0];
    if (seen.has(word)) continue;
    seen.add(word);
    const forms = keys.filter((x) => x.split(' ')[0] === word);
    out.push(item(word, CompletionItemKind.Property, forms.join(' | ')));
  }
  return out;
}

/** The layer names and scopes of the model the cursor is in (`stage2`, `stage2.0`, `stage2.0.conv1`). */
function layerNames(a: Analysis, offset: number): CompletionItem[] {
  const decl = a.module?.ast.decls.find((d) => d.span.start <= offset && offset <= d.span.end);
  const models = a.result.models.filter(
    (m) => decl?.kind !== 'Model' || m.graph.model === decl.name.name,
  );
  const names = new Set<string>();
  for (const m of models) {
    for (const n of m.graph.nodes) {
      if (n.op === 'input') continue;
      const parts = n.name.split('.');
      for (let i = 1; i <= parts.length; i++) names.add(parts.slice(0, i).join('.'));
    }
  }
  return [...names].map((n) => item(n, CompletionItemKind.Reference));
}
