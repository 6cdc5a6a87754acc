/**
 * The bytes of a checkpoint's files (checkpoint.ts describes the format), apart from where they are
 * written: `saveCheckpoint` writes them to a folder with node:fs, the playground zips them for a
 * download. No Node module here, so that a browser bundle can use it.
 */
import type { Graph } from '../../compiler/ir/graph.js';
import type { Checkpoint } from './checkpoint.js';
import type { SavedTensor } from './optimizer-config.js';

/**
 * The text irHash hashes: node names, ops, attributes, wiring, freezing and weight shapes. Spans,
 * comments and the train block are left out, so editing them keeps checkpoints usable.
 */
export function irHashText(graph: Graph): string {
  const nodes = graph.nodes.map((n) => ({
    name: n.name,
    op: n.op,
    attrs: n.attrs,
    inputs: n.inputs,
    frozen: n.frozen,
    weights: n.weights ?? [],
  }));
  return JSON.stringify({ irVersion: graph.irVersion, nodes, outputs: graph.outputs });
}

function concat(tensors: readonly SavedTensor[]): Uint8Array {
  const total = tensors.reduce((s, t) => s + t.data.length, 0);
  const all = new Float32Array(total);
  let o = 0;
  for (const t of tensors) {
    all.set(t.data, o);
    o += t.data.length;
  }
  return new Uint8Array(all.buffer);
}

/** The files of a checkpoint in the order they are written: cnnc.json last (it marks completion). */
export function checkpointFiles(ck: Checkpoint): [name: string, data: string | Uint8Array][] {
  const modelJson = {
    format: 'cnnc-weights',
    generatedBy: 'cnnc',
    convertedBy: null,
    weightsManifest: [
      {
        paths: ['weights.bin'],
        weights: ck.weights.map((w) => ({ name: w.name, shape: w.shape, dtype: 'float32' })),
      },
    ],
  };
  return [
    ['model.json', `${JSON.stringify(modelJson, null, 2)}\n`],
    ['weights.bin', concat(ck.weights)],
    ...(ck.optimizer
      ? [['optimizer.bin', concat(ck.optimizer.slots)] as [string, Uint8Array]]
      : []),
    ['cnnc.json', `${JSON.stringify(ck.meta, null, 2)}\n`],
  ];
}
