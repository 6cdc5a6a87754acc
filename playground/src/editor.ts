/**
 * The editor: CodeMirror 6 with cnnc's language service. After each change (debounced) the text is
 * compiled and the language server's providers, run here on the same Analysis, give:
 *   - the highlighting (semantic tokens, from cnnc's lexer and the compiled file),
 *   - the diagnostics as lint marks (code, span, message, notes and help),
 *   - the output shape at the end of each line (inlay hints),
 *   - hover details (output, params, MACs, receptive field, the arithmetic of `summary --explain`).
 */
import { EditorState, RangeSetBuilder, StateEffect, StateField } from '@codemirror/state';
import {
  Decoration,
  EditorView,
  WidgetType,
  drawSelection,
  highlightActiveLine,
  hoverTooltip,
  lineNumbers,
  type DecorationSet,
} from '@codemirror/view';
import { setDiagnostics, lintGutter, type Diagnostic as CmDiagnostic } from '@codemirror/lint';
import type { Analysis } from '../../compiler/lsp/analysis.js';
import { hover } from '../../compiler/lsp/providers/hover.js';
import { inlayHints } from '../../compiler/lsp/providers/inlay-hints.js';
import { SEMANTIC_LEGEND, semanticTokens } from '../../compiler/lsp/providers/semantic-tokens.js';
import { analyse } from './compile.js';

class ShapeWidget extends WidgetType {
  constructor(readonly label: string) {
    super();
  }
  override eq(other: ShapeWidget): boolean {
    return other.label === this.label;
  }
  toDOM(): HTMLElement {
    const span = document.createElement('span');
    span.className = 'cm-shape';
    span.textContent = this.label;
    return span;
  }
}

const setAnalysis = StateEffect.define<DecorationSet>();

/** Token colours and line-end shapes of the last analysis, mapped through edits made since. */
const decorations = StateField.define<DecorationSet>({
  create: () => Decoration.none,
  update(value, tr) {
    for (const e of tr.effects) if (e.is(setAnalysis)) return e.value;
    return value.map(tr.changes);
  },
  provide: (f) => EditorView.decorations.from(f),
});

function decorationsOf(a: Analysis, state: EditorState): DecorationSet {
  const marks: { from: number; to: number; deco: Decoration }[] = [];
  const data = semanticTokens(a).data;
  let line = 0;
  let char = 0;
  for (let i = 0; i + 4 < data.length; i += 5) {
    line += data[i];
    char = data[i] === 0 ? char + data[i + 1] : data[i + 1];
    if (line + 1 > state.doc.lines) break;
    const from = state.doc.line(line + 1).from + char;
    const to = Math.min(from + data[i + 2], state.doc.length);
    const type = SEMANTIC_LEGEND.tokenTypes[data[i + 3]];
    if (to > from) marks.push({ from, to, deco: Decoration.mark({ class: `cm-tok-${type}` }) });
  }
  const last = state.doc.lines - 1;
  for (const h of inlayHints(a, {
    start: { line: 0, character: 0 },
    end: { line: last, character: 0 },
  })) {
    if (h.position.line > last) continue;
    const at = state.doc.line(h.position.line + 1).to;
    const label = typeof h.label === 'string' ? h.label : h.label.map((p) => p.value).join('');
    marks.push({
      from: at,
      to: at,
      deco: Decoration.widget({ widget: new ShapeWidget(label), side: 1 }),
    });
  }
  marks.sort((x, y) => x.from - y.from || x.to - y.to);
  const b = new RangeSetBuilder<Decoration>();
  for (const m of marks) b.add(m.from, m.to, m.deco);
  return b.finish();
}

function lintOf(a: Analysis, length: number): CmDiagnostic[] {
  return a.diagnostics.map((d) => {
    const from = Math.min(d.span?.start ?? 0, length);
    const to = Math.min(Math.max(d.span?.end ?? from, from), length);
    const extra = [...d.notes.map((n) => `note: ${n}`), ...(d.help ? [`help: ${d.help}`] : [])];
    return {
      from,
      to,
      severity: d.severity === 'note' ? 'info' : d.severity,
      source: d.code,
      message: d.message,
      renderMessage: () => {
        const div = document.createElement('div');
        div.textContent = `${d.code}: ${d.message}`;
        if (extra.length) {
          const notes = document.createElement('div');
          notes.className = 'cnnc-notes';
          notes.textContent = extra.join('\n');
          div.append(notes);
        }
        return div;
      },
    };
  });
}

export interface CnnEditor {
  readonly view: EditorView;
  /** The analysis of the current text (compiled now if a change is pending). */
  analysis(): Analysis;
  setText(text: string): void;
}

export function createEditor(
  parent: HTMLElement,
  text: string,
  onAnalysis: (a: Analysis) => void,
): CnnEditor {
  let current: Analysis | undefined;
  let timer: ReturnType<typeof setTimeout> | undefined;

  const refresh = () => {
    timer = undefined;
    const state = view.state;
    current = analyse(state.doc.toString());
    view.dispatch(setDiagnostics(state, lintOf(current, state.doc.length)), {
      effects: setAnalysis.of(decorationsOf(current, state)),
    });
    onAnalysis(current);
  };

  const hovers = hoverTooltip((v, pos) => {
    const a = current;
    if (!a || a.text !== v.state.doc.toString()) return null;
    const line = v.state.doc.lineAt(pos);
    const h = hover(a, { line: line.number - 1, character: pos - line.from });
    if (!h) return null;
    const value = typeof h.contents === 'object' && 'value' in h.contents ? h.contents.value : '';
    return {
      pos,
      create: () => {
        const pre = document.createElement('pre');
        pre.textContent = value.replace(/\*\*/g, '').replace(/^```\w*$/gm, '');
        return { dom: pre };
      },
    };
  });

  const view = new EditorView({
    parent,
    state: EditorState.create({
      doc: text,
      extensions: [
        lineNumbers(),
        lintGutter(),
        drawSelection(),
        highlightActiveLine(),
        decorations,
        hovers,
        EditorView.updateListener.of((u) => {
          if (!u.docChanged) return;
          if (timer) clearTimeout(timer);
          timer = setTimeout(refresh, 150);
        }),
      ],
    }),
  });
  refresh();

  return {
    view,
    analysis() {
      if (timer) {
        clearTimeout(timer);
        refresh();
      }
      return current!;
    },
    setText(t) {
      view.dispatch({ changes: { from: 0, to: view.state.doc.length, insert: t } });
      if (timer) clearTimeout(timer);
      refresh();
    },
  };
}
