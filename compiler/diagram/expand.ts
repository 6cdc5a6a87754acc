/**
 * Which scopes a diagram shows collapsed.
 *
 * The default keeps large models legible: a model whose layers fit in MAX_BOXES boxes is drawn
 * whole; otherwise the scopes open level by level from the top (depth 1: `stem`, `stage1`…;
 * depth 2: the blocks `stage1.0`…) for as long as the picture stays within MAX_BOXES boxes, and
 * every scope below the last level that fits is collapsed to one box (the top level is always
 * open). So VGG-19 (47 layers) and LeNet-5 are drawn whole, ResNet-18 (69 layers) and ResNet-101
 * show their blocks as boxes inside their stages (15 and 40 boxes), and ResNet-152 (515 layers)
 * shows its stem, four stages and head (its 50 blocks would make 57 boxes). A model without
 * scopes (flat Keras-style names) is drawn whole whatever its size.
 *
 * `--expand` adjusts that: `all` opens every scope, `none` collapses every scope, and a scope path
 * opens that scope and the scopes around it (its own sub-scopes stay collapsed if they were).
 */
import { didYouMean } from '../sema/suggest.js';
import type { DiagramEngine } from './engine.js';
import type { DiagramModel } from './types.js';

/** The most boxes a default diagram shows (see the module comment). */
export const MAX_BOXES = 50;

export function defaultCollapsed(engine: DiagramEngine, model: DiagramModel): string[] {
  const count = (collapsed: readonly string[]) => new Set(engine.boxKeys(model, collapsed)).size;
  if (count([]) <= MAX_BOXES) return [];
  const deepest = Math.max(0, ...model.scopes.map((s) => s.depth));
  let chosen = 1;
  for (let depth = 2; depth <= deepest; depth++) {
    if (count(atOrBelow(model, depth)) > MAX_BOXES) break;
    chosen = depth;
  }
  return atOrBelow(model, chosen);
}

function atOrBelow(model: DiagramModel, depth: number): string[] {
  return model.scopes.filter((s) => s.depth >= depth).map((s) => s.path);
}

export type ExpandResult =
  | { readonly ok: true; readonly collapsed: string[] }
  | { readonly ok: false; readonly unknown: string; readonly suggestion: string | undefined };

/**
 * The collapsed scopes for `--expand` values (none given: the default). `all` and `none` stand
 * alone; scope paths add to the default.
 */
export function collapsedFor(
  engine: DiagramEngine,
  model: DiagramModel,
  expand: readonly string[],
): ExpandResult {
  if (expand.includes('all')) return { ok: true, collapsed: [] };
  if (expand.includes('none')) return { ok: true, collapsed: model.scopes.map((s) => s.path) };
  const known = new Set(model.scopes.map((s) => s.path));
  const open = new Set<string>();
  for (const path of expand) {
    if (!known.has(path)) {
      return { ok: false, unknown: path, suggestion: didYouMean(path, known) };
    }
    for (let p = path; p !== ''; p = p.includes('.') ? p.slice(0, p.lastIndexOf('.')) : '')
      open.add(p);
  }
  return {
    ok: true,
    collapsed: defaultCollapsed(engine, model).filter((p) => !open.has(p)),
  };
}
