/**
 * Reading a Keras model description: the topology of a TensorFlow.js layers model.json
 * (`{ modelTopology: { model_config: … }, weightsManifest }`, or `modelTopology` holding the model
 * config directly), or of Keras's own `model.to_json()` (`{ class_name, config }`). Sequential and
 * functional models (Keras 2 `Model`/`Functional`, Keras 3 inbound-node objects) become one list of
 * layers with their inputs; problems are diagnostics that point into the JSON text.
 */
import { diag, type Diagnostic, type Span } from '../diagnostics/diagnostic.js';
import { field, numbers, str, type Literal } from './literal.js';

export interface KerasLayer {
  readonly name: string;
  readonly className: string;
  /** The layer's `config` object (an empty object literal when absent). */
  readonly config: Literal;
  /** The whole layer entry. */
  readonly span: Span;
  /** The `class_name` value, where unsupported-layer diagnostics point. */
  readonly classSpan: Span;
  /** The `name` value. */
  readonly nameSpan: Span;
  /** Names of the layers whose outputs this layer takes, in order (its first call). */
  readonly inputs: readonly string[];
  /** How many times the layer is called (more than once shares its weights). */
  readonly calls: number;
  readonly trainable: boolean;
}

export interface ManifestWeight {
  readonly name: string;
  readonly shape: readonly number[];
  readonly dtype: string;
  readonly quantization: string | null;
  readonly span: Span;
}

export interface KerasModel {
  readonly name: string;
  readonly kind: 'Sequential' | 'Functional';
  readonly kerasVersion: string | null;
  readonly layers: readonly KerasLayer[];
  readonly inputs: readonly string[];
  readonly outputs: readonly string[];
  /** Span of the model config, for diagnostics about the whole graph. */
  readonly span: Span;
  /** The weights the model.json lists (null when it has no weightsManifest). */
  readonly manifest: readonly ManifestWeight[] | null;
}

const notKeras = (span: Span, message: string, help?: string): Diagnostic =>
  diag('CNN2031', message, {
    span,
    help:
      help ??
      'give the model.json of a TensorFlow.js layers model (tfjs.converters.save_keras_model, ' +
        'tensorflowjs_converter --output_format tfjs_layers_model) or Keras model.to_json()',
  });

/** Finds the model config and the manifest in a parsed model.json. */
export function readKerasModel(root: Literal): { model?: KerasModel; diagnostics: Diagnostic[] } {
  const diagnostics: Diagnostic[] = [];
  const top = field(root, 'modelTopology') ?? root;
  if (str(field(root, 'format')) === 'graph-model' || field(top, 'node')) {
    diagnostics.push(
      notKeras(
        (field(root, 'format') ?? top).span,
        'this is a TensorFlow.js graph model (a frozen TensorFlow graph), not a Keras layers model',
        'convert the Keras model with --output_format tfjs_layers_model instead',
      ),
    );
    return { diagnostics };
  }
  const config = field(top, 'model_config') ?? top;
  const className = str(field(config, 'class_name'));
  if (root.kind !== 'object' || className === undefined) {
    diagnostics.push(notKeras(root.span, 'no Keras model config (`class_name`, `config`) found'));
    return { diagnostics };
  }
  const version = str(field(top, 'keras_version')) ?? null;
  const body = field(config, 'config');
  const manifest = readManifest(field(root, 'weightsManifest'), diagnostics);
  if (className === 'Sequential') {
    const m = sequential(body, config.span, diagnostics);
    return { model: m && { ...m, kerasVersion: version, manifest }, diagnostics };
  }
  if (className === 'Model' || className === 'Functional') {
    const m = functional(body, config.span, diagnostics);
    return { model: m && { ...m, kerasVersion: version, manifest }, diagnostics };
  }
  diagnostics.push(
    notKeras(
      field(config, 'class_name')!.span,
      `a model of class \`${className}\`; expected Sequential, Model or Functional`,
    ),
  );
  return { diagnostics };
}

type Partial = Omit<KerasModel, 'kerasVersion' | 'manifest'>;

function layerList(body: Literal | undefined): readonly Literal[] | undefined {
  const list = body?.kind === 'array' ? body : field(body, 'layers');
  return list?.kind === 'array' ? list.items : undefined;
}

function baseLayer(
  l: Literal,
  diagnostics: Diagnostic[],
): Omit<KerasLayer, 'inputs' | 'calls'> | undefined {
  const config = field(l, 'config') ?? { kind: 'object', entries: [], span: l.span };
  const classLit = field(l, 'class_name');
  const nameLit = field(l, 'name')?.kind === 'string' ? field(l, 'name') : field(config, 'name');
  const name = str(nameLit);
  if (l.kind !== 'object' || classLit?.kind !== 'string' || name === undefined) {
    diagnostics.push(notKeras(l.span, 'a layer entry without `class_name` and `name`'));
    return undefined;
  }
  const trainable = field(config, 'trainable');
  return {
    name,
    className: classLit.value,
    config,
    span: l.span,
    classSpan: classLit.span,
    nameSpan: nameLit!.span,
    trainable: !(trainable?.kind === 'bool' && !trainable.value),
  };
}

function sequential(
  body: Literal | undefined,
  span: Span,
  diagnostics: Diagnostic[],
): Partial | undefined {
  const items = layerList(body);
  if (!items) {
    diagnostics.push(notKeras(span, 'a Sequential model without a list of layers'));
    return undefined;
  }
  const layers: KerasLayer[] = [];
  for (const item of items) {
    const b = baseLayer(item, diagnostics);
    if (!b) return undefined;
    const prev = layers[layers.length - 1];
    if (!prev && b.className !== 'InputLayer') {
      // The input is implied by the first layer's batch_input_shape.
      const shape = field(b.config, 'batch_input_shape') ?? field(b.config, 'batch_shape');
      const synthetic: KerasLayer = {
        name: uniqueInputName(items),
        className: 'InputLayer',
        config: {
          kind: 'object',
          entries: shape ? [{ key: 'batch_input_shape', keySpan: shape.span, value: shape }] : [],
          span: b.span,
        },
        span: b.span,
        classSpan: b.classSpan,
        nameSpan: b.nameSpan,
        inputs: [],
        calls: 1,
        trainable: true,
      };
      layers.push(synthetic);
    }
    const last = layers[layers.length - 1];
    layers.push({ ...b, inputs: last ? [last.name] : [], calls: 1 });
  }
  if (layers.length === 0) {
    diagnostics.push(notKeras(span, 'a Sequential model without layers'));
    return undefined;
  }
  return {
    name: str(field(body, 'name')) ?? 'sequential',
    kind: 'Sequential',
    layers,
    inputs: [layers[0].name],
    outputs: [layers[layers.length - 1].name],
    span,
  };
}

function uniqueInputName(items: readonly Literal[]): string {
  const names = new Set(
    items.map((i) => str(field(i, 'name')) ?? str(field(field(i, 'config'), 'name'))),
  );
  let name = 'input';
  for (let k = 1; names.has(name); k++) name = `input_${k}`;
  return name;
}

function functional(
  body: Literal | undefined,
  span: Span,
  diagnostics: Diagnostic[],
): Partial | undefined {
  const items = layerList(body);
  if (!items) {
    diagnostics.push(notKeras(span, 'a functional model without a list of layers'));
    return undefined;
  }
  const layers: KerasLayer[] = [];
  for (const item of items) {
    const b = baseLayer(item, diagnostics);
    if (!b) return undefined;
    const nodes = field(item, 'inbound_nodes');
    const calls = nodes?.kind === 'array' ? nodes.items : [];
    layers.push({ ...b, inputs: calls.length ? historyOf(calls[0]) : [], calls: calls.length });
  }
  return {
    name: str(field(body, 'name')) ?? 'model',
    kind: 'Functional',
    layers,
    inputs: endpoints(field(body, 'input_layers')),
    outputs: endpoints(field(body, 'output_layers')),
    span,
  };
}

/**
 * The layers one inbound node reads. Keras 2 and TF.js: `[["conv1", 0, 0, {}], …]`; Keras 3:
 * `{ args: [ {class_name: "__keras_tensor__", config: {keras_history: ["conv1", 0, 0]}} … ] }`.
 */
function historyOf(node: Literal): string[] {
  const out: string[] = [];
  const walk = (v: Literal): void => {
    if (v.kind === 'array') {
      const first = v.items[0];
      if (first?.kind === 'string' && v.items[1]?.kind === 'number') {
        out.push(first.value);
        return;
      }
      for (const i of v.items) walk(i);
    } else if (v.kind === 'object') {
      const history = field(field(v, 'config'), 'keras_history');
      if (history) walk(history);
      else {
        const args = field(v, 'args');
        if (args) walk(args);
      }
    }
  };
  walk(node);
  return out;
}

/** `[["input_1", 0, 0]]` or `["input_1", 0, 0]` → names. */
function endpoints(v: Literal | undefined): string[] {
  if (v?.kind !== 'array') return [];
  if (v.items[0]?.kind === 'string') return [(v.items[0] as { value: string }).value];
  return v.items.flatMap((i) =>
    i.kind === 'array' && i.items[0]?.kind === 'string' ? [i.items[0].value] : [],
  );
}

function readManifest(v: Literal | undefined, diagnostics: Diagnostic[]): ManifestWeight[] | null {
  if (!v) return null;
  const out: ManifestWeight[] = [];
  if (v.kind !== 'array') {
    diagnostics.push(notKeras(v.span, '`weightsManifest` is not a list of groups'));
    return null;
  }
  for (const group of v.items) {
    const weights = field(group, 'weights');
    if (weights?.kind !== 'array') {
      diagnostics.push(notKeras(group.span, 'a weightsManifest group without `weights`'));
      continue;
    }
    for (const w of weights.items) {
      const name = field(w, 'name');
      const shape = numbers(field(w, 'shape'));
      if (name?.kind !== 'string' || !shape || shape.some((d) => d === null || d < 0)) {
        diagnostics.push(notKeras(w.span, 'a weightsManifest entry without a name and a shape'));
        continue;
      }
      const q = field(w, 'quantization');
      out.push({
        name: name.value,
        shape: shape as number[],
        dtype: str(field(w, 'dtype')) ?? 'float32',
        quantization: q ? (str(field(q, 'dtype')) ?? '?') : null,
        span: name.span,
      });
    }
  }
  return out;
}
