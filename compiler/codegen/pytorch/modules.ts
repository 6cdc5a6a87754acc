/**
 * The submodules of an emitted model: one per IR node with weights, named after the node's dotted
 * IR name (or, with `--names torchvision`, its torchvision module path). Each scope becomes an
 * nn.ModuleDict, so `stage2.0.conv1`'s weight has the state_dict key `stage2.0.conv1.weight`.
 *
 * Segments go through python-text.ts: a top-level segment becomes an attribute (`self.conv1`) and
 * must be an identifier that no nn.Module attribute shadows; a nested segment is a ModuleDict key,
 * kept as it is when it is all digits (`"0"`, as in an nn.Sequential) and otherwise mangled by the
 * same rule, so every state_dict key is made of [A-Za-z0-9_] segments.
 */
import type { Graph, Node } from '../../ir/graph.js';
import { MODULE_DICT_ATTRS, NN_MODULE_ATTRS, PyNamer, pyString } from '../python-text.js';

/** Class attributes every emitted model defines (contract with train.py). */
export const CLASS_ATTRS: readonly string[] = [
  'CNNC_MODEL',
  'CNNC_INPUT',
  'CNNC_WEIGHTS',
  'CNNC_FROZEN',
  'CNNC_MODULE_OF',
  'CNNC_IR_HASH',
  'CNNC_SOURCE_HASH',
  'CNNC_TORCHVISION',
];

const TOP_RESERVED: ReadonlySet<string> = new Set([...NN_MODULE_ATTRS, ...CLASS_ATTRS]);

export interface ModuleTree {
  /** The mangled segment (attribute name at the top, ModuleDict key below). */
  readonly key: string;
  /** IR node id when this is a layer's module; scopes have children instead. */
  node: number | null;
  readonly children: Map<string, ModuleTree>;
  readonly namer: PyNamer;
}

export interface ModulePlan {
  readonly root: ModuleTree;
  /** Per IR node id with weights: the module's dotted state_dict prefix and Python expression. */
  readonly byNode: ReadonlyMap<number, { readonly key: string; readonly access: string }>;
}

function child(parent: ModuleTree, original: string, wantScope: boolean, top: boolean): ModuleTree {
  const plain = !top && /^\d+$/.test(original);
  let key = plain ? original : parent.namer.name(original);
  let existing = parent.children.get(key);
  if (existing && (existing.node !== null) === wantScope) {
    // A layer and a scope asked for the same segment (possible only with mixed names).
    key = parent.namer.name(`${original}#${wantScope ? 'scope' : 'module'}`);
    existing = parent.children.get(key);
  }
  if (existing) return existing;
  const made: ModuleTree = {
    key,
    node: null,
    children: new Map(),
    namer: new PyNamer(MODULE_DICT_ATTRS),
  };
  parent.children.set(key, made);
  return made;
}

/**
 * Builds the module tree: `pathOf(node)` gives a node's module path segments (its IR name split at
 * dots, or a torchvision path). Nodes are taken in IR order, so names are stable.
 */
export function planModules(graph: Graph, pathOf: (n: Node) => readonly string[]): ModulePlan {
  const root: ModuleTree = {
    key: '',
    node: null,
    children: new Map(),
    namer: new PyNamer(TOP_RESERVED),
  };
  const byNode = new Map<number, { key: string; access: string }>();
  for (const n of graph.nodes) {
    if (!n.weights?.length) continue;
    const segments = pathOf(n);
    let at = root;
    const keys: string[] = [];
    segments.forEach((seg, i) => {
      at = child(at, seg, i < segments.length - 1, i === 0);
      keys.push(at.key);
    });
    at.node = n.id;
    const access =
      `self.${keys[0]}` +
      keys
        .slice(1)
        .map((k) => `[${pyString(k)}]`)
        .join('');
    byNode.set(n.id, { key: keys.join('.'), access });
  }
  return { root, byNode };
}
