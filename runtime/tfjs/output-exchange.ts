/**
 * A training step whose loss is computed outside the engine from the model's raw outputs (a
 * detector's yolo loss, runtime/detection/yolo.ts), split over data-parallel replicas
 * (data-parallel.ts). The loss closure sees the whole batch (it holds the batch's ground-truth
 * boxes, and a detector's loss is not a sum of per-row losses that a replica could take alone),
 * and it runs on the main thread, where it was made. So every replica's forward pass ends in an
 * exchange over one SharedArrayBuffer:
 *
 *  1. each replica writes its rows of every output into the buffer, in row order, and passes a
 *     barrier;
 *  2. replica 0 (the main thread) calls the closure on the whole batch's outputs, writes the loss
 *     and dL/d(each output) into the buffer in place of the outputs, and passes a second barrier;
 *  3. each replica takes its rows of the gradients (and the loss, so that every replica skips the
 *     update of a non-finite loss alike) into its backward pass.
 *
 * The buffer holds the loss as a float64, then output k ([total, ...shape_k]) after outputs 0 … k − 1.
 * The closure's cost is serial: the other replicas wait for it at the second barrier.
 */
import type { Images, OutputLoss } from '../train/engine.js';
import type { Collective } from './collective.js';

/** Bytes of an exchange buffer for `floats` output values of the whole batch. */
export const exchangeBytes = (floats: number) => 8 + 4 * floats;

/**
 * The OutputLoss that a replica's forward pass on rows [offset, offset + its rows) of a batch of
 * `total` rows calls: it exchanges the outputs over `buffer` with replicas 0 … ranks − 1 as the
 * module comment says. `loss` is the closure on replica 0, null on the others.
 */
export function shardedOutputsLoss(
  collective: Collective,
  ranks: number,
  buffer: SharedArrayBuffer,
  offset: number,
  total: number,
  loss: OutputLoss | null,
): OutputLoss {
  return (outputs) => {
    const header = new Float64Array(buffer, 0, 1);
    const values = new Float32Array(buffer, 8);
    const n = outputs[0]?.shape[0] ?? 0;
    const per = outputs.map((o) => o.data.length / Math.max(1, n));
    const bases: number[] = [];
    let at = 0;
    for (const p of per) {
      bases.push(at);
      at += total * p;
    }
    if (at > values.length) {
      throw new Error(`output exchange of ${at} values, buffer of ${values.length}`);
    }
    outputs.forEach((o, k) => values.set(o.data, bases[k] + offset * per[k]));
    collective.barrier(ranks);
    if (loss !== null) {
      // Copies: the closure may keep what it is given, and the buffer is overwritten below.
      const whole = outputs.map((o, k) => ({
        data: values.slice(bases[k], bases[k] + total * per[k]),
        shape: [total, ...o.shape.slice(1)],
      }));
      const r = loss(whole);
      r.grads.forEach((g, k) => {
        if (g.length !== total * per[k]) {
          throw new Error(`gradient of output ${k}: ${g.length} values for ${total * per[k]}`);
        }
        values.set(g, bases[k]);
      });
      header[0] = r.loss;
    }
    collective.barrier(ranks);
    return {
      loss: header[0],
      grads: per.map((p, k) => values.slice(bases[k] + offset * p, bases[k] + (offset + n) * p)),
    };
  };
}
