/**
 * `cnnc import keras` in process: nsfwjs's MobileNetV2, unwrapped into an ordinary TensorFlow.js
 * layers model by the example's loader, becomes examples/transfer/mobilenet_v2.cnn and a weights
 * folder whose values are the loader's; problems are reported and write nothing.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readWeightsFile } from '../../../runtime/weights/files.js';
import {
  loadNsfwjsWeights,
  readNsfwjsModel,
  writeTfjsLayersModel,
} from '../../../examples/transfer/load-nsfwjs.js';
import { cli } from '../../cli/run-cli.js';
import { REPO } from '../../helpers/memory-host.js';
import { sequential } from './keras-fixtures.js';

let tmp: string;

beforeAll(() => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'cnnc-import-'));
});

afterAll(() => {
  fs.rmSync(tmp, { recursive: true, force: true });
});

describe('cnnc import keras', () => {
  it('turns the nsfwjs model into the example .cnn and a weights folder under cnnc names', () => {
    const model = readNsfwjsModel();
    writeTfjsLayersModel(model, path.join(tmp, 'nsfw'));
    const r = cli(
      ['import', 'keras', 'nsfw/model.json', '-o', 'mnv2.cnn', '--name', 'MobileNetV2'],
      {},
      tmp,
    );
    expect(r.err).toContain('wrote mnv2.cnn: model MobileNetV2, 162 Keras layers');
    expect(r.code).toBe(0);
    const example = fs.readFileSync(path.join(REPO, 'examples/transfer/mobilenet_v2.cnn'), 'utf8');
    expect(fs.readFileSync(path.join(tmp, 'mnv2.cnn'), 'utf8')).toBe(example);

    const written = readWeightsFile(path.join(tmp, 'mnv2.weights'));
    const expected = loadNsfwjsWeights(model).weights;
    expect(written.tensors.map((t) => t.name)).toEqual([...expected.keys()]);
    const bytes = (d: Float32Array) => Buffer.from(d.buffer, d.byteOffset, d.byteLength);
    const differ = written.tensors.filter((t) => {
      const want = expected.get(t.name)!;
      return t.shape.join('x') !== want.shape.join('x') || !bytes(t.data).equals(bytes(want.data));
    });
    expect(differ.map((t) => t.name)).toEqual([]);
    expect(r.err).toContain(`wrote mnv2.weights: ${expected.size} weights under cnnc names`);
  });

  it('names each layer it cannot express, exits 1 and writes nothing', () => {
    fs.writeFileSync(
      path.join(tmp, 'bad.json'),
      sequential([
        ['Dense', { units: 4, batch_input_shape: [null, 3] }],
        ['Lambda', {}],
        ['Cropping2D', {}],
      ]),
    );
    const r = cli(['import', 'keras', 'bad.json'], {}, tmp);
    expect(r.code).toBe(1);
    expect(r.err).toContain('error[CNN2032]: Keras layer `lambda_2` (Lambda)');
    expect(r.err).toContain('error[CNN2032]: Keras layer `cropping2d_3` (Cropping2D)');
    expect(r.err).toContain('bad.json:');
    expect(fs.existsSync(path.join(tmp, 'bad.cnn'))).toBe(false);
  });

  it('checks what it writes wherever -o points, also above the working folder', () => {
    fs.mkdirSync(path.join(tmp, 'deep', 'cwd'), { recursive: true });
    fs.writeFileSync(
      path.join(tmp, 'deep', 'up.json'),
      sequential([['Dense', { units: 4, batch_input_shape: [null, 3] }]]),
    );
    const r = cli(
      ['import', 'keras', '../up.json', '-o', '../../up.cnn'],
      {},
      path.join(tmp, 'deep', 'cwd'),
    );
    expect(r.err).not.toContain('CNN2060');
    expect(r.code).toBe(0);
    expect(fs.readFileSync(path.join(tmp, 'up.cnn'), 'utf8')).toContain('dense 4');
  });

  it('writes only the .cnn file for a topology without weights', () => {
    fs.writeFileSync(
      path.join(tmp, 'topo.json'),
      sequential([['Dense', { units: 4, batch_input_shape: [null, 3] }]]),
    );
    const r = cli(['import', 'keras', 'topo.json'], {}, tmp);
    expect(r.code).toBe(0);
    expect(r.err).toContain('lists no weights');
    expect(fs.readFileSync(path.join(tmp, 'topo.cnn'), 'utf8')).toContain('dense_1: dense 4');
    expect(fs.existsSync(path.join(tmp, 'topo.weights'))).toBe(false);
  });

  it.each([
    [['import', 'caffe', 'x.caffemodel'], 2, 'reads keras and onnx models'],
    [['import', 'keras'], 2, 'takes one model.json'],
    [['import', 'keras', 'missing.json'], 1, 'missing.json: no such file'],
    [['import', 'keras', 'topo.json', '--name', 'a-b'], 2, '--name must be an identifier'],
  ] as const)('%j exits %i', (args, code, words) => {
    const r = cli(args, {}, tmp);
    expect(r.code).toBe(code);
    expect(r.err).toContain(words);
  });
});
