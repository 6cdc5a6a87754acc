/**
 * Batch norm and local response norm.
 *
 * Batch norm, PyTorch's way: in training mode (and not frozen) it normalises with the batch mean and
 * biased variance and moves its running statistics by running = (1 − m)·running + m·batch, with the
 * unbiased variance; otherwise (inference, or a frozen layer in any mode) it uses the running
 * statistics and leaves them alone.
 *
 * In training on wasm with WebAssembly SIMD, the statistics, the normalisation and its gradient are
 * four kernels (simd-norm.ts) in one op with its own gradient; elsewhere, tfjs ops that tfjs
 * differentiates one by one. Data-parallel, both take the whole batch's statistics from the
 * replicas (BatchShard.exchange).
 */
import type * as tfjs from '@tensorflow/tfjs';
import type { LowerContext, OpLowering, ShardExchange, TF } from './lower-context.js';
import { need } from './lower-context.js';
import { BN_KERNELS, fusedBatchNormReady } from './simd-norm.js';

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
  const { exchange } = ctx.shard;
  const unbiased = count > 1 ? count / (count - 1) : 1;
  if (fusedBatchNormReady(tf, x)) {
    const stats = fusedMoments(tf, x, exchange);
    moveRunning(tf, runningMean, stats.mean, momentum, 1);
    moveRunning(tf, runningVar, stats.variance, momentum, unbiased);
    // The inverse deviation as the unfused lowering rounds it: rsqrt(variance + ε) in float32.
    const inv = tf.tidy(
      () => tf.rsqrt(tf.add(tf.tensor1d(stats.variance), epsilon)).dataSync() as Float32Array,
    );
    return fusedNormalise(ctx, x, { gamma, beta }, { ...stats, inv }, exchange);
  }
  const { mean, variance } = exchange
    ? wholeBatchMoments(tf, exchange, x, axes)
    : tf.moments(x, axes);
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
 * running ← running·(1 − m) + batch·(m·factor), in JavaScript rounding to float32 after every
 * operation: the bits of the tfjs ops of the unfused lowering, without their six dispatches.
 */
export function moveRunning(
  tf: TF,
  running: tfjs.Variable,
  batch: Float32Array,
  momentum: number,
  factor: number,
): void {
  const f = Math.fround;
  const old = running.dataSync();
  const [keep, take] = [f(1 - momentum), f(momentum * factor)];
  const next = batch.map((b, c) => f(f(old[c] * keep) + f(b * take)));
  tf.tidy(() => running.assign(tf.tensor(next, running.shape)));
}

/**
 * The mean and biased variance of the whole batch from every replica's part: its mean and Σ(x −
 * mean_r)² per channel (two passes, as tf.moments) and its row count n_r (the last value), combined
 * in rank order as Chan, Golub and LeVeque's parallel variance does: mean = Σ n_r mean_r / N,
 * M2 = Σ M2_r + Σ n_r (mean_r − mean)², in float64, the same bits on every replica. One part gives
 * its own mean (the centre of its M2: a float32 sum, rounded before the division, is an ulp off at
 * large means) and M2/n.
 */
function combineMoments(parts: readonly Float32Array[], channels: number) {
  let total = 0;
  for (const p of parts) total += p[2 * channels];
  const mean = new Float32Array(channels);
  const variance = new Float32Array(channels);
  for (let c = 0; c < channels; c++) {
    let s = 0;
    for (const p of parts) s += p[c] * p[2 * channels];
    const m = s / total;
    let m2 = 0;
    for (const p of parts) {
      const d = p[c] - m;
      m2 += p[channels + c] + p[2 * channels] * d * d;
    }
    mean[c] = m;
    variance[c] = m2 / total;
  }
  return { mean, variance, total };
}

/** The whole batch's statistics from the fused moments kernel, exchanged once. */
function fusedMoments(tf: TF, x: tfjs.Tensor, exchange: ShardExchange | null) {
  const channels = x.shape[x.rank - 1];
  const local = new Float32Array(2 * channels + 1);
  const stats = tf.engine().runKernel<tfjs.Tensor>(BN_KERNELS.moments, { x });
  local.set(stats.dataSync());
  stats.dispose();
  local[2 * channels] = x.size / channels;
  return combineMoments(exchange ? exchange.allGather(local) : [local], channels);
}

/**
 * ((x − mean)·inv)·gamma + beta as one op, with its gradient: from Σdy and Σdy·x̂ over the whole
 * batch (all-reduced over the replicas), dx = gamma·inv/N·(N·dy − Σdy − x̂·Σdy·x̂), folded into
 * dx = dy·p + q − (x − mean)·r per channel; dgamma = Σdy·x̂ and dbeta = Σdy over this replica's
 * rows (the engine sums weight gradients over the replicas).
 */
function fusedNormalise(
  ctx: LowerContext,
  x: tfjs.Tensor,
  weights: { gamma: tfjs.Variable | undefined; beta: tfjs.Variable | undefined },
  stats: { mean: Float32Array; inv: Float32Array; total: number },
  exchange: ShardExchange | null,
): tfjs.Tensor {
  const { tf } = ctx;
  const { gamma, beta } = weights;
  const { mean, inv, total } = stats;
  const C = mean.length;
  const g = gamma ? (gamma.dataSync() as Float32Array) : null;
  const op = tf.customGrad((...args) => {
    const save = args[args.length - 1] as tfjs.GradSaveFunc;
    const xt = args[0] as tfjs.Tensor;
    save([xt]);
    const y = tf.tidy(() => {
      const inputs: tfjs.NamedTensorMap = { x: xt, mean: tf.tensor1d(mean), inv: tf.tensor1d(inv) };
      if (gamma) inputs['gamma'] = gamma;
      if (beta) inputs['beta'] = beta;
      return tf.engine().runKernel<tfjs.Tensor>(BN_KERNELS.apply, inputs);
    });
    const gradFunc = (dy: tfjs.Tensor, saved: tfjs.Tensor[]): tfjs.Tensor[] =>
      tf.tidy(() => {
        const xs = saved[0];
        const meanT = tf.tensor1d(mean);
        const sums = tf.engine().runKernel<tfjs.Tensor>(BN_KERNELS.gradSums, {
          x: xs,
          dy,
          mean: meanT,
        });
        const local = sums.dataSync() as Float32Array;
        const whole = exchange ? exchange.allReduce(local) : local;
        const [p, q, r, dGamma, dBeta] = Array.from({ length: 5 }, () => new Float32Array(C));
        for (let c = 0; c < C; c++) {
          const pc = (g ? g[c] : 1) * inv[c];
          p[c] = pc;
          q[c] = (-whole[c] * pc) / total;
          r[c] = (inv[c] * inv[c] * whole[C + c] * pc) / total;
          dGamma[c] = local[C + c] * inv[c];
          dBeta[c] = local[c];
        }
        const dx = tf.engine().runKernel<tfjs.Tensor>(BN_KERNELS.grad, {
          x: xs,
          dy,
          mean: meanT,
          p: tf.tensor1d(p),
          q: tf.tensor1d(q),
          r: tf.tensor1d(r),
        });
        const grads = [dx];
        if (gamma) grads.push(tf.tensor(dGamma, gamma.shape));
        if (beta) grads.push(tf.tensor(dBeta, beta.shape));
        return grads;
      });
    return { value: y, gradFunc };
  });
  const inputs: tfjs.Tensor[] = [x];
  if (gamma) inputs.push(gamma);
  if (beta) inputs.push(beta);
  return op(...inputs);
}

/**
 * The mean and biased variance over `axes` of the whole batch when x is one replica's rows (as
 * tf.moments of the whole batch would give them), in one exchange each way (see combineMoments).
 * Backwards, the gradients of mean and variance are summed over the replicas (every replica's rows
 * use them), and dL/dx = (g_mean + 2 g_var (x − mean)) / N.
 */
function wholeBatchMoments(
  tf: TF,
  exchange: ShardExchange,
  x: tfjs.Tensor,
  axes: number[],
): { mean: tfjs.Tensor; variance: tfjs.Tensor } {
  const channels = x.shape[x.rank - 1];
  const stats = tf.customGrad((input, save) => {
    const t = input as tfjs.Tensor;
    const count = t.size / channels;
    const local = new Float32Array(2 * channels + 1);
    tf.tidy(() => {
      const mean = tf.div(tf.sum(t, axes), count);
      local.set(mean.dataSync(), 0);
      local.set(tf.sum(tf.square(tf.sub(t, mean)), axes).dataSync(), channels);
    });
    local[2 * channels] = count;
    const { mean, variance, total } = combineMoments(exchange.allGather(local), channels);
    (save as tfjs.GradSaveFunc)([t]);
    return {
      value: tf.tensor2d([...mean, ...variance], [2, channels]),
      gradFunc: (dy: tfjs.Tensor, saved: tfjs.Tensor[]) => {
        const g = exchange.allReduce(dy.dataSync() as Float32Array);
        return tf.tidy(() => {
          const gMean = tf.tensor1d(g.subarray(0, channels));
          const gVar = tf.tensor1d(g.subarray(channels));
          const centred = tf.sub(saved[0], tf.tensor1d(mean));
          return tf.div(tf.add(gMean, tf.mul(tf.mul(gVar, 2), centred)), total);
        });
      },
    };
  });
  const [mean, variance] = tf.unstack(stats(x) as tfjs.Tensor2D);
  return { mean, variance };
}

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
