/**
 * CST → AST for declarations and statements (expressions: cst-expr.ts). Never throws on a CST left
 * incomplete by error recovery: a node missing a required child is skipped (the syntax error that
 * broke it has been reported already), containers keep whatever parsed.
 *
 * Spans come from tokens (the parser tracks no node locations, for speed): a construct runs from its
 * first token to the end of its last part. A statement's span excludes its label (the label has its
 * own); a Value atom's span includes parentheses around its value (`basic(64)`: the atom is `(64)`,
 * its value the Number `64`).
 */
import type { CstNode, IToken } from 'chevrotain';
import { diag } from '../compiler/diagnostics/diagnostic.js';
import type { Diagnostic, Result, Span } from '../compiler/diagnostics/diagnostic.js';
import type {
  Atom,
  BlockParam,
  Branch,
  BudgetLimit,
  Decl,
  Expr,
  FileAst,
  GroupStmt,
  Ident,
  IfStmt,
  LetBinding,
  ParamType,
  SimpleStmt,
  Stmt,
  Target,
} from './ast.js';
import { PARAM_TYPES } from './ast.js';
import { AtomBuilder } from './cst-atoms.js';
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

/** Keep the defined results of `f` over `xs`. */
function keep<A, B>(xs: readonly A[], f: (x: A) => B | undefined): B[] {
  const out: B[] = [];
  for (const x of xs) {
    const y = f(x);
    if (y !== undefined) out.push(y);
  }
  return out;
}

function last<T>(xs: readonly T[]): T | undefined {
  return xs[xs.length - 1];
}

interface Body {
  readonly stmts: Stmt[];
  readonly span: Span;
}

class AstBuilder {
  readonly diagnostics: Diagnostic[] = [];
  private readonly spans: Spans;
  private readonly exprs: ExprBuilder;
  private readonly atomBuilder: AtomBuilder;

  constructor(
    private readonly text: string,
    file: string,
  ) {
    this.spans = new Spans(file);
    this.exprs = new ExprBuilder(this.spans, (d) => this.diagnostics.push(d));
    this.atomBuilder = new AtomBuilder(this.spans, this.exprs, this.diagnostics);
  }

  decls(file: CstNode): Decl[] {
    return keep(nodes(file, 'decl'), (d): Decl | undefined => {
      const imp = node(d, 'importDecl');
      if (imp) return this.importDecl(imp);
      const model = node(d, 'modelDecl');
      if (model) return this.modelDecl(model);
      const block = node(d, 'blockDecl');
      return block && this.blockDecl(block);
    });
  }

  private importDecl(n: CstNode): Decl | undefined {
    const kw = token(n, 'Kw_import');
    const name = token(n, 'Identifier');
    const path = token(n, 'StringLit');
    const what = name ?? path;
    if (!kw || !what) return undefined;
    const span = this.spans.from(kw.startOffset, this.spans.token(what));
    if (name) return { kind: 'Import', target: { kind: 'Stdlib', name: name.image }, span };
    const value = T.stringValue(what.image, what.tokenType === T.StringLiteral);
    return { kind: 'Import', target: { kind: 'Path', path: value }, span };
  }

  private modelDecl(n: CstNode): Decl | undefined {
    const kw = token(n, 'Kw_model');
    const name = token(n, 'name');
    if (!kw || !name) return undefined;
    const base = token(n, 'base');
    const body = this.body(node(n, 'braceBody'));
    const span = this.spans.from(kw.startOffset, this.spans.token(name), body?.span);
    const model = {
      kind: 'Model' as const,
      name: this.spans.ident(name),
      body: body?.stmts ?? [],
      span,
    };
    return base ? { ...model, base: this.spans.ident(base) } : model;
  }

  private blockDecl(n: CstNode): Decl | undefined {
    const kw = token(n, 'Kw_block');
    const name = token(n, 'name');
    if (!kw || !name) return undefined;
    const params = keep(nodes(n, 'param'), (p) => this.param(p));
    const body = this.body(node(n, 'braceBody'));
    const span = this.spans.from(kw.startOffset, this.spans.token(name), body?.span);
    return { kind: 'Block', name: this.spans.ident(name), params, body: body?.stmts ?? [], span };
  }

  private param(n: CstNode): BlockParam | undefined {
    const name = token(n, 'Identifier');
    const type = token(n, 'ParamType') ?? token(n, 'typeName');
    if (!name || !type) return undefined;
    const typeSpan = this.spans.token(type);
    if (!(PARAM_TYPES as readonly string[]).includes(type.image)) {
      this.diagnostics.push(
        diag('CNN1021', `unknown parameter type \`${type.image}\``, {
          span: typeSpan,
          help: `a parameter is one of: ${PARAM_TYPES.map((t) => `\`${t}\``).join(', ')}`,
        }),
      );
      return undefined;
    }
    const param = { name: this.spans.ident(name), type: type.image as ParamType, typeSpan };
    if (count(n, 'Equals') === 0)
      return { ...param, span: this.spans.from(name.startOffset, typeSpan) };
    const value = this.exprs.expr(node(n, 'expr'));
    return (
      value && { ...param, default: value, span: this.spans.from(name.startOffset, value.span) }
    );
  }

  // ------------------------------------------------------------ statements

  /** `{ stmts }`; without its `}` (recovery) it ends with its last statement. */
  private body(n: CstNode | undefined): Body | undefined {
    const open = n && token(n, 'LBrace');
    if (!n || !open) return undefined;
    const stmts = keep(nodes(n, 'stmt'), (s) => this.stmt(s));
    const close = token(n, 'RBrace');
    const last = close ? this.spans.token(close) : stmts[stmts.length - 1]?.span;
    return { stmts, span: this.spans.from(open.startOffset, this.spans.token(open), last) };
  }

  private group(n: CstNode | undefined): GroupStmt | undefined {
    const body = this.body(n);
    return body && { kind: 'Group', body: body.stmts, span: body.span };
  }

  private stmt(n: CstNode): Stmt | undefined {
    const labels = n.children['label'];
    if (labels === undefined && n.children['head'] !== undefined) return this.simple(n); // the usual case
    const labelTok = token(n, 'label');
    if (labelTok === undefined && labels !== undefined) return undefined;
    const label = labelTok && this.spans.ident(labelTok);
    if (count(n, 'head') > 0) return this.simple(n, label);
    let inner: CstNode | undefined;
    if ((inner = node(n, 'group'))) {
      const group = this.group(inner);
      return group && labelled(group, label);
    }
    if ((inner = node(n, 'repeatStmt'))) return this.repeat(inner, label);
    if ((inner = node(n, 'residualStmt'))) return this.residual(inner, label);
    if ((inner = node(n, 'mergeStmt'))) return this.merge(inner, label);
    if ((inner = node(n, 'ifStmt'))) return this.ifStmt(inner);
    if ((inner = node(n, 'highwayStmt'))) return this.highway(inner, label);
    if ((inner = node(n, 'outputStmt'))) return this.output(inner);
    if ((inner = node(n, 'letStmt'))) return this.let(inner);
    if ((inner = node(n, 'freezeStmt'))) return this.freeze(inner);
    if ((inner = node(n, 'replaceStmt'))) return this.replace(inner);
    if ((inner = node(n, 'appendStmt'))) {
      const kw = token(inner, 'Kw_append');
      const body = this.body(node(inner, 'braceBody'));
      if (!kw) return undefined;
      return {
        kind: 'Append',
        body: body?.stmts ?? [],
        span: this.spans.from(kw.startOffset, body?.span),
      };
    }
    if ((inner = node(n, 'cutStmt'))) return this.cut(inner);
    if ((inner = node(n, 'budgetStmt'))) return this.budget(inner);
    inner = node(n, 'trainStmt');
    return inner && this.train(inner);
  }

  /** The simple statement inline in a `stmt` node: head, atoms, `with` bindings. */
  private simple(n: CstNode, label?: Ident): SimpleStmt | undefined {
    const headTok = token(n, 'head');
    if (!headTok) return undefined;
    const head = this.spans.ident(headTok);
    const atoms = this.atomBuilder.atoms(n);
    const bindingNodes = n.children['binding'] as CstNode[] | undefined;
    const bindings = bindingNodes ? keep(bindingNodes, (b) => this.binding(b)) : [];
    const span = this.spans.from(
      head.span.start,
      head.span,
      atoms[atoms.length - 1]?.span,
      bindings[bindings.length - 1]?.span,
    );
    return labelled({ kind: 'Simple' as const, head, atoms, with: bindings, span }, label);
  }

  /** `X = conv 64 3x3` / `R = relu` → a Simple headed by the name; `c2 = c * 2` → an Expr. */
  private binding(n: CstNode): LetBinding | undefined {
    const nameTok = token(n, 'Identifier');
    if (!nameTok) return undefined;
    const name = this.spans.ident(nameTok);
    const groupNode = node(n, 'group');
    if (groupNode) {
      const group = this.group(groupNode);
      return group && { name, value: group, span: this.spans.from(name.span.start, group.span) };
    }
    const valueNode = node(n, 'value');
    const ext = valueNode && this.exprs.exprExt(valueNode);
    if (!ext) return undefined;
    const value = ext.e;
    const atoms = this.atomBuilder.atoms(n);
    const end = atoms.length > 0 ? atoms[atoms.length - 1].span : this.spans.of(ext.start, ext.end);
    const span = this.spans.from(name.span.start, end);
    if (value.kind === 'Name') {
      const head: Ident = { kind: 'Ident', name: value.name, span: value.span };
      const simple: SimpleStmt = {
        kind: 'Simple',
        head,
        atoms,
        with: [],
        span: this.spans.from(ext.start, end),
      };
      return { name, value: simple, span };
    }
    if (atoms.length > 0) {
      this.diagnostics.push(
        diag(
          'CNN1001',
          'expected a layer or block name before the attributes, found an expression',
          {
            span: value.span,
            help: 'attributes follow a name, as in `conv 64 3x3`',
          },
        ),
      );
    }
    return { name, value: { kind: 'Expr', expr: value, span: value.span }, span };
  }

  private repeat(n: CstNode, label?: Ident): Stmt | undefined {
    const kw = token(n, 'Kw_repeat');
    const countExpr = this.exprs.expr(node(n, 'expr'));
    const indexTok = token(n, 'Identifier');
    if (!kw || !countExpr || (count(n, 'Kw_as') > 0 && !indexTok)) return undefined;
    const body = this.body(node(n, 'braceBody'));
    const index = indexTok && this.spans.ident(indexTok);
    const span = this.spans.from(kw.startOffset, countExpr.span, index?.span, body?.span);
    const stmt = { kind: 'Repeat' as const, count: countExpr, body: body?.stmts ?? [], span };
    return labelled(index ? { ...stmt, index } : stmt, label);
  }

  /** `if cond { … } [else { … } | else if …]`. */
  private ifStmt(n: CstNode): IfStmt | undefined {
    const kw = token(n, 'Kw_if');
    const test = this.exprs.expr(node(n, 'expr'));
    if (!kw || !test) return undefined;
    if (count(n, 'bare') > 0) return this.bareIf(n, kw, test);
    const then = this.body(node(n, 'body'));
    if (!then) return undefined;
    const stmt: IfStmt = {
      kind: 'If',
      test,
      then: then.stmts,
      span: this.spans.from(kw.startOffset, then.span),
    };
    if (count(n, 'Kw_else') === 0) return stmt;
    const other = node(n, 'otherwise');
    if (!other) return undefined;
    if (other.name === 'ifStmt') {
      const nested = this.ifStmt(other);
      return (
        nested && {
          ...stmt,
          otherwise: [nested],
          span: this.spans.from(kw.startOffset, nested.span),
        }
      );
    }
    const body = this.body(other);
    return (
      body && { ...stmt, otherwise: body.stmts, span: this.spans.from(kw.startOffset, body.span) }
    );
  }

  /**
   * `if c then relu else bn` or `if c relu` as a statement: one error (CNN1020), and the statement
   * kept as if it had braces so that nothing after it cascades.
   */
  private bareIf(n: CstNode, kw: IToken, test: Expr): IfStmt | undefined {
    const then = node(n, 'bare');
    const thenStmt = then && this.stmt(then);
    const elseNode = node(n, 'bareElse');
    const elseStmt = elseNode && this.stmt(elseNode);
    if (!thenStmt || (elseNode && !elseStmt)) return undefined;
    const thenTok = token(n, 'misplaced');
    const span = this.spans.from(kw.startOffset, thenStmt.span, elseStmt?.span);
    const expressionForm = thenTok !== undefined;
    this.diagnostics.push(
      diag(
        'CNN1020',
        expressionForm
          ? '`if … then … else …` is an expression; a statement `if` takes its bodies in braces'
          : 'the body of a statement `if` goes in braces',
        {
          span: expressionForm ? this.spans.token(thenTok) : thenStmt.span,
          help: `write \`if ${this.slice(test.span)} { ${this.slice(thenStmt.span)} }${elseStmt ? ` else { ${this.slice(elseStmt.span)} }` : ''}\``,
        },
      ),
    );
    const stmt: IfStmt = { kind: 'If', test, then: [thenStmt], span };
    return elseStmt ? { ...stmt, otherwise: [elseStmt] } : stmt;
  }

  private slice(span: Span): string {
    return this.text.slice(span.start, span.end);
  }

  private residual(n: CstNode, label?: Ident): Stmt | undefined {
    const kw = token(n, 'Kw_residual');
    if (!kw) return undefined;
    const body = this.body(node(n, 'body'));
    const stmt = {
      kind: 'Residual' as const,
      body: body?.stmts ?? [],
      span: this.spans.from(kw.startOffset, body?.span),
    };
    const scKw = token(n, 'Kw_shortcut');
    if (!scKw) return labelled(stmt, label);
    const when = count(n, 'Kw_when') > 0 ? this.exprs.expr(node(n, 'expr')) : undefined;
    if (count(n, 'Kw_when') > 0 && !when) return undefined;
    const scBody = this.body(node(n, 'shortcut'));
    const scSpan = this.spans.from(
      scKw.startOffset,
      this.spans.token(scKw),
      when?.span,
      scBody?.span,
    );
    const shortcut = { ...(when ? { when } : {}), body: scBody?.stmts ?? [], span: scSpan };
    return labelled({ ...stmt, shortcut, span: this.spans.from(kw.startOffset, scSpan) }, label);
  }

  private merge(n: CstNode, label?: Ident): Stmt | undefined {
    const opTok = token(n, 'MergeOp');
    if (!opTok) return undefined;
    const op = opTok.image as 'concat' | 'add' | 'multiply';
    const branches = keep(nodes(n, 'branch'), (b): Branch | undefined => {
      const kw = token(b, 'Kw_branch');
      const branchLabel = token(b, 'label');
      if (!kw || (count(b, 'label') > 0 && !branchLabel)) return undefined;
      const body = this.body(node(b, 'braceBody'));
      const from = this.reference(b);
      if (from === null) return undefined;
      if (!from && !body) {
        this.diagnostics.push(
          diag('CNN1004', 'expected `{` after `branch`', {
            span: this.spans.token(kw),
            help: 'write `branch { … }`, or `branch from NAME` to read an earlier labelled layer',
          }),
        );
        return undefined;
      }
      const branch: Branch = {
        body: body?.stmts ?? [],
        span: this.spans.from(kw.startOffset, this.spans.token(kw), from?.span, body?.span),
        ...(from ? { from } : {}),
        ...(from && !body ? { noBody: true as const } : {}),
      };
      return branchLabel ? { ...branch, label: this.spans.ident(branchLabel) } : branch;
    });
    // One error per run of statements between branches (`concat { conv 3, relu }` is one mistake).
    let reportedEnd = -1;
    for (const m of nodes(n, 'misplaced')) {
      const stmtSpan = this.stmt(m)?.span;
      if (!stmtSpan) continue;
      const first =
        reportedEnd < 0 ||
        branches.some((b) => b.span.start > reportedEnd && b.span.start < stmtSpan.start);
      reportedEnd = stmtSpan.end;
      if (!first) continue;
      this.diagnostics.push(
        diag('CNN1001', `expected \`branch { ... }\` inside \`${op}\`, found a statement`, {
          span: stmtSpan,
          help: `each path of \`${op}\` is written \`branch { ... }\``,
        }),
      );
    }
    const close = token(n, 'RBrace');
    const span = this.spans.from(
      opTok.startOffset,
      this.spans.token(opTok),
      close && this.spans.token(close),
      branches[branches.length - 1]?.span,
    );
    return labelled(
      { kind: 'Merge' as const, op, opSpan: this.spans.token(opTok), branches, span },
      label,
    );
  }

  private let(n: CstNode): Stmt | undefined {
    const kw = token(n, 'Kw_let');
    const bindings = keep(nodes(n, 'binding'), (b) => this.binding(b));
    if (!kw || bindings.length === 0) return undefined;
    return {
      kind: 'Let',
      bindings,
      span: this.spans.from(kw.startOffset, bindings[bindings.length - 1].span),
    };
  }

  private freeze(n: CstNode): Stmt | undefined {
    const kw = token(n, 'FreezeKw');
    const targets = keep(nodes(n, 'target'), (t) => this.target(t));
    if (!kw || targets.length === 0) return undefined;
    const span = this.spans.from(kw.startOffset, targets[targets.length - 1].span);
    return { kind: 'Freeze', freeze: kw.tokenType === T.Freeze, targets, span };
  }

  /**
   * The `from NAME` of a branch: undefined without one, null when malformed (reported). A reference
   * is a label or a dotted path of labels (`enc3`, `down.pool`), never a glob or a range.
   */
  private reference(b: CstNode): Target | undefined | null {
    const fromTok = token(b, 'Kw_from');
    if (!fromTok) return undefined;
    const target = this.target(node(b, 'ref'));
    if (!target) return null;
    if (!/^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z0-9_]+)*$/.test(target.raw)) {
      this.diagnostics.push(
        diag('CNN1010', `\`${target.raw}\` is not a layer name`, {
          span: target.span,
          help: 'a `from` reference names one earlier labelled layer or scope: `branch from enc3`',
        }),
      );
      return null;
    }
    return target;
  }

  /** `output NAME [from REF] [{ … }]`. */
  private output(n: CstNode): Stmt | undefined {
    const kw = token(n, 'word');
    const nameTok = token(n, 'name');
    if (!kw || !nameTok) return undefined;
    const from = this.reference(n);
    if (from === null) return undefined;
    const body = this.body(node(n, 'braceBody'));
    if (count(n, 'braceBody') > 0 && !body) return undefined;
    const name = this.spans.ident(nameTok);
    const span = this.spans.from(kw.startOffset, name.span, from?.span, body?.span);
    return {
      kind: 'Output',
      name,
      ...(from ? { from } : {}),
      ...(body ? { body: body.stmts } : {}),
      span,
    };
  }

  /** `highway { transform { … } gate { … } }`: a Merge whose branches are the transform, the gate. */
  private highway(n: CstNode, label?: Ident): Stmt | undefined {
    const kw = token(n, 'Kw_highway');
    if (!kw) return undefined;
    const found = new Map<string, Branch>();
    for (const part of nodes(n, 'highwayPart')) {
      const word = token(part, 'word');
      const body = this.body(node(part, 'braceBody'));
      if (!word || !body) continue;
      const span = this.spans.from(word.startOffset, this.spans.token(word), body.span);
      if (word.image !== 'transform' && word.image !== 'gate') {
        this.diagnostics.push(
          diag('CNN1011', `\`${word.image}\` is not a part of \`highway\``, {
            span: this.spans.token(word),
            help: 'a highway has two parts: `transform { … }` (H) and `gate { … }` (T)',
          }),
        );
        continue;
      }
      if (found.has(word.image)) {
        this.diagnostics.push(
          diag('CNN1011', `\`highway\` has two \`${word.image}\` parts`, {
            span: this.spans.token(word),
            labels: [{ span: found.get(word.image)!.span, message: 'the first one' }],
          }),
        );
        continue;
      }
      found.set(word.image, { body: body.stmts, span });
    }
    const close = token(n, 'RBrace');
    const span = this.spans.from(
      kw.startOffset,
      this.spans.token(kw),
      close && this.spans.token(close),
    );
    const transform = found.get('transform');
    const gate = found.get('gate');
    if (!transform || !gate) {
      const missing = transform ? 'gate' : 'transform';
      this.diagnostics.push(
        diag('CNN1011', `\`highway\` needs a \`${missing}\` part`, {
          span: this.spans.token(kw),
          help: 'write `highway { transform { … } gate { … } }`: out = T·H(x) + (1 − T)·x',
        }),
      );
      return undefined;
    }
    const opSpan = this.spans.token(kw);
    return labelled(
      { kind: 'Merge' as const, op: 'highway' as const, opSpan, branches: [transform, gate], span },
      label,
    );
  }

  private target(n: CstNode | undefined): Target | undefined {
    const parts: IToken[] = n ? tokens(n, 'TargetPart') : [];
    if (parts.length === 0) return undefined;
    const span = this.spans.join(
      this.spans.token(parts[0]),
      this.spans.token(parts[parts.length - 1]),
    );
    return { raw: this.text.slice(span.start, span.end), span };
  }

  private replace(n: CstNode): Stmt | undefined {
    const kw = token(n, 'Kw_replace');
    const target = this.target(node(n, 'target'));
    if (!kw || !target) return undefined;
    const body = this.body(node(n, 'braceBody'));
    const span = this.spans.from(kw.startOffset, target.span, body?.span);
    return { kind: 'Replace', target, body: body?.stmts ?? [], span };
  }

  /** `cut after NAME` / `cut before NAME`; a missing or other word is reported, `after` assumed. */
  private cut(n: CstNode): Stmt | undefined {
    const kw = token(n, 'Kw_cut');
    const target = this.target(node(n, 'target'));
    if (!kw || !target) return undefined;
    const word = token(n, 'where');
    if (!word && (target.raw === 'after' || target.raw === 'before')) {
      this.diagnostics.push(
        diag('CNN1004', `expected a layer name after \`cut ${target.raw}\``, {
          span: target.span,
          help: `write \`cut ${target.raw} NAME\`, e.g. \`cut after block_13_expand_relu\``,
        }),
      );
      return undefined;
    }
    if (word?.image !== 'after' && word?.image !== 'before') {
      this.diagnostics.push(
        diag(
          'CNN1001',
          word
            ? `expected \`after\` or \`before\` after \`cut\`, found \`${word.image}\``
            : `expected \`after\` or \`before\` after \`cut\`, found \`${target.raw}\``,
          {
            span: word ? this.spans.token(word) : target.span,
            help: '`cut after NAME` keeps the layer NAME and drops what follows; `cut before NAME` drops NAME too',
          },
        ),
      );
    }
    const where = word?.image === 'before' ? 'before' : 'after';
    return { kind: 'Cut', where, target, span: this.spans.from(kw.startOffset, target.span) };
  }

  private budget(n: CstNode): Stmt | undefined {
    const kw = token(n, 'Kw_budget');
    const limits = keep(nodes(n, 'limit'), (l): BudgetLimit | undefined => {
      const metric = token(l, 'Identifier');
      const op = token(l, 'LimitOp');
      const value = this.exprs.expr(node(l, 'expr'));
      if (!metric || !op || !value) return undefined;
      const span = this.spans.from(metric.startOffset, value.span);
      return { metric: this.spans.ident(metric), op: op.image as '<=' | '<', value, span };
    });
    if (!kw || limits.length === 0) return undefined;
    return {
      kind: 'Budget',
      limits,
      span: this.spans.from(kw.startOffset, limits[limits.length - 1].span),
    };
  }

  /** `train { ... }` holds settings only: other statements are reported and dropped. */
  private train(n: CstNode): Stmt | undefined {
    const kw = token(n, 'Kw_train');
    const tb = node(n, 'trainBody');
    if (!kw) return undefined;
    const open = tb && token(tb, 'LBrace');
    if (!tb || !open) return { kind: 'Train', body: [], span: this.spans.token(kw) };
    const settings = nodes(tb, 'setting').flatMap((s) => this.setting(s));
    const misplaced = keep(nodes(tb, 'misplaced'), (s) => this.stmt(s));
    const close = token(tb, 'RBrace');
    const last = close
      ? this.spans.token(close)
      : [...settings, ...misplaced].reduce<Span | undefined>(
          (a, s) => (a === undefined || s.span.end > a.end ? s.span : a),
          undefined,
        );
    const span = this.spans.from(kw.startOffset, this.spans.token(open), last);
    for (const s of misplaced) {
      const what = s.kind === 'Group' ? 'group `{ ... }`' : `\`${s.kind.toLowerCase()}\` statement`;
      this.diagnostics.push(
        diag('CNN1001', `expected a setting like \`lr 0.1\` in \`train\`, found a ${what}`, {
          span: s.span,
          help:
            s.kind === 'Freeze'
              ? 'to unfreeze layers during training, write `at epoch 3 unfreeze stage4`'
              : '`train { ... }` holds settings only, one per line: `optimizer sgd`, `lr 0.1`',
        }),
      );
    }
    return { kind: 'Train', body: settings, span };
  }

  /**
   * A training setting: a simple statement whose atoms may also be layer patterns and
   * `freeze`/`unfreeze` words (Value atoms holding a Name with their text), in source order. Each
   * `, PATTERN RATE` after `lr PATTERN RATE` is a setting of its own, headed by the same `lr` and
   * spanning its pair, so that what is said about a group points at it.
   */
  private setting(n: CstNode): SimpleStmt[] {
    const headTok = token(n, 'head');
    if (!headTok) return [];
    const head = this.spans.ident(headTok);
    const words: Atom[] = [];
    for (const p of nodes(n, 'pattern')) {
      const t = this.target(p);
      if (t)
        words.push({
          kind: 'Value',
          value: { kind: 'Name', name: t.raw, span: t.span },
          span: t.span,
        });
    }
    for (const w of tokens(n, 'word')) {
      const span = this.spans.token(w);
      words.push({ kind: 'Value', value: { kind: 'Name', name: w.image, span }, span });
    }
    const plain = this.atomBuilder.atoms(n);
    const atoms =
      words.length === 0 ? plain : [...plain, ...words].sort((a, b) => a.span.start - b.span.start);
    const out: SimpleStmt[] = [];
    let rest = atoms;
    let start = head.span.start;
    for (const comma of tokens(n, 'more')) {
      const at = rest.findIndex((a) => a.span.start > comma.startOffset);
      const mine = at < 0 ? rest : rest.slice(0, at);
      const span = this.spans.from(start, out.length ? undefined : head.span, last(mine)?.span);
      out.push({ kind: 'Simple', head, atoms: mine, with: [], span });
      rest = at < 0 ? [] : rest.slice(at);
      start = rest[0]?.span.start ?? comma.startOffset + 1;
    }
    const span = this.spans.from(start, out.length ? undefined : head.span, last(rest)?.span);
    out.push({ kind: 'Simple', head, atoms: rest, with: [], span });
    return out;
  }
}
