/**
 * A model saved by an emitted TensorFlow.js project (`model.save('file://…')`, custom layers
 * included) comes back through `cnnc import keras`: the imported .cnn file compiles to the same
 * summary (every layer's op, output shape, parameters, buffers, MACs, receptive field and, for
 * layers with weights, frozen flag; the totals and memory), and `cnnc run` on it with the imported weights gives the emitted
 * model's output within 1e-4. Every single-op case and the examples that exercise the custom
 * layers, frozen batch norms, 1-D layers and branches are checked (a merge of one branch, an
 * identity in TensorFlow.js, comes back as a linear activation and is left out).
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { nodeHost } from '../../../compiler/cli/host.js';
import type { CompiledModel } from '../../../compiler/program.js';
import { compileFile } from '../../../compiler/program.js';
import { summaryJson } from '../../../compiler/report/summary.js';
import { sourceMapOf, SourceFile } from '../../../compiler/diagnostics/index.js';
import { rng } from '../../../runtime/data/dataset.js';
import { encodeNpy } from '../../../runtime/weights/npy.js';
import { runCnnc } from '../../helpers/cli.js';
import { REPO } from '../../helpers/memory-host.js';
import { readNpy, relativeError } from '../compare.js';
import { OP_CASES, opCasesFile } from '../op-cases.js';
import { emitTfjs, loadProject, transpile, type LoadedProject } from './tfjs-project.js';

const work = fs.mkdtempSync(path.join(os.tmpdir(), 'cnnc-tfjs-keras-'));
afterAll(() => fs.rmSync(work, { recursive: true, force: true }));

const EXAMPLES = [
  'examples/lenet5.cnn',
  'examples/inception-module.cnn',
  'examples/resnet-digits.cnn',
  'examples/text-cnn.cnn',
  'examples/transfer/fine-tuned.cnn',
];

/** What must survive the round trip: the summary without names and source positions. */
function comparable(m: CompiledModel) {
  const json = summaryJson({ ...m, summary: m.summary! }, sourceMapOf([] as SourceFile[])) as {
    input: unknown;
    output: unknown;
    params: unknown;
    buffers: unknown;
    macs: unknown;
    memory: unknown;
    layers: {
      op: string;
      output: unknown;
      params: number;
      buffers: number;
      macs: unknown;
      frozen: boolean;
      rf: unknown;
    }[];
  };
  return {
    input: json.input,
    output: json.output,
    params: json.params,
    buffers: json.buffers,
    macs: json.macs,
    // The training memory estimate follows the train block's batch and optimiser, not the model.
    memory: { ...(json.memory as object), training: undefined },
    // The importer rebuilds `freeze` as ranges of weighted layers, so a frozen scope's trailing
    // weightless layers (a final add or relu) come back unfrozen; freezing means nothing for them.
    layers: json.layers.map((l) => [
      l.op,
      l.output,
      l.params,
      l.buffers,
      l.macs,
      l.params + l.buffers > 0 && l.frozen,
      l.rf,
    ]),
  };
}

interface Project {
  readonly file: string;
  readonly loaded: LoadedProject;
  readonly models: readonly CompiledModel[];
}

const projects: Project[] = [];

describe('emitted TensorFlow.js models saved and imported back with cnnc import keras', () => {
  beforeAll(async () => {
    const ops = path.join(work, 'op-cases.cnn');
    fs.writeFileSync(ops, opCasesFile());
    for (const file of [...EXAMPLES.map((f) => path.join(REPO, f)), ops]) {
      const dir = path.join(work, path.basename(file, '.cnn'));
      const r = await emitTfjs(file, dir);
      if (r.code !== 0) throw new Error(`${file}: ${r.err}`);
      const loaded = await loadProject(transpile(dir));
      projects.push({ file, loaded, models: compileFile(file, nodeHost(REPO)).models });
    }
    await projects[0].loaded.useBackend('wasm');
  }, 300_000);

  async function roundTrip(project: Project, model: CompiledModel, seed: number): Promise<void> {
    const name = model.graph.model;
    const spec = project.loaded.MODELS.get(name)!;
    const dir = path.join(work, 'saved', `${path.basename(project.file, '.cnn')}-${name}`);
    const built = spec.build({ seed });
    await built.save(`file://${dir}/model`);
    const cnn = path.join(dir, 'imported.cnn');
    const imported = await runCnnc([
      'import',
      'keras',
      path.join(dir, 'model', 'model.json'),
      '-o',
      cnn,
    ]);
    expect(imported.code, `${name}: ${imported.err}`).toBe(0);
    const again = compileFile(cnn, nodeHost(dir));
    expect(
      again.diagnostics.filter((d) => d.severity === 'error'),
      name,
    ).toEqual([]);
    expect(comparable(again.models[0]), name).toEqual(comparable(model));

    const dims = spec.input.map((d) => d ?? 32);
    const random = rng(seed);
    const x = Float32Array.from({ length: 2 * dims.reduce((a, b) => a * b, 1) }, () => random());
    fs.writeFileSync(path.join(dir, 'x.npy'), encodeNpy([2, ...dims], x));
    const run = await runCnnc([
      'run',
      cnn,
      '--weights',
      path.join(dir, 'imported.weights'),
      '--input',
      path.join(dir, 'x.npy'),
      '--output',
      path.join(dir, 'y.npy'),
      '--backend',
      'reference',
    ]);
    expect(run.code, `${name}: ${run.err}`).toBe(0);
    const y = tf.tidy(() => (built.predict(tf.tensor(x, [2, ...dims])) as tf.Tensor).dataSync());
    expect(relativeError(readNpy(path.join(dir, 'y.npy')), y), name).toBeLessThanOrEqual(1e-4);
    built.dispose();
  }

  it.each(EXAMPLES)('%s', async (f) => {
    const p = projects.find((x) => x.file === path.join(REPO, f))!;
    for (const m of p.models) await roundTrip(p, m, 7);
  });

  // A merge of one branch is written as an identity (tfjs's merge layers take two inputs or
  // more), so it comes back as a linear activation: the same outputs, another op in the summary.
  const oneBranch = OP_CASES.findIndex((c) => c.title === 'merges of one branch');

  // The Highway custom layer (issue 12) has no reader in `cnnc import keras` yet: it refuses the
  // layer with CNN2032 (a diagnostic, never a wrong model), so those cases are left out here.
  const highway = (i: number) => OP_CASES[i].ops.includes('highway');
  // A yolo head (issue 14) is the identity on its grid, emitted as a linear activation: it comes
  // back as one, with the same outputs and another op in the summary (no head to decode).
  const yolo = (i: number) => OP_CASES[i].ops.includes('yolo');
  it.each(
    OP_CASES.map((c, i) => [c.title, i] as const).filter(
      ([, i]) => i !== oneBranch && !highway(i) && !yolo(i),
    ),
  )('op case: %s', async (_title, i) => {
    const p = projects[projects.length - 1];
    await roundTrip(p, p.models[i], 100 + i);
  });
});
