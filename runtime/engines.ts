/**
 * Opens a training engine (runtime/train/engine.ts) on a named backend: the TensorFlow.js backends
 * (tensorflow, wasm, cpu: the graph is lowered to tf ops) or the pure-TypeScript reference executor.
 * A graph the backend cannot run is reported as diagnostics (CNN5xxx) before anything runs.
 */
import * as os from 'node:os';
import type { Diagnostic } from '../compiler/diagnostics/diagnostic.js';
import { hasErrors } from '../compiler/diagnostics/diagnostic.js';
import type { Graph } from '../compiler/ir/graph.js';
import { initBackend } from './tfjs/backend.js';
import { createTfjsEngine } from './tfjs/engine.js';
import { lowerGraph } from './tfjs/lower.js';
import { backendDiagnostics } from './tfjs/support.js';
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
  const diagnostics = backendDiagnostics(graph, name);
  if (hasErrors(diagnostics)) return { engine: null, detail: backend.detail, diagnostics };
  if (name === 'wasm' && threads > 1) {
    const { createDataParallelEngine } = await import('./tfjs/data-parallel.js');
    try {
      const engine = await createDataParallelEngine(backend.tf, graph, options, threads);
      return {
        engine,
        detail: backend.detail.replace(/, \d+ threads?\)/, `, ${threads} threads, data-parallel)`),
        diagnostics,
      };
    } catch (e) {
      // Worker threads that cannot start (a host without them, no compiled worker): one thread.
      const why = e instanceof Error ? e.message.split('\n')[0] : String(e);
      const model = lowerGraph(backend.tf, graph, { seed: options.seed, init: options.init });
      return {
        engine: createTfjsEngine(backend.tf, model, name, options),
        detail: `${backend.detail}; ${threads} threads unavailable: ${why}`,
        diagnostics,
      };
    }
  }
  const model = lowerGraph(backend.tf, graph, { seed: options.seed, init: options.init });
  return {
    engine: createTfjsEngine(backend.tf, model, name, options),
    detail: backend.detail,
    diagnostics,
  };
}
