/**
 * Per-output losses in derived models: the derived model's own train block changes what it inherits
 * (its `loss NAME …` replaces the base's for that output, its plain `loss KIND` replaces them all),
 * and an inherited loss for an output that `cut after` or `replace` removed is dropped instead of
 * being reported against the base's file.
 */
import { describe, expect, it } from 'vitest';
import { resolveSettings } from '../../../compiler/train/settings.js';
import { compile } from '../elaborate/helpers.js';

const BASE = `model Two {
  input 28x28x1
  conv 8 3x3 same, relu
  mid: maxpool 2x2
  output aux {
    gap
    dense 10
  }
  conv 16 3x3 same, relu
  gap
  fc: dense 10
  train {
    loss main categorical, aux categorical 0.3
  }
}
`;

/** The errors (code and file; the train block's included) and model D's per-output losses. */
function check(derived: string) {
  const r = compile({ 'main.cnn': `import "base.cnn"\n${derived}`, 'base.cnn': BASE });
  const errors = r.diagnostics
    .filter((d) => d.severity === 'error')
    .map((d) => `${d.code} ${(d.span?.file ?? '').replace(/.*\//, '')}`);
  const m = r.models.find((x) => x.graph.model === 'D');
  const s = m && resolveSettings(m.graph);
  return {
    errors,
    losses: s?.settings.outputLosses?.map((o) => `${o.output} ${o.loss} ${o.weight}`) ?? null,
    loss: s?.settings.loss,
  };
}

describe('per-output losses of a derived model', () => {
  it('inherits the base losses when it says nothing', () => {
    expect(check('model D = Two { }')).toEqual({
      errors: [],
      losses: ['main categorical 1', 'aux categorical 0.3'],
      loss: 'categorical',
    });
  });

  it("replaces an inherited output's loss with its own (not `has a loss already`)", () => {
    expect(check('model D = Two {\n  train { loss main categorical, aux mse 0.5 }\n}')).toEqual({
      errors: [],
      losses: ['main categorical 1', 'aux mse 0.5'],
      loss: 'categorical',
    });
  });

  it('drops the loss of an output that `cut after` removed', () => {
    expect(check('model D = Two {\n  cut after mid\n  append { gap, dense 10 }\n}')).toEqual({
      errors: [],
      losses: ['main categorical 1'],
      loss: 'categorical',
    });
  });

  it('a plain `loss KIND` of its own replaces every inherited per-output loss', () => {
    expect(
      check(
        'model D = Two {\n  cut after mid\n  append { gap, dense 10 }\n  train { loss mse }\n}',
      ),
    ).toEqual({ errors: [], losses: [], loss: 'mse' });
  });

  it('its own mistakes are still reported: twice in its own block, an unknown output', () => {
    expect(
      check('model D = Two {\n  train { loss main categorical, main mse, aux categorical }\n}')
        .errors,
    ).toEqual(['CNN2135 main.cnn']);
    expect(
      check('model D = Two {\n  train { loss main categorical, axu categorical }\n}').errors,
    ).toEqual(['CNN2133 main.cnn']);
  });
});
