/**
 * Hover: on a layer, its output shape, parameters, MACs and receptive field and the arithmetic of
 * `cnnc summary --explain`; on a block call, the block's signature and what the call produced; on an
 * import, the file it reads and what that defines; on a model's name, the model's totals.
 */
import type { Hover, Position } from 'vscode-languageserver/node';
import type { BlockDecl, ImportDecl, ModelDecl, SimpleStmt } from '../../../grammar/index.js';
import { formatBytes, formatInt } from '../../passes/format.js';
import { lookupOp } from '../../sema/op-table.js';
import { lookupDecl, type Module } from '../../sema/resolve.js';
import { instances, type Analysis } from '../analysis.js';
import { contains, pathAt, type TreeNode } from '../ast-query.js';
import {
  figures,
  importedModule,
  shapeText,
  signature,
  type InstanceFigures,
} from '../describe.js';

/** At most this many instances of a statement are listed. */
const MAX_ROWS = 8;

export function hover(a: Analysis, position: Position): Hover | null {
  const module = a.module;
  if (!module) return null;
  const offset = a.offsetAt(position);
  const path = pathAt(module.ast, offset);
  const node = path[path.length - 1];
  if (!node) return null;
  const md = describe(a, module, node, offset);
  return md ? { contents: { kind: 'markdown', value: md } } : null;
}

function describe(a: Analysis, module: Module, node: TreeNode, offset: number): string | undefined {
  if (!('kind' in node)) return produced(a, node.span);
  switch (node.kind) {
    case 'Import':
      return importTarget(a, module, node);
    case 'Model':
      return contains(node.name.span, offset) ? modelTotals(a, node) : undefined;
    case 'Block':
      return contains(node.name.span, offset)
        ? code(signature(node, module)) + `\n\ndefined in ${module.display}`
        : undefined;
    case 'Simple':
      return simple(a, module, node, offset);
    default:
      return produced(a, node.span);
  }
}

function simple(a: Analysis, module: Module, s: SimpleStmt, offset: number): string | undefined {
  const head = s.head.name;
  const block = lookupDecl(module, 'blocks', head);
  if (block) {
    const sig = code(signature(block.decl, block.module));
    return [sig, `defined in ${block.module.display}`, produced(a, s.span)]
      .filter(Boolean)
      .join('\n\n');
  }
  const spec = lookupOp(head);
  const parts: string[] = [];
  if (spec) {
    const word = wordAt(a.text, offset);
    const attr =
      word === head
        ? undefined
        : (spec.flags[word] && `\`${word}\`: sets ${spec.flags[word].attr}`) ||
          (spec.attrs[spec.keywords[word] ?? word] &&
            `\`${word}\`: ${spec.attrs[spec.keywords[word] ?? word].doc}`);
    parts.push(attr ?? `\`${spec.keyword}\`: ${spec.doc}`);
  }
  const what = produced(a, s.span);
  if (what) parts.push(what);
  return parts.length ? parts.join('\n\n') : undefined;
}

/** What a statement produced: one instance in detail, several as a table. */
function produced(
  a: Analysis,
  span: { start: number; end: number; file?: string },
): string | undefined {
  const runs = instances(a.produced({ file: a.display, start: span.start, end: span.end }));
  if (runs.length === 0) return undefined;
  if (runs.length === 1) {
    const f = figures(runs[0]);
    const last = runs[0][runs[0].length - 1];
    const lines = [
      `**${f.name}** · \`${f.op}\`${f.frozen ? ' · frozen' : ''} · model ${f.model}`,
      '',
      '| output | params | MACs | receptive field |',
      '| --- | ---: | ---: | --- |',
      `| ${f.output} | ${f.params} | ${f.macs} | ${f.rf} |`,
    ];
    const explain =
      runs[0].length === 1 ? a.explainLines(last.model.graph.model, last.node.id) : [];
    if (explain.length) lines.push('', '```text', ...explain, '```');
    return lines.join('\n');
  }
  const rows = runs.slice(0, MAX_ROWS).map(figures);
  const lines = [
    `${runs.length} instances`,
    '',
    '| layer | output | params | MACs | receptive field |',
    '| --- | --- | ---: | ---: | --- |',
    ...rows.map(
      (f: InstanceFigures) => `| ${f.name} | ${f.output} | ${f.params} | ${f.macs} | ${f.rf} |`,
    ),
  ];
  if (runs.length > MAX_ROWS) lines.push('', `… and ${runs.length - MAX_ROWS} more`);
  return lines.join('\n');
}

function importTarget(a: Analysis, module: Module, decl: ImportDecl): string {
  const target = importedModule(module, decl);
  if (!target) return `\`${a.text.slice(decl.span.start, decl.span.end)}\`: not found`;
  const models = [...target.models.keys()];
  const blocks = [...target.blocks.values()].map((b: BlockDecl) => signature(b, target));
  return [
    `reads **${target.display}**`,
    models.length ? `models: ${models.join(', ')}` : 'no models',
    blocks.length ? code(blocks.join('\n')) : 'no blocks',
  ].join('\n\n');
}

function modelTotals(a: Analysis, decl: ModelDecl): string | undefined {
  const m = a.result.models.find((c) => c.graph.model === decl.name.name);
  if (!m) return `model ${decl.name.name}`;
  const s = m.summary;
  const out = m.graph.outputs.length ? m.graph.nodes[m.graph.outputs[0]] : undefined;
  const input = m.graph.nodes.find((n) => n.op === 'input');
  const lines = [`**model ${decl.name.name}**${decl.base ? ` = ${decl.base.name}` : ''}`, ''];
  lines.push(
    `input ${input ? shapeText(m, input) : '?'} → output ${out ? shapeText(m, out) : '?'}`,
  );
  if (s) {
    lines.push(
      '',
      '| params | trainable | MACs | activations / sample |',
      '| ---: | ---: | ---: | ---: |',
      `| ${formatInt(s.params.total)} | ${formatInt(s.params.trainable)} | ${s.macs === null ? '?' : formatInt(s.macs)} | ${formatBytes(s.memory.activationsPerSampleBytes)} |`,
    );
  }
  return lines.join('\n');
}

function code(text: string): string {
  return `\`\`\`cnn\n${text}\n\`\`\``;
}

function wordAt(text: string, offset: number): string {
  let s = offset;
  let e = offset;
  while (s > 0 && /[A-Za-z0-9_]/.test(text[s - 1])) s--;
  while (e < text.length && /[A-Za-z0-9_]/.test(text[e])) e++;
  return text.slice(s, e);
}
