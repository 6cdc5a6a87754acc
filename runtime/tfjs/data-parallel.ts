/**
 * Data-parallel training and inference on the tfjs wasm backend, inside one process: the in-process
 * form of PyTorch's DistributedDataParallel. tfjs-backend-wasm's own threaded build does not start
 * in Node (tfjs issue 3830), so the threads are ours: replica 0 runs on the calling thread, replicas
 * 1 … T − 1 in worker threads (replica-worker.ts), each with its own wasm backend and a copy of the
 * weights made from the same seed.
 *
 * A training step splits the batch's rows into T contiguous shards. Every replica runs forward and
 * backward on its shard; batch norm adds its statistics (and, backwards, their gradients) up over
 * the replicas, so it normalises with the whole batch's mean and variance as on one thread; dropout
 * draws each row's mask from the row's index in the batch. The gradients, loss and hit count are
 * summed over a SharedArrayBuffer (collective.ts) in rank order, and every replica applies the same
 * optimiser step to the same weights, so the replicas stay equal without sending weights. On a
 * large model the optimiser step is sharded instead (sharded-optimizer.ts): each replica sums and
 * updates only the variables it owns and the replicas exchange the new weights, the same bits. The
 * results differ from one thread's only in float32 summation order.
 *
 * A step whose loss is computed outside the engine from the raw outputs (trainStepOn: a detector's
 * yolo loss) splits the rows the same way; the replicas' outputs are gathered on the main thread in
 * row order, the loss runs there on the whole batch, and each replica takes its rows of the
 * gradient into its backward pass (output-exchange.ts).
 *
 * Inference splits the rows the same way and gathers every output (and, with several outputs,
 * each one's scores and loss). Weights, optimiser state and the dropout stream are set on every
 * replica; they are read from replica 0 (a sharded optimiser's state: gathered from the owners).
 */
import { Worker } from 'node:worker_threads';
import { existsSync } from 'node:fs';
import { setFlagsFromString } from 'node:v8';
import { fileURLToPath } from 'node:url';
import type { Graph } from '../../compiler/ir/graph.js';
import type {
  Engine,
  EngineOptions,
  EvalBatch,
  Images,
  OutputScores,
  StepResult,
} from '../train/engine.js';
import type { SavedTensor } from '../train/optimizer-config.js';
import { Collective, CollectiveAborted, collectiveBuffers, shardRange } from './collective.js';
import { createTfjsEngine, type TfjsEngine } from './engine.js';
import { lowerGraph } from './lower.js';
import { exchangeBytes, shardedOutputsLoss } from './output-exchange.js';
import type { Tf } from './optimizers.js';
import type { ReplicaData, ReplicaReply, ReplicaRequest } from './replica-worker.js';
import { gatherState, type ShardMode } from './sharded-optimizer.js';
import type { Profiled, ReplicaProfile } from './step-profile.js';
import { TIER_UP_AFTER, tierUpEarly } from './tier-up.js';

/** The worker's script: the compiled sibling, or dist/'s when this module runs from source (tests). */
export function replicaWorkerUrl(): URL {
  const here = import.meta.url;
  if (here.endsWith('.js')) return new URL('./replica-worker.js', here);
  const built = new URL('../../dist/runtime/tfjs/replica-worker.js', here);
  if (!existsSync(fileURLToPath(built))) {
    throw new Error(
      `data-parallel wasm needs the compiled worker ${fileURLToPath(built)}: run \`npx tsc -p tsconfig.json\``,
    );
  }
  return built;
}

interface Replica {
  readonly worker: Worker;
  readonly pending: Map<number, (value: unknown) => void>;
}

/** Rows [start, end) of a batch: a view of its data. */
function rows(x: Images, start: number, end: number): Images {
  const per = x.data.length / Math.max(1, x.shape[0]);
  return {
    data: x.data.subarray(start * per, end * per),
    shape: [end - start, ...x.shape.slice(1)],
  };
}

/**
 * Floats per row of every output of the graph together, or null when a size is symbolic in the IR
 * (it then follows from the input).
 */
function outputFloatsPerRow(graph: Graph): number | null {
  let sum = 0;
  for (const o of graph.outputs) {
    const shape = graph.nodes[o].shape;
    if (!shape || !shape.every((d) => typeof d === 'number')) return null;
    sum += (shape as readonly number[]).reduce((a, b) => a * b, 1);
  }
  return sum;
}

/** The parts' scores of one output, in row order, with its loss weighted by the parts' rows. */
function gatherScores(
  parts: readonly (OutputScores | undefined)[],
  counts: readonly number[],
): OutputScores {
  const n = counts.reduce((a, b) => a + b, 0);
  const scores = concat(parts.map((p) => p!.scores));
  if (parts[0]!.loss === undefined) return { scores, classes: parts[0]!.classes };
  const loss = parts.reduce((s, p, i) => s + (p!.loss! * counts[i]) / n, 0);
  return { loss, scores, classes: parts[0]!.classes };
}

function concat(parts: readonly Float32Array[]): Float32Array {
  const out = new Float32Array(parts.reduce((s, p) => s + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/**
 * An engine on `threads` replicas (threads ≥ 2). Rejects when a worker cannot start; the caller
 * then runs on one thread. `shard`: whether the optimiser step is sharded ('auto': by the model's
 * size, sharded-optimizer.ts shards; 'always' and 'never' for tests and measurements).
 */
export async function createDataParallelEngine(
  tf: Tf,
  graph: Graph,
  options: EngineOptions,
  threads: number,
  shard: ShardMode = 'auto',
): Promise<
  Engine &
    Profiled & {
      readonly threads: number;
      /** Every replica's weights, in rank order (tests: the replicas stay equal bit for bit). */
      replicaWeights(): Promise<SavedTensor[][]>;
    }
> {
  const model = lowerGraph(tf, graph, { seed: options.seed, init: options.init });
  const sizeOf = (s: readonly number[]) => s.reduce((a, b) => a * b, 1);
  const capacity =
    2 +
    model.trainable.reduce((s, v) => s + v.size, 0) +
    [...model.buffers.values()].reduce((s, v) => s + sizeOf(v.shape), 0);
  const buffers = collectiveBuffers(threads, capacity);
  const collective = new Collective(buffers, 0);
  const engine: TfjsEngine = createTfjsEngine(tf, model, 'wasm', options, collective, shard);
  const layout = engine.stateLayout;
  const url = replicaWorkerUrl();
  const errors: string[] = [];
  let nextId = 0;

  const replicas: Replica[] = [];
  const ready: Promise<void>[] = [];
  for (let rank = 1; rank < threads; rank++) {
    const data: ReplicaData = { graph, options, rank, buffers, shard };
    const worker = new Worker(url, { workerData: data });
    const replica: Replica = { worker, pending: new Map() };
    replicas.push(replica);
    ready.push(
      new Promise<void>((resolve, reject) => {
        worker.on('message', (m: ReplicaReply) => {
          if (m.kind === 'ready') resolve();
          else if (m.kind === 'error') {
            errors.push(`replica ${rank}: ${m.message}`);
            reject(new Error(`replica ${rank}: ${m.message}`));
            for (const settle of replica.pending.values()) settle(undefined);
          } else {
            replica.pending.get(m.id)?.(m.value);
            replica.pending.delete(m.id);
          }
        });
        worker.on('error', (e) => {
          errors.push(`replica ${rank}: ${e.message}`);
          collective.abort();
          reject(e);
        });
      }),
    );
  }
  const close = () => replicas.forEach((r) => void r.worker.terminate());
  try {
    await Promise.all(ready);
  } catch (e) {
    close();
    engine.dispose();
    throw e;
  }
  for (const r of replicas) r.worker.unref();

  /**
   * The batch's rows from `from` on, copied into shared memory, whose views go to the workers
   * without a copy (a typed array on a SharedArrayBuffer is posted as a view). The next batch
   * overwrites it: a training step returns after the gradient all-reduce, which every replica
   * reaches after making its input tensor, and inference after every reply.
   */
  let staging = new Float32Array(new SharedArrayBuffer(0));
  const stage = (x: Images, from: number): Images => {
    const n = x.data.length;
    if (staging.length < n) staging = new Float32Array(new SharedArrayBuffer(4 * n));
    const start = (x.data.length / Math.max(1, x.shape[0])) * from;
    staging.set(x.data.subarray(start), start);
    return { data: staging.subarray(0, n), shape: x.shape };
  };

  const post = (rank: number, m: ReplicaRequest) => replicas[rank - 1].worker.postMessage(m);
  const broadcast = (m: ReplicaRequest) => replicas.forEach((_, i) => post(i + 1, m));
  const ask = <T>(rank: number, m: ReplicaRequest & { id: number }): Promise<T> =>
    new Promise<T>((resolve, reject) => {
      // The workers are unref'd (a process exits without disposing the engine), so a worker
      // holds the process open only while its reply is awaited.
      const { worker, pending } = replicas[rank - 1];
      worker.ref();
      pending.set(m.id, (v) => {
        if (pending.size <= 1) worker.unref();
        if (v === undefined) reject(new Error(errors.join('\n')));
        else resolve(v as T);
      });
      post(rank, m);
    });
  /** Waits briefly for a failed replica's message, then throws it. */
  const failure = async (e: unknown): Promise<never> => {
    if (!(e instanceof CollectiveAborted)) {
      collective.abort();
      throw e;
    }
    for (let i = 0; i < 100 && errors.length === 0; i++) {
      await new Promise((r) => setTimeout(r, 10));
    }
    throw new Error(`data-parallel step failed: ${errors.join('\n') || e.message}`);
  };

  /** Runs `own` on replica 0's rows and `kind` on the others', in parallel; parts in row order. */
  async function split<T>(
    x: Images,
    y: Int32Array | null,
    kind: 'evalBatch' | 'predict' | 'forward' | 'forwardAll',
    own: (x: Images, y: Int32Array | null) => Promise<T>,
  ): Promise<{ parts: T[]; counts: number[] }> {
    const n = x.shape[0];
    const ranks = Math.max(1, Math.min(threads, n));
    const asks: Promise<T>[] = [];
    const counts: number[] = [];
    const shared = ranks > 1 ? stage(x, shardRange(n, ranks, 1)[0]) : x;
    for (let r = 0; r < ranks; r++) {
      const [lo, hi] = shardRange(n, ranks, r);
      counts.push(hi - lo);
      if (r === 0) continue;
      const xs = rows(shared, lo, hi);
      const id = ++nextId;
      asks.push(
        kind === 'evalBatch'
          ? ask<T>(r, { kind, id, x: xs, y: y!.slice(lo, hi) })
          : ask<T>(r, { kind, id, x: xs }),
      );
    }
    const [lo, hi] = shardRange(n, ranks, 0);
    const mine = await own(rows(x, lo, hi), y === null ? null : y.slice(lo, hi));
    return { parts: [mine, ...(await Promise.all(asks))], counts };
  }

  /** The parts' rows of one output, in row order. */
  const gather = (x: Images, parts: readonly Images[]): Images => ({
    data: concat(parts.map((p) => p.data)),
    shape: [x.shape[0], ...parts[0].shape.slice(1)],
  });

  /**
   * After a step that ran on `ranks` replicas, a batch of fewer rows than threads: replicas
   * ranks … threads − 1 sat the step out, so they take replica 0's weights, optimiser state and
   * dropout stream (rare: a last batch).
   */
  const resync = (ranks: number) => {
    if (ranks >= threads) return;
    const tensors = engine.readWeights();
    // Sharded, the replicas that trained updated every weight (unshard): replica 0's state is whole.
    const state = engine.optimizerState();
    const draws = engine.randomDraws();
    for (let r = ranks; r < threads; r++) {
      post(r, { kind: 'writeWeights', tensors });
      if (state) post(r, { kind: 'setOptimizerState', state });
      post(r, { kind: 'setRandomDraws', draws });
    }
    if (layout === null) return;
    engine.reshard();
    for (let r = 1; r < ranks; r++) post(r, { kind: 'reshard' });
  };

  /** The whole optimiser state: sharded, gathered from the variables' owners. */
  const optimizerState = () => {
    if (layout === null) return engine.optimizerState();
    broadcast({ kind: 'publishState' });
    return gatherState(collective, layout, engine.optimizerState()!, threads);
  };

  /**
   * Sharded, before a step with fewer rows than threads: the replicas that take part get the
   * whole state and update every weight (the others' slots are with replicas that sit it out).
   */
  const unshard = (ranks: number) => {
    const state = layout === null || ranks >= threads ? null : optimizerState();
    if (state === null) return;
    engine.unshard(state);
    for (let r = 1; r < ranks; r++) post(r, { kind: 'unshard', state });
  };

  /**
   * After a pass on the whole batch on replica 0 (gradients, gradientsOn): in training mode it
   * updated batch norm's moving statistics and drew dropout masks there, which the other
   * replicas copy.
   */
  const followReplica0 = (training: boolean) => {
    if (!training) return;
    const buffersNow = engine
      .readWeights()
      .filter((w) => engine.weights.some((i) => i.name === w.name && i.kind === 'buffer'));
    broadcast({ kind: 'writeWeights', tensors: buffersNow });
    broadcast({ kind: 'setRandomDraws', draws: engine.randomDraws() });
  };

  /** The exchange buffer of trainStepOn (output-exchange.ts), grown as batches need. */
  let exchange = new SharedArrayBuffer(exchangeBytes(0));
  const perRow = outputFloatsPerRow(graph);
  const exchangeFor = async (x: Images): Promise<SharedArrayBuffer> => {
    // A symbolic output size: one row's outputs in inference mode tell it.
    const per =
      perRow ?? (await engine.forwardAll(rows(x, 0, 1))).reduce((s, o) => s + o.data.length, 0);
    const bytes = exchangeBytes(x.shape[0] * per);
    if (exchange.byteLength < bytes) exchange = new SharedArrayBuffer(bytes);
    return exchange;
  };

  /**
   * Counts the training steps; after TIER_UP_AFTER of them, V8 is told to optimise the rest of the
   * step's code sooner (tier-up.ts). V8's flags are the process's, so the workers' isolates too.
   */
  let steps = 0;
  const stepTaken = () => {
    if (++steps === TIER_UP_AFTER) tierUpEarly(setFlagsFromString);
  };
  return {
    backend: 'wasm',
    threads,
    inputShape: engine.inputShape,
    endsInSoftmax: engine.endsInSoftmax,
    weights: engine.weights,

    async trainStep(x, y, lr): Promise<StepResult> {
      stepTaken();
      engine.timer.begin();
      const n = x.shape[0];
      const ranks = Math.max(1, Math.min(threads, n));
      unshard(ranks);
      const shared = ranks > 1 ? stage(x, shardRange(n, ranks, 1)[0]) : x;
      for (let r = 1; r < ranks; r++) {
        const [lo, hi] = shardRange(n, ranks, r);
        post(r, {
          kind: 'train',
          x: rows(shared, lo, hi),
          y: y.slice(lo, hi),
          lr,
          offset: lo,
          total: n,
          ranks,
          sentAt: performance.timeOrigin + performance.now(),
        });
      }
      const [lo, hi] = shardRange(n, ranks, 0);
      const xs = rows(x, lo, hi);
      const ys = y.slice(lo, hi);
      engine.timer.mark('shard');
      let result: StepResult;
      try {
        result = engine.trainShard(xs, ys, lr, 0, n, ranks);
      } catch (e) {
        return failure(e);
      }
      resync(ranks);
      return result;
    },

    async trainStepOn(x, lossOf, lr) {
      stepTaken();
      engine.timer.begin();
      const n = x.shape[0];
      const ranks = Math.max(1, Math.min(threads, n));
      let outside = lossOf;
      unshard(ranks);
      if (ranks > 1) {
        const buffer = await exchangeFor(x);
        const shared = stage(x, shardRange(n, ranks, 1)[0]);
        for (let r = 1; r < ranks; r++) {
          const [lo, hi] = shardRange(n, ranks, r);
          post(r, {
            kind: 'trainOn',
            x: rows(shared, lo, hi),
            lr,
            offset: lo,
            total: n,
            ranks,
            exchange: buffer,
            sentAt: performance.timeOrigin + performance.now(),
          });
        }
        outside = shardedOutputsLoss(collective, ranks, buffer, 0, n, lossOf);
      }
      const [lo, hi] = shardRange(n, ranks, 0);
      engine.timer.mark('shard');
      let result: { loss: number };
      try {
        result = engine.trainShardOn(rows(x, lo, hi), outside, lr, lo, n, ranks);
      } catch (e) {
        return failure(e);
      }
      resync(ranks);
      return result;
    },

    async gradients(x, y, training, branches) {
      // Whole batch on replica 0 (cnnc verify); batch norm's moving statistics, which a training
      // pass updates there, are copied to the other replicas.
      const r = await engine.gradients(x, y, training, branches);
      followReplica0(training);
      return r;
    },

    async gradientsOn(x, lossOf, training, branches) {
      // As gradients: the whole batch on replica 0 (cnnc verify on a detector).
      const r = await engine.gradientsOn!(x, lossOf, training, branches);
      followReplica0(training);
      return r;
    },

    ...(engine.kinkInputs ? { kinkInputs: engine.kinkInputs.bind(engine) } : {}),

    async evalBatch(x, y): Promise<EvalBatch> {
      const { parts, counts } = await split<EvalBatch>(x, y, 'evalBatch', (xs, ys) =>
        engine.evalBatch(xs, ys!),
      );
      const { loss, scores, classes } = gatherScores(parts, counts);
      if (!parts[0].outputs) return { loss: loss!, scores, classes };
      const outputs = parts[0].outputs.map((_, k) =>
        gatherScores(
          parts.map((p) => p.outputs?.[k]),
          counts,
        ),
      );
      return { loss: loss!, scores, classes, outputs };
    },

    async predict(x) {
      const { parts, counts } = await split(x, null, 'predict', (xs) => engine.predict(xs));
      const { scores, classes } = gatherScores(parts, counts);
      if (!parts[0].outputs) return { scores, classes };
      const outputs = parts[0].outputs.map((_, k) =>
        gatherScores(
          parts.map((p) => p.outputs?.[k]),
          counts,
        ),
      );
      return { scores, classes, outputs };
    },

    async forward(x) {
      const { parts } = await split(x, null, 'forward', (xs) => engine.forward(xs));
      return gather(x, parts);
    },

    async forwardAll(x) {
      const { parts } = await split(x, null, 'forwardAll', (xs) => engine.forwardAll(xs));
      return parts[0].map((_, k) =>
        gather(
          x,
          parts.map((p) => p[k]),
        ),
      );
    },

    startProfile() {
      engine.startProfile();
      broadcast({ kind: 'startProfile' });
    },
    async readProfile(): Promise<ReplicaProfile[]> {
      const others = replicas.map((_, i) =>
        ask<ReplicaProfile>(i + 1, { kind: 'readProfile', id: ++nextId }),
      );
      return [engine.timer.profile, ...(await Promise.all(others))];
    },

    readWeights: () => engine.readWeights(),
    async replicaWeights() {
      const others = replicas.map((_, i) =>
        ask<SavedTensor[]>(i + 1, { kind: 'readWeights', id: ++nextId }),
      );
      return [engine.readWeights(), ...(await Promise.all(others))];
    },
    writeWeights(tensors: readonly SavedTensor[]) {
      engine.writeWeights(tensors);
      broadcast({ kind: 'writeWeights', tensors });
    },
    optimizerState,
    setOptimizerState(state) {
      engine.setOptimizerState(state);
      broadcast({ kind: 'setOptimizerState', state });
    },
    randomDraws: () => engine.randomDraws(),
    setRandomDraws(draws) {
      engine.setRandomDraws(draws);
      broadcast({ kind: 'setRandomDraws', draws });
    },
    dispose() {
      close();
      engine.dispose();
    },
  };
}
