/**
 * Every stdlib model and example lays out cleanly, as drawn by default and with every scope open:
 * no overlapping boxes, no box outside its cluster (test/diagram/geometry.ts lists the checks).
 */
import { describe, expect, it } from 'vitest';
import { defaultCollapsed } from '../../compiler/diagram/expand.js';
import { engine } from '../../compiler/diagram/render.js';
import type { Layout } from '../../compiler/diagram/types.js';
import { layoutViolations } from './geometry.js';
import { diagramModelsOf, repositoryCnnFiles } from './models.js';

const cases = repositoryCnnFiles().flatMap((file) =>
  diagramModelsOf(file).map((model) => ({ title: `${file} ${model.model}`, model })),
);

describe('layout geometry', () => {
  it('covers every stdlib model and example', () => {
    expect(cases.length).toBeGreaterThanOrEqual(30);
    expect(cases.map((c) => c.title)).toContain('stdlib/resnet.cnn ResNet152');
  });

  it.each(cases)('$title: default, fully expanded and fully collapsed', ({ model }) => {
    const all = model.scopes.map((s) => s.path);
    for (const collapsed of [defaultCollapsed(engine, model), [], all]) {
      const layout = engine.layout(model, collapsed);
      expect(layoutViolations(layout)).toEqual([]);
      // Every layer is drawn: as its own box or inside a collapsed scope's.
      const keys = new Set(layout.boxes.map((b) => b.key));
      expect(engine.boxKeys(model, collapsed).every((k) => keys.has(k))).toBe(true);
    }
  });
});

describe('the geometry checks find what they look for', () => {
  const box = (key: string, x: number, y: number, cluster = '') => ({
    key,
    kind: 'layer' as const,
    name: key,
    op: 'conv 8 3x3',
    x,
    y,
    width: 40,
    height: 20,
    lines: [key],
    frozen: 'none' as const,
    cluster,
    details: [],
  });
  const cluster = (path: string, x: number, y: number, width: number, height: number) => ({
    path,
    parent: path.includes('.') ? path.slice(0, path.lastIndexOf('.')) : '',
    depth: path.split('.').length,
    x,
    y,
    width,
    height,
    label: path,
    details: [],
  });
  const base: Layout = { width: 300, height: 300, boxes: [], clusters: [], edges: [] };

  it('overlapping boxes', () => {
    const v = layoutViolations({ ...base, boxes: [box('a', 50, 50), box('b', 60, 55)] });
    expect(v).toContain('boxes a and b overlap');
  });

  it('a box outside its cluster, and one inside a cluster not its own', () => {
    const v = layoutViolations({
      ...base,
      clusters: [cluster('s', 100, 100, 100, 100)],
      boxes: [box('a', 250, 250, 's'), box('b', 100, 120)],
    });
    expect(v).toContain('box a leaves its cluster s');
    expect(v).toContain('box b overlaps cluster s, not its own');
  });

  it('a label running into a box, and a clean layout', () => {
    const c = cluster('s', 100, 100, 100, 100);
    expect(layoutViolations({ ...base, clusters: [c], boxes: [box('a', 80, 60, 's')] })).toContain(
      "cluster s's label runs into box a",
    );
    expect(layoutViolations({ ...base, clusters: [c], boxes: [box('a', 100, 110, 's')] })).toEqual(
      [],
    );
  });
});
