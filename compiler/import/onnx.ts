/**
 * `importOnnx`: an ONNX model's bytes → .cnn source text, and for every weight of the compiled
 * model the initializer it comes from and its layout. Pure: the caller reads the file, reads
 * external data and converts the weights (compiler/cli/import-onnx.ts).
 *
 * The steps:
 *  1. decode and list the graph (onnx-model.ts); spans point into the listing;
 *  2. fold what only constants feed: Constant, Identity, and the Shape/Gather/Unsqueeze/Concat
 *     arithmetic torch emits for a Reshape that flattens;
 *  3. fold patterns into one statement: a zero Pad into the Conv or AveragePool after it,
 *     GlobalAveragePool + Flatten into `gap`, MatMul + Add of a constant into `dense`, the
 *     exporter's sliced adaptive pools into `adaptiveavgpool` (onnx-adaptive.ts);
 *  4. translate each node (onnx-ops.ts), one CNN2071 listing every op type that has no counterpart;
 *  5. nest the nodes as the language writes them (keras-graph.ts's `structure`): an Add of a fork
 *     and a path from it is `residual`, other joins `add`/`concat`/`multiply` with branches; with
 *     several graph outputs, one is the model's final value and each other an `output NAME { … }`
 *     head where it leaves the main path (onnx-outputs.ts);
 *  6. write the text, compile it once to learn each node's cnnc name (its span starts where its
 *     statement was written), then check what needs shapes (axes, flatten sizes, weight shapes).
 *
 * Weighted statements take a label made from their initializer's name (`layer1.0.conv1.weight`
 * gives `layer1_0_conv1`); other statements are unlabelled and named by cnnc (`relu1`, `add1`).
 */
import { cnnComment, cnnIdentifier } from '../codegen/cnn-text.js';
import { diag, type Diagnostic } from '../diagnostics/diagnostic.js';
import type { Graph, Node } from '../ir/graph.js';
import type { GraphLayer } from './keras-graph.js';
import { adaptivePoolCode, findAdaptivePools } from './onnx-adaptive.js';
import { compileText } from './keras.js';
import {
  ONNX_OPS,
  spatialPads,
  type ConstValue,
  type OnnxCode,
  type OpContext,
  type WeightLayout,
} from './onnx-ops.js';
import {
  decodeOnnx,
  tensorProblem,
  tensorValues,
  type OnnxModel,
  type OnnxNode,
  type OnnxTensor,
} from './onnx-model.js';
import { distinctOutputs, outputLayers, writeOutputs } from './onnx-outputs.js';
import { Writer, type WriterCode } from './render.js';

export interface OnnxImportOptions {
  /** Display path of the .onnx file: the listing's spans carry it. */
  readonly file: string;
  /** Display path of the .cnn file; default `model.cnn`. */
  readonly cnnFile?: string;
  /** The .cnn model's name; default the .onnx file's name. */
  readonly name?: string;
}

/** A weight of the imported model and the initializer its values come from. */
export interface OnnxWeightLink {
  /** cnnc's name, `${node}/${weight}`. */
  readonly name: string;
  readonly node: string;
  readonly weight: string;
  readonly shape: readonly number[];
  /** The initializer. */
  readonly source: string;
  readonly layout: WeightLayout;
  readonly scale: number;
}

export interface OnnxImport {
  /** The .cnn text; null when an import problem stopped it. */
  readonly source: string | null;
  readonly model: string;
  readonly weights: readonly OnnxWeightLink[];
  readonly graph: Graph | null;
  /** The decoded model (its initializers are read by the caller). */
  readonly onnx: OnnxModel | null;
  /** ONNX nodes the statements stand for (folded constants aside). */
  readonly nodeCount: number;
  readonly diagnostics: readonly Diagnostic[];
  /** Display path → text: the listing of the .onnx file and the .cnn text. */
  readonly sources: ReadonlyMap<string, string>;
}

const INPUT = '\u0000input';
/** Constants folded or read as values are small: a shape, a pad list, a Clip bound. */
const MAX_CONST_ELEMENTS = 4096;

interface Layer extends GraphLayer {
  readonly node: OnnxNode | null;
}

export function importOnnx(bytes: Uint8Array, options: OnnxImportOptions): OnnxImport {
  const cnnFile = options.cnnFile ?? 'model.cnn';
  const decoded = decodeOnnx(bytes, options.file);
  const diagnostics: Diagnostic[] = [...decoded.diagnostics];
  const sources = new Map([[options.file, decoded.listing]]);
  const stem = baseName(options.file).replace(/\.onnx$/i, '');
  const name = options.name ?? cnnIdentifier(stem || 'model');
  const fail = (onnx: OnnxModel | null = null, nodeCount = 0): OnnxImport => ({
    source: null,
    model: name,
    weights: [],
    graph: null,
    onnx,
    nodeCount,
    diagnostics,
    sources,
  });
  const model = decoded.model;
  if (!model) return fail();
  const report = (d: Diagnostic) => diagnostics.push(d);
  const graphError = (span = model.span, message: string, help?: string) =>
    report(diag('CNN2073', message, { span, help }));

  if (model.inputs.length !== 1 || model.outputs.length === 0) {
    graphError(
      model.span,
      `the graph has ${model.inputs.length} inputs and ${model.outputs.length} outputs; a .cnn model has one input and at least one output`,
    );
    return fail(model);
  }
  if (!distinctOutputs(model.outputs, report)) return fail(model);
  const input = model.inputs[0];
  const outputNames = new Set(model.outputs.map((o) => o.name));

  // 2. Constants: initializers (read when small), and nodes that only constants feed.
  const alias = new Map<string, string>();
  const resolve = (v: string) => {
    for (let i = 0; alias.has(v) && i < 1_000_000; i++) v = alias.get(v)!;
    return v;
  };
  const folded = new Map<string, ConstValue>();
  const producer = new Map<string, OnnxNode>();
  for (const n of model.nodes) for (const o of n.outputs) if (o) producer.set(o, n);
  const initializerOf = (v: string): OnnxTensor | undefined => model.initializers.get(resolve(v));
  const constOf = (v: string): ConstValue | undefined => {
    const r = resolve(v);
    const f = folded.get(r);
    if (f) return f;
    const t = model.initializers.get(r);
    if (!t || tensorProblem(t) !== null || t.data.kind === 'external') return undefined;
    if (t.dims.reduce((a, b) => a * b, 1) > MAX_CONST_ELEMENTS) return undefined;
    const c = { dims: t.dims, values: Array.from(tensorValues(t)) };
    folded.set(r, c);
    return c;
  };
  const dimsOf = (v: string): readonly number[] | undefined => {
    const info = v === input.name ? input : model.valueInfo.get(v);
    return info?.dims?.map((d) => (typeof d === 'number' ? d : NaN));
  };
  const foldedNodes = new Set<OnnxNode>();
  for (const n of model.nodes) {
    if (n.domain !== '') continue;
    if (n.opType === 'Identity' && n.inputs[0] && n.outputs[0]) {
      alias.set(n.outputs[0], n.inputs[0]);
      if (constOf(n.inputs[0]) || initializerOf(n.inputs[0])) foldedNodes.add(n);
      continue;
    }
    const c = foldNode(n, constOf, dimsOf);
    if (c && n.outputs[0]) {
      folded.set(n.outputs[0], c);
      foldedNodes.add(n);
    }
  }
  foldResizeSizes(model.nodes, producer, constOf, folded, foldedNodes);
  const isConst = (v: string) => constOf(v) !== undefined || initializerOf(v) !== undefined;

  // The nodes the outputs need.
  const needed = new Set<OnnxNode>();
  const stack = model.outputs.map((o) => o.name);
  const seenValues = new Set<string>();
  while (stack.length) {
    const v = stack.pop()!;
    if (seenValues.has(v)) continue;
    seenValues.add(v);
    const n = producer.get(v);
    if (!n || needed.has(n)) continue;
    needed.add(n);
    for (const i of n.inputs) if (i) stack.push(i);
  }
  const dataNodes = model.nodes.filter(
    (n) => needed.has(n) && !foldedNodes.has(n) && !(n.opType === 'Identity' && n.domain === ''),
  );
  const consumers = new Map<string, OnnxNode[]>();
  for (const n of dataNodes)
    for (const i of n.inputs) if (i) consumers.set(i, [...(consumers.get(i) ?? []), n]);
  const onlyConsumer = (v: string): OnnxNode | undefined => {
    const cs = consumers.get(v) ?? [];
    return cs.length === 1 && !outputNames.has(v) ? cs[0] : undefined;
  };
  // Adaptive pools written as slices (onnx-adaptive.ts): the last Concat reads the pool's input.
  const adaptive = findAdaptivePools(dataNodes, { producer, consumers, constOf });
  const dataInputs = (n: OnnxNode) => {
    const pool = adaptive.get(n);
    return pool ? [pool.input] : n.inputs.filter((i) => i && !isConst(i));
  };

  // 3. Patterns that become one statement.
  const skipped = new Set<OnnxNode>([...adaptive.values()].flatMap((p) => p.folded));
  const extraPads = new Map<OnnxNode, number[]>();
  const flattened = new Set<OnnxNode>();
  const matmulBias = new Map<OnnxNode, string>();
  const cx: OpContext = {
    opset: model.opset,
    constOf,
    initializerOf,
    extraPads: (n) => extraPads.get(n) ?? [],
    flattened: (n) => flattened.has(n),
    matmulBias: (n) => matmulBias.get(n),
    dataInputs,
    report,
  };
  for (const n of dataNodes) {
    if (n.domain !== '') continue;
    const out = n.outputs[0];
    // A Pad of nothing (torch writes one before an AvgPool2d that counts padding, even of 0).
    const none = n.opType === 'Pad' ? spatialPads(n, cx) : null;
    if (out && Array.isArray(none) && none.every((p) => p === 0)) {
      alias.set(out, n.inputs[0]);
      skipped.add(n);
      continue;
    }
    const next = out ? onlyConsumer(out) : undefined;
    if (!next || next.inputs[0] !== out || next.domain !== '') continue;
    if (n.opType === 'Pad') {
      const foldable =
        next.opType === 'Conv' ||
        (next.opType === 'AveragePool' &&
          next.attrs.get('count_include_pad')?.value.kind === 'int' &&
          next.attrs.get('count_include_pad')?.value.value === 1);
      const p = foldable ? spatialPads(n, cx) : null;
      if (!p || typeof p === 'string') continue;
      const prior = extraPads.get(n) ?? [0, 0, 0, 0];
      extraPads.set(
        next,
        p.map((x, i) => x + prior[i]),
      );
      alias.set(out, n.inputs[0]);
      skipped.add(n);
    } else if (n.opType === 'GlobalAveragePool' || n.opType === 'GlobalMaxPool') {
      const flat =
        (next.opType === 'Flatten' && (next.attrs.get('axis')?.value.value ?? 1) === 1) ||
        (next.opType === 'Reshape' &&
          isFlatten(next.inputs[1] ? constOf(next.inputs[1]) : undefined));
      if (!flat || !next.outputs[0]) continue;
      flattened.add(n);
      alias.set(next.outputs[0], out);
      skipped.add(next);
    } else if (n.opType === 'MatMul' && next.opType === 'Add') {
      const other = next.inputs[1];
      const b = other ? initializerOf(other) : undefined;
      const w = n.inputs[1] ? initializerOf(n.inputs[1]) : undefined;
      if (!b || !w || w.dims.length !== 2 || b.dims.reduce((x, y) => x * y, 1) !== w.dims[1])
        continue;
      if (!next.outputs[0]) continue;
      matmulBias.set(n, b.name);
      alias.set(next.outputs[0], out);
      skipped.add(next);
    }
  }

  // 4. Translate; every op type without a counterpart goes into one diagnostic.
  const code = new Map<string, WriterCode & OnnxCode>();
  const unsupported: OnnxNode[] = [];
  const kept = dataNodes.filter((n) => !skipped.has(n));
  for (const n of kept) {
    const pool = adaptive.get(n);
    const rule = pool
      ? () => adaptivePoolCode(pool)
      : n.domain === '' && Object.hasOwn(ONNX_OPS, n.opType)
        ? ONNX_OPS[n.opType]
        : undefined;
    if (!rule) {
      unsupported.push(n);
      continue;
    }
    const t = rule(n, cx);
    if (t) code.set(n.name, t);
  }
  if (unsupported.length) {
    const what = (n: OnnxNode) =>
      `\`${cnnComment(n.name)}\` (${n.domain ? `${cnnComment(n.domain)}.` : ''}${cnnComment(n.opType)})`;
    report(
      diag(
        'CNN2071',
        `${unsupported.length === 1 ? 'an ONNX node has' : `${unsupported.length} ONNX nodes have`} no counterpart in cnnc: ${unsupported.map(what).join(', ')}`,
        {
          span: unsupported[0].opSpan,
          labels: unsupported.slice(1).map((n) => ({ span: n.opSpan, message: n.opType })),
          help: `cnnc imports ${Object.keys(ONNX_OPS).join(', ')}, and folds Constant, Identity and shape arithmetic on constants`,
        },
      ),
    );
  }
  const inputText = inputStatement(model, report);
  if (diagnostics.some((d) => d.severity === 'error') || inputText === undefined)
    return fail(model, kept.length);

  // 5. Nesting.
  const layerOf = (v: string): string | undefined => {
    const r = resolve(v);
    if (r === input.name) return INPUT;
    const n = producer.get(r);
    return n && code.has(n.name) ? n.name : undefined;
  };
  const layers: Layer[] = [
    {
      name: INPUT,
      className: 'InputLayer',
      classSpan: input.span,
      inputs: [],
      calls: 1,
      node: null,
    },
  ];
  for (const n of kept) {
    const ins: string[] = [];
    for (const v of dataInputs(n)) {
      const l = layerOf(v);
      if (l === undefined) {
        graphError(
          n.nameSpan,
          `ONNX node \`${cnnComment(n.name)}\` reads \`${cnnComment(v)}\`, which no node makes`,
        );
        return fail(model, kept.length);
      }
      ins.push(l);
    }
    layers.push({
      name: n.name,
      className: n.opType,
      classSpan: n.nameSpan,
      inputs: ins,
      calls: 1,
      node: n,
    });
  }
  const outLayers = outputLayers(
    model.outputs,
    layerOf,
    { layer: INPUT, name: input.name, span: input.span },
    report,
  );
  if (!outLayers) return fail(model, kept.length);
  const nested = writeOutputs(
    { layers, input: INPUT, inputName: input.name, span: model.span },
    model.outputs,
    outLayers,
    (l) => code.get(l.name)?.kind === 'merge',
    report,
    { code: 'CNN2073', layer: 'ONNX node' },
  );
  if (!nested) return fail(model, kept.length);

  // Labels for weighted statements, distinct in each scope (the model's, each head's); the
  // outputs keep the names the graph gives them.
  const labels = new Map<string, string>();
  const taken = new Map<string, Set<string>>([['', new Set(nested.heads.size ? nested.ids : [])]]);
  for (const l of layers) {
    const c = code.get(l.name);
    if (!l.node || c?.kind !== 'layer' || c.weights.length === 0) continue;
    const head = nested.headOf.get(l.name);
    const scope = taken.get(head ?? '') ?? new Set<string>();
    taken.set(head ?? '', scope);
    const base = cnnIdentifier(headLabel(labelOf(l.node), head));
    let id = base;
    for (let k = 2; scope.has(id); k++) id = `${base}_${k}`;
    scope.add(id);
    labels.set(l.name, id);
  }

  // 6. Text, compiled once for the names, then checked.
  const writerCode = new Map<string, WriterCode>(code);
  writerCode.set(INPUT, { kind: 'input', text: inputText });
  const producerText = model.producer ? `, from ${model.producer}` : '';
  const header =
    `// ${name}: imported by \`cnnc import onnx\` from ${cnnComment(baseName(options.file))}, ONNX graph\n` +
    `// \`${cnnComment(model.graphName)}\` (opset ${model.opset}${cnnComment(producerText)}). Weights load from the\n` +
    '// safetensors file written beside it, in cnnc layouts.\n';
  const w = new Writer<Layer>(writerCode, labels);
  w.raw(`${header}\nmodel ${name} {\n`);
  const heads = (after: string) => {
    for (const h of nested.heads.get(after) ?? [])
      w.output(h.id, h.items, 1, h.onnxName === h.id ? '' : h.onnxName);
  };
  w.input(layers[0], 1);
  heads(INPUT);
  for (const item of nested.trunk.items) {
    w.items([item], 1);
    heads(item.kind === 'layer' ? item.layer.name : item.merge.name);
  }
  if (nested.trunkName !== null) {
    const onnxName = model.outputs[nested.ids.indexOf(nested.trunkName)].name;
    w.output(nested.trunkName, [], 1, onnxName === nested.trunkName ? '' : onnxName);
  }
  const source = `${w.text}}\n`;
  sources.set(cnnFile, source);
  const compiled = compileText(source, cnnFile);
  for (const d of compiled.diagnostics) diagnostics.push(d);
  const graph = compiled.graph;
  if (!graph) return { ...fail(model, kept.length), source };
  const nodeAt = new Map<number, Node>();
  for (const n of graph.nodes) if (n.span.file === cnnFile) nodeAt.set(n.span.start, n);
  const nodesOf = (l: string) => (w.offsets.get(l) ?? []).map((o) => nodeAt.get(o));

  const weights: OnnxWeightLink[] = [];
  for (const n of kept) {
    const c = code.get(n.name);
    const ids = nodesOf(n.name);
    if (!c || ids.length === 0 || ids.some((x) => !x)) continue;
    const first = ids[0]!;
    if (c.channelAxis) {
      const shape = graph.nodes[first.inputs[0]]?.shape;
      const { axis, span, what, legacy } = c.channelAxis;
      if (shape) {
        const rank = shape.length + 1;
        const a = axis < 0 ? axis + rank : axis;
        if (a !== 1 || (legacy && rank !== 2))
          report(
            diag(
              'CNN2072',
              `ONNX node \`${cnnComment(n.name)}\` (${n.opType}): ${what} over axis ${axis} of a rank-${rank} tensor; cnnc's ${what} works on the channel axis (1)${legacy ? ' of a rank-2 tensor before opset 13' : ''}`,
              { span },
            ),
          );
      }
    }
    if (c.kind !== 'layer') continue;
    if (c.flattenTo) {
      const shape = first.shape ?? [];
      if (shape.length !== 1 || shape[0] !== c.flattenTo.size)
        report(
          diag(
            'CNN2072',
            `ONNX node \`${cnnComment(n.name)}\` (Reshape): reshapes to ${c.flattenTo.size} values per sample, but each sample holds ${shape.join('x')}`,
            { span: c.flattenTo.span },
          ),
        );
    }
    for (const wt of c.weights) {
      const node = ids[wt.stmt]!;
      const cw = node.weights?.find((x) => x.name === wt.local);
      const t = model.initializers.get(wt.source);
      if (!cw || !t) continue;
      const problem = tensorProblem(t);
      const want = sourceShape(node, wt.local, wt.layout, cw.shape);
      if (problem)
        report(
          diag('CNN2074', `initializer \`${cnnComment(t.name)}\` ${problem}`, { span: t.span }),
        );
      else if (
        want === null
          ? t.dims.reduce((a, b) => a * b, 1) !== cw.shape.reduce((a, b) => a * b, 1)
          : want.join('x') !== t.dims.join('x')
      )
        report(
          diag(
            'CNN2074',
            `initializer \`${cnnComment(t.name)}\` is ${t.dims.join('x') || 'a scalar'}; ${node.name}/${wt.local} needs ${(want ?? cw.shape).join('x')}`,
            { span: t.span },
          ),
        );
      weights.push({
        name: `${node.name}/${wt.local}`,
        node: node.name,
        weight: wt.local,
        shape: cw.shape,
        source: wt.source,
        layout: wt.layout,
        scale: wt.scale,
      });
    }
  }
  return {
    source,
    model: name,
    weights,
    graph,
    onnx: model,
    nodeCount: kept.length,
    diagnostics,
    sources,
  };
}

function baseName(file: string): string {
  return file.split(/[\\/]/).pop() ?? file;
}

/** A Reshape target that flattens each sample: [N or 0 or -1 or a size, -1]. */
function isFlatten(c: ConstValue | undefined): boolean {
  return !!c && c.values.length === 2 && c.values[1] === -1 && c.values[0] !== -1;
}

/**
 * A label inside the head `head` drops the head's name where the module path starts with it
 * (`aux.AuxLogits.fc.weight` gives `AuxLogits_fc`, named `aux.AuxLogits_fc` in the model).
 */
function headLabel(label: string, head: string | undefined): string {
  return head !== undefined && label.startsWith(`${head}_`) && label.length > head.length + 1
    ? label.slice(head.length + 1)
    : label;
}

/** The label a weighted node's statement gets: its weight's module path, else its node path. */
function labelOf(n: OnnxNode): string {
  const weight = n.opType === 'BatchNormalization' ? n.inputs[1] : n.inputs[1];
  const m = /^([A-Za-z_][\w.]*?)\.(weight|bias|kernel)$/.exec(weight ?? '');
  if (m) return m[1].replace(/\./g, '_');
  const path = n.name.replace(/^\//, '').split('/');
  if (path.length > 1 && path[path.length - 1].startsWith(n.opType)) path.pop();
  return path.join('_') || n.opType.toLowerCase();
}

/** The ONNX shape an initializer must have to give a cnnc weight; null: any of the same size. */
function sourceShape(
  node: Node,
  weight: string,
  layout: WeightLayout,
  s: readonly number[],
): readonly number[] | null {
  if (layout === 'none') return null;
  if (layout === 'transpose') return s;
  switch (node.op) {
    case 'conv2d':
      return [s[3], s[2], s[0], s[1]];
    case 'conv2d_transpose':
      return [s[3], s[2], s[0], s[1]];
    case 'depthwise_conv2d':
      return weight === 'depthwise_kernel' ? [s[2] * s[3], 1, s[0], s[1]] : null;
    case 'dense':
      return [s[1], s[0]];
    default:
      return null;
  }
}

/** `input HxWxC` (or `input N`) from the graph input's NCHW (or [N, F]) shape. */
function inputStatement(model: OnnxModel, report: (d: Diagnostic) => void): string | undefined {
  const v = model.inputs[0];
  const dims = v.dims;
  const say = (message: string) => {
    report(diag('CNN2073', message, { span: v.span }));
    return undefined;
  };
  if (v.elemType !== 1)
    return say(`the input \`${cnnComment(v.name)}\` is not float; cnnc models take float32 inputs`);
  if (!dims) return say(`the input \`${cnnComment(v.name)}\` has no shape`);
  const d = (x: number | string | null) => (typeof x === 'number' ? String(x) : '?');
  if (dims.length === 4) return `input ${d(dims[2])}x${d(dims[3])}x${d(dims[1])}`;
  if (dims.length === 2) {
    if (typeof dims[1] !== 'number') return say('the input has an unknown number of features');
    return `input ${dims[1]}`;
  }
  return say(
    `the input \`${cnnComment(v.name)}\` has rank ${dims.length}; cnnc imports images [N, C, H, W] and vectors [N, F]`,
  );
}

/**
 * A Resize's `sizes` written as cnnc's export writes them, Concat(Slice(Shape(x), [0], [2]), [h, w])
 * (N and C of its own input, then a constant height and width), is folded to [NaN, NaN, h, w].
 */
function foldResizeSizes(
  nodes: readonly OnnxNode[],
  producer: ReadonlyMap<string, OnnxNode>,
  constOf: (v: string) => ConstValue | undefined,
  folded: Map<string, ConstValue>,
  foldedNodes: Set<OnnxNode>,
): void {
  for (const n of nodes) {
    const sizes = n.inputs[3];
    if (n.opType !== 'Resize' || n.domain !== '' || !sizes || constOf(sizes)) continue;
    const concat = producer.get(sizes);
    if (concat?.opType !== 'Concat' || concat.inputs.length !== 2) continue;
    const slice = producer.get(concat.inputs[0]);
    const hw = constOf(concat.inputs[1]);
    if (slice?.opType !== 'Slice' || !hw || hw.values.length !== 2) continue;
    const shape = producer.get(slice.inputs[0]);
    const [starts, ends] = [constOf(slice.inputs[1] ?? ''), constOf(slice.inputs[2] ?? '')];
    if (shape?.opType !== 'Shape' || shape.inputs[0] !== n.inputs[0] || shape.attrs.size) continue;
    if (starts?.values.join() !== '0' || ends?.values.join() !== '2' || slice.inputs[3]) continue;
    folded.set(sizes, { dims: [4], values: [NaN, NaN, ...hw.values] });
    for (const f of [concat, slice, shape]) foldedNodes.add(f);
  }
}

/** Folds a node fed only by constants (or a Shape of a known shape); undefined otherwise. */
function foldNode(
  n: OnnxNode,
  constOf: (v: string) => ConstValue | undefined,
  dimsOf: (v: string) => readonly number[] | undefined,
): ConstValue | undefined {
  const attr = (k: string) => n.attrs.get(k)?.value;
  const ins = n.inputs.map((i) => (i ? constOf(i) : undefined));
  const all = n.inputs.every((i, k) => !i || ins[k]);
  const vec = (values: readonly number[]): ConstValue => ({ dims: [values.length], values });
  switch (n.opType) {
    case 'Constant': {
      const v = attr('value');
      if (v?.kind === 'tensor') {
        if (tensorProblem(v.value) !== null || v.value.data.kind === 'external') return undefined;
        if (v.value.dims.reduce((a, b) => a * b, 1) > MAX_CONST_ELEMENTS) return undefined;
        return { dims: v.value.dims, values: Array.from(tensorValues(v.value)) };
      }
      const f = attr('value_float') ?? attr('value_int');
      if (f && (f.kind === 'float' || f.kind === 'int')) return { dims: [], values: [f.value] };
      const fs = attr('value_floats') ?? attr('value_ints');
      if (fs && (fs.kind === 'floats' || fs.kind === 'ints')) return vec(fs.value);
      return undefined;
    }
    case 'Shape': {
      const dims = n.inputs[0] ? dimsOf(n.inputs[0]) : undefined;
      if (!dims) return undefined;
      const start = attr('start')?.kind === 'int' ? (attr('start')!.value as number) : 0;
      const end = attr('end')?.kind === 'int' ? (attr('end')!.value as number) : dims.length;
      return vec(dims.slice(start, end));
    }
    case 'Cast':
      return all ? ins[0] : undefined;
    case 'Gather': {
      const [data, idx] = ins;
      if (!all || !data || !idx || data.dims.length !== 1) return undefined;
      const axis = attr('axis');
      if (axis && axis.kind === 'int' && axis.value !== 0) return undefined;
      const pick = idx.values.map((i) => data.values[i < 0 ? i + data.values.length : i]);
      if (pick.some((x) => x === undefined)) return undefined;
      return { dims: idx.dims, values: pick };
    }
    case 'Unsqueeze':
    case 'Squeeze': {
      if (!all || !ins[0]) return undefined;
      const size = ins[0].values.length;
      return { dims: size === 1 && n.opType === 'Squeeze' ? [] : [size], values: ins[0].values };
    }
    case 'Concat': {
      if (!all || ins.some((c) => !c || c.dims.length > 1)) return undefined;
      return vec(ins.flatMap((c) => c!.values));
    }
    default:
      return undefined;
  }
}
