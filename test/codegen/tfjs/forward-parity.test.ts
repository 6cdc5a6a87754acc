/**
 * Forward parity of `cnnc compile --emit tfjs`: for every example (examples/*.cnn,
 * examples/transfer/*.cnn), every stdlib family at a small input (test/codegen/parity-cases.ts)
 * and a table of single-op models covering every IR op and padding mode (test/codegen/op-cases.ts,
 * shared with the PyTorch generator), the emitted project is type-checked with tsc, transpiled and
 * run in-process on the wasm backend: its model.ts builds the model, its weights.ts loads weights
 * that cnnc wrote (seeded initial values and random batch-norm statistics, as safetensors), and
 * model.predict gives `cnnc run`'s output (reference backend) within 1e-4 (max |tfjs − cnnc| /
 * max |cnnc|), each output of a model with several (examples/two-heads.cnn), and a detector's raw
 * grid (examples/detection). The model's parameter count equals `cnnc summary`'s, and writeSafetensors gives
 * back the weights it loaded, under cnnc's names.
 */
import { addCounts, toNumber } from '../../../compiler/sema/count.js';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { nodeHost } from '../../../compiler/cli/host.js';
import type { Graph } from '../../../compiler/ir/graph.js';
import { OP_KINDS } from '../../../compiler/ir/ops.js';
import { namedOutputs } from '../../../compiler/sema/outputs.js';
import { compileFile } from '../../../compiler/program.js';
import { rng } from '../../../runtime/data/dataset.js';
import { initialValue } from '../../../runtime/init.js';
import { encodeNpy } from '../../../runtime/weights/npy.js';
import { encodeSafetensors } from '../../../runtime/weights/safetensors.js';
import { runCnnc } from '../../helpers/cli.js';
import { REPO } from '../../helpers/memory-host.js';
import { readNpy, relativeError } from '../compare.js';
import { OP_CASES, opCasesFile } from '../op-cases.js';
import { EXAMPLE_FILES, STDLIB_MODEL_COUNT, STDLIB_MODELS } from '../parity-cases.js';
import {
  emitTfjs,
  loadProject,
  transpile,
  typecheckAll,
  type LoadedProject,
} from './tfjs-project.js';

const work = fs.mkdtempSync(path.join(os.tmpdir(), 'cnnc-tfjs-parity-'));
/** The emitted projects, one folder each (type-checked together). */
const projectsDir = path.join(work, 'projects');
afterAll(() => fs.rmSync(work, { recursive: true, force: true }));

interface Case {
  readonly title: string;
  /** The .cnn file `cnnc run` reads. */
  readonly file: string;
  readonly graph: Graph;
  /** Parameters and buffers (batch-norm statistics), as `cnnc summary` counts them. */
  readonly weights: number;
  /** The emitted project's folder. */
  readonly dir: string;
  readonly seed: number;
}

/** cnnc's weights for a graph: seeded initial values, and random batch-norm statistics. */
function cnncWeights(graph: Graph, seed: number): Uint8Array {
  const random = rng(seed);
  const tensors = graph.nodes.flatMap((n) =>
    (n.weights ?? []).map((w) => {
      const data = initialValue(n, w, seed);
      if (n.op === 'batch_norm')
        for (let i = 0; i < data.length; i++) {
          const r = random();
          data[i] = w.name === 'moving_mean' || w.name === 'beta' ? (r - 0.5) * 0.4 : 0.5 + r;
        }
      return { name: `${n.name}/${w.name}`, shape: w.shape, data };
    }),
  );
  return encodeSafetensors(tensors);
}

const projects = new Map<string, LoadedProject>();

/** Emits, type-checks and loads the project of a file; one case per model. */
async function casesOf(file: string, label: string, seed: number): Promise<Case[]> {
  const dir = path.join(projectsDir, label.replace(/[^A-Za-z0-9]+/g, '_'));
  const r = await emitTfjs(file, dir);
  if (r.code !== 0) throw new Error(`cnnc compile ${file} --emit tfjs: ${r.err}`);
  projects.set(dir, await loadProject(transpile(dir)));
  const compiled = compileFile(file, nodeHost(REPO));
  return compiled.models.map((m, i) => ({
    title: `${label} ${m.graph.model}`,
    file,
    graph: m.graph,
    weights: toNumber(addCounts(m.summary!.params.total, m.summary!.buffers)),
    dir,
    seed: seed + i,
  }));
}

describe('forward parity: emitted TensorFlow.js vs cnnc run', () => {
  const cases: Case[] = [];
  beforeAll(async () => {
    const stdlib = path.join(work, 'stdlib-models.cnn');
    fs.writeFileSync(stdlib, STDLIB_MODELS);
    const ops = path.join(work, 'op-cases.cnn');
    fs.writeFileSync(ops, opCasesFile());
    let seed = 1;
    for (const f of EXAMPLE_FILES)
      cases.push(...(await casesOf(path.join(REPO, f), f, (seed += 10))));
    cases.push(...(await casesOf(stdlib, 'stdlib', 1000)));
    cases.push(...(await casesOf(ops, 'ops', 2000)));
    await projects.values().next().value!.useBackend('wasm');
  }, 600_000);

  it('tsc --noEmit accepts every emitted project', () => {
    expect(typecheckAll(projectsDir)).toBeNull();
  }, 300_000);

  async function checkCase(c: Case): Promise<number> {
    const project = projects.get(c.dir)!;
    const spec = project.MODELS.get(c.graph.model)!;
    const at = (suffix: string) => path.join(c.dir, `${c.graph.model}${suffix}`);
    fs.writeFileSync(at('.safetensors'), cnncWeights(c.graph, c.seed));
    const dims = spec.input.map((d) => d ?? 32);
    const random = rng(c.seed * 7 + 1);
    const x = Float32Array.from({ length: 2 * dims.reduce((a, b) => a * b, 1) }, () => random());
    fs.writeFileSync(at('-x.npy'), encodeNpy([2, ...dims], x));
    const run = await runCnnc([
      'run',
      c.file,
      '--model',
      c.graph.model,
      '--weights',
      at('.safetensors'),
      '--input',
      at('-x.npy'),
      '--output',
      at('-cnnc.npy'),
      '--backend',
      'reference',
    ]);
    expect(run.err, c.title).not.toMatch(/warning|error/);
    expect(run.code, c.title).toBe(0);
    const model = spec.build();
    project.loadWeights(model, spec, at('.safetensors'));
    // tfjs's count includes the non-trainable weights (batch-norm statistics): cnnc's buffers.
    expect(model.countParams(), c.title).toBe(c.weights);
    // Every output, in the graph's order: `cnnc run --output Y.npy` writes Y.NAME.npy for each of
    // several outputs.
    const names = namedOutputs(c.graph).map((o) => o.name);
    const xs = tf.tensor(x, [2, ...dims]);
    const predicted = model.predict(xs);
    const ys = Array.isArray(predicted) ? predicted : [predicted];
    expect(ys.length, c.title).toBe(names.length);
    let err = 0;
    names.forEach((name, i) => {
      const expected = readNpy(at(names.length > 1 ? `-cnnc.${name}.npy` : '-cnnc.npy'));
      const e = relativeError(ys[i].dataSync(), expected);
      console.log(
        `${c.title}${names.length > 1 ? ` (${name})` : ''}: max relative error ${e.toExponential(2)}`,
      );
      expect(e, `${c.title} ${name}`).toBeLessThanOrEqual(1e-4);
      err = Math.max(err, e);
    });
    tf.dispose([xs, ...ys]);
    // writeSafetensors gives back what was loaded, under cnnc's names.
    project.writeSafetensors(at('-back.safetensors'), model, spec);
    const back = project.readWeightsFile(at('-back.safetensors'));
    const given = project.readWeightsFile(at('.safetensors'));
    expect([...back.keys()].sort(), c.title).toEqual([...given.keys()].sort());
    const bytes = (a: Float32Array) => Buffer.from(a.buffer, a.byteOffset, a.byteLength);
    for (const [name, t] of given)
      expect(Buffer.compare(bytes(back.get(name)!.data), bytes(t.data)), name).toBe(0);
    model.dispose();
    return err;
  }

  it('covers every example and stdlib family', () => {
    const titles = cases.map((c) => c.title);
    for (const f of EXAMPLE_FILES) expect(titles.some((t) => t.startsWith(`${f} `))).toBe(true);
    expect(cases.filter((c) => c.title.startsWith('stdlib ')).length).toBe(STDLIB_MODEL_COUNT);
  });

  it('the single-op cases cover every IR op', () => {
    const covered = new Set(OP_CASES.flatMap((c) => c.ops));
    expect(OP_KINDS.filter((op) => op !== 'input' && !covered.has(op))).toEqual([]);
    expect(cases.filter((c) => c.title.startsWith('ops ')).length).toBe(OP_CASES.length);
  });

  it.each(OP_CASES.map((c, i) => [c.title, `Op${i + 1}`] as const))(
    'op case: %s',
    async (_title, model) => {
      await checkCase(cases.find((c) => c.title === `ops ${model}`)!);
    },
  );

  it.each(EXAMPLE_FILES.map((f) => [f]).concat([['stdlib']]))(
    "%s: every model matches cnnc run (reference) within 1e-4, with cnnc summary's parameter count",
    async (label) => {
      for (const c of cases.filter((x) => x.title.startsWith(`${label} `))) await checkCase(c);
    },
    600_000,
  );
});
