/**
 * Seeded, deterministic weight initialisation. Batch norm always starts at gamma 1, beta 0, moving
 * mean 0, moving variance 1. Kernels and biases follow a scheme (train block `init`):
 *
 *   default  PyTorch's defaults: kernels kaiming-uniform with a = √5, which is
 *            U(−1/√fan_in, 1/√fan_in); biases U(−1/√fan_in, 1/√fan_in)
 *   he       He (kaiming) normal for ReLU nets: kernels N(0, 2/fan_in) (PyTorch's
 *            kaiming_normal_, mode fan_in); biases 0
 *   glorot   Glorot (Xavier) uniform, Keras's default: kernels U(±√(6/(fan_in + fan_out))) with
 *            Keras's fans (receptive field × input and × output channels); biases 0
 *
 * Each weight draws from its own stream, seeded by the model seed and the weight's key, so a weight's
 * initial value does not change when other layers are added or removed.
 */
import type { Node, Weight } from '../compiler/ir/graph.js';
import type { InitScheme } from '../compiler/train/init-schemes.js';
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

export { INIT_SCHEMES, type InitScheme } from '../compiler/train/init-schemes.js';

/** Keras's fans of a kernel: receptive field (all axes but the last two) × each of those two. */
function kerasFans(shape: readonly number[]): [number, number] {
  const receptive = size(shape.slice(0, -2));
  return [receptive * shape[shape.length - 2], receptive * shape[shape.length - 1]];
}

/** The initial value of one weight of a node. */
export function initialValue(
  node: Node,
  weight: Weight,
  seed: number,
  scheme: InitScheme = 'default',
): Float32Array {
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
      const random = rng(hashString(`${seed}:${node.name}/${weight.name}`));
      if (scheme !== 'default' && weight.name === 'bias') return out;
      if (scheme === 'he') {
        const std = Math.sqrt(2 / fanIn(node));
        for (let i = 0; i < out.length; i++) {
          // Box–Muller from two uniform draws; 1 − u keeps the logarithm finite.
          const r = Math.sqrt(-2 * Math.log(1 - random()));
          out[i] = std * r * Math.cos(2 * Math.PI * random());
        }
        return out;
      }
      const bound =
        scheme === 'glorot'
          ? Math.sqrt(6 / kerasFans(weight.shape).reduce((a, b) => a + b, 0))
          : 1 / Math.sqrt(fanIn(node));
      for (let i = 0; i < out.length; i++) out[i] = (2 * random() - 1) * bound;
      return out;
    }
    default:
      throw new Error(`${node.name}: no initialiser for weight \`${weight.name}\``);
  }
}
