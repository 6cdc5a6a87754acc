/** The losses of runtime/train/losses.ts on tf tensors. */
import type * as tfjs from '@tensorflow/tfjs';
import type { LossKind } from '../train/losses.js';
import type { TrainableModel } from './model.js';
import type { Tf } from './optimizers.js';

export function lossOf(tf: Tf, out: tfjs.Tensor2D, y: tfjs.Tensor1D, loss: LossKind): tfjs.Scalar {
  const k = out.shape[1];
  const target: tfjs.Tensor2D =
    k === 1
      ? (y.cast('float32').reshape([-1, 1]) as tfjs.Tensor2D)
      : tf.oneHot(y, k).cast('float32');
  if (loss === 'categorical')
    return tf.logSoftmax(out).mul(target).sum(1).mean().neg() as tfjs.Scalar;
  if (loss === 'mse') return out.sub(target).square().mean() as tfjs.Scalar;
  const p = out.clipByValue(1e-7, 1 - 1e-7);
  const one = tf.scalar(1);
  return target
    .mul(p.log())
    .add(one.sub(target).mul(one.sub(p).log()))
    .mean()
    .neg() as tfjs.Scalar;
}

/** The model output a loss works on, as [n, k]: logits for categorical, outputs otherwise. */
export function lossInput(
  model: TrainableModel,
  x: tfjs.Tensor,
  loss: LossKind,
  training: boolean,
): tfjs.Tensor2D {
  const out = loss === 'categorical' ? model.logits(x, training) : model.apply(x, training);
  return out.reshape([out.shape[0], -1]);
}

/** Predicted classes of [n, k] outputs: argmax, or output > 0.5 when k = 1. */
export function predictions(out: tfjs.Tensor2D): tfjs.Tensor1D {
  return out.shape[1] === 1
    ? (out.reshape([-1]).greater(0.5).cast('int32') as tfjs.Tensor1D)
    : (out.argMax(-1) as tfjs.Tensor1D);
}
