/** How old and new layers are paired, round by round (compiler/diff/match.ts). */
import { describe, expect, it } from 'vitest';
import { matchLayers } from '../../compiler/diff/match.js';
import type { Graph } from '../../compiler/ir/graph.js';
import { compileFile } from '../../compiler/program.js';
import { memoryHost, memPath } from '../helpers/memory-host.js';

function graphOf(body: string): Graph {
  const text = `block blk(c: int) { conv c 3x3 same, relu }\nmodel M {\n  input 8x8x1\n${body}\n  flatten\n  dense 2\n}\n`;
  const r = compileFile(memPath('m.cnn'), memoryHost({ 'm.cnn': text }));
  expect(r.diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
  return r.models[0].graph;
}

/** old name → [new name, round] for every pair. */
function pairs(before: string, after: string): Record<string, [string, string]> {
  const [a, b] = [graphOf(before), graphOf(after)];
  const m = matchLayers(a, b);
  return Object.fromEntries(
    [...m.oldOf].map(([n, o]) => [a.nodes[o].name, [b.nodes[n].name, m.by.get(n)!]]),
  );
}

describe('matchLayers', () => {
  it('same name and attributes first', () => {
    const p = pairs('  a: blk(4)', '  a: blk(4)');
    expect(p['a.conv1']).toEqual(['a.conv1', 'name']);
    expect(Object.values(p).every(([, by]) => by === 'name')).toBe(true);
  });

  it('a renamed label: same op and attributes at the same place', () => {
    const p = pairs('  a: blk(4)\n  b: blk(8)', '  a: blk(4)\n  renamed: blk(8)');
    expect(p['b.conv1']).toEqual(['renamed.conv1', 'structure']);
    expect(p['b.relu1']).toEqual(['renamed.relu1', 'structure']);
  });

  it('a changed layer keeps its name', () => {
    const p = pairs('  a: blk(4)', '  a: blk(6)');
    expect(p['a.conv1']).toEqual(['a.conv1', 'name']);
  });

  it('renamed and widened at once: same op at the same place', () => {
    const p = pairs('  a: blk(4)', '  b: blk(6)');
    expect(p['a.conv1']).toEqual(['b.conv1', 'structure']);
  });

  it('an inserted block pairs nothing of its own; the layers after it keep their names', () => {
    const p = pairs('  a: blk(4)\n  c: blk(8)', '  a: blk(4)\n  b: blk(4)\n  c: blk(8)');
    expect(Object.values(p).map(([n]) => n)).not.toContain('b.conv1');
    expect(p['c.conv1']).toEqual(['c.conv1', 'name']);
  });

  it('a removed layer of another op is not paired', () => {
    const [a, b] = [graphOf('  a: blk(4)\n  maxpool 2'), graphOf('  a: blk(4)')];
    const m = matchLayers(a, b);
    const pool = a.nodes.find((n) => n.op === 'max_pool')!;
    expect(m.newOf.has(pool.id)).toBe(false);
  });
});
