/**
 * `cnnc diagram`'s two outputs from a diagram model: an SVG, and a self-contained HTML page (inline
 * SVG, dagre and a small script, no network) whose scopes collapse and expand on click.
 */
import dagre from '@dagrejs/dagre';
import { diagramEngine, type DagreApi, type DiagramEngine } from './engine.js';
import { escapeXml } from './escape.js';
import { diagramHtml } from './html.js';
import type { DiagramModel } from './types.js';

/** The engine on this side, with the dagre npm module. */
export const engine: DiagramEngine = diagramEngine(dagre as unknown as DagreApi, escapeXml);

export function renderSvg(model: DiagramModel, collapsed: readonly string[]): string {
  return engine.svg(model, engine.layout(model, collapsed));
}

/**
 * `dagreSource` is the text of dagre's browser build (`@dagrejs/dagre/dist/dagre.min.js`, which
 * defines a global `dagre`); the CLI reads it, so that this stays free of file access.
 */
export function renderHtml(
  model: DiagramModel,
  collapsed: readonly string[],
  dagreSource: string,
): string {
  return diagramHtml(model, collapsed, renderSvg(model, collapsed), dagreSource);
}
