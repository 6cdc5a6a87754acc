/**
 * Hand-written Keras models for the import tests, and Keras's own arithmetic for them (output
 * shapes and parameter counts by Keras's formulas), so that expected figures do not come from cnnc.
 */

export type Config = Record<string, unknown>;

export interface Layer {
  readonly name: string;
  readonly class_name: string;
  readonly config: Config;
  readonly inbound_nodes: unknown[];
}

/** A functional-model layer reading `inputs` (Keras 2 / TF.js inbound-node form). */
export function L(
  className: string,
  name: string,
  config: Config = {},
  inputs: string[] = [],
): Layer {
  return {
    name,
    class_name: className,
    config: { name, trainable: true, ...config },
    inbound_nodes: inputs.length ? [inputs.map((i) => [i, 0, 0, {}])] : [],
  };
}

export const input = (name: string, shape: (number | null)[]) =>
  L('InputLayer', name, { batch_input_shape: [null, ...shape], dtype: 'float32' });

/** A TF.js layers model.json of a functional model, optionally with a weightsManifest. */
export function functional(
  layers: readonly Layer[],
  inputName: string,
  outputName: string | string[],
  weights?: readonly { name: string; shape: number[]; dtype?: string; quantization?: Config }[],
): string {
  const outputs = (Array.isArray(outputName) ? outputName : [outputName]).map((o) => [o, 0, 0]);
  return JSON.stringify(
    {
      format: 'layers-model',
      modelTopology: {
        keras_version: '2.2.4',
        backend: 'tensorflow',
        model_config: {
          class_name: 'Model',
          config: { name: 'm', layers, input_layers: [[inputName, 0, 0]], output_layers: outputs },
        },
      },
      ...(weights
        ? {
            weightsManifest: [
              { paths: ['w.bin'], weights: weights.map((w) => ({ dtype: 'float32', ...w })) },
            ],
          }
        : {}),
    },
    null,
    1,
  );
}

/** Keras's `model.to_json()` of a Sequential model: `[className, config]` per layer. */
export function sequential(layers: readonly [string, Config][]): string {
  return JSON.stringify(
    {
      class_name: 'Sequential',
      config: {
        name: 'seq',
        layers: layers.map(([c, config], i) => ({
          class_name: c,
          config: { name: `${c.toLowerCase()}_${i + 1}`, ...config },
        })),
      },
    },
    null,
    1,
  );
}

// ----------------------------------------------------------------- Keras arithmetic

type Shape = number[];

const outLen = (n: number, k: number, s: number, pad: string, d = 1) =>
  pad === 'same' ? Math.ceil(n / s) : Math.floor((n - d * (k - 1) - 1) / s) + 1;

/** Keras output shape (without the batch) and parameter count of one layer. */
export function kerasLayer(cls: string, c: Config, ins: Shape[]): { shape: Shape; params: number } {
  const x = ins[0];
  const arr = (v: unknown, n: number): number[] =>
    Array.isArray(v) ? (v as number[]) : new Array<number>(n).fill(v as number);
  switch (cls) {
    case 'Conv2D': {
      const k = arr(c.kernel_size, 2);
      const s = arr(c.strides ?? 1, 2);
      const f = c.filters as number;
      const bias = c.use_bias === false ? 0 : f;
      const pad = (c.padding as string) ?? 'valid';
      return {
        shape: [outLen(x[0], k[0], s[0], pad), outLen(x[1], k[1], s[1], pad), f],
        params: k[0] * k[1] * x[2] * f + bias,
      };
    }
    case 'Conv2DTranspose': {
      const k = arr(c.kernel_size, 2);
      const s = arr(c.strides ?? 1, 2);
      const f = c.filters as number;
      const len = (n: number, i: number) =>
        c.padding === 'same' ? n * s[i] : n * s[i] + Math.max(k[i] - s[i], 0);
      return { shape: [len(x[0], 0), len(x[1], 1), f], params: k[0] * k[1] * x[2] * f + f };
    }
    case 'DepthwiseConv2D': {
      const k = arr(c.kernel_size, 2);
      const s = arr(c.strides ?? 1, 2);
      const m = (c.depth_multiplier as number) ?? 1;
      const pad = (c.padding as string) ?? 'valid';
      const bias = c.use_bias === false ? 0 : x[2] * m;
      return {
        shape: [outLen(x[0], k[0], s[0], pad), outLen(x[1], k[1], s[1], pad), x[2] * m],
        params: k[0] * k[1] * x[2] * m + bias,
      };
    }
    case 'SeparableConv2D': {
      const dw = kerasLayer('DepthwiseConv2D', { ...c, use_bias: false }, ins);
      const f = c.filters as number;
      return {
        shape: [dw.shape[0], dw.shape[1], f],
        params: dw.params + dw.shape[2] * f + (c.use_bias === false ? 0 : f),
      };
    }
    case 'MaxPooling2D':
    case 'AveragePooling2D': {
      const p = arr(c.pool_size ?? 2, 2);
      const s = arr(c.strides ?? p, 2);
      const pad = (c.padding as string) ?? 'valid';
      return {
        shape: [outLen(x[0], p[0], s[0], pad), outLen(x[1], p[1], s[1], pad), x[2]],
        params: 0,
      };
    }
    case 'ZeroPadding2D': {
      const [[t, b], [l, r]] = c.padding as number[][];
      return { shape: [x[0] + t + b, x[1] + l + r, x[2]], params: 0 };
    }
    case 'UpSampling2D': {
      const [sh, sw] = c.size as number[];
      return { shape: [x[0] * sh, x[1] * sw, x[2]], params: 0 };
    }
    case 'BatchNormalization':
      // gamma and beta are trainable; moving mean and variance are not (Keras counts all four
      // in count_params, cnnc only the first two as parameters).
      return { shape: x, params: 2 * x[x.length - 1] };
    case 'Dense':
      return {
        shape: [c.units as number],
        params: x[0] * (c.units as number) + (c.use_bias === false ? 0 : (c.units as number)),
      };
    case 'Flatten':
      return { shape: [x.reduce((a, b) => a * b, 1)], params: 0 };
    case 'GlobalAveragePooling2D':
    case 'GlobalMaxPooling2D':
      return { shape: [x[2]], params: 0 };
    case 'Concatenate':
      return {
        shape: [...x.slice(0, -1), ins.reduce((s, i) => s + i[i.length - 1], 0)],
        params: 0,
      };
    default:
      // Activations, dropout, Add, Multiply.
      return { shape: x, params: 0 };
  }
}

/** Output shape and total parameters of a functional model, by Keras's formulas. */
export function kerasFigures(
  layers: readonly Layer[],
  output: string,
): { shape: Shape; params: number } {
  const shapes = new Map<string, Shape>();
  let params = 0;
  for (const l of layers) {
    if (l.class_name === 'InputLayer') {
      shapes.set(l.name, (l.config.batch_input_shape as number[]).slice(1));
      continue;
    }
    const ins = (l.inbound_nodes[0] as [string][]).map(([n]) => shapes.get(n)!);
    const r = kerasLayer(l.class_name, l.config, ins);
    shapes.set(l.name, r.shape);
    params += r.params;
  }
  return { shape: shapes.get(output)!, params };
}
