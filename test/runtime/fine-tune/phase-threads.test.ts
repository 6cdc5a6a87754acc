/**
 * Fine-tuning's later phases (`at epoch N unfreeze`, `features cache`) open their engines on the
 * session's --threads: data-parallel on wasm, like the first phase (runtime/fine-tune.ts openPhase).
 * The workers run the compiled dist/ (npm test builds it first).
 */
import { afterAll, expect, it } from 'vitest';
import { compileFile } from '../../../compiler/program.js';
import { resolveSettings } from '../../../compiler/train/settings.js';
import { makeDataset } from '../../../runtime/data/dataset.js';
import { openPhase, phases, type PhaseEngines } from '../../../runtime/fine-tune.js';
import { memPath, memoryHost } from '../../helpers/memory-host.js';

const SOURCE = `
model Ft {
  input 6x6x1
  stem: { conv 4 3x3 same, bn, relu }
  head: { flatten, dense 3 }
  freeze stem
  train { features cache, epochs 2, at epoch 2 unfreeze stem }
}`;

const opened: PhaseEngines[] = [];
afterAll(() => opened.forEach((p) => p.dispose()));

it('opens the engines of a later phase, with cached features, on the threads asked for', async () => {
  const graph = compileFile(memPath('ft.cnn'), memoryHost({ 'ft.cnn': SOURCE })).models[0].graph;
  const { settings, errors } = resolveSettings(graph);
  expect(errors).toEqual([]);
  const [first, second] = phases(graph, settings);
  expect(second).toBeDefined();
  const images = Float32Array.from({ length: 8 * 36 }, (_, i) => Math.sin(i));
  const data = makeDataset(
    't',
    images,
    Int32Array.from({ length: 8 }, (_, i) => i % 3),
    [6, 6, 1],
    3,
  );
  const threadsOf = (e: object) => ('threads' in e ? e.threads : 1);
  const a = await openPhase('wasm', first, settings, null, [data], 2);
  opened.push(a);
  expect(a.features).not.toBeNull();
  expect(threadsOf(a.train)).toBe(2);
  expect(threadsOf(a.full)).toBe(2);
  const previous = { engine: a.full, optimizer: null };
  const b = await openPhase('wasm', second, settings, previous, [data], 2);
  opened.push(b);
  expect(threadsOf(b.train)).toBe(2);
  const one = await openPhase('wasm', second, settings, previous, [data]);
  opened.push(one);
  expect(threadsOf(one.train)).toBe(1);
}, 120_000);
