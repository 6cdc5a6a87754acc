/**
 * Names that reach emitted Python from a Keras import or a .cnn file: quotes, newlines,
 * `__import__`, keywords and soft keywords, dunders, nn.Module's own attributes, builtins,
 * non-ASCII, names that collide once mangled, very long names, a hostile file name. The emitted
 * files compile, import does nothing but define the classes and MODELS (checked on the syntax
 * tree: imports of torch, class definitions whose attributes are literals, functions), and with
 * torch the models run and their weights keep cnnc's names through cnnc_io.py.
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { nodeHost } from '../../compiler/cli/host.js';
import { compileFile } from '../../compiler/program.js';
import { runCnnc } from '../helpers/cli.js';
import { functional, L } from '../compiler/import/keras-fixtures.js';
import { emitPytorch, hasTorch, PYTHON, pyCompile, torchRequired } from './torch.js';

const work = fs.mkdtempSync(path.join(os.tmpdir(), 'cnnc-codegen-hostile-'));
afterAll(() => fs.rmSync(work, { recursive: true, force: true }));
const hasPython = spawnSync(PYTHON, ['-c', 'pass'], { stdio: 'ignore' }).status === 0;

/** Prints the top-level statements of model.py that are not definitions (an empty list is safe). */
const ONLY_DEFINITIONS = String.raw`
import ast, json, sys
tree = ast.parse(open(sys.argv[1], encoding="utf-8").read())
bad = []
def literal(v):
    try:
        ast.literal_eval(v)
        return True
    except ValueError:
        return False
for i, node in enumerate(tree.body):
    if i == 0 and isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant):
        continue
    if isinstance(node, ast.Import) and [a.name for a in node.names] == ["torch"]:
        continue
    if isinstance(node, ast.ImportFrom) and node.module in ("torch", "torch.nn"):
        continue
    if isinstance(node, ast.ClassDef) and not node.decorator_list and not node.keywords:
        for j, item in enumerate(node.body):
            if j == 0 and isinstance(item, ast.Expr) and isinstance(item.value, ast.Constant):
                continue
            if isinstance(item, ast.Assign) and literal(item.value):
                continue
            if isinstance(item, ast.FunctionDef) and not item.decorator_list:
                continue
            bad.append(ast.dump(item)[:120])
        continue
    if (
        isinstance(node, ast.Assign)
        and [t.id for t in node.targets if isinstance(t, ast.Name)] == ["MODELS"]
        and isinstance(node.value, ast.Dict)
        and all(isinstance(k, ast.Constant) for k in node.value.keys)
        and all(isinstance(v, ast.Name) for v in node.value.values)
    ):
        continue
    bad.append(ast.dump(node)[:120])
print(json.dumps(bad))
`;

/** Imports model.py, runs every model, and prints state_dict_to_cnnc's names per model. */
const RUN_MODELS = String.raw`
import json, sys, torch
sys.path.insert(0, sys.argv[1])
import model, cnnc_io
out = {}
for name, cls in model.MODELS.items():
    m = cls().eval()
    shape = [d if d is not None else 8 for d in cls.CNNC_INPUT]
    shape = [shape[-1]] + shape[:-1] if len(shape) > 1 else shape
    y = m(torch.rand(2, *shape))
    out[name] = {"names": sorted(cnnc_io.state_dict_to_cnnc(m)), "finite": bool(torch.isfinite(y).all())}
print(json.dumps(out))
`;

function definitionsOnly(file: string): string[] {
  const r = spawnSync(PYTHON, ['-c', ONLY_DEFINITIONS, file], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(r.stderr);
  return JSON.parse(r.stdout) as string[];
}

function runModels(dir: string): Record<string, { names: string[]; finite: boolean }> {
  const r = spawnSync(PYTHON, ['-c', RUN_MODELS, dir], {
    encoding: 'utf8',
    env: { ...process.env, PYTHONDONTWRITEBYTECODE: '1' },
  });
  if (r.status !== 0) throw new Error(r.stderr);
  return JSON.parse(r.stdout) as Record<string, { names: string[]; finite: boolean }>;
}

/** cnnc's weight names (node/weight) of every model of a file, sorted. */
function cnncNames(file: string): Record<string, string[]> {
  const r = compileFile(file, nodeHost(work));
  return Object.fromEntries(
    r.models.map((m) => [
      m.graph.model,
      m.graph.nodes.flatMap((n) => (n.weights ?? []).map((w) => `${n.name}/${w.name}`)).sort(),
    ]),
  );
}

const KERAS_NAMES = [
  'class',
  '__import__',
  `a"b'c`,
  'x\ny',
  'naïve',
  'forward',
  'eval',
  'training',
  '0abc',
  'L'.repeat(300),
  'conv-1',
  'conv_1',
  'match',
  'print',
  'super',
  'self',
  'x',
  'keys',
  '__init__',
];

describe.runIf(hasPython)('hostile names in emitted Python', () => {
  it('a Keras model with hostile layer names emits Python that only defines the model', async () => {
    const layers = [
      L('InputLayer', 'in put', { batch_input_shape: [null, 6, 6, 3], dtype: 'float32' }),
    ];
    let prev = 'in put';
    KERAS_NAMES.forEach((name, i) => {
      layers.push(
        i % 2
          ? L(
              'Conv2D',
              name,
              {
                filters: 3,
                kernel_size: [1, 1],
                strides: [1, 1],
                padding: 'same',
                use_bias: true,
                activation: 'linear',
              },
              [prev],
            )
          : L(
              'BatchNormalization',
              name,
              { axis: -1, epsilon: 0.001, momentum: 0.99, center: true, scale: true },
              [prev],
            ),
      );
      prev = name;
    });
    layers.push(L('Flatten', '__class__', {}, [prev]));
    layers.push(
      L('Dense', 'def', { units: 4, activation: 'softmax', use_bias: true }, ['__class__']),
    );
    fs.writeFileSync(path.join(work, 'keras.json'), functional(layers, 'in put', 'def'));
    const imported = await runCnnc(
      ['import', 'keras', 'keras.json', '-o', 'keras.cnn', '--name', 'super', '--no-weights'],
      work,
    );
    expect(imported.code, imported.err).toBe(0);
    const out = path.join(work, 'keras-torch');
    const r = await emitPytorch('keras.cnn', out, [], work);
    expect(r.code, r.err).toBe(0);
    expect(pyCompile([path.join(out, 'model.py'), path.join(out, 'cnnc_io.py')])).toBeNull();
    expect(definitionsOnly(path.join(out, 'model.py'))).toEqual([]);
    const text = fs.readFileSync(path.join(out, 'model.py'), 'utf8');
    expect(text).toMatch(/^class super_\(nn\.Module\):$/m);
    expect(text).not.toMatch(/self\.(forward|eval|training|__\w+)\b[^_]/);
    if (hasTorch || torchRequired) {
      const ran = runModels(out);
      expect(ran.super.finite).toBe(true);
      expect(ran.super.names).toEqual(cnncNames(path.join(work, 'keras.cnn')).super);
    }
  });

  it('models and layers named after Python, torch and nn.Module names, in a file with a hostile name', async () => {
    const dir = path.join(work, 'we"ird\nfolder');
    fs.mkdirSync(dir, { recursive: true });
    const file = path.join(dir, 'mo"del\n# x = 1\n.cnn');
    fs.writeFileSync(
      file,
      [
        'model torch { input 4x4x2; forward: conv 2 1x1; training: bn; flatten; eval: dense 3 }',
        'model nn { input 4x4x2; F: conv 2 3x3 same; MODELS: { state_dict: conv 2 1x1; keys: bn } ; flatten; CNNC_MODEL: dense 2 }',
        'model F { input 6; torch: dense 3; _x: dense 3; __init__: dense 2, softmax }',
        'model MODELS { input 5x3; lambda: conv1d 2 3; None: bn; gap }',
        // One weight with a long name (the one-element tuple across lines), frozen.
        `model Single { input 6; ${'w'.repeat(90)}: dense 3 nobias }`,
        `model OneFrozen = Single { freeze ${'w'.repeat(90)} }`,
      ].join('\n'),
    );
    const out = path.join(work, 'named-torch');
    const r = await emitPytorch(file, out, [], work);
    expect(r.code, r.err).toBe(0);
    expect(pyCompile([path.join(out, 'model.py')])).toBeNull();
    expect(definitionsOnly(path.join(out, 'model.py'))).toEqual([]);
    const text = fs.readFileSync(path.join(out, 'model.py'), 'utf8');
    expect(text).toMatch(/^class torch_\(nn\.Module\):$/m);
    expect(text).toMatch(
      /^ {4}"torch": torch_,\n {4}"nn": nn_,\n {4}"F": F_,\n {4}"MODELS": MODELS_,$/m,
    );
    // The file name appears escaped, never as a line of code.
    expect(text).not.toMatch(/^# x = 1/m);
    if (hasTorch || torchRequired) {
      const ran = runModels(out);
      const expected = cnncNames(file);
      for (const m of ['torch', 'nn', 'F', 'MODELS', 'Single', 'OneFrozen']) {
        expect(ran[m].finite, m).toBe(true);
        expect(ran[m].names, m).toEqual(expected[m]);
      }
    }
  });
});
