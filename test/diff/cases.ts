/**
 * Realistic edits of the repository's examples, for the diff goldens: each case is the example as
 * it is (old) and with the edits applied (new).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { diffFile, diffReport, stopsDiff, type FileVersion } from '../../compiler/diff/index.js';
import type { DiffReport } from '../../compiler/diff/types.js';
import { compileFile } from '../../compiler/program.js';
import { memoryHost, memPath, REPO } from '../helpers/memory-host.js';

export interface DiffCase {
  readonly name: string;
  readonly file: string;
  readonly edits: readonly (readonly [string, string])[];
  /** Command-line budgets (`--max-params` …). */
  readonly budgets?: { readonly params?: number; readonly macs?: number };
}

export const DIFF_CASES: readonly DiffCase[] = [
  {
    // The body's last stage from 64 to 128 channels: past the file's 250K parameter budget.
    name: 'widen-stage',
    file: 'examples/budgets.cnn',
    edits: [
      ['conv_bn(64, 2)', 'conv_bn(128, 2)'],
      ['residual { conv_bn(64); conv 64 3x3', 'residual { conv_bn(128); conv 128 3x3'],
    ],
  },
  {
    // A third Inception module before the pool.
    name: 'insert-block',
    file: 'examples/inception-module.cnn',
    edits: [
      [
        '  maxpool 3x3 /2 pad 1',
        '  inc3c: inception(192, 96, 208, 16, 48, 64)    // 32x32x512\n  maxpool 3x3 /2 pad 1',
      ],
    ],
  },
  {
    // A label renamed: every layer in the module is paired by its place, nothing else changes.
    name: 'rename-label',
    file: 'examples/inception-module.cnn',
    edits: [['inc3b:', 'mixed3b:']],
  },
  {
    // The second convolution's kernel from 5x5 to 3x3: shapes move down to the first dense layer.
    name: 'change-kernel',
    file: 'examples/lenet5.cnn',
    edits: [['conv 16 5x5, tanh', 'conv 16 3x3, tanh']],
    budgets: { params: 70_000 },
  },
  {
    // One more stage of the pretrained backbone frozen.
    name: 'freeze-prefix',
    file: 'examples/resnet-digits.cnn',
    edits: [['freeze stem, stage1, stage2', 'freeze stem, stage1, stage2, stage3']],
  },
];

function versionOf(file: string, text: string): FileVersion {
  const r = compileFile(memPath(file), memoryHost({ [file]: text }));
  const errors = r.diagnostics.filter(stopsDiff);
  if (errors.length) throw new Error(`${file}: ${errors.map((d) => d.message).join('; ')}`);
  return {
    path: file,
    models: r.models.map((m) => ({ ...m, summary: m.summary! })),
  };
}

export function runCase(c: DiffCase): DiffReport {
  const old = fs.readFileSync(path.join(REPO, c.file), 'utf8');
  let now = old;
  for (const [from, to] of c.edits) {
    if (!now.includes(from))
      throw new Error(`${c.name}: ${JSON.stringify(from)} is not in ${c.file}`);
    now = now.replace(from, to);
  }
  const before = versionOf(`a/${c.file}`, old);
  const after = versionOf(`b/${c.file}`, now);
  return diffReport(before.path, after.path, [
    diffFile(before, after, 'modified', { budgets: c.budgets ?? {} }),
  ]);
}
