/**
 * The sharded optimiser step of data-parallel training (data-parallel.ts; ZeRO stage 1 and 2,
 * inside one process). Instead of every replica summing every gradient and applying the same
 * update to all of its weights, each replica owns a fixed set of whole variables (ownersBySize):
 *
 *   1. reduce-scatter (Collective.reduceScatterOwned): each replica sums, in rank order, only the
 *      gradients of the variables it owns (the loss and hit count: every replica);
 *   2. it applies the optimiser to those variables only, and only it keeps their slots
 *      (velocity, Adam's moments);
 *   3. all-gather of weights (Collective.shareOwned): it publishes their new values in shared
 *      memory, and after one barrier every replica copies in the others'.
 *
 * The update of each variable is the same float32 arithmetic on the same summed gradient as on
 * every replica before, so the weights are the same bits; global-norm clipping sums the per-
 * variable squares that every owner computes (a small all-reduce) in variable order as one
 * thread does. A step with fewer rows than threads (some replicas sit it out) runs the replicated
 * update instead: data-parallel.ts gathers the state first and hands it back out after.
 *
 * The optimiser state (checkpoints) is gathered from the owners on request (gatherState): each
 * worker publishes the slots it keeps into shared memory, which the main thread reads after one
 * barrier; it is the state the replicated update would have, slot for slot.
 */
import { SLOTS, type OptimizerName } from '../../compiler/train/optimizers.js';
import type { OptimizerState, SavedTensor } from '../train/optimizer-config.js';
import type { Collective } from './collective.js';

/**
 * Below this many trainable floats the replicated update runs: sharding adds a barrier (the
 * all-gather of weights) and a copy and a tensor per variable, which pays only where the
 * optimiser's memory traffic is large. Measured on the 2-vCPU Xeon, 2 threads, CPU ms per step
 * per replica of all-reduce + optimiser (bench-threads.js profile, a loaded machine): LeNet-5
 * (62K floats) 1.3–1.9 replicated against 1.7–2.5 sharded, the yardstick (30K) 1.7–2.6 against
 * 2.0–3.0 (no gain, more barriers); ResNet-18 (11.2M) 39 against 30. Between, unmeasured: the
 * threshold sits at 1M, well above the small models.
 */
export const SHARD_MIN_FLOATS = 1 << 20;

/** 'auto': by SHARD_MIN_FLOATS; 'always' and 'never' for tests and measurements. */
export type ShardMode = 'auto' | 'always' | 'never';

/** Whether a sharded step is used for a model of `floats` trainable floats on `threads` threads. */
export function shards(mode: ShardMode, floats: number, threads: number): boolean {
  if (threads < 2 || mode === 'never') return false;
  return mode === 'always' || floats >= SHARD_MIN_FLOATS;
}

/**
 * The owner of each variable (of `sizes[i]` floats) among `ranks` replicas: the largest first,
 * each to the replica that owns the fewest floats so far (the lowest rank on a tie). Fixed for a
 * model and thread count: every replica computes the same.
 */
export function ownersBySize(sizes: readonly number[], ranks: number): number[] {
  const order = sizes.map((_, i) => i).sort((a, b) => sizes[b] - sizes[a] || a - b);
  const load = new Array<number>(ranks).fill(0);
  const owners = new Array<number>(sizes.length).fill(0);
  for (const i of order) {
    let best = 0;
    for (let r = 1; r < ranks; r++) if (load[r] < load[best]) best = r;
    owners[i] = best;
    load[best] += sizes[i];
  }
  return owners;
}

/** What the state's exchange needs to know of the model. */
export interface StateLayout {
  readonly optimizer: OptimizerName;
  /** The trainable variables' names (checkpoint names), shapes and sizes, in order. */
  readonly names: readonly string[];
  readonly shapes: readonly (readonly number[])[];
  readonly sizes: readonly number[];
  readonly owners: readonly number[];
}

/** Float offset of slot s of variable i in the slots buffer: slot s's area, then i's offset. */
function slotOffsets(
  layout: StateLayout,
  { capacity, size }: Collective['buffers'],
): (s: number, i: number) => number {
  const starts: number[] = [];
  let at = 0;
  for (const n of layout.sizes) {
    starts.push(at);
    at += n;
  }
  if (SLOTS[layout.optimizer].length > size || at > capacity)
    throw new Error(`optimizer state of ${at} floats, capacity ${capacity}`);
  return (s, i) => s * capacity + starts[i];
}

/**
 * A worker's half of gatherState: writes the slots it keeps (its partial state) into the
 * collective's slot buffer, then passes the barrier that the main thread waits at.
 */
export function publishState(
  collective: Collective,
  layout: StateLayout,
  state: OptimizerState,
  threads: number,
): void {
  const slots = new Float32Array(collective.buffers.slots);
  const offset = slotOffsets(layout, collective.buffers);
  const saved = new Map(state.slots.map((t) => [t.name, t]));
  layout.names.forEach((p, i) => {
    if (layout.owners[i] !== collective.rank) return;
    SLOTS[layout.optimizer].forEach((s, k) => {
      const t = saved.get(`${p}/${s}`);
      if (t) slots.set(t.data, offset(k, i));
    });
  });
  collective.barrier(threads);
}

/**
 * The main thread's half: the whole state, in the layout of the replicated optimiser's getState,
 * from replica 0's partial state and the slots the workers published. The caller has asked every
 * worker to publish (a message) before; this blocks at the barrier until they have.
 */
export function gatherState(
  collective: Collective,
  layout: StateLayout,
  own: OptimizerState,
  threads: number,
): OptimizerState {
  collective.barrier(threads);
  const slots = new Float32Array(collective.buffers.slots);
  const offset = slotOffsets(layout, collective.buffers);
  const mine = new Map(own.slots.map((t) => [t.name, t]));
  const out: SavedTensor[] = [];
  layout.names.forEach((p, i) => {
    SLOTS[layout.optimizer].forEach((s, k) => {
      const name = `${p}/${s}`;
      const t = layout.owners[i] === 0 ? mine.get(name) : undefined;
      const data = t?.data ?? slots.slice(offset(k, i), offset(k, i) + layout.sizes[i]);
      out.push({ name, shape: layout.shapes[i], data });
    });
  });
  return { name: own.name, step: own.step, slots: out };
}
