/**
 * The copies of the op table that other files hold, generated from OPS (op-table.ts): the op table
 * of docs/language.md and the op enum of docs/ir.schema.json. test/docs/op-table-doc.test.ts
 * compares them with the files and rewrites them with UPDATE_BASELINES=1.
 */
import { OP_KINDS, type OpKind } from '../ir/ops.js';
import { defaultText, OPS, type OpSpec } from './op-table.js';

/** The IR schema's op enum: every op kind, in OP_KINDS order. */
export function schemaOpEnum(): string[] {
  return [...OP_KINDS];
}

const code = (s: string) => `\`${s}\``;
const cell = (s: string) => s.replace(/\|/g, '\\|');

/** `conv` (`conv2d`) */
function statementText(spec: OpSpec): string {
  const aliases = spec.aliases.length ? ` (${spec.aliases.map(code).join(', ')})` : '';
  return `${code(spec.keyword)}${aliases}`;
}

/** Valued keywords (with the attribute they set when it has another name), then flags. */
function keywordsText(spec: OpSpec): string {
  const out: string[] = [];
  const aliasesOf = (attr: string) =>
    Object.entries(spec.keywords)
      .filter(([, a]) => a === attr)
      .map(([w]) => w);
  for (const name of Object.keys(spec.attrs)) {
    if (spec.positional.includes(name)) continue;
    const words = [...aliasesOf(name), name].map(code).join(' / ');
    out.push(words);
  }
  if (spec.strideAttr) out.push('`/s`');
  // Flags that are not also an attribute's name (`bias` is both).
  const flags = Object.keys(spec.flags).filter((f) => !Object.hasOwn(spec.attrs, f));
  if (flags.length) out.push(flags.map(code).join(' '));
  return out.join(', ');
}

function defaultsText(spec: OpSpec): string {
  return Object.entries(spec.attrs)
    .flatMap(([name, a]) => {
      if (a.default !== undefined) return [`${name} ${defaultText(a.default)}`];
      const shown = a.doc.match(/\(default (.+)\)$/);
      return shown ? [`${name}: ${shown[1]}`] : [];
    })
    .join(', ');
}

const HEADER = [
  '| statement | what | IR op | positional | keywords and flags | defaults |',
  '| --- | --- | --- | --- | --- | --- |',
];

/**
 * One row per statement keyword (the activations without attributes share one), then one per op
 * that has its own syntax (the merges). Unformatted: the test formats it with prettier.
 */
export function opTableMarkdown(): string {
  const rows: string[] = [];
  const row = (cells: readonly string[]) => rows.push(`| ${cells.map(cell).join(' | ')} |`);
  for (const op of OP_KINDS) {
    const def = OPS[op as OpKind];
    const plain = def.statements.filter(
      (s) => s.op === 'activation' && Object.keys(s.attrs).length === 0,
    );
    for (const spec of def.statements) {
      if (plain.includes(spec)) {
        if (spec !== plain[0]) continue;
        row([plain.map(statementText).join(' '), def.doc, op, '', '', '']);
        continue;
      }
      row([
        statementText(spec),
        spec.doc,
        op,
        spec.positional.join(', '),
        keywordsText(spec),
        defaultsText(spec),
      ]);
    }
    if (def.syntax) row([def.syntax, def.doc, op, '', '', '']);
  }
  return [...HEADER, ...rows].join('\n');
}

export const OP_TABLE_START =
  '<!-- op-table: generated from compiler/sema/op-table.ts by test/docs/op-table-doc.test.ts; DO NOT EDIT, run `UPDATE_BASELINES=1 npx vitest run test/docs/op-table-doc.test.ts` -->';
export const OP_TABLE_END = '<!-- /op-table -->';
