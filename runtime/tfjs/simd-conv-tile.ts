// Conv2D forward and input gradient as register-tiled WebAssembly SIMD loops (simd-conv.ts has the
// filter gradient and compiles all three). A tile is P images × Vb vectors of channels at one
// output position (oh, ow): its P·Vb sums stay in locals, and each step over the reduced channel
// loads Vb filter vectors and P splats and does P·Vb multiply-adds, so each filter load feeds P of
// them (the untiled loop kept one position's sums and fed one). The P images of a tile share their
// output position and so the taps inside the input: one compare skips a padded tap for the whole
// tile. N % P images take a smaller tile at the end. Channels past a multiple of 4 take scalar
// sums. Every output element sums its taps in (kh, kw) order and its channels in ascending order,
// starting from zero, as the untiled loops did (and as XNNPACK's Conv2D does): the same bits.
//
//   forward Y[n, oh, ow, :]  = Σ X[n, ih, iw, ci] · W[kh, kw, ci, :]    (tiled over n and co)
//   input   dX[n, ih, iw, :] += dY[n, oh, ow, co] · Wᵀ[kh, kw, co, :]   (tiled over n and ci)

import {
  ci,
  dyRow,
  FIRST_V,
  I32_LOCALS,
  kh,
  kw,
  n,
  oh,
  ow,
  p,
  pixel,
  q,
  r,
  s,
  taps,
} from './simd-conv-walk.js';
import type { Geometry } from './simd-conv-walk.js';
import { F32, I32, loop, op, V128, type Code, type ValType } from './wasm-asm.js';

/** The largest tile: images × vectors. */
const MAX_P = 4;
const MAX_VB = 8;

/**
 * Vectors per tile by its images P: P·Vb sums, P splats and one filter vector stay within x64's
 * 16 vector registers. 4 x 3 measured fastest on ResNet-18's layers (CPU ms per call, batch 64:
 * 3 x 4 within noise, 4 x 4 5-10 % slower on most, 2 x 6 10-15 % slower); P < 4 is the tile of
 * the images left over.
 */
export const TILE_VECTORS: Readonly<Record<number, number>> = { 1: 8, 2: 6, 3: 4, 4: 3 };
/** Images per full tile. */
export const TILE_IMAGES = 4;

const sum = (i: number, j: number) => FIRST_V + i * MAX_VB + j;
const splat = (i: number) => FIRST_V + MAX_P * MAX_VB + i;
const WV = FIRST_V + MAX_P * MAX_VB + MAX_P;
const tailSum = (i: number, k: number) => WV + 1 + i * 3 + k;

/** Locals of the tiled kernels. */
export const TILE_LOCALS: readonly ValType[] = [
  ...new Array<ValType>(I32_LOCALS).fill(I32),
  ...new Array<ValType>(MAX_P * MAX_VB + MAX_P + 1).fill(V128),
  ...new Array<ValType>(MAX_P * 3).fill(F32),
];

/** [first, end) ranges of at most vb of `vectors` vectors; one empty range for none. */
function chunksOf(vectors: number, vb: number): [number, number][] {
  const chunks: [number, number][] = [];
  for (let u0 = 0; u0 < vectors; u0 += vb) chunks.push([u0, Math.min(vectors, u0 + vb)]);
  return chunks.length ? chunks : [[0, 0]];
}

interface Tile {
  /** Images. */
  readonly P: number;
  /** Vectors u0 … u1 − 1 of the row, and `tail` floats past its V vectors. */
  readonly chunk: [number, number];
  readonly tail: number;
  readonly V: number;
  /** Bytes from one image's scalar (at q) and sums (at the sums' address) to the next's. */
  readonly scalarStride: number;
  readonly sumStride: number;
}

/** The sums of a tile set from `addr` (image i at addr + i·sumStride), or to zero. */
function loadTile(t: Tile, addr: Code | null): Code {
  const { set, f32, f32Load, vLoad, vZero } = op;
  const [u0, u1] = t.chunk;
  return Array.from({ length: t.P }, (_, i) => [
    Array.from({ length: u1 - u0 }, (_, j) =>
      set(sum(i, j), addr === null ? vZero() : vLoad(addr, i * t.sumStride + 16 * (u0 + j))),
    ),
    Array.from({ length: t.tail }, (_, k) =>
      set(
        tailSum(i, k),
        addr === null ? f32(0) : f32Load(addr, i * t.sumStride + 16 * t.V + 4 * k),
      ),
    ),
  ]);
}

function storeTile(t: Tile, addr: Code): Code {
  const { get, f32Store, vStore } = op;
  const [u0, u1] = t.chunk;
  return Array.from({ length: t.P }, (_, i) => [
    Array.from({ length: u1 - u0 }, (_, j) =>
      vStore(addr, get(sum(i, j)), i * t.sumStride + 16 * (u0 + j)),
    ),
    Array.from({ length: t.tail }, (_, k) =>
      f32Store(addr, get(tailSum(i, k)), i * t.sumStride + 16 * t.V + 4 * k),
    ),
  ]);
}

/**
 * One step over the reduced channel: sum(i, j) += X_i · row[u0 + j] for the P scalars X_i at
 * `scalar` + i·scalarStride and the filter row at local r (and the tail floats likewise).
 */
function tileStep(t: Tile, scalar: number): Code {
  const { get, set, f32Load, f32Add, f32Mul, vLoad, vAdd, vMul, vLoadSplat, vLane } = op;
  const [u0, u1] = t.chunk;
  return [
    Array.from({ length: t.P }, (_, i) =>
      set(splat(i), vLoadSplat(get(scalar), i * t.scalarStride)),
    ),
    Array.from({ length: u1 - u0 }, (_, j) => [
      set(WV, vLoad(get(r), 16 * (u0 + j))),
      Array.from({ length: t.P }, (_, i) =>
        set(sum(i, j), vAdd(get(sum(i, j)), vMul(get(splat(i)), get(WV)))),
      ),
    ]),
    Array.from({ length: t.tail }, (_, k) =>
      Array.from({ length: t.P }, (_, i) =>
        set(
          tailSum(i, k),
          f32Add(
            get(tailSum(i, k)),
            f32Mul(vLane(get(splat(i)), 0), f32Load(get(r), 16 * t.V + 4 * k)),
          ),
        ),
      ),
    ),
  ];
}

/** Tiles of P images over the vectors of a row of `channels` floats. */
function tilesOf(
  P: number,
  channels: number,
  scalarStride: number,
  sumStride: number,
  vb = TILE_VECTORS[P],
): Tile[] {
  const V = Math.floor(channels / 4);
  const chunks = chunksOf(V, vb);
  return chunks.map((chunk, i) => ({
    P,
    chunk,
    tail: i === chunks.length - 1 ? channels % 4 : 0,
    V,
    scalarStride,
    sumStride,
  }));
}

/** Full tiles over n = 0, P, … and one smaller tile for the N % P images left; `body(P)`. */
function imageTiles(g: Geometry, body: (P: number) => Code): Code {
  const { i32, set } = op;
  const P = Math.min(TILE_IMAGES, MAX_P);
  const rest = g.N % P;
  return [
    loop(n, i32(0), i32(g.N - rest), body(P), P),
    rest === 0 ? [] : [set(n, i32(g.N - rest)), body(rest)],
  ];
}

/** Params (x, w, y), byte addresses; Y is written whole. */
export function forwardTileKernel(g: Geometry): Code {
  const { i32, get, set, add, mul } = op;
  // p: Y[n, oh, ow, 0], q: X[n, ih, iw, ci], r: W[kh, kw, ci, 0]
  const tile = (t: Tile): Code => [
    loadTile(t, null),
    taps(g, [
      set(q, pixel(g, 0)),
      set(r, add(get(1), mul(add(mul(get(kh), i32(g.KW)), get(kw)), i32(g.C * g.CO * 4)))),
      loop(ci, i32(0), i32(g.C), [
        tileStep(t, q),
        set(q, add(get(q), i32(4))),
        set(r, add(get(r), i32(g.CO * 4))),
      ]),
    ]),
    storeTile(t, get(p)),
  ];
  const tiles = (P: number): Tile[] =>
    tilesOf(P, g.CO, g.H * g.W * g.C * 4, g.OH * g.OW * g.CO * 4);
  const over = (P: number, body: Code): Code =>
    loop(oh, i32(0), i32(g.OH), loop(ow, i32(0), i32(g.OW), [set(p, dyRow(g, 2)), body]));
  const images = (P: number): Code => over(P, tiles(P).map(tile));
  return imageTiles(g, images);
}

/** Params (dy, wt, dx), byte addresses; wt is W transposed to [KH, KW, CO, C]; dX zero on entry. */
export function inputTileKernel(g: Geometry): Code {
  const { i32, get, set, add, mul } = op;
  // p: dY[n, oh, ow, 0], s: dY[n, oh, ow, co], q: dX[n, ih, iw, 0], r: Wᵀ[kh, kw, co, 0]
  const tile = (t: Tile): Code => [
    loadTile(t, get(q)),
    set(r, add(get(1), mul(add(mul(get(kh), i32(g.KW)), get(kw)), i32(g.CO * g.C * 4)))),
    set(s, get(p)),
    loop(ci, i32(0), i32(g.CO), [
      tileStep(t, s),
      set(s, add(get(s), i32(4))),
      set(r, add(get(r), i32(g.C * 4))),
    ]),
    storeTile(t, get(q)),
  ];
  const images = (P: number): Code =>
    loop(
      oh,
      i32(0),
      i32(g.OH),
      loop(ow, i32(0), i32(g.OW), [
        set(p, dyRow(g, 0)),
        taps(g, [
          set(q, pixel(g, 2)),
          tilesOf(P, g.C, g.OH * g.OW * g.CO * 4, g.H * g.W * g.C * 4).map(tile),
        ]),
      ]),
    );
  return imageTiles(g, images);
}
