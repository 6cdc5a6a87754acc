/**
 * Freeze markers: `freeze stem, stage1.0, ..stage3, block_1*` and `unfreeze stage4`, applied in
 * order after elaboration. A target matches a node when it names the node or one of its enclosing
 * scopes (`stage1` matches `stage1.0.conv1`); `*` in a segment matches any characters but a dot;
 * `a..b` is every node from the first under `a` to the last under `b` in model order (`..b` from the
 * start, `a..` to the end). The same matcher resolves the groups of the train block (`lr stage4
 * 1e-4`, `at epoch 3 unfreeze stage4`).
 *
 * After the markers, a note (CNN4007) where they split a convolution from the batch norm that
 * follows it: one frozen, the other trainable.
 */
import type { FreezeStmt, Target } from '../../grammar/ast.js';
import { diag, type Diagnostic, type Label } from '../diagnostics/diagnostic.js';
import type { Node } from '../ir/graph.js';
import { didYouMean } from './suggest.js';

export interface PendingFreeze {
  readonly stmt: FreezeStmt;
}

/** The marker target that last set a node's state. */
interface SetBy {
  readonly target: Target;
  readonly freeze: boolean;
}

export function applyFreezes(
  nodes: Node[],
  pending: readonly PendingFreeze[],
  report: (d: Diagnostic) => void,
): void {
  if (pending.length === 0) return;
  const frozen = nodes.map((n) => n.frozen);
  const setBy: (SetBy | undefined)[] = new Array(nodes.length);
  for (const { stmt } of pending) {
    for (const target of stmt.targets) {
      const ids = matchTarget(target.raw, nodes);
      if (ids === null || ids.length === 0) {
        report(noMatch(target, nodes, stmt.freeze ? 'freeze' : 'unfreeze'));
        continue;
      }
      for (const id of ids) {
        frozen[id] = stmt.freeze;
        setBy[id] = { target, freeze: stmt.freeze };
      }
    }
  }
  for (let i = 0; i < nodes.length; i++) {
    if (frozen[i] !== nodes[i].frozen && nodes[i].op !== 'input')
      nodes[i] = { ...nodes[i], frozen: frozen[i] } as Node;
  }
  for (const d of splitBatchNorms(nodes, setBy)) report(d);
}

/** Node ids a target matches, or null when the target is malformed. */
export function matchTarget(raw: string, nodes: readonly Node[]): number[] | null {
  const range = raw.indexOf('..');
  if (range >= 0) {
    const from = raw.slice(0, range);
    const to = raw.slice(range + 2);
    if (to.includes('..')) return null;
    const fromIds = from ? matchPath(from, nodes) : [firstLayer(nodes)];
    const toIds = to ? matchPath(to, nodes) : [nodes.length - 1];
    if (fromIds.length === 0 || toIds.length === 0) return [];
    // Loops, not Math.min(...ids): a spread of 200,000 ids overflows the stack.
    const start = fromIds.reduce((a, b) => Math.min(a, b));
    const end = toIds.reduce((a, b) => Math.max(a, b));
    const out: number[] = [];
    for (let i = start; i <= end; i++) if (nodes[i].op !== 'input') out.push(i);
    return out;
  }
  return matchPath(raw, nodes);
}

function firstLayer(nodes: readonly Node[]): number {
  const i = nodes.findIndex((n) => n.op !== 'input');
  return i < 0 ? 0 : i;
}

const patternCache = new Map<string, RegExp>();

function matchPath(path: string, nodes: readonly Node[]): number[] {
  let re = patternCache.get(path);
  if (!re) {
    const body = path
      .split('.')
      .map((seg) => seg.split('*').map(escape).join('[^.]*'))
      .join('\\.');
    re = new RegExp(`^${body}(\\..*)?$`);
    patternCache.set(path, re);
  }
  const out: number[] = [];
  for (const n of nodes) if (n.op !== 'input' && re.test(n.name)) out.push(n.id);
  return out;
}

function escape(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** A did-you-mean over the node names and their scopes, else the top-level names. */
export function suggestTarget(raw: string, nodes: readonly Node[]): string {
  const scopes = new Set<string>();
  for (const n of nodes) {
    const parts = n.name.split('.');
    for (let i = 1; i <= parts.length; i++) scopes.add(parts.slice(0, i).join('.'));
  }
  const bare = raw.replace(/^\.\.|\.\.$/g, '').split('..')[0];
  const s = didYouMean(bare, scopes);
  const top = [
    ...new Set(nodes.filter((n) => n.op !== 'input').map((n) => n.name.split('.')[0])),
  ].slice(0, 12);
  return s ? `did you mean \`${s}\`?` : `top-level names: ${top.join(', ')}`;
}

function noMatch(target: Target, nodes: readonly Node[], verb: string): Diagnostic {
  return diag('CNN2014', `\`${verb} ${target.raw}\` matches no layer`, {
    span: target.span,
    help: suggestTarget(target.raw, nodes),
  });
}

/** Layers whose output a batch norm usually normalises. */
const NORMALISED = new Set(['conv2d', 'conv1d', 'depthwise_conv2d', 'conv2d_transpose', 'dense']);

/**
 * Each convolution (or dense layer) whose only consumer is a batch norm, as [layer, norm] pairs.
 */
export function convBatchNormPairs(nodes: readonly Node[]): [Node, Node][] {
  const consumers = new Map<number, number[]>();
  for (const n of nodes)
    for (const i of n.inputs) (consumers.get(i) ?? consumers.set(i, []).get(i)!).push(n.id);
  const out: [Node, Node][] = [];
  for (const n of nodes) {
    if (!NORMALISED.has(n.op)) continue;
    const users = consumers.get(n.id) ?? [];
    if (users.length === 1 && nodes[users[0]].op === 'batch_norm') out.push([n, nodes[users[0]]]);
  }
  return out;
}

/** CNN4007: one note per marker target that froze one of a layer–batch-norm pair but not the other. */
function splitBatchNorms(
  nodes: readonly Node[],
  setBy: readonly (SetBy | undefined)[],
): Diagnostic[] {
  const byTarget = new Map<Target, { pairs: [Node, Node][]; other: Set<Target> }>();
  for (const [layer, bn] of convBatchNormPairs(nodes)) {
    if (layer.frozen === bn.frozen) continue;
    const frozenOne = layer.frozen ? layer : bn;
    const other = layer.frozen ? bn : layer;
    const cause = setBy[frozenOne.id];
    if (!cause) continue;
    const entry = byTarget.get(cause.target) ?? { pairs: [], other: new Set<Target>() };
    entry.pairs.push([layer, bn]);
    const undo = setBy[other.id];
    if (undo && !undo.freeze) entry.other.add(undo.target);
    byTarget.set(cause.target, entry);
  }
  const out: Diagnostic[] = [];
  for (const [target, { pairs, other }] of byTarget) {
    const [layer, bn] = pairs[0];
    const normFrozen = bn.frozen;
    const more =
      pairs.length > 1 ? ` (and ${pairs.length - 1} more pair${pairs.length > 2 ? 's' : ''})` : '';
    const message = normFrozen
      ? `\`freeze ${target.raw}\` freezes batch norm \`${bn.name}\` but not \`${layer.name}\`, the layer it normalises${more}`
      : `\`freeze ${target.raw}\` freezes \`${layer.name}\` but not its batch norm \`${bn.name}\`${more}`;
    const labels: Label[] = [...other].map((t) => ({ span: t.span, message: 'unfrozen here' }));
    out.push(
      diag('CNN4007', message, {
        span: target.span,
        labels,
        notes: [
          normFrozen
            ? "its statistics stay fixed while the layer before it learns, so the layer's outputs drift from what they normalise"
            : 'a trainable batch norm keeps updating its statistics and scale over frozen features',
        ],
        help: `freeze both (\`freeze ${layer.name}, ${bn.name}\`) or neither`,
      }),
    );
  }
  return out;
}
