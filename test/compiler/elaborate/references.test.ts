/** Named references (`branch from NAME`): what a reference resolves to, and what it may not reach. */
import { describe, expect, it } from 'vitest';
import { codes, model } from './helpers.js';

/** The names of a node's inputs. */
function inputsOf(m: ReturnType<typeof model>, name: string): string[] {
  const n = m.graph.nodes.find((x) => x.name === name);
  if (!n) throw new Error(`no node ${name}`);
  return n.inputs.map((i) => m.graph.nodes[i].name);
}

describe('branch from NAME', () => {
  it('reads a labelled layer, group, call or branch; the innermost scope first', () => {
    const m = model(`
block two(c: int) { conv c 3x3 same; inner: relu; add { branch from inner; branch { } } }
model R {
  input 8x8x2
  a: conv 4 3x3 same
  g: { conv 4 1x1; r: relu }
  c: two(4)
  dec: {
    a: relu
    concat { branch from a; branch from g.r { conv 2 1x1 }; branch from c; lab: branch { } }
    concat { branch from lab; branch { } }
  }
}`);
    expect(inputsOf(m, 'dec.concat1')).toEqual(['dec.a', 'dec.branch2.conv1', 'c.add1', 'dec.a']);
    expect(inputsOf(m, 'dec.branch2.conv1')).toEqual(['g.r']);
    expect(inputsOf(m, 'c.add1')).toEqual(['c.inner', 'c.inner']);
    expect(inputsOf(m, 'dec.concat2')).toEqual(['dec.a', 'dec.concat1']);
  });

  it("reads the current iteration's label in a labelled repeat", () => {
    const m = model(`
model R {
  input 8x8x2
  s: repeat 2 { x: conv 2 1x1; relu; add { branch from x; branch { } } }
}`);
    expect(inputsOf(m, 's.1.add1')).toEqual(['s.1.x', 's.1.relu1']);
  });

  it.each([
    ['a later layer', 'add { branch from late; branch { } }\n  late: relu', 'CNN2081'],
    ['its own statement', 'me: add { branch from me; branch { } }', 'CNN2081'],
    ['an unknown name', 'add { branch from nothing; branch { } }', 'CNN2080'],
    ['an automatic name', 'relu\n  add { branch from conv1; branch { } }', 'CNN2080'],
    ['a layer inside a call', 'c: one()\n  add { branch from c.x; branch { } }', 'CNN2082'],
    ['a model label from a block body', 'k: relu\n  uses()', 'CNN2082'],
  ])('refuses %s', (_t, body, code) => {
    const src = `
block one() { x: relu }
block uses() { add { branch from k; branch { } } }
model R {
  input 8x8x2
  conv 2 1x1
  ${body}
}`;
    expect(codes(src)).toEqual([code]);
  });
});
