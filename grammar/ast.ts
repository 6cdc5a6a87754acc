/**
 * The syntax tree of a .cnn file: readonly discriminated unions switched on `kind`, no behaviour, no
 * semantics. Every node carries the span of the text it came from. Built by cst-to-ast.ts.
 *
 * A "simple statement" (`conv 64 3x3 /2 pad 1 nobias`, `basic(128, 2)`, `CRCRP with C = ...`) is kept
 * as a head identifier plus a list of atoms; whether the head is an op, a block call or a letter
 * pattern, and which atoms are keywords, is decided by the compiler, which knows the op tables.
 */
import type { Span } from '../compiler/diagnostics/diagnostic.js';

export interface Ident {
  readonly kind: 'Ident';
  readonly name: string;
  readonly span: Span;
}

// ---------------------------------------------------------------- expressions

export type BinaryOp =
  '+' | '-' | '*' | '/' | '//' | '%' | '==' | '!=' | '<' | '<=' | '>' | '>=' | 'and' | 'or';

/** One dimension of a dims literal: a number, a symbol (`H`), or unknown (`?`). */
export type DimPart =
  | { readonly kind: 'num'; readonly value: number }
  | { readonly kind: 'sym'; readonly name: string }
  | { readonly kind: 'unknown' };

export type Expr =
  | { readonly kind: 'Number'; readonly value: number; readonly raw: string; readonly span: Span }
  | { readonly kind: 'String'; readonly value: string; readonly span: Span }
  | { readonly kind: 'Bool'; readonly value: boolean; readonly span: Span }
  /** `5x5`, `224x224x3`, `?x?x3`, `HxWx3`. */
  | {
      readonly kind: 'Dims';
      readonly parts: readonly DimPart[];
      readonly raw: string;
      readonly span: Span;
    }
  | { readonly kind: 'Name'; readonly name: string; readonly span: Span }
  /** `in`, the input of the enclosing residual/block, used as `in.channels`. */
  | { readonly kind: 'In'; readonly span: Span }
  | { readonly kind: 'Member'; readonly object: Expr; readonly member: Ident; readonly span: Span }
  | {
      readonly kind: 'Unary';
      readonly op: '-' | 'not';
      readonly operand: Expr;
      readonly span: Span;
    }
  | {
      readonly kind: 'Binary';
      readonly op: BinaryOp;
      readonly left: Expr;
      readonly right: Expr;
      readonly span: Span;
    }
  /** `if cond then a else b` */
  | {
      readonly kind: 'Cond';
      readonly test: Expr;
      readonly then: Expr;
      readonly otherwise: Expr;
      readonly span: Span;
    }
  /** `max(a, b)`, `round(x)`: a built-in function (parser-expr.ts's BUILTIN_FUNCTIONS). */
  | {
      readonly kind: 'Call';
      readonly callee: Ident;
      readonly args: readonly Arg[];
      readonly span: Span;
    }
  /** `(a, b, name = c)`; a single parenthesised expression without a comma is not a tuple. */
  | { readonly kind: 'Tuple'; readonly items: readonly Arg[]; readonly span: Span };

/** A tuple item or call argument, optionally named: `n = 2`. */
export interface Arg {
  readonly name?: Ident;
  readonly value: Expr;
  readonly span: Span;
}

// ---------------------------------------------------------------- attributes

/**
 * An atom after a statement head:
 * - `Stride`: the shorthand `/2` (a slash with a space before it and none after);
 * - `Named`: `stride=2` (explicit form);
 * - `Value`: any expression; a bare Name may turn out to be a keyword (`same`, `nobias`, `pad`).
 */
export type Atom =
  | { readonly kind: 'Stride'; readonly value: Expr; readonly span: Span }
  | { readonly kind: 'Named'; readonly name: Ident; readonly value: Expr; readonly span: Span }
  | { readonly kind: 'Value'; readonly value: Expr; readonly span: Span };

// ---------------------------------------------------------------- statements

/** `head atoms...` possibly followed by `with X = ..., Y = ...` (letter patterns). */
export interface SimpleStmt {
  readonly kind: 'Simple';
  readonly head: Ident;
  readonly atoms: readonly Atom[];
  readonly with: readonly LetBinding[];
  readonly label?: Ident;
  readonly span: Span;
}

/** `{ stmts }`, usually labelled: `stem: { ... }`. */
export interface GroupStmt {
  readonly kind: 'Group';
  readonly body: readonly Stmt[];
  readonly label?: Ident;
  readonly span: Span;
}

/** `repeat n { ... }` or `repeat n as i { ... }`. */
export interface RepeatStmt {
  readonly kind: 'Repeat';
  readonly count: Expr;
  readonly index?: Ident;
  readonly body: readonly Stmt[];
  readonly label?: Ident;
  readonly span: Span;
}

/** `residual { body } shortcut when cond { projection }`. */
export interface ResidualStmt {
  readonly kind: 'Residual';
  readonly body: readonly Stmt[];
  readonly shortcut?: {
    readonly when?: Expr;
    readonly body: readonly Stmt[];
    readonly span: Span;
  };
  readonly label?: Ident;
  readonly span: Span;
}

/**
 * `if cond { … } else { … }`: one of two bodies, chosen when the model is elaborated (the condition
 * uses block parameters, `in`, lets). `else if` is an `otherwise` holding one If statement.
 */
export interface IfStmt {
  readonly kind: 'If';
  readonly test: Expr;
  readonly then: readonly Stmt[];
  readonly otherwise?: readonly Stmt[];
  readonly span: Span;
}

/**
 * `concat { branch {...} branch {...} }`, likewise `add` and `multiply`; and
 * `highway { transform {...} gate {...} }`, whose branches are always the transform, then the gate.
 */
export interface MergeStmt {
  readonly kind: 'Merge';
  readonly op: 'concat' | 'add' | 'multiply' | 'highway';
  readonly opSpan: Span;
  readonly branches: readonly Branch[];
  readonly label?: Ident;
  readonly span: Span;
}

export interface Branch {
  readonly body: readonly Stmt[];
  readonly label?: Ident;
  /** `branch from NAME { … }`: the branch starts from an earlier labelled layer, not the input. */
  readonly from?: Target;
  /** `branch from NAME` written without `{ … }` (then `body` is empty). */
  readonly noBody?: true;
  readonly span: Span;
}

/**
 * `output NAME` (the value so far is an output), `output NAME from REF` (an earlier labelled
 * layer's), `output NAME { … }` / `output NAME from REF { … }` (a head on it, whose layers are named
 * under NAME). The statement passes its input through: the main path goes on after it.
 */
export interface OutputStmt {
  readonly kind: 'Output';
  readonly name: Ident;
  readonly from?: Target;
  /** Absent when written without `{ … }`. */
  readonly body?: readonly Stmt[];
  readonly span: Span;
}

/** `let C = conv 32 3x3 same, R = relu` or `let c2 = c * 2`. */
export interface LetStmt {
  readonly kind: 'Let';
  readonly bindings: readonly LetBinding[];
  readonly span: Span;
}

/** The right-hand side is a simple statement (a layer, a call, or just an expression) or a group. */
export interface LetBinding {
  readonly name: Ident;
  readonly value:
    SimpleStmt | GroupStmt | { readonly kind: 'Expr'; readonly expr: Expr; readonly span: Span };
  readonly span: Span;
}

/** A freeze/unfreeze target: a dotted name, a glob (`block_1*`), or a range (`..stage3`, `a..b`). */
export interface Target {
  /** The text as written, e.g. `stage2.0.conv1`, `block_1*`, `..stage3`. */
  readonly raw: string;
  readonly span: Span;
}

/** `freeze stem, stage1` / `unfreeze stage4`. */
export interface FreezeStmt {
  readonly kind: 'Freeze';
  readonly freeze: boolean;
  readonly targets: readonly Target[];
  readonly span: Span;
}

/** `replace head { ... }` */
export interface ReplaceStmt {
  readonly kind: 'Replace';
  readonly target: Target;
  readonly body: readonly Stmt[];
  readonly span: Span;
}

/** `append { ... }` */
export interface AppendStmt {
  readonly kind: 'Append';
  readonly body: readonly Stmt[];
  readonly span: Span;
}

/** `cut after block_13.expand_relu` (keep the layer) / `cut before head` (drop it too). */
export interface CutStmt {
  readonly kind: 'Cut';
  readonly where: 'after' | 'before';
  readonly target: Target;
  readonly span: Span;
}

/** `budget params <= 30M, macs <= 5G, memory <= 2GiB`. */
export interface BudgetStmt {
  readonly kind: 'Budget';
  readonly limits: readonly BudgetLimit[];
  readonly span: Span;
}

export interface BudgetLimit {
  readonly metric: Ident;
  readonly op: '<=' | '<';
  readonly value: Expr;
  readonly span: Span;
}

/**
 * `train { optimizer sgd lr 0.01 ... }`: settings, each a simple statement whose atoms are values.
 * In a setting, a layer pattern (`stage2.0`, `block_1*`, `..stage3`) and the words `freeze` and
 * `unfreeze` are Value atoms holding a Name with that text, and each pair after a comma in
 * `lr a 1e-4, b 1e-3` is an `lr` setting of its own whose span is the pair (`b 1e-3`);
 * compiler/passes/fine-tune.ts and runtime/train/config.ts give them meaning.
 */
export interface TrainStmt {
  readonly kind: 'Train';
  readonly body: readonly SimpleStmt[];
  readonly span: Span;
}

export type Stmt =
  | SimpleStmt
  | GroupStmt
  | RepeatStmt
  | ResidualStmt
  | MergeStmt
  | LetStmt
  | FreezeStmt
  | ReplaceStmt
  | AppendStmt
  | CutStmt
  | BudgetStmt
  | TrainStmt
  | IfStmt
  | OutputStmt;

// ---------------------------------------------------------------- top level

export interface ImportDecl {
  readonly kind: 'Import';
  /** `import resnet` (a stdlib module) or `import "./layers.cnn"` (a path relative to this file). */
  readonly target:
    | { readonly kind: 'Stdlib'; readonly name: string }
    | { readonly kind: 'Path'; readonly path: string };
  readonly span: Span;
}

export interface ModelDecl {
  readonly kind: 'Model';
  readonly name: Ident;
  /** `model Digits = ResNet18 { ... }` */
  readonly base?: Ident;
  readonly body: readonly Stmt[];
  readonly span: Span;
}

/** `dims`: a size per axis, `3x3`, `(3, 1)` or one number for every axis. */
export const PARAM_TYPES = ['int', 'float', 'bool', 'string', 'dims'] as const;
export type ParamType = (typeof PARAM_TYPES)[number];

export interface BlockParam {
  readonly name: Ident;
  readonly type: ParamType;
  readonly typeSpan: Span;
  readonly default?: Expr;
  readonly span: Span;
}

export interface BlockDecl {
  readonly kind: 'Block';
  readonly name: Ident;
  readonly params: readonly BlockParam[];
  readonly body: readonly Stmt[];
  readonly span: Span;
}

export type Decl = ImportDecl | ModelDecl | BlockDecl;

export interface FileAst {
  readonly kind: 'File';
  readonly file: string;
  readonly decls: readonly Decl[];
  readonly span: Span;
}

/** A comment: not part of the tree (parseFileWithComments returns them beside it). */
export interface Comment {
  readonly kind: 'LineComment' | 'BlockComment';
  /** The text as written, with its `//`, or its `/*` and `*\/`. */
  readonly text: string;
  readonly span: Span;
}

export function assertNever(x: never): never {
  throw new Error(`unexpected value: ${JSON.stringify(x)}`);
}
