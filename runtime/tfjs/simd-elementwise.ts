// Elementwise kernels in WebAssembly SIMD (wasm-asm.ts), run in place on the wasm backend's memory:
// one pass over one or two float32 operands, four lanes to a vector and a scalar tail for the last
// n mod 4. Except tanh, each rule performs the same float32 operations, in the same order, as the
// tfjs ops it stands for (no fused multiply-add), so its results are bit for bit those of the
// unfused ops:
//
//   tanh           1 − 2/(e^{2|x|} + 1), sign of x; within 1.2e-7 of Math.tanh (see tanhCode)
//   relu           x ≤ 0 ? +0 : x           (NaN stays NaN)             wasm's Relu
//   tanhGrad       (1 − y·y) · dy                                       mul(sub(1, square(y)), dy)
//   sigmoidGrad    dy · (y · (1 − y))                                   mul(dy, mul(y, sub(1, y)))
//   reluGrad       dy · step(x), step(x) = x > 0 ? 1 : x ≠ x ? NaN : 0  mul(dy, cast(step(x)))
//   relu6Grad      dy · ((x ≤ 6) · step(x))                             mul(dy, (x ≤ 6)·step(x))
//
// `js` is the same rule in JavaScript (Math.fround after every operation), for hosts without SIMD.

import { compiled } from './simd-pool.js';
import { F32, I32, loop, op, V128, assemble, type Code, type ValType } from './wasm-asm.js';

type Kernel = (...args: number[]) => void;

export interface ElementwiseRule {
  /** Operands: (a) or (a, b). */
  readonly arity: 1 | 2;
  /** On f32x4 values; `t`: three v128 locals to use. */
  readonly vec: (a: Code, b: Code, t: Scratch) => Code;
  /** On f32 values; `t`: three f32 locals to use. */
  readonly scalar: (a: Code, b: Code, t: Scratch) => Code;
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

type Scratch = readonly [number, number, number];

/** The float operations tanh needs, on vectors or scalars. */
interface Arith {
  add(a: Code, b: Code): Code;
  sub(a: Code, b: Code): Code;
  mul(a: Code, b: Code): Code;
  div(a: Code, b: Code): Code;
  /** b < a ? b : a (a NaN stays NaN). */
  min(a: Code, b: Code): Code;
  abs(a: Code): Code;
  k(c: number): Code;
  /** 2^n from v = n + MAGIC (n integral in [−126, 127]): v's low mantissa bits are n + 127. */
  pow2(v: Code): Code;
  /** |t| with the sign of x (t ≥ 0). */
  withSign(t: Code, x: Code): Code;
}

const VEC: Arith = {
  add: op.vAdd,
  sub: op.vSub,
  mul: op.vMul,
  div: op.vDiv,
  min: (a, b) => op.vPMin(a, b),
  abs: op.vAbs,
  k: (c) => {
    const i = VEC_CONSTS.indexOf(c);
    return i < 0 ? op.vSplat(op.f32(c)) : op.get(VC + i);
  },
  pow2: (v) => op.vShlI(v, op.i32(23)),
  withSign: (t, x) => op.vOr(t, op.vAnd(x, op.vSplatI(op.i32(0x80000000)))),
};

const SCALAR: Arith = {
  add: op.f32Add,
  sub: op.f32Sub,
  mul: op.f32Mul,
  div: op.f32Div,
  min: (a, b) => op.select(b, a, op.f32Lt(b, a)),
  abs: op.f32Abs,
  k: (c) => op.f32(c),
  pow2: (v) => op.asF32(op.shl(op.asI32(v), op.i32(23))),
  withSign: op.f32CopySign,
};

// tanh |x| = 1 − 2/(e^{2|x|} + 1), e^y = 2^n·e^r with n = round(y·log₂e), r = y − n·ln2 (ln2 in two
// parts, Cody-Waite) and e^r Cephes' expf polynomial; 2|x| is capped at 20, where tanh rounds to 1.
const LOG2E = 1.4426950408889634;
const LN2_HI = 0.693359375;
const LN2_LO = -2.1219444e-4;
const EXP_P = [
  1.98756915e-4, 1.39819995e-3, 8.33345191e-3, 4.16657959e-2, 1.66666655e-1, 0.500000012,
];
const TANH_CAP = 20;
/** 1.5·2²³ + 127: y + MAGIC rounds y to an integer n (ties to even), n + 127 in the low bits. */
const MAGIC = 12583039;
/** Vector constants, splatted into locals VC… once per call rather than in the loop. */
const VEC_CONSTS = [TANH_CAP, LOG2E, MAGIC, LN2_HI, LN2_LO, ...EXP_P, 1, 2];

function tanhCode(A: Arith, x: Code, [y, v, p]: Scratch): Code {
  const { get, set } = op;
  let poly: Code = A.k(EXP_P[0]);
  for (const c of EXP_P.slice(1)) poly = A.add(A.mul(poly, get(y)), A.k(c));
  const er = A.add(A.add(A.mul(get(p), A.mul(get(y), get(y))), get(y)), A.k(1));
  const n = A.sub(get(v), A.k(MAGIC));
  return [
    set(y, A.min(A.add(A.abs(x), A.abs(x)), A.k(TANH_CAP))),
    set(v, A.add(A.mul(get(y), A.k(LOG2E)), A.k(MAGIC))),
    set(y, A.sub(A.sub(get(y), A.mul(n, A.k(LN2_HI))), A.mul(n, A.k(LN2_LO)))),
    set(p, poly),
    set(p, A.mul(er, A.pow2(get(v)))),
    A.withSign(A.sub(A.k(1), A.div(A.k(2), A.add(get(p), A.k(1)))), x),
  ];
}

const bits = new Float32Array(1);
const bitsI = new Int32Array(bits.buffer);

/** The same as tanhCode, in JavaScript. */
function tanhJs(x: number): number {
  const a = Math.abs(x);
  let y = TANH_CAP < f(a + a) ? TANH_CAP : f(a + a);
  const n = f(f(f(y * f(LOG2E)) + MAGIC) - MAGIC);
  y = f(f(y - f(n * f(LN2_HI))) - f(n * f(LN2_LO)));
  let p = f(EXP_P[0]);
  for (const c of EXP_P.slice(1)) p = f(f(p * y) + f(c));
  bitsI[0] = (n + 127) << 23;
  p = f(f(f(f(p * f(y * y)) + y) + 1) * bits[0]);
  const t = f(1 - f(2 / f(p + 1)));
  return x < 0 || Object.is(x, -0) ? -t : t;
}

export const ELEMENTWISE = {
  tanh: {
    arity: 1,
    vec: (x, _, t) => tanhCode(VEC, x, t),
    scalar: (x, _, t) => tanhCode(SCALAR, x, t),
    js: (x) => tanhJs(x),
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
  relu6Grad: {
    arity: 2,
    vec: (dy, x) =>
      op.vMul(dy, op.vMul(op.vSelect(one(), zero(), op.vLe(x, op.vSplat(op.f32(6)))), vStep(x))),
    scalar: (dy, x) =>
      op.f32Mul(dy, op.f32Mul(op.select(op.f32(1), op.f32(0), op.f32Le(x, op.f32(6))), sStep(x))),
    js: (dy, x) => f(dy * f((x <= 6 ? 1 : 0) * jsStep(x))),
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
const VT: Scratch = [8, 9, 10]; // v128
const [sa, sb] = [11, 12]; // f32
const ST: Scratch = [13, 14, 15]; // f32
const VC = 16; // v128 constants
const I32S: ValType[] = [I32, I32];
const V128S = (k: number): ValType[] => new Array<ValType>(k).fill(V128);
const F32S: ValType[] = [F32, F32, F32, F32, F32];
const LOCALS: readonly ValType[] = [...I32S, ...V128S(5), ...F32S, ...V128S(VEC_CONSTS.length)];

function body(rule: ElementwiseRule): Code {
  const { i32, get, set, add, mul, vLoad, vStore, f32Load, f32Store } = op;
  const two = rule.arity === 2;
  return [
    VEC_CONSTS.map((c, i) => set(VC + i, op.vSplat(op.f32(c)))),
    set(end, mul(op.sub(get(3), [get(3), i32(3), 0x71]), i32(4))), // 4·(n − n mod 4)
    loop(
      at,
      i32(0),
      get(end),
      [
        set(va, vLoad(add(get(0), get(at)))),
        two ? set(vb, vLoad(add(get(1), get(at)))) : [],
        vStore(add(get(2), get(at)), rule.vec(get(va), get(vb), VT)),
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
        f32Store(add(get(2), get(at)), rule.scalar(get(sa), get(sb), ST)),
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
        locals: LOCALS,
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
