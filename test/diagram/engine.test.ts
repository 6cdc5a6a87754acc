/**
 * The HTML page ships the engine and the escaping function as source text (Function.toString) and
 * runs them in the browser: that text, run on its own with dagre's browser build, must give the
 * same layout and SVG as the engine here, which proves it refers to nothing outside itself.
 */
import * as fs from 'node:fs';
import { createRequire } from 'node:module';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { diagramEngine, type DagreApi, type DiagramEngine } from '../../compiler/diagram/engine.js';
import { escapeXml } from '../../compiler/diagram/escape.js';
import { defaultCollapsed } from '../../compiler/diagram/expand.js';
import { engine } from '../../compiler/diagram/render.js';
import { diagramModelOf } from './models.js';

function browserDagre(): DagreApi {
  const require = createRequire(import.meta.url);
  const dir = path.dirname(require.resolve('@dagrejs/dagre/package.json'));
  const code = fs.readFileSync(path.join(dir, 'dist', 'dagre.min.js'), 'utf8');
  return new Function(`${code}\nreturn dagre;`)() as DagreApi;
}

function shippedEngine(): DiagramEngine {
  const make = new Function(
    'dagre',
    `var escapeXml = ${escapeXml.toString()};\nreturn (${diagramEngine.toString()})(dagre, escapeXml);`,
  ) as (dagre: DagreApi) => DiagramEngine;
  return make(browserDagre());
}

describe('the engine shipped to the browser', () => {
  it.each([
    ['examples/inception-module.cnn', undefined],
    ['stdlib/resnet.cnn', 'ResNet50'],
  ])('%s %s: same SVG from the shipped text', (file, name) => {
    const model = diagramModelOf(file, name);
    const shipped = shippedEngine();
    const states =
      name === undefined
        ? [defaultCollapsed(engine, model), []]
        : [defaultCollapsed(engine, model)];
    for (const collapsed of states) {
      expect(shipped.svg(model, shipped.layout(model, collapsed))).toBe(
        engine.svg(model, engine.layout(model, collapsed)),
      );
    }
  });

  it('the layout is the same for the same input (deterministic)', () => {
    const model = diagramModelOf('stdlib/inception.cnn');
    const collapsed = defaultCollapsed(engine, model);
    expect(JSON.stringify(engine.layout(model, collapsed))).toBe(
      JSON.stringify(engine.layout(diagramModelOf('stdlib/inception.cnn'), collapsed)),
    );
  });
});
