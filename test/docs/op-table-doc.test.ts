/**
 * The copies of the op table (compiler/sema/op-table.ts's OPS) that docs hold are generated
 * (compiler/sema/op-docs.ts): docs/language.md's op table, between its op-table markers, and
 * docs/ir.schema.json's op enum. UPDATE_BASELINES=1 rewrites them; otherwise the test fails when
 * either is stale.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as prettier from 'prettier';
import { expect, it } from 'vitest';
import {
  OP_TABLE_END,
  OP_TABLE_START,
  opTableMarkdown,
  schemaOpEnum,
} from '../../compiler/sema/op-docs.js';
import { REPO } from '../helpers/memory-host.js';

const update = process.env.UPDATE_BASELINES === '1';
const FORMAT = { printWidth: 100, singleQuote: true, trailingComma: 'all' } as const;

it('docs/language.md has the op table that op-table.ts generates', async () => {
  const file = path.join(REPO, 'docs', 'language.md');
  const text = fs.readFileSync(file, 'utf8');
  const start = text.indexOf(OP_TABLE_START);
  const end = text.indexOf(OP_TABLE_END);
  expect(start, 'the op-table start marker').toBeGreaterThanOrEqual(0);
  expect(end, 'the op-table end marker').toBeGreaterThan(start);
  const spliced =
    text.slice(0, start) + `${OP_TABLE_START}\n\n${opTableMarkdown()}\n\n` + text.slice(end);
  const want = await prettier.format(spliced, { ...FORMAT, parser: 'markdown' });
  if (update && want !== text) fs.writeFileSync(file, want);
  else expect(text).toBe(want);
});

it('docs/ir.schema.json has every op kind in its op enum', async () => {
  const file = path.join(REPO, 'docs', 'ir.schema.json');
  const text = fs.readFileSync(file, 'utf8');
  const schema = JSON.parse(text) as {
    $defs: { node: { properties: { op: { enum: string[] } } } };
  };
  schema.$defs.node.properties.op.enum = schemaOpEnum();
  const want = await prettier.format(JSON.stringify(schema), { ...FORMAT, parser: 'json' });
  if (update && want !== text) fs.writeFileSync(file, want);
  else expect(text).toBe(want);
});

it('docs/ir.schema.json describes the attributes of every op that has some', () => {
  const schema = JSON.parse(fs.readFileSync(path.join(REPO, 'docs', 'ir.schema.json'), 'utf8')) as {
    $defs: {
      node: {
        allOf: { if?: { properties?: { op?: { const?: string; enum?: string[] } } } }[];
      };
    };
  };
  const described = new Set(
    schema.$defs.node.allOf.flatMap((c) => {
      const op = c.if?.properties?.op;
      return op ? (op.enum ?? [op.const ?? '']) : [];
    }),
  );
  // The ops whose IR attributes are empty (compiler/ir/ops.ts's EmptyAttrs).
  const attrless = ['flatten', 'add', 'multiply', 'highway'];
  expect(schemaOpEnum().filter((op) => !described.has(op) && !attrless.includes(op))).toEqual([]);
});
