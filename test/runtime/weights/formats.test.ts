import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { saveCheckpoint } from '../../../runtime/train/checkpoint.js';
import { readWeightsFile, writeWeightsFile } from '../../../runtime/weights/files.js';
import { encodeSafetensors, parseSafetensors } from '../../../runtime/weights/safetensors.js';
import {
  decodeTfjsWeights,
  encodeTfjsWeights,
  manifestOf,
  type TfjsManifestGroup,
} from '../../../runtime/weights/tfjs-format.js';
import { permute, WeightsError, type NamedTensor } from '../../../runtime/weights/tensor.js';
import { seededRandom } from '../../../runtime/init.js';

function randomTensor(name: string, shape: number[], seed: number): NamedTensor {
  const r = seededRandom(seed);
  const n = shape.reduce((a, b) => a * b, 1);
  return { name, shape, data: Float32Array.from({ length: n }, () => r() * 2 - 1) };
}

const TENSORS = [
  randomTensor('a/kernel', [3, 3, 2, 5], 1),
  randomTensor('a/bias', [5], 2),
  randomTensor('scalar', [], 3),
  randomTensor('empty', [0, 4], 4),
  randomTensor('b.c/moving_variance', [7], 5),
];

/** Builds a safetensors file by hand: the header as given, then the data bytes. */
function handMade(header: object, data: Uint8Array, pad = 0): Uint8Array {
  const json = new TextEncoder().encode(JSON.stringify(header) + ' '.repeat(pad));
  const out = new Uint8Array(8 + json.length + data.length);
  new DataView(out.buffer).setBigUint64(0, BigInt(json.length), true);
  out.set(json, 8);
  out.set(data, 8 + json.length);
  return out;
}

describe('safetensors', () => {
  it('round-trips float32 tensors with metadata, data 8-byte aligned', () => {
    const bytes = encodeSafetensors(TENSORS, { format: 'pt' });
    const n = Number(new DataView(bytes.buffer).getBigUint64(0, true));
    expect((8 + n) % 8).toBe(0);
    const back = parseSafetensors(bytes, 'x');
    expect(back.metadata).toEqual({ format: 'pt' });
    expect(back.tensors.map((t) => [t.name, t.shape, t.dtype])).toEqual(
      TENSORS.map((t) => [t.name, t.shape, 'F32']),
    );
    back.tensors.forEach((t, i) => expect([...t.data]).toEqual([...TENSORS[i].data]));
  });

  it('reads other dtypes as float32', () => {
    const data = new Uint8Array(8 + 2 * 2 + 2 * 2 + 8 * 2 + 4);
    const v = new DataView(data.buffer);
    v.setFloat64(0, -2.25, true); // F64 [1]
    v.setUint16(8, 0x3e00, true); // F16 1.5
    v.setUint16(10, 0xc500, true); // F16 -5
    v.setUint16(12, 0x3fc0, true); // BF16 1.5 (top half of float32 0x3fc00000)
    v.setUint16(14, 0x4120, true); // BF16 10
    v.setBigInt64(16, 1000n, true); // I64
    v.setBigInt64(24, -3n, true);
    data.set([7, 255, 0, 1], 32); // U8
    const file = handMade(
      {
        d: { dtype: 'F64', shape: [1], data_offsets: [0, 8] },
        h: { dtype: 'F16', shape: [2], data_offsets: [8, 12] },
        b: { dtype: 'BF16', shape: [2], data_offsets: [12, 16] },
        n: { dtype: 'I64', shape: [2], data_offsets: [16, 32] },
        u: { dtype: 'U8', shape: [2, 2], data_offsets: [32, 36] },
      },
      data,
    );
    const t = Object.fromEntries(parseSafetensors(file, 'x').tensors.map((t) => [t.name, t]));
    expect([...t.d.data]).toEqual([-2.25]);
    expect([...t.h.data]).toEqual([1.5, -5]);
    expect([...t.b.data]).toEqual([1.5, 10]);
    expect([...t.n.data]).toEqual([1000, -3]);
    expect(t.n.dtype).toBe('I64');
    expect([...t.u.data]).toEqual([7, 255, 0, 1]);
  });

  it('reads unaligned float32 data', () => {
    const data = new Uint8Array(4);
    new DataView(data.buffer).setFloat32(0, 0.1, true);
    const file = handMade({ w: { dtype: 'F32', shape: [1], data_offsets: [0, 4] } }, data, 1);
    expect(parseSafetensors(file, 'x').tensors[0].data[0]).toBeCloseTo(0.1, 7);
  });

  const f32 = new Uint8Array(8);
  it.each([
    ['too short', new Uint8Array(4), /shorter than/],
    ['header past the end', handMade({}, new Uint8Array(0)).slice(0, 9), /exceeds the file/],
    ['header not JSON', handMade({}, f32).fill(0x7b, 8, 10), /not JSON/],
    [
      'unknown dtype',
      handMade({ w: { dtype: 'Q4', shape: [1], data_offsets: [0, 4] } }, f32),
      /dtype "Q4"/,
    ],
    [
      'offsets past the data',
      handMade({ w: { dtype: 'F32', shape: [4], data_offsets: [0, 16] } }, f32),
      /the tensors end at byte 16 of 8 data bytes/,
    ],
    [
      'size disagrees with shape',
      handMade({ w: { dtype: 'F32', shape: [3], data_offsets: [0, 8] } }, f32),
      /8 bytes for F32 \[3\]/,
    ],
  ])('refuses a file with %s', (_, bytes, message) => {
    expect(() => parseSafetensors(bytes, 'x')).toThrow(WeightsError);
    expect(() => parseSafetensors(bytes, 'x')).toThrow(message);
  });
});

describe('TensorFlow.js weights', () => {
  it.each([1 << 20, 100, 7])('round-trips through shards of %i bytes', (shardBytes) => {
    const enc = encodeTfjsWeights(TENSORS, shardBytes);
    const total = TENSORS.reduce((s, t) => s + 4 * t.data.length, 0);
    expect(enc.shards.length).toBe(Math.max(1, Math.ceil(total / shardBytes)));
    const files = new Map(enc.shards.map((s) => [s.path, s.bytes]));
    const json: unknown = JSON.parse(JSON.stringify(enc.modelJson));
    const back = decodeTfjsWeights(manifestOf(json, 'm'), (p) => files.get(p)!, 'm');
    expect(back.map((t) => [t.name, t.shape])).toEqual(TENSORS.map((t) => [t.name, t.shape]));
    back.forEach((t, i) => expect([...t.data]).toEqual([...TENSORS[i].data]));
  });

  it('dequantises uint8, uint16 and float16, and reads int32', () => {
    const bytes = new Uint8Array(3 + 2 * 2 + 2 * 2 + 4 + 1);
    const v = new DataView(bytes.buffer);
    bytes.set([0, 10, 255], 0);
    v.setUint16(3, 0, true);
    v.setUint16(5, 1000, true);
    v.setUint16(7, 0x3c00, true); // 1
    v.setUint16(9, 0xb800, true); // -0.5
    v.setInt32(11, -7, true);
    const manifest: TfjsManifestGroup[] = [
      {
        paths: ['s1', 's2'],
        weights: [
          {
            name: 'q8',
            shape: [3],
            dtype: 'float32',
            quantization: { dtype: 'uint8', scale: 0.5, min: -1 },
          },
          {
            name: 'q16',
            shape: [2],
            dtype: 'float32',
            quantization: { dtype: 'uint16', scale: 0.001, min: 2 },
          },
          { name: 'h', shape: [2], dtype: 'float32', quantization: { dtype: 'float16' } },
          { name: 'i', shape: [1], dtype: 'int32' },
        ],
      },
    ];
    // The group's bytes split over two shards mid-weight.
    const shards = new Map([
      ['s1', bytes.slice(0, 6)],
      ['s2', bytes.slice(6, 15)],
    ]);
    const t = decodeTfjsWeights(manifest, (p) => shards.get(p)!, 'm');
    expect([...t[0].data]).toEqual([-1, 4, 126.5]);
    expect(t[1].data[0]).toBeCloseTo(2, 6);
    expect(t[1].data[1]).toBeCloseTo(3, 5);
    expect([...t[2].data]).toEqual([1, -0.5]);
    expect([...t[3].data]).toEqual([-7]);
    expect(t.map((x) => x.dtype)).toEqual(['uint8', 'uint16', 'float16', 'int32']);
  });

  const one = (paths: string[], size: number) => ({
    weightsManifest: [{ paths, weights: [{ name: 'w', shape: [size], dtype: 'float32' }] }],
  });
  it.each([
    ['no manifest', {}, 4, /no weightsManifest/],
    ['shards too short', one(['s'], 2), 4, /end at byte 4, before w/],
    ['shards too long', one(['s'], 1), 8, /hold 8 bytes, the manifest describes 4/],
    ['a path out of the folder', one(['../s'], 1), 4, /leaves the folder/],
  ])('refuses %s', (_, json, bytes, message) => {
    const run = () => decodeTfjsWeights(manifestOf(json, 'm'), () => new Uint8Array(bytes), 'm');
    expect(run).toThrow(WeightsError);
    expect(run).toThrow(message);
  });
});

describe('permute', () => {
  /** The definition, one element at a time. */
  function naive(data: Float32Array, shape: number[], perm: number[]): Float32Array {
    const outShape = perm.map((p) => shape[p]);
    const out = new Float32Array(data.length);
    const idx = new Array<number>(shape.length).fill(0);
    for (let o = 0; o < out.length; o++) {
      let rest = o;
      const oi = outShape.map(() => 0);
      for (let a = outShape.length - 1; a >= 0; a--) {
        oi[a] = rest % outShape[a];
        rest = Math.floor(rest / outShape[a]);
      }
      perm.forEach((p, k) => (idx[p] = oi[k]));
      let i = 0;
      for (let a = 0; a < shape.length; a++) i = i * shape[a] + idx[a];
      out[o] = data[i];
    }
    return out;
  }
  it.each([
    [
      [5, 7],
      [1, 0],
    ],
    [
      [40, 70],
      [1, 0],
    ],
    [
      [4, 3, 5, 6],
      [2, 3, 1, 0],
    ],
    [
      [33, 5, 3, 2],
      [2, 3, 1, 0],
    ],
    [
      [6, 2, 3, 3],
      [2, 3, 0, 1],
    ],
    [
      [2, 3, 4],
      [0, 2, 1],
    ],
    [
      [2, 3, 4],
      [1, 0, 2],
    ],
    [
      [3, 4],
      [0, 1],
    ],
    [
      [1, 35, 1],
      [2, 0, 1],
    ],
  ])('%j by %j', (shape, perm) => {
    const t = randomTensor('x', shape, shape.length * 31 + perm[0]);
    expect([...permute(t.data, shape, perm)]).toEqual([...naive(t.data, shape, perm)]);
  });
});

describe('weights files', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cnnc-weights-'));
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  it.each(['w.safetensors', 'tfjs'])('writes and reads %s', (name) => {
    const target = path.join(dir, name);
    const format = writeWeightsFile(target, TENSORS);
    const read = readWeightsFile(format === 'tfjs' ? path.join(target, 'model.json') : target);
    expect(read.format).toBe(format);
    expect(read.tensors.map((t) => t.name)).toEqual(TENSORS.map((t) => t.name));
    read.tensors.forEach((t, i) => expect([...t.data]).toEqual([...TENSORS[i].data]));
    if (format === 'tfjs') expect(readWeightsFile(target).tensors.length).toBe(TENSORS.length);
  });

  it('reads a cnnc checkpoint, and its model.json as TensorFlow.js weights', () => {
    const ck = path.join(dir, 'ck');
    const weights = TENSORS.filter((t) => t.data.length > 0);
    saveCheckpoint(ck, {
      meta: {
        format: 'cnnc-checkpoint',
        version: 1,
        model: 'M',
        sourceHash: '',
        irHash: '',
        weights: Object.fromEntries(weights.map((t) => [t.name, t.shape])),
        optimizer: null,
        epoch: 1,
        globalStep: 1,
        metrics: null,
      },
      weights,
      optimizer: null,
    });
    for (const [file, format] of [
      [ck, 'checkpoint'],
      [path.join(ck, 'model.json'), 'tfjs'],
    ] as const) {
      const read = readWeightsFile(file);
      expect(read.format).toBe(format);
      expect(read.tensors.map((t) => [t.name, [...t.data]])).toEqual(
        weights.map((t) => [t.name, [...t.data]]),
      );
    }
  });

  it.each([
    ['a missing file', 'nope.safetensors', /no such file/],
    ['an unknown extension', 'w.bin', /unknown weights format/],
    ['a folder without weights', '.', /neither a cnnc checkpoint/],
  ])('refuses %s', (_, name, message) => {
    if (name === 'w.bin') fs.writeFileSync(path.join(dir, name), '');
    const sub = name === '.' ? fs.mkdtempSync(path.join(dir, 'empty-')) : path.join(dir, name);
    expect(() => readWeightsFile(sub)).toThrow(message);
  });

  it('will not replace a folder that holds other files', () => {
    const target = fs.mkdtempSync(path.join(dir, 'mine-'));
    fs.writeFileSync(path.join(target, 'notes.txt'), 'keep me');
    expect(() => writeWeightsFile(target, TENSORS)).toThrow(/holds notes.txt/);
    expect(fs.readFileSync(path.join(target, 'notes.txt'), 'utf8')).toBe('keep me');
  });
});
