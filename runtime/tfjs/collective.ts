/**
 * Collective operations between the replicas of a data-parallel model (data-parallel.ts), one per
 * thread, over SharedArrayBuffers: a barrier and an all-reduce (sum) of Float32Arrays.
 *
 * The all-reduce is a reduce-scatter then an all-gather through shared memory: every replica writes
 * its vector into its own slot, waits for the others, adds up one chunk of the slots in rank order
 * (in float64, rounded once) into the shared result, waits again and copies the result. The sum of
 * each element is therefore the same whichever replica computed it and on every replica: replicas
 * that apply the same update to the same weights stay equal bit for bit.
 *
 * The calling thread blocks in Atomics.wait (allowed on Node's main thread too). A replica that
 * fails sets the abort flag, and the others leave their wait with an Error instead of hanging.
 */

import { StepTimer } from './step-profile.js';

export interface CollectiveBuffers {
  /** Int32 [count, generation, abort]. */
  readonly ctrl: SharedArrayBuffer;
  /** `size` slots of `capacity` float32 each. */
  readonly slots: SharedArrayBuffer;
  /** `capacity` float32: the sums. */
  readonly result: SharedArrayBuffer;
  readonly size: number;
  readonly capacity: number;
}

export function collectiveBuffers(size: number, capacity: number): CollectiveBuffers {
  return {
    ctrl: new SharedArrayBuffer(4 * 4),
    slots: new SharedArrayBuffer(4 * size * capacity),
    result: new SharedArrayBuffer(4 * capacity),
    size,
    capacity,
  };
}

const COUNT = 0;
const GENERATION = 1;
const ABORT = 2;

export class CollectiveAborted extends Error {
  override readonly name = 'CollectiveAborted';
}

export class Collective {
  private readonly ctrl: Int32Array;
  private readonly slots: Float32Array;
  private readonly result: Float32Array;
  /** Barriers and all-reduces done: a measure of the synchronisation a step needs. */
  syncs = 0;
  /** This replica's step profile (step-profile.ts); records barrier waits while active. */
  readonly timer: StepTimer;

  constructor(
    readonly buffers: CollectiveBuffers,
    readonly rank: number,
  ) {
    this.ctrl = new Int32Array(buffers.ctrl);
    this.slots = new Float32Array(buffers.slots);
    this.result = new Float32Array(buffers.result);
    this.timer = new StepTimer(rank);
  }

  get size(): number {
    return this.buffers.size;
  }

  /** Tells every replica waiting now or later that this one failed. */
  abort(): void {
    Atomics.store(this.ctrl, ABORT, 1);
    Atomics.add(this.ctrl, GENERATION, 1);
    Atomics.notify(this.ctrl, GENERATION);
  }

  get aborted(): boolean {
    return Atomics.load(this.ctrl, ABORT) !== 0;
  }

  /** Waits until `ranks` replicas (ranks 0 … ranks − 1) have called it. */
  barrier(ranks: number): void {
    if (ranks <= 1) return;
    const ctrl = this.ctrl;
    const generation = Atomics.load(ctrl, GENERATION);
    if (this.aborted) throw new CollectiveAborted('another replica failed');
    if (Atomics.add(ctrl, COUNT, 1) === ranks - 1) {
      Atomics.store(ctrl, COUNT, 0);
      Atomics.add(ctrl, GENERATION, 1);
      Atomics.notify(ctrl, GENERATION);
      return;
    }
    const since = this.timer.active ? performance.now() : 0;
    // A short spin first: the peers of a step usually arrive within microseconds of each other.
    for (let spin = 0; spin < 2000; spin++) {
      if (Atomics.load(ctrl, GENERATION) !== generation) break;
    }
    while (Atomics.load(ctrl, GENERATION) === generation) {
      Atomics.wait(ctrl, GENERATION, generation, 1000);
    }
    if (this.timer.active) this.timer.barrier(performance.now() - since);
    if (this.aborted) throw new CollectiveAborted('another replica failed');
  }

  /**
   * The element-wise sum of `local` over replicas 0 … ranks − 1 (each passes a vector of the same
   * length), summed in rank order: the same bits on every replica.
   */
  allReduce(local: Float32Array, ranks: number): Float32Array {
    this.syncs++;
    const n = local.length;
    if (ranks <= 1) return local.slice();
    const { capacity } = this.buffers;
    if (n > capacity) throw new Error(`all-reduce of ${n} values, capacity ${capacity}`);
    this.slots.set(local, this.rank * capacity);
    this.barrier(ranks);
    const lo = Math.floor((this.rank * n) / ranks);
    const hi = Math.floor(((this.rank + 1) * n) / ranks);
    const { slots, result } = this;
    for (let i = lo; i < hi; i++) {
      let s = 0;
      for (let r = 0, at = i; r < ranks; r++, at += capacity) s += slots[at];
      result[i] = s;
    }
    this.barrier(ranks);
    return result.slice(0, n);
  }
}

/** Rows [start, end) of shard `rank` when `total` rows are split over `ranks` replicas. */
export function shardRange(total: number, ranks: number, rank: number): [number, number] {
  return [Math.floor((rank * total) / ranks), Math.floor(((rank + 1) * total) / ranks)];
}
