// A small WebAssembly assembler: enough of the binary format and instruction set (i32 arithmetic,
// f32 and f32x4 SIMD loads, stores and arithmetic, structured control flow) to generate kernels at
// run time that work in place on the tfjs wasm backend's memory, which the module imports.
// Kernels are built as nested arrays of instruction bytes (Code) and specialised to their shapes:
// sizes are constants in the code, loops over short vectors are unrolled.

/** Instruction bytes; arrays nest freely and are flattened when the function is assembled. */
export type Code = number | readonly Code[];

export const I32 = 0x7f;
export const F32 = 0x7d;
export const V128 = 0x7b;
export type ValType = typeof I32 | typeof F32 | typeof V128;

/** Unsigned LEB128 of a non-negative integer below 2^32. */
export function uleb(n: number): number[] {
  const out: number[] = [];
  do {
    let b = n & 0x7f;
    n >>>= 7;
    if (n !== 0) b |= 0x80;
    out.push(b);
  } while (n !== 0);
  return out;
}

/** Signed LEB128 of a 32-bit integer. */
export function sleb(n: number): number[] {
  const out: number[] = [];
  for (;;) {
    const b = n & 0x7f;
    n >>= 7;
    if ((n === 0 && (b & 0x40) === 0) || (n === -1 && (b & 0x40) !== 0)) {
      out.push(b);
      return out;
    }
    out.push(b | 0x80);
  }
}

/** The bytes of nested code, in order. */
export function flatCode(code: Code, out: number[] = []): number[] {
  if (typeof code === 'number') out.push(code);
  else for (const c of code) flatCode(c, out);
  return out;
}

const str = (s: string): number[] => [...uleb(s.length), ...Array.from(s, (c) => c.charCodeAt(0))];
const vec = (items: readonly number[][]): number[] => [...uleb(items.length), ...items.flat()];
const section = (id: number, body: number[]): number[] => [id, ...uleb(body.length), ...body];
const simd = (op: number): number[] => [0xfd, ...uleb(op)];

/** Instructions. Operands come first, as on the wasm stack: `op.add(a, b)` is `a b i32.add`. */
export const op = {
  get: (l: number): Code => [0x20, ...uleb(l)],
  set: (l: number, v: Code): Code => [v, 0x21, ...uleb(l)],
  i32: (n: number): Code => [0x41, ...sleb(n | 0)],
  add: (a: Code, b: Code): Code => [a, b, 0x6a],
  sub: (a: Code, b: Code): Code => [a, b, 0x6b],
  mul: (a: Code, b: Code): Code => [a, b, 0x6c],
  /** Unsigned a < b: with a signed a, also a >= 0. */
  ltU: (a: Code, b: Code): Code => [a, b, 0x49],
  geU: (a: Code, b: Code): Code => [a, b, 0x4f],
  ltS: (a: Code, b: Code): Code => [a, b, 0x48],
  eqz: (a: Code): Code => [a, 0x45],
  f32Load: (addr: Code, offset = 0): Code => [addr, 0x2a, 2, ...uleb(offset)],
  f32Store: (addr: Code, v: Code, offset = 0): Code => [addr, v, 0x38, 2, ...uleb(offset)],
  f32Add: (a: Code, b: Code): Code => [a, b, 0x92],
  f32Mul: (a: Code, b: Code): Code => [a, b, 0x94],
  f32Gt: (a: Code, b: Code): Code => [a, b, 0x5e],
  f32Le: (a: Code, b: Code): Code => [a, b, 0x5f],
  f32Ne: (a: Code, b: Code): Code => [a, b, 0x5c],
  select: (a: Code, b: Code, cond: Code): Code => [a, b, cond, 0x1b],
  vLoad: (addr: Code, offset = 0): Code => [addr, ...simd(0x00), 2, ...uleb(offset)],
  vStore: (addr: Code, v: Code, offset = 0): Code => [addr, v, ...simd(0x0b), 2, ...uleb(offset)],
  /** v128.load32_splat: the float at addr + offset in all four lanes. */
  vLoadSplat: (addr: Code, offset = 0): Code => [addr, ...simd(0x09), 2, ...uleb(offset)],
  vSplat: (f: Code): Code => [f, ...simd(0x13)],
  vAdd: (a: Code, b: Code): Code => [a, b, ...simd(0xe4)],
  /**
   * f32x4.relaxed_madd: a·b + c, fused (one rounding) where the CPU has FMA; relaxed SIMD
   * (relaxedSimd) must be on.
   */
  vMadd: (a: Code, b: Code, c: Code): Code => [a, b, c, ...simd(0x105)],
  vMul: (a: Code, b: Code): Code => [a, b, ...simd(0xe6)],
  vSub: (a: Code, b: Code): Code => [a, b, ...simd(0xe5)],
  vDiv: (a: Code, b: Code): Code => [a, b, ...simd(0xe7)],
  /** b < a ? b : a, lanewise. */
  vPMin: (a: Code, b: Code): Code => [a, b, ...simd(0xea)],
  vAbs: (a: Code): Code => [a, ...simd(0xe0)],
  vAnd: (a: Code, b: Code): Code => [a, b, ...simd(0x4e)],
  /** i32x4 a << n. */
  vShlI: (a: Code, n: Code): Code => [a, n, ...simd(0xab)],
  f32Sub: (a: Code, b: Code): Code => [a, b, 0x93],
  f32Div: (a: Code, b: Code): Code => [a, b, 0x95],
  f32Lt: (a: Code, b: Code): Code => [a, b, 0x5d],
  f32Abs: (a: Code): Code => [a, 0x8b],
  f32CopySign: (a: Code, sign: Code): Code => [a, sign, 0x98],
  /** i32.shl, f32.reinterpret_i32, i32.reinterpret_f32. */
  shl: (a: Code, n: Code): Code => [a, n, 0x74],
  asF32: (a: Code): Code => [a, 0xbe],
  asI32: (a: Code): Code => [a, 0xbc],
  vLane: (v: Code, lane: number): Code => [v, ...simd(0x1f), lane],
  vZero: (): Code => [...simd(0x0c), ...new Array<number>(16).fill(0)],
  vSplatI: (i: Code): Code => [i, ...simd(0x11)],
  vGt: (a: Code, b: Code): Code => [a, b, ...simd(0x44)],
  vLe: (a: Code, b: Code): Code => [a, b, ...simd(0x45)],
  vNe: (a: Code, b: Code): Code => [a, b, ...simd(0x42)],
  vEqI: (a: Code, b: Code): Code => [a, b, ...simd(0x37)],
  vOr: (a: Code, b: Code): Code => [a, b, ...simd(0x50)],
  /** Lanes of a where mask is set, of b elsewhere. */
  vSelect: (a: Code, b: Code, mask: Code): Code => [a, b, mask, ...simd(0x52)],
  f32: (x: number): Code => [0x43, ...new Uint8Array(Float32Array.of(x).buffer)],
  eq: (a: Code, b: Code): Code => [a, b, 0x46],
  or: (a: Code, b: Code): Code => [a, b, 0x72],
  /** `if (cond) { body }`. */
  when: (cond: Code, body: Code): Code => [cond, 0x04, 0x40, body, 0x0b],
  /** `block { body }`: `br depth` inside leaves it. */
  block: (body: Code): Code => [0x02, 0x40, body, 0x0b],
  brIf: (depth: number, cond: Code): Code => [cond, 0x0d, ...uleb(depth)],
};

/**
 * `for (l = from; l < to; l += step) body` (to evaluated each time). Inside body, `continue` is
 * `br 0` from the body's own nesting level plus whatever blocks it opens (see `skip`).
 */
export function loop(l: number, from: Code, to: Code, body: Code, step = 1): Code {
  return [
    op.set(l, from),
    op.block([
      op.brIf(0, op.geU(op.get(l), to)),
      0x03,
      0x40, // loop
      op.block(body), // `br 0` in body: continue
      op.set(l, op.add(op.get(l), op.i32(step))),
      op.brIf(0, op.ltU(op.get(l), to)),
      0x0b,
    ]),
  ];
}

/** Leaves the innermost `loop` body (continues the loop) when cond holds, at block depth `depth`. */
export function skipIf(cond: Code, depth = 0): Code {
  return op.brIf(depth, cond);
}

export interface FuncDef {
  readonly name: string;
  readonly params: readonly ValType[];
  readonly locals: readonly ValType[];
  readonly body: Code;
}

/** A module that imports `env.memory` and exports the functions (no results). */
export function assemble(funcs: readonly FuncDef[]): Uint8Array {
  const types = funcs.map((f) => [0x60, ...vec(f.params.map((p) => [p])), 0]);
  const imports = vec([[...str('env'), ...str('memory'), 0x02, 0x00, 0x00]]);
  const code = funcs.map((f) => {
    const body = [...vec(f.locals.map((t) => [1, t])), ...flatCode(f.body), 0x0b];
    return [...uleb(body.length), ...body];
  });
  return Uint8Array.from([
    0x00,
    0x61,
    0x73,
    0x6d,
    0x01,
    0x00,
    0x00,
    0x00,
    ...section(1, vec(types)),
    ...section(2, imports),
    ...section(3, vec(funcs.map((_, i) => uleb(i)))),
    ...section(7, vec(funcs.map((f, i) => [...str(f.name), 0x00, ...uleb(i)]))),
    ...section(10, vec(code)),
  ]);
}

/** The WebAssembly API of the JavaScript host, typed as far as cnnc uses it (no DOM types here). */
export interface WasmHost {
  validate(bytes: Uint8Array): boolean;
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object, imports: object) => { exports: Record<string, unknown> };
  Memory: new (descriptor: { initial: number }) => { buffer: ArrayBuffer };
}

export function wasmHost(): WasmHost | null {
  const host = (globalThis as { WebAssembly?: WasmHost }).WebAssembly;
  return host ?? null;
}

/** Instantiates an assembled module against `memory`; its functions by name. */
export function instantiate(
  bytes: Uint8Array,
  memory: object,
): Record<string, (...args: number[]) => void> {
  const host = wasmHost();
  if (host === null) throw new Error('cnnc: this JavaScript host has no WebAssembly');
  const instance = new host.Instance(new host.Module(bytes), { env: { memory } });
  const out: Record<string, (...args: number[]) => void> = {};
  for (const [name, f] of Object.entries(instance.exports)) {
    if (typeof f === 'function') out[name] = f as (...args: number[]) => void;
  }
  return out;
}

let simdProbed: boolean | null = null;

/**
 * Whether this host runs WebAssembly SIMD (a probe module with f32x4 instructions validates),
 * probed once: lowering asks on every forward pass (fused-bias-act.ts), where assembling and
 * validating the probe each time cost ~0.03 ms a pass.
 */
export function simdSupported(): boolean {
  if (simdProbed !== null) return simdProbed;
  const host = wasmHost();
  if (host === null) return (simdProbed = false);
  const probe = assemble([
    {
      name: 'probe',
      params: [I32],
      locals: [V128],
      body: op.set(1, op.vAdd(op.vSplat(op.f32Load(op.get(0))), op.vLoad(op.get(0)))),
    },
  ]);
  return (simdProbed = host.validate(probe));
}

let relaxed: boolean | null = null;

/**
 * Whether this host runs WebAssembly relaxed SIMD (f32x4.relaxed_madd), decided once. Relaxed SIMD
 * is standard and on by default from V8 11.4 (Chrome 114, Node 21); Node 20's V8 11.3 has it
 * behind --experimental-wasm-relaxed-simd, which is set here through node:v8 when the probe fails
 * without it (a flag that only widens what wasm validation accepts). CNNC_NO_RELAXED_SIMD=1 turns
 * it off, for comparing with the mul + add kernels.
 */
export function relaxedSimd(): boolean {
  if (relaxed !== null) return relaxed;
  const host = wasmHost();
  const env = typeof process === 'undefined' ? undefined : process.env;
  if (host === null || env?.['CNNC_NO_RELAXED_SIMD']) return (relaxed = false);
  const probe = assemble([
    {
      name: 'probe',
      params: [I32],
      locals: [V128],
      body: op.set(1, op.vMadd(op.vLoad(op.get(0)), op.vLoad(op.get(0)), op.vLoad(op.get(0)))),
    },
  ]);
  if (!host.validate(probe)) {
    const v8 = typeof process === 'undefined' ? undefined : process.getBuiltinModule?.('node:v8');
    try {
      (v8 as { setFlagsFromString?: (flags: string) => void } | undefined)?.setFlagsFromString?.(
        '--experimental-wasm-relaxed-simd',
      );
    } catch {
      // an unknown flag: relaxed SIMD stays off
    }
  }
  return (relaxed = host.validate(probe));
}
