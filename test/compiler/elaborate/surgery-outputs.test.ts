/**
 * `replace` and `cut` in a model with several outputs: an output's head (`output NAME { … }`) is
 * a scope named NAME, so `replace NAME { … }` gives the output a new head and `replace NAME.LAYER`
 * one layer of it; `cut` inside a head, which hangs off the main path, is refused with a reason.
 */
import { describe, expect, it } from 'vitest';
import { codes, compile, model } from './helpers.js';

const BASE = `model Two {
  input 28x28x1
  conv 8 3x3 same, relu
  mid: maxpool 2x2
  output aux {
    avgpool 2x2, flatten
    dense 10
  }
  conv 16 3x3 same, relu
  gap
  fc: dense 10
}
`;

const files = (derived: string) => ({
  'main.cnn': `import "base.cnn"\n${derived}`,
  'base.cnn': BASE,
});

/** The derived model's layer names. */
function layers(derived: string): string[] {
  const g = model(files(derived), 'D').graph;
  return g.nodes.filter((n) => n.op !== 'input').map((n) => n.name);
}

describe('surgery on output heads', () => {
  it('`replace NAME { … }` gives the output a new head; the outputs keep their names', () => {
    const m = model(files('model D = Two {\n  replace aux { gap, dense 10 }\n}'), 'D');
    const g = m.graph;
    expect(g.outputs.map((o, i) => `${g.outputNames?.[i]}=${g.nodes[o].name}`)).toEqual([
      'main=fc',
      'aux=aux.dense1',
    ]);
    expect(layers('model D = Two {\n  replace aux { gap, dense 10 }\n}')).toContain('aux.gap1');
    expect(layers('model D = Two {\n  replace aux { gap, dense 10 }\n}')).not.toContain(
      'aux.avgpool1',
    );
  });

  it('`replace NAME.LAYER { … }` changes one layer of a head', () => {
    const m = model(files('model D = Two {\n  replace aux.dense1 { dense 5 }\n}'), 'D');
    const aux = m.graph.nodes.find((n) => n.name === 'aux.dense1');
    expect(aux?.shape).toEqual([5]);
  });

  it('`cut` inside a head is refused, saying the head is off the main path', () => {
    const r = compile(files('model D = Two {\n  cut after aux\n}'));
    const d = r.diagnostics.find((x) => x.code === 'CNN2041');
    expect(d?.message).toMatch(/in the head of the output `aux`, off the main path/);
    expect(d?.span?.file).toMatch(/main\.cnn$/);
    expect(codes(files('model D = Two {\n  cut after mid\n  append { gap, dense 10 }\n}'))).toEqual(
      [],
    );
  });
});
