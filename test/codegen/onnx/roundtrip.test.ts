/**
 * Export → import of every stdlib model (stdlib-all.ts finds them by compiling stdlib/*.cnn, and
 * the count is asserted): the model exported by `exportOnnx` and read back by `importOnnx`
 * compiles to the same summary (summaryFacts: shapes, parameters, buffers, MACs, receptive
 * fields, layer by layer) with no diagnostic but the original's warnings.
 *
 * - At the declared size (2.3 billion weights in all, VGG-19's 575 MB among them) the weights are
 *   written as ONNX external data, whose bytes the exporter makes only when asked
 *   (ExternalChunk.bytes): the graph is exported and imported without them. Debian's python3-onnx
 *   `onnx.checker.check_model(full_check=True)` accepts each file; it reads no weight values (it
 *   checks the graph, the op schemas and shape inference from the initializers' dims), so the data
 *   file it needs beside the model is a sparse file of the right length. One Python process checks
 *   every file (OnnxChecker), each deleted once checked; skipped with a reason where `import onnx`
 *   fails, unless CNNC_REQUIRE_ONNX=1. (Inline weights pass the checker in parity.test.ts.)
 * - At a small input (stdlib-all.ts's smallModel; VGG's and AlexNet's 4096-wide classifiers
 *   narrowed) with seeded weights and random batch-norm statistics inline: the imported .cnn with
 *   the weights `cnnc import onnx` converts gives the original's outputs through the reference
 *   executor (what `cnnc run` calls) within 1e-4, each of them for a model with several
 *   (InceptionV3Aux's `main` and `aux`), under the same names.
 * - examples/two-heads.cnn comes back the same way, its head written as `output aux { … }`.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { convertWeights } from '../../../compiler/cli/import-onnx.js';
import { exportOnnx } from '../../../compiler/codegen/onnx/index.js';
import { importOnnx, type OnnxImport } from '../../../compiler/import/onnx.js';
import type { Diagnostic } from '../../../compiler/diagnostics/diagnostic.js';
import type { Graph } from '../../../compiler/ir/graph.js';
import type { NamedTensor } from '../../../runtime/weights/tensor.js';
import { REPO } from '../../helpers/memory-host.js';
import {
  cnncForwardAll,
  compileModels,
  exportOk,
  hasOnnx,
  ONNX_SKIP_REASON,
  onnxRequired,
  OnnxChecker,
  relativeError,
  sampleInput,
  seededWeights,
} from './onnx-helpers.js';
import {
  compileSource,
  smallModel,
  STDLIB_TOTAL,
  stdlibModels,
  summaryFacts,
  type StdlibModel,
} from './stdlib-all.js';

const work = fs.mkdtempSync(path.join(os.tmpdir(), 'cnnc-onnx-roundtrip-'));
const checking = hasOnnx || onnxRequired;
const checker = checking ? new OnnxChecker() : null;
afterAll(() => {
  checker?.close();
  fs.rmSync(work, { recursive: true, force: true });
});

const models = stdlibModels();
const skipNote = checking ? '' : ` (checker ${ONNX_SKIP_REASON})`;

/** Writes the model and a sparse data file of its length, runs the checker, deletes both. */
async function checkGraph(name: string, bytes: Uint8Array, dataFile: string, length: number) {
  if (!checker) return;
  const file = path.join(work, `${name}.onnx`);
  const data = path.join(work, dataFile);
  fs.writeFileSync(file, bytes);
  fs.writeFileSync(data, '');
  fs.truncateSync(data, length);
  try {
    expect(await checker.check(file), `${name}: onnx.checker`).toBeNull();
  } finally {
    fs.rmSync(file, { force: true });
    fs.rmSync(data, { force: true });
  }
}

/** No error, and no warning the original's compilation did not give. */
function expectOnly(diagnostics: readonly Diagnostic[], warnings: readonly string[]): void {
  const seen = diagnostics.map((d) => `${d.severity} ${d.code} ${d.message}`);
  expect(seen.filter((d) => !warnings.some((w) => d === `warning ${w}`))).toEqual([]);
}

/**
 * The imported model gives the original's outputs: the same names in the same order, and each
 * output within 1e-4 through the reference executor (what `cnnc run` calls).
 */
async function expectSameOutputs(
  original: { graph: Graph; weights: readonly NamedTensor[] },
  imported: OnnxImport,
  seed: number,
): Promise<void> {
  const tensors = convertWeights(imported, path.join(work, `${original.graph.model}.onnx`));
  const x = sampleInput(original.graph, 1, seed);
  const wants = await cnncForwardAll(original.graph, original.weights, x);
  const gots = await cnncForwardAll(imported.graph!, tensors, x);
  expect(gots.map((y) => y.name)).toEqual(wants.map((y) => y.name));
  wants.forEach((want, i) => {
    const got = gots[i];
    expect(got.shape).toEqual(want.shape);
    // Not a constant output, which any weights would give alike.
    expect(Math.max(...want.data) - Math.min(...want.data)).toBeGreaterThan(0);
    const err = relativeError(got.data, want.data);
    console.log(
      `${original.graph.model} ${x.shape.join('x')} output ${want.name}: max relative error ${err.toExponential(2)}`,
    );
    expect(err, want.name).toBeLessThanOrEqual(1e-4);
  });
}

describe('ONNX export → import of every stdlib model', () => {
  it(`finds the stdlib's ${STDLIB_TOTAL} models`, () => {
    expect(models.length, models.map((m) => m.name).join(', ')).toBe(STDLIB_TOTAL);
  });

  it.each(models)(
    `$name at its declared size: the same summary${checking ? ', and the checker accepts it' : skipNote}`,
    async (m: StdlibModel) => {
      // Shapes only: with external data the exporter reads no weight values unless asked to.
      const none = new Float32Array(0);
      const weights = m.graph.nodes.flatMap((n) =>
        (n.weights ?? []).map((w) => ({ name: `${n.name}/${w.name}`, shape: w.shape, data: none })),
      );
      const dataFile = `${m.name}.onnx.data`;
      const r = exportOnnx(m.graph, weights, { externalData: dataFile });
      expect(r.diagnostics.map((d) => `${d.code} ${d.message}`)).toEqual([]);
      const length = r.external.reduce((a, c) => a + c.length, 0);
      // Every weight is in the data file, one after another.
      expect(length / 4).toBe(weights.reduce((a, w) => a + w.shape.reduce((x, y) => x * y, 1), 0));
      const imported = importOnnx(r.bytes!, { file: `${m.name}.onnx` });
      expectOnly(imported.diagnostics, m.warnings);
      expect(summaryFacts(compileSource(imported.source!))).toEqual(summaryFacts(m.compiled));
      await checkGraph(m.name, r.bytes!, dataFile, length);
    },
  );

  it.each(models.map((m, i) => ({ m, i, name: m.name })))(
    "$name at a small input: the same summary, and cnnc run's outputs within 1e-4",
    async ({ m, i }) => {
      const small = smallModel(m);
      const graph = small.compiled.graph;
      const seed = 5000 + i;
      const weights = seededWeights(graph, seed);
      const bytes = exportOk(graph, weights);
      const imported = importOnnx(bytes, { file: `${graph.model}.onnx` });
      expectOnly(imported.diagnostics, small.warnings);
      expect(summaryFacts(compileSource(imported.source!))).toEqual(summaryFacts(small.compiled));
      await expectSameOutputs({ graph, weights }, imported, seed);
    },
    600_000,
  );

  it('the stdlib has a model with several outputs (InceptionV3Aux), which comes back with them', () => {
    const m = models.find((x) => x.name === 'InceptionV3Aux')!;
    expect(m.graph.outputNames).toEqual(['main', 'aux']);
  });
});

describe('ONNX export → import of examples/two-heads.cnn', () => {
  it("the same summary, outputs `main` and `aux` written as the example writes them, and cnnc run's outputs", async () => {
    const [graph] = compileModels(path.join(REPO, 'examples/two-heads.cnn'));
    const weights = seededWeights(graph, 77);
    const imported = importOnnx(exportOk(graph, weights), { file: 'two-heads.onnx' });
    expectOnly(imported.diagnostics, []);
    const original = compileSource(
      fs.readFileSync(path.join(REPO, 'examples/two-heads.cnn'), 'utf8'),
    );
    expect(summaryFacts(compileSource(imported.source!))).toEqual(summaryFacts(original));
    // The head's layers inside `output aux { … }` right after the pool it reads, as the example.
    expect(imported.source).toMatch(
      /\n {2}maxpool [^\n]*\n {2}output aux \{\n( {4}[^\n]*\n)+ {2}\}\n/,
    );
    expect(imported.graph!.outputNames).toEqual(['main', 'aux']);
    await expectSameOutputs({ graph, weights }, imported, 77);
  }, 120_000);
});
