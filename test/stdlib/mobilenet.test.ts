/**
 * stdlib/mobilenet.cnn: torchvision's figures (test/baselines/torchvision.json, checked here in
 * process as well as through the built CLI in torchvision.test.ts) and Keras's names: every weight
 * of its backbone is a weight of nsfwjs's Keras MobileNetV2 with the same name and shape, so those
 * weights load by name.
 */
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { nodeHost } from '../../compiler/cli/host.js';
import type { Graph } from '../../compiler/ir/graph.js';
import { compileFile } from '../../compiler/program.js';
import type { ModelSummary } from '../../compiler/sema/metrics.js';
import { countWeights } from '../../compiler/sema/param-rules.js';
import { loadNsfwjsWeights, type LoadedWeights } from '../../examples/transfer/load-nsfwjs.js';
import { REPO } from '../helpers/memory-host.js';

interface OracleModel {
  readonly model: string;
  readonly file: string;
  readonly params: number;
  readonly buffers: number;
  readonly macs: number;
  readonly layers: readonly { readonly type: string; readonly shape: readonly number[] }[];
}

const oracle = (
  JSON.parse(readFileSync(path.join(REPO, 'test', 'baselines', 'torchvision.json'), 'utf8')) as {
    models: OracleModel[];
  }
).models.find((m) => m.model === 'MobileNetV2')!;

let graph: Graph;
let summary: ModelSummary;
let keras: LoadedWeights;

beforeAll(() => {
  const r = compileFile(path.join(REPO, 'stdlib', 'mobilenet.cnn'), nodeHost(REPO));
  expect(r.diagnostics.map((d) => `${d.code} ${d.message}`)).toEqual([]);
  graph = r.models[0].graph;
  summary = r.models[0].summary!;
  keras = loadNsfwjsWeights();
});

/** Weights of the nodes `name` depends on, as `node/weight` → shape. */
function weightsUpTo(g: Graph, name: string): Map<string, readonly number[]> {
  const seen = new Set<number>();
  const stack = [g.nodes.find((n) => n.name === name)!.id];
  while (stack.length) {
    const id = stack.pop()!;
    if (seen.has(id)) continue;
    seen.add(id);
    stack.push(...g.nodes[id].inputs);
  }
  return new Map(
    g.nodes
      .filter((n) => seen.has(n.id))
      .flatMap((n) => (n.weights ?? []).map((w) => [`${n.name}/${w.name}`, w.shape] as const)),
  );
}

describe('stdlib MobileNetV2', () => {
  it("has torchvision's parameters, buffers and convolution output shapes", () => {
    const all = graph.nodes.flatMap((n) => n.weights ?? []);
    expect(countWeights(all)).toBe(oracle.params);
    expect(countWeights(all, 'buffer')).toBe(oracle.buffers);
    expect(summary.macs).toBe(oracle.macs);
    expect(summary.params.frozen).toBe(0);
    const shapes = graph.nodes
      .filter((n) => ['conv2d', 'depthwise_conv2d', 'dense'].includes(n.op))
      .map((n) => n.shape);
    expect(shapes).toEqual(
      oracle.layers.filter((l) => ['Conv2d', 'Linear'].includes(l.type)).map((l) => l.shape),
    );
  });

  it("names its backbone weights as Keras does, with Keras's shapes", () => {
    const ours = weightsUpTo(graph, 'out_relu');
    const theirs = weightsUpTo(keras.imported.graph!, 'out_relu');
    expect([...ours.keys()].sort()).toEqual([...theirs.keys()].sort());
    for (const [name, shape] of ours) expect(keras.weights.get(name)?.shape, name).toEqual(shape);
  });

  it('has the Keras backbone shapes at the named layers', () => {
    const k = keras.imported.graph!;
    const shape = (g: Graph, n: string) => g.nodes.find((x) => x.name === n)?.shape;
    for (const n of ['Conv1_relu', 'block_1_project_BN', 'block_13_expand_relu', 'out_relu'])
      expect(shape(graph, n), n).toEqual(shape(k, n));
  });
});
