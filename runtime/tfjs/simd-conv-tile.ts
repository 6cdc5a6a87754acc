// Conv2D and its gradients as register-tiled WebAssembly SIMD loops (simd-conv.ts compiles them).
// A tile is P scalars x Vb vectors of sums kept in locals: each step loads Vb vectors and P splats
// and does P·Vb multiply-adds, so each vector load feeds P of them (the untiled loops fed one).
//
//   forward Y[n, oh, ow, :]  = Σ X[n, ih, iw, ci] · W[kh, kw, ci, :]    P images x Vb vectors of co
//   input   dX[n, ih, iw, :] += dY[n, oh, ow, co] · Wᵀ[kh, kw, co, :]   P images x Vb vectors of ci
//   filter  dW[kh, kw, ci, :] += X[n, ih, iw, ci] · dY[n, oh, ow, :]    P input channels x Vb of co
//
// The P images of a forward or input-gradient tile share their output position (oh, ow) and so
// the taps inside the input: one compare skips a padded tap for the whole tile. The scalars left
// over (N % P images, C % P channels) take a smaller tile at the end. Every output element sums its
// terms in the order the untiled loops did (forward: taps in (kh, kw) order, then ci ascending,
// from zero, as XNNPACK's Conv2D does; input gradient: positions (oh, ow), taps, co; filter
// gradient: positions (n, oh, ow)): the same bits.

import {
  ci,
  dyRow,
  FIRST_V,
  I32_LOCALS,
  ih,
  iw,
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
import {
  F32,
  I32,
  loop,
  op,
  relaxedSimd,
  skipIf,
  V128,
  type Code,
  type ValType,
} from './wasm-asm.js';

/** The largest tile: images × vectors. */
const MAX_P = 4;
const MAX_VB = 8;

/** A register tile: `scalars` splats (images; input channels in the filter gradient) x `vectors`. */
interface TileShape {
  readonly scalars: number;
  readonly vectors: number;
}

/**
 * The tiles, measured on ResNet-18's layers at 32x32 (CPU ms per call, batch 64, 1 thread, r18.mjs):
 * 4 images x 2 vectors for the forward pass and the input gradient (8 sums, 4 splats and a filter
 * vector in x64's 16 vector registers; 4 x 3 was 5-15 % slower, 2 x 4 as fast on large inputs and
 * 25 % slower on 2x2, 3 x 3 and 2 x 6 10-25 % slower: V8 spills past ~13 live vectors), and 2
 * input channels x 4 vectors for the filter gradient (4 x 3 and 1 x 8 15-25 % slower).
 */
export const IMAGE_TILE: TileShape = { scalars: 4, vectors: 2 };
export const FILTER_TILE: TileShape = { scalars: 2, vectors: 4 };
/** Vectors of the smaller tile that takes the scalars left over (N % 4 images, C % 2 channels). */
const REST_VECTORS: Readonly<Record<number, number>> = { 1: 8, 2: 4, 3: 3 };
const vectorsOf = (shape: TileShape, P: number): number =>
  P === shape.scalars ? shape.vectors : REST_VECTORS[P];

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
  /**
   * Multiply-adds as relaxed SIMD's fused f32x4.relaxed_madd (relaxedSimd), one rounding instead
   * of two: 25-35 % faster on the yardstick's and ResNet-18's layers (the tiles are bound by
   * arithmetic, not loads), and the sums no longer carry XNNPACK's bits.
   */
  readonly fma: boolean;
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
function tileStep(t: Tile, scalar: number, scalarAt = 0, rowAt = 0): Code {
  const { get, set, f32Load, f32Add, f32Mul, vLoad, vAdd, vMul, vLoadSplat, vLane } = op;
  const [u0, u1] = t.chunk;
  return [
    Array.from({ length: t.P }, (_, i) =>
      set(splat(i), vLoadSplat(get(scalar), scalarAt + i * t.scalarStride)),
    ),
    Array.from({ length: u1 - u0 }, (_, j) => [
      set(WV, vLoad(get(r), rowAt + 16 * (u0 + j))),
      Array.from({ length: t.P }, (_, i) =>
        set(
          sum(i, j),
          t.fma
            ? op.vMadd(get(splat(i)), get(WV), get(sum(i, j)))
            : vAdd(get(sum(i, j)), vMul(get(splat(i)), get(WV))),
        ),
      ),
    ]),
    Array.from({ length: t.tail }, (_, k) =>
      Array.from({ length: t.P }, (_, i) =>
        set(
          tailSum(i, k),
          f32Add(
            get(tailSum(i, k)),
            f32Mul(vLane(get(splat(i)), 0), f32Load(get(r), rowAt + 16 * t.V + 4 * k)),
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
  vb: number,
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
    fma: relaxedSimd(),
  }));
}

/** Full tiles over n = 0, P, … and one smaller tile for the N % P images left; `body(P)`. */
function imageTiles(g: Geometry, body: (P: number) => Code): Code {
  const { i32, set } = op;
  const P = IMAGE_TILE.scalars;
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
    tilesOf(P, g.CO, g.H * g.W * g.C * 4, g.OH * g.OW * g.CO * 4, vectorsOf(IMAGE_TILE, P));
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
          tilesOf(
            P,
            g.C,
            g.OH * g.OW * g.CO * 4,
            g.H * g.W * g.C * 4,
            vectorsOf(IMAGE_TILE, P),
          ).map(tile),
        ]),
      ]),
    );
  return imageTiles(g, images);
}

/**
 * The filter gradient takes blocks of whole images where an image has at most MAX_UNROLLED output
 * positions (unrolled, with constant offsets) and its dY at most BLOCK_BYTES, as many images as
 * fit BLOCK_BYTES; rows elsewhere. Measured as the tiles above: blocks of images beat rows 1.5-2x
 * on ResNet-18's 1x1 outputs (s4a 6.9 → 3.6 ms, s4 1.4 against 2.2-3.0 ms), but ran 10-20 %
 * slower on its 2x2 outputs and 1.8x slower on 4x4 (16 positions unrolled); 16 KB blocks were
 * within noise of 8 and 32 KB.
 */
const MAX_UNROLLED = 1;
const BLOCK_BYTES = 16384;

/** Images per block of the filter gradient; 0 where it is blocked by output row. */
function filterBlock(g: Geometry): number {
  const imageBytes = g.OH * g.OW * g.CO * 4;
  return g.OH * g.OW <= MAX_UNROLLED && imageBytes <= BLOCK_BYTES
    ? Math.floor(BLOCK_BYTES / imageBytes)
    : 0;
}

/** How the kernels tile a geometry: what the tests check each tile class against. */
export interface ConvTiling {
  /** Images in full tiles of the forward pass and the input gradient, and in the tile after. */
  readonly fullImages: number;
  readonly restImages: number;
  /** Input channels in full tiles of the filter gradient, and in the tile after. */
  readonly fullChannels: number;
  readonly restChannels: number;
  /** Images per block of the filter gradient; 0 where it is blocked by output row. */
  readonly filterBlock: number;
}

export function convTiling(g: Geometry): ConvTiling {
  const restImages = g.N % IMAGE_TILE.scalars;
  const restChannels = g.C % FILTER_TILE.scalars;
  return {
    fullImages: g.N - restImages,
    restImages,
    fullChannels: g.C - restChannels,
    restChannels,
    filterBlock: filterBlock(g),
  };
}

/**
 * Params (x, dy, dw), byte addresses; dW must be zero on entry. A tile here is 2 input channels x
 * 4 vectors of output channels of dW[kh, kw, ci, :]: per position it loads 4 vectors of dY and 2
 * splats of X for 8 multiply-adds. The tile's sums are loaded from dW and stored back once per
 * block of positions: an output row, or a block of whole images (filterBlock). The positions of a
 * tap column (row) whose tap lies inside the input are a range known when the kernel is generated.
 * Every dW element adds its positions in (n, oh, ow) order, as the row-blocked kernel before did:
 * the same bits.
 */
export function filterTileKernel(g: Geometry): Code {
  const { i32, get, set, add, mul, sub, geU, ltU, select } = op;
  const B = filterBlock(g);
  const range = (k: number, out: number, st: number, d: number, pad: number, size: number) => [
    Math.max(0, Math.ceil((pad - k * d) / st)),
    Math.min(out, Math.floor((size - 1 + pad - k * d) / st) + 1),
  ];
  const owRange = (k: number) => range(k, g.OW, g.sw, g.dw, g.pl, g.W);
  const setIh = set(ih, sub(add(mul(get(oh), i32(g.sh)), mul(get(kh), i32(g.dh))), i32(g.pt)));
  // by rows: q: X[n, ih, iw, ci] along the row, r: dY[n, oh, ow, 0] along it, p: dW[kh, k, ci, 0]
  const row = (t: Tile, k: number, lo: number, hi: number): Code => [
    // the row's first position inside the input: iw = lo·s + k·d − pl, ow = lo
    set(iw, i32(lo * g.sw + k * g.dw - g.pl)),
    set(q, add(pixel(g, 0), mul(get(ci), i32(4)))),
    set(ow, i32(lo)),
    set(r, dyRow(g, 1)),
    loop(ow, i32(lo), i32(hi), [
      tileStep(t, q),
      set(q, add(get(q), i32(g.sw * g.C * 4))),
      set(r, add(get(r), i32(g.CO * 4))),
    ]),
  ];
  const blockEnd = select(add(get(s), i32(B)), i32(g.N), ltU(add(get(s), i32(B)), i32(g.N)));
  // image blocks: per image n = s …, the positions of tap (khs, k) unrolled with constant offsets
  // from X[n, 0, 0, ci] (q) and dY[n, 0, 0, 0] (r)
  const images = (t: Tile, khs: number, k: number): Code => {
    const [rlo, rhi] = range(khs, g.OH, g.sh, g.dh, g.pt, g.H);
    const [lo, hi] = owRange(k);
    const steps: Code[] = [];
    for (let y = rlo; y < rhi; y++) {
      for (let x = lo; x < hi; x++) {
        const iy = y * g.sh + khs * g.dh - g.pt;
        const ix = x * g.sw + k * g.dw - g.pl;
        steps.push(tileStep(t, q, (iy * g.W + ix) * g.C * 4, (y * g.OW + x) * g.CO * 4));
      }
    }
    return [
      set(q, add(get(0), mul(add(mul(get(s), i32(g.H * g.W * g.C)), get(ci)), i32(4)))),
      set(r, add(get(1), mul(get(s), i32(g.OH * g.OW * g.CO * 4)))),
      loop(n, get(s), blockEnd, [
        steps,
        set(q, add(get(q), i32(g.H * g.W * g.C * 4))),
        set(r, add(get(r), i32(g.OH * g.OW * g.CO * 4))),
      ]),
    ];
  };
  /** The tap column k of tap row kh: a constant khs in image blocks, the local kh by rows. */
  const column = (khs: number | null, k: number): Code => {
    const [lo, hi] = owRange(k);
    if (hi <= lo) return [];
    if (khs !== null) {
      const [rlo, rhi] = range(khs, g.OH, g.sh, g.dh, g.pt, g.H);
      if (rhi <= rlo) return [];
    }
    const tapRow = khs === null ? get(kh) : i32(khs);
    const perCi = (P: number): Code =>
      tilesOf(P, g.CO, 4, g.CO * 4, vectorsOf(FILTER_TILE, P)).map((t) => [
        set(
          p,
          add(
            get(2),
            mul(add(mul(add(mul(tapRow, i32(g.KW)), i32(k)), i32(g.C)), get(ci)), i32(g.CO * 4)),
          ),
        ),
        loadTile(t, get(p)),
        khs === null ? row(t, k, lo, hi) : images(t, khs, k),
        storeTile(t, get(p)),
      ]);
    const rest = g.C % FILTER_TILE.scalars;
    return [
      loop(ci, i32(0), i32(g.C - rest), perCi(FILTER_TILE.scalars), FILTER_TILE.scalars),
      rest === 0 ? [] : [set(ci, i32(g.C - rest)), perCi(rest)],
    ];
  };
  const columns = (khs: number | null): Code =>
    Array.from({ length: g.KW }, (_, k) => column(khs, k));
  if (B > 0) {
    return loop(
      s,
      i32(0),
      i32(g.N),
      Array.from({ length: g.KH }, (_, khs) => columns(khs)),
      B,
    );
  }
  return loop(
    n,
    i32(0),
    i32(g.N),
    loop(
      oh,
      i32(0),
      i32(g.OH),
      loop(kh, i32(0), i32(g.KH), [setIh, skipIf(geU(get(ih), i32(g.H))), columns(null)]),
    ),
  );
}
