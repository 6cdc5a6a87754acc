/**
 * Opens a training engine (runtime/train/engine.ts) on a named backend: the TensorFlow.js backends
 * (tensorflow, wasm, cpu: the graph is lowered to tf ops) or the pure-TypeScript reference executor.
 *
 * No graph is refused for its ops: lower.ts builds every IR op from kernels that the cpu, wasm and
 * tensorflow backends all have (explicit padding through tf.pad, dilation through dilated kernels,
 * groups by splitting, LRN and ceil-mode or adaptive pools from elementary ops), and
 * test/runtime/tfjs/edge-ops.test.ts finds the same outputs and gradients on cpu and wasm. What a
 * backend cannot hold (wasm's 4 GiB) is checked before training by compiler/report/backend-memory.ts.
 * The former backendDiagnostics, which always returned [], is gone with the tests that asserted it.
 */
import * as os from 'node:os';
import type { Diagnostic } from '../compiler/diagnostics/diagnostic.js';
import type { Graph } from '../compiler/ir/graph.js';
import { initBackend } from './tfjs/backend.js';
import { createTfjsEngine } from './tfjs/engine.js';
import { lowerGraph } from './tfjs/lower.js';
import type { Engine, EngineOptions } from './train/engine.js';

/** The threads an engine uses unless told: every core Node reports. */
export function defaultThreads(): number {
  return Math.max(1, os.availableParallelism?.() ?? os.cpus().length);
}

export const ENGINE_BACKENDS = ['wasm', 'cpu', 'tensorflow', 'reference'] as const;
export type EngineBackend = (typeof ENGINE_BACKENDS)[number];

export interface OpenedEngine {
  /** Null when the diagnostics hold an error. */
  readonly engine: Engine | null;
  /** `wasm (SIMD, 1 thread)`, `reference (pure TypeScript, 2 threads)`. */
  readonly detail: string;
  readonly diagnostics: readonly Diagnostic[];
}

export async function openEngine(
  name: EngineBackend,
  graph: Graph,
  options: EngineOptions,
): Promise<OpenedEngine> {
  const threads = options.threads ?? 1;
  if (name === 'reference') {
    const { configureParallel } = await import('./reference/parallel.js');
    if (options.threads !== undefined) configureParallel({ threads });
    const { createReferenceEngine, referenceDetail } = await import('./reference/engine.js');
    return {
      engine: createReferenceEngine(graph, options),
      detail: referenceDetail(),
      diagnostics: [],
    };
  }
  const backend = await initBackend(name);
  if (name === 'wasm' && threads > 1) {
    const { createDataParallelEngine } = await import('./tfjs/data-parallel.js');
    try {
      const engine = await createDataParallelEngine(backend.tf, graph, options, threads);
      return {
        engine,
        detail: backend.detail.replace(/, \d+ threads?\)/, `, ${threads} threads, data-parallel)`),
        diagnostics: [],
      };
    } catch (e) {
      // Worker threads that cannot start (a host without them, no compiled worker): one thread.
      const why = e instanceof Error ? e.message.split('\n')[0] : String(e);
      const model = lowerGraph(backend.tf, graph, { seed: options.seed, init: options.init });
      return {
        engine: createTfjsEngine(backend.tf, model, name, options),
        detail: `${backend.detail}; ${threads} threads unavailable: ${why}`,
        diagnostics: [],
      };
    }
  }
  const model = lowerGraph(backend.tf, graph, { seed: options.seed, init: options.init });
  return {
    engine: createTfjsEngine(backend.tf, model, name, options),
    detail: backend.detail,
    diagnostics: [],
  };
}
