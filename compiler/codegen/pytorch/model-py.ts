/**
 * model.py: one nn.Module per compiled model, as a PyTorch user would write it (docs/codegen.md
 * describes the file; PYTORCH-CONTRACT in the issue lists what train.py relies on).
 *
 *   class LeNet5(nn.Module):           the model's name (mangled when it is not a safe identifier)
 *       CNNC_MODEL, CNNC_INPUT, …      plain literals describing the model and its weights
 *       def __init__(self)             one submodule per layer with weights, nn.ModuleDict scopes
 *       def forward(self, x, logits)   every IR node in graph order, one statement each, with the
 *                                      .cnn line and the output shape (C, H, W) in a comment
 *   MODELS = {"LeNet5": LeNet5}
 *
 * The emitter is pure: it returns the text and the CNN6xxx diagnostics of what PyTorch cannot say.
 */
import type { Diagnostic } from '../../diagnostics/diagnostic.js';
import type { Graph, Node } from '../../ir/graph.js';
import { formatDim, type Dim, type SymbolEnv } from '../../sema/dim.js';
import { namedOutputs } from '../../sema/outputs.js';
import {
  PY_BUILTINS,
  PY_KEYWORDS,
  PyNamer,
  pyComment,
  pyDocText,
  pyString,
} from '../python-text.js';
import { SourceLines } from '../source-lines.js';
import { planModules, type ModulePlan, type ModuleTree } from './modules.js';
import { OP_RULES, type OpContext, type OpForm } from './ops.js';
import {
  checkTorchvisionNames,
  torchvisionNames,
  type TorchvisionNames,
} from './torchvision-check.js';
import { flattenOrders, layoutOf, torchParamName } from './weights.js';

export type NameStyle = 'cnnc' | 'torchvision';

export interface ModelInput {
  readonly graph: Graph;
  /** Symbol names for comments (`H/4`); optional. */
  readonly env?: SymbolEnv | null;
  /** What `cnnc train` writes into a checkpoint's cnnc.json for this model. */
  readonly irHash: string;
  readonly sourceHash: string;
}

export interface ModelPyOptions {
  readonly names: NameStyle;
  /** Source texts by display path, for the line numbers of comments. */
  readonly sources: ReadonlyMap<string, string>;
  /** How comments show a source file's display path (default: as it is). */
  readonly showPath?: (display: string) => string;
  /** The .cnn file compiled, as comments show it. */
  readonly entry: string;
}

export interface EmittedModel {
  /** The Python class name of each model, by model name. */
  readonly classes: ReadonlyMap<string, string>;
  readonly text: string;
  readonly diagnostics: readonly Diagnostic[];
}

const INDENT = '    ';
/** Module-level names of model.py besides the classes. */
const MODULE_NAMES = ['torch', 'nn', 'F', 'MODELS'];

/** A cnnc shape in PyTorch's channels-first order: ['6', '28', '28']. */
function channelsFirst(shape: readonly Dim[], env?: SymbolEnv | null): string[] {
  const dims = shape.map((d) => formatDim(d, env ?? undefined));
  return dims.length > 1 ? [dims[dims.length - 1], ...dims.slice(0, -1)] : dims;
}

/** `(6, 28, 28)`, `(10,)`: a per-sample shape as PyTorch prints it. */
function torchShapeText(shape: readonly Dim[], env?: SymbolEnv | null): string {
  const cf = channelsFirst(shape, env);
  return cf.length === 1 ? `(${cf[0]},)` : `(${cf.join(', ')})`;
}

/** `(N, 6, 28, 28)`: a batch shape. */
function batchShapeText(shape: readonly Dim[], env?: SymbolEnv | null): string {
  return `(N, ${channelsFirst(shape, env).join(', ')})`;
}

/**
 * A tuple or dict literal's lines, one element a line when it does not fit on one (a one-element
 * tuple on one line gets its trailing comma).
 */
function literalBlock(open: string, items: readonly string[], close: string, indent: string) {
  const single = close === ')' && items.length === 1 ? ',' : '';
  const one = `${indent}${open}${items.join(', ')}${single}${close}`;
  if (one.length <= 100 && !items.some((i) => i.includes('\n'))) return [one];
  return [`${indent}${open}`, ...items.map((i) => `${indent}${INDENT}${i},`), `${indent}${close}`];
}

interface ClassParts {
  readonly name: string;
  readonly lines: readonly string[];
}

function emitClass(
  input: ModelInput,
  className: string,
  options: ModelPyOptions,
  lines: SourceLines,
  report: (d: Diagnostic) => void,
  outputsType?: string,
): ClassParts {
  const { graph, env } = input;
  const tv: TorchvisionNames = torchvisionNames(graph);
  if (options.names === 'torchvision') for (const d of checkTorchvisionNames(graph, tv)) report(d);
  const useTv = options.names === 'torchvision';
  const plan: ModulePlan = planModules(graph, (n) =>
    useTv && tv.paths.get(n.name) ? tv.paths.get(n.name)!.split('.') : n.name.split('.'),
  );
  const orders = flattenOrders(graph);
  const where = (n: Node): string => {
    const line = lines.lineOf(n.span.file, n.span.start);
    const file = (options.showPath ?? ((p: string) => p))(n.span.file);
    return pyComment(line === null ? file : `${file}:${line}`);
  };

  // Several outputs: each one that ends in a softmax keeps the value before it (its logits)
  // alive to the return, which picks one of the two by its flag in `logits`.
  const several = graph.outputs.length > 1;
  const isSoftmax = (n: Node) => n.op === 'activation' && n.attrs.fn === 'softmax';
  const softmaxEnds = graph.outputs.map((o) => isSoftmax(graph.nodes[o]));
  const keep = several
    ? graph.outputs.filter((_, k) => softmaxEnds[k]).map((o) => graph.nodes[o].inputs[0])
    : [];
  // Forms of every node, in order (the module constructors come out of the same pass).
  const forms = new Map<number, OpForm>();
  const vars = assignVariables(graph, forms, keep, (n, inputs) => {
    const mod = plan.byNode.get(n.id);
    const ctx: OpContext<Node['op']> = {
      node: n,
      inputs,
      inShapes: n.inputs.map((i) => graph.nodes[i].shape ?? []),
      outShape: n.shape ?? [],
      module: mod?.access ?? '',
      flattenOrder: orders.get(n.id),
      report,
    };
    const rule = OP_RULES[n.op] as (c: OpContext<Node['op']>) => OpForm;
    return rule(ctx);
  });

  const out: string[] = [];
  const inputNode = graph.nodes.find((n) => n.op === 'input');
  const inShape = (inputNode?.shape ?? []) as readonly Dim[];
  const outNode = graph.nodes[graph.outputs[0]];
  const softmaxOut = !several && isSoftmax(outNode);
  out.push(`class ${className}(nn.Module):`);
  out.push(
    `${INDENT}"""${pyDocText(graph.model)}, compiled by cnnc from ${pyDocText(options.entry)}.`,
    '',
    `${INDENT}Input: ${pyDocText(batchShapeText(inShape, env))} float32, channels first (cnnc's ` +
      `${pyDocText(inShape.map((d) => formatDim(d, env ?? undefined)).join('x'))} per sample).`,
    ...(several
      ? severalDoc(graph, softmaxEnds, outputsType, env)
      : [
          `${INDENT}Output: ${pyDocText(batchShapeText(outNode.shape ?? [], env))}.` +
            (softmaxOut ? ' forward(x, logits=True) returns the scores before the softmax.' : ''),
        ]),
    `${INDENT}"""`,
    '',
  );

  // Class attributes: plain literals (contract with train.py and cnnc_io.py).
  const weights: string[] = [];
  const moduleOf: string[] = [];
  for (const n of graph.nodes) {
    const mod = plan.byNode.get(n.id);
    if (!mod) continue;
    moduleOf.push(`${pyString(n.name)}: ${pyString(mod.key)}`);
    for (const w of n.weights ?? []) {
      const key = `${mod.key}.${torchParamName(w.name)}`;
      const layout = layoutOf(graph, n, w, orders);
      weights.push(`(${pyString(`${n.name}/${w.name}`)}, ${pyString(key)}, ${pyString(layout)})`);
    }
  }
  const frozen = graph.nodes
    .filter((n) => n.frozen && n.weights?.length)
    .map((n) => pyString(n.name));
  const tvMap = [...tv.paths].map(([name, path]) => {
    const node = graph.nodes.find((n) => n.name === name)!;
    return `${pyString(path)}: ${pyString(plan.byNode.get(node.id)!.key)}`;
  });
  const cnncInput = inShape.map((d) => (typeof d === 'number' ? String(d) : 'None'));
  out.push(`${INDENT}CNNC_MODEL = ${pyString(graph.model)}`);
  out.push(`${INDENT}CNNC_INPUT = (${cnncInput.join(', ')}${cnncInput.length === 1 ? ',' : ''})`);
  out.push(...literalBlock('CNNC_WEIGHTS = (', weights, ')', INDENT));
  out.push(...literalBlock('CNNC_FROZEN = (', frozen, ')', INDENT));
  out.push(...literalBlock('CNNC_MODULE_OF = {', moduleOf, '}', INDENT));
  out.push(...literalBlock('CNNC_TORCHVISION = {', tvMap, '}', INDENT));
  out.push(`${INDENT}CNNC_IR_HASH = ${pyString(input.irHash)}`);
  out.push(`${INDENT}CNNC_SOURCE_HASH = ${pyString(input.sourceHash)}`);
  out.push('');

  // __init__: the module tree.
  out.push(`${INDENT}def __init__(self):`, `${INDENT}${INDENT}super().__init__()`);
  for (const top of plan.root.children.values())
    out.push(
      ...moduleLines(
        top,
        `${INDENT}${INDENT}self.${top.key} = `,
        `${INDENT}${INDENT}`,
        forms,
        graph,
        where,
      ),
    );
  out.push('');

  // forward.
  out.push(
    several
      ? `${INDENT}def forward(self, x, logits=False):`
      : `${INDENT}def forward(self, x, logits: bool = False):`,
  );
  const body: string[] = [];
  if (softmaxEnds.some((s) => s) && several)
    body.push(
      'if not isinstance(logits, (list, tuple)):',
      `${INDENT}logits = (bool(logits),) * ${graph.outputs.length}`,
    );
  let scope = '';
  for (const n of graph.nodes) {
    const form = forms.get(n.id)!;
    if (n.op === 'input' || form.alias) continue;
    const nodeScope = n.name.includes('.') ? n.name.slice(0, n.name.lastIndexOf('.')) : '';
    if (nodeScope !== scope) {
      // A header where a scope starts (not where a nested one returns to it).
      if (nodeScope && !scope.startsWith(`${nodeScope}.`)) body.push(`# ${pyComment(nodeScope)}`);
      scope = nodeScope;
    }
    const o = vars.out.get(n.id)!;
    if (softmaxOut && n.id === outNode.id)
      body.push(`if logits:`, `${INDENT}return ${vars.inputs.get(n.id)![0]}`);
    let cur = vars.inputs.get(n.id)![0] ?? o;
    form.steps.forEach((step, i) => {
      const line = `${o} = ${step(cur)}`;
      cur = o;
      body.push(
        i === form.steps.length - 1
          ? `${line}  # ${where(n)} -> ${pyComment(torchShapeText(n.shape ?? [], env))}`
          : line,
      );
    });
  }
  const results = graph.outputs.map((o, k) => {
    const v = vars.out.get(o)!;
    if (!several || !softmaxEnds[k]) return v;
    const pick = `${vars.inputs.get(o)![0]} if logits[${k}] else ${v}`;
    return outputsType ? pick : `(${pick})`;
  });
  body.push(
    `return ${results.length === 1 ? results[0] : outputsType ? `${outputsType}(${results.join(', ')})` : results.join(', ')}`,
  );
  out.push(...body.map((l) => `${INDENT}${INDENT}${l}`));
  return { name: className, lines: out };
}

/**
 * The docstring lines of a model with several outputs: their names and shapes, and what
 * forward's `logits` does to them.
 */
function severalDoc(
  graph: Graph,
  softmaxEnds: readonly boolean[],
  outputsType: string | undefined,
  env?: SymbolEnv | null,
): string[] {
  const names = namedOutputs(graph).map((o) => o.name);
  const shapes = graph.outputs.map(
    (o, k) => `${names[k]} ${batchShapeText(graph.nodes[o].shape ?? [], env)}`,
  );
  const ends = names.filter((_, k) => softmaxEnds[k]);
  return [
    `${INDENT}Outputs, in this order: ${pyDocText(shapes.join(', '))}` +
      (outputsType ? `, as a ${outputsType} named tuple.` : ', as a tuple.'),
    `${INDENT}forward(x, logits) takes one bool for every output or a sequence of one per output;`,
    `${INDENT}an output that ends in a softmax returns the scores before it where its flag is True`,
    `${INDENT}(${ends.length ? `here: ${pyDocText(ends.join(', '))}` : 'none here does'}). Other outputs ignore it.`,
  ];
}

/** The lines constructing one module of the tree (a layer, or a ModuleDict of a scope). */
function moduleLines(
  t: ModuleTree,
  prefix: string,
  indent: string,
  forms: ReadonlyMap<number, OpForm>,
  graph: Graph,
  where: (n: Node) => string,
): string[] {
  if (t.node !== null) {
    const node = graph.nodes[t.node];
    return [`${prefix}${forms.get(t.node)!.module}  # ${where(node)}`];
  }
  const lines = [`${prefix}nn.ModuleDict({`];
  const inner = `${indent}${INDENT}`;
  for (const c of t.children.values())
    lines.push(
      ...moduleLines(c, `${inner}${pyString(c.key)}: `, inner, forms, graph, where).map(
        (l, i, all) => (i === all.length - 1 ? addComma(l) : l),
      ),
    );
  lines.push(`${indent}})`);
  return lines;
}

/** `x,  # comment` from `x  # comment`. */
function addComma(line: string): string {
  const at = line.indexOf('  # ');
  return at < 0 ? `${line},` : `${line.slice(0, at)},${line.slice(at)}`;
}

interface Variables {
  /** Python variable of each node's output. */
  readonly out: ReadonlyMap<number, string>;
  /** Python variables of each node's inputs. */
  readonly inputs: ReadonlyMap<number, readonly string[]>;
}

/**
 * Variables for the forward pass: the input is `x`; a node whose input dies there takes over its
 * variable (the lowest-numbered one of those dying), else the lowest free one of x, x1, x2, ….
 * Layers that return their input (a linear activation, a flatten of a vector) add no variable.
 * The values of `keep` (logits of softmax outputs) live to the return, as the outputs do.
 */
function assignVariables(
  graph: Graph,
  forms: Map<number, OpForm>,
  keep: readonly number[],
  formOf: (n: Node, inputs: readonly string[]) => OpForm,
): Variables {
  const value = graph.nodes.map((n) => n.id);
  // Alias forms do not depend on variables: compute them first to resolve values.
  const lastUse = new Map<number, number>();
  const out = new Map<number, string>();
  const inputs = new Map<number, string[]>();
  const names = ['x'];
  const free = new Set<string>();
  const nameAt = (i: number) => (i === 0 ? 'x' : `x${i}`);
  const order = (v: string) => (v === 'x' ? 0 : Number(v.slice(1)));
  const alloc = () => {
    if (free.size) {
      const v = [...free].sort((a, b) => order(a) - order(b))[0];
      free.delete(v);
      return v;
    }
    const v = nameAt(names.length);
    names.push(v);
    return v;
  };
  // First pass: which nodes alias their input (forms of alias-capable ops need no variables).
  const isAlias = (n: Node) =>
    n.op === 'input' ||
    (n.op === 'activation' && n.attrs.fn === 'linear') ||
    (n.op === 'flatten' && (graph.nodes[n.inputs[0]].shape ?? []).length === 1);
  for (const n of graph.nodes) if (isAlias(n) && n.op !== 'input') value[n.id] = value[n.inputs[0]];
  for (const n of graph.nodes) for (const i of n.inputs) lastUse.set(value[i], n.id);
  for (const o of [...graph.outputs, ...keep]) lastUse.set(value[o], Infinity);
  for (const n of graph.nodes) {
    if (n.op === 'input') {
      out.set(n.id, 'x');
      continue;
    }
    const ins = n.inputs.map((i) => out.get(i)!);
    inputs.set(n.id, ins);
    const form = formOf(n, ins);
    forms.set(n.id, form);
    if (value[n.id] !== n.id) {
      out.set(n.id, out.get(value[n.id])!);
      continue;
    }
    const dying = [...new Set(n.inputs.map((i) => value[i]))].filter(
      (v) => lastUse.get(v) === n.id,
    );
    const dyingVars = dying.map((v) => out.get(v)!).sort((a, b) => order(a) - order(b));
    let v: string;
    if (dyingVars.length) {
      v = dyingVars[0];
      for (const d of dyingVars.slice(1)) free.add(d);
    } else v = alloc();
    out.set(n.id, v);
    if (!lastUse.has(n.id)) free.add(v);
  }
  forms.set(graph.nodes.find((n) => n.op === 'input')!.id, { steps: [], alias: true });
  return { out, inputs };
}

/** model.py for the compiled models of one file. */
export function emitModelPy(models: readonly ModelInput[], options: ModelPyOptions): EmittedModel {
  const diagnostics: Diagnostic[] = [];
  const lines = new SourceLines(options.sources);
  const classNamer = new PyNamer(new Set([...PY_BUILTINS, ...MODULE_NAMES]));
  const classes = new Map<string, string>();
  for (const m of models) classes.set(m.graph.model, classNamer.name(m.graph.model));
  // Several named outputs: a named tuple per model (torchvision's InceptionOutputs), when the
  // names are Python field names.
  const tuples = new Map<string, { type: string; fields: readonly string[] }>();
  for (const m of models) {
    const fields = m.graph.outputNames;
    if (m.graph.outputs.length < 2 || !fields) continue;
    if (fields.some((f) => f.startsWith('_') || PY_KEYWORDS.has(f))) continue;
    tuples.set(m.graph.model, {
      type: classNamer.name(`${classes.get(m.graph.model)!}Outputs`),
      fields,
    });
  }
  const parts = models.map((m) =>
    emitClass(
      m,
      classes.get(m.graph.model)!,
      options,
      lines,
      (d) => diagnostics.push(d),
      tuples.get(m.graph.model)?.type,
    ),
  );
  const tupleLines = [...tuples.values()].flatMap((t) => [
    '',
    `${t.type} = namedtuple(${pyString(t.type)}, [${t.fields.map(pyString).join(', ')}])`,
    '',
  ]);
  const entry = pyComment(options.entry);
  const text = [
    `# Generated by cnnc from ${entry} (cnnc compile --emit pytorch). DO NOT EDIT: compile again.`,
    `"""PyTorch models compiled by cnnc from ${pyDocText(options.entry)}: ${models.map((m) => pyDocText(m.graph.model)).join(', ')}.`,
    '',
    'Tensors are NCHW (N, C, L for sequences). cnnc_io.py moves weights between these modules and',
    "cnnc's files; README.md shows how.",
    '"""',
    ...(tuples.size ? ['from collections import namedtuple', ''] : []),
    'import torch',
    'from torch import nn',
    'from torch.nn import functional as F',
    '',
    ...tupleLines,
    ...parts.flatMap((p) => ['', ...p.lines, '']),
    '',
    ...literalBlock(
      'MODELS = {',
      models.map((m) => `${pyString(m.graph.model)}: ${classes.get(m.graph.model)}`),
      '}',
      '',
    ),
  ].join('\n');
  return { classes, text: `${text}\n`, diagnostics };
}
