// Chooses and initialises the TensorFlow.js backend that lowered models train on.
//
//   tensorflow  @tensorflow/tfjs-node-gpu or @tensorflow/tfjs-node (optional peers, native libtensorflow)
//   wasm        @tensorflow/tfjs-backend-wasm, SIMD, the .wasm files loaded from the npm package
//               (works offline), plus the gradient kernels it lacks (wasm-kernels.ts)
//   cpu         tfjs's pure-JS backend: a reference, far too slow to train on
//
// Initialisation is idempotent: the one-time work (imports, wasm paths, kernel registration) runs
// once per backend, and later calls only make that backend the active one again.

import { createRequire } from 'node:module';
import path from 'node:path';
import type * as Tf from '@tensorflow/tfjs';
import { registerWasmGradKernels } from './wasm-kernels.js';

export type BackendName = 'tensorflow' | 'wasm' | 'cpu';

export interface Backend {
  readonly tf: typeof Tf;
  readonly name: BackendName;
  /** Human-readable description, e.g. "wasm (SIMD, 1 thread)". */
  readonly detail: string;
}

/** The requested backend cannot be loaded in this installation; the message says how to fix it. */
export class BackendUnavailable extends Error {
  override readonly name = 'BackendUnavailable';
  constructor(
    readonly backend: BackendName,
    message: string,
  ) {
    super(message);
  }
}

const NODE_PACKAGES = ['@tensorflow/tfjs-node-gpu', '@tensorflow/tfjs-node'] as const;

const require = createRequire(import.meta.url);

function isResolvable(specifier: string): boolean {
  try {
    require.resolve(specifier);
    return true;
  } catch {
    return false;
  }
}

let tfPromise: Promise<typeof Tf> | undefined;

/** Loads tfjs once, with its "install tfjs-node" and other warnings switched off. */
function loadTf(): Promise<typeof Tf> {
  tfPromise ??= import('@tensorflow/tfjs').then((tf) => {
    tf.enableProdMode();
    return tf;
  });
  return tfPromise;
}

async function setupTensorflow(tf: typeof Tf): Promise<string> {
  for (const pkg of NODE_PACKAGES) {
    if (!isResolvable(pkg)) continue;
    // A variable specifier: these optional peers have no type declarations here.
    const specifier: string = pkg;
    await import(specifier);
    if (tf.findBackendFactory('tensorflow') === null) {
      throw new BackendUnavailable(
        'tensorflow',
        `${pkg} loaded but registered its backend with another copy of @tensorflow/tfjs; ` +
          `install versions of ${pkg} and @tensorflow/tfjs that match (this is ${tf.version_core})`,
      );
    }
    return pkg.slice('@tensorflow/'.length);
  }
  throw new BackendUnavailable(
    'tensorflow',
    'the tensorflow backend needs @tensorflow/tfjs-node (CPU) or @tensorflow/tfjs-node-gpu (CUDA); ' +
      'install one with `npm install @tensorflow/tfjs-node`, or use `--backend wasm`',
  );
}

async function setupWasm(tf: typeof Tf): Promise<void> {
  if (!isResolvable('@tensorflow/tfjs-backend-wasm')) {
    throw new BackendUnavailable(
      'wasm',
      'the wasm backend needs @tensorflow/tfjs-backend-wasm; install it with ' +
        '`npm install @tensorflow/tfjs-backend-wasm`',
    );
  }
  const wasm = await import('@tensorflow/tfjs-backend-wasm');
  const binary = require.resolve('@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm.wasm');
  wasm.setWasmPaths(path.dirname(binary) + path.sep);
  registerWasmGradKernels(tf);
}

const setups = new Map<BackendName, Promise<string>>();

/** The one-time setup for a backend; its result is the loaded package's name, if any. */
function setupOnce(tf: typeof Tf, name: BackendName): Promise<string> {
  let pending = setups.get(name);
  if (pending === undefined) {
    pending =
      name === 'tensorflow'
        ? setupTensorflow(tf)
        : name === 'wasm'
          ? setupWasm(tf).then(() => '')
          : Promise.resolve('');
    // A failed setup is not cached, so a later call (after an install) can try again.
    pending.catch(() => setups.delete(name));
    setups.set(name, pending);
  }
  return pending;
}

async function describe(tf: typeof Tf, name: BackendName, pkg: string): Promise<string> {
  switch (name) {
    case 'tensorflow':
      return `tensorflow (${pkg}, native libtensorflow)`;
    case 'wasm': {
      const simd = await tf.env().getAsync('WASM_HAS_SIMD_SUPPORT');
      const { getThreadsCount } = await import('@tensorflow/tfjs-backend-wasm');
      const threads = getThreadsCount();
      return `wasm (${simd === true ? 'SIMD' : 'no SIMD'}, ${threads} thread${threads === 1 ? '' : 's'})`;
    }
    case 'cpu':
      return 'cpu (pure JavaScript)';
  }
}

/** Makes `name` the active tfjs backend, initialising it on first use. */
export async function initBackend(name: BackendName = 'wasm'): Promise<Backend> {
  const tf = await loadTf();
  const pkg = await setupOnce(tf, name);
  if (tf.getBackend() !== name) {
    const ok = await tf.setBackend(name);
    if (!ok) {
      throw new BackendUnavailable(name, `tfjs could not initialise the ${name} backend`);
    }
  }
  await tf.ready();
  return { tf, name, detail: await describe(tf, name, pkg) };
}

/** Backends this installation can load, fastest first; `cpu` is always there. */
export async function availableBackends(): Promise<BackendName[]> {
  const names: BackendName[] = [];
  if (NODE_PACKAGES.some(isResolvable)) names.push('tensorflow');
  if (isResolvable('@tensorflow/tfjs-backend-wasm')) names.push('wasm');
  names.push('cpu');
  return names;
}
