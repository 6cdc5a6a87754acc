/**
 * Inlay hints: the output shape at the end of each line whose statements produce layers (what
 * people write by hand as `// 28x28x6`). A statement in a block gives the shapes of every call
 * (`16x16x64 | 8x8x128`), a call gives what the call returns.
 */
import { InlayHintKind, type InlayHint, type Range } from 'vscode-languageserver';
import { instances, type Analysis } from '../analysis.js';
import { shapeText } from '../describe.js';

/** More different shapes than this on one line are cut short with `…`. */
const MAX_SHAPES = 3;

export function inlayHints(a: Analysis, range: Range): InlayHint[] {
  const doc = a.document;
  const first = range.start.line;
  const last = range.end.line;
  // The statement that ends last on each line decides what the line produces.
  const byLine = new Map<number, { end: number; key: string }>();
  for (const key of a.allProduced().keys()) {
    const end = Number(key.slice(key.indexOf(':') + 1));
    const line = doc.positionAt(end).line;
    if (line < first || line > last) continue;
    const prev = byLine.get(line);
    if (!prev || end > prev.end || (end === prev.end && key < prev.key))
      byLine.set(line, { end, key });
  }
  const hints: InlayHint[] = [];
  for (const [line, { key }] of [...byLine].sort((x, y) => x[0] - y[0])) {
    const produced = a.allProduced().get(key) ?? [];
    const shapes: string[] = [];
    for (const run of instances(produced)) {
      const out = run[run.length - 1];
      const s = shapeText(out.model, out.node);
      if (!shapes.includes(s)) shapes.push(s);
    }
    const label =
      shapes.length > MAX_SHAPES
        ? `${shapes.slice(0, MAX_SHAPES).join(' | ')} | …`
        : shapes.join(' | ');
    const lineText = doc.getText({
      start: { line, character: 0 },
      end: { line: line + 1, character: 0 },
    });
    const character = lineText.replace(/\s+$/, '').length;
    hints.push({
      position: { line, character },
      label,
      kind: InlayHintKind.Type,
      paddingLeft: true,
    });
  }
  return hints;
}
