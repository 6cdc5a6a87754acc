/**
 * Collective operations between the replicas of a data-parallel model (data-parallel.ts), one per
 * thread, over SharedArrayBuffers: a barrier, an all-gather and an all-reduce (sum) of
 * Float32Arrays.
 *
 * Every barrier can cost a wake-up of a sleeping thread (tens of microseconds on a quiet machine,
 * milliseconds on a loaded one), so the collectives pass as few as they can:
 *  - a small vector (at most SMALL floats: batch norm's statistics, the gradients of a small
 *    model) takes one barrier. Each replica writes its vector into its slot of one of two slot sets
 *    (by the parity of the barrier generation, so they are used in turn), passes the barrier and
 *    reads every replica's slot; summing, it adds them up in rank order itself. A slot set is
 *    written again two barriers later, when every replica has passed the barrier between and so
 *    has finished reading it.
 *  - a large one is a reduce-scatter then an all-gather, two barriers. Replica r sums elements
 *    [lo_r, hi_r) (shardRange), so it writes into its slot only the elements outside its range
 *    (the others read those), waits, sums its range from its own vector and the others' slots in
 *    rank order into its vector and the shared result, waits again and copies the others' ranges
 *    of the result. With two replicas the sum is one float32 add per element, which a SIMD kernel
 *    on the wasm heap does (PairAdd; half ResNet-18's 11.2M gradients, 5.6M floats, copied in and
 *    added: 7.6 ms of CPU against the JavaScript loop's 12.9 on a loaded machine).
 *  - a sharded optimiser step (sharded-optimizer.ts) splits the same by variables instead of
 *    ranges: reduceScatterOwned sums each replica's own variables only, and shareOwned passes the
 *    updated weights, one barrier each.
 * Sums are taken in float64 in rank order and rounded once, so each element's sum is the same
 * whichever replica computed it and on every replica: replicas that apply the same update to the
 * same weights stay equal bit for bit.
 *
 * The calling thread blocks in Atomics.wait (allowed on Node's main thread too) after a spin.
 * A replica that fails sets the abort flag, and the others leave their wait with an Error instead
 * of hanging.
 */
import { StepTimer } from './step-profile.js';

/** Loads of the generation word before a barrier sleeps in Atomics.wait. */
const SPIN_LOADS = 100_000;

/** The longest vector that takes the one-barrier path. */
export const SMALL = 1 << 16;

/**
 * own[from, to) += other (to − from floats) in float32, as a faster loop than JavaScript's can
 * (fused-update.ts heapAdder: a SIMD kernel on the wasm heap where `own` lives).
 */
export type PairAdd = (own: Float32Array, from: number, to: number, other: Float32Array) => void;

/** The owner of a part that every replica sums (reduceScatterOwned). */
export const EVERY = -1;

export interface CollectiveBuffers {
  /** Int32 [count, generation, abort]. */
  readonly ctrl: SharedArrayBuffer;
  /** `size` slots of `capacity` float32 each (large all-reduces). */
  readonly slots: SharedArrayBuffer;
  /** `capacity` float32: the sums. */
  readonly result: SharedArrayBuffer;
  /** Two sets of `size` slots of `small` float32 each (one-barrier collectives). */
  readonly smallSlots: SharedArrayBuffer;
  readonly size: number;
  readonly capacity: number;
  /** min(capacity, SMALL). */
  readonly small: number;
}

export function collectiveBuffers(size: number, capacity: number): CollectiveBuffers {
  const small = Math.min(capacity, SMALL);
  return {
    ctrl: new SharedArrayBuffer(4 * 4),
    slots: new SharedArrayBuffer(4 * size * capacity),
    result: new SharedArrayBuffer(4 * capacity),
    smallSlots: new SharedArrayBuffer(4 * 2 * size * small),
    size,
    capacity,
    small,
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
  private readonly smallSlots: Float32Array;
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
    this.smallSlots = new Float32Array(buffers.smallSlots);
    this.timer = new StepTimer(rank);
  }

  get size(): number {
    return this.buffers.size;
  }

  /**
   * The slot set of a one-barrier collective: the parity of the barrier generation, which every
   * replica taking part reads alike (it changes only when all of them have arrived at the
   * barrier), also when replicas that sat a step out (a batch of fewer rows than threads) join
   * again, and which has moved on by one barrier when a set is used again two calls later.
   */
  private smallSet(): number {
    return Atomics.load(this.ctrl, GENERATION) & 1;
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
    if (!spinUntilMoved(ctrl, generation)) sleepUntilMoved(ctrl, generation);
    if (this.timer.active) this.timer.barrier(performance.now() - since);
    if (this.aborted) throw new CollectiveAborted('another replica failed');
  }

  /**
   * Every replica's vector (replicas 0 … ranks − 1 each pass one of the same length, at most
   * `buffers.small`), in rank order, after one barrier. The arrays are views of shared memory,
   * valid until this replica's second collective call from now.
   */
  allGather(local: Float32Array, ranks: number): Float32Array[] {
    this.syncs++;
    const n = local.length;
    if (ranks <= 1) return [local];
    const { small, size } = this.buffers;
    if (n > small) throw new Error(`all-gather of ${n} values, capacity ${small}`);
    const base = this.smallSet() * size * small;
    this.smallSlots.set(local, base + this.rank * small);
    this.barrier(ranks);
    return Array.from({ length: ranks }, (_, r) =>
      this.smallSlots.subarray(base + r * small, base + r * small + n),
    );
  }

  /**
   * The element-wise sum of `local` over replicas 0 … ranks − 1 (each passes a vector of the same
   * length), summed in rank order: the same bits on every replica.
   */
  allReduce(local: Float32Array, ranks: number): Float32Array {
    const out = local.slice();
    this.allReduceInPlace([out], ranks);
    return out;
  }

  /**
   * allReduce of the concatenation of `parts` (the same lengths on every replica), written back
   * into them: the gradients are summed in the wasm heap where tfjs keeps them, without copies.
   */
  allReduceInPlace(
    parts: readonly Float32Array[],
    ranks: number,
    add: PairAdd | null = null,
  ): void {
    this.syncs++;
    if (ranks <= 1) return;
    let n = 0;
    for (const p of parts) n += p.length;
    const { small, size, capacity } = this.buffers;
    if (n <= small) {
      const base = this.smallSet() * size * small;
      const slots = this.smallSlots;
      let at = base + this.rank * small;
      for (const p of parts) {
        slots.set(p, at);
        at += p.length;
      }
      this.barrier(ranks);
      const set = slots.subarray(base);
      at = 0;
      for (const p of parts) {
        sumInto(p, 0, p.length, set, at, small, ranks, this.rank);
        at += p.length;
      }
      return;
    }
    if (n > capacity) throw new Error(`all-reduce of ${n} values, capacity ${capacity}`);
    const { slots, result, rank } = this;
    // Reduce-scatter: this replica sums elements [lo, hi). The others read only the elements
    // outside it from its slot, and it reads its own from its heap.
    const [lo, hi] = shardRange(n, ranks, rank);
    const mine = rank * capacity;
    const publish = (p: Float32Array, from: number, to: number, at: number) =>
      slots.set(p.subarray(from, to), mine + at);
    forEachPiece(parts, 0, lo, publish);
    forEachPiece(parts, hi, n, publish);
    this.barrier(ranks);
    forEachPiece(parts, lo, hi, (p, from, to, at) => {
      sumInto(p, from, to, slots, at, capacity, ranks, rank, add);
      result.set(p.subarray(from, to), at);
    });
    this.barrier(ranks);
    // All-gather: every replica copies the others' ranges of the result.
    const fetch = (p: Float32Array, from: number, to: number, at: number) =>
      p.set(result.subarray(at, at + to - from), from);
    forEachPiece(parts, 0, lo, fetch);
    forEachPiece(parts, hi, n, fetch);
  }

  /**
   * The first half of a sharded optimiser step (ZeRO, sharded-optimizer.ts): the sum over
   * replicas 0 … ranks − 1, in rank order as allReduceInPlace sums, of the parts this replica owns
   * (owners[k] = its rank) and of those every replica needs (owners[k] = EVERY), written into them;
   * the other parts are left as they were. Each replica writes into its slot only the parts that
   * others sum. One barrier.
   */
  reduceScatterOwned(
    parts: readonly Float32Array[],
    owners: readonly number[],
    ranks: number,
    add: PairAdd | null = null,
  ): void {
    this.syncs++;
    if (ranks <= 1) return;
    const { slots, rank } = this;
    const { capacity } = this.buffers;
    const mine = rank * capacity;
    let at = 0;
    for (const [k, p] of parts.entries()) {
      if (owners[k] !== rank) slots.set(p, mine + at);
      at += p.length;
    }
    if (at > capacity) throw new Error(`all-reduce of ${at} values, capacity ${capacity}`);
    this.barrier(ranks);
    at = 0;
    for (const [k, p] of parts.entries()) {
      if (owners[k] === rank || owners[k] === EVERY)
        sumInto(p, 0, p.length, slots, at, capacity, ranks, rank, add);
      at += p.length;
    }
  }

  /**
   * The second half: every replica publishes the parts it owns (`owned(k)`, of `lengths[k]`
   * floats), passes one barrier and is given every part another replica owns (`take(k, values)`;
   * values is a view of shared memory, valid until the next large collective).
   */
  shareOwned(
    lengths: readonly number[],
    owners: readonly number[],
    ranks: number,
    owned: (k: number) => Float32Array,
    take: (k: number, values: Float32Array) => void,
  ): void {
    this.syncs++;
    if (ranks <= 1) return;
    const { result, rank } = this;
    let at = 0;
    for (const [k, n] of lengths.entries()) {
      if (owners[k] === rank) result.set(owned(k), at);
      at += n;
    }
    this.barrier(ranks);
    at = 0;
    for (const [k, n] of lengths.entries()) {
      if (owners[k] !== rank && owners[k] !== EVERY) take(k, result.subarray(at, at + n));
      at += n;
    }
  }
}

/**
 * Calls `f(part, from, to, at)` for every piece of elements [lo, hi) of the concatenation of
 * `parts`: part elements [from, to), at offset `at` of the concatenation.
 */
export function forEachPiece(
  parts: readonly Float32Array[],
  lo: number,
  hi: number,
  f: (part: Float32Array, from: number, to: number, at: number) => void,
): void {
  let at = 0;
  for (const p of parts) {
    const end = at + p.length;
    if (end > lo && at < hi) {
      const from = Math.max(lo, at);
      f(p, from - at, Math.min(hi, end) - at, from);
    }
    if (end >= hi) return;
    at = end;
  }
}

/**
 * own[i] = Σ_r (r = rank ? own[i] : slots[r·stride + at + i − from]) for i in [from, to), r in
 * 0 … ranks − 1 in order, in float64 rounded once: the other replicas' values from their slots,
 * this one's from where it keeps them. With two replicas, `add` does it where given.
 */
export function sumInto(
  own: Float32Array,
  from: number,
  to: number,
  slots: Float32Array,
  at: number,
  stride: number,
  ranks: number,
  rank: number,
  add: PairAdd | null = null,
): void {
  const shift = at - from;
  if (ranks === 2) {
    // float32 + float32 rounded once; addition commutes, so the order of the two is free.
    const other = (1 - rank) * stride + shift;
    if (add) return add(own, from, to, slots.subarray(other + from, other + to));
    for (let i = from; i < to; i++) own[i] += slots[other + i];
    return;
  }
  for (let i = from; i < to; i++) {
    let s = 0;
    for (let r = 0, k = shift + i; r < ranks; r++, k += stride) s += r === rank ? own[i] : slots[k];
    own[i] = s;
  }
}

/**
 * Spins on the barrier's generation word for up to SPIN_LOADS loads (~0.1–0.3 ms); whether it
 * moved on from `generation`. The peers of a step usually arrive within that, and a thread woken
 * from Atomics.wait starts late: 100,000 loads against 2,000 took the yardstick on 2 threads from
 * 15.5–15.7 to 14.4–14.7 ms a step (alternating runs after a 100-step warm-up).
 *
 * A function of its own so that V8 compiles the hot loop once: inlined in `barrier`, the loop was
 * compiled on the stack (OSR) with no type feedback for the code after it, which deoptimised on
 * leaving the loop, three times a yardstick step, and V8 compiled it again every time (879
 * deoptimisations in 300 steps, and TurboFan busy on the cores the replicas need).
 */
function spinUntilMoved(ctrl: Int32Array, generation: number): boolean {
  for (let spin = 0; spin < SPIN_LOADS; spin++) {
    if (Atomics.load(ctrl, GENERATION) !== generation) return true;
  }
  return false;
}

/** Sleeps until the barrier's generation word moves on from `generation`. */
function sleepUntilMoved(ctrl: Int32Array, generation: number): void {
  while (Atomics.load(ctrl, GENERATION) === generation) {
    Atomics.wait(ctrl, GENERATION, generation, 1000);
  }
}

/** Rows [start, end) of shard `rank` when `total` rows are split over `ranks` replicas. */
export function shardRange(total: number, ranks: number, rank: number): [number, number] {
  return [Math.floor((rank * total) / ranks), Math.floor(((rank + 1) * total) / ranks)];
}
