/**
 * The outputs of an ONNX graph as the language writes them (`cnnc import onnx`, onnx.ts).
 *
 * With one output the model is its statements from the input to the output, as before. With
 * several, one output is the **trunk**: the model's own statements, from the input to its final
 * value. Every other output is written where it leaves the trunk, as examples/two-heads.cnn writes
 * an auxiliary classifier: `output NAME { … }` right after the trunk statement whose value it
 * reads, holding the layers only that output needs (a head), or `output NAME` when the output is
 * a value of the trunk itself (a marker, as between the levels of a pyramid). The trunk is the
 * output that needs the most layers, the first in ONNX order on a tie: the main classifier rather
 * than the auxiliary one, the last level of a pyramid rather than the earlier ones.
 *
 * Names: each ONNX output name made a cnnc identifier (cnnIdentifiers: a name that is one keeps
 * it, others get `_` for each other character and `_2`, … when taken; stable). The trunk named
 * `main` is written unnamed (`main` is the language's name for an unnamed final value); another
 * trunk name is given by an `output NAME` that ends the model.
 *
 * A graph whose outputs are malformed (two of one name, one that is the graph input, one no
 * imported node makes, two that are one value) is CNN2083; outputs the language cannot write (a
 * head that reads the trunk at two places or inside a `residual` or a merge's branch, layers two
 * heads share) CNN2084; a .cnn that lists the outputs in another order than the graph is noted
 * (CNN2085).
 */
import { cnnComment, cnnIdentifiers } from '../codegen/cnn-text.js';
import { diag, type Diagnostic, type Span } from '../diagnostics/diagnostic.js';
import { MAIN_OUTPUT } from '../sema/outputs.js';
import {
  structure,
  type GraphLayer,
  type Item,
  type Structure,
  type Wording,
} from './keras-graph.js';

/** A graph output: its ONNX name and its line in the listing. */
export interface GraphOutput {
  readonly name: string;
  readonly span: Span;
}

/** An output written where it leaves the trunk. */
export interface Head<L extends GraphLayer> {
  /** The .cnn name. */
  readonly id: string;
  /** The ONNX name. */
  readonly onnxName: string;
  /** The head's statements; none for an output that is a value of the trunk. */
  readonly items: readonly Item<L>[];
}

export interface Outputs<L extends GraphLayer> {
  /** The model's statements, from the input to its final value. */
  readonly trunk: Structure<L>;
  /** The final value's `output NAME`; null when it is `main` (or the only output). */
  readonly trunkName: string | null;
  /** The heads by the trunk layer whose value they read (the input layer's name for the input). */
  readonly heads: ReadonlyMap<string, readonly Head<L>[]>;
  /** The head each head layer belongs to, by layer name: its .cnn name. */
  readonly headOf: ReadonlyMap<string, string>;
  /** The .cnn names of the outputs, each output's in ONNX order. */
  readonly ids: readonly string[];
}

const quote = (s: string) => `\`${cnnComment(s)}\``;

/** CNN2083 for two outputs of one name; false when there are any. */
export function distinctOutputs(
  outputs: readonly GraphOutput[],
  report: (d: Diagnostic) => void,
): boolean {
  const first = new Map<string, GraphOutput>();
  let ok = true;
  for (const o of outputs) {
    const prev = first.get(o.name);
    if (!prev) {
      first.set(o.name, o);
      continue;
    }
    ok = false;
    report(
      diag('CNN2083', `the graph has two outputs named ${quote(o.name)}`, {
        span: o.span,
        labels: [{ span: prev.span, message: 'first listed here' }],
        help: 'each graph output names its own value: remove or rename one',
      }),
    );
  }
  return ok;
}

/**
 * The layer that makes each output (`layerOf` of its name), or undefined after CNN2083 for an
 * output no imported node makes, one that is the graph input, or two that are one value.
 */
export function outputLayers(
  outputs: readonly GraphOutput[],
  layerOf: (value: string) => string | undefined,
  input: { readonly layer: string; readonly name: string; readonly span: Span },
  report: (d: Diagnostic) => void,
): string[] | undefined {
  const layers: string[] = [];
  const byLayer = new Map<string, GraphOutput>();
  let ok = true;
  for (const o of outputs) {
    const l = layerOf(o.name);
    const problem =
      l === undefined
        ? `the output ${quote(o.name)} is not made by an imported node`
        : l === input.layer
          ? `the output ${quote(o.name)} is the graph input ${quote(input.name)}, not a value the model computes`
          : byLayer.has(l)
            ? `the outputs ${quote(byLayer.get(l)!.name)} and ${quote(o.name)} are one value`
            : null;
    if (problem !== null) {
      ok = false;
      const prev = l !== undefined && l !== input.layer ? byLayer.get(l) : undefined;
      report(
        diag('CNN2083', problem, {
          span: o.span,
          labels: prev
            ? [{ span: prev.span, message: 'the same value' }]
            : l === input.layer
              ? [{ span: input.span, message: 'the graph input' }]
              : [],
          help: prev
            ? 'a .cnn output is one value with one name: keep one of the two'
            : 'each output must be the result of a node the graph computes from its input',
        }),
      );
      continue;
    }
    byLayer.set(l!, o);
    layers.push(l!);
  }
  return ok ? layers : undefined;
}

/**
 * The trunk and the heads of a graph whose outputs are made by `outLayers` (outputLayers'), or
 * undefined after reporting why the language cannot write them.
 */
export function writeOutputs<L extends GraphLayer>(
  model: {
    readonly layers: readonly L[];
    /** The input layer's name, and the graph input's (for messages). */
    readonly input: string;
    readonly inputName: string;
    readonly span: Span;
  },
  outputs: readonly GraphOutput[],
  outLayers: readonly string[],
  isMerge: (l: L) => boolean,
  report: (d: Diagnostic) => void,
  wording: Wording,
): Outputs<L> | undefined {
  const byName = new Map(model.layers.map((l) => [l.name, l]));
  const show = (l: string) =>
    l === model.input ? `the input ${quote(model.inputName)}` : `${wording.layer} ${quote(l)}`;
  const nest = (input: string, output: string, layers: readonly L[]) =>
    structure(
      { layers, inputs: [input], outputs: [output], span: model.span },
      isMerge,
      report,
      wording,
    );
  const ancestors = (from: string): Set<string> => {
    const seen = new Set<string>();
    const stack = [from];
    while (stack.length) {
      const name = stack.pop()!;
      if (seen.has(name)) continue;
      seen.add(name);
      for (const i of byName.get(name)?.inputs ?? []) stack.push(i);
    }
    return seen;
  };
  const needs = outLayers.map(ancestors);
  let t = 0;
  for (let i = 1; i < needs.length; i++) if (needs[i].size > needs[t].size) t = i;
  const trunk = nest(model.input, outLayers[t], model.layers);
  if (!trunk) return undefined;
  const names = cnnIdentifiers(outputs.map((o) => o.name));
  const ids = outputs.map((o) => names.get(o.name)!);
  const several = outputs.length > 1;
  const trunkName = several && ids[t] !== MAIN_OUTPUT ? ids[t] : null;
  const heads = new Map<string, Head<L>[]>();
  const headOf = new Map<string, string>();
  if (!several) return { trunk, trunkName, heads, headOf, ids };

  // The values a head can be written after: the input and each statement of the trunk's own.
  const topLevel = new Set<string>([model.input]);
  for (const item of trunk.items)
    topLevel.add(item.kind === 'layer' ? item.layer.name : item.merge.name);
  const trunkNeeds = needs[t];
  const owner = new Map<string, number>();
  const cannot = (span: Span, message: string, labels: { span: Span; message: string }[] = []) => {
    report(
      diag('CNN2084', message, {
        span,
        labels,
        help: "the language writes each further output among the model's own statements, as `output NAME { … }` on one value of the main path (examples/two-heads.cnn)",
      }),
    );
    return undefined;
  };
  const planned: { readonly k: number; readonly fork: string; readonly layers: Set<string> }[] = [];
  for (let k = 0; k < outputs.length; k++) {
    if (k === t) continue;
    const o = outputs[k];
    const own = new Set([...needs[k]].filter((l) => !trunkNeeds.has(l)));
    const forks = new Set<string>();
    for (const l of own) {
      const prev = owner.get(l);
      if (prev !== undefined)
        return cannot(
          byName.get(l)!.classSpan,
          `${wording.layer} ${quote(l)} is needed by the outputs ${quote(outputs[prev].name)} and ${quote(o.name)}, not by the main path ${quote(outputs[t].name)}`,
          [
            { span: outputs[prev].span, message: 'one output' },
            { span: o.span, message: 'the other' },
          ],
        );
      owner.set(l, k);
      for (const i of byName.get(l)!.inputs) if (!own.has(i)) forks.add(i);
    }
    if (own.size === 0) forks.add(outLayers[k]);
    const [fork, other] = [...forks];
    if (other !== undefined)
      return cannot(
        o.span,
        `the output ${quote(o.name)} reads ${forks.size} values of the main path (${[...forks].map(show).join(', ')}); a head reads one`,
      );
    if (!topLevel.has(fork))
      return cannot(
        o.span,
        `the output ${quote(o.name)} ${own.size ? 'leaves' : 'is a value inside'} a \`residual\` or a merge's branch of the main path (at ${show(fork)})`,
        [{ span: byName.get(fork)!.classSpan, message: 'here' }],
      );
    planned.push({ k, fork, layers: own });
  }
  for (const { k, fork, layers } of planned) {
    let items: readonly Item<L>[] = [];
    if (layers.size) {
      const f = byName.get(fork)!;
      const start = { ...f, className: 'InputLayer', inputs: [] } as L;
      const head = nest(fork, outLayers[k], [
        start,
        ...model.layers.filter((l) => layers.has(l.name)),
      ]);
      if (!head) return undefined;
      items = head.items;
    }
    for (const l of layers) headOf.set(l, ids[k]);
    heads.set(fork, [...(heads.get(fork) ?? []), { id: ids[k], onnxName: outputs[k].name, items }]);
  }

  // The order the .cnn lists them: an unnamed final value first, then as written.
  const listed = trunkName === null ? [MAIN_OUTPUT] : [];
  for (const v of topLevel) for (const h of heads.get(v) ?? []) listed.push(h.id);
  if (trunkName !== null) listed.push(trunkName);
  if (listed.join() !== ids.join())
    report(
      diag(
        'CNN2085',
        `the .cnn lists the outputs as ${listed.join(', ')}; the ONNX graph as ${ids.join(', ')}`,
        {
          span: outputs[t].span,
          spanLabel: 'the final value',
          help: 'the language lists a final value named `main` first, then the outputs in the order they are written; each keeps its name (`cnnc run --output Y.npy` writes Y.NAME.npy)',
        },
      ),
    );
  return { trunk, trunkName, heads, headOf, ids };
}
