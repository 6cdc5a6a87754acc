/**
 * Models past 125,000 layers, inputs or ids: code that spread such a list into one call
 * (`Math.max(...rows)`, `push(...list)`) overflowed the stack and gave CNN9001.
 */
import { describe, expect, it } from 'vitest';
import { sourceMapOf } from '../../../compiler/diagnostics/source-file.js';
import { splitStaticPrefix } from '../../../compiler/ir/transform.js';
import { summaryTable } from '../../../compiler/report/summary.js';
import { compile } from '../elaborate/helpers.js';

const noInternal = (r: ReturnType<typeof compile>) =>
  expect(r.diagnostics.filter((d) => d.code.startsWith('CNN9'))).toEqual([]);

describe('models past a spread', () => {
  it('summary prints 130,001 layers', () => {
    const r = compile('model M {\n  input 8\n  repeat 10000 { repeat 13 { relu } }\n}\n', {
      verifyEach: false,
    });
    noInternal(r);
    const m = r.models[0];
    const table = summaryTable({ ...m, summary: m.summary! }, sourceMapOf([]), { explain: false });
    expect(table.split('\n').filter((l) => l.startsWith('relu')).length).toBe(130_000);
  });

  it('freezes a range of 150,000 layers', () => {
    const r = compile(
      'model M {\n  input 8\n  repeat 10000 { repeat 15 { relu } }\n  freeze relu*..relu*\n}\n',
      { verifyEach: false },
    );
    noInternal(r);
    expect(r.models[0].graph.nodes.filter((n) => n.frozen).length).toBe(150_000);
  });

  it('concatenates 150,000 branches', () => {
    const r = compile(
      `model M {\n  input 8x8x1\n  concat {\n${'    branch { }\n'.repeat(150_000)}  }\n}\n`,
      { verifyEach: false },
    );
    noInternal(r);
    expect(r.models[0].graph.nodes.at(-1)?.inputs.length).toBe(150_000);
  });

  it('splits a frozen chain of 150,000 layers from its head', () => {
    const r = compile(
      'model M {\n  input 8\n  repeat 10000 { repeat 15 { relu } }\n  head: dense 4\n  freeze ..relu150000\n}\n',
      { verifyEach: false },
    );
    noInternal(r);
    const split = splitStaticPrefix(r.models[0].graph);
    expect('reason' in split ? split.reason : split.boundary).toBe('relu150000');
  });

  it('reports 200,000 errors', () => {
    const r = compile(`model M {\n  input 8\n${'  dense 4 foo\n'.repeat(200_000)}}\n`, {
      verifyEach: false,
    });
    noInternal(r);
    expect(r.diagnostics.filter((d) => d.code === 'CNN2002').length).toBe(200_000);
  });
});
