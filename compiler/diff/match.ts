/**
 * Pairs the layers of an old and a new graph, in four rounds, each only among layers still unpaired:
 *
 *   1. same IR name, same op and attributes;
 *   2. same op and attributes at the same place: the same position among its scope's children, in
 *      scopes at the same positions all the way up (a renamed label or block call keeps every
 *      layer's place, so `inc3b.branch1.conv1` pairs with `mixed3b.branch1.conv1`);
 *   3. same IR name, whatever differs (a changed kernel, a widened layer);
 *   4. same op at the same place, attributes aside (a label renamed in the same change that
 *      widens the layers under it);
 *   5. nothing: the old layer was removed, the new one added.
 *
 * A scope's children are its layers and sub-scopes in order of first appearance, so a place is a
 * path of indices, like `3/0/1`.
 */
import type { Graph, Node } from '../ir/graph.js';

export interface LayerMatch {
  /** new node id → old node id. */
  readonly oldOf: ReadonlyMap<number, number>;
  /** old node id → new node id. */
  readonly newOf: ReadonlyMap<number, number>;
  /** new node id → the round that paired it. */
  readonly by: ReadonlyMap<number, 'name' | 'structure'>;
}

export function matchLayers(before: Graph, after: Graph): LayerMatch {
  const oldOf = new Map<number, number>();
  const newOf = new Map<number, number>();
  const by = new Map<number, 'name' | 'structure'>();
  const pair = (o: number, n: number, how: 'name' | 'structure') => {
    oldOf.set(n, o);
    newOf.set(o, n);
    by.set(n, how);
  };
  const oldByName = new Map(before.nodes.map((n) => [n.name, n]));

  for (const n of after.nodes) {
    const o = oldByName.get(n.name);
    if (o && sameOp(o, n)) pair(o.id, n.id, 'name');
  }

  const oldPlaces = places(before);
  const newPlaces = places(after);
  const waiting = new Map<string, number[]>();
  for (const o of before.nodes) {
    if (newOf.has(o.id)) continue;
    const key = `${oldPlaces[o.id]}|${opKey(o)}`;
    const list = waiting.get(key);
    if (list) list.push(o.id);
    else waiting.set(key, [o.id]);
  }
  for (const n of after.nodes) {
    if (oldOf.has(n.id)) continue;
    const o = waiting.get(`${newPlaces[n.id]}|${opKey(n)}`)?.shift();
    if (o !== undefined) pair(o, n.id, 'structure');
  }

  for (const n of after.nodes) {
    if (oldOf.has(n.id)) continue;
    const o = oldByName.get(n.name);
    if (o && !newOf.has(o.id)) pair(o.id, n.id, 'name');
  }

  const sameOpKind = new Map<string, number[]>();
  for (const o of before.nodes) {
    if (newOf.has(o.id)) continue;
    const key = `${oldPlaces[o.id]}|${o.op}`;
    const list = sameOpKind.get(key);
    if (list) list.push(o.id);
    else sameOpKind.set(key, [o.id]);
  }
  for (const n of after.nodes) {
    if (oldOf.has(n.id)) continue;
    const o = sameOpKind.get(`${newPlaces[n.id]}|${n.op}`)?.shift();
    if (o !== undefined) pair(o, n.id, 'structure');
  }
  return { oldOf, newOf, by };
}

function opKey(n: Node): string {
  return `${n.op}|${JSON.stringify(n.attrs)}`;
}

function sameOp(a: Node, b: Node): boolean {
  return opKey(a) === opKey(b);
}

/** Each node's place: the index path of its name's segments among their scopes' children. */
function places(graph: Graph): string[] {
  const children = new Map<string, string[]>();
  const indexIn = (scope: string, child: string) => {
    let list = children.get(scope);
    if (!list) children.set(scope, (list = []));
    let i = list.indexOf(child);
    if (i < 0) i = list.push(child) - 1;
    return i;
  };
  return graph.nodes.map((n) => {
    const parts = n.name.split('.');
    const path: number[] = [];
    for (let i = 0; i < parts.length; i++) {
      const scope = parts.slice(0, i).join('.');
      // A layer and a scope of the same name are different children.
      const child = i === parts.length - 1 ? `layer:${parts[i]}` : `scope:${parts[i]}`;
      path.push(indexIn(scope, child));
    }
    return path.join('/');
  });
}
