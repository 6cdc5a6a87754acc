/**
 * Every model the stdlib defines (stdlib/*.cnn, found by compiling each file, not listed by hand),
 * and a small variant of each for forward passes: the smallest square input of SIDES the model
 * compiles at, with the 4096-wide classifiers of the families in NARROW_CLASSIFIERS narrowed to 64
 * hidden units as in ../parity-cases.ts. summaryFacts is what export → import must keep of a
 * summary.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Diagnostic } from '../../../compiler/diagnostics/diagnostic.js';
import type { Graph } from '../../../compiler/ir/graph.js';
import { compileFile, type CompiledModel } from '../../../compiler/program.js';
import { summaryJson } from '../../../compiler/report/summary.js';
import { memoryHost, STDLIB } from '../../helpers/memory-host.js';

/**
 * How many models the stdlib defines. A model added to the stdlib changes the count found and
 * fails the tests that use this list until it is raised here, so none is missed silently.
 */
export const STDLIB_TOTAL = 32;

export interface StdlibModel {
  /** The stdlib file, `resnet.cnn`. */
  readonly file: string;
  readonly name: string;
  /** At its declared input size. */
  readonly graph: Graph;
  /** The same, with its summary. */
  readonly compiled: CompiledModel;
  /** `CODE message` of each warning compiling its file gives. */
  readonly warnings: readonly string[];
}

const warningsOf = (ds: readonly Diagnostic[]) =>
  ds.filter((d) => d.severity === 'warning').map((d) => `${d.code} ${d.message}`);

/** Every model of every stdlib file, in file then definition order. */
export function stdlibModels(): StdlibModel[] {
  const files = fs
    .readdirSync(STDLIB)
    .filter((f) => f.endsWith('.cnn'))
    .sort();
  return files.flatMap((file) => {
    const r = compileFile(path.join(STDLIB, file), memoryHost({}));
    const errors = r.diagnostics.filter((d) => d.severity === 'error');
    if (errors.length)
      throw new Error(`${file}: ${errors.map((d) => `${d.code} ${d.message}`).join('; ')}`);
    return r.models.map((m) => ({
      file,
      name: m.graph.model,
      graph: m.graph,
      compiled: m,
      warnings: warningsOf(r.diagnostics),
    }));
  });
}

/** The classifier a family's small variant takes instead of its 4096-wide one, by stdlib file. */
const NARROW_CLASSIFIERS: Readonly<Record<string, string>> = {
  'alexnet.cnn':
    'replace classifier { dropout 0.5, fc6: dense 64, relu, dropout 0.5, fc7: dense 64, relu, fc8: dense 10 }',
  'vgg.cnn':
    'replace classifier { avgpool: adaptiveavgpool 7x7, flatten, fc1: dense 64, relu, dropout 0.5, fc2: dense 64, relu, dropout 0.5, fc3: dense 10 }',
};

/** Input sides a small variant tries, smallest first. */
const SIDES = [16, 24, 32, 48, 64, 75, 96, 99, 128, 160, 224, 227, 299];

export interface SmallModel {
  readonly compiled: CompiledModel;
  readonly warnings: readonly string[];
}

function tryCompile(text: string): SmallModel | null {
  const r = compileFile('/work/model.cnn', memoryHost({ 'model.cnn': text }));
  if (r.diagnostics.some((d) => d.severity === 'error')) return null;
  return { compiled: r.models[0], warnings: warningsOf(r.diagnostics) };
}

/**
 * A model at the smallest square input of SIDES it compiles at without errors (warnings allowed):
 * `${name}Small`, with its classifier narrowed where NARROW_CLASSIFIERS says. Single-channel
 * inputs stay single-channel.
 */
export function smallModel(m: StdlibModel): SmallModel {
  const shape = m.graph.nodes.find((n) => n.op === 'input')!.shape!;
  const channels = shape[shape.length - 1];
  for (const side of SIDES) {
    const g = tryCompile(
      `import ${m.file.replace(/\.cnn$/, '')}\nmodel ${m.name}Small = ${m.name} {\n  input ${side}x${side}x${channels}\n  ${NARROW_CLASSIFIERS[m.file] ?? ''}\n}\n`,
    );
    if (g) return g;
  }
  throw new Error(`${m.name} compiles at none of the sides ${SIDES.join(', ')}`);
}

/** A model compiled from text alone (an imported .cnn file), with its summary. */
export function compileSource(text: string): CompiledModel {
  const r = compileFile('/work/imported.cnn', memoryHost({ 'imported.cnn': text }));
  const errors = r.diagnostics.filter((d) => d.severity === 'error');
  if (errors.length || !r.models[0])
    throw new Error(`imported.cnn: ${errors.map((d) => `${d.code} ${d.message}`).join('; ')}`);
  return r.models[0];
}

/**
 * What a summary says that export → import must keep: the input and output shapes (with several
 * outputs, each output's name and shape in order), parameters
 * (total, trainable, frozen), buffers, MACs and receptive field, and per layer its op, output
 * shape, parameters, buffers, MACs and receptive field (names aside: imported layers are named
 * after ONNX initializers or by cnnc). Writings that ONNX makes one count as one: a `zero_pad`
 * before a convolution is folded into the convolution's padding (its layer drops out), an
 * adaptive pool to 1x1 is the global pool with its dims kept (and with the flatten after it,
 * `gap`), and one whose sizes divide is the plain pool.
 */
export function summaryFacts(m: CompiledModel): unknown {
  const j = summaryJson(m as Parameters<typeof summaryJson>[0], new Map()) as {
    readonly outputs?: readonly { readonly name: string; readonly layer: string }[];
    readonly layers: readonly {
      readonly op: string;
      readonly name: string;
      readonly source: string;
      readonly output: unknown;
    }[];
  } & Record<string, unknown>;
  // An adaptive pool to 1x1 is ONNX's global pool (`gap keepdims` imported), else the plain pool.
  const sameAs = (op: string, output: unknown) => {
    const kind = /^adaptive_(avg|max)_pool$/.exec(op)?.[1];
    if (!kind) return op;
    const spatial = Array.isArray(output) ? output.slice(0, -1) : [];
    return spatial.every((d) => d === 1) ? `global_${kind}_pool` : `${kind}_pool`;
  };
  const nodes = m.graph.nodes;
  const consumers = (id: number) => nodes.filter((n) => n.inputs.includes(id));
  const layers: Record<string, unknown>[] = [];
  j.layers.forEach(({ name: _name, source: _source, ...rest }, id) => {
    const op = sameAs(rest.op, rest.output);
    const next = consumers(id);
    // A zero_pad that only convolutions read: their padding.
    if (op === 'zero_pad' && next.every((c) => c.op === 'conv2d' || c.op === 'depthwise_conv2d'))
      return;
    // A global pool to 1x1 that only a flatten reads: `gap`, as imported (the flatten's output).
    if (op.startsWith('global_') && next.length === 1 && next[0].op === 'flatten') return;
    if (rest.op === 'flatten') {
      const from = nodes[nodes[id].inputs[0]];
      const pool = j.layers[from.id];
      const pooled = sameAs(pool.op, pool.output);
      if (pooled.startsWith('global_') && consumers(from.id).length === 1) {
        layers.push({ ...rest, op: pooled });
        return;
      }
    }
    layers.push({ ...rest, op });
  });
  return {
    input: j.input,
    output: j.output,
    // Each output's name and shape, in order (the layer it is aside).
    outputs: j.outputs?.map(({ layer: _layer, ...o }) => o) ?? null,
    params: j.params,
    buffers: j.buffers,
    macs: j.macs,
    receptiveField: j.receptiveField,
    layers,
  };
}
