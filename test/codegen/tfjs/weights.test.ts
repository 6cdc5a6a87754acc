/**
 * The emitted weights.ts: a checkpoint that `cnnc train` wrote loads into the emitted model, which
 * then gives `cnnc run`'s output on those weights; and weight files from strangers are refused
 * with a WeightsError that names the problem (a missing, extra or misshapen tensor, a shard path
 * out of the folder, a file that is not a regular file, broken safetensors headers and sizes),
 * before any of their data is used.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rng } from '../../../runtime/data/dataset.js';
import { encodeNpy } from '../../../runtime/weights/npy.js';
import { encodeSafetensors } from '../../../runtime/weights/safetensors.js';
import { runCnnc } from '../../helpers/cli.js';
import { readNpy, relativeError } from '../compare.js';
import { emitTfjs, loadProject, transpile, type LoadedProject } from './tfjs-project.js';

const work = fs.mkdtempSync(path.join(os.tmpdir(), 'cnnc-tfjs-weights-'));
afterAll(() => fs.rmSync(work, { recursive: true, force: true }));

let project: LoadedProject;

beforeAll(async () => {
  const dir = path.join(work, 'lenet5');
  const r = await emitTfjs('examples/lenet5.cnn', dir);
  if (r.code !== 0) throw new Error(r.err);
  project = await loadProject(transpile(dir));
  await project.useBackend('cpu');
}, 120_000);

const spec = () => project.MODELS.get('LeNet5')!;

function load(file: string): () => void {
  return () => project.loadWeights(spec().build(), spec(), file);
}

/** LeNet-5's weights under cnnc's names, with one changed by `edit`. */
function lenetTensors() {
  const model = spec().build({ seed: 3 });
  const file = path.join(work, 'lenet.safetensors');
  project.writeSafetensors(file, model, spec());
  return [...project.readWeightsFile(file)].map(([name, t]) => ({
    name,
    shape: t.shape,
    data: t.data,
  }));
}

describe("the emitted weights.ts and cnnc's files", () => {
  it("loads a checkpoint of cnnc train and gives cnnc run's output", async () => {
    const run = path.join(work, 'runs', 'LeNet5');
    const trained = await runCnnc([
      'train',
      'examples/lenet5.cnn',
      '--epochs',
      '1',
      '--limit',
      '128',
      '--backend',
      'reference',
      '--out',
      run,
      '--quiet',
    ]);
    expect(trained.code, trained.err).toBe(0);
    const random = rng(5);
    const x = Float32Array.from({ length: 3 * 32 * 32 }, () => random());
    fs.writeFileSync(path.join(work, 'x.npy'), encodeNpy([3, 32, 32, 1], x));
    const ran = await runCnnc([
      'run',
      'examples/lenet5.cnn',
      '--weights',
      run,
      '--input',
      path.join(work, 'x.npy'),
      '--output',
      path.join(work, 'y.npy'),
      '--backend',
      'reference',
    ]);
    expect(ran.code, ran.err).toBe(0);
    for (const from of [
      run,
      path.join(run, 'checkpoint'),
      path.join(run, 'checkpoint', 'model.json'),
    ]) {
      const model = spec().build();
      project.loadWeights(model, spec(), from);
      const y = tf.tidy(() =>
        (model.predict(tf.tensor(x, [3, 32, 32, 1])) as tf.Tensor).dataSync(),
      );
      expect(relativeError(y, readNpy(path.join(work, 'y.npy'))), from).toBeLessThanOrEqual(1e-5);
    }
  }, 300_000);

  it('refuses missing, extra and misshapen tensors, naming each', () => {
    const tensors = lenetTensors();
    const write = (name: string, list: typeof tensors) => {
      const file = path.join(work, name);
      fs.writeFileSync(file, encodeSafetensors(list));
      return file;
    };
    expect(load(write('missing.safetensors', tensors.slice(1)))).toThrow(
      /conv1\/kernel: missing \(the model has 5x5x1x6\)/,
    );
    expect(
      load(
        write('extra.safetensors', [
          ...tensors,
          { name: 'head/kernel', shape: [2], data: new Float32Array(2) },
        ]),
      ),
    ).toThrow(/head\/kernel: in the file \(2\) but not in the model/);
    const wrong = tensors.map((t) => (t.name === 'dense1/bias' ? { ...t, shape: [2, 60] } : t));
    expect(load(write('wrong.safetensors', wrong))).toThrow(
      /dense1\/bias: the file has 2x60, the model 120/,
    );
  });

  it('refuses broken safetensors files before using their data', () => {
    const good = Buffer.from(encodeSafetensors(lenetTensors()));
    const headerLength = Number(good.readBigUInt64LE(0));
    const cases: [string, Buffer, RegExp][] = [
      ['short', good.subarray(0, 5), /shorter than its 8-byte header length/],
      [
        'header past the end',
        Buffer.concat([Buffer.from([255, 255, 255, 0, 0, 0, 0, 0]), good.subarray(8, 40)]),
        /runs past the end/,
      ],
      ['truncated data', good.subarray(0, good.length - 10), /do not hold/],
      [
        'not JSON',
        Buffer.concat([
          good.subarray(0, 8),
          Buffer.alloc(headerLength, '{'),
          good.subarray(8 + headerLength),
        ]),
        /the header is not JSON/,
      ],
    ];
    for (const [name, bytes, message] of cases) {
      const file = path.join(work, `${name.replace(/ /g, '-')}.safetensors`);
      fs.writeFileSync(file, bytes);
      expect(load(file), name).toThrow(message);
    }
    const odd = path.join(work, 'dtype.safetensors');
    const header = JSON.stringify({
      'conv1/kernel': { dtype: 'I64', shape: [1], data_offsets: [0, 8] },
    });
    const len = Buffer.alloc(8);
    len.writeBigUInt64LE(BigInt(header.length));
    fs.writeFileSync(odd, Buffer.concat([len, Buffer.from(header), Buffer.alloc(8)]));
    expect(load(odd)).toThrow(/dtype "I64"/);
  });

  it('refuses a model.json whose shards leave its folder, and paths that are not regular files', () => {
    const dir = path.join(work, 'evil');
    fs.mkdirSync(dir);
    fs.writeFileSync(path.join(work, 'secret.bin'), Buffer.alloc(24));
    fs.writeFileSync(
      path.join(dir, 'model.json'),
      JSON.stringify({
        weightsManifest: [
          {
            paths: ['../secret.bin'],
            weights: [{ name: 'conv1/bias', shape: [6], dtype: 'float32' }],
          },
        ],
      }),
    );
    expect(load(path.join(dir, 'model.json'))).toThrow(/is not a file name in its folder/);
    fs.mkdirSync(path.join(work, 'folder.safetensors'));
    expect(load(path.join(work, 'folder.safetensors'))).toThrow(/not a regular file/);
    expect(load(path.join(work, 'nowhere.safetensors'))).toThrow(/no such file/);
    expect(load(path.join(work, 'empty-folder'))).toThrow(
      /expected a \.safetensors file, a model\.json/,
    );
  });
});
