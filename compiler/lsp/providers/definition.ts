/**
 * Go to definition: a block call to its `block`, an import to its file, a derived model's base to
 * its `model`, a layer target (`freeze stage1`, `cut after block_13`, `lr stage4 1e-4`) to the
 * statement that defines the layer or scope.
 */
import type { Location, Position } from 'vscode-languageserver/node';
import type { FileAst, Stmt } from '../../../grammar/index.js';
import type { Span } from '../../diagnostics/diagnostic.js';
import { lookupDecl, type Module } from '../../sema/resolve.js';
import type { Analysis } from '../analysis.js';
import { allNodes, contains, labelOf, pathAt } from '../ast-query.js';
import { importedModule } from '../describe.js';

export function definition(a: Analysis, position: Position): Location | null {
  const module = a.module;
  if (!module) return null;
  const offset = a.offsetAt(position);
  const path = pathAt(module.ast, offset);
  const node = path[path.length - 1];
  if (!node || !('kind' in node)) return null;
  switch (node.kind) {
    case 'Import': {
      const target = importedModule(module, node);
      return target ? { uri: a.uriOf(target.display), range: zero() } : null;
    }
    case 'Model': {
      if (!node.base || !contains(node.base.span, offset)) return null;
      const found = lookupDecl(module, 'models', node.base.name);
      return found ? at(a, found.decl.name.span) : null;
    }
    case 'Simple': {
      if (contains(node.head.span, offset)) {
        const found = lookupDecl(module, 'blocks', node.head.name);
        if (found) return at(a, found.decl.name.span);
      }
      // A layer pattern in a train setting: `lr stage4 1e-4`, `at epoch 3 unfreeze stage4`.
      const inTrain = path.some((p) => 'kind' in p && p.kind === 'Train');
      const atom = node.atoms.find((x) => contains(x.span, offset));
      if (inTrain && atom?.kind === 'Value' && atom.value.kind === 'Name')
        return layer(a, module, offset, atom.value.name);
      return null;
    }
    case 'Freeze': {
      const t = node.targets.find((x) => contains(x.span, offset));
      return t ? layer(a, module, offset, t.raw) : null;
    }
    case 'Cut':
    case 'Replace':
      return contains(node.target.span, offset) ? layer(a, module, offset, node.target.raw) : null;
    default:
      return null;
  }
}

function zero() {
  return { start: { line: 0, character: 0 }, end: { line: 0, character: 0 } };
}

function at(a: Analysis, span: Span): Location | null {
  return a.locate(span) ?? null;
}

/**
 * The statement behind a layer name or pattern: the layer itself when a node has that name, else
 * the statement labelled with its last part (a scope like `stage1` or `features`), searched in this
 * file and the files it imports.
 */
function layer(a: Analysis, module: Module, offset: number, raw: string): Location | null {
  const name = raw.replace(/^\.\.|\.\.$|\*$/g, '').split('..')[0];
  if (name === '') return null;
  const decl = module.ast.decls.find((d) => d.span.start <= offset && offset <= d.span.end);
  const models = a.result.models.filter(
    (m) => decl?.kind !== 'Model' || m.graph.model === decl.name.name,
  );
  for (const m of models) {
    const node = m.graph.nodes.find((n) => n.name === name);
    if (node) return at(a, node.span);
  }
  const last = name.split('.').pop()!;
  for (const mod of [module, ...module.imports]) {
    const hit = labelled(mod.ast, last);
    if (hit) return at(a, hit);
  }
  return null;
}

function labelled(ast: FileAst, label: string): Span | undefined {
  for (const n of allNodes(ast)) {
    const l = labelOf(n as Stmt);
    if (l?.name === label) return l.span;
  }
  return undefined;
}
