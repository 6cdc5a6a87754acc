// Pool gradients and column sums in WebAssembly SIMD, generated per shape (wasm-asm.ts) and run in
// place on the wasm backend's memory. Channels (the contiguous axis) run four to a vector; the last
// C mod 4 channels take the same steps on scalars.
//
//   MaxPoolGrad  per window and channel vector: the first tap (in kh, kw order) holding the maximum,
//                tracked as a vector of tap numbers, then dX[tap] += dY where that tap won. Taps
//                outside the input never compete. The same rule as pool-grads.ts and the cpu backend.
//   AvgPoolGrad  dX[tap] += dY / (kh·kw) for every tap inside the input.
//   column sums  out[c] = Σ_r X[r, c], the reduction of a bias gradient over [N, H, W, C].
//   channel ops  out[r, c] = X[r, c] + b[c] (also −, ·): a bias, a batch-norm scale or shift.

import {
  assemble,
  F32,
  I32,
  instantiate,
  loop,
  op,
  V128,
  type Code,
  type ValType,
} from './wasm-asm.js';

type Kernel = (...args: number[]) => void;

export interface PoolGeometry {
  readonly N: number;
  readonly H: number;
  readonly W: number;
  readonly C: number;
  readonly OH: number;
  readonly OW: number;
  readonly KH: number;
  readonly KW: number;
  readonly sh: number;
  readonly sw: number;
  readonly pt: number;
  readonly pl: number;
}

/**
 * Whether the windows tile the input: each input pixel lies in exactly one window (kernel =
 * stride, no padding, the input a whole number of windows). The gradient kernels then write dX
 * once per pixel (0 + the value, the bits of adding into zeros) instead of adding into a dX
 * zeroed first: one pass over dX instead of three.
 */
export function poolTiles(p: PoolGeometry): boolean {
  return (
    p.KH === p.sh &&
    p.KW === p.sw &&
    p.pt === 0 &&
    p.pl === 0 &&
    p.OH * p.KH === p.H &&
    p.OW * p.KW === p.W
  );
}

/** Taps unrolled into the code at most; larger windows use the JavaScript loops. */
export const MAX_POOL_TAPS = 25;

// Parameters: 0 x, 1 dy, 2 dx. Locals:
const [n, oh, ow, u, ih, iw, dyAt, c] = [3, 4, 5, 6, 7, 8, 9, 10];
const I32_LOCALS = 8;
const [best, at, g] = [11, 12, 13]; // v128
const [bestS, gS] = [14, 15]; // f32
const atS = 16; // i32
const LOCALS: readonly ValType[] = [
  ...new Array<ValType>(I32_LOCALS).fill(I32),
  V128,
  V128,
  V128,
  F32,
  F32,
  I32,
];

/** Calls `body(address of x[n, ih, iw, 0] in bytes, valid)` for each tap, unrolled. */
function taps(
  p: PoolGeometry,
  body: (t: number, pixel: (base: number) => Code, valid: Code) => Code,
): Code {
  const { i32, get, set, add, mul, sub, ltU } = op;
  const out: Code[] = [];
  for (let kh = 0; kh < p.KH; kh++) {
    for (let kw = 0; kw < p.KW; kw++) {
      const t = kh * p.KW + kw;
      const pixel = (base: number): Code =>
        add(
          get(base),
          mul(add(mul(add(mul(get(n), i32(p.H)), get(ih)), i32(p.W)), get(iw)), i32(p.C * 4)),
        );
      out.push([
        set(ih, sub(add(mul(get(oh), i32(p.sh)), i32(kh)), i32(p.pt))),
        set(iw, sub(add(mul(get(ow), i32(p.sw)), i32(kw)), i32(p.pl))),
        body(t, pixel, [ltU(get(ih), i32(p.H)), ltU(get(iw), i32(p.W)), 0x71]),
      ]);
    }
  }
  return out;
}

function windows(p: PoolGeometry, perWindow: Code): Code {
  const { i32, get, set, add, mul } = op;
  return loop(
    n,
    i32(0),
    i32(p.N),
    loop(
      oh,
      i32(0),
      i32(p.OH),
      loop(ow, i32(0), i32(p.OW), [
        set(
          dyAt,
          add(
            get(1),
            mul(add(mul(add(mul(get(n), i32(p.OH)), get(oh)), i32(p.OW)), get(ow)), i32(p.C * 4)),
          ),
        ),
        perWindow,
      ]),
    ),
  );
}

function maxPoolGradKernel(p: PoolGeometry): Code {
  const { i32, f32, get, set, add, mul, when, or, eq } = op;
  const tiles = poolTiles(p);
  const { vLoad, vStore, vAdd, vSplat, vSplatI, vGt, vEqI, vOr, vSelect, vZero } = op;
  const U = Math.floor(p.C / 4);
  const vec: Code = loop(
    u,
    i32(0),
    i32(U * 16),
    [
      set(best, vSplat(f32(-Infinity))),
      set(at, vSplatI(i32(-1))),
      taps(p, (t, pixel, valid) => {
        const v = vLoad(add(pixel(0), get(u)));
        return when(valid, [
          set(g, vOr(vGt(v, get(best)), vEqI(get(at), vSplatI(i32(-1))))),
          set(best, vSelect(v, get(best), get(g))),
          set(at, vSelect(vSplatI(i32(t)), get(at), get(g))),
        ]);
      }),
      set(g, vLoad(add(get(dyAt), get(u)))),
      taps(p, (t, pixel, valid) => {
        const addr = add(pixel(2), get(u));
        const mine = vSelect(get(g), vZero(), vEqI(get(at), vSplatI(i32(t))));
        return when(valid, vStore(addr, vAdd(tiles ? vZero() : vLoad(addr), mine)));
      }),
    ],
    16,
  );
  const scalar: Code = loop(c, i32(U * 4), i32(p.C), [
    set(bestS, f32(-Infinity)),
    set(atS, i32(-1)),
    taps(p, (t, pixel, valid) => {
      const v = op.f32Load(add(pixel(0), mul(get(c), i32(4))));
      return when(valid, [
        when(or(op.f32Gt(v, get(bestS)), eq(get(atS), i32(-1))), [set(bestS, v), set(atS, i32(t))]),
      ]);
    }),
    set(gS, op.f32Load(add(get(dyAt), mul(get(c), i32(4))))),
    taps(p, (t, pixel, valid) => {
      const addr = add(pixel(2), mul(get(c), i32(4)));
      if (tiles) {
        const mine = op.select(get(gS), f32(0), eq(get(atS), i32(t)));
        return when(valid, op.f32Store(addr, op.f32Add(f32(0), mine)));
      }
      return when(
        valid,
        when(eq(get(atS), i32(t)), op.f32Store(addr, op.f32Add(op.f32Load(addr), get(gS)))),
      );
    }),
  ]);
  return windows(p, [vec, scalar]);
}

function avgPoolGradKernel(p: PoolGeometry): Code {
  const { i32, f32, get, set, add, mul, when } = op;
  const { vLoad, vStore, vAdd, vMul, vSplat, vZero } = op;
  const tiles = poolTiles(p);
  const U = Math.floor(p.C / 4);
  const scale = 1 / (p.KH * p.KW);
  const vec: Code = loop(
    u,
    i32(0),
    i32(U * 16),
    [
      set(g, vMul(vLoad(add(get(dyAt), get(u))), vSplat(f32(scale)))),
      taps(p, (_, pixel, valid) => {
        const addr = add(pixel(2), get(u));
        return when(valid, vStore(addr, vAdd(tiles ? vZero() : vLoad(addr), get(g))));
      }),
    ],
    16,
  );
  const scalar: Code = loop(c, i32(U * 4), i32(p.C), [
    set(gS, op.f32Mul(op.f32Load(add(get(dyAt), mul(get(c), i32(4)))), f32(scale))),
    taps(p, (_, pixel, valid) => {
      const addr = add(pixel(2), mul(get(c), i32(4)));
      return when(valid, op.f32Store(addr, op.f32Add(tiles ? f32(0) : op.f32Load(addr), get(gS))));
    }),
  ]);
  return windows(p, [vec, scalar]);
}

/** Params (x, rows, out): out[c] = Σ_r x[r, c] over `rows` rows of C floats. */
function columnSumsKernel(C: number): Code {
  const { i32, get, set, add, vLoad, vStore, vAdd, vZero, f32Load, f32Store, f32Add, f32 } = op;
  // Locals: 3 row, 4 address; v128 accumulators from 5; f32 tail after them.
  const V = Math.floor(C / 4);
  const CHUNK = 16;
  const acc = (j: number) => 5 + j;
  const tail = (k: number) => 5 + CHUNK + k;
  const parts: Code[] = [];
  for (let v0 = 0; v0 < V; v0 += CHUNK) {
    const v1 = Math.min(V, v0 + CHUNK);
    const last = v1 === V;
    parts.push([
      Array.from({ length: v1 - v0 }, (_, j) => set(acc(j), vZero())),
      last ? Array.from({ length: C % 4 }, (_, k) => set(tail(k), f32(0))) : [],
      set(4, get(0)),
      loop(3, i32(0), get(1), [
        Array.from({ length: v1 - v0 }, (_, j) =>
          set(acc(j), vAdd(get(acc(j)), vLoad(get(4), 16 * (v0 + j)))),
        ),
        last
          ? Array.from({ length: C % 4 }, (_, k) =>
              set(tail(k), f32Add(get(tail(k)), f32Load(get(4), 16 * V + 4 * k))),
            )
          : [],
        set(4, add(get(4), i32(C * 4))),
      ]),
      Array.from({ length: v1 - v0 }, (_, j) => vStore(get(2), get(acc(j)), 16 * (v0 + j))),
      last
        ? Array.from({ length: C % 4 }, (_, k) => f32Store(get(2), get(tail(k)), 16 * V + 4 * k))
        : [],
    ]);
  }
  if (V === 0) {
    parts.push([
      Array.from({ length: C }, (_, k) => set(tail(k), f32(0))),
      set(4, get(0)),
      loop(3, i32(0), get(1), [
        Array.from({ length: C }, (_, k) =>
          set(tail(k), f32Add(get(tail(k)), f32Load(get(4), 4 * k))),
        ),
        set(4, add(get(4), i32(C * 4))),
      ]),
      Array.from({ length: C }, (_, k) => f32Store(get(2), get(tail(k)), 4 * k)),
    ]);
  }
  return parts;
}

const kernels = new WeakMap<object, Map<string, Kernel>>();

export function compiled(memory: object, key: string, build: () => Uint8Array): Kernel {
  let byKey = kernels.get(memory);
  if (byKey === undefined) {
    byKey = new Map();
    kernels.set(memory, byKey);
  }
  const hit = byKey.get(key);
  if (hit) return hit;
  const k = instantiate(build(), memory)['k'];
  if (byKey.size >= 256) byKey.clear();
  byKey.set(key, k);
  return k;
}

/** (x, dy, dx) byte addresses; dx zero on entry. */
export function poolGradKernel(memory: object, kind: 'max' | 'avg', p: PoolGeometry): Kernel {
  return compiled(memory, `${kind}:${JSON.stringify(p)}`, () =>
    assemble([
      {
        name: 'k',
        params: [I32, I32, I32],
        locals: LOCALS,
        body: kind === 'max' ? maxPoolGradKernel(p) : avgPoolGradKernel(p),
      },
    ]),
  );
}

/** (x, rows, out): column sums of a [rows, C] float32 matrix. */
export function columnSumsKernel32(memory: object, C: number): Kernel {
  return compiled(memory, `sum:${C}`, () =>
    assemble([
      {
        name: 'k',
        params: [I32, I32, I32],
        locals: [I32, I32, ...new Array<typeof V128>(16).fill(V128), F32, F32, F32, F32],
        body: columnSumsKernel(C),
      },
    ]),
  );
}

export type ChannelOp = 'add' | 'sub' | 'mul';

/** Params (x, b, out, rows): out[r, c] = x[r, c] op b[c] over `rows` rows of C floats. */
function channelOpKernel(kind: ChannelOp, C: number): Code {
  const { i32, get, set, add, vLoad, vStore, f32Load, f32Store } = op;
  // Locals: 4 row, 5 x address, 6 out address; v128 b vectors from 7 (16 at most), f32 tail after.
  const V = Math.floor(C / 4);
  const CHUNK = 16;
  const bv = (j: number) => 7 + j;
  const bs = (k: number) => 7 + CHUNK + k;
  const vop = (a: Code, b: Code): Code =>
    kind === 'add' ? op.vAdd(a, b) : kind === 'mul' ? op.vMul(a, b) : op.vSub(a, b);
  const sop = (a: Code, b: Code): Code =>
    kind === 'add' ? op.f32Add(a, b) : kind === 'mul' ? op.f32Mul(a, b) : op.f32Sub(a, b);
  const parts: Code[] = [];
  const chunks: [number, number][] = [];
  for (let v0 = 0; v0 < V; v0 += CHUNK) chunks.push([v0, Math.min(V, v0 + CHUNK)]);
  if (chunks.length === 0) chunks.push([0, 0]);
  chunks.forEach(([v0, v1], i) => {
    const tail = i === chunks.length - 1 ? C % 4 : 0;
    parts.push([
      Array.from({ length: v1 - v0 }, (_, j) => set(bv(j), vLoad(get(1), 16 * (v0 + j)))),
      Array.from({ length: tail }, (_, k) => set(bs(k), f32Load(get(1), 16 * V + 4 * k))),
      set(5, get(0)),
      set(6, get(2)),
      loop(4, i32(0), get(3), [
        Array.from({ length: v1 - v0 }, (_, j) =>
          vStore(get(6), vop(vLoad(get(5), 16 * (v0 + j)), get(bv(j))), 16 * (v0 + j)),
        ),
        Array.from({ length: tail }, (_, k) =>
          f32Store(get(6), sop(f32Load(get(5), 16 * V + 4 * k), get(bs(k))), 16 * V + 4 * k),
        ),
        set(5, add(get(5), i32(C * 4))),
        set(6, add(get(6), i32(C * 4))),
      ]),
    ]);
  });
  return parts;
}

/** (x, b, out, rows): a [rows, C] matrix and a [C] vector, combined along the rows. */
export function channelOpKernel32(memory: object, kind: ChannelOp, C: number): Kernel {
  return compiled(memory, `${kind}:${C}`, () =>
    assemble([
      {
        name: 'k',
        params: [I32, I32, I32, I32],
        locals: [I32, I32, I32, ...new Array<ValType>(16).fill(V128), F32, F32, F32],
        body: channelOpKernel(kind, C),
      },
    ]),
  );
}
