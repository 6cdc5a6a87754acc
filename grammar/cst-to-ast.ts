/**
 * CST → AST for declarations and statements (expressions: cst-expr.ts). Never throws on a CST left
 * incomplete by error recovery: a node missing a required child is skipped (the syntax error that
 * broke it has been reported already), containers keep whatever parsed.
 *
 * Spans: a statement's span excludes its label (the label has its own); a Value atom's span includes
 * parentheses around its value (`basic(64)`: the atom is `(64)`, its value the Number `64`).
 */
import type { CstNode, IToken } from 'chevrotain';
import { diag } from '../compiler/diagnostics/diagnostic.js';
import type { Diagnostic, Result } from '../compiler/diagnostics/diagnostic.js';
import type {
  Atom,
  BlockDecl,
  BlockParam,
  Branch,
  BudgetLimit,
  Decl,
  FileAst,
  Ident,
  ImportDecl,
  LetBinding,
  ModelDecl,
  ParamType,
  SimpleStmt,
  Stmt,
  Target,
} from './ast.js';
import { ExprBuilder } from './cst-expr.js';
import { count, node, nodes, token, tokens, Spans } from './cst-helpers.js';
import * as T from './tokens.js';

export function cstToAst(cst: CstNode | undefined, text: string, file: string): Result<FileAst> {
  const b = new AstBuilder(text, file);
  const decls = cst ? b.decls(cst) : [];
  const value: FileAst = { kind: 'File', file, decls, span: { file, start: 0, end: text.length } };
  return { value, diagnostics: b.diagnostics };
}

/** Adds `label` only when present, so nodes without one have no `label` key at all. */
function labelled<S extends object>(stmt: S, label: Ident | undefined): S & { label?: Ident } {
  return label === undefined ? stmt : { ...stmt, label };
}

class AstBuilder {
  readonly diagnostics: Diagnostic[] = [];
  private readonly spans: Spans;
  private readonly exprs: ExprBuilder;

  constructor(
    private readonly text: string,
    file: string,
  ) {
    this.spans = new Spans(file);
    this.exprs = new ExprBuilder(this.spans);
  }

  decls(file: CstNode): Decl[] {
    const out: Decl[] = [];
    for (const d of nodes(file, 'decl')) {
      const imp = node(d, 'importDecl');
      const model = node(d, 'modelDecl');
      const block = node(d, 'blockDecl');
      const decl = imp
        ? this.importDecl(imp)
        : model
          ? this.modelDecl(model)
          : block
            ? this.blockDecl(block)
            : undefined;
      if (decl) out.push(decl);
    }
    return out;
  }

  private importDecl(n: CstNode): ImportDecl | undefined {
    const span = this.spans.node(n);
    const name = token(n, 'Identifier');
    const path = token(n, 'StringLit');
    if (!span) return undefined;
    if (name) return { kind: 'Import', target: { kind: 'Stdlib', name: name.image }, span };
    if (path) {
      const value = T.stringValue(path.image, path.tokenType === T.StringLiteral);
      return { kind: 'Import', target: { kind: 'Path', path: value }, span };
    }
    return undefined;
  }

  private modelDecl(n: CstNode): ModelDecl | undefined {
    const name = token(n, 'name');
    const span = this.spans.node(n);
    if (!name || !span) return undefined;
    const base = token(n, 'base');
    const model: ModelDecl = {
      kind: 'Model',
      name: this.spans.ident(name),
      body: this.body(node(n, 'braceBody')),
      span,
    };
    return base ? { ...model, base: this.spans.ident(base) } : model;
  }

  private blockDecl(n: CstNode): BlockDecl | undefined {
    const name = token(n, 'name');
    const span = this.spans.node(n);
    if (!name || !span) return undefined;
    const params: BlockParam[] = [];
    for (const p of nodes(n, 'param')) {
      const param = this.param(p);
      if (param) params.push(param);
    }
    const body = this.body(node(n, 'braceBody'));
    return { kind: 'Block', name: this.spans.ident(name), params, body, span };
  }

  private param(n: CstNode): BlockParam | undefined {
    const name = token(n, 'Identifier');
    const type = token(n, 'ParamType');
    const span = this.spans.node(n);
    if (!name || !type || !span) return undefined;
    const param: BlockParam = {
      name: this.spans.ident(name),
      type: type.image as ParamType,
      typeSpan: this.spans.token(type),
      span,
    };
    if (count(n, 'Equals') === 0) return param;
    const value = this.exprs.expr(node(n, 'expr'));
    return value ? { ...param, default: value } : undefined;
  }

  // ------------------------------------------------------------ statements

  private body(n: CstNode | undefined): Stmt[] {
    if (n === undefined) return [];
    const out: Stmt[] = [];
    for (const s of nodes(n, 'stmt')) {
      const stmt = this.stmt(s);
      if (stmt) out.push(stmt);
    }
    return out;
  }

  private stmt(n: CstNode): Stmt | undefined {
    const labelTok = token(n, 'label');
    if (labelTok === undefined && count(n, 'label') > 0) return undefined;
    const label = labelTok && this.spans.ident(labelTok);
    let inner: CstNode | undefined;
    if ((inner = node(n, 'simpleStmt'))) return this.simple(inner, label);
    if ((inner = node(n, 'group'))) {
      const span = this.spans.node(inner);
      return span && labelled({ kind: 'Group' as const, body: this.body(inner), span }, label);
    }
    if ((inner = node(n, 'repeatStmt'))) return this.repeat(inner, label);
    if ((inner = node(n, 'residualStmt'))) return this.residual(inner, label);
    if ((inner = node(n, 'mergeStmt'))) return this.merge(inner, label);
    for (const key of ['letStmt', 'freezeStmt', 'replaceStmt', 'appendStmt', 'budgetStmt']) {
      const k = node(n, key);
      if (k) return this.unlabelled(key, k);
    }
    const train = node(n, 'trainStmt');
    return train && this.train(train);
  }

  private unlabelled(key: string, n: CstNode): Stmt | undefined {
    const span = this.spans.node(n);
    if (!span) return undefined;
    switch (key) {
      case 'letStmt': {
        const bindings = this.bindings(n);
        return bindings.length > 0 ? { kind: 'Let', bindings, span } : undefined;
      }
      case 'freezeStmt': {
        const kw = token(n, 'FreezeKw');
        const targets = nodes(n, 'target')
          .map((t) => this.target(t))
          .filter((t): t is Target => t !== undefined);
        if (!kw || targets.length === 0) return undefined;
        return { kind: 'Freeze', freeze: kw.tokenType === T.Freeze, targets, span };
      }
      case 'replaceStmt': {
        const target = this.target(node(n, 'target'));
        return target && { kind: 'Replace', target, body: this.body(node(n, 'braceBody')), span };
      }
      case 'appendStmt':
        return { kind: 'Append', body: this.body(node(n, 'braceBody')), span };
      case 'budgetStmt': {
        const limits = nodes(n, 'limit')
          .map((l) => this.limit(l))
          .filter((l): l is BudgetLimit => l !== undefined);
        return limits.length > 0 ? { kind: 'Budget', limits, span } : undefined;
      }
      default:
        return undefined;
    }
  }

  private simple(n: CstNode, label?: Ident): SimpleStmt | undefined {
    const head = token(n, 'head');
    const span = this.spans.node(n);
    if (!head || !span) return undefined;
    const stmt: SimpleStmt = {
      kind: 'Simple',
      head: this.spans.ident(head),
      atoms: this.atoms(n),
      with: this.bindings(n),
      span,
    };
    return labelled(stmt, label);
  }

  private atoms(n: CstNode): Atom[] {
    const out: Atom[] = [];
    for (const a of nodes(n, 'atom')) {
      const atom = this.atom(a);
      if (atom) out.push(atom);
    }
    return out;
  }

  private atom(n: CstNode): Atom | undefined {
    const span = this.spans.node(n);
    if (!span) return undefined;
    if (count(n, 'StrideSlash') > 0) {
      const value = this.exprs.unary(node(n, 'unary'));
      return value && { kind: 'Stride', value, span };
    }
    const value = this.exprs.expr(node(n, 'expr'));
    if (!value) return undefined;
    if (count(n, 'name') === 0) return { kind: 'Value', value, span };
    const name = token(n, 'name');
    return name && { kind: 'Named', name: this.spans.ident(name), value, span };
  }

  private bindings(n: CstNode): LetBinding[] {
    const out: LetBinding[] = [];
    for (const b of nodes(n, 'binding')) {
      const binding = this.binding(b);
      if (binding) out.push(binding);
    }
    return out;
  }

  /** `X = conv 64 3x3` / `R = relu` → a Simple headed by the name; `c2 = c * 2` → an Expr. */
  private binding(n: CstNode): LetBinding | undefined {
    const nameTok = token(n, 'Identifier');
    const span = this.spans.node(n);
    if (!nameTok || !span) return undefined;
    const name = this.spans.ident(nameTok);
    const group = node(n, 'group');
    if (group) {
      const groupSpan = this.spans.node(group);
      return groupSpan && { name, value: { kind: 'Group', body: this.body(group), span: groupSpan }, span };
    }
    const value = this.exprs.expr(node(n, 'expr'));
    if (!value) return undefined;
    const atoms = this.atoms(n);
    const end = atoms.length > 0 ? atoms[atoms.length - 1].span : value.span;
    if (value.kind === 'Name') {
      const head: Ident = { kind: 'Ident', name: value.name, span: value.span };
      const simple: SimpleStmt = { kind: 'Simple', head, atoms, with: [], span: this.spans.join(value.span, end) };
      return { name, value: simple, span };
    }
    if (atoms.length > 0) {
      this.diagnostics.push(
        diag('CNN1001', 'expected a layer or block name before the attributes, found an expression', {
          span: value.span,
          help: 'attributes follow a name, as in `conv 64 3x3`',
        }),
      );
    }
    return { name, value: { kind: 'Expr', expr: value, span: value.span }, span };
  }

  private repeat(n: CstNode, label?: Ident): Stmt | undefined {
    const countExpr = this.exprs.expr(node(n, 'expr'));
    const span = this.spans.node(n);
    if (!countExpr || !span) return undefined;
    const indexTok = token(n, 'Identifier');
    if (count(n, 'Kw_as') > 0 && !indexTok) return undefined;
    const body = this.body(node(n, 'braceBody'));
    const stmt = { kind: 'Repeat' as const, count: countExpr, body, span };
    return labelled(indexTok ? { ...stmt, index: this.spans.ident(indexTok) } : stmt, label);
  }

  private residual(n: CstNode, label?: Ident): Stmt | undefined {
    const span = this.spans.node(n);
    if (!span) return undefined;
    const stmt = { kind: 'Residual' as const, body: this.body(node(n, 'body')), span };
    const kw = token(n, 'Kw_shortcut');
    if (!kw) return labelled(stmt, label);
    const scBody = node(n, 'shortcut');
    const scEnd = scBody && this.spans.node(scBody);
    const scSpan = this.spans.join(this.spans.token(kw), scEnd ?? this.spans.token(kw));
    const shortcutBody = this.body(scBody);
    if (count(n, 'Kw_when') === 0) {
      return labelled({ ...stmt, shortcut: { body: shortcutBody, span: scSpan } }, label);
    }
    const when = this.exprs.expr(node(n, 'expr'));
    if (!when) return undefined;
    return labelled({ ...stmt, shortcut: { when, body: shortcutBody, span: scSpan } }, label);
  }

  private merge(n: CstNode, label?: Ident): Stmt | undefined {
    const opTok = token(n, 'MergeOp');
    const span = this.spans.node(n);
    if (!opTok || !span) return undefined;
    const branches: Branch[] = [];
    for (const b of nodes(n, 'branch')) {
      const kw = token(b, 'Kw_branch');
      const branchLabel = token(b, 'label');
      if (!kw || (count(b, 'label') > 0 && !branchLabel)) continue;
      const bodyNode = node(b, 'braceBody');
      const end = (bodyNode && this.spans.node(bodyNode)) ?? this.spans.token(kw);
      const branch: Branch = {
        body: this.body(bodyNode),
        span: this.spans.join(this.spans.token(kw), end),
      };
      branches.push(branchLabel ? { ...branch, label: this.spans.ident(branchLabel) } : branch);
    }
    const op = opTok.image as 'concat' | 'add' | 'multiply';
    for (const m of nodes(n, 'misplaced')) {
      const stmtSpan = this.stmt(m)?.span;
      if (!stmtSpan) continue;
      this.diagnostics.push(
        diag('CNN1001', `expected \`branch { ... }\` inside \`${op}\`, found a statement`, {
          span: stmtSpan,
          help: `each path of \`${op}\` is written \`branch { ... }\``,
        }),
      );
    }
    return labelled(
      { kind: 'Merge' as const, op, opSpan: this.spans.token(opTok), branches, span },
      label,
    );
  }

  private target(n: CstNode | undefined): Target | undefined {
    if (n === undefined) return undefined;
    const parts: IToken[] = tokens(n, 'TargetPart');
    if (parts.length === 0) return undefined;
    const span = this.spans.join(this.spans.token(parts[0]), this.spans.token(parts[parts.length - 1]));
    return { raw: this.text.slice(span.start, span.end), span };
  }

  private limit(n: CstNode): BudgetLimit | undefined {
    const metric = token(n, 'Identifier');
    const op = token(n, 'LimitOp');
    const value = this.exprs.expr(node(n, 'expr'));
    const span = this.spans.node(n);
    if (!metric || !op || !value || !span) return undefined;
    return { metric: this.spans.ident(metric), op: op.image as '<=' | '<', value, span };
  }

  /** `train { ... }` holds settings only: other statements are reported and dropped. */
  private train(n: CstNode): Stmt | undefined {
    const span = this.spans.node(n);
    if (!span) return undefined;
    const body: SimpleStmt[] = [];
    for (const s of this.body(node(n, 'braceBody'))) {
      if (s.kind === 'Simple') {
        body.push(s);
        continue;
      }
      this.diagnostics.push(
        diag('CNN1001', `expected a setting like \`lr 0.1\` in \`train\`, found a ${describeStmt(s)}`, {
          span: s.span,
          help: '`train { ... }` holds settings only, one per line: `optimizer sgd`, `lr 0.1`',
        }),
      );
    }
    return { kind: 'Train', body, span };
  }
}

function describeStmt(s: Stmt): string {
  switch (s.kind) {
    case 'Simple':
      return 'setting';
    case 'Group':
      return 'group `{ ... }`';
    default:
      return `\`${s.kind.toLowerCase()}\` statement`;
  }
}
