/**
 * GFLOP/s of the reference executor's float32 convolution kernels (forward, input gradient, filter
 * gradient) beside tfjs wasm's Conv2D, Conv2DBackpropInput and Conv2DBackpropFilter (cnnc's wasm
 * kernels, runtime/tfjs/wasm-kernels.ts) on the same layer: x [64, 56, 56, 64], filter 3x3x64x64,
 * stride 1, `same`. FLOPs = 2·MACs of the direct convolution, the same count for all three and for
 * every algorithm (as cuDNN and NNPACK report theirs): the figure is the layer's speed. The
 * executor runs this layer with Winograd F(2×2, 3×3) (2.25x fewer multiplies than im2col); the
 * im2col GEMM kernels it uses for other layers are timed too. Each figure is the best of `reps`
 * timed runs after one warm-up, the three kernels of a backend taking turns (the machine is shared:
 * the best run is the least disturbed, and turns expose the three to the same disturbances).
 *
 *   npx tsc -p tsconfig.json && node dist/scripts/bench-conv.js [--reps 3] [--batch 64]
 *
 * `npm run bench` calls benchConv() too. The reference kernels use CNNC_THREADS threads (default:
 * every core).
 */
import * as os from 'node:os';
import { pathToFileURL } from 'node:url';
import type { Rank, Tensor, TensorInfo } from '@tensorflow/tfjs';
import { seededRandom } from '../runtime/init.js';
import {
  conv2dFilterGradF32,
  conv2dForwardF32,
  conv2dInputGradF32,
  convFilterGrad,
  convForward,
  convInputGrad,
  convMacs,
  winogradApplies,
  type ConvGeometry,
} from '../runtime/reference/kernels/conv.js';
import { parallelConfig } from '../runtime/reference/parallel.js';
import { initBackend } from '../runtime/tfjs/backend.js';
import { asWasmBackend } from '../runtime/tfjs/kernel-utils.js';
import { conv2DSimd, originalKernel } from '../runtime/tfjs/wasm-kernels.js';
import { simdPeak, type SimdPeak } from './bench-peak.js';

export interface ConvFigures {
  /** GFLOP/s of the forward pass, the input gradient and the filter gradient. */
  readonly forward: number;
  /**
   * wasm only: XNNPACK's own Conv2D with the filter packed (its operator made by the warm-up);
   * `forward` is cnnc's direct loop. tf.conv2d takes one of the two by the layer's geometry
   * (wasm-kernels.ts, directConvPays).
   */
  readonly forwardXnnpack?: number;
  readonly inputGrad: number;
  readonly filterGrad: number;
}

export interface ConvBench {
  readonly shape: string;
  /** The executor's kernels for this layer (Winograd unless CNNC_NO_WINOGRAD=1). */
  readonly reference: ConvFigures;
  readonly referenceDetail: string;
  /** The im2col GEMM kernels (the executor's path for strided, dilated, grouped, non-3x3 convs). */
  readonly im2col: ConvFigures;
  readonly im2colDetail: string;
  /** Null where the wasm backend could not be loaded. */
  readonly wasm: ConvFigures | null;
  readonly wasmDetail: string;
  /** The arithmetic ceiling of wasm SIMD on one core (bench-peak.ts). */
  readonly peak: SimdPeak;
}

export interface ConvBenchOptions {
  readonly reps?: number;
  readonly batch?: number;
  readonly log?: (line: string) => void;
}

function random(n: number, seed: number): Float32Array {
  const r = seededRandom(seed);
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) out[i] = 2 * r() - 1;
  return out;
}

/**
 * Best seconds of `reps` runs of each kernel after a warm-up of each, run in rounds (a, b, c, a,
 * b, c, …) so that a busy spell on the machine slows all of them alike.
 */
function bestOfRounds(reps: number, runs: readonly (() => void)[]): number[] {
  for (const run of runs) run();
  const t = runs.map(() => Infinity);
  for (let i = 0; i < reps; i++) {
    runs.forEach((run, k) => {
      const t0 = performance.now();
      run();
      t[k] = Math.min(t[k], (performance.now() - t0) / 1000);
    });
  }
  return t;
}

function row(label: string, gflops: number, note = ''): string {
  return `${label.padEnd(58)} ${gflops.toFixed(2).padStart(8)} GFLOP/s${note ? ` ${note}` : ''}`;
}

/** Times the six kernels and prints (via `log`) and returns their GFLOP/s. */
export async function benchConv(opts: ConvBenchOptions = {}): Promise<ConvBench> {
  const reps = opts.reps ?? 3;
  const log = opts.log ?? ((line: string) => console.log(line));
  const geo: ConvGeometry = {
    n: opts.batch ?? 64,
    h: 56,
    w: 56,
    c: 64,
    oh: 56,
    ow: 56,
    co: 64,
    kh: 3,
    kw: 3,
    sh: 1,
    sw: 1,
    dh: 1,
    dw: 1,
    pt: 1,
    pl: 1,
    groups: 1,
  };
  const flops = 2 * convMacs(geo);
  const shape = `x [${geo.n},${geo.h},${geo.w},${geo.c}], filter [${geo.kh},${geo.kw},${geo.c},${geo.co}], stride 1, same`;
  const x = random(geo.n * geo.h * geo.w * geo.c, 1);
  const w = random(geo.kh * geo.kw * geo.c * geo.co, 2);
  const dy = random(geo.n * geo.oh * geo.ow * geo.co, 3);
  const gf = (seconds: number) => flops / seconds / 1e9;

  const threads = parallelConfig().threads;
  const threadText = `${threads} thread${threads === 1 ? '' : 's'}`;
  const referenceDetail = `reference executor (${winogradApplies(geo) ? 'Winograd' : 'im2col'}), ${threadText}`;
  const im2colDetail = `reference im2col GEMM, ${threadText}`;
  const figures = (t: number[]): ConvFigures => ({
    forward: gf(t[0]),
    inputGrad: gf(t[1]),
    filterGrad: gf(t[2]),
  });
  const reference = figures(
    bestOfRounds(reps, [
      () => convForward(x, w, geo),
      () => convInputGrad(dy, w, geo),
      () => convFilterGrad(x, dy, geo),
    ]),
  );
  const im2col = figures(
    bestOfRounds(reps, [
      () => conv2dForwardF32(x, w, geo),
      () => conv2dInputGradF32(dy, w, geo),
      () => conv2dFilterGradF32(x, dy, geo),
    ]),
  );

  let wasm: ConvFigures | null = null;
  let wasmDetail = 'wasm backend unavailable';
  try {
    const { tf, detail } = await initBackend('wasm');
    wasmDetail = detail;
    const [N, H, W, C, CO] = [geo.n, geo.h, geo.w, geo.c, geo.co];
    const tx = tf.tensor4d(x, [N, H, W, C]);
    const tw = tf.tensor4d(w, [3, 3, C, CO]);
    const tdy = tf.tensor4d(dy, [N, H, W, CO]);
    const synced = (fn: () => Tensor) => () => {
      const out = fn();
      out.dataSync();
      out.dispose();
    };
    // Both forward kernels called directly: tf.conv2d takes one of them by the layer's geometry
    // (wasm-kernels.ts, directConvPays), the direct loop for this one (a 147 KB filter).
    const backend = tf.backend();
    const inputs = { x: tx, filter: tw };
    const attrs = { strides: 1, pad: 'same', dataFormat: 'NHWC', dilations: 1 };
    const kernel = (run: () => TensorInfo | TensorInfo[] | null) => () => {
      const out = run();
      if (out === null) throw new Error('the direct conv kernel did not run');
      for (const o of Array.isArray(out) ? out : [out]) {
        backend.readSync(o.dataId);
        backend.disposeData(o.dataId);
      }
    };
    const xnnpack = originalKernel(tf, 'Conv2D');
    const t = bestOfRounds(reps, [
      kernel(() => conv2DSimd(tf, asWasmBackend(backend), inputs, attrs)),
      kernel(() => xnnpack({ inputs, backend, attrs })),
      synced(() => tf.conv2dTranspose(tdy, tw, [N, H, W, C], 1, 'same')),
      synced(
        () =>
          tf
            .engine()
            .runKernel(
              'Conv2DBackpropFilter',
              { x: tx, dy: tdy },
              { strides: 1, pad: 'same', dataFormat: 'NHWC', filterShape: [3, 3, C, CO] },
            ) as Tensor<Rank>,
      ),
    ]);
    wasm = { ...figures([t[0], t[2], t[3]]), forwardXnnpack: gf(t[1]) };
    tf.dispose([tx, tw, tdy]);
  } catch (e) {
    wasmDetail = `wasm backend unavailable: ${e instanceof Error ? e.message : String(e)}`;
  }

  const load = os.loadavg()[0];
  log(
    `conv kernels — ${shape}; best of ${reps}; load average ${load.toFixed(1)} on ` +
      `${os.availableParallelism()} cores${load > 1 ? ' (busy: the figures are low)' : ''}`,
  );
  const r = reference;
  log(
    row(
      `${referenceDetail}: forward`,
      r.forward,
      r.forward >= 7 ? '(target ≥ 7 ok)' : '(target ≥ 7 MISSED)',
    ),
  );
  for (const [label, v] of [
    ['input gradient', r.inputGrad],
    ['filter gradient', r.filterGrad],
  ] as const) {
    const ratio = r.forward / v;
    log(
      row(
        `${referenceDetail}: ${label}`,
        v,
        `(${ratio.toFixed(2)}x the forward time; target ≤ 1.5x ${ratio <= 1.5 ? 'ok' : 'MISSED'})`,
      ),
    );
  }
  log(row(`${im2colDetail}: forward`, im2col.forward));
  log(row(`${im2colDetail}: input gradient`, im2col.inputGrad));
  log(row(`${im2colDetail}: filter gradient`, im2col.filterGrad));
  const peak = simdPeak();
  const ofPeak = (v: number) => `(${Math.round((100 * v) / peak.mulAdd)} % of the 1-core peak)`;
  log(
    `  wasm SIMD128 peak, 1 core (mul + add): ${peak.mulAdd.toFixed(1)} GFLOP/s; with FMA (relaxed SIMD): ${peak.fma === null ? 'not available' : `${peak.fma.toFixed(1)} GFLOP/s`}`,
  );
  if (wasm) {
    log(row(`tfjs ${wasmDetail}: Conv2D (cnnc direct loop)`, wasm.forward, ofPeak(wasm.forward)));
    if (wasm.forwardXnnpack !== undefined)
      log(
        row(
          `tfjs ${wasmDetail}: Conv2D (XNNPACK, packed filter)`,
          wasm.forwardXnnpack,
          ofPeak(wasm.forwardXnnpack),
        ),
      );
    log(
      row(`tfjs ${wasmDetail}: Conv2DBackpropInput (cnnc)`, wasm.inputGrad, ofPeak(wasm.inputGrad)),
    );
    log(
      row(
        `tfjs ${wasmDetail}: Conv2DBackpropFilter (cnnc)`,
        wasm.filterGrad,
        ofPeak(wasm.filterGrad),
      ),
    );
  } else log(wasmDetail);
  log('  (GFLOP/s = 2·MACs of the direct convolution / seconds, for every algorithm)');
  return { shape, reference, referenceDetail, im2col, im2colDetail, wasm, wasmDetail, peak };
}

function numberFlag(name: string): number | undefined {
  const i = process.argv.indexOf(`--${name}`);
  if (i < 0) return undefined;
  const v = Number(process.argv[i + 1]);
  if (!Number.isInteger(v) || v < 1) throw new Error(`--${name} needs a positive integer`);
  return v;
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  await benchConv({ reps: numberFlag('reps'), batch: numberFlag('batch') });
}
