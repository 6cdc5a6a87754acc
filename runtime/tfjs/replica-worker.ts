/**
 * A worker thread holding one replica of a data-parallel model (data-parallel.ts): its own tfjs
 * wasm backend, the graph lowered with the same seed as replica 0 (so the same initial weights),
 * its own optimiser. It runs the messages of the main thread one at a time, in order.
 */
import { parentPort, receiveMessageOnPort, workerData } from 'node:worker_threads';
import type { Graph } from '../../compiler/ir/graph.js';
import type { EngineOptions, Images } from '../train/engine.js';
import type { OptimizerState, SavedTensor } from '../train/optimizer-config.js';
import { initBackend } from './backend.js';
import { Collective, type CollectiveBuffers } from './collective.js';
import { createTfjsEngine } from './engine.js';
import { lowerGraph } from './lower.js';
import { shardedOutputsLoss } from './output-exchange.js';
import { publishState, type ShardMode } from './sharded-optimizer.js';

export interface ReplicaData {
  readonly graph: Graph;
  readonly options: EngineOptions;
  readonly rank: number;
  readonly buffers: CollectiveBuffers;
  /** Whether the optimiser step is sharded (sharded-optimizer.ts). */
  readonly shard: ShardMode;
}

/** What the main thread sends; `id` is echoed in the reply of the messages that have one. */
export type ReplicaRequest =
  | {
      readonly kind: 'train';
      readonly x: Images;
      readonly y: Int32Array;
      readonly lr: number;
      readonly offset: number;
      readonly total: number;
      readonly ranks: number;
      /** performance.timeOrigin + performance.now() when posted (step-profile.ts). */
      readonly sentAt: number;
    }
  | {
      /** A step whose loss replica 0 computes from every replica's outputs (output-exchange.ts). */
      readonly kind: 'trainOn';
      readonly x: Images;
      readonly lr: number;
      readonly offset: number;
      readonly total: number;
      readonly ranks: number;
      readonly exchange: SharedArrayBuffer;
      readonly sentAt: number;
    }
  | { readonly kind: 'startProfile' }
  | { readonly kind: 'readProfile'; readonly id: number }
  | { readonly kind: 'evalBatch'; readonly id: number; readonly x: Images; readonly y: Int32Array }
  | {
      readonly kind: 'predict' | 'forward' | 'forwardAll';
      readonly id: number;
      readonly x: Images;
    }
  | { readonly kind: 'writeWeights'; readonly tensors: readonly SavedTensor[] }
  | { readonly kind: 'setOptimizerState'; readonly state: OptimizerState }
  | { readonly kind: 'setRandomDraws'; readonly draws: number }
  | { readonly kind: 'readWeights'; readonly id: number }
  /** Sharded optimiser: write the slots this replica keeps into shared memory (gatherState). */
  | { readonly kind: 'publishState' }
  /** Sharded optimiser: update every weight (from `state`) until 'reshard'. */
  | { readonly kind: 'unshard'; readonly state: OptimizerState }
  | { readonly kind: 'reshard' };

export type ReplicaReply =
  | { readonly kind: 'ready' }
  | { readonly kind: 'result'; readonly id: number; readonly value: unknown }
  | { readonly kind: 'error'; readonly message: string };

/** Milliseconds a worker waits on its port for the next request after a training step. */
const LINGER_MS = 3;

async function main(port: NonNullable<typeof parentPort>, data: ReplicaData): Promise<void> {
  const { tf } = await initBackend('wasm');
  const collective = new Collective(data.buffers, data.rank);
  const model = lowerGraph(tf, data.graph, { seed: data.options.seed, init: data.options.init });
  const engine = createTfjsEngine(tf, model, 'wasm', data.options, collective, data.shard);
  const handle = async (m: ReplicaRequest): Promise<void> => {
    switch (m.kind) {
      case 'train':
        engine.timer.delivered(m.sentAt);
        engine.timer.mark('shard');
        engine.trainShard(m.x, m.y, m.lr, m.offset, m.total, m.ranks);
        return;
      case 'trainOn': {
        engine.timer.delivered(m.sentAt);
        engine.timer.mark('shard');
        const outside = shardedOutputsLoss(
          collective,
          m.ranks,
          m.exchange,
          m.offset,
          m.total,
          null,
        );
        engine.trainShardOn(m.x, outside, m.lr, m.offset, m.total, m.ranks);
        return;
      }
      case 'evalBatch':
        port.postMessage({ kind: 'result', id: m.id, value: await engine.evalBatch(m.x, m.y) });
        return;
      case 'predict':
        port.postMessage({ kind: 'result', id: m.id, value: await engine.predict(m.x) });
        return;
      case 'forward':
        port.postMessage({ kind: 'result', id: m.id, value: await engine.forward(m.x) });
        return;
      case 'forwardAll':
        port.postMessage({ kind: 'result', id: m.id, value: await engine.forwardAll(m.x) });
        return;
      case 'startProfile':
        engine.startProfile();
        return;
      case 'readProfile':
        port.postMessage({ kind: 'result', id: m.id, value: engine.timer.profile });
        return;
      case 'writeWeights':
        engine.writeWeights(m.tensors);
        return;
      case 'setOptimizerState':
        engine.setOptimizerState(m.state);
        return;
      case 'setRandomDraws':
        engine.setRandomDraws(m.draws);
        return;
      case 'readWeights':
        port.postMessage({ kind: 'result', id: m.id, value: engine.readWeights() });
        return;
      case 'publishState':
        publishState(collective, engine.stateLayout!, engine.optimizerState()!, data.buffers.size);
        return;
      case 'unshard':
        engine.unshard(m.state);
        return;
      case 'reshard':
        engine.reshard();
        return;
    }
  };
  /**
   * After a training step, the next request taken straight from the port for up to LINGER_MS, or
   * null. A worker that went back to its event loop between steps started the next one ~0.45 ms
   * after its request had arrived (V8's and Node's work between tasks), and the main thread then
   * waited that long at the step's first barrier: the yardstick on 2 threads took 15.2 ms a step
   * that way and 14.0 ms lingering, with less CPU in all (28.3 → 26.4 ms a step).
   */
  const linger = (): ReplicaRequest | null => {
    const until = performance.now() + LINGER_MS;
    do {
      const next = receiveMessageOnPort(port);
      if (next !== undefined) return next.message as ReplicaRequest;
    } while (performance.now() < until);
    return null;
  };
  const run = async (first: ReplicaRequest): Promise<void> => {
    let m: ReplicaRequest | null = first;
    while (m !== null) {
      await handle(m);
      m = m.kind === 'train' || m.kind === 'trainOn' ? linger() : null;
    }
  };
  let queue = Promise.resolve();
  port.on('message', (m: ReplicaRequest) => {
    queue = queue.then(() =>
      run(m).catch((e: unknown) => {
        collective.abort();
        port.postMessage({
          kind: 'error',
          message: e instanceof Error ? (e.stack ?? e.message) : String(e),
        });
      }),
    );
  });
  port.postMessage({ kind: 'ready' } satisfies ReplicaReply);
}

if (parentPort !== null) {
  const port = parentPort;
  main(port, workerData as ReplicaData).catch((e: unknown) =>
    port.postMessage({
      kind: 'error',
      message: e instanceof Error ? (e.stack ?? e.message) : String(e),
    }),
  );
}
