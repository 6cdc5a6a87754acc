/** Which scopes a diagram collapses: the default rule for large models, and `--expand`. */
import { describe, expect, it } from 'vitest';
import { collapsedFor, defaultCollapsed, MAX_BOXES } from '../../compiler/diagram/expand.js';
import { engine } from '../../compiler/diagram/render.js';
import type { DiagramModel } from '../../compiler/diagram/types.js';
import { diagramModelOf, diagramModelsOf, repositoryCnnFiles } from './models.js';

const boxes = (model: DiagramModel, collapsed: readonly string[]) => [
  ...new Set(engine.boxKeys(model, collapsed)),
];

describe('the default', () => {
  it('ResNet-152 collapses to its stages', () => {
    const model = diagramModelOf('stdlib/resnet.cnn', 'ResNet152');
    expect(model.layers).toHaveLength(515);
    expect(boxes(model, defaultCollapsed(engine, model))).toEqual([
      'n:0',
      's:stem',
      's:stage1',
      's:stage2',
      's:stage3',
      's:stage4',
      's:head',
    ]);
  });

  it('ResNet-18 shows its blocks inside its stages', () => {
    const model = diagramModelOf('stdlib/resnet.cnn', 'ResNet18');
    const shown = boxes(model, defaultCollapsed(engine, model));
    expect(shown.filter((k) => /^s:stage\d\.\d$/.test(k))).toHaveLength(8);
    expect(shown).toContain('n:1'); // stem.conv1, the stem is open
    expect(shown).toHaveLength(15);
  });

  it('small models are drawn whole', () => {
    expect(defaultCollapsed(engine, diagramModelOf('examples/lenet5.cnn'))).toEqual([]);
    expect(defaultCollapsed(engine, diagramModelOf('examples/inception-module.cnn'))).toEqual([]);
  });

  it(`every model with scopes fits in ${MAX_BOXES} boxes, or shows only its top level`, () => {
    for (const file of repositoryCnnFiles()) {
      for (const model of diagramModelsOf(file)) {
        const collapsed = defaultCollapsed(engine, model);
        const topLevel = model.scopes.filter((s) => s.depth === 1).map((s) => s.path);
        const n = boxes(model, collapsed).length;
        if (model.scopes.length > 0 && n > MAX_BOXES)
          expect(collapsed, `${file} ${model.model}`).toEqual(expect.arrayContaining(topLevel));
      }
    }
  });
});

describe('--expand', () => {
  const model = diagramModelOf('stdlib/resnet.cnn', 'ResNet152');
  const expand = (...what: string[]) => collapsedFor(engine, model, what);

  it('all and none', () => {
    expect(expand('all')).toEqual({ ok: true, collapsed: [] });
    expect(expand('none')).toEqual({ ok: true, collapsed: model.scopes.map((s) => s.path) });
  });

  it('a scope opens it and the scopes around it; its own blocks stay collapsed', () => {
    const r = expand('stage3');
    expect(r.ok).toBe(true);
    const shown = r.ok ? boxes(model, r.collapsed) : [];
    expect(shown.filter((k) => k.startsWith('s:stage3.'))).toHaveLength(36);
    expect(shown).toContain('s:stage2');

    const deeper = expand('stage3.0');
    const inner = deeper.ok ? boxes(model, deeper.collapsed) : [];
    expect(inner).toContain('s:stage3.0.shortcut');
    expect(inner).toContain('s:stage3.1');
    // input, and stage3.0's body: conv1 bn1 relu1 conv2 bn2 relu2 conv3 bn3 add1 relu3
    expect(inner.filter((k) => k.startsWith('n:'))).toHaveLength(11);
  });

  it('an unknown scope is reported with a suggestion', () => {
    expect(expand('stgae3')).toEqual({ ok: false, unknown: 'stgae3', suggestion: 'stage3' });
    expect(expand('nothing-like-it')).toMatchObject({ ok: false, suggestion: undefined });
  });
});
