/**
 * The HTML diagram: one self-contained page. It holds the first picture as inline SVG (readable
 * without scripts), the diagram data in an attribute (escaped like every other text), dagre's
 * browser build, and the source text of the engine, the escaping function and the client, which
 * re-lay the diagram out when a scope is collapsed or expanded. A Content-Security-Policy forbids
 * every fetch, so the page works offline and cannot reach the network.
 */
import { diagramClient } from './client.js';
import { diagramEngine } from './engine.js';
import { escapeXml } from './escape.js';
import type { DiagramModel } from './types.js';

const STYLE = `
body { margin: 0; font: 13px/1.4 system-ui, sans-serif; color: #1a202c; background: #f7fafc; }
header { position: sticky; top: 0; z-index: 1; display: flex; gap: 12px; align-items: center;
  flex-wrap: wrap; padding: 8px 16px; background: #ffffff; border-bottom: 1px solid #cbd5e0; }
header h1 { font-size: 16px; margin: 0; }
header .hint { color: #4a5568; }
button { font: inherit; padding: 2px 10px; cursor: pointer; }
#cnnc-canvas { padding: 16px; }
#cnnc-canvas .scope, #cnnc-canvas .cluster > rect, #cnnc-canvas .cluster > text { cursor: pointer; }
#cnnc-canvas .box:hover > rect { stroke: #d69e2e; stroke-width: 2.5; }
#cnnc-canvas .edges { pointer-events: none; }
#cnnc-details { position: fixed; right: 16px; bottom: 16px; max-width: 420px; margin: 0;
  padding: 8px 12px; background: #ffffff; border: 1px solid #a0aec0; border-radius: 6px;
  font: 12px/1.5 ui-monospace, monospace; white-space: pre-wrap; box-shadow: 0 2px 6px #0002; }
`;

export function diagramHtml(
  model: DiagramModel,
  collapsed: readonly string[],
  svg: string,
  dagreSource: string,
): string {
  const e = escapeXml;
  const script = [
    '"use strict";',
    '(function () {',
    `  var escapeXml = ${escapeXml.toString()};`,
    `  var engine = (${diagramEngine.toString()})(dagre, escapeXml);`,
    "  var data = document.getElementById('cnnc-data');",
    `  (${diagramClient.toString()})(engine, JSON.parse(data.getAttribute('data-model')), JSON.parse(data.getAttribute('data-collapsed')), document);`,
    '})();',
  ].join('\n');
  for (const [what, text] of [
    ['dagre', dagreSource],
    ['the diagram script', script],
  ]) {
    // Either would end the <script> element early; neither occurs in code we ship.
    if (/<\/script|<!--/i.test(text)) throw new Error(`${what} cannot be inlined in a <script>`);
  }
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${e(model.model)} — cnnc diagram</title>
<style>${STYLE}</style>
</head>
<body>
<header>
<h1>${e(model.model)}</h1>
<span>${e(model.file)}</span>
<button type="button" id="cnnc-expand-all">expand all</button>
<button type="button" id="cnnc-collapse-all">collapse all</button>
<button type="button" id="cnnc-reset">reset</button>
<span class="hint">click a box marked + to expand its scope, a scope's frame to collapse it; hover for details</span>
</header>
<main id="cnnc-canvas">
${svg}</main>
<pre id="cnnc-details" hidden></pre>
<div id="cnnc-data" hidden data-model="${e(JSON.stringify(model))}" data-collapsed="${e(JSON.stringify(collapsed))}"></div>
<script>
${dagreSource}
</script>
<script>
${script}
</script>
</body>
</html>
`;
}
