/**
 * Lints of fine-tuning settings (fine-tune.ts reads them; runs after shape analysis, which gives
 * each node its weights):
 *
 * - CNN4006: pretrained layers trained with a learning rate above 1e-3. With a `weights` file named,
 *   the pretrained layers are those the model inherits from its base (every layer of a model that
 *   has no base); a rate comes from the layer's last group, its `at epoch` step, or the plain `lr`.
 * - CNN4008: `at epoch N unfreeze X` where nothing in X is frozen by then.
 * - CNN4009: `at epoch N` after the last epoch of the train block.
 * - CNN4010: `features cache` when no frozen layer starts the model: nothing to cache.
 * - CNN4011: a group rate for layers that are frozen throughout.
 */
import { diag, hasErrors, type Diagnostic, type Span } from '../diagnostics/diagnostic.js';
import type { Graph, Node } from '../ir/graph.js';
import { featureBoundary, readFineTune, type FineTuneRead } from './fine-tune.js';

/** Above this, fine-tuning pretrained layers tends to wreck their features. */
export const PRETRAINED_MAX_LR = 1e-3;

function within(inner: Span, outer: Span): boolean {
  return inner.file === outer.file && outer.start <= inner.start && inner.end <= outer.end;
}

function learns(n: Node): boolean {
  return (n.weights ?? []).some((w) => w.kind === 'param');
}

/** Layers the model's own statements made (its replacements and appends, or all of a plain model). */
function isOwn(n: Node, graph: Graph): boolean {
  return within(n.span, graph.span) || (n.callSites ?? []).some((s) => within(s, graph.span));
}

/** The layers whose weights come from the pretrained file. */
export function pretrainedLayers(graph: Graph): Node[] {
  const layers = graph.nodes.filter(learns);
  const inherited = layers.filter((n) => !isOwn(n, graph));
  return inherited.length > 0 ? inherited : layers;
}

function list(names: readonly string[]): string {
  const shown = names.slice(0, 3).map((n) => `\`${n}\``);
  return names.length > 3 ? `${shown.join(', ')} and ${names.length - 3} more` : shown.join(', ');
}

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}

export function lintFineTune(graph: Graph): Diagnostic[] {
  if (!graph.train?.length) return [];
  const read = readFineTune(graph);
  if (hasErrors(read.diagnostics)) return read.diagnostics;
  return [
    ...read.diagnostics,
    ...schedule(graph, read),
    ...largeRates(graph, read),
    ...featureCache(graph, read),
    ...idleGroups(graph, read),
  ];
}

/** CNN4008 and CNN4009. */
function schedule(graph: Graph, read: FineTuneRead): Diagnostic[] {
  const out: Diagnostic[] = [];
  const frozen = new Set(graph.nodes.filter((n) => n.frozen).map((n) => n.name));
  for (const step of read.settings.unfreeze) {
    const epochs = read.epochs;
    if (epochs && step.epoch > epochs.value) {
      out.push(
        diag(
          'CNN4009',
          `\`at epoch ${step.epoch}\` never comes: training runs ${plural(epochs.value, 'epoch')}`,
          {
            span: step.span,
            labels: [{ span: epochs.span, message: `${epochs.value} epochs here` }],
            help: `unfreeze at epoch ${epochs.value} at the latest, or train longer`,
          },
        ),
      );
    }
    const thawed = step.nodes.filter((n) => frozen.has(n));
    if (thawed.length === 0) {
      out.push(
        diag(
          'CNN4008',
          `\`unfreeze ${step.target}\` at epoch ${step.epoch}: none of its layers is frozen by then`,
          {
            span: step.span,
            notes: [`it matches ${list(step.nodes)}`],
            help: `freeze them in the model first (\`freeze ${step.target}\`), or drop the step`,
          },
        ),
      );
    }
    for (const n of thawed) frozen.delete(n);
  }
  return out;
}

/** CNN4006: one warning per setting whose rate trains pretrained layers above PRETRAINED_MAX_LR. */
function largeRates(graph: Graph, read: FineTuneRead): Diagnostic[] {
  const { settings, baseLr } = read;
  if (!settings.weights) return [];
  const group = new Map<string, (typeof settings.lrGroups)[number]>();
  for (const g of settings.lrGroups) for (const n of g.nodes) group.set(n, g);
  const unfrozenBy = new Map<string, (typeof settings.unfreeze)[number]>();
  for (const s of settings.unfreeze)
    for (const n of s.nodes) if (!unfrozenBy.has(n)) unfrozenBy.set(n, s);
  const pretrained = pretrainedLayers(graph);
  const added = graph.nodes.filter((n) => learns(n) && !pretrained.includes(n)).map((n) => n.name);
  const plainFix = added.length
    ? `\`lr 1e-4\` with a rate of their own for the new layers (\`lr ${commonTarget(added)} 1e-3\`)`
    : '`lr 1e-4`';
  const bySource = new Map<Span, { lr: number; layers: string[]; fix: string }>();
  for (const n of pretrained) {
    const step = n.frozen ? unfrozenBy.get(n.name) : undefined;
    if (n.frozen && !step) continue;
    const g = group.get(n.name);
    let source: { lr: number; span: Span; fix: (names: readonly string[]) => string } | null;
    if (step && step.lr !== null)
      source = {
        lr: step.lr,
        span: step.span,
        fix: () => `\`at epoch ${step.epoch} unfreeze ${step.target} lr 1e-4\``,
      };
    else if (g) source = { lr: g.lr, span: g.span, fix: () => `\`lr ${g.target} 1e-4\`` };
    else if (baseLr) source = { lr: baseLr.value, span: baseLr.span, fix: () => plainFix };
    else source = null;
    if (!source || source.lr <= PRETRAINED_MAX_LR) continue;
    const entry = bySource.get(source.span) ?? { lr: source.lr, layers: [], fix: '' };
    entry.layers.push(n.name);
    entry.fix = source.fix(entry.layers);
    bySource.set(source.span, entry);
  }
  return [...bySource].map(([span, { lr, layers, fix }]) =>
    diag(
      'CNN4006',
      `learning rate ${lr} fine-tunes ${plural(layers.length, 'pretrained layer')} (${list(layers)})`,
      {
        span,
        labels: [{ span: settings.weights!.span, message: 'pretrained weights named here' }],
        notes: [`rates above ${PRETRAINED_MAX_LR} tend to destroy what pretrained layers learnt`],
        help: `give them a smaller rate, e.g. ${fix}, or freeze them`,
      },
    ),
  );
}

/** A target covering the layers, for a help line: their common scope, else a range. */
function commonTarget(names: readonly string[]): string {
  const parts = names.map((n) => n.split('.'));
  let i = 0;
  while (parts.every((p) => i < p.length - 1 && p[i] === parts[0][i])) i++;
  if (i > 0) return parts[0].slice(0, i).join('.');
  return names.length === 1 ? names[0] : `${names[0]}..${names[names.length - 1]}`;
}

/** CNN4010. */
function featureCache(graph: Graph, read: FineTuneRead): Diagnostic[] {
  if (read.settings.features !== 'cache' || !read.featuresSpan) return [];
  const boundary = featureBoundary(graph, (n) => n.frozen);
  const cached = new Set<number>();
  const stack = [...boundary];
  while (stack.length) {
    const id = stack.pop()!;
    if (cached.has(id)) continue;
    cached.add(id);
    for (const i of graph.nodes[id].inputs) stack.push(i);
  }
  if (graph.nodes.some((n) => cached.has(n.id) && n.frozen && learns(n))) return [];
  const first = graph.nodes.find((n) => n.op !== 'input');
  return [
    diag('CNN4010', '`features cache` has nothing to cache: no frozen layer starts the model', {
      span: read.featuresSpan,
      notes: first ? [`\`${first.name}\`, the first layer, is trainable`] : [],
      help: 'freeze the backbone (`freeze ..NAME`), or drop `features cache`',
    }),
  ];
}

/** CNN4011: a group whose learning layers are all frozen and never unfrozen. */
function idleGroups(graph: Graph, read: FineTuneRead): Diagnostic[] {
  const byName = new Map(graph.nodes.map((n) => [n.name, n]));
  const thawed = new Set(read.settings.unfreeze.flatMap((s) => s.nodes));
  const out: Diagnostic[] = [];
  for (const g of read.settings.lrGroups) {
    const layers = g.nodes.map((n) => byName.get(n)!).filter(learns);
    if (layers.length === 0 || layers.some((n) => !n.frozen || thawed.has(n.name))) continue;
    out.push(
      diag(
        'CNN4011',
        `\`lr ${g.target} ${g.lr}\` is never used: its layers are frozen throughout`,
        {
          span: g.span,
          help: `unfreeze them (\`at epoch 2 unfreeze ${g.target}\`), or drop the rate`,
        },
      ),
    );
  }
  return out;
}
