/**
 * `cnnc diff --format markdown`: a report for a pull-request comment. Per model, a table of the
 * totals, any budget newly exceeded as a warning, and a table of the layers that differ; beyond
 * the first LAYER_ROWS rows the layers go into a collapsed `<details>` block.
 */
import {
  budgetText,
  budgetValues,
  figure,
  FIGURE_ROWS,
  filePair,
  layerParts,
  signed,
  signedShort,
} from './describe.js';
import { mdCode, mdText } from './markdown-escape.js';
import { countsText } from './render-pretty.js';
import type { DiffReport, FileDiff, LayerChange, ModelDiff } from './types.js';

/** Layers shown before the rest are folded away. */
export const LAYER_ROWS = 10;

export function renderMarkdown(report: DiffReport): string {
  const out: string[] = ['## cnnc diff', ''];
  const changed = report.files.flatMap((f) => f.models).filter((m) => m.change !== 'unchanged');
  out.push(
    `${mdCode(report.before)} → ${mdCode(report.after)}: ${
      changed.length === 0
        ? 'no semantic change'
        : `${changed.length} model${changed.length === 1 ? '' : 's'} changed in ${report.files.length} file${report.files.length === 1 ? '' : 's'}`
    }`,
    '',
  );
  for (const f of report.files) out.push(...fileLines(f));
  return `${out.join('\n').trimEnd()}\n`;
}

function fileLines(f: FileDiff): string[] {
  const path = filePair(f.before, f.after)
    .map((p) => mdCode(p))
    .join(' → ');
  const out = [`### ${path} (${f.change})`, ''];
  if (f.models.length === 0) out.push('No models.', '');
  for (const m of f.models) out.push(...modelLines(m));
  return out;
}

function modelLines(m: ModelDiff): string[] {
  const side = m.after ?? m.before!;
  const out = [`#### ${mdCode(m.model)}`, ''];
  if (m.change === 'unchanged') return [...out, 'No semantic change.', ''];
  out.push(
    m.change === 'changed'
      ? `${mdText(countsText(m))}.`
      : `Model ${m.change}: ${side.layers} layers, ${mdCode(side.input)} → ${mdCode(side.output)}.`,
    '',
  );
  for (const b of m.budgets.filter(
    (x) => x.status === 'newly exceeded' || x.status === 'now within',
  )) {
    const what = b.status === 'newly exceeded' ? '**Budget exceeded**' : 'Budget met again';
    out.push(
      `> ${b.status === 'newly exceeded' ? '⚠️ ' : ''}${what}: ${mdCode(budgetText(b))} (${b.source}): ${mdText(budgetValues(b))}`,
      '',
    );
  }
  out.push('| | Before | After | Change |', '|:--|--:|--:|--:|');
  for (const r of FIGURE_ROWS) {
    const d = m.totals[r.key];
    out.push(
      `| ${r.label} | ${figure(r.key, d.before, m.before === null)} | ${figure(r.key, d.after, m.after === null)} | ${mdText(signed(r.key, d, true))} |`,
    );
  }
  out.push('', `Training memory at batch ${side.batch}, ${mdText(side.optimizer)}.`, '');
  if (m.train.length) {
    out.push(
      `Training settings: ${m.train.map((t) => `${mdCode(t.key)} ${t.before === null ? '(unset)' : mdCode(t.before)} → ${t.after === null ? '(unset)' : mdCode(t.after)}`).join('; ')}.`,
      '',
    );
  }
  // An added or removed model's layers are all added or removed: the JSON lists them.
  if (m.layers.length === 0 || m.change !== 'changed') return out;
  out.push(...layerTable(m.layers.slice(0, LAYER_ROWS)), '');
  const rest = m.layers.slice(LAYER_ROWS);
  if (rest.length) {
    out.push(
      `<details><summary>${rest.length} more layer${rest.length === 1 ? '' : 's'}</summary>`,
      '',
      ...layerTable(rest),
      '',
      '</details>',
      '',
    );
  }
  return out;
}

function layerTable(layers: readonly LayerChange[]): string[] {
  const rows = [
    '| Layer | | Change | Params | MACs | Activations | Memory |',
    '|:--|:--|:--|--:|--:|--:|--:|',
  ];
  for (const c of layers) {
    const parts = layerParts(c);
    const d = c.deltas;
    if (d.trainable.delta !== 0 && d.trainable.delta !== d.params.delta)
      parts.push(`trainable ${signed('trainable', d.trainable)}`);
    const cells = [
      mdCode(c.name),
      c.change,
      parts.map((p) => mdText(p)).join('; '),
      ...(['params', 'macs', 'activations', 'memory'] as const).map((k) =>
        mdText(signedShort(k, d[k])),
      ),
    ];
    rows.push(`| ${cells.join(' | ')} |`);
  }
  return rows;
}
