/** The per-layer figures of a diff add up to the model's totals. */
import { sumCounts } from '../../compiler/sema/count.js';
import { describe, expect, it } from 'vitest';
import { diffModel } from '../../compiler/diff/index.js';
import { compileFile } from '../../compiler/program.js';
import { nodeHost } from '../../compiler/cli/host.js';
import { REPO } from '../helpers/memory-host.js';
import * as path from 'node:path';

describe('per-layer figures', () => {
  it.each([
    ['examples/resnet-digits.cnn', 'momentum', 1],
    ['examples/budgets.cnn', 'adam', 32],
    ['stdlib/inception.cnn', 'sgd', 8],
  ] as const)(
    '%s (%s, batch %i): an added model’s layers sum to its totals',
    (file, optimizer, batch) => {
      const r = compileFile(path.join(REPO, file), nodeHost(REPO), { optimizer, batch });
      const m = r.models[0];
      const d = diffModel(null, { ...m, summary: m.summary! });
      expect(d.change).toBe('added');
      expect(d.layers).toHaveLength(m.graph.nodes.length);
      for (const key of ['params', 'trainable', 'macs', 'memory'] as const) {
        const sum = sumCounts(d.layers.map((l) => l.deltas[key].delta ?? 0));
        expect(sum, key).toBe(d.totals[key].after);
      }
      // Activations exclude the input, as torchinfo's forward pass size does.
      const activations = sumCounts(d.layers.slice(1).map((l) => l.deltas.activations.delta ?? 0));
      expect(activations).toBe(d.totals.activations.after);
    },
  );
});
