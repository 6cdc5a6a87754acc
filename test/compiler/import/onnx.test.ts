/**
 * `cnnc import onnx` on small graphs built here (onnx-fixtures.ts): the .cnn text of a model that
 * touches most of the subset is a golden file, and its imported weights give onnxruntime-web's
 * output (the reference ONNX implementation, run in Node through wasm) through `cnnc run`.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { exportOnnx } from '../../../compiler/codegen/onnx/index.js';
import { importOnnx } from '../../../compiler/import/onnx.js';
import { compileFile } from '../../../compiler/program.js';
import { parseNpy } from '../../../runtime/data/npy.js';
import { encodeNpy } from '../../../runtime/weights/npy.js';
import { expectBaseline } from '../../helpers/baseline.js';
import { runCnnc } from '../../helpers/cli.js';
import { memoryHost, memPath } from '../../helpers/memory-host.js';
import { encodeOnnx, seeded, smallGraph } from './onnx-fixtures.js';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cnnc-onnx-'));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

describe('cnnc import onnx', () => {
  it('writes the small model as hand-written statements (golden)', () => {
    const r = importOnnx(encodeOnnx(smallGraph()), { file: 'small.onnx', cnnFile: 'small.cnn' });
    expect(r.diagnostics.map((d) => [d.code, d.message])).toEqual([]);
    expectBaseline('import/onnx-small.cnn', r.source!);
    // Every weight of the compiled model comes from an initializer.
    const weights = r.graph!.nodes.flatMap((n) =>
      (n.weights ?? []).map((w) => `${n.name}/${w.name}`),
    );
    expect(r.weights.map((w) => w.name)).toEqual(weights);
  });

  it("gives onnxruntime-web's output through cnnc run", async () => {
    const bytes = encodeOnnx(smallGraph());
    fs.writeFileSync(path.join(dir, 'small.onnx'), bytes);
    const imp = await runCnnc(['import', 'onnx', 'small.onnx'], dir);
    expect(imp.code, imp.err).toBe(0);
    expect(fs.existsSync(path.join(dir, 'small.safetensors'))).toBe(true);

    const [n, c, h, w] = [2, 3, 8, 8];
    const nchw = Float32Array.from(seeded([n, c, h, w], 99));
    const nhwc = new Float32Array(nchw.length);
    for (let b = 0; b < n; b++)
      for (let y = 0; y < h; y++)
        for (let x = 0; x < w; x++)
          for (let k = 0; k < c; k++)
            nhwc[((b * h + y) * w + x) * c + k] = nchw[((b * c + k) * h + y) * w + x];
    fs.writeFileSync(path.join(dir, 'x.npy'), encodeNpy([n, h, w, c], nhwc));
    const run = await runCnnc(
      [
        'run',
        'small.cnn',
        '--weights',
        'small.safetensors',
        '--input',
        'x.npy',
        '--output',
        'y.npy',
      ],
      dir,
    );
    expect(run.code, run.err).toBe(0);
    const ours = parseNpy(fs.readFileSync(path.join(dir, 'y.npy')), 'y.npy').data;

    const ort = await import('onnxruntime-web');
    const session = await ort.InferenceSession.create(bytes);
    const out = await session.run({ image: new ort.Tensor('float32', nchw, [n, c, h, w]) });
    const theirs = out.probs.data as Float32Array;
    expect(ours.length).toBe(theirs.length);
    let err = 0;
    for (let i = 0; i < theirs.length; i++) err = Math.max(err, Math.abs(ours[i] - theirs[i]));
    expect(err).toBeLessThanOrEqual(1e-5);
  }, 60_000);
});

describe('cnnc import onnx reads back the Resize nodes cnnc exports for upsample', () => {
  it.each([
    ['upsample 2', 'upsample 2'],
    ['upsample 2x3 bilinear', 'upsample 2x3 bilinear'],
    ['upsample to 20x10', 'upsample to 20x10'],
    ['upsample to 9x7 bilinear', 'upsample to 9x7 bilinear'],
  ])('%s', (stmt, want) => {
    const source = `model M {\n  input 6x5x2\n  conv 3 3x3 same\n  ${stmt}\n}\n`;
    const r = compileFile(memPath('m.cnn'), memoryHost({ 'm.cnn': source }));
    expect(r.diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
    const g = r.models[0].graph;
    const weights = g.nodes.flatMap((n) =>
      (n.weights ?? []).map((w) => ({
        name: `${n.name}/${w.name}`,
        shape: w.shape,
        data: Float32Array.from(seeded(w.shape, 3)),
      })),
    );
    const out = exportOnnx(g, weights);
    expect(out.diagnostics).toEqual([]);
    const back = importOnnx(out.bytes!, { file: 'm.onnx', cnnFile: 'm.cnn' });
    expect(back.diagnostics.map((d) => [d.code, d.message])).toEqual([]);
    expect(back.source).toContain(`${want}\n`);
    const up = (graph: typeof g) => graph.nodes.find((n) => n.op === 'upsample')?.attrs;
    expect(up(back.graph!)).toEqual(up(g));
  });
});
