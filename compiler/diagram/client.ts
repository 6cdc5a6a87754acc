/**
 * The HTML diagram's behaviour in the browser: a click on a collapsed scope's box expands it, a
 * click on an open scope (its cluster) collapses it, and the engine lays the model out again; the
 * buttons expand everything, collapse everything or go back to the first picture; hovering a box or
 * a cluster shows its details (parameters, MACs, receptive field, source) in a side panel.
 *
 * Like the engine, `diagramClient` is shipped as source text (html.ts), so it must stay
 * self-contained. The DOM is described by the few members it uses: the project compiles without the
 * DOM library.
 */
import type { DiagramEngine } from './engine.js';
import type { DiagramModel } from './types.js';

export interface ClientElement {
  closest(selector: string): ClientElement | null;
  querySelector(selector: string): ClientElement | null;
  getAttribute(name: string): string | null;
  readonly classList: { contains(name: string): boolean };
  textContent: string | null;
  innerHTML: string;
  hidden: boolean;
  addEventListener(type: string, listener: (event: { target: ClientElement }) => void): void;
}

export interface ClientDocument {
  getElementById(id: string): ClientElement | null;
}

export function diagramClient(
  engine: DiagramEngine,
  model: DiagramModel,
  initial: readonly string[],
  doc: ClientDocument,
): void {
  const canvas = doc.getElementById('cnnc-canvas');
  const panel = doc.getElementById('cnnc-details');
  if (!canvas || !panel) return;
  let collapsed = initial.slice();
  const draw = () => {
    canvas.innerHTML = engine.svg(model, engine.layout(model, collapsed));
  };
  canvas.addEventListener('click', (event) => {
    const hit = event.target.closest('[data-scope]');
    const path = hit?.getAttribute('data-scope');
    if (!hit || path === null || path === undefined) return;
    if (hit.classList.contains('scope')) collapsed = collapsed.filter((p) => p !== path);
    else if (!collapsed.includes(path)) collapsed = [...collapsed, path];
    draw();
  });
  canvas.addEventListener('mouseover', (event) => {
    const hit = event.target.closest('.box, .cluster');
    const title = hit?.querySelector('title');
    if (!title) return;
    panel.textContent = title.textContent;
    panel.hidden = false;
  });
  const button = (id: string, next: () => string[]) =>
    doc.getElementById(id)?.addEventListener('click', () => {
      collapsed = next();
      draw();
    });
  button('cnnc-expand-all', () => []);
  button('cnnc-collapse-all', () => model.scopes.map((s) => s.path));
  button('cnnc-reset', () => initial.slice());
}
