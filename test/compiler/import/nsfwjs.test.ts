/**
 * The real pretrained network: nsfwjs@4.4.0's Keras MobileNetV2, read by examples/transfer's loader
 * and imported. Expected figures come from the Keras topology and the weights manifest themselves
 * (and the issue's 2,257,984 backbone parameters), not from cnnc.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { nodeHost } from '../../../compiler/cli/host.js';
import type { Graph } from '../../../compiler/ir/graph.js';
import { compileFile } from '../../../compiler/program.js';
import { importKeras, toPlain, parseLiteral } from '../../../compiler/import/index.js';
import { countWeights } from '../../../compiler/sema/param-rules.js';
import {
  loadNsfwjsWeights,
  readNsfwjsModel,
  readNsfwjsModelJson,
  type LoadedWeights,
  type NsfwjsModel,
} from '../../../examples/transfer/load-nsfwjs.js';
import { shouldUpdateBaselines } from '../../helpers/baseline.js';
import { REPO } from '../../helpers/memory-host.js';

interface Topology {
  modelTopology: {
    model_config: {
      config: {
        layers: {
          name: string;
          class_name: string;
          config: Record<string, unknown>;
          inbound_nodes: [string][][];
        }[];
      };
    };
  };
  weightsManifest: {
    weights: { name: string; shape: number[]; quantization: { scale: number; min: number } }[];
  }[];
}

const BACKBONE_PARAMS = 2_257_984; // the issue: Keras MobileNetV2 up to out_relu
const EXAMPLE = path.join(REPO, 'examples', 'transfer', 'mobilenet_v2.cnn');

let model: NsfwjsModel;
let loaded: LoadedWeights;
let topo: Topology;
let graph: Graph;

beforeAll(() => {
  model = readNsfwjsModel();
  loaded = loadNsfwjsWeights(model);
  topo = model.modelJson as unknown as Topology;
  graph = loaded.imported.graph!;
});

/** Keras layers `out_relu` depends on, from the topology. */
function kerasBackbone(): Set<string> {
  const layers = new Map(topo.modelTopology.model_config.config.layers.map((l) => [l.name, l]));
  const seen = new Set<string>();
  const stack = ['out_relu'];
  while (stack.length) {
    const n = stack.pop()!;
    if (seen.has(n)) continue;
    seen.add(n);
    for (const node of layers.get(n)!.inbound_nodes) for (const [src] of node) stack.push(src);
  }
  return seen;
}

/** cnnc nodes `out_relu` depends on, from the compiled graph. */
function graphBackbone(g: Graph, output = 'out_relu'): Set<number> {
  const seen = new Set<number>();
  const stack = [g.nodes.find((n) => n.name === output)!.id];
  while (stack.length) {
    const id = stack.pop()!;
    if (seen.has(id)) continue;
    seen.add(id);
    stack.push(...g.nodes[id].inputs);
  }
  return seen;
}

describe('the nsfwjs MobileNetV2 imports', () => {
  it('compiles without errors or warnings', () => {
    expect(loaded.imported.diagnostics.map((d) => `${d.code} ${d.message}`)).toEqual([]);
  });

  it(`has Keras's ${BACKBONE_PARAMS.toLocaleString('en-US')} parameters up to out_relu`, () => {
    // Keras counts batch-norm statistics as (non-trainable) parameters; cnnc counts them as buffers.
    const keras = kerasBackbone();
    const backbone = topo.weightsManifest
      .flatMap((g) => g.weights)
      .filter((w) => keras.has(w.name.split('/')[0]));
    const size = (ws: readonly { shape: readonly number[] }[]) =>
      ws.reduce((s, w) => s + w.shape.reduce((a, b) => a * b, 1), 0);
    const stats = backbone.filter((w) => /moving_(mean|variance)$/.test(w.name));
    const ids = graphBackbone(graph);
    const weights = graph.nodes.filter((n) => ids.has(n.id)).flatMap((n) => n.weights ?? []);
    const params = Number(countWeights(weights));
    const buffers = Number(countWeights(weights, 'buffer'));
    expect(params + buffers).toBe(BACKBONE_PARAMS);
    expect(params + buffers).toBe(size(backbone));
    expect(buffers).toBe(size(stats));
  });

  it("has the topology's output shape and every manifest weight, shape for shape", () => {
    const layers = topo.modelTopology.model_config.config.layers;
    const last = layers[layers.length - 1];
    expect(graph.nodes[graph.outputs[0]].shape).toEqual([last.config.units]);
    const manifest = topo.weightsManifest.flatMap((g) => g.weights);
    const links = new Map(loaded.imported.weights.map((w) => [w.keras, w]));
    for (const w of manifest) expect(links.get(w.name)?.shape, w.name).toEqual(w.shape);
    expect(loaded.imported.weights).toHaveLength(manifest.length);
  });

  it('keeps Keras names, freezes what Keras froze, and cuts at block_13_expand_relu', () => {
    const names = new Set(graph.nodes.map((n) => n.name));
    for (const l of topo.modelTopology.model_config.config.layers)
      if (l.class_name !== 'Add') expect(names, l.name).toContain(l.name);
    const frozen = topo.modelTopology.model_config.config.layers.filter(
      (l) => l.config.trainable === false && l.class_name !== 'Add',
    );
    for (const l of frozen)
      expect(graph.nodes.find((n) => n.name === l.name)!.frozen, l.name).toBe(true);
    expect(graph.nodes.find((n) => n.name === 'block_11_expand')!.frozen).toBe(false);
    expect(graph.nodes.find((n) => n.name === 'block_13_expand_relu')!.shape).toEqual([
      14, 14, 576,
    ]);
  });

  it('is examples/transfer/mobilenet_v2.cnn (UPDATE_BASELINES=1 rewrites it)', () => {
    const source = loaded.imported.source!;
    if (shouldUpdateBaselines()) fs.writeFileSync(EXAMPLE, source);
    expect(fs.readFileSync(EXAMPLE, 'utf8')).toBe(source);
    const r = compileFile(EXAMPLE, nodeHost(REPO), { verifyEach: true });
    expect(r.diagnostics).toEqual([]);
    expect(r.models[0].graph.nodes.map((n) => n.name)).toEqual(graph.nodes.map((n) => n.name));
  });
});

describe('the nsfwjs weights load under cnnc names', () => {
  it('finds every backbone weight up to out_relu, with its shape', () => {
    const ids = graphBackbone(graph);
    const expected = graph.nodes
      .filter((n) => ids.has(n.id))
      .flatMap((n) => (n.weights ?? []).map((w) => [`${n.name}/${w.name}`, w.shape] as const));
    const keras = kerasBackbone();
    const inManifest = topo.weightsManifest
      .flatMap((g) => g.weights)
      .filter((w) => keras.has(w.name.split('/')[0]));
    expect(expected.length).toBe(inManifest.length);
    for (const [name, shape] of expected)
      expect(loaded.weights.get(name)?.shape, name).toEqual(shape);
  });

  it('dequantises uint8 values as q · scale + min', () => {
    // Conv1/kernel is the manifest's first weight: its first value is the shard's first byte.
    const first = topo.weightsManifest[0].weights[0];
    const byte = model.shards.get('group1-shard1of1')![0];
    const want = Math.fround(byte * first.quantization.scale + first.quantization.min);
    expect(loaded.weights.get(first.name)!.data[0]).toBeCloseTo(want, 6);
  });

  it('gives sane values: finite, variances non-negative and nearly all positive', () => {
    let zeros = 0;
    let negative = 0;
    let count = 0;
    const notFinite: string[] = [];
    for (const [name, w] of loaded.weights) {
      if (!w.data.every(Number.isFinite)) notFinite.push(name);
      expect(w.data.length).toBe(w.shape.reduce((a, b) => a * b, 1));
      if (!name.endsWith('/moving_variance')) continue;
      for (const v of w.data) {
        if (v === 0) zeros++;
        if (v < 0) negative++;
        count++;
      }
    }
    expect(notFinite).toEqual([]);
    expect(negative).toBe(0);
    expect(count).toBe(34_112 / 2); // torchvision's MobileNetV2 has 34,112 BN buffer elements
    expect(zeros / count).toBeLessThan(0.01); // uint8 rounding leaves a few at exactly 0
  });

  it('reads the same topology from the bundle as JSON', () => {
    const again = toPlain(parseLiteral(JSON.stringify(model.modelJson), 'model.json'));
    expect(again).toEqual(JSON.parse(JSON.stringify(model.modelJson)));
    const r = importKeras(JSON.stringify(model.modelJson), {
      file: 'model.json',
      name: 'MobileNetV2',
    });
    expect(r.source).toBe(loaded.imported.source);
  });
});

describe("nsfwjs's InceptionV3 topology imports too", () => {
  it('with its 15 concatenations, Keras shapes and every manifest weight', () => {
    const json = readNsfwjsModelJson('inception_v3') as unknown as Topology;
    const r = importKeras(JSON.stringify(json), { file: 'model.json', name: 'InceptionV3' });
    const layers = json.modelTopology.model_config.config.layers;
    // Keras's BN here has scale: false: cnnc gives each a gamma of ones, a warning where it trains.
    const approximate = layers.filter(
      (l) =>
        l.class_name === 'BatchNormalization' &&
        l.config.scale === false &&
        l.config.trainable !== false,
    );
    expect(approximate.length).toBeGreaterThan(0);
    expect(r.diagnostics.filter((d) => d.severity !== 'note').map((d) => d.code)).toEqual(
      approximate.map(() => 'CNN2038'),
    );
    const g = r.graph!;
    const concats = layers.filter((l) => l.class_name === 'Concatenate').length;
    expect(g.nodes.filter((n) => n.op === 'concat')).toHaveLength(concats);
    const manifest = json.weightsManifest.flatMap((x) => x.weights);
    const size = (s: readonly number[]) => s.reduce((a, b) => a * b, 1);
    const fills = r.weights.filter((w) => w.fill !== null);
    const all = g.nodes.flatMap((n) => n.weights ?? []);
    expect(Number(countWeights(all)) + Number(countWeights(all, 'buffer'))).toBe(
      manifest.reduce((s, w) => s + size(w.shape), 0) +
        fills.reduce((s, w) => s + size(w.shape), 0),
    );
    const links = new Map(r.weights.map((w) => [w.keras, w.shape]));
    for (const w of manifest) expect(links.get(w.name), w.name).toEqual(w.shape);
    // The flattened features are the first dense layer's inputs.
    const dense = manifest.find((w) => w.name === 'dense_1/kernel')!;
    expect(g.nodes.find((n) => n.name === 'flatten_1')!.shape).toEqual([dense.shape[0]]);
    expect(g.nodes[g.outputs[0]].shape).toEqual([layers[layers.length - 1].config.units]);
  });
});
