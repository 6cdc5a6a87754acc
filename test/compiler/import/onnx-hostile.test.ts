/**
 * ONNX files as strangers write them (docs/security.md): `cnnc import onnx` reads only a regular
 * file of bounded size, decodes it into a diagnostic when it is not a ModelProto (truncated,
 * garbage, nested too deeply), refuses tensors whose declared size does not match their data, and
 * reads external data only from regular files inside the model's folder. Each refusal writes
 * nothing: no .cnn file and no weights.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { importOnnx } from '../../../compiler/import/onnx.js';
import { rng } from '../../fuzz/mutate.js';
import { runCnnc } from '../../helpers/cli.js';
import { encodeOnnx, type GraphSpec, type TensorSpec } from './onnx-fixtures.js';

let dir: string;
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cnnc-onnx-hostile-'));
});
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

/** A one-layer model `x · w` whose kernel `w` [3, 2] is given. */
const dense = (w: TensorSpec): GraphSpec => ({
  input: { name: 'x', dims: ['N', 3] },
  output: 'y',
  initializers: [w],
  nodes: [{ op: 'MatMul', name: 'fc', inputs: ['x', 'w'], outputs: ['y'] }],
});

const codes = (bytes: Uint8Array) =>
  importOnnx(bytes, { file: 'm.onnx' }).diagnostics.map((d) => d.code);

async function importFile(bytes: Uint8Array | null, link?: string) {
  const file = path.join(dir, 'sub', 'm.onnx');
  fs.mkdirSync(path.dirname(file), { recursive: true });
  if (link) fs.symlinkSync(link, file);
  else fs.writeFileSync(file, bytes!);
  const r = await runCnnc(['import', 'onnx', 'sub/m.onnx', '-o', 'out.cnn'], dir);
  // Nothing written on a refusal.
  const written = fs.readdirSync(dir).filter((f) => f !== 'sub' && f !== 'outside.bin');
  return { ...r, written };
}

describe('malformed protobuf', () => {
  const valid = encodeOnnx(dense({ name: 'w', dims: [3, 2], values: [1, 2, 3, 4, 5, 6] }));
  it.each([
    ['empty', new Uint8Array(0)],
    ['garbage', Uint8Array.from({ length: 64 }, (_, i) => (i * 97 + 13) & 0xff)],
    ['truncated', valid.subarray(0, valid.length - 7)],
    // graph (field 7) holding node (field 1) holding attribute (field 5) holding a graph … 20,000 deep.
    [
      'nested 20,000 deep',
      (() => {
        let inner: Uint8Array = new Uint8Array(0);
        for (let i = 0; i < 20_000; i++) {
          const tag = i % 2 === 0 ? 0x32 : 0x0a; // AttributeProto.g (6) / GraphProto.node (1)
          const len: number[] = [];
          let n = inner.length;
          do {
            len.push((n & 0x7f) | (n > 0x7f ? 0x80 : 0));
            n >>>= 7;
          } while (n);
          const next = new Uint8Array(1 + len.length + inner.length);
          next.set([tag, ...len]);
          next.set(inner, 1 + len.length);
          inner = next;
        }
        return inner;
      })(),
    ],
  ])('%s: CNN2070 (or CNN2073), no exception', (_what, bytes) => {
    const c = codes(bytes);
    expect(c.length).toBeGreaterThan(0);
    expect(c.every((x) => /^CNN20(70|73)$/.test(x))).toBe(true);
  });
});

describe('mutated models (seeded fuzz)', () => {
  it('never throws: a diagnostic, or a model that compiles', async () => {
    const { smallGraph } = await import('./onnx-fixtures.js');
    const valid = encodeOnnx(smallGraph());
    const rand = rng(2070);
    for (let round = 0; round < 200; round++) {
      const bytes = Uint8Array.from(valid);
      const flips = 1 + Math.floor(rand() * 4);
      for (let k = 0; k < flips; k++)
        bytes[Math.floor(rand() * bytes.length)] = Math.floor(rand() * 256);
      const cut = rand() < 0.2 ? Math.floor(rand() * bytes.length) : bytes.length;
      const r = importOnnx(bytes.subarray(0, cut), { file: 'm.onnx' });
      expect(r.diagnostics.filter((d) => d.code.startsWith('CNN9'))).toEqual([]);
      if (r.source === null) expect(r.diagnostics.length).toBeGreaterThan(0);
    }
  }, 60_000);
});

describe('tensors', () => {
  it.each([
    ['fewer values than its dims', { name: 'w', dims: [3, 2], values: [1, 2] }],
    ['dims of 2^40 elements', { name: 'w', dims: [2 ** 20, 2 ** 20], values: [1] }],
    ['negative dims', { name: 'w', dims: [-3, -2], values: [1, 2, 3, 4, 5, 6] }],
  ] as const)('%s is refused before anything is allocated', async (_what, w) => {
    const c = codes(encodeOnnx(dense(w)));
    expect(c.some((x) => x === 'CNN2074' || x.startsWith('CNN3'))).toBe(true);
  });
});

describe('files', () => {
  it('reads no device or FIFO as a model', async () => {
    const r = await importFile(null, '/dev/zero');
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/not a regular file/);
    expect(r.written).toEqual([]);
  });

  it.each([
    ['a path that leaves the folder', '../outside.bin', /leaves the folder/],
    ['an absolute path', '/etc/passwd', /is absolute/],
    ['a symbolic link out of the folder', 'link.bin', /outside .* through a symbolic link/],
    ['a device', 'dev.bin', /outside .* through a symbolic link|not a regular file/],
    ['a range past the end of the file', 'short.bin', /needs bytes 0 to 24/],
  ])('external data through %s is refused', async (_what, location, message) => {
    fs.mkdirSync(path.join(dir, 'sub'), { recursive: true });
    fs.writeFileSync(path.join(dir, 'outside.bin'), new Uint8Array(24));
    fs.symlinkSync(path.join(dir, 'outside.bin'), path.join(dir, 'sub', 'link.bin'));
    fs.symlinkSync('/dev/zero', path.join(dir, 'sub', 'dev.bin'));
    fs.writeFileSync(path.join(dir, 'sub', 'short.bin'), new Uint8Array(8));
    const r = await importFile(
      encodeOnnx(dense({ name: 'w', dims: [3, 2], external: { location, offset: 0 } })),
    );
    expect(r.code).toBe(1);
    expect(r.err).toMatch(message);
    expect(r.written).toEqual([]);
  });

  it('reads external data inside the folder', async () => {
    fs.mkdirSync(path.join(dir, 'sub'), { recursive: true });
    const values = new Float32Array([0, 0, 1, 2, 3, 4, 5, 6]);
    fs.writeFileSync(path.join(dir, 'sub', 'w.bin'), new Uint8Array(values.buffer));
    const r = await importFile(
      encodeOnnx(
        dense({ name: 'w', dims: [3, 2], external: { location: 'w.bin', offset: 8, length: 24 } }),
      ),
    );
    expect(r.code, r.err).toBe(0);
    expect(r.written.sort()).toEqual(['out.cnn', 'out.safetensors']);
  });
});

describe('graph outputs', () => {
  /** `x` → Relu `y` → Sigmoid `z`, with the outputs given (and an Identity of `y` as `y2`). */
  const chain = (outputs: readonly string[], initializers: TensorSpec[] = []): GraphSpec => ({
    input: { name: 'x', dims: ['N', 3] },
    output: outputs,
    initializers,
    nodes: [
      { op: 'Relu', name: 'relu', inputs: ['x'], outputs: ['y'] },
      { op: 'Sigmoid', name: 'sigmoid', inputs: ['y'], outputs: ['z'] },
      { op: 'Identity', name: 'same', inputs: ['y'], outputs: ['y2'] },
    ],
  });
  it.each([
    ['two outputs of one name', chain(['z', 'y', 'z']), 2],
    ['an output that is the graph input', chain(['z', 'x']), 1],
    ['an output no node makes', chain(['z', 'ghost']), 1],
    [
      'an output that is an initializer',
      chain(['z', 'w'], [{ name: 'w', dims: [3], values: [1, 2, 3] }]),
      1,
    ],
    ['two outputs that are one value', chain(['z', 'y', 'y2']), 2],
  ] as const)('%s: CNN2083 at that output, nothing written', async (_what, spec, at) => {
    const bytes = encodeOnnx(spec);
    const r = importOnnx(bytes, { file: 'm.onnx' });
    expect(r.diagnostics.map((d) => d.code)).toEqual(['CNN2083']);
    const d = r.diagnostics[0];
    const listing = r.sources.get('m.onnx')!;
    const lines = listing.split('\n').filter((l) => l.startsWith('output '));
    // The span is the line of the output it is about (the later one of two).
    expect(listing.slice(d.span!.start, d.span!.end)).toBe(lines[at]);
    expect(
      listing
        .slice(0, d.span!.start)
        .split('\n')
        .filter((l) => l.startsWith('output ')).length,
    ).toBe(at);
    expect(r.source).toBeNull();
    const cli = await importFile(bytes);
    expect(cli.code).toBe(1);
    expect(cli.err).toContain('CNN2083');
    expect(cli.written).toEqual([]);
  });
});
