/**
 * A Keras layer graph → the nested statements of the language. A .cnn model is a sequence whose
 * forks rejoin in `residual`, `add`, `concat` and `multiply`, so the graph must be series-parallel
 * from its one input to its one output. Each merge layer's branches start at its immediate
 * dominator (the last layer every path to it passes through); walking back from the output along
 * single inputs and jumping over merges to their dominators rebuilds the nesting. A layer reached
 * twice (its output feeds two places that do not rejoin at one merge) cannot be written, nor can a
 * shared layer, a second input or a second output: CNN2034, naming the layer.
 */
import type { DiagnosticCode } from '../diagnostics/codes.js';
import { diag, type Diagnostic, type Span } from '../diagnostics/diagnostic.js';
import type { KerasLayer } from './keras-model.js';

/**
 * What the nesting needs of a layer: Keras layers, and the layers `cnnc import onnx` makes of
 * ONNX nodes (compiler/import/onnx.ts), have these fields.
 */
export interface GraphLayer {
  readonly name: string;
  /** `Add` for an addition (the one merge that can be a residual), `InputLayer` for an input. */
  readonly className: string;
  readonly classSpan: Span;
  readonly inputs: readonly string[];
  readonly calls: number;
}

export interface GraphModel<L extends GraphLayer> {
  readonly layers: readonly L[];
  readonly inputs: readonly string[];
  readonly outputs: readonly string[];
  readonly span: Span;
}

/** How the diagnostics name things: the code and the word for a layer. */
export interface Wording {
  readonly code: DiagnosticCode;
  /** `Keras layer`, `ONNX node`. */
  readonly layer: string;
}

const KERAS: Wording = { code: 'CNN2034', layer: 'Keras layer' };

export type Item<L extends GraphLayer = KerasLayer> =
  | { readonly kind: 'layer'; readonly layer: L }
  /** `residual { body } [shortcut { … }]`: an Add of two paths from the same fork. */
  | {
      readonly kind: 'residual';
      readonly merge: L;
      readonly body: readonly Item<L>[];
      readonly shortcut: readonly Item<L>[] | null;
    }
  | { readonly kind: 'merge'; readonly merge: L; readonly branches: readonly Item<L>[][] };

export interface Structure<L extends GraphLayer = KerasLayer> {
  readonly input: L;
  /** The statements after the input, in order. */
  readonly items: readonly Item<L>[];
}

class GraphError extends Error {
  constructor(readonly diagnostic: Diagnostic) {
    super(diagnostic.message);
  }
}

/**
 * The nesting of a model's layers; `isMerge` tells which layers join several inputs. Undefined
 * after reporting why the graph cannot be written.
 */
export function structure<L extends GraphLayer>(
  model: GraphModel<L>,
  isMerge: (l: L) => boolean,
  report: (d: Diagnostic) => void,
  wording: Wording = KERAS,
): Structure<L> | undefined {
  try {
    return build(model, isMerge, wording);
  } catch (e) {
    if (e instanceof GraphError) {
      report(e.diagnostic);
      return undefined;
    }
    throw e;
  }
}

function build<L extends GraphLayer>(
  model: GraphModel<L>,
  isMerge: (l: L) => boolean,
  wording: Wording,
): Structure<L> {
  const cannot = (span: Span, message: string, help?: string): never => {
    throw new GraphError(diag(wording.code, message, { span, help }));
  };
  const Layer = wording.layer;
  const byName = new Map(model.layers.map((l) => [l.name, l]));
  const inputLayers = model.layers.filter((l) => l.className === 'InputLayer');
  const inputs = model.inputs.length ? model.inputs : inputLayers.map((l) => l.name);
  if (inputs.length !== 1)
    cannot(model.span, `the model has ${inputs.length} inputs; a .cnn model has one`);
  if (model.outputs.length !== 1)
    cannot(
      model.span,
      `the model has ${model.outputs.length} outputs; a .cnn model has one`,
      'keep one output, or import one model per output',
    );
  const input =
    byName.get(inputs[0]) ??
    cannot(model.span, `the input layer \`${inputs[0]}\` is not among the layers`);
  const output =
    byName.get(model.outputs[0]) ??
    cannot(model.span, `the output layer \`${model.outputs[0]}\` is not among the layers`);

  // The layers the output depends on, each checked for a form the language can write.
  const needed = new Set<string>();
  const stack = [output];
  while (stack.length) {
    const l = stack.pop()!;
    if (needed.has(l.name)) continue;
    needed.add(l.name);
    if (l.calls > 1)
      cannot(
        l.classSpan,
        `${Layer} \`${l.name}\` is called ${l.calls} times (its weights are shared); a .cnn layer is used once`,
        'give each use its own layer (a copy of the weights) in Keras, then import again',
      );
    if (l !== input && l.inputs.length === 0)
      cannot(
        l.classSpan,
        `${Layer} \`${l.name}\` takes no input: a second model input`,
        'a .cnn model has one input',
      );
    if (l.inputs.length > 1 && !isMerge(l))
      cannot(
        l.classSpan,
        `${Layer} \`${l.name}\` (${l.className}) takes ${l.inputs.length} inputs`,
      );
    for (const name of l.inputs) {
      const src =
        byName.get(name) ??
        cannot(
          l.classSpan,
          `${Layer} \`${l.name}\` reads \`${name}\`, which is not a layer of the model`,
        );
      stack.push(src);
    }
  }
  if (!needed.has(input.name))
    cannot(
      model.span,
      `the output \`${output.name}\` does not depend on the input \`${input.name}\``,
    );

  // Topological order (depth-first post-order from the output) and immediate dominators.
  const order: L[] = [];
  const state = new Map<string, 1 | 2>();
  const visit: [L, number][] = [[output, 0]];
  while (visit.length) {
    const top = visit[visit.length - 1];
    const [l, i] = top;
    if (i === 0) {
      if (state.get(l.name) === 2) {
        visit.pop();
        continue;
      }
      state.set(l.name, 1);
    }
    if (i < l.inputs.length) {
      top[1]++;
      const next = byName.get(l.inputs[i])!;
      if (state.get(next.name) === 1)
        cannot(next.classSpan, `the graph has a cycle through \`${next.name}\``);
      if (state.get(next.name) !== 2) visit.push([next, 0]);
    } else {
      state.set(l.name, 2);
      order.push(l);
      visit.pop();
    }
  }
  const index = new Map(order.map((l, i) => [l.name, i]));
  const idom = new Map<string, string>([[input.name, input.name]]);
  const intersect = (a: string, b: string): string => {
    while (a !== b) {
      while (index.get(a)! > index.get(b)!) a = idom.get(a)!;
      while (index.get(b)! > index.get(a)!) b = idom.get(b)!;
    }
    return a;
  };
  for (const l of order) {
    if (l === input) continue;
    idom.set(l.name, l.inputs.reduce(intersect));
  }

  const done = new Set<string>([input.name]);
  const chain = (start: string, end: string): Item<L>[] => {
    const out: Item<L>[] = [];
    let name = end;
    while (name !== start) {
      const l = byName.get(name)!;
      if (done.has(name))
        cannot(
          l.classSpan,
          `the output of ${Layer} \`${name}\` is used on paths that do not rejoin at one merge`,
          'the language writes forks that rejoin in residual, add, concat or multiply',
        );
      done.add(name);
      if (isMerge(l)) {
        const fork = idom.get(name)!;
        out.push(mergeItem(l, fork, chain));
        name = fork;
      } else {
        out.push({ kind: 'layer', layer: l });
        name = l.inputs[0];
      }
    }
    return out.reverse();
  };
  return { input, items: chain(input.name, output.name) };
}

function mergeItem<L extends GraphLayer>(
  l: L,
  fork: string,
  chain: (s: string, e: string) => Item<L>[],
): Item<L> {
  const [a, b] = l.inputs;
  if (l.className === 'Add' && l.inputs.length === 2 && (a === fork) !== (b === fork))
    return { kind: 'residual', merge: l, body: chain(fork, a === fork ? b : a), shortcut: null };
  const branches = l.inputs.map((i) => chain(fork, i));
  if (l.className === 'Add' && branches.length === 2) {
    // Two computed paths: the longer is the body, the other the shortcut (its layers get the
    // `shortcut` scope).
    const [x, y] = branches[0].length >= branches[1].length ? branches : [branches[1], branches[0]];
    return { kind: 'residual', merge: l, body: x, shortcut: y };
  }
  return { kind: 'merge', merge: l, branches };
}
