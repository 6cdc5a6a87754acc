// Small helpers shared by the custom wasm kernels: a narrow view of the wasm backend, attribute
// parsing and the conv geometry that tfjs-core computes for its own kernels.

import type * as Tf from '@tensorflow/tfjs';
import { simdSupported } from './wasm-asm.js';

export type TfModule = typeof Tf;
export type Conv2DInfo = Tf.backend_util.Conv2DInfo;
export type PadAttr = 'valid' | 'same' | number | Tf.backend_util.ExplicitPadding;
type DataId = Tf.TensorInfo['dataId'];

/** The part of tfjs-backend-wasm's `BackendWasm` that our kernels use. */
export interface WasmBackendLike {
  makeOutput(shape: number[], dtype: 'float32'): Tf.TensorInfo;
  typedArrayFromHeap(info: Tf.TensorInfo): Tf.TypedArray;
  disposeData(dataId: DataId): boolean;
}

export function asWasmBackend(backend: unknown): WasmBackendLike {
  if (
    typeof backend === 'object' &&
    backend !== null &&
    'makeOutput' in backend &&
    typeof backend.makeOutput === 'function' &&
    'typedArrayFromHeap' in backend &&
    typeof backend.typedArrayFromHeap === 'function' &&
    'disposeData' in backend &&
    typeof backend.disposeData === 'function'
  ) {
    return backend as WasmBackendLike;
  }
  throw new Error('cnnc wasm kernel: the backend is not the tfjs wasm backend');
}

/**
 * The wasm backend's WebAssembly.Memory (an Emscripten module's `asm.memory`), for kernels that
 * cnnc generates to run in place on it; null where it cannot be found.
 */
export function wasmMemory(backend: unknown): object | null {
  const module: unknown =
    typeof backend === 'object' && backend !== null && 'wasm' in backend ? backend.wasm : null;
  const asm: unknown =
    typeof module === 'object' && module !== null && 'asm' in module ? module.asm : null;
  const memory: unknown =
    typeof asm === 'object' && asm !== null && 'memory' in asm ? asm.memory : null;
  const host = (globalThis as { WebAssembly?: { Memory: abstract new (...a: never[]) => object } })
    .WebAssembly;
  return host && typeof memory === 'object' && memory instanceof host.Memory ? memory : null;
}

/**
 * How often a kernel asked for the SIMD path (simdMemory) and got the wasm memory (`taken`) or not
 * (`missed`: no SIMD in the host, or tfjs-backend-wasm's internals moved and `wasm.asm.memory` is
 * gone; `disabled`: CNNC_NO_SIMD_KERNELS). A test trains a step and requires taken > 0 and
 * missed = 0, so that the SIMD kernels cannot be skipped silently after a tfjs upgrade.
 */
export interface SimdPathCounts {
  taken: number;
  missed: number;
  disabled: number;
}

const simdCounts: SimdPathCounts = { taken: 0, missed: 0, disabled: 0 };

export function simdPathCounts(): Readonly<SimdPathCounts> {
  return { ...simdCounts };
}

/** Whether CNNC_NO_SIMD_KERNELS turns cnnc's SIMD kernels off (to compare with the JS loops). */
export function simdKernelsOff(): boolean {
  return typeof process !== 'undefined' && Boolean(process.env['CNNC_NO_SIMD_KERNELS']);
}

/**
 * The memory that cnnc's generated SIMD kernels (simd-conv.ts, simd-pool.ts) run on: the wasm
 * backend's, where the host runs WebAssembly SIMD. Null otherwise (the JavaScript loops run then),
 * or when CNNC_NO_SIMD_KERNELS is set (to compare the two).
 */
export function simdMemory(backend: unknown): object | null {
  if (simdKernelsOff()) {
    simdCounts.disabled++;
    return null;
  }
  const memory = simdSupported() ? wasmMemory(backend) : null;
  if (memory === null) simdCounts.missed++;
  else simdCounts.taken++;
  return memory;
}

/** Reads a float32 tensor's values straight from the wasm heap (a view, not a copy). */
export function heapF32(backend: WasmBackendLike, info: Tf.TensorInfo): Float32Array {
  if (info.dtype !== 'float32') {
    throw new Error(`cnnc wasm kernel: expected a float32 tensor, got ${info.dtype}`);
  }
  const view = backend.typedArrayFromHeap(info);
  if (!(view instanceof Float32Array)) {
    throw new Error('cnnc wasm kernel: heap view is not a Float32Array');
  }
  return view;
}

export function requireInput(inputs: Tf.NamedTensorInfoMap, name: string): Tf.TensorInfo {
  const t = inputs[name];
  if (t === undefined) throw new Error(`cnnc wasm kernel: missing input '${name}'`);
  return t;
}

export function shape4(info: Tf.TensorInfo, what: string): [number, number, number, number] {
  const s = info.shape;
  if (s.length !== 4) throw new Error(`cnnc wasm kernel: ${what} must be rank 4, got [${s}]`);
  return [s[0], s[1], s[2], s[3]];
}

function isNumberPair(v: unknown): v is [number, number] {
  return Array.isArray(v) && v.length === 2 && v.every((e) => typeof e === 'number');
}

export function pairAttr(attrs: Tf.NamedAttrMap, name: string, fallback: number): [number, number] {
  const v: unknown = attrs[name];
  if (v === undefined || v === null) return [fallback, fallback];
  if (typeof v === 'number') return [v, v];
  if (isNumberPair(v)) return [v[0], v[1]];
  throw new Error(
    `cnnc wasm kernel: attribute '${name}' must be a number or a pair, got ${String(v)}`,
  );
}

function isExplicitPadding(v: unknown): v is Tf.backend_util.ExplicitPadding {
  return Array.isArray(v) && v.length === 4 && v.every((p) => isNumberPair(p));
}

export function padAttr(attrs: Tf.NamedAttrMap): PadAttr {
  const v: unknown = attrs['pad'];
  if (v === 'valid' || v === 'same' || typeof v === 'number' || isExplicitPadding(v)) return v;
  throw new Error(`cnnc wasm kernel: unsupported pad ${JSON.stringify(v)}`);
}

export function roundingAttr(attrs: Tf.NamedAttrMap): 'floor' | 'round' | 'ceil' | undefined {
  const v: unknown = attrs['dimRoundingMode'];
  return v === 'floor' || v === 'round' || v === 'ceil' ? v : undefined;
}

export function shape4Attr(attrs: Tf.NamedAttrMap, name: string): [number, number, number, number] {
  const v: unknown = attrs[name];
  if (Array.isArray(v) && v.length === 4 && v.every((e) => typeof e === 'number')) {
    return [v[0], v[1], v[2], v[3]];
  }
  throw new Error(`cnnc wasm kernel: attribute '${name}' must be a 4-d shape`);
}

export function requireNHWC(attrs: Tf.NamedAttrMap): void {
  const v: unknown = attrs['dataFormat'];
  if (v !== undefined && v !== 'NHWC') {
    throw new Error(`cnnc wasm kernel: dataFormat '${String(v)}' is not supported, use 'NHWC'`);
  }
}

/** tfjs-core's geometry of an NHWC convolution with these attributes. */
export function conv2DInfo(
  tf: TfModule,
  attrs: Tf.NamedAttrMap,
  xShape: [number, number, number, number],
  filterShape: [number, number, number, number],
  depthwise: boolean,
): Conv2DInfo {
  return tf.backend_util.computeConv2DInfo(
    xShape,
    filterShape,
    pairAttr(attrs, 'strides', 1),
    pairAttr(attrs, 'dilations', 1),
    padAttr(attrs),
    roundingAttr(attrs),
    depthwise,
    'channelsLast',
  );
}

/** Conv geometry of the forward op whose gradient a kernel computes, checked against dy. */
export function forwardGeometry(
  tf: TfModule,
  attrs: Tf.NamedAttrMap,
  xShape: [number, number, number, number],
  filterShape: [number, number, number, number],
  dy: Tf.TensorInfo,
  depthwise: boolean,
): Conv2DInfo {
  const info = conv2DInfo(tf, attrs, xShape, filterShape, depthwise);
  const want = [info.batchSize, info.outHeight, info.outWidth, info.outChannels];
  if (dy.shape.length !== 4 || want.some((d, i) => dy.shape[i] !== d)) {
    throw new Error(`cnnc wasm kernel: dy has shape [${dy.shape}], expected [${want}]`);
  }
  return info;
}
