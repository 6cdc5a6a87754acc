/**
 * Freeze markers: `freeze stem, stage1.0, ..stage3, block_1*` and `unfreeze stage4`, applied in
 * order after elaboration. A target matches a node when it names the node or one of its enclosing
 * scopes (`stage1` matches `stage1.0.conv1`); `*` in a segment matches any characters but a dot;
 * `a..b` is every node from the first under `a` to the last under `b` in model order (`..b` from the
 * start, `a..` to the end).
 */
import type { FreezeStmt, Target } from '../../grammar/ast.js';
import { diag, type Diagnostic } from '../diagnostics/diagnostic.js';
import type { Node } from '../ir/graph.js';
import { didYouMean } from './suggest.js';

export interface PendingFreeze {
  readonly stmt: FreezeStmt;
}

export function applyFreezes(
  nodes: Node[],
  pending: readonly PendingFreeze[],
  report: (d: Diagnostic) => void,
): void {
  if (pending.length === 0) return;
  const frozen = nodes.map((n) => n.frozen);
  for (const { stmt } of pending) {
    for (const target of stmt.targets) {
      const ids = matchTarget(target.raw, nodes);
      if (ids === null || ids.length === 0) {
        report(noMatch(target, nodes, stmt.freeze));
        continue;
      }
      for (const id of ids) frozen[id] = stmt.freeze;
    }
  }
  for (let i = 0; i < nodes.length; i++) {
    if (frozen[i] !== nodes[i].frozen && nodes[i].op !== 'input')
      nodes[i] = { ...nodes[i], frozen: frozen[i] } as Node;
  }
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
    const start = Math.min(...fromIds);
    const end = Math.max(...toIds);
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

function noMatch(target: Target, nodes: readonly Node[], freeze: boolean): Diagnostic {
  const scopes = new Set<string>();
  for (const n of nodes) {
    const parts = n.name.split('.');
    for (let i = 1; i <= parts.length; i++) scopes.add(parts.slice(0, i).join('.'));
  }
  const bare = target.raw.replace(/^\.\.|\.\.$/g, '').split('..')[0];
  const s = didYouMean(bare, scopes);
  const top = [
    ...new Set(nodes.filter((n) => n.op !== 'input').map((n) => n.name.split('.')[0])),
  ].slice(0, 12);
  return diag('CNN2014', `\`${freeze ? 'freeze' : 'unfreeze'} ${target.raw}\` matches no layer`, {
    span: target.span,
    help: s ? `did you mean \`${s}\`?` : `top-level names: ${top.join(', ')}`,
  });
}
