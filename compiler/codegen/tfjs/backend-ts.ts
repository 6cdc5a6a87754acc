/**
 * backend.ts of an emitted TensorFlow.js project: the backend choice, and the gradient kernels
 * tfjs-backend-wasm 4.22 lacks (or gets wrong), so that the wasm backend trains convolutions.
 */
export const BACKEND_TS = String.raw`/**
 * The TensorFlow.js backend: 'wasm' (the default: @tensorflow/tfjs-backend-wasm, SIMD, its .wasm
 * files read from the npm package, so it works offline), 'cpu' (pure JavaScript: slow), or
 * 'tensorflow' (native, when @tensorflow/tfjs-node is installed).
 *
 * tfjs-backend-wasm 4.22 cannot train convolutions as it ships: it has no kernel for a
 * convolution's filter gradient (Conv2DBackpropFilter) or for a depthwise convolution's
 * gradients, and its MaxPoolGrad is wrong for some shapes (e.g. a 2x2 / 2 pool over a 4x4 map).
 * useBackend('wasm') registers these kernels, written here:
 *
 *   Conv2DBackpropFilter  the filter gradient of an NHWC convolution,
 *     dW[kh, kw, ci, co] = Σ_{n, oh, ow} X[n, oh·s + kh − pt, ow·s + kw − pl, ci] · dY[n, oh, ow, co],
 *     is itself a valid convolution, run on wasm's own (fast) Conv2D: X laid out [ci, h, w, n]
 *     (input channels as the batch, the batch as channels), dY laid out [oh, ow, n, co] as the
 *     filter, the forward stride as the dilation; the result [ci, kh, kw, co] transposed into place.
 *   DepthwiseConv2dNativeBackpropFilter / …Input, MaxPoolGrad  plain loops (cheap next to the
 *     convolutions); MaxPoolGrad routes each window's gradient to the first position holding its
 *     maximum, as the cpu backend does.
 *
 */
import { createRequire } from 'node:module';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs';

export type BackendName = 'wasm' | 'cpu' | 'tensorflow';
export const BACKENDS: readonly BackendName[] = ['wasm', 'cpu', 'tensorflow'];

type KernelArgs = Parameters<tf.KernelFunc>[0];
type Info = tf.backend_util.Conv2DInfo;

/** The parts of the wasm backend these kernels use (public methods of BackendWasm). */
interface WasmBackend {
  readSync(dataId: tf.TensorInfo['dataId']): unknown;
  makeOutput(shape: number[], dtype: 'float32', memoryOffset?: number, values?: Float32Array): tf.TensorInfo;
  disposeData(dataId: tf.TensorInfo['dataId']): boolean;
}

function input(args: KernelArgs, name: string): tf.TensorInfo {
  const t = args.inputs[name];
  if (t === undefined) throw new Error('wasm kernel: missing input ' + name);
  return t;
}

function attr<T>(args: KernelArgs, name: string): T {
  return (args.attrs ?? {})[name] as T;
}

function read(args: KernelArgs, t: tf.TensorInfo): Float32Array {
  return (args.backend as unknown as WasmBackend).readSync(t.dataId) as Float32Array;
}

function output(args: KernelArgs, shape: number[], values: Float32Array): tf.TensorInfo {
  return (args.backend as unknown as WasmBackend).makeOutput(shape, 'float32', undefined, values);
}

function shape4(t: tf.TensorInfo): [number, number, number, number] {
  const [a, b, c, d] = t.shape;
  return [a, b, c, d];
}

/** Runs another wasm kernel on tensor infos. */
function run(args: KernelArgs, kernel: string, inputs: tf.NamedTensorInfoMap, attrs: tf.NamedAttrMap): tf.TensorInfo {
  const k = tf.getKernel(kernel, 'wasm');
  if (k === undefined) throw new Error('the wasm backend has no ' + kernel);
  const out = k.kernelFunc({ inputs, backend: args.backend, attrs });
  return Array.isArray(out) ? out[0] : out;
}

function conv2DBackpropFilter(args: KernelArgs): tf.TensorInfo {
  const x = input(args, 'x');
  const dy = input(args, 'dy');
  const filterShape = attr<[number, number, number, number]>(args, 'filterShape');
  const info: Info = tf.backend_util.computeConv2DInfo(
    shape4(x), filterShape, attr(args, 'strides'), attr(args, 'dilations') ?? 1,
    attr(args, 'pad'), attr(args, 'dimRoundingMode'), false, 'channelsLast',
  );
  if (info.dilationHeight !== 1 || info.dilationWidth !== 1) throw new Error('Conv2DBackpropFilter: dilated convolutions are dilated explicitly (layers.ts)');
  const backend = args.backend as unknown as WasmBackend;
  const temps: tf.TensorInfo[] = [];
  const keep = (t: tf.TensorInfo) => (temps.push(t), t);
  // The rows and columns of the padded input that some tap reaches.
  const rows = info.filterHeight + (info.outHeight - 1) * info.strideHeight;
  const cols = info.filterWidth + (info.outWidth - 1) * info.strideWidth;
  const { top, left } = info.padInfo;
  let xp = x;
  const bottom = rows - info.inHeight - top;
  const right = cols - info.inWidth - left;
  if (top > 0 || left > 0 || bottom > 0 || right > 0)
    xp = keep(run(args, 'PadV2', { x: xp }, { paddings: [[0, 0], [Math.max(top, 0), Math.max(bottom, 0)], [Math.max(left, 0), Math.max(right, 0)], [0, 0]], constantValue: 0 }));
  if (xp.shape[1] !== rows || xp.shape[2] !== cols || top < 0 || left < 0)
    xp = keep(run(args, 'Slice', { x: xp }, { begin: [0, Math.max(-top, 0), Math.max(-left, 0), 0], size: [info.batchSize, rows, cols, info.inChannels] }));
  const xt = keep(run(args, 'Transpose', { x: xp }, { perm: [3, 1, 2, 0] }));
  const dyt = keep(run(args, 'Transpose', { x: dy }, { perm: [1, 2, 0, 3] }));
  const g = keep(run(args, 'Conv2D', { x: xt, filter: dyt }, { strides: [1, 1], pad: 'valid', dataFormat: 'NHWC', dilations: [info.strideHeight, info.strideWidth] }));
  const dw = run(args, 'Transpose', { x: g }, { perm: [1, 2, 0, 3] });
  for (const t of temps) if (t !== x) backend.disposeData(t.dataId);
  return dw;
}

function depthwiseInfo(args: KernelArgs, xShape: [number, number, number, number], filterShape: [number, number, number, number]): Info {
  return tf.backend_util.computeConv2DInfo(
    xShape, filterShape, attr(args, 'strides'), attr(args, 'dilations') ?? 1,
    attr(args, 'pad'), attr(args, 'dimRoundingMode'), true,
  );
}

/** Calls f(xIndex, dyIndex, wIndex) for every tap of every output of a depthwise convolution. */
function depthwiseTaps(info: Info, f: (xi: number, dyi: number, wi: number) => void): void {
  const { batchSize: N, inHeight: H, inWidth: W, inChannels: C, outHeight: OH, outWidth: OW } = info;
  const M = info.outChannels / C;
  for (let n = 0; n < N; n++)
    for (let oh = 0; oh < OH; oh++)
      for (let kh = 0; kh < info.filterHeight; kh++) {
        const h = oh * info.strideHeight + kh * info.dilationHeight - info.padInfo.top;
        if (h < 0 || h >= H) continue;
        for (let ow = 0; ow < OW; ow++)
          for (let kw = 0; kw < info.filterWidth; kw++) {
            const w = ow * info.strideWidth + kw * info.dilationWidth - info.padInfo.left;
            if (w < 0 || w >= W) continue;
            const xo = ((n * H + h) * W + w) * C;
            const dyo = ((n * OH + oh) * OW + ow) * C * M;
            const wo = (kh * info.filterWidth + kw) * C * M;
            for (let c = 0; c < C; c++) for (let m = 0; m < M; m++) f(xo + c, dyo + c * M + m, wo + c * M + m);
          }
      }
}

function depthwiseBackpropFilter(args: KernelArgs): tf.TensorInfo {
  const x = input(args, 'x');
  const dy = input(args, 'dy');
  const filterShape = attr<[number, number, number, number]>(args, 'filterShape');
  const [xs, dys] = [read(args, x), read(args, dy)];
  const dw = new Float32Array(filterShape.reduce((a, b) => a * b, 1));
  depthwiseTaps(depthwiseInfo(args, shape4(x), filterShape), (xi, dyi, wi) => (dw[wi] += xs[xi] * dys[dyi]));
  return output(args, filterShape, dw);
}

function depthwiseBackpropInput(args: KernelArgs): tf.TensorInfo {
  const dy = input(args, 'dy');
  const filter = input(args, 'filter');
  const inputShape = attr<[number, number, number, number]>(args, 'inputShape');
  const [dys, ws] = [read(args, dy), read(args, filter)];
  const dx = new Float32Array(inputShape.reduce((a, b) => a * b, 1));
  depthwiseTaps(depthwiseInfo(args, inputShape, shape4(filter)), (xi, dyi, wi) => (dx[xi] += ws[wi] * dys[dyi]));
  return output(args, inputShape, dx);
}

function maxPoolGrad(args: KernelArgs): tf.TensorInfo {
  const dy = input(args, 'dy');
  const x = input(args, 'input');
  const info = tf.backend_util.computePool2DInfo(
    shape4(x), attr(args, 'filterSize'), attr(args, 'strides'), 1, attr(args, 'pad'), attr(args, 'dimRoundingMode'),
  );
  const [xs, dys] = [read(args, x), read(args, dy)];
  const { batchSize: N, inHeight: H, inWidth: W, inChannels: C, outHeight: OH, outWidth: OW } = info;
  const dx = new Float32Array(xs.length);
  for (let n = 0; n < N; n++)
    for (let oh = 0; oh < OH; oh++)
      for (let ow = 0; ow < OW; ow++)
        for (let c = 0; c < C; c++) {
          let best = -Infinity;
          let at = -1;
          for (let kh = 0; kh < info.filterHeight; kh++) {
            const h = oh * info.strideHeight + kh - info.padInfo.top;
            if (h < 0 || h >= H) continue;
            for (let kw = 0; kw < info.filterWidth; kw++) {
              const w = ow * info.strideWidth + kw - info.padInfo.left;
              if (w < 0 || w >= W) continue;
              const i = ((n * H + h) * W + w) * C + c;
              if (xs[i] > best || at < 0) {
                best = xs[i];
                at = i;
              }
            }
          }
          if (at >= 0) dx[at] += dys[((n * OH + oh) * OW + ow) * C + c];
        }
  return output(args, x.shape.slice(), dx);
}

const KERNELS: Record<string, tf.KernelFunc> = {
  Conv2DBackpropFilter: conv2DBackpropFilter,
  DepthwiseConv2dNativeBackpropFilter: depthwiseBackpropFilter,
  DepthwiseConv2dNativeBackpropInput: depthwiseBackpropInput,
  MaxPoolGrad: maxPoolGrad,
};

function registerWasmKernels(): void {
  for (const [kernelName, kernelFunc] of Object.entries(KERNELS)) {
    const own = tf.getKernel(kernelName, 'wasm');
    if (own?.kernelFunc === kernelFunc) continue;
    if (own !== undefined) tf.unregisterKernel(kernelName, 'wasm');
    tf.registerKernel({ kernelName, backendName: 'wasm', kernelFunc, setupFunc: own?.setupFunc, disposeFunc: own?.disposeFunc });
  }
}

const require = createRequire(import.meta.url);

/** Makes 'name' the active backend (loading and setting it up on first use); returns a description. */
export async function useBackend(name: BackendName): Promise<string> {
  if (name === 'wasm') {
    const wasm = await import('@tensorflow/tfjs-backend-wasm');
    const binary = require.resolve('@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm.wasm');
    wasm.setWasmPaths(path.dirname(binary) + path.sep);
    registerWasmKernels();
  } else if (name === 'tensorflow') {
    // An optional dependency: 'npm install @tensorflow/tfjs-node' (a version matching @tensorflow/tfjs).
    const pkg: string = '@tensorflow/tfjs-node';
    try {
      await import(pkg);
    } catch {
      throw new Error('--backend tensorflow needs @tensorflow/tfjs-node: npm install @tensorflow/tfjs-node');
    }
  }
  if (!(await tf.setBackend(name))) throw new Error('TensorFlow.js could not start the ' + name + ' backend');
  await tf.ready();
  return name;
}
`;
