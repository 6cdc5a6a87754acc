/**
 * Each op's lowering against an independent JS loop written from PyTorch's definition, for the
 * configurations tfjs has no direct equivalent for: ceil-mode and padded pools, count_include_pad,
 * asymmetric padding, dilation with a stride, groups, depthwise multipliers, transposed convolution
 * output sizes, adaptive pools, LRN with even windows, 1-D ops and the activations. Runs on cpu.
 */
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import type { Graph, Node } from '../../../compiler/ir/graph.js';
import { compileFile } from '../../../compiler/program.js';
import { conv2dValid } from '../../../runtime/tfjs/lower-conv.js';
import { lowerGraph } from '../../../runtime/tfjs/lower.js';
import { windowPads, transposedPads } from '../../../runtime/window.js';
import { memPath, memoryHost } from '../../helpers/memory-host.js';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

function compileGraph(input: string, body: string): Graph {
  const source = `model M {\n  input ${input}\n  ${body}\n}\n`;
  const r = compileFile(memPath('main.cnn'), memoryHost({ 'main.cnn': source }));
  expect(r.diagnostics.filter((d) => d.severity === 'error').map((d) => d.message)).toEqual([]);
  return r.models[0].graph;
}

/** An NHWC array (or [N, L, C], [N, C]). */
interface Arr {
  readonly shape: readonly number[];
  readonly data: Float32Array;
}

const at4 = (s: readonly number[], n: number, y: number, x: number, c: number) =>
  ((n * s[1] + y) * s[2] + x) * s[3] + c;

type Weights = (name: string) => Arr;
type Reference = (node: Node, x: Arr, w: Weights, out: readonly number[]) => Float32Array;

/** Explicit per-side pads [top, bottom, left, right] of a 2-D window op on this input. */
function pads2(node: Node, x: Arr, k: readonly number[], s: readonly number[], d = [1, 1]) {
  if (!('padding' in node.attrs)) return [0, 0, 0, 0];
  const p = node.attrs.padding;
  const h = windowPads(p, 0, x.shape[1], k[0], s[0], d[0]);
  const w = windowPads(p, 1, x.shape[2], k[1], s[1], d[1]);
  return [h.before, h.after, w.before, w.after];
}

/** PyTorch Conv2d with groups and dilation; kernel [kh, kw, cin / g, F]. */
const refConv: Reference = (node, x, w, out) => {
  const a = node.attrs as unknown as {
    kernel: number[];
    stride: number[];
    dilation: number[];
    groups: number;
  };
  const k = w('kernel');
  const [kh, kw, cg, f] = k.shape;
  const [t, , l] = pads2(node, x, a.kernel, a.stride, a.dilation);
  const fg = f / a.groups;
  const y = new Float32Array(x.shape[0] * out[0] * out[1] * f);
  const os = [x.shape[0], out[0], out[1], f];
  for (let n = 0; n < x.shape[0]; n++)
    for (let i = 0; i < out[0]; i++)
      for (let j = 0; j < out[1]; j++)
        for (let o = 0; o < f; o++) {
          const g = Math.floor(o / fg);
          let acc = node.weights!.some((q) => q.name === 'bias') ? w('bias').data[o] : 0;
          for (let u = 0; u < kh; u++)
            for (let v = 0; v < kw; v++) {
              const yy = i * a.stride[0] - t + u * a.dilation[0];
              const xx = j * a.stride[1] - l + v * a.dilation[1];
              if (yy < 0 || xx < 0 || yy >= x.shape[1] || xx >= x.shape[2]) continue;
              for (let c = 0; c < cg; c++)
                acc +=
                  x.data[at4(x.shape, n, yy, xx, g * cg + c)] * k.data[at4(k.shape, u, v, c, o)];
            }
          y[at4(os, n, i, j, o)] = acc;
        }
  return y;
};

/** Depthwise: output channel c·m + j reads input channel c with kernel [kh, kw, c, j]. */
const refDepthwise: Reference = (node, x, w, out) => {
  const k = w('depthwise_kernel');
  const [kh, kw, cin, m] = k.shape;
  const flat: Arr = {
    shape: [kh, kw, 1, cin * m],
    data: Float32Array.from(k.data),
  };
  const asGrouped = { ...node, attrs: { ...node.attrs, groups: cin } } as Node;
  return refConv(asGrouped, x, (n) => (n === 'kernel' ? flat : w(n)), out);
};

/** PyTorch ConvTranspose2d: y[i·s − pt + u·d] += x[i]·W; kernel [kh, kw, F / g, cin]. */
const refTransposed: Reference = (node, x, w, out) => {
  const a = node.attrs as unknown as {
    kernel: number[];
    stride: number[];
    dilation: number[];
    groups: number;
    padding: Parameters<typeof transposedPads>[0];
  };
  const k = w('kernel');
  const [kh, kw, fg, cin] = k.shape;
  const f = fg * a.groups;
  const cg = cin / a.groups;
  const pt = transposedPads(a.padding, 0, kh, a.stride[0], a.dilation[0]).before;
  const pl = transposedPads(a.padding, 1, kw, a.stride[1], a.dilation[1]).before;
  const os = [x.shape[0], out[0], out[1], f];
  const y = new Float32Array(os.reduce((p, q) => p * q, 1));
  for (let n = 0; n < x.shape[0]; n++)
    for (let i = 0; i < x.shape[1]; i++)
      for (let j = 0; j < x.shape[2]; j++)
        for (let c = 0; c < cin; c++) {
          const g = Math.floor(c / cg);
          for (let u = 0; u < kh; u++)
            for (let v = 0; v < kw; v++) {
              const yy = i * a.stride[0] - pt + u * a.dilation[0];
              const xx = j * a.stride[1] - pl + v * a.dilation[1];
              if (yy < 0 || xx < 0 || yy >= out[0] || xx >= out[1]) continue;
              for (let o = 0; o < fg; o++)
                y[at4(os, n, yy, xx, g * fg + o)] +=
                  x.data[at4(x.shape, n, i, j, c)] * k.data[at4(k.shape, u, v, o, c)];
            }
        }
  const b = w('bias');
  for (let e = 0; e < y.length; e++) y[e] += b.data[e % f];
  return y;
};

/** PyTorch max/avg pool: windows clipped to [−pb, in + pe) for the divisor, or to the input. */
function refPool(how: 'max' | 'avg'): Reference {
  return (node, x, _w, out) => {
    const a = node.attrs as unknown as {
      kernel: number[];
      stride: number[];
      countIncludePad: boolean;
    };
    const [t, b, l, r] = pads2(node, x, a.kernel, a.stride);
    const [H, W, C] = [x.shape[1], x.shape[2], x.shape[3]];
    const os = [x.shape[0], out[0], out[1], C];
    const y = new Float32Array(os.reduce((p, q) => p * q, 1));
    for (let n = 0; n < x.shape[0]; n++)
      for (let i = 0; i < out[0]; i++)
        for (let j = 0; j < out[1]; j++)
          for (let c = 0; c < C; c++) {
            const y0 = i * a.stride[0] - t;
            const x0 = j * a.stride[1] - l;
            const y1 = Math.min(y0 + a.kernel[0], H + b);
            const x1 = Math.min(x0 + a.kernel[1], W + r);
            let acc = how === 'max' ? -Infinity : 0;
            for (let yy = Math.max(y0, 0); yy < Math.min(y1, H); yy++)
              for (let xx = Math.max(x0, 0); xx < Math.min(x1, W); xx++) {
                const v = x.data[at4(x.shape, n, yy, xx, c)];
                acc = how === 'max' ? Math.max(acc, v) : acc + v;
              }
            const count = a.countIncludePad
              ? (y1 - y0) * (x1 - x0)
              : (Math.min(y1, H) - Math.max(y0, 0)) * (Math.min(x1, W) - Math.max(x0, 0));
            y[at4(os, n, i, j, c)] = how === 'max' ? acc : acc / count;
          }
    return y;
  };
}

function refAdaptive(how: 'max' | 'avg'): Reference {
  return (_node, x, _w, out) => {
    const [H, W, C] = [x.shape[1], x.shape[2], x.shape[3]];
    const os = [x.shape[0], out[0], out[1], C];
    const y = new Float32Array(os.reduce((p, q) => p * q, 1));
    for (let n = 0; n < x.shape[0]; n++)
      for (let i = 0; i < out[0]; i++)
        for (let j = 0; j < out[1]; j++)
          for (let c = 0; c < C; c++) {
            const [y0, y1] = [Math.floor((i * H) / out[0]), Math.ceil(((i + 1) * H) / out[0])];
            const [x0, x1] = [Math.floor((j * W) / out[1]), Math.ceil(((j + 1) * W) / out[1])];
            let acc = how === 'max' ? -Infinity : 0;
            for (let yy = y0; yy < y1; yy++)
              for (let xx = x0; xx < x1; xx++) {
                const v = x.data[at4(x.shape, n, yy, xx, c)];
                acc = how === 'max' ? Math.max(acc, v) : acc + v;
              }
            y[at4(os, n, i, j, c)] = how === 'max' ? acc : acc / ((y1 - y0) * (x1 - x0));
          }
    return y;
  };
}

/** PyTorch LocalResponseNorm over the last axis. */
const refLrn: Reference = (node, x) => {
  const { size, alpha, beta, k } = node.attrs as {
    size: number;
    alpha: number;
    beta: number;
    k: number;
  };
  const C = x.shape[x.shape.length - 1];
  const y = new Float32Array(x.data.length);
  for (let e = 0; e < x.data.length; e++) {
    const c = e % C;
    let sum = 0;
    for (let d = c - Math.floor(size / 2); d <= c + Math.floor((size - 1) / 2); d++)
      if (d >= 0 && d < C) sum += x.data[e - c + d] ** 2;
    y[e] = x.data[e] / (k + (alpha / size) * sum) ** beta;
  }
  return y;
};

/** Abramowitz–Stegun 7.1.26, |error| < 1.5e-7. */
function erf(v: number): number {
  const s = Math.sign(v);
  const z = Math.abs(v);
  const t = 1 / (1 + 0.3275911 * z);
  const p =
    t *
    (0.254829592 + t * (-0.284496736 + t * (1.421413741 + t * (-1.453152027 + t * 1.061405429))));
  return s * (1 - p * Math.exp(-z * z));
}

const elementwise =
  (f: (v: number) => number): Reference =>
  (_node, x) =>
    x.data.map(f);

/** 1-D ops as 2-D ones of height 1: [N, L, C] → [N, 1, L, C]. */
function as1d(ref: Reference): Reference {
  return (node, x, w, out) => {
    const a = node.attrs as Record<string, unknown>;
    const lift = (v: unknown) => (Array.isArray(v) && v.length === 1 ? [1, v[0]] : v);
    const p = a.padding as { mode: string; pads?: number[] } | undefined;
    const padding = p?.mode === 'explicit' ? { mode: 'explicit', pads: [0, 0, ...p.pads!] } : p;
    const lifted = Object.fromEntries(Object.entries(a).map(([key, v]) => [key, lift(v)]));
    const node2 = { ...node, attrs: { ...lifted, padding } } as Node;
    const w2: Weights = (name) => {
      const t = w(name);
      return name === 'kernel' ? { shape: [1, ...t.shape], data: t.data } : t;
    };
    const x2 = { shape: [x.shape[0], 1, x.shape[1], x.shape[2]], data: x.data };
    return ref(node2, x2, w2, [1, ...out]);
  };
}

interface OpCase {
  readonly title: string;
  readonly input: string;
  readonly body: string;
  readonly ref: Reference;
}

const CASES: readonly OpCase[] = [
  {
    title: 'ceil-mode max pool',
    input: '6x6x2',
    body: 'maxpool 3x3 /2 pad 1 ceil',
    ref: refPool('max'),
  },
  {
    title: 'ceil-mode max pool, unpadded',
    input: '5x8x2',
    body: 'maxpool 2x3 /2 ceil',
    ref: refPool('max'),
  },
  {
    title: 'avg pool counting padding, ceil',
    input: '6x7x2',
    body: 'avgpool 3x3 /2 pad 1 ceil',
    ref: refPool('avg'),
  },
  {
    title: 'avg pool excluding padding, ceil',
    input: '6x7x2',
    body: 'avgpool 3x3 /2 pad 1 ceil exclude_pad',
    ref: refPool('avg'),
  },
  {
    title: 'avg pool, asymmetric pads',
    input: '5x5x1',
    body: 'avgpool 2x2 /2 pad (1, 0, 0, 1)',
    ref: refPool('avg'),
  },
  { title: 'max pool same', input: '5x6x2', body: 'maxpool 3x3 /2 same', ref: refPool('max') },
  {
    title: 'conv, asymmetric pads',
    input: '7x6x2',
    body: 'conv 3 3x2 pad (1, 0, 2, 1)',
    ref: refConv,
  },
  {
    title: 'conv, dilation with stride',
    input: '9x8x2',
    body: 'conv 3 3x3 /2 pad (2, 1, 0, 2) dilation 2',
    ref: refConv,
  },
  { title: 'conv same, stride 2', input: '6x5x3', body: 'conv 2 4x3 /2 same', ref: refConv },
  { title: 'conv full', input: '4x4x1', body: 'conv 2 3x3 full', ref: refConv },
  { title: 'grouped conv', input: '5x5x4', body: 'conv 6 3x3 pad 1 groups 2', ref: refConv },
  {
    title: 'grouped conv, one channel per group',
    input: '6x6x3',
    body: 'conv 6 3x3 /2 groups 3',
    ref: refConv,
  },
  {
    title: 'depthwise, multiplier 2',
    input: '6x5x3',
    body: 'dwconv 3x3 /2 pad 1 multiplier 2',
    ref: refDepthwise,
  },
  {
    title: 'depthwise, dilation 2',
    input: '7x7x2',
    body: 'dwconv 3x3 same dilation 2',
    ref: refDepthwise,
  },
  {
    title: 'transposed, pad and outpad',
    input: '3x4x2',
    body: 'deconv 3 3x3 /2 pad 1 outpad 1',
    ref: refTransposed,
  },
  {
    title: 'transposed, groups',
    input: '3x3x4',
    body: 'deconv 4 3x3 /2 pad 1 groups 2',
    ref: refTransposed,
  },
  { title: 'transposed, same', input: '3x3x2', body: 'deconv 2 3x3 /2 same', ref: refTransposed },
  {
    title: 'transposed, dilation, asymmetric',
    input: '3x3x1',
    body: 'deconv 2 2x3 /2 pad (0, 1, 1, 0) dilation 2',
    ref: refTransposed,
  },
  {
    title: 'adaptive avg pool',
    input: '5x7x2',
    body: 'adaptiveavgpool 3x2',
    ref: refAdaptive('avg'),
  },
  {
    title: 'adaptive max pool',
    input: '5x5x2',
    body: 'adaptivemaxpool 3x3',
    ref: refAdaptive('max'),
  },
  {
    title: 'adaptive avg pool, divisible',
    input: '4x6x1',
    body: 'adaptiveavgpool 2x3',
    ref: refAdaptive('avg'),
  },
  { title: 'LRN, even size', input: '2x2x6', body: 'lrn 4 alpha 0.1 beta 0.75 k 2', ref: refLrn },
  { title: 'LRN, odd size', input: '2x6', body: 'lrn 3 alpha 0.5 beta 0.5 k 1', ref: refLrn },
  {
    title: 'conv1d, groups',
    input: '9x4',
    body: 'conv1d 4 3 /2 pad (2, 1) groups 2',
    ref: as1d(refConv),
  },
  {
    title: '1-D max pool, ceil',
    input: '9x2',
    body: 'maxpool 3 /2 ceil',
    ref: as1d(refPool('max')),
  },
  {
    title: 'gelu',
    input: '3x4',
    body: 'gelu',
    ref: elementwise((v) => 0.5 * v * (1 + erf(v / Math.SQRT2))),
  },
  {
    title: 'elu 0.5',
    input: '3x4',
    body: 'elu 0.5',
    ref: elementwise((v) => (v > 0 ? v : 0.5 * Math.expm1(v))),
  },
  {
    title: 'leaky relu 0.2',
    input: '3x4',
    body: 'leakyrelu 0.2',
    ref: elementwise((v) => (v > 0 ? v : 0.2 * v)),
  },
  {
    title: 'relu6',
    input: '3x4',
    body: 'relu6',
    ref: elementwise((v) => Math.min(Math.max(v, 0), 6)),
  },
];

function run(c: OpCase, scale = 3) {
  const graph = compileGraph(c.input, c.body);
  const node = graph.nodes[graph.outputs[0]];
  const m = lowerGraph(tf, graph, { seed: 2 });
  const x = tf.randomUniform([2, ...m.inputShape], -scale, scale, 'float32', 11);
  const w: Weights = (name) => {
    const v = m.params.get(`${node.name}/${name}`)!;
    return { shape: v.shape, data: v.dataSync() as Float32Array };
  };
  const out = (node.shape ?? []).slice(0, -1) as number[];
  const xa = { shape: x.shape, data: x.dataSync() as Float32Array };
  return { graph, node, m, x, expected: c.ref(node, xa, w, out) };
}

describe('op lowerings against JS loops', () => {
  it.each(CASES)('$title: $body on $input', (c) => {
    const { m, x, expected } = run(c);
    const y = m.apply(x, false);
    const got = y.dataSync();
    expect(got.length).toBe(expected.length);
    const err = Math.max(...Array.from(got).map((v, i) => Math.abs(v - expected[i])));
    expect(err).toBeLessThan(1e-4);
    tf.dispose([x, y]);
    m.dispose();
  });
});

describe('conv2d gradients', () => {
  it.each([
    [1, 'valid'],
    [2, 'valid'],
    [3, 'same'],
  ] as const)('the filter gradient as a forward conv matches tfjs at stride %i', (s, pad) => {
    const x = tf.randomUniform([2, 7, 6, 3], -1, 1, 'float32', 1) as tf.Tensor4D;
    const k = tf.randomUniform([3, 2, 3, 4], -1, 1, 'float32', 2) as tf.Tensor4D;
    const padded =
      pad === 'same'
        ? tf.pad(x, [
            [0, 0],
            [1, 1],
            [0, 1],
            [0, 0],
          ])
        : x;
    const r = tf.randomUniform(tf.conv2d(padded, k, s, 'valid').shape, -1, 1, 'float32', 3);
    const loss =
      (f: (a: tf.Tensor4D, b: tf.Tensor4D) => tf.Tensor) => (a: tf.Tensor, b: tf.Tensor) =>
        tf.sum(tf.mul(f(a as tf.Tensor4D, b as tf.Tensor4D), r));
    const ours = tf.grads(loss((a, b) => conv2dValid(tf, a, b, [s, s])))([padded, k]);
    const theirs = tf.grads(loss((a, b) => tf.conv2d(a, b, s, 'valid')))([padded, k]);
    for (let i = 0; i < 2; i++) {
      const d = tf.max(tf.abs(tf.sub(ours[i], theirs[i]))).dataSync()[0];
      expect(d).toBeLessThan(1e-4);
    }
    tf.dispose([x, k, padded, r, ...ours, ...theirs]);
  });

  it('a training step reaches every weight of grouped, dilated and transposed layers', () => {
    const graph = compileGraph(
      '9x9x4',
      'conv 4 3x3 /2 pad 1 dilation 2 groups 2, bn, relu\n  dwconv 3x3 pad 1 multiplier 2\n  deconv 4 3x3 /2 pad 1 outpad 1 groups 2, lrn 2\n  avgpool 3x3 /2 pad 1 ceil, adaptivemaxpool 3x3, flatten, dense 3',
    );
    const m = lowerGraph(tf, graph, { seed: 4 });
    const x = tf.randomUniform([2, ...m.inputShape], -1, 1, 'float32', 5);
    const { grads, value } = tf.variableGrads(
      () => tf.losses.softmaxCrossEntropy(tf.oneHot([0, 2], 3), m.logits(x, true)) as tf.Scalar,
      [...m.trainable],
    );
    const zero = m.trainable.filter(
      (v) => tf.tidy(() => tf.max(tf.abs(grads[v.name])).dataSync()[0]) === 0,
    );
    expect(zero.map((v) => v.name)).toEqual([]);
    expect(m.trainable.length).toBe(m.params.size);
    tf.dispose([x, value, ...Object.values(grads)]);
    m.dispose();
  });
});
