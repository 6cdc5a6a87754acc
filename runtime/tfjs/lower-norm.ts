/**
 * Batch norm and local response norm.
 *
 * Batch norm, PyTorch's way: in training mode (and not frozen) it normalises with the batch mean and
 * biased variance and moves its running statistics by running = (1 − m)·running + m·batch, with the
 * unbiased variance; otherwise (inference, or a frozen layer in any mode) it uses the running
 * statistics and leaves them alone.
 */
import type * as tfjs from '@tensorflow/tfjs';
import type { OpLowering } from './lower-context.js';
import { need } from './lower-context.js';

export const lowerBatchNorm: OpLowering<'batch_norm'> = (ctx, node, [x]) => {
  const { tf } = ctx;
  const { epsilon, momentum } = node.attrs;
  const gamma = ctx.weight(node, 'gamma');
  const beta = ctx.weight(node, 'beta');
  const runningMean = need(ctx, node, 'moving_mean');
  const runningVar = need(ctx, node, 'moving_variance');
  const affine = (normalised: tfjs.Tensor): tfjs.Tensor => {
    const scaled = gamma ? tf.mul(normalised, gamma) : normalised;
    return beta ? tf.add(scaled, beta) : scaled;
  };
  if (!ctx.training || node.frozen) {
    const inv = tf.rsqrt(tf.add(runningVar, epsilon));
    return affine(tf.mul(tf.sub(x, runningMean), inv));
  }
  const axes = Array.from({ length: x.rank - 1 }, (_, i) => i);
  // Data-parallel: the statistics of the whole batch, combined over the replicas.
  const rows = ctx.shard.total ?? x.shape[0];
  const count = (x.size / x.shape[x.rank - 1]) * (rows / x.shape[0]);
  const { mean, variance } = (ctx.shard.moments ?? tf.moments)(x, axes);
  const unbiased = count > 1 ? count / (count - 1) : 1;
  const nextMean = tf.tidy(() => tf.add(tf.mul(runningMean, 1 - momentum), tf.mul(mean, momentum)));
  const nextVar = tf.tidy(() =>
    tf.add(tf.mul(runningVar, 1 - momentum), tf.mul(variance, momentum * unbiased)),
  );
  runningMean.assign(nextMean);
  runningVar.assign(nextVar);
  const normalised = tf.mul(tf.sub(x, mean), tf.rsqrt(tf.add(variance, epsilon)));
  return affine(normalised);
};

/**
 * PyTorch's LocalResponseNorm: b_c = a_c / (k + alpha/size · Σ a²)^beta, the sum over channels
 * c − ⌊size/2⌋ … c + ⌊(size − 1)/2⌋ with zeros outside (tf.localResponseNormalization has other
 * constants and only odd windows).
 */
export const lowerLrn: OpLowering<'lrn'> = (ctx, node, [x]) => {
  const { tf } = ctx;
  const { size, alpha, beta, k } = node.attrs;
  const last = x.rank - 1;
  const channels = x.shape[last];
  const pads: [number, number][] = x.shape.map(() => [0, 0]);
  pads[last] = [Math.floor(size / 2), Math.floor((size - 1) / 2)];
  const squares = tf.pad(tf.square(x), pads);
  const begin = x.shape.map(() => 0);
  let sum: tfjs.Tensor | null = null;
  for (let j = 0; j < size; j++) {
    begin[last] = j;
    const part = tf.slice(squares, [...begin], x.shape);
    sum = sum ? tf.add(sum, part) : part;
  }
  if (!sum || channels < 1) return x;
  const div = tf.pow(tf.add(tf.mul(sum, alpha / size), k), beta);
  return tf.div(x, div);
};
