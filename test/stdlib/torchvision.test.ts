/**
 * The stdlib's classic CNNs against torchvision. test/baselines/torchvision.json holds the oracle's
 * figures (parameters, batch-norm buffers, MACs, output shape), written by
 * scripts/torchvision-figures.py with Debian's python3-torch; the script is not run here, since CI
 * need not have torch. Each model is checked through the built CLI, as a user would run it:
 * `cnnc summary stdlib/<file> --model <Name> --json`.
 *
 * Besides the totals, the output shapes of the convolution and dense layers must match torch's
 * Conv2d and Linear modules one for one, in execution order: a model that reaches the right totals
 * by a different route fails.
 *
 * A model compiles without diagnostics, but for the warnings in EXPECTED_WARNINGS, which the
 * faithful model has by design: the SqueezeNets' first convolution leaves the last row and column
 * of its 224x224 input unread, as torchvision's does (CNN3003).
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const CLI = fileURLToPath(new URL('../../dist/compiler/cli/main.js', import.meta.url));

interface OracleLayer {
  readonly name: string;
  readonly type: string;
  readonly shape: readonly number[];
}

interface OracleModel {
  readonly model: string;
  readonly file: string;
  readonly torchvision: string | null;
  readonly input: readonly number[];
  readonly output: readonly number[];
  /** Every output's shape, for a model with several (torchvision's InceptionOutputs order). */
  readonly outputs?: readonly (readonly number[])[];
  readonly params: number;
  readonly trainable: number;
  readonly buffers: number;
  readonly macs: number;
  readonly layers: readonly OracleLayer[];
}

interface Oracle {
  readonly models: readonly OracleModel[];
}

interface Summary {
  readonly model: string;
  readonly input: unknown;
  readonly output: unknown;
  readonly outputs?: readonly { readonly name: string; readonly shape: unknown }[];
  readonly params: { readonly total: number; readonly trainable: number; readonly frozen: number };
  readonly buffers: number;
  readonly macs: number;
  readonly layers: readonly {
    readonly name: string;
    readonly op: string;
    readonly output: unknown;
  }[];
}

/** The layers the oracle lists weights for: torch's Conv2d (depthwise included) and Linear. */
const WEIGHTED_OPS = new Set(['conv2d', 'depthwise_conv2d', 'dense']);
const WEIGHTED_TYPES = new Set(['Conv2d', 'Linear']);

const oracle = JSON.parse(
  readFileSync(new URL('../baselines/torchvision.json', import.meta.url), 'utf8'),
) as Oracle;

/** Warnings a faithful model has by design, by model. */
const EXPECTED_WARNINGS: Readonly<Record<string, readonly string[]>> = {
  SqueezeNet1_0: ['CNN3003'],
  SqueezeNet1_1: ['CNN3003'],
};

function summary(file: string, model: string): { summary: Summary; codes: string[] } {
  if (!existsSync(CLI)) throw new Error(`${CLI} is missing; build first (npm run build)`);
  const r = spawnSync(process.execPath, [CLI, 'summary', file, '--model', model, '--json'], {
    cwd: ROOT,
    encoding: 'utf8',
    maxBuffer: 64 * 1024 * 1024,
  });
  if (r.status !== 0) throw new Error(`cnnc summary exited ${r.status}: ${r.stderr}`);
  const codes = [...r.stderr.matchAll(/^(?:error|warning|note)\[(CNN\d+)\]/gm)].map((x) => x[1]);
  return { summary: JSON.parse(r.stdout) as Summary, codes };
}

const cases = oracle.models.map(
  (m) =>
    [
      `${m.model} in ${m.file} = ${m.torchvision ?? 'reference net built in the script'}`,
      m,
    ] as const,
);

describe('stdlib models reproduce torchvision', () => {
  it.each(cases)('%s', (_title, m) => {
    const { summary: s, codes } = summary(m.file, m.model);
    // Per-line suppression may silence an expected warning; any other diagnostic fails.
    expect(codes.filter((c) => !(EXPECTED_WARNINGS[m.model] ?? []).includes(c))).toEqual([]);
    expect(s.model).toBe(m.model);
    expect({
      input: s.input,
      output: s.output,
      params: s.params.total,
      trainable: s.params.trainable,
      buffers: s.buffers,
      macs: s.macs,
    }).toEqual({
      input: m.input,
      output: m.output,
      params: m.params,
      trainable: m.trainable,
      buffers: m.buffers,
      macs: m.macs,
    });
    expect(s.params.frozen).toBe(0);
    // Several outputs: each one's shape, in torchvision's order (main first, then aux).
    expect(s.outputs?.map((o) => o.shape)).toEqual(m.outputs);
    expect(s.layers.filter((l) => WEIGHTED_OPS.has(l.op)).map((l) => l.output)).toEqual(
      m.layers.filter((l) => WEIGHTED_TYPES.has(l.type)).map((l) => l.shape),
    );
  });
});

describe('the torchvision oracle covers the stdlib files it names', () => {
  const files = [...new Set(oracle.models.map((m) => m.file))];
  it.each(files)('%s', (file) => {
    const text = readFileSync(new URL(`../../${file}`, import.meta.url), 'utf8');
    const declared = [...text.matchAll(/^\s*model\s+([A-Za-z_][A-Za-z0-9_]*)/gm)].map((x) => x[1]);
    const covered = oracle.models.filter((m) => m.file === file).map((m) => m.model);
    expect(declared.sort()).toEqual(covered.sort());
  });
});
