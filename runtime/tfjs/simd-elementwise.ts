// Elementwise kernels in WebAssembly SIMD (wasm-asm.ts), run in place on the wasm backend's memory:
// one pass over one or two float32 operands, four lanes to a vector and a scalar tail for the last
// n mod 4. Each rule performs the same float32 operations, in the same order, as the tfjs ops it
// stands for (no fused multiply-add), so its results are bit for bit those of the unfused ops:
//
//   double         x + x                    (= 2·x, exact)             Tanh forward: σ(2x) …
//   twiceLess1     (s + s) − 1                                          … then 2σ − 1
//   relu           x ≤ 0 ? +0 : x           (NaN stays NaN)             wasm's Relu
//   tanhGrad       (1 − y·y) · dy                                       mul(sub(1, square(y)), dy)
//   sigmoidGrad    dy · (y · (1 − y))                                   mul(dy, mul(y, sub(1, y)))
//   reluGrad       dy · step(x), step(x) = x > 0 ? 1 : x ≠ x ? NaN : 0  mul(dy, cast(step(x)))
//
// `js` is the same rule in JavaScript (Math.fround after every operation), for hosts without SIMD.

import { compiled } from './simd-pool.js';
import { F32, I32, loop, op, V128, assemble, type Code } from './wasm-asm.js';

type Kernel = (...args: number[]) => void;

export interface ElementwiseRule {
  /** Operands: (a) or (a, b). */
  readonly arity: 1 | 2;
  /** On f32x4 values. */
  readonly vec: (a: Code, b: Code) => Code;
  /** On f32 values. */
  readonly scalar: (a: Code, b: Code) => Code;
  /** On numbers, rounding to float32 after every operation as the kernels do. */
  readonly js: (a: number, b: number) => number;
}

const f = Math.fround;
const one = (): Code => op.vSplat(op.f32(1));
const zero = (): Code => op.vZero();

/** step(x) as tfjs computes it: 1 where x > 0, NaN where x is NaN, 0 elsewhere. */
const vStep = (x: Code): Code =>
  op.vSelect(one(), op.vSelect(op.vSplat(op.f32(NaN)), zero(), op.vNe(x, x)), op.vGt(x, zero()));
const sStep = (x: Code): Code =>
  op.select(op.f32(1), op.select(op.f32(NaN), op.f32(0), op.f32Ne(x, x)), op.f32Gt(x, op.f32(0)));
const jsStep = (x: number): number => (x > 0 ? 1 : Number.isNaN(x) ? NaN : 0);

export const ELEMENTWISE = {
  double: {
    arity: 1,
    vec: (x) => op.vAdd(x, x),
    scalar: (x) => op.f32Add(x, x),
    js: (x) => f(x + x),
  },
  twiceLess1: {
    arity: 1,
    vec: (s) => op.vSub(op.vAdd(s, s), one()),
    scalar: (s) => op.f32Sub(op.f32Add(s, s), op.f32(1)),
    js: (s) => f(f(s + s) - 1),
  },
  relu: {
    arity: 1,
    vec: (x) => op.vSelect(zero(), x, op.vLe(x, zero())),
    scalar: (x) => op.select(op.f32(0), x, op.f32Le(x, op.f32(0))),
    js: (x) => (x <= 0 ? 0 : x),
  },
  tanhGrad: {
    arity: 2,
    vec: (dy, y) => op.vMul(op.vSub(one(), op.vMul(y, y)), dy),
    scalar: (dy, y) => op.f32Mul(op.f32Sub(op.f32(1), op.f32Mul(y, y)), dy),
    js: (dy, y) => f(f(1 - f(y * y)) * dy),
  },
  sigmoidGrad: {
    arity: 2,
    vec: (dy, y) => op.vMul(dy, op.vMul(y, op.vSub(one(), y))),
    scalar: (dy, y) => op.f32Mul(dy, op.f32Mul(y, op.f32Sub(op.f32(1), y))),
    js: (dy, y) => f(dy * f(y * f(1 - y))),
  },
  reluGrad: {
    arity: 2,
    vec: (dy, x) => op.vMul(dy, vStep(x)),
    scalar: (dy, x) => op.f32Mul(dy, sStep(x)),
    js: (dy, x) => f(dy * jsStep(x)),
  },
} as const satisfies Record<string, ElementwiseRule>;

export type ElementwiseOp = keyof typeof ELEMENTWISE;

// Parameters: 0 a, 1 b, 2 out (byte addresses), 3 n (elements). Locals:
const [at, end] = [4, 5]; // i32: byte offset, end of the vector part
const [va, vb] = [6, 7]; // v128
const [sa, sb] = [8, 9]; // f32

function body(rule: ElementwiseRule): Code {
  const { i32, get, set, add, mul, vLoad, vStore, f32Load, f32Store } = op;
  const two = rule.arity === 2;
  return [
    set(end, mul(op.sub(get(3), [get(3), i32(3), 0x71]), i32(4))), // 4·(n − n mod 4)
    loop(
      at,
      i32(0),
      get(end),
      [
        set(va, vLoad(add(get(0), get(at)))),
        two ? set(vb, vLoad(add(get(1), get(at)))) : [],
        vStore(add(get(2), get(at)), rule.vec(get(va), get(vb))),
      ],
      16,
    ),
    loop(
      at,
      get(end),
      mul(get(3), i32(4)),
      [
        set(sa, f32Load(add(get(0), get(at)))),
        two ? set(sb, f32Load(add(get(1), get(at)))) : [],
        f32Store(add(get(2), get(at)), rule.scalar(get(sa), get(sb))),
      ],
      4,
    ),
  ];
}

/** (a, b, out, n): out[i] = rule(a[i], b[i]) for i < n (b ignored for one operand). */
export function elementwiseKernel(memory: object, name: ElementwiseOp): Kernel {
  return compiled(memory, `map:${name}`, () =>
    assemble([
      {
        name: 'k',
        params: [I32, I32, I32, I32],
        locals: [I32, I32, V128, V128, F32, F32],
        body: body(ELEMENTWISE[name]),
      },
    ]),
  );
}

/** The same on JavaScript arrays (no SIMD in the host). */
export function elementwiseJs(
  name: ElementwiseOp,
  a: Float32Array,
  b: Float32Array | null,
  out: Float32Array,
): void {
  const rule: ElementwiseRule = ELEMENTWISE[name];
  for (let i = 0; i < out.length; i++) out[i] = rule.js(a[i], b === null ? 0 : b[i]);
}
