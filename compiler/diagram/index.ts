export { escapeXml } from './escape.js';
export { collapsedFor, defaultCollapsed, MAX_BOXES, type ExpandResult } from './expand.js';
export { diagramModel, scopeOf, type DiagramInput } from './model.js';
export { engine, renderHtml, renderSvg } from './render.js';
export type * from './types.js';
