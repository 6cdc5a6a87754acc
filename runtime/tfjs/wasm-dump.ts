// A WAT-like listing of the code that wasm-asm.ts assembles, for debugging generated kernels:
// `dumpCode(kernelBody)` prints one instruction a line, indented by block, with immediates decoded
// (`i32.const -1`, `f32.load offset=16`, `br_if 1`). It reads exactly the instructions the
// assembler emits; any other byte is printed as `unknown 0x..` and the listing stops there.

import { flatCode, type Code } from './wasm-asm.js';

interface Reader {
  readonly bytes: readonly number[];
  at: number;
}

function readUleb(r: Reader): number {
  let result = 0;
  let shift = 0;
  for (;;) {
    const b = r.bytes[r.at++];
    if (b === undefined) throw new Error('wasm dump: truncated LEB128');
    result += (b & 0x7f) * 2 ** shift;
    shift += 7;
    if ((b & 0x80) === 0) return result;
  }
}

function readSleb(r: Reader): number {
  let result = 0;
  let shift = 0;
  for (;;) {
    const b = r.bytes[r.at++];
    if (b === undefined) throw new Error('wasm dump: truncated LEB128');
    result += (b & 0x7f) * 2 ** shift;
    shift += 7;
    if ((b & 0x80) === 0) {
      return (b & 0x40) !== 0 ? result - 2 ** shift : result;
    }
  }
}

function readF32(r: Reader): number {
  const bytes = Uint8Array.from(r.bytes.slice(r.at, r.at + 4));
  r.at += 4;
  return new Float32Array(bytes.buffer)[0];
}

function memarg(r: Reader): string {
  const align = readUleb(r);
  const offset = readUleb(r);
  return [offset !== 0 ? `offset=${offset}` : '', align !== 2 ? `align=${2 ** align}` : '']
    .filter((s) => s !== '')
    .join(' ');
}

/** Plain instructions: opcode → name (no immediates). */
const PLAIN: ReadonlyMap<number, string> = new Map([
  [0x1b, 'select'],
  [0x45, 'i32.eqz'],
  [0x46, 'i32.eq'],
  [0x48, 'i32.lt_s'],
  [0x49, 'i32.lt_u'],
  [0x4f, 'i32.ge_u'],
  [0x5e, 'f32.gt'],
  [0x6a, 'i32.add'],
  [0x6b, 'i32.sub'],
  [0x6c, 'i32.mul'],
  [0x71, 'i32.and'],
  [0x72, 'i32.or'],
  [0x92, 'f32.add'],
  [0x93, 'f32.sub'],
  [0x94, 'f32.mul'],
]);

/** SIMD (0xfd-prefixed) instructions without immediates. */
const SIMD_PLAIN: ReadonlyMap<number, string> = new Map([
  [0x11, 'i32x4.splat'],
  [0x13, 'f32x4.splat'],
  [0x37, 'i32x4.eq'],
  [0x44, 'f32x4.gt'],
  [0x50, 'v128.or'],
  [0x52, 'v128.bitselect'],
  [0xe4, 'f32x4.add'],
  [0xe5, 'f32x4.sub'],
  [0xe6, 'f32x4.mul'],
]);

const BLOCKS: ReadonlyMap<number, string> = new Map([
  [0x02, 'block'],
  [0x03, 'loop'],
  [0x04, 'if'],
]);

/** The listing of an instruction sequence (a function body without its locals). */
export function dumpCode(code: Code): string {
  const r: Reader = { bytes: flatCode(code), at: 0 };
  const lines: string[] = [];
  let depth = 0;
  const emit = (text: string) => lines.push(`${'  '.repeat(depth)}${text}`);
  while (r.at < r.bytes.length) {
    const opcode = r.bytes[r.at++];
    const plain = PLAIN.get(opcode);
    const block = BLOCKS.get(opcode);
    if (plain !== undefined) emit(plain);
    else if (block !== undefined) {
      const type = r.bytes[r.at++];
      emit(type === 0x40 ? block : `${block} (type 0x${type.toString(16)})`);
      depth++;
    } else if (opcode === 0x0b) {
      depth = Math.max(0, depth - 1);
      emit('end');
    } else if (opcode === 0x20) emit(`local.get ${readUleb(r)}`);
    else if (opcode === 0x21) emit(`local.set ${readUleb(r)}`);
    else if (opcode === 0x0d) emit(`br_if ${readUleb(r)}`);
    else if (opcode === 0x41) emit(`i32.const ${readSleb(r)}`);
    else if (opcode === 0x43) emit(`f32.const ${readF32(r)}`);
    else if (opcode === 0x2a) emit(`f32.load ${memarg(r)}`.trimEnd());
    else if (opcode === 0x38) emit(`f32.store ${memarg(r)}`.trimEnd());
    else if (opcode === 0xfd) {
      const sub = readUleb(r);
      const simdPlain = SIMD_PLAIN.get(sub);
      if (simdPlain !== undefined) emit(simdPlain);
      else if (sub === 0x00) emit(`v128.load ${memarg(r)}`.trimEnd());
      else if (sub === 0x0b) emit(`v128.store ${memarg(r)}`.trimEnd());
      else if (sub === 0x09) emit(`v128.load32_splat ${memarg(r)}`.trimEnd());
      else if (sub === 0x1f) emit(`f32x4.extract_lane ${r.bytes[r.at++]}`);
      else if (sub === 0x0c) {
        const lanes = r.bytes.slice(r.at, r.at + 16);
        r.at += 16;
        emit(`v128.const i8x16 ${lanes.join(' ')}`);
      } else {
        emit(`unknown 0xfd 0x${sub.toString(16)}`);
        break;
      }
    } else {
      emit(`unknown 0x${opcode.toString(16)}`);
      break;
    }
  }
  return lines.join('\n');
}
