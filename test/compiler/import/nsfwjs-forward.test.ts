/**
 * The imported nsfwjs MobileNetV2, and stdlib/mobilenet.cnn's backbone, compute what the Keras model
 * computes: TensorFlow.js loads the original layers model (topology and quantised shards, as nsfwjs
 * itself does) and predicts on a seeded random image; cnnc's lowering of the .cnn model, with the
 * weights the example's loader converted, runs the same image. Compared at `out_relu` (the
 * backbone's features) and at the softmax output, on the wasm backend.
 */
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import * as path from 'node:path';
import { nodeHost } from '../../../compiler/cli/host.js';
import type { Graph } from '../../../compiler/ir/graph.js';
import { compileFile } from '../../../compiler/program.js';
import { initBackend } from '../../../runtime/tfjs/backend.js';
import { forward } from '../../../runtime/weights/forward.js';
import { manifestOf } from '../../../runtime/weights/tfjs-format.js';
import {
  loadNsfwjsWeights,
  readNsfwjsModel,
  type LoadedWeights,
  type NsfwjsModel,
} from '../../../examples/transfer/load-nsfwjs.js';
import { REPO } from '../../helpers/memory-host.js';

let model: NsfwjsModel;
let loaded: LoadedWeights;
let image: Float32Array;

/** A seeded image in [0, 1] (nsfwjs's input range), 224x224x3. */
function randomImage(seed: number): Float32Array {
  const out = new Float32Array(224 * 224 * 3);
  let s = seed >>> 0;
  for (let i = 0; i < out.length; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    out[i] = s / 2 ** 32;
  }
  return out;
}

/** The graph up to `name` (nodes are in topological order, so a prefix is a graph). */
function cutAt(g: Graph, name: string): Graph {
  const id = g.nodes.findIndex((n) => n.name === name);
  return { ...g, nodes: g.nodes.slice(0, id + 1), outputs: [id] };
}

async function keras(layer: string | null): Promise<Float32Array> {
  const manifest = manifestOf(model.modelJson, 'model.json');
  const bytes = manifest.flatMap((g) => g.paths.map((p) => model.shards.get(p)!));
  const all = new Uint8Array(bytes.reduce((s, b) => s + b.length, 0));
  let o = 0;
  for (const b of bytes) {
    all.set(b, o);
    o += b.length;
  }
  const m = await tf.loadLayersModel(
    tf.io.fromMemory({
      modelTopology: model.modelJson.modelTopology as tf.io.ModelArtifacts['modelTopology'],
      weightSpecs: manifest.flatMap((g) => g.weights) as tf.io.WeightsManifestEntry[],
      weightData: all.buffer,
    }),
  );
  const net = layer ? tf.model({ inputs: m.inputs, outputs: m.getLayer(layer).output }) : m;
  const y = net.predict(tf.tensor(image, [1, 224, 224, 3])) as tf.Tensor;
  const data = (await y.data()) as Float32Array;
  y.dispose();
  m.dispose();
  return data;
}

async function ours(graph: Graph): Promise<Float32Array> {
  const weights = [...loaded.weights]
    .filter(([name]) => graph.nodes.some((n) => name.startsWith(`${n.name}/`)))
    .map(([name, w]) => ({ name, ...w }));
  const y = await forward('wasm', graph, weights, { data: image, shape: [1, 224, 224, 3] });
  return y.data;
}

beforeAll(async () => {
  await initBackend('wasm');
  model = readNsfwjsModel();
  loaded = loadNsfwjsWeights(model);
  image = randomImage(7);
});

function stdlibMobileNet(): Graph {
  const r = compileFile(path.join(REPO, 'stdlib', 'mobilenet.cnn'), nodeHost(REPO));
  return r.models[0].graph;
}

describe('MobileNetV2 with the nsfwjs weights computes what the Keras model computes', () => {
  it.each([
    ['the imported model', () => loaded.imported.graph!],
    ['stdlib/mobilenet.cnn', stdlibMobileNet],
  ])('%s, at out_relu (the backbone features)', async (_t, graph) => {
    const want = await keras('out_relu');
    const got = await ours(cutAt(graph(), 'out_relu'));
    expect(got.length).toBe(7 * 7 * 1280);
    let maxDiff = 0;
    let maxAbs = 0;
    for (let i = 0; i < want.length; i++) {
      maxDiff = Math.max(maxDiff, Math.abs(got[i] - want[i]));
      maxAbs = Math.max(maxAbs, Math.abs(want[i]));
    }
    expect(maxAbs).toBeGreaterThan(1); // features that are not all zero
    expect(maxDiff).toBeLessThan(1e-4 * maxAbs);
  });

  it('the imported model, at the softmax output', async () => {
    const want = await keras(null);
    const got = await ours(loaded.imported.graph!);
    expect(got.length).toBe(5);
    for (let i = 0; i < 5; i++) expect(got[i]).toBeCloseTo(want[i], 4);
  });
});
