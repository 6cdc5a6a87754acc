/**
 * `cnnc compile --emit onnx`, checked two ways over every example (examples/*.cnn,
 * examples/transfer/*.cnn, examples/detection/*.cnn), every stdlib family at a small input and the
 * single-op table of test/codegen/op-cases.ts (every IR op and padding mode): onnxruntime-web
 * (wasm, in Node) gives `cnnc run`'s outputs (the reference executor), each graph output named as
 * the model names it and each within 1e-4 (max |ort − cnnc| / max |cnnc|), with seeded weights
 * and random batch-norm statistics; and Debian's python3-onnx
 * `onnx.checker.check_model(full_check=True)` accepts every exported model (one Python process).
 * A few cases also run with `layout: 'nhwc'`, fed cnnc's channels-last arrays as they are.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Graph } from '../../../compiler/ir/graph.js';
import { OP_KINDS } from '../../../compiler/ir/ops.js';
import type { NamedTensor } from '../../../runtime/weights/tensor.js';
import { REPO } from '../../helpers/memory-host.js';
import { OP_CASES, opCasesFile } from '../op-cases.js';
import { EXAMPLE_FILES, STDLIB_MODEL_COUNT, STDLIB_MODELS } from '../parity-cases.js';
import {
  checkModels,
  cnncForwardAll,
  compileModels,
  exportOk,
  hasOnnx,
  ONNX_SKIP_REASON,
  onnxRequired,
  relativeError,
  runOrtAll,
  sampleInput,
  seededWeights,
  toNchw,
  writeTemp,
} from './onnx-helpers.js';

const work = fs.mkdtempSync(path.join(os.tmpdir(), 'cnnc-onnx-parity-'));
afterAll(() => fs.rmSync(work, { recursive: true, force: true }));

interface Case {
  readonly title: string;
  readonly graph: Graph;
  readonly weights: readonly NamedTensor[];
  readonly bytes: Uint8Array;
  readonly file: string;
  readonly seed: number;
}

const cases: Case[] = [];

function addCases(file: string, label: string, seed: number): void {
  compileModels(file).forEach((graph, i) => {
    const weights = seededWeights(graph, seed + i);
    const bytes = exportOk(graph, weights);
    const title = `${label} ${graph.model}`;
    const onDisk = writeTemp(work, `${title.replace(/[^A-Za-z0-9]+/g, '_')}.onnx`, bytes);
    cases.push({ title, graph, weights, bytes, file: onDisk, seed: seed + i });
  });
}

/**
 * Every output: the graph's outputs are named as the model names them (`output` for a model
 * without `output` statements), and each is `cnnc run`'s within 1e-4.
 */
async function check(c: Case, layout: 'nchw' | 'nhwc' = 'nchw'): Promise<number> {
  const x = sampleInput(c.graph, 2, c.seed * 7 + 1);
  const wants = await cnncForwardAll(c.graph, c.weights, x);
  const bytes = layout === 'nchw' ? c.bytes : exportOk(c.graph, c.weights, 'nhwc');
  const rank = x.shape.length;
  const nchwShape = rank > 2 ? [x.shape[0], x.shape[rank - 1], ...x.shape.slice(1, -1)] : x.shape;
  const ys =
    layout === 'nchw'
      ? await runOrtAll(bytes, toNchw(x.data, x.shape), nchwShape)
      : await runOrtAll(bytes, x.data, x.shape);
  const names = c.graph.outputNames ?? ['output'];
  expect(
    ys.map((y) => y.name),
    c.title,
  ).toEqual(names);
  let worst = 0;
  wants.forEach((want, i) => {
    const expected = layout === 'nchw' ? toNchw(want.data, want.shape) : want.data;
    const err = relativeError(ys[i].data, expected);
    const what = names.length > 1 ? `${c.title} output ${want.name}` : c.title;
    console.log(`${what} (${layout}): max relative error ${err.toExponential(2)}`);
    expect(err, what).toBeLessThanOrEqual(1e-4);
    worst = Math.max(worst, err);
  });
  return worst;
}

describe('ONNX export: onnxruntime-web vs cnnc run, and the ONNX checker', () => {
  beforeAll(() => {
    const stdlib = path.join(work, 'stdlib-models.cnn');
    fs.writeFileSync(stdlib, STDLIB_MODELS);
    const ops = path.join(work, 'op-cases.cnn');
    fs.writeFileSync(ops, opCasesFile());
    let seed = 1;
    for (const f of EXAMPLE_FILES) addCases(path.join(REPO, f), f, (seed += 10));
    addCases(stdlib, 'stdlib', 1000);
    addCases(ops, 'ops', 2000);
  }, 300_000);

  it('covers every example, stdlib family and IR op', () => {
    const titles = cases.map((c) => c.title);
    for (const f of EXAMPLE_FILES) expect(titles.some((t) => t.startsWith(`${f} `))).toBe(true);
    expect(cases.filter((c) => c.title.startsWith('stdlib ')).length).toBe(STDLIB_MODEL_COUNT);
    const covered = new Set(OP_CASES.flatMap((c) => c.ops));
    expect(OP_KINDS.filter((op) => op !== 'input' && !covered.has(op))).toEqual([]);
    expect(cases.filter((c) => c.title.startsWith('ops ')).length).toBe(OP_CASES.length);
  });

  it.skipIf(!hasOnnx && !onnxRequired)(
    `onnx.checker.check_model(full_check=True) accepts every exported model${hasOnnx || onnxRequired ? '' : ` (${ONNX_SKIP_REASON})`}`,
    () => {
      const bad = checkModels(cases.map((c) => c.file));
      expect(Object.fromEntries(bad)).toEqual({});
    },
    300_000,
  );

  it.each(OP_CASES.map((c, i) => [c.title, `Op${i + 1}`] as const))(
    'op case: %s',
    async (_title, model) => {
      await check(cases.find((c) => c.title === `ops ${model}`)!);
    },
  );

  it.each(EXAMPLE_FILES.map((f) => [f]).concat([['stdlib']]))(
    '%s: every model matches cnnc run within 1e-4',
    async (label) => {
      for (const c of cases.filter((x) => x.title.startsWith(`${label} `))) await check(c);
    },
    300_000,
  );

  it('layout nhwc takes and gives channels-last arrays', async () => {
    // A spatial output, a vector output, a reshape and a flatten in cnnc's order.
    const picks = [
      'conv same, odd kernel',
      'flatten to the output (cnnc order)',
      'reshape image to sequence',
      'gap, gmp',
    ];
    for (const title of picks) {
      const i = OP_CASES.findIndex((c) => c.title === title);
      await check(
        cases.find((c) => c.title === `ops Op${i + 1}`)!,
        'nhwc',
      );
    }
    await check(
      cases.find((c) => c.title === 'stdlib ResNet18Small')!,
      'nhwc',
    );
  });
});
