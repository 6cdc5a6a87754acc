/** `cnnc weights plan|convert` and `cnnc run` on a small model whose output is computed here. */
import { runCnnc } from '../../helpers/cli.js';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parseNpy } from '../../../runtime/data/npy.js';
import { seededRandom } from '../../../runtime/init.js';
import { encodeNpy } from '../../../runtime/weights/npy.js';
import { encodeSafetensors } from '../../../runtime/weights/safetensors.js';
import type { NamedTensor } from '../../../runtime/weights/tensor.js';
import { expectBaseline } from '../../helpers/baseline.js';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cnnc-weights-cli-'));

const cnnc = (args: readonly string[]) => runCnnc(args, dir);

afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

const [H, W, C, F, U] = [4, 5, 2, 3, 4];
fs.writeFileSync(
  path.join(dir, 'tiny.cnn'),
  `model Tiny {
  input ${H}x${W}x${C}
  conv1: conv ${F} 3x3 pad 1
  bn1: bn
  relu
  flatten
  fc: dense ${U}
}
model TinyFrozen = Tiny { freeze fc }
`,
);

const r = seededRandom(11);
const rand = (shape: number[], lo = -1, hi = 1): NamedTensor['data'] =>
  Float32Array.from({ length: shape.reduce((a, b) => a * b, 1) }, () => lo + (hi - lo) * r());
const weights: Record<string, { shape: number[]; data: Float32Array }> = {
  'conv1/kernel': { shape: [3, 3, C, F], data: rand([3, 3, C, F]) },
  'conv1/bias': { shape: [F], data: rand([F]) },
  'bn1/gamma': { shape: [F], data: rand([F], 0.5, 1.5) },
  'bn1/beta': { shape: [F], data: rand([F]) },
  'bn1/moving_mean': { shape: [F], data: rand([F]) },
  'bn1/moving_variance': { shape: [F], data: rand([F], 0.5, 2) },
  'fc/kernel': { shape: [H * W * F, U], data: rand([H * W * F, U]) },
  'fc/bias': { shape: [U], data: rand([U]) },
};
const tensors = Object.entries(weights).map(([name, t]) => ({ name, ...t }));
const N = 3;
const x = rand([N, H, W, C]);

/** The model by the book: conv (pad 1, HWIO), batch norm (eps 1e-5), ReLU, HWC flatten, dense. */
function expected(): Float32Array {
  const k = weights['conv1/kernel'].data;
  const g = (n: string) => weights[n].data;
  const out = new Float32Array(N * U);
  for (let n = 0; n < N; n++) {
    const flat: number[] = [];
    for (let h = 0; h < H; h++)
      for (let w = 0; w < W; w++)
        for (let f = 0; f < F; f++) {
          let s = g('conv1/bias')[f];
          for (let dh = 0; dh < 3; dh++)
            for (let dw = 0; dw < 3; dw++) {
              const [ih, iw] = [h + dh - 1, w + dw - 1];
              if (ih < 0 || ih >= H || iw < 0 || iw >= W) continue;
              for (let c = 0; c < C; c++)
                s += x[((n * H + ih) * W + iw) * C + c] * k[((dh * 3 + dw) * C + c) * F + f];
            }
          const b =
            ((s - g('bn1/moving_mean')[f]) / Math.sqrt(g('bn1/moving_variance')[f] + 1e-5)) *
              g('bn1/gamma')[f] +
            g('bn1/beta')[f];
          flat.push(Math.max(0, b));
        }
    for (let u = 0; u < U; u++) {
      let s = g('fc/bias')[u];
      flat.forEach((v, i) => (s += v * g('fc/kernel')[i * U + u]));
      out[n * U + u] = s;
    }
  }
  return out;
}

const write = (name: string, bytes: Uint8Array) => fs.writeFileSync(path.join(dir, name), bytes);
write('tiny.safetensors', encodeSafetensors(tensors));
write('x.npy', encodeNpy([N, H, W, C], x));
write(
  'partial.safetensors',
  encodeSafetensors([
    ...tensors.filter((t) => !t.name.startsWith('fc/')),
    { name: 'fc/kernel', shape: [H * W * F, 10], data: new Float32Array(H * W * F * 10) },
    { name: 'extra', shape: [2], data: new Float32Array(2) },
  ]),
);
const want = expected();

function maxRelError(a: Float32Array, b: Float32Array): number {
  let err = 0;
  let scale = 0;
  for (let i = 0; i < b.length; i++) {
    err = Math.max(err, Math.abs(a[i] - b[i]));
    scale = Math.max(scale, Math.abs(b[i]));
  }
  return err / scale;
}

describe('cnnc weights plan', () => {
  it('lists every weight as loaded from a complete file', async () => {
    const r = await cnnc([
      'weights',
      'plan',
      'tiny.cnn',
      '--model',
      'Tiny',
      '--from',
      'tiny.safetensors',
    ]);
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    const lines = r.out.trim().split('\n');
    expect(lines[0]).toBe('Tiny ← tiny.safetensors (safetensors)');
    expect(lines.slice(1, -1).map((l) => l.trim().split(/\s+/).slice(0, 2))).toEqual(
      tensors.map((t) => ['loaded', t.name]),
    );
    expect(lines.at(-1)).toMatch(/^8 loaded · 0 shape mismatches · 0 missing/);
  });

  it('reports a mismatch, a missing weight and an unused tensor, and exits 1', async () => {
    const args = [
      'weights',
      'plan',
      'tiny.cnn',
      '--model',
      'Tiny',
      '--from',
      'partial.safetensors',
    ];
    const r = await cnnc(args);
    expect(r.code).toBe(1);
    expect(r.out).toMatch(/mismatch\s+fc\/kernel\s+model 60x4, file 60x10/);
    expect(r.out).toMatch(/missing\s+fc\/bias\s+4\s+re-initialised/);
    expect(r.out).toMatch(/unused\s+extra\s+2/);
    expect(r.err).toMatch(/1 shape mismatch \(--allow-partial/);
    expectBaseline('weights/plan-partial.txt', `${r.out}--- stderr\n${r.err}`);
    const partial = await cnnc([...args, '--allow-partial', '--json']);
    expect(partial.code).toBe(0);
    const json = JSON.parse(partial.out) as { counts: object; problems: string[] };
    expect(json.counts).toEqual({ loaded: 6, mismatch: 1, missing: 1, unused: 1 });
    expect(json.problems).toEqual([]);
  });

  it('refuses a plan that re-initialises a frozen layer, even with --allow-partial', async () => {
    const r = await cnnc([
      'weights',
      'plan',
      'tiny.cnn',
      '--model',
      'TinyFrozen',
      '--from',
      'partial.safetensors',
      '--allow-partial',
    ]);
    expect(r.code).toBe(1);
    expect(r.out).toMatch(/missing\s+fc\/bias\s+4\s+re-initialised \(FROZEN\)/);
    expect(r.err).toMatch(/fc\/kernel is in the frozen layer fc/);
    expect(r.err).toMatch(/fc\/bias is in the frozen layer fc/);
  });

  it('converts to a TensorFlow.js folder that reads back the same', async () => {
    const c = await cnnc([
      'weights',
      'convert',
      'tiny.cnn',
      '--model',
      'Tiny',
      '--from',
      'tiny.safetensors',
      '--to',
      'tfjs',
    ]);
    expect(c.code).toBe(0);
    expect(fs.readdirSync(path.join(dir, 'tfjs')).sort()).toEqual([
      'group1-shard1of1.bin',
      'model.json',
    ]);
    const p = await cnnc([
      'weights',
      'plan',
      'tiny.cnn',
      '--model',
      'Tiny',
      '--from',
      'tfjs/model.json',
    ]);
    expect(p.code).toBe(0);
    expect(p.out).toMatch(/\(tfjs\)\n/);
  });

  it.each([
    [['weights'], /expected a subcommand/],
    [['weights', 'plan', 'tiny.cnn', '--model', 'Tiny'], /--from FILE is required/],
    [
      ['weights', 'plan', 'tiny.cnn', '--model', 'Tiny', '--from', 'x', '--map', 'keras'],
      /--map must be one of none, torchvision/,
    ],
  ])('usage error: %j', async (args, message) => {
    const r = await cnnc(args);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(message);
  });
});

describe('cnnc run', () => {
  it.each(['wasm', 'cpu'])('matches the model computed by hand on %s', async (backend) => {
    const out = `y-${backend}.npy`;
    const r = await cnnc([
      'run',
      'tiny.cnn',
      '--model',
      'Tiny',
      '--weights',
      'tiny.safetensors',
      '--input',
      'x.npy',
      '--output',
      out,
      '--backend',
      backend,
    ]);
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    expect(r.out).toBe(`${out}: float32 [${N}, ${U}]\n`);
    const y = parseNpy(fs.readFileSync(path.join(dir, out)), out);
    expect([y.count, ...y.shape]).toEqual([1, N, U, 1]);
    expect(maxRelError(y.data, want)).toBeLessThan(1e-5);
  });

  it('prints the values without --output, from a TensorFlow.js folder', async () => {
    await cnnc([
      'weights',
      'convert',
      'tiny.cnn',
      '--model',
      'Tiny',
      '--from',
      'tiny.safetensors',
      '--to',
      'tfjs2',
    ]);
    const r = await cnnc([
      'run',
      'tiny.cnn',
      '--model',
      'Tiny',
      '--weights',
      'tfjs2',
      '--input',
      'x.npy',
    ]);
    expect(r.code).toBe(0);
    const rows = r.out
      .trim()
      .split('\n')
      .map((l) => l.split(' ').map(Number));
    expect(rows.length).toBe(N);
    expect(maxRelError(Float32Array.from(rows.flat()), want)).toBeLessThan(1e-5);
  });

  it('refuses weights that do not cover the model, unless --allow-partial', async () => {
    const args = [
      'run',
      'tiny.cnn',
      '--model',
      'Tiny',
      '--weights',
      'partial.safetensors',
      '--input',
      'x.npy',
    ];
    const r = await cnnc(args);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/1 shape mismatch and 1 weight missing from the file/);
    const partial = await cnnc([...args, '--allow-partial']);
    expect(partial.code).toBe(0);
    expect(partial.err).toMatch(/warning: 2 weights keep their initial values/);
  });

  it('refuses an input of another size', async () => {
    write('bad.npy', encodeNpy([1, H + 1, W, C], new Float32Array((H + 1) * W * C)));
    const r = await cnnc([
      'run',
      'tiny.cnn',
      '--model',
      'Tiny',
      '--weights',
      'tiny.safetensors',
      '--input',
      'bad.npy',
    ]);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/samples of 5x5x2, but Tiny takes 4x5x2/);
  });
});
