/**
 * One test instance per convolution case: the node, kernel, seeded input and weights (float64), and
 * the forward value expected from conv-cases.ts's naive implementations.
 */
import type { Node } from '../../../compiler/ir/graph.js';
import type { Kernel } from '../../../runtime/reference/kernel.js';
import {
  conv1dKernel,
  conv2dKernel,
  conv2dTransposeKernel,
  depthwiseConv2dKernel,
} from '../../../runtime/reference/kernels/conv.js';
import type { Tensor } from '../../../runtime/reference/tensor.js';
import {
  CONV1D,
  CONV2D,
  DEPTHWISE,
  TRANSPOSE,
  forwardPads,
  naiveConv,
  naiveDepthwise,
  naiveTranspose,
  padsTitle,
} from './conv-cases.js';
import { asKernel, opNode, randomTensor } from './op-node.js';

export interface ConvInstance {
  readonly title: string;
  readonly node: Node;
  readonly kernel: Kernel;
  readonly x: Tensor;
  readonly params: Record<string, Tensor>;
  readonly expected: () => Tensor;
}

function spatial(a: {
  kernel: readonly number[];
  stride: readonly number[];
  dilation: readonly number[];
}): string {
  return `k${a.kernel.join('x')} s${a.stride.join('x')} d${a.dilation.join('x')}`;
}

function withBias(params: Record<string, Tensor>, bias: boolean, n: number, seed: number) {
  if (bias) params.bias = randomTensor([n], seed);
  return params;
}

export function conv2dInstances(): ConvInstance[] {
  return CONV2D.map(({ shape, attrs: a }, i) => {
    const x = randomTensor(shape, 10 + i);
    const c = shape[3];
    const params = withBias(
      { kernel: randomTensor([...a.kernel, c / a.groups, a.filters], 100 + i) },
      a.bias,
      a.filters,
      200 + i,
    );
    const [top, bottom] = forwardPads(
      a.padding,
      0,
      shape[1],
      a.kernel[0],
      a.stride[0],
      a.dilation[0],
    );
    const [left, right] = forwardPads(
      a.padding,
      1,
      shape[2],
      a.kernel[1],
      a.stride[1],
      a.dilation[1],
    );
    return {
      title: `conv2d [${shape}] → ${a.filters} ${spatial(a)} ${padsTitle(a.padding)} g${a.groups}${a.bias ? ' bias' : ''}`,
      node: opNode('conv2d', a),
      kernel: asKernel(conv2dKernel),
      x,
      params,
      expected: () =>
        naiveConv(x, params.kernel, params.bias ?? null, a, { top, bottom, left, right }),
    };
  });
}

export function conv1dInstances(): ConvInstance[] {
  return CONV1D.map(({ shape, attrs: a }, i) => {
    const x = randomTensor(shape, 20 + i);
    const [n, length, c] = shape;
    const params = withBias(
      { kernel: randomTensor([a.kernel[0], c / a.groups, a.filters], 120 + i) },
      a.bias,
      a.filters,
      220 + i,
    );
    const [left, right] = forwardPads(
      a.padding,
      0,
      length,
      a.kernel[0],
      a.stride[0],
      a.dilation[0],
    );
    return {
      title: `conv1d [${shape}] → ${a.filters} ${spatial(a)} ${padsTitle(a.padding)} g${a.groups}${a.bias ? ' bias' : ''}`,
      node: opNode('conv1d', a),
      kernel: asKernel(conv1dKernel),
      x,
      params,
      expected: () => {
        // A height-1 image with a height-1 kernel: the same buffers.
        const y = naiveConv(
          { shape: [n, 1, length, c], data: x.data },
          params.kernel,
          params.bias ?? null,
          {
            kernel: [1, a.kernel[0]],
            stride: [1, a.stride[0]],
            dilation: [1, a.dilation[0]],
            groups: a.groups,
            filters: a.filters,
          },
          { top: 0, bottom: 0, left, right },
        );
        return { shape: [n, y.shape[2], a.filters], data: y.data };
      },
    };
  });
}

export function depthwiseInstances(): ConvInstance[] {
  return DEPTHWISE.map(({ shape, attrs: a }, i) => {
    const x = randomTensor(shape, 30 + i);
    const c = shape[3];
    const params = withBias(
      { depthwise_kernel: randomTensor([...a.kernel, c, a.multiplier], 130 + i) },
      a.bias,
      c * a.multiplier,
      230 + i,
    );
    const [top, bottom] = forwardPads(
      a.padding,
      0,
      shape[1],
      a.kernel[0],
      a.stride[0],
      a.dilation[0],
    );
    const [left, right] = forwardPads(
      a.padding,
      1,
      shape[2],
      a.kernel[1],
      a.stride[1],
      a.dilation[1],
    );
    return {
      title: `depthwise [${shape}] ×${a.multiplier} ${spatial(a)} ${padsTitle(a.padding)}${a.bias ? ' bias' : ''}`,
      node: opNode('depthwise_conv2d', a),
      kernel: asKernel(depthwiseConv2dKernel),
      x,
      params,
      expected: () =>
        naiveDepthwise(x, params.depthwise_kernel, params.bias ?? null, a, {
          top,
          bottom,
          left,
          right,
        }),
    };
  });
}

export function transposeInstances(): ConvInstance[] {
  return TRANSPOSE.map(({ shape, attrs: a }, i) => {
    const x = randomTensor(shape, 40 + i);
    const c = shape[3];
    const params = withBias(
      { kernel: randomTensor([...a.kernel, a.filters / a.groups, c], 140 + i) },
      a.bias,
      a.filters,
      240 + i,
    );
    return {
      title: `conv2d_transpose [${shape}] → ${a.filters} ${spatial(a)} ${padsTitle(a.padding)} out+${a.outputPadding.join('x')} g${a.groups}${a.bias ? ' bias' : ''}`,
      node: opNode('conv2d_transpose', a),
      kernel: asKernel(conv2dTransposeKernel),
      x,
      params,
      expected: () => naiveTranspose(x, params.kernel, params.bias ?? null, a),
    };
  });
}

export function allInstances(): ConvInstance[] {
  return [
    ...conv2dInstances(),
    ...conv1dInstances(),
    ...depthwiseInstances(),
    ...transposeInstances(),
  ];
}
