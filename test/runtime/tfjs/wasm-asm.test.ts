// The wasm mini-assembler (runtime/tfjs/wasm-asm.ts) that cnnc's SIMD kernels are generated with:
// its integer encodings against the LEB128 examples of the spec and of DWARF, its loops and
// branches run on a real WebAssembly.Memory, and the WAT-like dump (wasm-dump.ts) that debugging
// a generated kernel starts from.

import { describe, expect, it } from 'vitest';
import {
  assemble,
  I32,
  instantiate,
  loop,
  op,
  simdSupported,
  skipIf,
  sleb,
  uleb,
  V128,
  wasmHost,
  type Code,
} from '../../../runtime/tfjs/wasm-asm.js';
import { dumpCode } from '../../../runtime/tfjs/wasm-dump.js';

describe('LEB128', () => {
  it.each([
    [0, [0x00]],
    [1, [0x01]],
    [127, [0x7f]],
    [128, [0x80, 0x01]],
    [300, [0xac, 0x02]],
    [16384, [0x80, 0x80, 0x01]],
    [624485, [0xe5, 0x8e, 0x26]],
    [2 ** 32 - 1, [0xff, 0xff, 0xff, 0xff, 0x0f]],
  ])('unsigned %i', (n, bytes) => {
    expect(uleb(n)).toEqual(bytes);
  });

  it.each([
    [0, [0x00]],
    [-1, [0x7f]],
    [63, [0x3f]],
    [64, [0xc0, 0x00]],
    [-64, [0x40]],
    [-65, [0xbf, 0x7f]],
    [127, [0xff, 0x00]],
    [-128, [0x80, 0x7f]],
    [-123456, [0xc0, 0xbb, 0x78]],
    [2 ** 31 - 1, [0xff, 0xff, 0xff, 0xff, 0x07]],
    [-(2 ** 31), [0x80, 0x80, 0x80, 0x80, 0x78]],
  ])('signed %i', (n, bytes) => {
    expect(sleb(n)).toEqual(bytes);
  });

  it('i32.const takes the value modulo 2^32 as a signed integer', () => {
    expect(op.i32(2 ** 32 - 1)).toEqual([0x41, 0x7f]);
    expect(op.i32(2 ** 31)).toEqual([0x41, 0x80, 0x80, 0x80, 0x80, 0x78]);
  });
});

const host = wasmHost();
if (host === null) throw new Error('Node has WebAssembly');
const Wasm = host;

/** Runs one function f(ptr, n) on a fresh page of memory holding `init` at ptr 0. */
function run(body: Code, locals: number[], init: Float32Array, n: number): Float32Array {
  const memory = new Wasm.Memory({ initial: 1 });
  const heap = new Float32Array(memory.buffer);
  heap.set(init);
  const bytes = assemble([{ name: 'f', params: [I32, I32], locals: locals as never[], body }]);
  expect(Wasm.validate(bytes)).toBe(true);
  instantiate(bytes, memory)['f'](0, n);
  return heap.slice(0, init.length);
}

const at = (i: Code): Code => op.add(op.get(0), op.mul(i, op.i32(4)));
const increment = (i: Code, by: number): Code =>
  op.f32Store(at(i), op.f32Add(op.f32Load(at(i)), op.f32(by)));

describe('loops', () => {
  // for (l2 = 0; l2 < n; l2++) mem[l2] += 1
  const body = loop(2, op.i32(0), op.get(1), increment(op.get(2), 1));

  it.each([0, 1, 5])('runs the body n = %i times', (n) => {
    const out = run(body, [I32], new Float32Array(8), n);
    expect(Array.from(out)).toEqual(Array.from({ length: 8 }, (_, i) => (i < n ? 1 : 0)));
  });

  it('steps by more than one and continues past skipIf', () => {
    // for (l2 = 1; l2 < n; l2 += 2) { if (l2 == 3) continue; mem[l2] += 2 }
    const b = loop(
      2,
      op.i32(1),
      op.get(1),
      [skipIf(op.eq(op.get(2), op.i32(3))), increment(op.get(2), 2)],
      2,
    );
    expect(Array.from(run(b, [I32], new Float32Array(8), 8))).toEqual([0, 2, 0, 0, 0, 2, 0, 2]);
  });

  it('nests: the inner bound can read the outer counter', () => {
    // for (i = 0; i < n; i++) for (j = 0; j < i; j++) mem[i] += 1   → mem[i] = i
    const b = loop(2, op.i32(0), op.get(1), loop(3, op.i32(0), op.get(2), increment(op.get(2), 1)));
    expect(Array.from(run(b, [I32, I32], new Float32Array(6), 6))).toEqual([0, 1, 2, 3, 4, 5]);
  });

  it('encodes multi-byte and negative constants in addresses', () => {
    // mem[(100000 + -99996) / 4 = 1] += 1, via two i32.const of 3 bytes each
    const b = op.f32Store(
      op.add(op.i32(100000), op.i32(-99996)),
      op.f32Add(op.f32Load(op.add(op.i32(100000), op.i32(-99996))), op.f32(0.5)),
    );
    expect(Array.from(run(b, [], new Float32Array(3), 0))).toEqual([0, 0.5, 0]);
  });

  it.runIf(simdSupported())('f32x4 arithmetic works on four lanes at once', () => {
    // mem[0..4) = mem[0..4) * 2 + mem[4..8)
    const b = op.vStore(
      op.get(0),
      op.vAdd(op.vMul(op.vLoad(op.get(0)), op.vSplat(op.f32(2))), op.vLoad(op.get(0), 16)),
    );
    const init = Float32Array.of(1, 2, 3, 4, 10, 20, 30, 40);
    expect(Array.from(run(b, [V128], init, 0))).toEqual([12, 24, 36, 48, 10, 20, 30, 40]);
  });

  it.runIf(simdSupported())('v128.load32_splat puts one float in all four lanes', () => {
    // mem[0..4) = mem[0..4) * mem[6] (the float at byte offset 24)
    const b = op.vStore(op.get(0), op.vMul(op.vLoad(op.get(0)), op.vLoadSplat(op.get(0), 24)));
    const init = Float32Array.of(1, 2, 3, 4, 0, 0, 10, 0);
    expect(Array.from(run(b, [V128], init, 0))).toEqual([10, 20, 30, 40, 0, 0, 10, 0]);
  });
});

describe('dump', () => {
  it('lists a loop as WAT-like text, one instruction a line, indented by block', () => {
    const b = loop(
      2,
      op.i32(0),
      op.get(1),
      [skipIf(op.eq(op.get(2), op.i32(-70))), increment(op.get(2), 1.5)],
      4,
    );
    expect(dumpCode(b)).toMatchInlineSnapshot(`
      "i32.const 0
      local.set 2
      block
        local.get 2
        local.get 1
        i32.ge_u
        br_if 0
        loop
          block
            local.get 2
            i32.const -70
            i32.eq
            br_if 0
            local.get 0
            local.get 2
            i32.const 4
            i32.mul
            i32.add
            local.get 0
            local.get 2
            i32.const 4
            i32.mul
            i32.add
            f32.load
            f32.const 1.5
            f32.add
            f32.store
          end
          local.get 2
          i32.const 4
          i32.add
          local.set 2
          local.get 2
          local.get 1
          i32.lt_u
          br_if 0
        end
      end"
    `);
  });

  it('decodes SIMD memory arguments and lanes', () => {
    const b = op.set(2, op.vLane(op.vAdd(op.vLoad(op.get(0), 32), op.vSplat(op.f32(1))), 3));
    expect(dumpCode(b).split('\n')).toEqual([
      'local.get 0',
      'v128.load offset=32',
      'f32.const 1',
      'f32x4.splat',
      'f32x4.add',
      'f32x4.extract_lane 3',
      'local.set 2',
    ]);
    expect(dumpCode(op.vLoadSplat(op.get(1), 8))).toBe('local.get 1\nv128.load32_splat offset=8');
  });

  it('stops at a byte it does not know', () => {
    expect(dumpCode([op.i32(1), 0xff, op.i32(2)])).toBe('i32.const 1\nunknown 0xff');
  });
});
