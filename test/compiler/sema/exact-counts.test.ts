/**
 * Counts above 2^53 keep every digit (compiler/sema/count.ts): parameters, MACs and bytes in the
 * summary, its JSON and the IR's JSON, budgets compare exactly, and a model beyond any machine is a
 * warning (CNN4013). The expected digits are computed with BigInt from the sizes.
 */
import Ajv2020 from 'ajv/dist/2020.js';
import * as fs from 'node:fs';
import { describe, expect, it } from 'vitest';
import { irToJson } from '../../../compiler/ir/json.js';
import { sourceMapOf } from '../../../compiler/diagnostics/source-file.js';
import { summaryJson, summaryTable } from '../../../compiler/report/summary.js';
import { addCounts, exact, mulCounts, productCount } from '../../../compiler/sema/count.js';
import { REPO } from '../../helpers/memory-host.js';
import { compile, model } from '../elaborate/helpers.js';

const P = 999_999_937n; // a prime: no power of two divides it, so doubles round its products
const digits = (n: bigint) => n.toLocaleString('en-US');

describe('exact arithmetic', () => {
  it('stays a number while safe and becomes a bigint beyond', () => {
    expect(mulCounts(2 ** 26, 2 ** 26)).toBe(2 ** 52);
    expect(mulCounts(2 ** 27, 2 ** 27)).toBe(2n ** 54n);
    expect(addCounts(Number.MAX_SAFE_INTEGER, 1)).toBe(2n ** 53n);
    expect(exact(5n)).toBe(5);
    expect(productCount([Number(P), Number(P), 3])).toBe(P * P * 3n);
  });
});

describe('a model with more than 2^53 MACs and bytes', () => {
  const text = `model M {\n  input ${P}x${P}x3\n  conv 64 3x3 same\n}\n`;
  const macs = P * P * 64n * 3n * 9n;
  const inputBytes = P * P * 3n * 4n;
  const activationBytes = P * P * 64n * 4n;

  it('has exact totals in the summary', () => {
    const m = model(text);
    const s = m.summary!;
    expect(s.macs).toBe(macs);
    expect(s.layers[1].macs).toBe(macs);
    expect(s.memory.inputPerSampleBytes).toBe(inputBytes);
    expect(s.memory.activationsPerSampleBytes).toBe(activationBytes);
    expect(s.memory.training.totalBytes).toBe(inputBytes + activationBytes + 1792n * 4n * 3n);
  });

  it('prints every digit in the table, and strings of digits in JSON', () => {
    const m = model(text);
    const sources = sourceMapOf([]);
    const table = summaryTable({ ...m, summary: m.summary! }, sources, { explain: false });
    expect(table).toContain(`MACs:              ${digits(macs)} (1.73Z) per sample`);
    const json = summaryJson({ ...m, summary: m.summary! }, sources) as {
      macs: unknown;
      memory: { activationsPerSampleBytes: unknown; training: { totalBytes: unknown } };
      layers: { macs: unknown }[];
    };
    expect(json.macs).toBe(macs.toString());
    expect(json.layers[1].macs).toBe(macs.toString());
    expect(json.memory.activationsPerSampleBytes).toBe(activationBytes.toString());
    // Whole JSON texts: JSON.stringify throws on a bigint that escapes.
    expect(() => JSON.stringify(json)).not.toThrow();
  });

  it('writes IR JSON that the schema accepts, with the MACs as a string', () => {
    const m = model(text);
    const ir = JSON.parse(JSON.stringify(irToJson(m.graph))) as { nodes: { macs?: unknown }[] };
    expect(ir.nodes[1].macs).toBe(macs.toString());
    const schema = JSON.parse(fs.readFileSync(`${REPO}/docs/ir.schema.json`, 'utf8')) as object;
    const ajv = new Ajv2020.default({ strict: false });
    const valid = ajv.validate(schema, ir);
    expect(ajv.errors ?? []).toEqual([]);
    expect(valid).toBe(true);
  });

  it('warns that no machine holds it (CNN4013)', () => {
    const r = compile(text);
    expect(r.diagnostics.map((d) => [d.code, d.severity])).toEqual([['CNN4013', 'warning']]);
  });

  it('has exact parameter counts beyond 2^53', () => {
    const r = compile(`model K {\n  input ${P}x${P}x3\n  conv 64 ${P}x${P}\n}\n`);
    const params = P * P * 3n * 64n + 64n;
    expect(r.models[0].summary!.params.total).toBe(params);
    expect(r.diagnostics.find((d) => d.code === 'CNN4013')?.message).toContain(digits(params));
  });
});

describe('budgets near 2^53', () => {
  it('compare exactly', () => {
    // (2^26 + 1)(2^27 + 1) = 2^53 + 3·2^26 + 1 MACs, odd: a double rounds it down to the limit.
    const limit = 2 ** 53 + 3 * 2 ** 26;
    const text = (l: number) =>
      `model M {\n  input ${2 ** 26 + 1}\n  dense ${2 ** 27 + 1} nobias\n  budget macs <= ${l}\n}\n`;
    const over = compile(text(limit)).diagnostics.find((d) => d.code === 'CNN4002');
    expect(over?.notes[0]).toContain('over by 1 (1)');
    expect(compile(text(limit + 2)).diagnostics.map((d) => d.code)).not.toContain('CNN4002');
  });
});
