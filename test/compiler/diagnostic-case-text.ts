/** The .cnn and model.json texts the diagnostic cases are written with (diagnostic-cases.ts). */

/** main.cnn's one model M: an input, then the body's lines. */
export const m = (body: string, input = '8x8x1') =>
  `model M {\n  input ${input}\n${body
    .split('\n')
    .map((l) => `  ${l}`)
    .join('\n')}\n}\n`;

export const derived = (body: string) =>
  `model A {\n  input 8x8x1\n  stem: { conv 4 3x3, bn, relu }\n  concat { branch { conv 2 1x1 } branch { conv 2 1x1 } }\n  head: { gap, dense 10 }\n}\nmodel B = A {\n${body}\n}\n`;

/** A TensorFlow.js layers model.json of a Sequential Keras model: its layers and manifest entries. */
export const kerasSequential = (layers: string, weights?: string) =>
  `{ "modelTopology": { "class_name": "Sequential", "config": { "name": "s", "layers": [\n${layers
    .split('\n')
    .map((l) => `  ${l}`)
    .join('\n')}\n] } }${
    weights
      ? `,\n  "weightsManifest": [{ "paths": ["weights.bin"], "weights": [\n${weights
          .split('\n')
          .map((l) => `  ${l}`)
          .join('\n')}\n] }]`
      : ''
  } }\n`;
