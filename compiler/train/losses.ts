/**
 * Losses, each the mean over the batch of [n, k] model outputs against integer labels:
 *
 *   categorical  softmax cross-entropy from the logits, via log-softmax (numerically stable; the
 *                loop passes the pre-softmax output also when the model ends in softmax)
 *   binary       binary cross-entropy of the outputs (probabilities, clipped to [1e-7, 1 − 1e-7])
 *                against one-hot targets, or against the 0/1 label when k = 1; mean over n·k
 *   mse          mean squared error of the outputs against one-hot targets; mean over n·k
 *
 * runtime/tfjs/losses.ts and runtime/reference/losses.ts implement them, and so does the emitted
 * PyTorch train.py (compiler/codegen/pytorch).
 */
export const LOSSES = ['categorical', 'binary', 'mse'] as const;
export type LossKind = (typeof LOSSES)[number];
