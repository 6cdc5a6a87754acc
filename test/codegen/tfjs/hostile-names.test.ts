/**
 * Names that reach emitted TypeScript from a Keras import or a .cnn file: quotes, newlines, `*\/`,
 * backticks, `${`, `__proto__`, `constructor` and the other Object.prototype names (on which
 * tfjs's deserialisation fails), leading underscores (tfjs rejects them in weight names),
 * keywords, the module's own names (tf, MODELS, apply), non-ASCII and very long names, in a file
 * with a hostile name. The emitted project type-checks, model.ts only declares things (no
 * statement runs when it is imported), every model builds, runs, saves and loads back, and its
 * weights keep cnnc's names through the `renamed` table.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import ts from 'typescript';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { nodeHost } from '../../../compiler/cli/host.js';
import { compileFile } from '../../../compiler/program.js';
import { runCnnc } from '../../helpers/cli.js';
import { functional, L } from '../../compiler/import/keras-fixtures.js';
import { emitTfjs, loadProject, transpile, typecheck, type LoadedProject } from './tfjs-project.js';

const work = fs.mkdtempSync(path.join(os.tmpdir(), 'cnnc-tfjs-hostile-'));
afterAll(() => fs.rmSync(work, { recursive: true, force: true }));

/** Top-level statements of a TypeScript file that are not declarations or imports. */
function statementsThatRun(file: string): string[] {
  const source = ts.createSourceFile(file, fs.readFileSync(file, 'utf8'), ts.ScriptTarget.ES2022);
  return source.statements
    .filter(
      (s) =>
        !ts.isImportDeclaration(s) &&
        !ts.isInterfaceDeclaration(s) &&
        !ts.isTypeAliasDeclaration(s) &&
        !ts.isFunctionDeclaration(s) &&
        !(
          ts.isVariableStatement(s) &&
          s.declarationList.declarations.every(
            (d) =>
              d.initializer !== undefined &&
              (ts.isObjectLiteralExpression(d.initializer) || ts.isNewExpression(d.initializer)),
          )
        ),
    )
    .map((s) => s.getText(source).slice(0, 80));
}

/** cnnc's weight names (node/weight) of every model of a file, sorted. */
function cnncNames(file: string): Record<string, string[]> {
  const r = compileFile(file, nodeHost(path.dirname(file)));
  return Object.fromEntries(
    r.models.map((m) => [
      m.graph.model,
      m.graph.nodes.flatMap((n) => (n.weights ?? []).map((w) => `${n.name}/${w.name}`)).sort(),
    ]),
  );
}

const KERAS_NAMES = [
  'class',
  '__proto__',
  'constructor',
  'toString',
  `a"b'c`,
  'x\ny',
  'back`tick',
  '${process.exit(1)}',
  '*/ x /*',
  'naïve',
  '_private',
  '0abc',
  'L'.repeat(300),
  'conv-1',
  'conv_1',
  'tf',
  'MODELS',
  'apply',
];

/** Builds, runs, saves and reloads every model; returns the cnnc names writeSafetensors gives. */
async function exercise(project: LoadedProject, dir: string): Promise<Record<string, string[]>> {
  const out: Record<string, string[]> = {};
  for (const [name, spec] of project.MODELS) {
    const model = spec.build({ seed: 1 });
    const dims = spec.input.map((d) => d ?? 8);
    const y = tf.tidy(() => (model.predict(tf.ones([2, ...dims])) as tf.Tensor).dataSync());
    expect(y.every(Number.isFinite), name).toBe(true);
    const saved = path.join(dir, 'saved', encodeURIComponent(name));
    await model.save(`file://${saved}`);
    const back = await tf.loadLayersModel(`file://${saved}/model.json`);
    const z = tf.tidy(() => (back.predict(tf.ones([2, ...dims])) as tf.Tensor).dataSync());
    expect(Array.from(z), name).toEqual(Array.from(y));
    const file = path.join(dir, 'w.safetensors');
    project.writeSafetensors(file, model, spec);
    out[name] = [...project.readWeightsFile(file).keys()].sort();
    // The file loads back into a fresh model by those names.
    project.loadWeights(spec.build(), spec, file);
  }
  return out;
}

describe('hostile names in emitted TypeScript', () => {
  beforeAll(async () => {
    await tf.setBackend('cpu');
  });

  it('a Keras model with hostile layer names emits a project that only declares its models', async () => {
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
    layers.push(L('Flatten', 'hasOwnProperty', {}, [prev]));
    layers.push(
      L('Dense', 'valueOf', { units: 4, activation: 'softmax', use_bias: true }, [
        'hasOwnProperty',
      ]),
    );
    fs.writeFileSync(path.join(work, 'keras.json'), functional(layers, 'in put', 'valueOf'));
    const imported = await runCnnc(
      ['import', 'keras', 'keras.json', '-o', 'keras.cnn', '--name', 'constructor', '--no-weights'],
      work,
    );
    expect(imported.code, imported.err).toBe(0);
    const dir = path.join(work, 'keras-tfjs');
    const r = await emitTfjs('keras.cnn', dir, [], work);
    expect(r.code, r.err).toBe(0);
    expect(typecheck(dir)).toBeNull();
    expect(statementsThatRun(path.join(dir, 'model.ts'))).toEqual([]);
    const project = await loadProject(transpile(dir));
    const names = await exercise(project, dir);
    expect(names).toEqual(cnncNames(path.join(work, 'keras.cnn')));
  });

  it('models and layers named after JavaScript, tfjs and model.ts names, in a file with a hostile name', async () => {
    const folder = path.join(work, 'we"ird\nfolder *');
    fs.mkdirSync(folder, { recursive: true });
    const file = path.join(folder, "mo'del`${x}\n*\\ y = 1 \u2028\n.cnn");
    fs.writeFileSync(
      file,
      [
        'model tf { input 4x4x2; constructor: conv 2 1x1; toString: bn; flatten; __proto__: dense 3 }',
        'model MODELS { input 4x4x2; apply: conv 2 3x3 same; stage: { _x: conv 2 1x1, hasOwnProperty: bn } ; flatten; ModelSpec: dense 2 }',
        'model buildTf { input 6; valueOf: dense 3; _y: dense 3; isPrototypeOf: dense 2, softmax }',
        'model apply { input 5x3; await: conv1d 2 3; yield: bn; gap }',
        `model Long { input 6; ${'w'.repeat(90)}: dense 3 nobias; ${'w'.repeat(89)}x: dense 2 }`,
      ].join('\n'),
    );
    const dir = path.join(work, 'named-tfjs');
    const r = await emitTfjs(file, dir, [], work);
    expect(r.code, r.err).toBe(0);
    expect(typecheck(dir)).toBeNull();
    expect(statementsThatRun(path.join(dir, 'model.ts'))).toEqual([]);
    const text = fs.readFileSync(path.join(dir, 'model.ts'), 'utf8');
    // The file name appears escaped in comments, never as a line of code.
    expect(text).not.toMatch(/^\*\\ y = 1/m);
    expect(text).not.toMatch(/[\u2028\n]\.cnn/);
    expect(text).toMatch(/^export const tf_: ModelSpec = \{$/m);
    const project = await loadProject(transpile(dir));
    expect([...project.MODELS.keys()]).toEqual(['tf', 'MODELS', 'buildTf', 'apply', 'Long']);
    expect(project.MODELS.get('tf')!.renamed).toEqual(
      new Map([
        ['constructor', 'constructor_'],
        ['toString', 'toString_'],
        ['__proto__', 'm__proto__'],
      ]),
    );
    expect(await exercise(project, dir)).toEqual(cnncNames(file));
  });
});
