/**
 * Weight initialisation schemes (the train block's `init`). Batch norm always starts at gamma 1,
 * beta 0, moving mean 0, moving variance 1; kernels and biases follow the scheme:
 *
 *   default  PyTorch's defaults: kernels kaiming-uniform with a = √5, which is
 *            U(−1/√fan_in, 1/√fan_in); biases U(−1/√fan_in, 1/√fan_in)
 *   he       He (kaiming) normal for ReLU nets: kernels N(0, 2/fan_in); biases 0
 *   glorot   Glorot (Xavier) uniform, Keras's default; biases 0
 *
 * runtime/init.ts draws the values; the emitted PyTorch train.py draws the same ones.
 */
export const INIT_SCHEMES = ['default', 'he', 'glorot'] as const;
export type InitScheme = (typeof INIT_SCHEMES)[number];
