/**
 * What train, evaluate and predict share: compile one model, resolve its training settings, start a
 * backend, check the backend can run the graph, lower it, load data fitted to its input, restore a
 * checkpoint, and turn data and checkpoint problems into a message and exit code 1.
 */
import * as os from 'node:os';
import type { ParsedArgs } from './args.js';
import { parsePositiveInt, parseThreads, UsageError } from './args.js';
import { hasErrors } from '../diagnostics/diagnostic.js';
import type { Graph } from '../ir/graph.js';
import { compileFile } from '../program.js';
import {
  DataError,
  fitToInput,
  splitValidation,
  take,
  type Dataset,
} from '../../runtime/data/dataset.js';
import { loadSource } from '../../runtime/data/sources.js';
import {
  defaultThreads,
  ENGINE_BACKENDS,
  openEngine,
  type EngineBackend,
} from '../../runtime/engines.js';
import { phases } from '../../runtime/fine-tune.js';
import { BackendUnavailable } from '../../runtime/tfjs/backend.js';
import { WeightsError } from '../../runtime/weights/tensor.js';
import {
  CheckpointError,
  irHash,
  weightDifferences,
  type Checkpoint,
} from '../../runtime/train/checkpoint.js';
import { resolveSettings, type TrainSettings } from '../../runtime/train/config.js';
import { countParams, type Engine } from '../../runtime/train/engine.js';
import type { EvalResult } from '../../runtime/train/evaluate.js';
import { checkBackendMemory, type MemoryNeed } from '../report/backend-memory.js';
import { allowedImports, IMPORT_FLAGS, printDiagnostics } from './common.js';
import type { Diagnostic } from '../diagnostics/diagnostic.js';
import { resolveInput } from './host.js';
import type { ExitCode, Io } from './io.js';

export const SESSION_FLAGS = {
  model: { value: true },
  backend: { value: true },
  threads: { value: true },
  data: { value: true },
  ...IMPORT_FLAGS,
} as const;

export interface Session {
  readonly backend: {
    readonly name: EngineBackend;
    readonly detail: string;
    /** --threads: the engines of later fine-tuning phases open on as many. */
    readonly threads: number;
  };
  readonly graph: Graph;
  /** Absolute path of the .cnn file. */
  readonly file: string;
  /** Text of the model's file (for the source hash). */
  readonly source: string;
  readonly settings: TrainSettings;
  readonly engine: Engine;
  /** `LeNet5 · 61,706 params (61,706 trainable) · backend wasm (SIMD, 1 thread)`. */
  readonly headline: string;
}

const count = (n: number) => n.toLocaleString('en-US');

/** Flags that override train-block keys, converted to the block's value types. */
function overrides(args: ParsedArgs, keys: readonly string[]): [string, number | string][] {
  const out: [string, number | string][] = [];
  for (const k of keys) {
    const v = args.flags.get(k)?.[0];
    if (v === undefined) continue;
    const n = Number(v);
    out.push([k, v.trim() !== '' && Number.isFinite(n) ? n : v]);
  }
  return out;
}

export async function openSession(
  args: ParsedArgs,
  io: Io,
  overrideKeys: readonly string[],
  /** Changes the resolved settings before the engine opens (bench's fixed optimiser). */
  adjust: (s: TrainSettings) => TrainSettings = (s) => s,
  /** What the command runs, for the memory check before anything is allocated (CNN4012). */
  need: (s: TrainSettings) => MemoryNeed = trainingNeed,
): Promise<Session | ExitCode> {
  if (args.positional.length !== 1) throw new UsageError('expected exactly one .cnn file');
  const backendName = args.flags.get('backend')?.[0] ?? 'wasm';
  const name = ENGINE_BACKENDS.find((b) => b === backendName);
  if (!name)
    throw new UsageError(
      `--backend must be one of ${ENGINE_BACKENDS.join(', ')}; got ${JSON.stringify(backendName)}`,
    );
  const file = resolveInput(args.positional[0], io.host, io.cwd);
  const result = compileFile(file, io.host, {
    model: args.flags.get('model')?.[0],
    ...allowedImports(args, io),
  });
  printDiagnostics(io, result.diagnostics, result.sources);
  if (hasErrors(result.diagnostics)) return 1;
  if (result.models.length === 0) throw new UsageError('the file defines no model');
  if (result.models.length > 1) {
    throw new UsageError(
      `the file defines ${result.models.length} models (${result.models.map((m) => m.graph.model).join(', ')}); choose one with --model`,
    );
  }
  const graph = result.models[0].graph;
  const resolved = resolveSettings(graph, overrides(args, overrideKeys));
  // compileFile reported the train block's own diagnostics already (program.ts).
  const seen = new Set(result.diagnostics.map(diagnosticKey));
  printDiagnostics(
    io,
    resolved.diagnostics.filter((d) => !seen.has(diagnosticKey(d))),
    result.sources,
  );
  if (hasErrors(resolved.diagnostics)) return 1;
  if (resolved.errors.length) throw new UsageError(resolved.errors.join('; '));
  const settings = adjust(resolved.settings);
  const memory = checkBackendMemory(graph, name, need(settings), os.totalmem());
  if (memory) {
    printDiagnostics(io, [memory], result.sources);
    return 1;
  }
  const threads = parseThreads(args, defaultThreads());
  const opened = await openEngine(name, graph, {
    loss: settings.loss,
    ...(settings.outputLosses.length ? { outputLosses: settings.outputLosses } : {}),
    optimizer: settings.optimizer,
    clipNorm: settings.clipNorm,
    seed: settings.seed,
    init: settings.init,
    lrScales: phases(graph, settings)[0]?.lrScales,
    threads,
  });
  printDiagnostics(io, opened.diagnostics, result.sources);
  if (!opened.engine) return 1;
  const engine = opened.engine;
  const { params, trainable } = countParams(engine);
  return {
    backend: { name, detail: opened.detail, threads },
    graph,
    file,
    source: result.sources.get(graph.file) ?? '',
    settings,
    engine,
    headline: `${graph.model} · ${count(params)} params (${count(trainable)} trainable) · backend ${opened.detail}`,
  };
}

/** A training step at the settings' batch size. */
export function trainingNeed(s: TrainSettings): MemoryNeed {
  return { batch: s.batchSize, training: true, optimizer: s.optimizer.name };
}

export interface LoadedData {
  readonly train: Dataset;
  readonly validation: Dataset | null;
  readonly test: Dataset | null;
}

/** The session's data source, limited by --limit, fitted to the model input, validation held out. */
export async function loadData(
  session: Session,
  which: readonly ('train' | 'test')[],
  args: ParsedArgs,
  cwd: string,
): Promise<LoadedData> {
  const { settings, engine, graph } = session;
  const limitFlag = args.flags.get('limit')?.[0];
  const limit = limitFlag === undefined ? Infinity : parsePositiveInt('limit', limitFlag);
  const splits = await loadSource(settings.data, cwd, which, { input: engine.inputShape });
  const prepare = (ds: Dataset | undefined): Dataset | null => {
    if (!ds) return null;
    const input = engine.inputShape.map((d, i) => (d < 0 ? ds.shape[i] : d));
    const fitted = fitToInput(take(ds, limit), input);
    const out = graph.nodes[graph.outputs[0]]?.shape;
    const units = out?.[out.length - 1];
    if (typeof units === 'number' && units > 1 && units < ds.numClasses) {
      throw new DataError(
        `${graph.model} has ${units} outputs but ${ds.name} has ${ds.numClasses} classes`,
      );
    }
    return fitted;
  };
  const train = prepare(splits.train);
  const test = prepare(splits.test);
  if (!train) return { train: test!, validation: null, test };
  const { train: t, validation } = splitValidation(train, settings.validation, settings.seed);
  return { train: t, validation, test };
}

/**
 * Loads checkpoint weights into the session's model after checking they fit it; returns a warning
 * when the weights fit but the checkpoint comes from another graph (e.g. a changed activation).
 */
export function restoreWeights(
  session: { readonly engine: Engine; readonly graph: Graph },
  ck: Checkpoint,
  dir: string,
): string | null {
  const { engine, graph } = session;
  const expected = new Map(engine.weights.map((w) => [w.name, w.shape]));
  const diffs = weightDifferences(ck.weights, expected);
  if (diffs.length) {
    throw new CheckpointError(
      `${dir} holds weights of ${ck.meta.model}, which do not fit ${graph.model}:\n` +
        diffs.map((d) => `  ${d}`).join('\n'),
    );
  }
  engine.writeWeights(ck.weights);
  return ck.meta.irHash === irHash(graph)
    ? null
    : `${dir} was saved from a different version of ${graph.model} (the IR hash differs; the weights fit)`;
}

export function evalSummary(r: EvalResult) {
  return {
    count: r.count,
    loss: r.loss,
    accuracy: r.accuracy,
    topK: r.topK,
    macro: r.report.macro,
    perClass: r.report.perClass,
    confusion: r.report.confusion,
    ...(r.outputs
      ? {
          outputs: r.outputs.map((o) => ({
            name: o.name,
            loss: o.loss,
            accuracy: o.accuracy,
            topK: o.topK,
            macro: o.report.macro,
          })),
        }
      : {}),
  };
}

/** Runs a command, turning data, checkpoint and backend problems into a message and exit 1. */
export async function runGuarded(io: Io, f: () => Promise<ExitCode>): Promise<ExitCode> {
  try {
    return await f();
  } catch (e) {
    if (
      e instanceof DataError ||
      e instanceof CheckpointError ||
      e instanceof BackendUnavailable ||
      e instanceof WeightsError
    ) {
      io.err(`cnnc: error: ${e.message}\n`);
      return 1;
    }
    throw e;
  }
}

function diagnosticKey(d: Diagnostic): string {
  return `${d.code}|${d.span?.file}|${d.span?.start}|${d.span?.end}|${d.message}`;
}
