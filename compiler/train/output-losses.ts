/**
 * Losses per output: `loss main categorical, aux categorical 0.3` gives each output of a model a
 * loss and a weight (1 when left out); the training loss is Σ weight · loss, so the gradients of
 * several losses sum. Without such a setting every output takes the plain `loss` (default
 * categorical) with weight 1, which for a model with one output is exactly the plain loss.
 *
 *   CNN2133  a loss for an output the model does not have
 *   CNN2134  per-output losses that leave an output without one
 *   CNN2135  a per-output loss that is malformed: unknown loss, bad weight, extra words, twice
 *   CNN3040  outputs trained on the labels (categorical, binary) with different numbers of classes
 */
import { diag, type Diagnostic, type Span } from '../diagnostics/diagnostic.js';
import type { Graph } from '../ir/graph.js';
import { namedOutputs } from '../sema/outputs.js';
import { didYouMean } from '../sema/suggest.js';
import { DETECTION_LOSS } from './detection-settings.js';
import { LOSSES, type LossKind } from './losses.js';

/** The loss of one output, in the order of `graph.outputs`. */
export interface OutputLoss {
  readonly output: string;
  readonly loss: LossKind;
  readonly weight: number;
}

type Setting = NonNullable<Graph['train']>[number];

/** `loss NAME KIND [WEIGHT]`, as opposed to the plain `loss KIND`. */
export function isOutputLossSetting(t: Setting): boolean {
  // `loss yolo lambda_coord 5`: a first word that is a loss kind is the model's one loss, followed
  // by other settings, not an output's name.
  const first = t.args[0];
  return (
    t.key === 'loss' &&
    t.args.length >= 2 &&
    typeof first === 'string' &&
    first !== DETECTION_LOSS &&
    !(LOSSES as readonly string[]).includes(first)
  );
}

/** Whether a setting is written in the model's own text, not inherited from the model it derives from. */
function ownSetting(graph: Graph, t: Setting): boolean {
  return (
    t.span.file === graph.span.file &&
    t.span.start >= graph.span.start &&
    t.span.end <= graph.span.end
  );
}

/**
 * The `loss NAME KIND [WEIGHT]` settings that apply to the graph. A derived model inherits its
 * base's train block and may change it: its own `loss NAME …` replaces an inherited one for the
 * same output, its own plain `loss KIND` replaces every inherited per-output loss, and an inherited
 * loss for an output the derived model no longer has (`cut after`, `replace`) is dropped (the base
 * model reports its own mistakes when it is checked).
 */
function outputLossSettings(graph: Graph): Setting[] {
  const all = graph.train ?? [];
  const names = new Set(namedOutputs(graph).map((o) => o.name));
  const ownPlain = all.some(
    (t) => t.key === 'loss' && !isOutputLossSetting(t) && ownSetting(graph, t),
  );
  return all.filter(
    (t) =>
      isOutputLossSetting(t) &&
      (ownSetting(graph, t) || (!ownPlain && names.has(String(t.args[0])))),
  );
}

/** Whether the graph needs per-output losses at all (several outputs, or any `loss NAME …`). */
export function hasOutputLosses(graph: Graph): boolean {
  return graph.outputs.length > 1 || outputLossSettings(graph).length > 0;
}

export function readOutputLosses(
  graph: Graph,
  plain: LossKind,
): { losses: OutputLoss[]; diagnostics: Diagnostic[] } {
  const outputs = namedOutputs(graph);
  const names = outputs.map((o) => o.name);
  const diagnostics: Diagnostic[] = [];
  const given = new Map<string, { loss: LossKind; weight: number; span: Span; own: boolean }>();
  const settings = outputLossSettings(graph);
  // Outputs whose loss was written wrong, and whether a name was unknown (a typo): either is
  // reported once, not again as an output without a loss.
  const mentioned = new Set<string>();
  let unknown = false;
  for (const t of settings) {
    const [name, kind, weight, ...extra] = t.args;
    const output = String(name);
    mentioned.add(output);
    if (!names.includes(output)) {
      unknown = true;
      const s = didYouMean(output, names);
      diagnostics.push(
        diag('CNN2133', `the model has no output named \`${output}\``, {
          span: t.span,
          help: s ? `did you mean \`${s}\`?` : `its outputs: ${names.join(', ')}`,
        }),
      );
      continue;
    }
    const problem =
      typeof kind !== 'string' || !(LOSSES as readonly string[]).includes(kind)
        ? `\`${String(kind)}\` is not a loss: ${LOSSES.join(', ')}`
        : weight !== undefined && !(typeof weight === 'number' && weight > 0 && weight < Infinity)
          ? `the weight of \`${output}\`'s loss must be a positive number; found ${JSON.stringify(weight)}`
          : extra.length > 0
            ? `\`loss ${output}\` takes a loss and a weight; found ${extra.length} more value${extra.length === 1 ? '' : 's'}`
            : given.get(output)?.own
              ? `\`${output}\` has a loss already`
              : null;
    if (problem) {
      const first = given.get(output);
      diagnostics.push(
        diag('CNN2135', problem, {
          span: t.span,
          labels:
            first && problem.endsWith('already') ? [{ span: first.span, message: 'here' }] : [],
          help: `write \`loss ${output} categorical\` or \`loss ${output} categorical 0.3\` (a weight)`,
        }),
      );
      continue;
    }
    // An inherited loss is replaced by the model's own for the same output.
    given.set(output, {
      loss: kind as LossKind,
      weight: typeof weight === 'number' ? weight : 1,
      span: t.span,
      own: ownSetting(graph, t),
    });
  }
  if (settings.length > 0 && !unknown) {
    const missing = names.filter((n) => !mentioned.has(n));
    if (missing.length > 0) {
      diagnostics.push(
        diag(
          'CNN2134',
          `no loss for the output${missing.length === 1 ? '' : 's'} ${missing.map((n) => `\`${n}\``).join(', ')}`,
          {
            span: settings[0].span,
            help: `give every output a loss: \`loss ${names.map((n) => `${n} categorical`).join(', ')}\``,
          },
        ),
      );
    }
  }
  const losses = names.map((output): OutputLoss => ({
    output,
    loss: given.get(output)?.loss ?? plain,
    weight: given.get(output)?.weight ?? 1,
  }));
  diagnostics.push(...classMismatch(graph, losses));
  return { losses, diagnostics };
}

/** CNN3040: every output trained on the labels must have as many classes as the others. */
function classMismatch(graph: Graph, losses: readonly OutputLoss[]): Diagnostic[] {
  let first: { name: string; classes: number; span: Span } | undefined;
  const out: Diagnostic[] = [];
  namedOutputs(graph).forEach((o, i) => {
    if (losses[i].loss === 'mse') return;
    const shape = graph.nodes[o.id].shape;
    if (!shape || shape.some((d) => typeof d !== 'number')) return;
    const classes = (shape as number[]).reduce((a, b) => a * b, 1);
    const span = graph.nodes[o.id].span;
    if (!first) {
      first = { name: o.name, classes, span };
      return;
    }
    if (classes === first.classes) return;
    out.push(
      diag(
        'CNN3040',
        `the output \`${o.name}\` has ${classes} classes, \`${first.name}\` ${first.classes}: both are trained on the same labels`,
        {
          span,
          labels: [{ span: first.span, message: `\`${first.name}\`: ${first.classes} classes` }],
          help: `give \`${o.name}\` ${first.classes} units, or train it with \`loss ${o.name} mse\``,
        },
      ),
    );
  });
  return out;
}
