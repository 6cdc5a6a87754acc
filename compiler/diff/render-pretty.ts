/** `cnnc diff --format pretty`: a plain-text report for a terminal. */
import {
  budgetText,
  budgetValues,
  figure,
  FIGURE_ROWS,
  figureParts,
  filePair,
  layerParts,
  signed,
} from './describe.js';
import type { DiffReport, FileDiff, ModelDiff } from './types.js';

export function renderPretty(report: DiffReport): string {
  const out: string[] = [];
  for (const f of report.files) out.push(...fileLines(f), '');
  if (report.files.length === 0)
    out.push(`no .cnn files differ between ${report.before} and ${report.after}`, '');
  return out.join('\n');
}

function fileLines(f: FileDiff): string[] {
  const head = `${filePair(f.before, f.after).join(' → ')} (${f.change})`;
  const lines = [head];
  if (f.models.length === 0) lines.push('  no models');
  for (const m of f.models) lines.push(...modelLines(m));
  return lines;
}

export function countsText(m: ModelDiff): string {
  const c = m.counts;
  const parts = [
    `${c.changed} layer${c.changed === 1 ? '' : 's'} changed`,
    `${c.added} added`,
    `${c.removed} removed`,
  ];
  if (c.renamed) parts.push(`${c.renamed} renamed`);
  return parts.join(', ');
}

function modelLines(m: ModelDiff): string[] {
  const lines: string[] = [];
  const side = m.after ?? m.before!;
  if (m.change === 'unchanged') return [`  ${m.model}: no semantic change`];
  if (m.change === 'added' || m.change === 'removed')
    lines.push(
      `  ${m.model}: model ${m.change} (${side.layers} layers, ${side.input} → ${side.output})`,
    );
  else lines.push(`  ${m.model}: ${countsText(m)}`);

  const rows = FIGURE_ROWS.map((r) => {
    const d = m.totals[r.key];
    return [
      r.label,
      figure(r.key, d.before, m.before === null),
      figure(r.key, d.after, m.after === null),
      signed(r.key, d, true),
    ];
  });
  const widths = [0, 1, 2, 3].map((i) =>
    Math.max(...rows.map((r) => r[i].length), [0, 6, 5, 6][i]),
  );
  const row = (cells: readonly string[]) =>
    `    ${cells[0].padEnd(widths[0])}  ${cells[1].padStart(widths[1])}  ${cells[2].padStart(widths[2])}  ${cells[3].padStart(widths[3])}`.trimEnd();
  lines.push(row(['', 'before', 'after', 'change']));
  for (const r of rows) lines.push(row(r));
  const t = side;
  lines.push(`    (training memory at batch ${t.batch}, ${t.optimizer})`);

  for (const b of m.budgets) {
    if (b.status === 'within' && b.source === 'both files') continue;
    const mark = b.status === 'newly exceeded' ? '✗' : b.status === 'now within' ? '✓' : ' ';
    lines.push(`  ${mark} budget ${budgetText(b)} (${b.source}): ${budgetValues(b)}, ${b.status}`);
  }
  for (const t of m.train)
    lines.push(`    train ${t.key}: ${t.before ?? '(unset)'} → ${t.after ?? '(unset)'}`);

  // An added or removed model's layers are all added or removed: the JSON lists them.
  if (m.layers.length && m.change === 'changed') {
    const nameW = Math.max(...m.layers.map((c) => c.name.length));
    for (const c of m.layers) {
      const parts = [...layerParts(c), ...figureParts(c)];
      lines.push(
        `    ${c.change.padEnd(7)}  ${c.name.padEnd(nameW)}  ${parts.join('; ')}`.trimEnd(),
      );
    }
  }
  return lines;
}
