/**
 * The fine-tuning settings of a train block, read from the graph's raw settings (graph.train):
 *
 *   lr stage4 1e-4, head 1e-3          learning rate per group (a group is any freeze target: a
 *                                      name, a glob `block_1*`, a range `..stage3`); a plain
 *                                      `lr 1e-3` stays the rate of every other layer
 *   at epoch 3 unfreeze stage4 lr 1e-4 gradual unfreezing, before the 3rd epoch (epochs count from
 *                                      1); `lr` is the unfrozen layers' rate from then on
 *   features cache                     compute the frozen backbone's features once, then train
 *                                      the rest on them (`features off`, the default)
 *   weights "FILE" map torchvision     the pretrained weights the model starts from; `map` says how
 *                                      the file names its tensors (`none`, the default, or
 *                                      `torchvision`)
 *
 * Groups resolve to IR node names with the matcher of `freeze` (sema/freeze.ts). Both the
 * compiler (fine-tune lints) and compiler/train/settings.ts (typed settings) read them here, so a
 * file means the same to `cnnc check` and `cnnc train`.
 */
import { diag, type Diagnostic, type Span } from '../diagnostics/diagnostic.js';
import type { Graph, Node } from '../ir/graph.js';
import { staticNodes } from '../ir/transform.js';
import { matchTarget, suggestTarget } from '../sema/freeze.js';

import {
  FEATURE_MODES,
  NO_FINE_TUNE,
  WEIGHT_MAPS,
  type FeatureMode,
  type FineTuneSettings,
  type LrGroup,
  type PretrainedWeights,
  type UnfreezeStep,
  type WeightMap,
} from '../train/fine-tune-settings.js';

// The settings' types live in compiler/train (the runtime reads them); re-exported for the compiler.
export {
  FEATURE_MODES,
  NO_FINE_TUNE,
  WEIGHT_MAPS,
  type FeatureMode,
  type FineTuneSettings,
  type LrGroup,
  type PretrainedWeights,
  type UnfreezeStep,
  type WeightMap,
};
export { groupRates } from '../train/fine-tune-settings.js';

type Setting = NonNullable<Graph['train']>[number];
type Value = Setting['args'][number];

/** Keys of key–value pairs read here (and skipped by the runtime's reader). */
export const FINE_TUNE_KEYS: readonly string[] = ['weights', 'map', 'features'];

/** A setting read here as a whole: `lr PATTERN RATE …` and `at epoch …`. */
export function isFineTuneSetting(t: Setting): boolean {
  return t.key === 'at' || (t.key === 'lr' && typeof t.args[0] === 'string');
}

export interface FineTuneRead {
  readonly settings: FineTuneSettings;
  readonly diagnostics: Diagnostic[];
  /** The plain `lr` and `epochs` as written in the file, for the lints. */
  readonly baseLr: { readonly value: number; readonly span: Span } | null;
  readonly epochs: { readonly value: number; readonly span: Span } | null;
  /** Where `features` is set. */
  readonly featuresSpan: Span | null;
}

/** Node names that `target` matches, or null (malformed or nothing). */
function resolve(target: string, nodes: readonly Node[]): string[] | null {
  const ids = matchTarget(target, nodes);
  return ids && ids.length ? ids.map((i) => nodes[i].name) : null;
}

const AT_FORM = '`at epoch N unfreeze LAYERS [lr RATE]`, e.g. `at epoch 3 unfreeze stage4 lr 1e-4`';

export function readFineTune(graph: Graph): FineTuneRead {
  const diagnostics: Diagnostic[] = [];
  const bad = (message: string, span: Span, help?: string) =>
    diagnostics.push(diag('CNN2005', message, { span, help }));
  const noLayer = (target: string, what: string, span: Span, plainWord: boolean) =>
    diagnostics.push(
      diag('CNN2042', `\`${target}\` in \`${what}\` matches no layer`, {
        span,
        help: plainWord
          ? `${suggestTarget(target, graph.nodes)}; if \`${target}\` is a training setting, put it on a line of its own: the rates of \`lr\` run to the end of the line`
          : suggestTarget(target, graph.nodes),
      }),
    );
  const lrGroups: LrGroup[] = [];
  const steps: UnfreezeStep[] = [];
  let features: FeatureMode = 'off';
  let featuresSpan: Span | null = null;
  let weights: { path: string; span: Span } | null = null;
  let map: { value: WeightMap; span: Span } | null = null;
  let baseLr: FineTuneRead['baseLr'] = null;
  let epochs: FineTuneRead['epochs'] = null;

  for (const t of graph.train ?? []) {
    if (t.key === 'lr' && typeof t.args[0] === 'string') {
      const args = t.args;
      for (let i = 0; i < args.length; i += 2) {
        const target = args[i];
        const lr = args[i + 1];
        if (typeof target !== 'string') {
          bad(`\`lr\` expects LAYERS RATE pairs; found ${JSON.stringify(target)}`, t.span);
          break;
        }
        if (typeof lr !== 'number' || lr < 0) {
          bad(
            `\`lr ${target}\` needs a rate, a number of at least 0; found ${lr === undefined ? 'nothing' : JSON.stringify(lr)}`,
            t.span,
            'write `lr stage4 1e-4`',
          );
          break;
        }
        const nodes = resolve(target, graph.nodes);
        if (!nodes) noLayer(target, 'lr', t.span, /^[A-Za-z_]\w*$/.test(target));
        else lrGroups.push({ target, lr, nodes, span: t.span });
      }
      continue;
    }
    if (t.key === 'at') {
      const step = readStep(t, graph, bad, noLayer);
      if (step) steps.push(step);
      continue;
    }
    const items: Value[] = [t.key, ...t.args];
    if (items.length % 2 !== 0) continue; // the runtime's reader reports it
    for (let i = 0; i < items.length; i += 2) {
      const key = items[i];
      const v = items[i + 1];
      switch (key) {
        case 'lr':
          if (typeof v === 'number') baseLr = { value: v, span: t.span };
          break;
        case 'epochs':
          if (typeof v === 'number') epochs = { value: v, span: t.span };
          break;
        case 'features': {
          const mode = FEATURE_MODES.find((m) => m === v);
          if (mode === undefined)
            bad(
              `\`features\` must be one of ${FEATURE_MODES.join(', ')}; found ${JSON.stringify(v)}`,
              t.span,
            );
          else {
            features = mode;
            featuresSpan = t.span;
          }
          break;
        }
        case 'weights':
          if (typeof v !== 'string')
            bad(
              `\`weights\` expects a quoted file name; found ${JSON.stringify(v)}`,
              t.span,
              'write `weights "mobilenet.safetensors"`',
            );
          else weights = { path: v, span: t.span };
          break;
        case 'map': {
          const m = WEIGHT_MAPS.find((w) => w === v);
          if (m === undefined)
            bad(
              `\`map\` must be one of ${WEIGHT_MAPS.join(', ')}; found ${JSON.stringify(v)}`,
              t.span,
            );
          else map = { value: m, span: t.span };
          break;
        }
      }
    }
  }
  if (map && !weights)
    bad(
      '`map` says how the weights file names its tensors, but no `weights` file is named',
      map.span,
      'write `weights "FILE" map torchvision`',
    );
  steps.sort((a, b) => a.epoch - b.epoch);
  const settings: FineTuneSettings = {
    lrGroups,
    unfreeze: steps,
    features,
    weights: weights ? { path: weights.path, map: map?.value ?? 'none', span: weights.span } : null,
  };
  return { settings, diagnostics, baseLr, epochs, featuresSpan };
}

function readStep(
  t: Setting,
  graph: Graph,
  bad: (message: string, span: Span, help?: string) => void,
  noLayer: (target: string, what: string, span: Span, plainWord: boolean) => void,
): UnfreezeStep | null {
  const [word, epoch, verb, target, lrWord, lr, ...rest] = t.args;
  if (word !== 'epoch' || verb === undefined || target === undefined) {
    bad(`\`at\` expects ${AT_FORM}`, t.span);
    return null;
  }
  if (typeof epoch !== 'number' || !Number.isInteger(epoch) || epoch < 2) {
    bad(
      `\`at epoch\` expects a whole number of at least 2 (epochs count from 1); found ${JSON.stringify(epoch)}`,
      t.span,
      epoch === 1
        ? 'layers trainable from the first epoch need no schedule: do not freeze them'
        : undefined,
    );
    return null;
  }
  if (verb !== 'unfreeze') {
    bad(
      verb === 'freeze'
        ? 'only `unfreeze` can be scheduled; freeze layers in the model instead'
        : `\`at epoch ${epoch}\` expects \`unfreeze\`; found ${JSON.stringify(verb)}`,
      t.span,
      `write ${AT_FORM}`,
    );
    return null;
  }
  if (typeof target !== 'string') {
    bad(`\`unfreeze\` expects layer names; found ${JSON.stringify(target)}`, t.span);
    return null;
  }
  let rate: number | null = null;
  if (lrWord !== undefined) {
    if (lrWord !== 'lr' || typeof lr !== 'number' || lr < 0 || rest.length > 0) {
      bad(
        `\`at epoch ${epoch} unfreeze ${target}\` may end with \`lr RATE\` only`,
        t.span,
        `write ${AT_FORM}`,
      );
      return null;
    }
    rate = lr;
  }
  const nodes = resolve(target, graph.nodes);
  if (!nodes) {
    noLayer(target, 'unfreeze', t.span, false);
    return null;
  }
  return { epoch, target, nodes, lr: rate, span: t.span };
}

/**
 * For `features cache`: the nodes whose outputs to cache, given which nodes are frozen: the nodes
 * of the static backbone (compiler/ir/transform.ts staticNodes, which the runtime's split uses too)
 * that a trainable node (or the output) reads. Only the input: nothing to cache.
 */
export function featureBoundary(graph: Graph, frozen: (n: Node) => boolean): number[] {
  const fixed = staticNodes(graph, frozen);
  const read = new Set<number>();
  for (const n of graph.nodes) if (!fixed[n.id]) for (const i of n.inputs) read.add(i);
  for (const o of graph.outputs) read.add(o);
  return graph.nodes.filter((n) => fixed[n.id] && read.has(n.id)).map((n) => n.id);
}
