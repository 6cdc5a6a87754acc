/**
 * Hostile names and source text cannot break out of the SVG or HTML: everything from a source goes
 * through escapeXml, which encodes markup and makes invisible reordering characters visible.
 */
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { escapeXml } from '../../compiler/diagram/escape.js';
import { diagramModel } from '../../compiler/diagram/model.js';
import { renderHtml, renderSvg } from '../../compiler/diagram/render.js';
import type { DiagramModel } from '../../compiler/diagram/types.js';
import { compileFile } from '../../compiler/program.js';
import { memoryHost, memPath } from '../helpers/memory-host.js';

const RLO = '\u202E';
const HOSTILE = `<script>alert(1)</script>]]>"'&${RLO}\u2066x\u0007`;

describe('escapeXml', () => {
  it.each([
    ['<script>', '&lt;script&gt;'],
    [`"quoted" and 'single'`, '&quot;quoted&quot; and &#39;single&#39;'],
    [']]>', ']]&gt;'],
    ['a & b', 'a &amp; b'],
    [`abc${RLO}def`, 'abc&lt;U+202E&gt;def'],
    ['\u2066\u2069\u200F\u061C', '&lt;U+2066&gt;&lt;U+2069&gt;&lt;U+200F&gt;&lt;U+061C&gt;'],
    ['bell\u0007', 'bell&lt;U+0007&gt;'],
    ['\uD800 lone', '&lt;U+D800&gt; lone'],
    ['tab\tand\nnewline', 'tab\tand\nnewline'],
    ['stage2.1 · conv 3x3 — 28×28 💡', 'stage2.1 · conv 3x3 — 28×28 💡'],
  ])('%j', (raw, escaped) => {
    expect(escapeXml(raw)).toBe(escaped);
  });
});

/** A compiled model whose scope, layer names, file path and block call all carry hostile text. */
function hostileModel(): DiagramModel {
  const file = `dir/<b>&"${RLO}x.cnn`;
  const source = [
    'block blk(c: int) { conv c 3x3 same, relu }',
    'model M {',
    '  input 8x8x1',
    `  inner: blk(/* ${HOSTILE} */ 4)`,
    '  gap',
    '  dense 2',
    '}',
  ].join('\n');
  const r = compileFile(memPath(file), memoryHost({ [file]: source }));
  expect(r.diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
  const m = r.models[0];
  const rename = (name: string) => name.replace(/^inner\./, `in${HOSTILE.replace('.', '')}ner.`);
  const graph = { ...m.graph, nodes: m.graph.nodes.map((n) => ({ ...n, name: rename(n.name) })) };
  const summary = {
    ...m.summary!,
    layers: m.summary!.layers.map((l) => ({ ...l, name: rename(l.name) })),
  };
  return diagramModel({ graph, summary, env: m.env }, r.sources);
}

const RAW = ['<script', '</script', ']]>', RLO, '\u2066', '\u0007', '"\''];

describe('hostile names in diagrams', () => {
  it('the model carries the hostile text raw, in a scope, a call and the file', () => {
    const model = hostileModel();
    expect(model.file).toContain('<b>');
    expect(model.scopes[0].path).toContain('<script>');
    expect(model.scopes[0].call).toContain('</script>');
  });

  it('the SVG shows it escaped, and librsvg parses the result', async () => {
    const model = hostileModel();
    for (const collapsed of [[], [model.scopes[0].path]]) {
      const svg = renderSvg(model, collapsed);
      for (const raw of RAW) expect(svg).not.toContain(raw);
      expect(svg).toContain('&lt;script&gt;alert(1)&lt;/script&gt;]]&gt;&quot;&#39;&amp;');
      expect(svg).toContain('&lt;U+202E&gt;&lt;U+2066&gt;');
      const png = await sharp(Buffer.from(svg)).png().toBuffer();
      expect((await sharp(png).metadata()).width).toBeGreaterThan(0);
    }
  });

  it('the HTML has only its own two scripts, and the data attribute holds the text escaped', () => {
    const model = hostileModel();
    const html = renderHtml(model, [], 'var dagre = {};');
    expect(html.match(/<script/gi)).toHaveLength(2);
    expect(html.match(/<\/script/gi)).toHaveLength(2);
    for (const raw of [RLO, '\u2066', '\u0007']) expect(html).not.toContain(raw);
    const attr = /data-model="([^"]*)"/.exec(html)![1];
    expect(attr).not.toMatch(/[<>"']/);
    expect(attr).toContain('&lt;script&gt;');
  });
});
