/**
 * Seeded, deterministic weight initialisation with PyTorch's defaults: convolution and dense kernels
 * kaiming-uniform with a = √5, which is U(−1/√fan_in, 1/√fan_in); biases U(−1/√fan_in, 1/√fan_in);
 * batch-norm gamma 1, beta 0, moving mean 0, moving variance 1.
 *
 * Each weight draws from its own stream, seeded by the model seed and the weight's key, so a weight's
 * initial value does not change when other layers are added or removed.
 */
import type { Node, Weight } from '../compiler/ir/graph.js';
import { rng } from './data/dataset.js';

/** 32-bit FNV-1a of a string. */
export function hashString(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

/** mulberry32, seeded (one generator for the whole runtime: runtime/data/dataset.ts `rng`). */
export { rng as seededRandom };

function size(shape: readonly number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}

/**
 * fan_in as PyTorch computes it from its own weight layout: the product of every kernel axis but the
 * output one. Depthwise: PyTorch's weight is [cin·m, 1, kh, kw], so fan_in = kh·kw. Transposed: its
 * weight is [cin, filters / groups, kh, kw] and fan_in = (filters / groups)·kh·kw, which is the
 * product of every axis of [kh, kw, filters / groups, cin] but the last, as for the others.
 */
export function fanIn(node: Node): number {
  const kernel = node.weights?.find((w) => w.name === 'kernel' || w.name === 'depthwise_kernel');
  if (!kernel) throw new Error(`${node.name}: no kernel to take fan_in from`);
  const s = kernel.shape;
  if (node.op === 'depthwise_conv2d') return s[0] * s[1];
  return size(s) / s[s.length - 1];
}

/** The initial value of one weight of a node. */
export function initialValue(node: Node, weight: Weight, seed: number): Float32Array {
  const out = new Float32Array(size(weight.shape));
  switch (weight.name) {
    case 'gamma':
    case 'moving_variance':
      return out.fill(1);
    case 'beta':
    case 'moving_mean':
      return out;
    case 'kernel':
    case 'depthwise_kernel':
    case 'bias': {
      const bound = 1 / Math.sqrt(fanIn(node));
      const random = rng(hashString(`${seed}:${node.name}/${weight.name}`));
      for (let i = 0; i < out.length; i++) out[i] = (2 * random() - 1) * bound;
      return out;
    }
    default:
      throw new Error(`${node.name}: no initialiser for weight \`${weight.name}\``);
  }
}
