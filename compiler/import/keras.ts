/**
 * `importKeras`: a Keras / TensorFlow.js layers model.json → .cnn source text, the cnnc names of its
 * layers and the cnnc name of every weight. Pure: the caller reads and writes the files.
 *
 * Layers keep their Keras names as labels, so a weight `block_1_expand/kernel` is cnnc's
 * `block_1_expand/kernel` too; only weightless merges (`block_2_add`, named `add1` …), layers inside
 * merge branches (`branch1.conv2d_5`) and activations fused into a layer (`relu1`) differ, and the
 * returned maps say how. The text is compiled once to learn the names (each node's span starts
 * where its statement was written) and to check what needs shapes (a Keras axis must be the last).
 */
import { diag, type Diagnostic } from '../diagnostics/diagnostic.js';
import type { Graph, Node } from '../ir/graph.js';
import { compileFile, type Host } from '../program.js';
import { structure } from './keras-graph.js';
import { translateLayer, type Translation } from './keras-layers.js';
import { readKerasModel, type KerasLayer, type KerasModel } from './keras-model.js';
import { LiteralError, parseLiteral, type Literal } from './literal.js';
import { cnnComment, cnnIdentifier, cnnIdentifiers } from '../codegen/cnn-text.js';
import { Writer } from './render.js';

export interface ImportOptions {
  /** Display path of the model.json, used in diagnostics' spans. */
  readonly file: string;
  /** Display path of the .cnn file (spans of its own diagnostics); default `model.cnn`. */
  readonly cnnFile?: string;
  /** The .cnn model's name; default the Keras model's name. */
  readonly name?: string;
}

/** A weight of the imported model and where its values come from. */
export interface WeightLink {
  /** cnnc's name, `${node}/${weight}`. */
  readonly name: string;
  readonly shape: readonly number[];
  /** The Keras weight, as the manifest spells it (`Conv1/kernel`); null when Keras has none. */
  readonly keras: string | null;
  /** The constant a weight Keras lacks starts at (batch norm with `scale: false`), else null. */
  readonly fill: number | null;
}

export interface KerasImport {
  /** The .cnn text; null when an import problem (not a compile one) stopped it. */
  readonly source: string | null;
  readonly model: string;
  /** Keras layer → its cnnc nodes in order (the weighted one first, the layer's output last). */
  readonly layers: ReadonlyMap<string, readonly string[]>;
  /** Every weight of the compiled model, in graph order. */
  readonly weights: readonly WeightLink[];
  /** The model.json lists weights (a weightsManifest), so the weights can be converted. */
  readonly hasWeights: boolean;
  /** The compiled model, when the source compiled to a graph. */
  readonly graph: Graph | null;
  /** Import problems (spans in the model.json) and the compiler's (spans in the .cnn). */
  readonly diagnostics: readonly Diagnostic[];
  /** Display path → text of both files, for rendering the diagnostics. */
  readonly sources: ReadonlyMap<string, string>;
}

export function importKeras(text: string, options: ImportOptions): KerasImport {
  const cnnFile = options.cnnFile ?? 'model.cnn';
  const diagnostics: Diagnostic[] = [];
  const sources = new Map([[options.file, text]]);
  const fail = (model = options.name ?? 'model'): KerasImport => ({
    source: null,
    model,
    layers: new Map(),
    weights: [],
    hasWeights: false,
    graph: null,
    diagnostics,
    sources,
  });

  let root: Literal;
  try {
    root = parseLiteral(text, options.file);
  } catch (e) {
    if (!(e instanceof LiteralError)) throw e;
    diagnostics.push(diag('CNN2031', `not JSON: ${e.message}`, { span: e.span }));
    return fail();
  }
  const read = readKerasModel(root);
  for (const d of read.diagnostics) diagnostics.push(d);
  const model = read.model;
  if (!model) return fail();
  const name = cnnIdentifier(options.name ?? model.name);
  if (name !== (options.name ?? model.name)) {
    const what =
      options.name === undefined ? `Keras model \`${model.name}\`` : `--name \`${options.name}\``;
    diagnostics.push(
      diag('CNN2035', `${what} is named \`${name}\` in the .cnn file`, {
        span: model.span,
        help: 'a .cnn model name is an identifier (letters, digits, _) and not a keyword; --name NAME chooses one',
      }),
    );
  }

  // Translate every layer (one diagnostic per layer that cannot be), then nest them.
  const code = new Map<string, Translation>();
  for (const l of model.layers) {
    const t = translateLayer(l, (d) => diagnostics.push(d));
    if (t) code.set(l.name, t);
  }
  const report = (d: Diagnostic) => diagnostics.push(d);
  // A layer that did not translate but joins inputs (Subtract, Average, …) nests like a merge, so
  // that it is reported once, as a layer, and the rest of the graph is still checked.
  const joins = (l: KerasLayer) =>
    code.get(l.name)?.kind === 'merge' || (!code.has(l.name) && l.inputs.length > 1);
  const nested = structure(model, joins, report);
  if (!nested || diagnostics.some((d) => d.severity === 'error')) return fail(name);
  const labels = assignLabels(model, joins, report);

  const version = model.kerasVersion ? ` (Keras ${model.kerasVersion})` : '';
  const header =
    `// ${name}: imported by \`cnnc import keras\` from ${cnnComment(baseName(options.file))}, the ${model.kind}\n` +
    `// Keras model \`${cnnComment(model.name)}\`${cnnComment(version)}. ` +
    'Layers keep their Keras names, so weights load by name.\n';
  const w = new Writer(code, labels);
  w.raw(`${header}\nmodel ${name} {\n`);
  w.input(nested.input, 1);
  w.items(nested.items, 1);
  const body = w.text;

  const first = compileText(`${body}}\n`, cnnFile);
  const graph = first.graph;
  const nodeAt = new Map<number, Node>();
  for (const n of graph?.nodes ?? []) if (n.span.file === cnnFile) nodeAt.set(n.span.start, n);
  const layers = new Map<string, string[]>();
  const owner = new Map<number, KerasLayer>();
  for (const l of model.layers) {
    const ids = (w.offsets.get(l.name) ?? []).map((o) => nodeAt.get(o));
    if (ids.some((n) => !n)) continue;
    layers.set(
      l.name,
      ids.map((n) => n!.name),
    );
    for (const n of ids) owner.set(n!.id, l);
  }
  if (graph) checkAxes(model, code, layers, graph, report);

  const freeze = graph ? freezeLine(graph, owner) : '';
  const source = `${body}${freeze}}\n`;
  const final = freeze ? compileText(source, cnnFile) : first;
  for (const d of final.diagnostics) diagnostics.push(d);
  sources.set(cnnFile, source);
  const weights = final.graph ? linkWeights(model, code, layers, final.graph, report) : [];
  return {
    source,
    model: name,
    layers,
    weights,
    hasWeights: model.manifest !== null,
    graph: final.graph,
    diagnostics,
    sources,
  };
}

function baseName(file: string): string {
  return file.split(/[\\/]/).pop() ?? file;
}

/** Labels for every layer: its name, or a close identifier (CNN2035) that no other layer has. */
function assignLabels(
  model: KerasModel,
  isMerge: (l: KerasLayer) => boolean,
  report: (d: Diagnostic) => void,
): Map<string, string> {
  // Merges become `residual`/`add`/`concat` statements, which take no label.
  const labelled = model.layers.filter((l) => !isMerge(l));
  const ids = cnnIdentifiers(labelled.map((l) => l.name));
  const labels = new Map<string, string>();
  for (const l of model.layers) {
    const label = ids.get(l.name) ?? cnnIdentifier(l.name);
    if (label !== l.name && !isMerge(l)) {
      report(
        diag('CNN2035', `Keras layer \`${l.name}\` is named \`${label}\` in the .cnn file`, {
          span: l.nameSpan,
          help: 'a .cnn label is an identifier (letters, digits, _) and not a keyword',
        }),
      );
    }
    labels.set(l.name, label);
  }
  return labels;
}

export function compileText(
  text: string,
  cnnFile: string,
): { graph: Graph | null; diagnostics: readonly Diagnostic[] } {
  // The text is checked in a virtual project of its own: only the file's last name is kept, so a
  // display path such as ../../out/model.cnn cannot place it outside that project.
  const abs = `/cnnc-import/${cnnFile.split(/[\\/]/).pop() || 'model.cnn'}`;
  const host: Host = {
    stdlibDir: '/cnnc-import/no-stdlib',
    readFile: (p) => (p === abs ? text : undefined),
    inspect: (p) => (p === abs ? { canonical: p, kind: 'file' } : undefined),
    projectRoot: () => '/cnnc-import',
    stdlibModules: () => [],
    displayPath: (p) => (p === abs ? cnnFile : p),
  };
  const r = compileFile(abs, host);
  return { graph: r.models[0]?.graph ?? null, diagnostics: r.diagnostics };
}

/** A Keras axis written as a positive number must be the last one of the layer's input. */
function checkAxes(
  model: KerasModel,
  code: ReadonlyMap<string, Translation>,
  layers: ReadonlyMap<string, readonly string[]>,
  graph: Graph,
  report: (d: Diagnostic) => void,
): void {
  const byName = new Map(graph.nodes.map((n) => [n.name, n]));
  for (const l of model.layers) {
    const t = code.get(l.name);
    const axis = t && t.kind !== 'input' ? t.lastAxis : undefined;
    const node = byName.get(layers.get(l.name)?.[0] ?? '');
    const shape = node && graph.nodes[node.inputs[0]]?.shape;
    if (!axis || !shape || axis.value === shape.length) continue;
    report(
      diag(
        'CNN2033',
        `Keras layer \`${l.name}\` (${l.className}): axis ${axis.value} is not the last axis (${shape.length}) of its input`,
        {
          span: axis.span,
          help: 'cnnc normalises and concatenates along the channel axis only',
        },
      ),
    );
  }
}

/**
 * `freeze a..b, c` for the layers Keras marks `trainable: false`: runs of frozen weighted layers in
 * model order (weightless layers between them join the run).
 */
function freezeLine(graph: Graph, owner: ReadonlyMap<number, KerasLayer>): string {
  const nodes = graph.nodes.filter((n) => n.op !== 'input');
  const runs: [string, string][] = [];
  let open: [string, string] | null = null;
  for (const n of nodes) {
    const l = owner.get(n.id);
    if ((n.weights?.length ?? 0) === 0) continue;
    if (l && !l.trainable) {
      if (open) open[1] = n.name;
      else runs.push((open = [n.name, n.name]));
    } else open = null;
  }
  if (runs.length === 0) return '';
  const weighted = nodes.filter((n) => (n.weights?.length ?? 0) > 0);
  const first = weighted[0]?.name;
  const last = weighted[weighted.length - 1]?.name;
  const targets = runs.map(([a, b]) => {
    if (a === b) return a;
    return `${a === first ? '' : a}..${b === last ? '' : b}`;
  });
  return `\n  // Layers that are not trainable in the Keras model.\n  freeze ${targets.join(', ')}\n`;
}

/** cnnc weights in graph order, each tied to its Keras weight; checks the manifest against them. */
function linkWeights(
  model: KerasModel,
  code: ReadonlyMap<string, Translation>,
  layers: ReadonlyMap<string, readonly string[]>,
  graph: Graph,
  report: (d: Diagnostic) => void,
): WeightLink[] {
  const fromKeras = new Map<string, string>();
  const fills = new Map<string, number>();
  const layerOf = new Map<string, KerasLayer>();
  for (const l of model.layers) {
    const t = code.get(l.name);
    const nodes = layers.get(l.name);
    if (t?.kind !== 'layer' || !nodes) continue;
    for (const w of t.weights) {
      fromKeras.set(`${nodes[w.stmt]}/${w.local}`, `${l.name}/${w.keras}`);
      layerOf.set(`${l.name}/${w.keras}`, l);
    }
    for (const f of t.fills) fills.set(`${nodes[f.stmt]}/${f.local}`, f.value);
  }
  // Mutable here: a manifest entry replaces `keras` with its own spelling of the name.
  const links = graph.nodes.flatMap((n) =>
    (n.weights ?? []).map((w): { -readonly [K in keyof WeightLink]: WeightLink[K] } => {
      const name = `${n.name}/${w.name}`;
      return {
        name,
        shape: w.shape,
        keras: fromKeras.get(name) ?? null,
        fill: fills.get(name) ?? null,
      };
    }),
  );
  if (!model.manifest) return links;

  const byKeras = new Map(links.filter((l) => l.keras).map((l) => [l.keras!, l]));
  const found = new Set<string>();
  for (const m of model.manifest) {
    const link = byKeras.get(m.name) ?? byKeras.get(shortName(m.name));
    if (badEncoding(m.dtype, m.quantization))
      report(
        diag(
          'CNN2037',
          `weight \`${m.name}\` is stored as ${m.quantization ?? m.dtype}, which cnnc cannot read`,
          {
            span: m.span,
            help: 'cnnc reads float32 and int32 weights, and uint8, uint16 and float16 quantisation',
          },
        ),
      );
    if (!link) {
      report(
        diag(
          'CNN2036',
          `weight \`${m.name}\` in the weightsManifest belongs to no imported layer`,
          { span: m.span },
        ),
      );
      continue;
    }
    if (found.has(link.keras!)) {
      report(
        diag('CNN2036', `weight \`${m.name}\` appears twice in the weightsManifest`, {
          span: m.span,
        }),
      );
      continue;
    }
    found.add(link.keras!);
    if (m.shape.join('x') !== link.shape.join('x'))
      report(
        diag(
          'CNN2036',
          `weight \`${m.name}\` is ${m.shape.join('x') || 'a scalar'} in the weightsManifest; the imported layer needs ${link.shape.join('x')}`,
          {
            span: m.span,
          },
        ),
      );
    link.keras = m.name;
  }
  const missing = new Map<KerasLayer, string[]>();
  for (const [keras, link] of byKeras) {
    if (found.has(keras)) continue;
    const l = layerOf.get(keras)!;
    missing.set(l, [...(missing.get(l) ?? []), link.keras!]);
  }
  for (const [l, names] of missing)
    report(
      diag(
        'CNN2036',
        `the weightsManifest lacks ${names.map((n) => `\`${n}\``).join(', ')} of Keras layer \`${l.name}\``,
        {
          span: l.classSpan,
        },
      ),
    );
  return links;
}

/** `model_1/conv1/kernel:0` → `conv1/kernel`. */
function shortName(name: string): string {
  const parts = name.replace(/:\d+$/, '').split('/');
  return parts.slice(-2).join('/');
}

function badEncoding(dtype: string, quantization: string | null): boolean {
  if (quantization !== null) return !['uint8', 'uint16', 'float16'].includes(quantization);
  return !['float32', 'int32'].includes(dtype);
}
