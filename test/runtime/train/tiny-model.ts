/** A hand-made TrainableModel for tests: flatten → dense(k) [→ softmax], from seeded tf variables. */
import * as tf from '@tensorflow/tfjs';
import { rng } from '../../../runtime/data/dataset.js';
import type { TrainableModel } from '../../../runtime/tfjs/model.js';

export async function cpuTf(): Promise<typeof tf> {
  await tf.setBackend('cpu');
  await tf.ready();
  return tf;
}

export function tinyModel(
  inputShape: readonly number[],
  classes: number,
  seed = 42,
  prefix = 'dense',
): TrainableModel {
  const fanIn = inputShape.reduce((a, b) => a * b, 1);
  const r = rng(seed);
  const bound = 1 / Math.sqrt(fanIn);
  const k = Float32Array.from({ length: fanIn * classes }, () => (r() * 2 - 1) * bound);
  const kernel = tf.variable(tf.tensor2d(k, [fanIn, classes]), true);
  const bias = tf.variable(tf.zeros([classes]), true);
  const logits = (x: tf.Tensor) =>
    tf.tidy(() => x.reshape([x.shape[0], fanIn]).matMul(kernel).add(bias));
  return {
    params: new Map([
      [`${prefix}/kernel`, kernel],
      [`${prefix}/bias`, bias],
    ]),
    buffers: new Map(),
    trainable: [kernel, bias],
    inputShape,
    endsInSoftmax: true,
    logits,
    apply: (x) => tf.tidy(() => tf.softmax(logits(x))),
    dispose: () => tf.dispose([kernel, bias]),
  };
}
