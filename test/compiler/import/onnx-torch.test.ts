/**
 * `cnnc import onnx` on models PyTorch exported: seeded random torchvision ResNet-18 and
 * MobileNetV2 at 64x64 (test/compiler/import/onnx-export.py, one Python process, opset 13, batch
 * norm kept), imported to a .cnn file and a safetensors file, give PyTorch's outputs through
 * `cnnc run --weights` within 1e-4 (max |cnnc − torch| / max |torch|), and summarise to the stdlib
 * models' parameters, buffers and MACs at the same input; a small module with two outputs
 * (`logits` and `aux/logits`, onnx-export.py's TwoHeads) gives both of them, each written by
 * `cnnc run --output` under its .cnn name. Needs /usr/bin/python3 with torch and
 * torchvision; skipped without them unless CNNC_REQUIRE_TORCH=1.
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseNpy } from '../../../runtime/data/npy.js';
import { hasTorchvision, PYTHON, SKIP_REASON, torchRequired } from '../../codegen/torch.js';
import { runCnnc } from '../../helpers/cli.js';

const MODELS = [
  { name: 'resnet18', stdlib: 'model R = ResNet18 { input 64x64x3 }', model: 'R' },
  { name: 'mobilenet_v2', stdlib: 'model M = MobileNetV2 { input 64x64x3 }', model: 'M' },
];

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cnnc-onnx-torch-'));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));
const cnnc = (args: readonly string[]) => runCnnc(args, dir);
const npy = (file: string) => parseNpy(fs.readFileSync(path.join(dir, file)), file).data;

interface SummaryJson {
  readonly input: unknown;
  readonly output: unknown;
  readonly params: { readonly total: number };
  readonly buffers: number;
  readonly macs: number;
}

async function summary(file: string, model?: string): Promise<SummaryJson> {
  const r = await cnnc(['summary', file, '--json', ...(model ? ['--model', model] : [])]);
  expect(r.code, r.err).toBe(0);
  return JSON.parse(r.out) as SummaryJson;
}

describe.runIf(hasTorchvision || torchRequired)('ONNX models exported by PyTorch', () => {
  beforeAll(() => {
    expect(hasTorchvision, `${PYTHON} cannot import torch and torchvision`).toBe(true);
    const r = spawnSync(
      PYTHON,
      [
        path.join(import.meta.dirname, 'onnx-export.py'),
        dir,
        ...MODELS.map((m) => `${m.name}:64:2`),
        'two_heads:32:2',
      ],
      { encoding: 'utf8', timeout: 300_000, env: { ...process.env, OMP_NUM_THREADS: '2' } },
    );
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    fs.writeFileSync(
      path.join(dir, 'stdlib.cnn'),
      `import resnet\nimport mobilenet\n${MODELS.map((m) => m.stdlib).join('\n')}\n`,
    );
  }, 300_000);

  it.each(MODELS)(
    '$name imports, runs as PyTorch does and sums up as the stdlib model',
    async (m) => {
      const imp = await cnnc(['import', 'onnx', `${m.name}.onnx`]);
      expect(imp.code, imp.err).toBe(0);
      expect(imp.err).toContain(`wrote ${m.name}.safetensors`);
      const text = fs.readFileSync(path.join(dir, `${m.name}.cnn`), 'utf8');
      // Residual adds are written as `residual`, not as merges of two branches.
      expect(text).toMatch(/residual \{/);
      expect(text).not.toMatch(/\badd \{/);

      const run = await cnnc([
        'run',
        `${m.name}.cnn`,
        '--weights',
        `${m.name}.safetensors`,
        '--input',
        `${m.name}-input.npy`,
        '--output',
        `${m.name}-cnnc.npy`,
      ]);
      expect(run.code, run.err).toBe(0);
      expectClose(npy(`${m.name}-cnnc.npy`), npy(`${m.name}-output.npy`));

      const [imported, stdlib] = [
        await summary(`${m.name}.cnn`),
        await summary('stdlib.cnn', m.model),
      ];
      for (const key of ['input', 'output', 'params', 'buffers', 'macs'] as const)
        expect(imported[key], key).toEqual(stdlib[key]);
    },
    120_000,
  );

  it('a module with two outputs imports with a head and gives both of them', async () => {
    const imp = await cnnc(['import', 'onnx', 'two_heads.onnx']);
    expect(imp.code, imp.err).toBe(0);
    // `logits` needs the most layers: the final value, named at the end; `aux/logits` is the head
    // on the pool it reads, named as an identifier. The .cnn lists them in that order (a note).
    expect(imp.err).toContain('CNN2085');
    const text = fs.readFileSync(path.join(dir, 'two_heads.cnn'), 'utf8');
    expect(text).toMatch(/\n {2}maxpool [^\n]*\n {2}output aux_logits \{ {2}\/\/ aux\/logits\n/);
    expect(text).toMatch(/\n {2}output logits\n\}\n$/);
    const run = await cnnc([
      'run',
      'two_heads.cnn',
      '--weights',
      'two_heads.safetensors',
      '--input',
      'two_heads-input.npy',
      '--output',
      'two_heads-cnnc.npy',
    ]);
    expect(run.code, run.err).toBe(0);
    expectClose(npy('two_heads-cnnc.logits.npy'), npy('two_heads-output.0.npy'));
    expectClose(npy('two_heads-cnnc.aux_logits.npy'), npy('two_heads-output.1.npy'));
  }, 120_000);
});

/** max |cnnc − torch| / max |torch| ≤ 1e-4, for an output that is not all zeros. */
function expectClose(ours: Float32Array, torch: Float32Array): void {
  expect(ours.length).toBe(torch.length);
  let err = 0;
  let scale = 0;
  for (let i = 0; i < torch.length; i++) {
    err = Math.max(err, Math.abs(ours[i] - torch[i]));
    scale = Math.max(scale, Math.abs(torch[i]));
  }
  expect(scale).toBeGreaterThan(0);
  expect(err / scale).toBeLessThanOrEqual(1e-4);
}

if (!hasTorchvision && !torchRequired) {
  describe('ONNX models exported by PyTorch', () => {
    it.skip(SKIP_REASON, () => {});
  });
}
