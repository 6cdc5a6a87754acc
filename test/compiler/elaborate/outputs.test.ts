/**
 * Several outputs (`output NAME [from REF] [{ … }]`): which values are outputs, their names and
 * order, what the statement may not do, the per-output losses of the train block, and what the
 * summary, the IR and the code generators make of them. A model without `output` is unchanged.
 */
import { describe as group, expect, it } from 'vitest';
import { sourceMap } from '../../../compiler/cli/common.js';
import { irToJson } from '../../../compiler/ir/json.js';
import { summaryTable } from '../../../compiler/report/summary.js';
import { resolveSettings } from '../../../compiler/train/settings.js';
import { emitPytorchProject } from '../../../compiler/codegen/pytorch/project.js';
import { emitTfjsProject } from '../../../compiler/codegen/tfjs/project.js';
import { parseFile } from '../../../grammar/index.js';
import { codes, compile, model } from './helpers.js';

/** Each output as `name=layer`, in the graph's order. */
function outputs(src: string): string[] {
  const g = model(src).graph;
  return g.outputs.map((o, i) => `${g.outputNames?.[i] ?? '-'}=${g.nodes[o].name}`);
}

const wrap = (body: string) => `model M {\n  input 8x8x2\n  ${body.split('\n').join('\n  ')}\n}\n`;

group('output NAME', () => {
  it('a head part-way: the final value is `main`, first; the head is named under its output', () => {
    expect(
      outputs(
        wrap('conv 4 3x3 same\nmid: relu\noutput aux { gap, dense 3 }\nflatten, fc: dense 3'),
      ),
    ).toEqual(['main=fc', 'aux=aux.dense1']);
  });

  it('markers in the flow keep their order, and one at the end names the final value', () => {
    expect(
      outputs(wrap('conv 4 3x3 same\noutput p3\nmaxpool 2x2\noutput p4\nmaxpool 2x2\noutput p5')),
    ).toEqual(['p3=conv1', 'p4=maxpool1', 'p5=maxpool2']);
  });

  it('`from LABEL` reads an earlier layer, with or without a head; the main path goes on', () => {
    const m = model(
      wrap(
        'c1: conv 4 3x3 same\nmaxpool 2x2\noutput early from c1\noutput late from c1 { gap }\ngap',
      ),
    );
    const g = m.graph;
    expect(g.outputNames).toEqual(['main', 'early', 'late']);
    expect(g.nodes[g.outputs[1]].name).toBe('c1');
    expect(g.nodes[g.outputs[2]].inputs.map((i) => g.nodes[i].name)).toEqual(['c1']);
    // The statement passes its input through: gap reads maxpool1.
    expect(g.nodes[g.outputs[0]].inputs.map((i) => g.nodes[i].name)).toEqual(['maxpool1']);
  });

  it('a model without `output` has one unnamed output and the IR JSON has no outputNames', () => {
    const g = model(wrap('conv 4 3x3 same\ngap')).graph;
    expect(g.outputNames).toBeUndefined();
    expect(Object.keys(irToJson(g) as object)).not.toContain('outputNames');
    const two = model(wrap('gap\noutput aux { dense 2 }\ndense 2')).graph;
    expect((irToJson(two) as { outputNames: string[] }).outputNames).toEqual(['main', 'aux']);
  });

  it.each([
    ['a name twice', 'flatten\noutput a { dense 2 }\noutput a { dense 3 }\ndense 2', ['CNN2130']],
    [
      '`main` for a head when the final value is unnamed',
      'flatten\noutput main { dense 2 }\ndense 2',
      ['CNN2130'],
    ],
    ['one value under two names', 'flatten\noutput a\noutput b\ndense 2', ['CNN2132']],
    ['an output inside a group', 'g: { flatten\noutput x }\ndense 2', ['CNN2131']],
    ['an output inside a merge branch', 'add { branch { output x } branch { } }', ['CNN2131']],
    ['a reference to nothing', 'output x from nowhere\nflatten', ['CNN2080']],
    ['a reference to a later layer', 'output x from late\nlate: flatten', ['CNN2081']],
    ['a head named like a label', 'aux: flatten\noutput aux { dense 2 }\ndense 2', ['CNN2013']],
  ])('refuses %s', (_t, body, want) => {
    expect(codes(wrap(body))).toEqual(want);
  });

  it('refuses an output inside a block body (CNN2131)', () => {
    const src = `block b() { relu\n  output inner }\n${wrap('b()\nflatten')}`;
    expect(codes(src)).toEqual(['CNN2131']);
  });

  it('`output` is not reserved: a layer labelled `output` keeps its name', () => {
    const g = model(wrap('output: conv 2 1x1\noutput aux { gap }\ngap')).graph;
    expect(g.nodes.map((n) => n.name)).toContain('output');
    expect(g.outputNames).toEqual(['main', 'aux']);
    expect(parseFile(wrap('output: relu'), 'x.cnn').diagnostics).toEqual([]);
  });
});

group('per-output losses', () => {
  const heads = (train: string, aux = 'dense 3') =>
    wrap(`flatten\noutput aux { ${aux} }\ndense 3\ntrain { ${train} }`);
  const losses = (src: string) =>
    resolveSettings(model(src).graph).settings.outputLosses.map(
      (l) => `${l.output}:${l.loss}:${l.weight}`,
    );

  it('gives each output a loss and a weight (1 when left out)', () => {
    expect(losses(heads('loss main categorical, aux mse 0.3'))).toEqual([
      'main:categorical:1',
      'aux:mse:0.3',
    ]);
  });

  it('without them, every output takes the plain loss with weight 1', () => {
    expect(losses(heads('loss binary'))).toEqual(['main:binary:1', 'aux:binary:1']);
  });

  it('a single-output model keeps `loss categorical`; `loss categorical, optimizer sgd` is two settings', () => {
    const g = model(wrap('flatten\ndense 3\ntrain { loss mse, optimizer sgd }')).graph;
    const s = resolveSettings(g);
    expect(s.diagnostics).toEqual([]);
    expect(s.settings.loss).toBe('mse');
    expect(s.settings.optimizer.name).toBe('sgd');
    expect(s.settings.outputLosses).toEqual([]);
  });

  it.each([
    ['an unknown output', 'loss main categorical, axu categorical', 'CNN2133'],
    ['an output left without a loss', 'loss main categorical', 'CNN2134'],
    ['an unknown loss', 'loss main categorical, aux hinge', 'CNN2135'],
    ['a weight that is not positive', 'loss main categorical, aux categorical 0', 'CNN2135'],
    ['a loss given twice', 'loss main categorical, aux mse, aux mse', 'CNN2135'],
  ])('refuses %s', (_t, train, code) => {
    expect(codes(heads(train))).toEqual([code]);
  });

  it('outputs trained on the labels must have as many classes (CNN3040); mse may differ', () => {
    // Checked with a train block only: a multi-scale model without one says nothing.
    expect(codes(wrap('flatten\noutput aux { dense 4 }\ndense 3'))).toEqual([]);
    expect(codes(heads('loss main categorical, aux categorical', 'dense 4'))).toEqual(['CNN3040']);
    expect(codes(heads('loss main categorical, aux mse', 'dense 4'))).toEqual([]);
  });
});

group('reports and code generators', () => {
  const src = wrap('conv 4 3x3 same\nmid: relu\noutput aux { gap, dense 3 }\nflatten, fc: dense 3');

  it('the summary lists every output with its shape; parameters are counted once', () => {
    const r = compile(src);
    const m = r.models[0];
    const text = summaryTable({ ...m, summary: m.summary! }, sourceMap(r.sources), {
      explain: false,
    });
    expect(text).toContain('Outputs: main 3 (fc), aux 3 (aux.dense1)');
    // 2·9·4 + 4 (conv) + 4·3 + 3 (aux) + 256·3 + 3 (fc) = 76 + 15 + 771
    expect(text).toMatch(/Total params: +862 /);
  });

  const pytorch = (source: string) => {
    const r = compile(source);
    const p = emitPytorchProject(
      r.models.map((m) => ({ graph: m.graph, env: m.env, irHash: 'x', sourceHash: 'y' })),
      { names: 'cnnc', sources: r.sources, showPath: (f) => f, entry: 'main.cnn' },
    );
    const file = (name: string) => p.files.find((f) => f.path === name)?.text ?? '';
    return { p, py: file('model.py'), train: file('train.py'), readme: file('README.md') };
  };

  it('PyTorch: model.py returns a named tuple; train.py trains every output', () => {
    const { p, py, train } = pytorch(src);
    expect(p.diagnostics.map((d) => `${d.code} ${d.severity}`)).toEqual([]);
    expect(p.files.map((f) => f.path)).toEqual([
      'model.py',
      'cnnc_io.py',
      'train.py',
      'cnnc_data.py',
      'cnnc_train.py',
      'cnnc_detect.py',
      'README.md',
    ]);
    expect(py).toContain('MOutputs = namedtuple("MOutputs", ["main", "aux"])');
    // No output ends in a softmax: `logits` changes nothing and is not read.
    expect(py).toContain('def forward(self, x, logits=False):');
    expect(py).not.toContain('logits[');
    expect(py).toMatch(/return MOutputs\(x, x\d\)/);
    // Without a train block each output takes the plain loss (None: --loss) with weight 1.
    expect(train).toContain('"output_losses": (("main", None, 1), ("aux", None, 1))');
  });

  it("PyTorch: train.py's SETTINGS hold the block's per-output losses and weights", () => {
    const { p, train, readme } = pytorch(
      wrap(
        'conv 4 3x3 same\nmid: relu\noutput aux { gap, dense 3 }\nflatten, fc: dense 3\n' +
          'train { loss main categorical, aux mse 0.3 }',
      ),
    );
    expect(p.diagnostics).toEqual([]);
    expect(train).toContain('"output_losses": (("main", "categorical", 1), ("aux", "mse", 0.3))');
    // The README says how, with the block's losses and the flags that change them.
    expect(readme).toContain('`M` has several outputs');
    expect(readme).toContain('`loss main categorical 1, aux mse 0.3`');
    expect(readme).toContain('`--output-loss aux=mse --output-weight aux=0.5`');
  });

  it('PyTorch: outputs of different sizes and no train block: train.py leaves it out (CNN6051)', () => {
    const { p, py } = pytorch(
      wrap('conv 4 3x3 same\nmid: relu\noutput aux { gap, dense 3 }\nflatten, fc: dense 5'),
    );
    expect(p.diagnostics.map((d) => `${d.code} ${d.severity}`)).toEqual(['CNN6051 warning']);
    expect(p.files.map((f) => f.path)).toEqual(['model.py', 'cnnc_io.py', 'README.md']);
    expect(py).toContain('return MOutputs(x, x1)');
    // With a train block giving each output a loss, it trains.
    const trained = pytorch(
      wrap(
        'conv 4 3x3 same\nmid: relu\noutput aux { gap, dense 3 }\nflatten, fc: dense 5\n' +
          'train { loss main categorical, aux mse }',
      ),
    );
    expect(trained.p.diagnostics).toEqual([]);
    expect(trained.train).toContain(
      '"output_losses": (("main", "categorical", 1), ("aux", "mse", 1))',
    );
  });

  it('PyTorch: an output ending in a softmax returns its logits where its flag asks', () => {
    const { py } = pytorch(
      wrap(
        'conv 4 3x3 same\nmid: relu\noutput aux { gap, dense 3, softmax }\nflatten, fc: dense 3',
      ),
    );
    // One bool for every output, or one per output; the logits of `aux` live to the return.
    expect(py).toContain('if not isinstance(logits, (list, tuple)):');
    expect(py).toContain('logits = (bool(logits),) * 2');
    const ret = /return MOutputs\(x\d*, (x\d*) if logits\[1\] else (x\d*)\)/.exec(py);
    expect(ret).not.toBeNull();
    const [, pre, post] = ret!;
    expect(py).toContain(`${post} = F.softmax(${pre}, dim=1)`);
    expect(post).not.toBe(pre);
    expect(py).toContain('an output that ends in a softmax returns the scores before it');
    expect(py).toContain('(here: aux)');
  });

  it("TensorFlow.js: train.ts trains every output with its loss and weight (the plain loss's without `loss NAME`)", () => {
    const emit = (source: string) => {
      const r = compile(source);
      return emitTfjsProject(
        r.models.map((m) => ({ graph: m.graph, env: m.env, irHash: 'x', sourceHash: 'y' })),
        { sources: r.sources, showPath: (f: string) => f, entry: 'main.cnn' } as never,
      );
    };
    const settingsOf = (p: ReturnType<typeof emit>) =>
      p.files.find((f) => f.path === 'train.ts')!.text.match(/outputs: \[[^\]]*\]/)?.[0];
    const plain = emit(src);
    expect(plain.diagnostics).toEqual([]);
    expect(plain.files.map((f) => f.path)).toContain('outputs.ts');
    expect(settingsOf(plain)).toBe(
      "outputs: [{ name: 'main', loss: 'categorical', weight: 1 }, { name: 'aux', loss: 'categorical', weight: 1 }]",
    );
    const weighted = emit(
      src.replace(/}\n$/, '  train { loss main categorical, aux mse 0.3 }\n}\n'),
    );
    expect(weighted.diagnostics).toEqual([]);
    expect(settingsOf(weighted)).toBe(
      "outputs: [{ name: 'main', loss: 'categorical', weight: 1 }, { name: 'aux', loss: 'mse', weight: 0.3 }]",
    );
  });
});
