/** Short texts about IR nodes and declarations, shared by hover, inlay hints and completion. */
import type { BlockDecl, ImportDecl } from '../../grammar/index.js';
import type { Node } from '../ir/graph.js';
import { formatInt } from '../passes/format.js';
import type { CompiledModel } from '../program.js';
import { opDetail } from '../report/op-detail.js';
import { addCounts, productCount, type Count } from '../sema/count.js';
import { formatShape } from '../sema/dim.js';
import { hostPath as path } from '../sema/host-path.js';
import type { Module } from '../sema/resolve.js';
import type { Produced } from './analysis.js';

export function shapeText(model: CompiledModel, node: Node): string {
  return node.shape ? formatShape(node.shape, model.env ?? undefined) : '?';
}

export function paramsOf(node: Node): Count {
  let total: Count = 0;
  for (const w of node.weights ?? [])
    if (w.kind === 'param') total = addCounts(total, productCount(w.shape));
  return total;
}

/** `5x5 /1`: the receptive field in input pixels and its jump (the stride to the input). */
export function rfText(node: Node): string {
  if (!node.rf) return '?';
  if (node.rf.global) return 'global';
  const jump = node.rf.jump;
  return `${node.rf.size.join('x')} /${jump.every((j) => j === jump[0]) ? jump[0] : jump.join('x')}`;
}

/** The figures of one instance of a statement: its output (last node) and the sums over its nodes. */
export interface InstanceFigures {
  readonly name: string;
  readonly model: string;
  readonly op: string;
  readonly output: string;
  readonly params: string;
  readonly macs: string;
  readonly rf: string;
  readonly frozen: boolean;
}

export function figures(run: readonly Produced[]): InstanceFigures {
  const last = run[run.length - 1];
  let params: Count = 0;
  let macs: Count | null = 0;
  for (const { node } of run) {
    params = addCounts(params, paramsOf(node));
    macs =
      macs === null || node.macs === null || node.macs === undefined
        ? null
        : addCounts(macs, node.macs);
  }
  return {
    name: run.length === 1 ? last.node.name : commonScope(run.map((p) => p.node.name)),
    model: last.model.graph.model,
    op: run.length === 1 ? opDetail(last.node) : `${run.length} layers`,
    output: shapeText(last.model, last.node),
    params: formatInt(params),
    macs: macs === null ? '?' : formatInt(macs),
    rf: rfText(last.node),
    frozen: run.every((p) => p.node.frozen),
  };
}

/** `stage1` for `stage1.0.conv1` … `stage1.1.relu2`. */
function commonScope(names: readonly string[]): string {
  const parts = names[0].split('.');
  let n = parts.length;
  for (const name of names) {
    const p = name.split('.');
    let i = 0;
    while (i < n && p[i] === parts[i]) i++;
    n = i;
  }
  return n === 0 ? names[0] : parts.slice(0, n).join('.');
}

/** `block basic(c: int, stride: int = 1)` as written in its module. */
export function signature(block: BlockDecl, module: Pick<Module, 'text'>): string {
  const params = block.params.map((p) => {
    const def = p.default
      ? ` = ${module.text.slice(p.default.span.start, p.default.span.end)}`
      : '';
    return `${p.name.name}: ${p.type}${def}`;
  });
  return `block ${block.name.name}(${params.join(', ')})`;
}

/** The module an import of `module` loaded, if it could be loaded. */
export function importedModule(module: Module, decl: ImportDecl): Module | undefined {
  const t = decl.target;
  if (t.kind === 'Path') {
    const abs = path.resolve(path.dirname(module.path), t.path);
    return module.imports.find((m) => m.path === abs);
  }
  return module.imports.find(
    (m) => path.basename(m.path) === `${t.name}.cnn` && m.display.startsWith('stdlib/'),
  );
}
