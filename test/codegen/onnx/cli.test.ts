/**
 * `cnnc compile --emit onnx` through the CLI: ResNet-18 with torchvision's seeded weights
 * (scripts/torch-export.py, `--weights … --map torchvision`) gives torchvision's own output in
 * onnxruntime-web within 1e-4 and opens in a fresh `onnx.load` with the expected input and output
 * names and shapes; LeNet-5's graph as text is a golden file; emitting twice gives the same bytes;
 * with --external-data the weights go to model.onnx.data, which `cnnc import onnx` and
 * `onnx.load` read back as the inline model's;
 * an op with no ONNX form is a diagnostic and no file; hostile layer names survive as they are.
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { describeOnnx } from '../../../compiler/codegen/onnx/index.js';
import { parseNpy } from '../../../runtime/data/npy.js';
import { expectBaseline } from '../../helpers/baseline.js';
import { runCnnc } from '../../helpers/cli.js';
import { REPO } from '../../helpers/memory-host.js';
import { hasTorchvision, torchRequired } from '../torch.js';
import { hasOnnx, onnxRequired, PYTHON, relativeError, runOrt, toNchw } from './onnx-helpers.js';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cnnc-onnx-cli-'));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));
const cnnc = (args: readonly string[], cwd = dir) => runCnnc(args, cwd);
const npy = (file: string) => parseNpy(fs.readFileSync(path.join(dir, file)), file);

describe.runIf(hasTorchvision || torchRequired)('ResNet-18 with torchvision weights', () => {
  it('gives torchvision’s output in onnxruntime and opens in onnx.load', async () => {
    expect(hasTorchvision, `${PYTHON} cannot import torch and torchvision`).toBe(true);
    const r = spawnSync(
      PYTHON,
      [path.join(REPO, 'scripts/torch-export.py'), dir, 'resnet18:64x64:2'],
      {
        encoding: 'utf8',
        timeout: 300_000,
      },
    );
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    fs.writeFileSync(
      path.join(dir, 'r18.cnn'),
      'import resnet\n\nmodel R18 = ResNet18 { input 64x64x3 }\n',
    );
    const c = await cnnc([
      'compile',
      'r18.cnn',
      '--emit',
      'onnx',
      '--weights',
      'resnet18.safetensors',
      '--map',
      'torchvision',
      '-o',
      'r18.onnx',
    ]);
    expect(c.err).toMatch(/^wrote r18\.onnx/);
    expect(c.code).toBe(0);
    const x = npy('resnet18-input.npy');
    const [n, h, w, ch] = x.shape.length === 3 ? [x.count, ...x.shape] : [x.count, ...x.shape];
    const y = await runOrt(
      fs.readFileSync(path.join(dir, 'r18.onnx')),
      toNchw(x.data, [n, h, w, ch]),
      [n, ch, h, w],
    );
    expect(y.dims).toEqual([2, 1000]);
    const err = relativeError(y.data, npy('resnet18-output.npy').data);
    console.log(`ResNet-18 onnxruntime vs torchvision: max relative error ${err.toExponential(2)}`);
    expect(err).toBeLessThanOrEqual(1e-4);
    if (!hasOnnx && !onnxRequired) return;
    const py = spawnSync(
      PYTHON,
      [
        '-c',
        [
          'import json, sys, onnx',
          'm = onnx.load(sys.argv[1])',
          'dims = lambda v: [d.dim_param or d.dim_value for d in v.type.tensor_type.shape.dim]',
          'print(json.dumps({"ir": m.ir_version, "opset": m.opset_import[0].version,',
          '  "inputs": [[v.name, dims(v)] for v in m.graph.input],',
          '  "outputs": [[v.name, dims(v)] for v in m.graph.output]}))',
        ].join('\n'),
        path.join(dir, 'r18.onnx'),
      ],
      { encoding: 'utf8' },
    );
    expect(py.stderr).toBe('');
    expect(JSON.parse(py.stdout)).toEqual({
      ir: 8,
      opset: 13,
      inputs: [['input', ['N', 3, 64, 64]]],
      outputs: [['output', ['N', 1000]]],
    });
  }, 300_000);
});

describe('cnnc compile --emit onnx', () => {
  it('LeNet-5: the golden text of its graph, the same bytes from two working folders', async () => {
    const a = await cnnc([
      'compile',
      path.join(REPO, 'examples/lenet5.cnn'),
      '--emit',
      'onnx',
      '-o',
      'a.onnx',
    ]);
    expect(a.code).toBe(0);
    expect(a.err).toMatch(
      /note: no --weights: LeNet5's weights are its seeded initial values \(seed 42/,
    );
    const b = await cnnc(
      ['compile', 'examples/lenet5.cnn', '--emit', 'onnx', '-o', path.join(dir, 'b.onnx')],
      REPO,
    );
    expect(b.code).toBe(0);
    const bytes = fs.readFileSync(path.join(dir, 'a.onnx'));
    expect(Buffer.compare(bytes, fs.readFileSync(path.join(dir, 'b.onnx')))).toBe(0);
    expectBaseline('codegen-onnx/lenet5.onnx.txt', describeOnnx(bytes));
    const nhwc = await cnnc([
      'compile',
      path.join(REPO, 'examples/lenet5.cnn'),
      '--emit',
      'onnx',
      '--layout',
      'nhwc',
      '-o',
      'c.onnx',
    ]);
    expect(nhwc.code).toBe(0);
    expect(describeOnnx(fs.readFileSync(path.join(dir, 'c.onnx')))).toMatch(
      /input input: float32 \[N, 32, 32, 1\]\n[^]*Transpose input\/to_nchw: input → input\/to_nchw \{perm=\[0, 3, 1, 2\]\}/,
    );
  });

  it('--external-data: the weights in model.onnx.data, read back by cnnc import onnx and onnx.load', async () => {
    const lenet = path.join(REPO, 'examples/lenet5.cnn');
    const inline = await cnnc(['compile', lenet, '--emit', 'onnx', '-o', 'in.onnx']);
    expect(inline.code, inline.err).toBe(0);
    const ext = await cnnc([
      'compile',
      lenet,
      '--emit',
      'onnx',
      '--external-data',
      '-o',
      'ex.onnx',
    ]);
    expect(ext.code, ext.err).toBe(0);
    expect(ext.err).toMatch(
      /wrote ex\.onnx\.data \(LeNet5's weights, 246824 bytes\)\nwrote ex\.onnx /,
    );
    // LeNet-5's 61,706 weights, as float32, are in the data file, not the model.
    expect(fs.statSync(path.join(dir, 'ex.onnx.data')).size).toBe(61_706 * 4);
    expect(fs.statSync(path.join(dir, 'ex.onnx')).size).toBeLessThan(8_000);
    expect(describeOnnx(fs.readFileSync(path.join(dir, 'ex.onnx')))).toMatch(/conv1\.weight/);
    // Imported, both give the same .cnn text and the same weights file.
    for (const f of ['in', 'ex']) {
      const r = await cnnc(['import', 'onnx', `${f}.onnx`, '--name', 'L']);
      expect(r.code, r.err).toBe(0);
    }
    const read = (f: string) => fs.readFileSync(path.join(dir, f));
    expect(read('ex.cnn').toString().replace('from ex.onnx', 'from in.onnx')).toBe(
      read('in.cnn').toString(),
    );
    expect(Buffer.compare(read('ex.safetensors'), read('in.safetensors'))).toBe(0);
    if (!hasOnnx && !onnxRequired) return;
    const py = spawnSync(
      PYTHON,
      [
        '-c',
        [
          'import sys, onnx, numpy',
          'from onnx.numpy_helper import to_array',
          'ex, inline = onnx.load(sys.argv[1]), onnx.load(sys.argv[2])',
          'onnx.checker.check_model(sys.argv[1], full_check=True)',
          'a = {t.name: to_array(t) for t in ex.graph.initializer}',
          'b = {t.name: to_array(t) for t in inline.graph.initializer}',
          'print(len(a), a.keys() == b.keys() and all(numpy.array_equal(a[k], b[k]) for k in a))',
        ].join('\n'),
        path.join(dir, 'ex.onnx'),
        path.join(dir, 'in.onnx'),
      ],
      { encoding: 'utf8' },
    );
    expect(py.stderr).toBe('');
    expect(py.stdout.trim()).toBe('10 True');
  });

  it('an op with no ONNX form: a diagnostic naming the layer, and no file', async () => {
    fs.writeFileSync(
      path.join(dir, 'adaptive.cnn'),
      'model A {\n  input ?x?x3\n  conv 4 3x3\n  pool: adaptiveavgpool 2x2\n}\n',
    );
    const r = await cnnc(['compile', 'adaptive.cnn', '--emit', 'onnx', '-o', 'adaptive.onnx']);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/error\[CNN6201\]: pool: /);
    expect(fs.existsSync(path.join(dir, 'adaptive.onnx'))).toBe(false);
  });

  it('usage errors: no -o, a bad layout, weights flags elsewhere', async () => {
    const lenet = path.join(REPO, 'examples/lenet5.cnn');
    expect((await cnnc(['compile', lenet, '--emit', 'onnx'])).err).toMatch(/needs an output file/);
    expect(
      (await cnnc(['compile', lenet, '--emit', 'onnx', '-o', 'x.onnx', '--layout', 'nwhc'])).err,
    ).toMatch(/--layout must be nchw or nhwc/);
    expect(
      (await cnnc(['compile', lenet, '--emit', 'ir', '--weights', 'w.safetensors'])).err,
    ).toMatch(/--weights goes with --emit onnx/);
  });

  it('hostile layer names stay as they are in node names, told apart where they meet', async () => {
    // Names that are dotted, look like ONNX value names of the exporter, or carry non-ASCII.
    fs.writeFileSync(
      path.join(dir, 'hostile.cnn'),
      'model H {\n  input 4x4x2\n  output: conv 2 1x1\n  conv1: { weight: relu }\n  gap\n}\n',
    );
    const r = await cnnc(['compile', 'hostile.cnn', '--emit', 'onnx', '-o', 'h.onnx']);
    expect(r.code, r.err).toBe(0);
    const text = describeOnnx(fs.readFileSync(path.join(dir, 'h.onnx')));
    expect(text).toMatch(/Conv output: input, output\.weight, output\.bias → output_2/);
    expect(text).toMatch(/Relu conv1\.weight: output_2 → conv1\.weight\n/);
    expect(text).toMatch(/output output: float32 \[N, 2\]/);
  });
});
