/**
 * model.ts of an emitted TensorFlow.js project: one builder per compiled model, as a TensorFlow.js
 * user would write it (docs/codegen.md, "TensorFlow.js project"):
 *
 *   export function buildLeNet5(options): tf.Sequential     tf.sequential() for a chain of layers,
 *                                                            the functional tf.model() otherwise;
 *                                                            one layer per IR node, with the .cnn
 *                                                            line and the output shape in a comment
 *   export const LeNet5: ModelSpec = { … }                  what train.ts and weights.ts need
 *   export const MODELS = new Map([['LeNet5', LeNet5]])
 *
 * Layers are named after the IR's names (names.ts), so their weights keep cnnc's names. The text
 * is laid out by prettier afterwards (format.ts); the emitter is pure and returns the CNN61xx
 * diagnostics of what it cannot write.
 */
import type { Diagnostic } from '../../diagnostics/diagnostic.js';
import type { Graph, Node } from '../../ir/graph.js';
import { formatDim, formatShape, type Dim, type SymbolEnv } from '../../sema/dim.js';
import { SourceLines } from '../source-lines.js';
import { TsNamer, tsComment, tsDocText, tsNumber, tsString } from '../ts-text.js';
import { CUSTOM_LAYERS, type CustomLayer } from './custom-layers.js';
import { LayerNamer, mangleLayerName } from './names.js';
import { OP_RULES, type ConfigEntry, type LayerForm, type OpContext } from './ops.js';

export interface TfjsModelInput {
  readonly graph: Graph;
  /** Symbol names for comments (`H/4`); optional. */
  readonly env?: SymbolEnv | null;
  /** What `cnnc train` writes into a checkpoint's cnnc.json for this model. */
  readonly irHash: string;
  readonly sourceHash: string;
  /** The train block's initialisation scheme (default: PyTorch's). */
  readonly init: 'default' | 'he' | 'glorot';
}

export interface ModelTsOptions {
  /** Source texts by display path, for the line numbers of comments. */
  readonly sources: ReadonlyMap<string, string>;
  /** How comments show a source file's display path (default: as it is). */
  readonly showPath?: (display: string) => string;
  /** The .cnn file compiled, as comments show it. */
  readonly entry: string;
}

export interface EmittedModelTs {
  readonly text: string;
  /** The custom layers (layers.ts) the models use. */
  readonly custom: ReadonlySet<CustomLayer>;
  /** Per model name: the spec constant and builder of model.ts. */
  readonly names: ReadonlyMap<string, { readonly spec: string; readonly build: string }>;
  readonly diagnostics: readonly Diagnostic[];
}

/** Module-level names of model.ts besides the models' own. */
const MODULE_NAMES = ['ModelSpec', 'BuildOptions', 'InitScheme', 'MODELS', 'apply', 'initializers'];
/** Names a builder's body uses: its variables must not shadow them. */
const BUILDER_NAMES = ['init', 'options', 'model', 'apply', 'initializers', ...CUSTOM_LAYERS];

const HEADER = String.raw`import * as tf from '@tensorflow/tfjs';
IMPORTS

/** What train.ts and weights.ts need to know of a model besides its layers. */
export interface ModelSpec {
  /** The model's name in the .cnn file. */
  readonly name: string;
  readonly build: (options?: BuildOptions) => tf.LayersModel;
  /** Per-sample input shape, channels last; null where the .cnn file leaves a size open. */
  readonly input: readonly (number | null)[];
  /** cnnc layer name → layer name here, for the layers whose names tfjs cannot take as they are. */
  readonly renamed: ReadonlyMap<string, string>;
  /** The layers (cnnc names) the .cnn file freezes: they are built with trainable: false. */
  readonly frozen: readonly string[];
  /** What cnnc train writes into a checkpoint's cnnc.json for this model. */
  readonly irHash: string;
  readonly sourceHash: string;
}

export interface BuildOptions {
  /** Seed of the initial weights (layer after layer: seed, seed + 1, …); without it they differ on every build. */
  readonly seed?: number;
}

export type InitScheme = 'default' | 'he' | 'glorot';

/**
 * Initial weights as cnnc draws them (a train block's init): default (PyTorch's): kernels and
 * biases U(−1/√fan_in, 1/√fan_in); he: kernels N(0, 2/fan_in), biases 0; glorot: kernels
 * Glorot-uniform (Keras's default), biases 0. fan_in is PyTorch's (a depthwise kernel's is its
 * window). Batch norms start at gamma 1, beta 0, mean 0, variance 1, as tfjs's do.
 */
function initializers(scheme: InitScheme, seed: number | undefined) {
  let k = 0;
  const next = () => (seed === undefined ? undefined : seed + k++);
  const uniform = (fanIn: number) =>
    tf.initializers.randomUniform({ minval: -1 / Math.sqrt(fanIn), maxval: 1 / Math.sqrt(fanIn), seed: next() });
  const kernel = (fanIn: number) =>
    scheme === 'default'
      ? uniform(fanIn)
      : scheme === 'he'
        ? tf.initializers.randomNormal({ mean: 0, stddev: Math.sqrt(2 / fanIn), seed: next() })
        : tf.initializers.glorotUniform({ seed: next() });
  const bias = (fanIn: number) => (scheme === 'default' ? uniform(fanIn) : tf.initializers.zeros());
  return {
    /** A layer's kernelInitializer and, with a bias, biasInitializer. */
    weights: (fanIn: number, withBias = true) => ({
      kernelInitializer: kernel(fanIn),
      ...(withBias ? { biasInitializer: bias(fanIn) } : {}),
    }),
    /** A depthwise convolution's depthwiseInitializer and, with a bias, biasInitializer. */
    depthwise: (fanIn: number, withBias = true) => ({
      depthwiseInitializer: kernel(fanIn),
      ...(withBias ? { biasInitializer: bias(fanIn) } : {}),
    }),
  };
}
`;

const APPLY = String.raw`
/** Applies a layer to symbolic tensors (the functional API). */
function apply(layer: tf.layers.Layer, ...inputs: tf.SymbolicTensor[]): tf.SymbolicTensor {
  return layer.apply(inputs.length === 1 ? inputs[0] : inputs) as tf.SymbolicTensor;
}
`;

/** True when every node takes the one before it and the last is the only output. */
export function isChain(graph: Graph): boolean {
  return (
    graph.outputs.length === 1 &&
    graph.outputs[0] === graph.nodes.length - 1 &&
    graph.nodes.every((n, i) =>
      i === 0 ? n.op === 'input' : n.inputs.length === 1 && n.inputs[0] === i - 1,
    )
  );
}

/** fan_in as PyTorch computes it (cnnc's default initialisation): runtime/init.ts fanIn. */
function fanIn(node: Node): number | null {
  const kernel = node.weights?.find((w) => w.name === 'kernel' || w.name === 'depthwise_kernel');
  if (!kernel) return null;
  const s = kernel.shape;
  if (node.op === 'depthwise_conv2d') return s[0] * s[1];
  return s.reduce((a, b) => a * b, 1) / s[s.length - 1];
}

function configText(entries: readonly ConfigEntry[]): string {
  // An empty key is a spread (`...init.weights(25)`).
  return entries.length
    ? `{ ${entries.map(([k, v]) => (k ? `${k}: ${v}` : v)).join(', ')} }`
    : '{}';
}

function layerText(form: LayerForm, entries: readonly ConfigEntry[]): string {
  const config = configText(entries);
  return form.custom ? `new ${form.factory}(${config})` : `${form.factory}(${config})`;
}

const shapeText = (shape: readonly Dim[], env?: SymbolEnv | null) =>
  formatShape(shape, env ?? undefined);

interface Builder {
  readonly lines: readonly string[];
  readonly renamed: ReadonlyMap<string, string>;
}

function emitBuilder(
  input: TfjsModelInput,
  buildName: string,
  options: ModelTsOptions,
  lines: SourceLines,
  custom: Set<CustomLayer>,
): Builder {
  const { graph, env } = input;
  const layerNames = new LayerNamer();
  const vars = new TsNamer(new Set(BUILDER_NAMES));
  const renamed = new Map<string, string>();
  const where = (n: Node): string => {
    const line = lines.lineOf(n.span.file, n.span.start);
    const file = (options.showPath ?? ((p: string) => p))(n.span.file);
    return tsComment(line === null ? file : `${file}:${line}`);
  };
  const chain = isChain(graph);
  const inputNode = graph.nodes.find((n) => n.op === 'input')!;
  const inShape = inputNode.shape ?? [];
  const inputShape = `[${inShape.map((d) => (typeof d === 'number' ? tsNumber(d) : 'null')).join(', ')}]`;
  const out: string[] = [];
  const batchShape = (shape: readonly Dim[]) =>
    `[N, ${shape.map((d) => formatDim(d, env ?? undefined)).join(', ')}]`;
  const outShapes = graph.outputs.map((o) => batchShape(graph.nodes[o].shape ?? []));
  out.push(
    `/**`,
    ` * ${tsDocText(graph.model)}, compiled by cnnc from ${tsDocText(options.entry)}: input ${tsDocText(batchShape(inShape))}, output ${tsDocText(outShapes.join(', '))}.`,
    ` */`,
    `export function ${buildName}(options: BuildOptions = {}): ${chain ? 'tf.Sequential' : 'tf.LayersModel'} {`,
    `const init = initializers(${tsString(input.init)}, options.seed);`,
  );
  const modelName = tsString(mangleLayerName(graph.model));
  const varOf = new Map<number, string>();
  if (chain) out.push(`const model = tf.sequential({ name: ${modelName} });`);
  let scope = '';
  for (const n of graph.nodes) {
    const name = layerNames.name(n.name);
    if (name !== n.name) renamed.set(n.name, name);
    const nodeScope = n.name.includes('.') ? n.name.slice(0, n.name.lastIndexOf('.')) : '';
    if (nodeScope !== scope) {
      if (nodeScope && !scope.startsWith(`${nodeScope}.`)) out.push(`// ${tsComment(nodeScope)}`);
      scope = nodeScope;
    }
    const comment = ` // ${where(n)} -> ${tsComment(shapeText(n.shape ?? [], env))}`;
    if (n.op === 'input') {
      if (chain)
        out.push(
          `model.add(tf.layers.inputLayer({ name: ${tsString(name)}, inputShape: ${inputShape} }));${comment}`,
        );
      else {
        const v = vars.name(n.name);
        varOf.set(n.id, v);
        out.push(
          `const ${v} = tf.input({ name: ${tsString(name)}, shape: ${inputShape} });${comment}`,
        );
      }
      continue;
    }
    const ctx: OpContext<Node['op']> = {
      node: n,
      inShapes: n.inputs.map((i) => graph.nodes[i].shape ?? []),
    };
    const form = (OP_RULES[n.op] as (c: OpContext<Node['op']>) => LayerForm)(ctx);
    if (form.custom) custom.add(form.custom);
    const entries: ConfigEntry[] = [['name', tsString(name)], ...form.config];
    const f = fanIn(n);
    if (f !== null) {
      const bias = n.weights?.some((w) => w.name === 'bias') ? '' : ', false';
      const which = n.op === 'depthwise_conv2d' ? 'depthwise' : 'weights';
      entries.push(['', `...init.${which}(${tsNumber(f)}${bias})`]);
    }
    if (n.frozen) entries.push(['trainable', 'false']);
    const layer = layerText(form, entries);
    if (chain) out.push(`model.add(${layer});${comment}`);
    else {
      const v = vars.name(n.name);
      varOf.set(n.id, v);
      const args = n.inputs.map((i) => varOf.get(i)!).join(', ');
      out.push(`const ${v} = apply(${layer}, ${args});${comment}`);
    }
  }
  if (chain) out.push('return model;');
  else {
    const outputs = graph.outputs.map((o) => varOf.get(o)!);
    const inputVar = varOf.get(inputNode.id)!;
    out.push(
      `return tf.model({ name: ${modelName}, inputs: ${inputVar}, outputs: ${outputs.length === 1 ? outputs[0] : `[${outputs.join(', ')}]`} });`,
    );
  }
  out.push('}');
  return { lines: out, renamed };
}

/** model.ts for the compiled models of one file. */
export function emitModelTs(
  models: readonly TfjsModelInput[],
  options: ModelTsOptions,
): EmittedModelTs {
  const diagnostics: Diagnostic[] = [];
  const lines = new SourceLines(options.sources);
  const moduleNames = new TsNamer(new Set([...MODULE_NAMES, ...CUSTOM_LAYERS]));
  const custom = new Set<CustomLayer>();
  const names = new Map<string, { spec: string; build: string }>();
  for (const m of models) {
    const model = m.graph.model;
    const spec = moduleNames.name(model, `spec ${model}`);
    const build = moduleNames.name(
      `build${model.charAt(0).toUpperCase()}${model.slice(1)}`,
      `build ${model}`,
    );
    names.set(model, { spec, build });
  }
  const parts: string[] = [];
  let functional = false;
  for (const m of models) {
    const { spec, build } = names.get(m.graph.model)!;
    functional ||= !isChain(m.graph);
    const builder = emitBuilder(m, build, options, lines, custom);
    const input = (m.graph.nodes.find((n) => n.op === 'input')?.shape ?? []).map((d) =>
      typeof d === 'number' ? tsNumber(d) : 'null',
    );
    const frozen = m.graph.nodes
      .filter((n) => n.frozen && n.weights?.length)
      .map((n) => tsString(n.name));
    const renamed = [...builder.renamed].map(([a, b]) => `[${tsString(a)}, ${tsString(b)}]`);
    parts.push(
      ...builder.lines,
      '',
      `export const ${spec}: ModelSpec = {`,
      `name: ${tsString(m.graph.model)},`,
      `build: ${build},`,
      `input: [${input.join(', ')}],`,
      `renamed: new Map<string, string>([${renamed.join(', ')}]),`,
      `frozen: [${frozen.join(', ')}],`,
      `irHash: ${tsString(m.irHash)},`,
      `sourceHash: ${tsString(m.sourceHash)},`,
      '};',
      '',
    );
  }
  const used = CUSTOM_LAYERS.filter((c) => custom.has(c));
  const imports = used.length ? `import { ${used.join(', ')} } from './layers.js';\n` : '';
  const entry = tsComment(options.entry);
  const text = [
    `// Generated by cnnc from ${entry} (cnnc compile --emit tfjs). DO NOT EDIT: compile again.`,
    '/**',
    ` * TensorFlow.js models compiled by cnnc from ${tsDocText(options.entry)}: ${models.map((m) => tsDocText(m.graph.model)).join(', ')}.`,
    ' *',
    ' * Tensors are channels last, as in TensorFlow.js and cnnc: images [N, H, W, C], sequences',
    " * [N, L, C], vectors [N, F], float32. weights.ts loads cnnc's weight files into these models;",
    ' * README.md shows how.',
    ' */',
    HEADER.replace('IMPORTS\n', imports),
    ...(functional ? [APPLY] : []),
    ...parts,
    '/** Every model of the file, by its name in the .cnn file. */',
    `export const MODELS: ReadonlyMap<string, ModelSpec> = new Map<string, ModelSpec>([${models
      .map((m) => `[${tsString(m.graph.model)}, ${names.get(m.graph.model)!.spec}]`)
      .join(', ')}]);`,
    '',
  ].join('\n');
  return { text, custom, names, diagnostics };
}
