/**
 * The limits on what one compilation may expand to, so that a hostile or mistaken program ends in a
 * diagnostic instead of exhausting time, memory or the stack (docs/security.md lists them all).
 * Each is checked before the memory is spent: elaboration stops adding nodes at the limit.
 */
import { diag, type Diagnostic, type Span } from '../diagnostics/diagnostic.js';

/** Nodes of one model (CNN2027). */
export const MAX_NODES = 200_000;
/**
 * Nodes of one compilation: every model of the file and the trial elaborations of derived models
 * together (CNN2027). About 3 s and 600 MB of compiler memory on the 2-core machine of
 * /work/shared/NOTES.md.
 */
export const MAX_TOTAL_NODES = 500_000;
/**
 * Characters of the node names of one model (CNN2027): names repeat every label above them, and
 * the IR, summaries and reports print each, so this bounds what they print (V8's strings stop at
 * 2^29 characters).
 */
export const MAX_NAME_CHARS = 2 ** 26;
/** Block calls, `let` expansions and nested groups, repeats, residuals and merges (CNN2028). */
export const MAX_EXPANSION_DEPTH = 200;
/** A repeat count above this is reported as absurd (CNN2018). */
export const MAX_REPEAT = 10_000;

/**
 * Statements elaborated in one compilation, all models together (CNN2027): statements that make
 * no node (freeze markers, train settings, budgets) are not counted as nodes, and a chain of
 * derived models that each add one gives its n-th model n of them.
 */
export const MAX_TOTAL_STATEMENTS = 1_000_000;

/** The nodes and statements elaborated so far in one compilation. */
export class ElaborationBudget {
  used = 0;
  statements = 0;
  constructor(
    readonly limit = MAX_TOTAL_NODES,
    readonly statementLimit = MAX_TOTAL_STATEMENTS,
  ) {}

  get spent(): boolean {
    return this.used >= this.limit || this.statements >= this.statementLimit;
  }
}

const count = (n: number) => n.toLocaleString('en-US');

/** Why a model can take no more nodes, or undefined while it can. */
export function expansionLimit(
  nodes: number,
  nameChars: number,
  budget: ElaborationBudget,
): string | undefined {
  if (nodes >= MAX_NODES) return `the model expands to more than ${count(MAX_NODES)} layers`;
  if (budget.used >= budget.limit)
    return `the models of this file expand to more than ${count(budget.limit)} layers in all`;
  if (budget.statements >= budget.statementLimit)
    return `the models of this file expand to more than ${count(budget.statementLimit)} statements in all`;
  if (nameChars > MAX_NAME_CHARS)
    return `the names of the model's layers add up to more than ${count(MAX_NAME_CHARS)} characters`;
  return undefined;
}

export function expansionTooLarge(message: string, span: Span): Diagnostic {
  return diag('CNN2027', message, {
    span,
    help: message.includes('names')
      ? 'shorten the labels of the groups around repeated layers'
      : 'check repeat counts and recursive expansions',
  });
}

export function expansionTooDeep(span: Span): Diagnostic {
  return diag(
    'CNN2028',
    `expansion nests deeper than ${MAX_EXPANSION_DEPTH} levels of block calls, \`let\` bindings and groups`,
    {
      span,
      help: 'a block that calls a block that calls a block … this deep is a generated file gone wrong',
    },
  );
}
