/**
 * Lines to text, with the comments at the ends of lines placed:
 *
 * - comments that started at the same column in the source (a column of `// 28x28x6` notes, as in
 *   stdlib/inception.cnn) stay aligned: at that column, or further right when a line's code now
 *   reaches it, all of them together;
 * - a comment that shared its column with no other goes one space after its code.
 *
 * Formatting its own output changes nothing: aligned comments come back at one column, which they
 * fit, and a comment one space after its code stays there.
 */
import type { Line } from './layout.js';

export function renderLines(lines: readonly Line[], indent: number): string {
  const code = (l: Line) => ' '.repeat(l.depth * indent) + l.text;
  const byCol = new Map<number, number[]>();
  lines.forEach((l, i) => {
    if (!l.eol) return;
    const list = byCol.get(l.eol.sourceCol) ?? [];
    list.push(i);
    byCol.set(l.eol.sourceCol, list);
  });
  const col = new Map<number, number>();
  for (const [sourceCol, members] of byCol) {
    const need = Math.max(...members.map((i) => code(lines[i]).length + 1));
    const at = members.length > 1 ? Math.max(sourceCol, need) : need;
    for (const i of members) col.set(i, at);
  }
  const out = lines.map((l, i) => {
    if (l.text === '') return '';
    const c = code(l);
    return l.eol ? `${c.padEnd(col.get(i)!)}${l.eol.text}` : c;
  });
  return out.length ? `${out.join('\n')}\n` : '';
}
