/**
 * upsample: the reference kernel against finite differences, and the reference kernel and the tfjs
 * lowering against PyTorch's F.interpolate (torch 1.13, align_corners=False), values and input
 * gradients, for integer factors and target sizes whose ratio is not an integer (where PyTorch's
 * float32 source-row arithmetic decides which row nearest reads: 14 → 46 reads row 6 at row 23).
 */
import { spawnSync } from 'node:child_process';
import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import type { IrNode } from '../../../compiler/ir/graph.js';
import type { UpsampleAttrs } from '../../../compiler/ir/ops.js';
import { upsampleTaps } from '../../../compiler/ir/upsample.js';
import { upsampleKernel } from '../../../runtime/reference/kernels/upsample.js';
import { lowerings } from '../../../runtime/tfjs/lower-ops.js';
import type { LowerContext } from '../../../runtime/tfjs/lower-context.js';
import { cast, type Tensor } from '../../../runtime/reference/tensor.js';
import { hasTorch, PYTHON, SKIP_REASON, torchRequired } from '../../codegen/torch.js';
import { gradCheck } from './gradcheck.js';
import { asKernel, ctxOf, maxDiff, opNode, randomTensor } from './op-node.js';

interface Case {
  readonly title: string;
  /** NHWC */
  readonly shape: readonly [number, number, number, number];
  readonly attrs: UpsampleAttrs;
}

const CASES: readonly Case[] = [
  { title: 'nearest x2', shape: [2, 3, 4, 2], attrs: { mode: 'nearest', scale: [2, 2] } },
  { title: 'nearest 3x2', shape: [1, 3, 4, 2], attrs: { mode: 'nearest', scale: [3, 2] } },
  { title: 'nearest x7', shape: [1, 2, 3, 1], attrs: { mode: 'nearest', scale: [7, 7] } },
  { title: 'nearest 14 → 20', shape: [1, 14, 7, 1], attrs: { mode: 'nearest', size: [20, 10] } },
  { title: 'nearest 14 → 46', shape: [1, 14, 3, 1], attrs: { mode: 'nearest', size: [46, 5] } },
  {
    title: 'nearest x41 (float32)',
    shape: [1, 2, 1, 1],
    attrs: { mode: 'nearest', scale: [41, 1] },
  },
  { title: 'nearest 5 → 3 (down)', shape: [1, 5, 7, 2], attrs: { mode: 'nearest', size: [3, 4] } },
  { title: 'bilinear x2', shape: [2, 3, 4, 2], attrs: { mode: 'bilinear', scale: [2, 2] } },
  { title: 'bilinear 3x5', shape: [1, 3, 2, 2], attrs: { mode: 'bilinear', scale: [3, 5] } },
  { title: 'bilinear 5 → 8', shape: [1, 5, 7, 2], attrs: { mode: 'bilinear', size: [8, 10] } },
  {
    title: 'bilinear 6 → 4 (down)',
    shape: [1, 6, 5, 1],
    attrs: { mode: 'bilinear', size: [4, 3] },
  },
  { title: 'bilinear to 1x1', shape: [1, 4, 3, 1], attrs: { mode: 'bilinear', size: [1, 1] } },
];

const node = (attrs: UpsampleAttrs) => opNode('upsample', attrs);

describe('upsample taps', () => {
  it('nearest 14 → 46 reads row 6 at output row 23, as PyTorch (float32), not 7', () => {
    const t = upsampleTaps({ mode: 'nearest', size: [46, 46] }, 0, 14);
    expect(t.i0[23]).toBe(6);
  });
  it('bilinear x2: half-pixel centres, clamped at the border', () => {
    const t = upsampleTaps({ mode: 'bilinear', scale: [2, 2] }, 0, 3);
    expect([...t.i0]).toEqual([0, 0, 0, 1, 1, 2]);
    expect([...t.i1]).toEqual([1, 1, 1, 2, 2, 2]);
    expect([...t.w1]).toEqual([0, 0.25, 0.75, 0.25, 0.75, 0.25]);
  });
});

describe('upsample kernel', () => {
  it.each(CASES.map((c) => [c.title, c] as const))('%s: finite differences', (_t, c) => {
    const x = randomTensor(c.shape, 3);
    const r = gradCheck(asKernel(upsampleKernel), node(c.attrs), [x]);
    expect(r.mismatches).toEqual([]);
  });
});

/** The tfjs lowering's output and input gradient (for dL/dy = dy). */
function tfjsRun(
  attrs: UpsampleAttrs,
  x: Tensor,
  dy: Tensor,
): { y: Float32Array; dx: Float32Array } {
  const ctx = { tf, training: false } as unknown as LowerContext;
  const n = node(attrs) as IrNode<'upsample'>;
  return tf.tidy(() => {
    const xt = tf.tensor(Float32Array.from(x.data), [...x.shape]);
    const dyt = tf.tensor(Float32Array.from(dy.data), [...dy.shape]);
    const f = (t: tf.Tensor) => lowerings.upsample(ctx, n, [t]);
    const y = f(xt).dataSync() as Float32Array;
    const dx = tf
      .grad((t: tf.Tensor) => tf.sum(tf.mul(f(t), dyt)))(xt)
      .dataSync() as Float32Array;
    return { y: Float32Array.from(y), dx: Float32Array.from(dx) };
  });
}

const TORCH_SCRIPT = String.raw`
import json, sys, torch
import torch.nn.functional as F
out = []
for c in json.load(sys.stdin):
    x = torch.tensor(c["x"], dtype=torch.float32).reshape(c["shape"]).permute(0, 3, 1, 2).contiguous()
    x.requires_grad_(True)
    kw = {"size": tuple(c["size"])} if c.get("size") else {"scale_factor": tuple(float(s) for s in c["scale"])}
    if c["mode"] == "bilinear":
        kw["align_corners"] = False
    y = F.interpolate(x, mode=c["mode"], **kw)
    dy = torch.tensor(c["dy"], dtype=torch.float32).reshape(c["outShape"]).permute(0, 3, 1, 2)
    (y * dy).sum().backward()
    out.append({"y": y.detach().permute(0, 2, 3, 1).reshape(-1).tolist(),
                "dx": x.grad.permute(0, 2, 3, 1).reshape(-1).tolist()})
print(json.dumps(out))
`;

describe.runIf(hasTorch || torchRequired)('upsample against PyTorch F.interpolate', () => {
  const runs = CASES.map((c, i) => {
    const x = cast(randomTensor(c.shape, 10 + i), 'float32');
    const k = asKernel(upsampleKernel)(node(c.attrs), [x], {}, ctxOf());
    const dy = cast(randomTensor(k.output.shape, 50 + i), 'float32');
    const dx = k.backward(dy).inputs[0]!;
    return { c, x, dy, y: k.output, dx };
  });
  const torchOut = (() => {
    if (!hasTorch) return [];
    const input = runs.map(({ c, x, dy }) => ({
      shape: c.shape,
      x: [...x.data],
      mode: c.attrs.mode,
      scale: c.attrs.scale,
      size: c.attrs.size,
      dy: [...dy.data],
      outShape: dy.shape,
    }));
    const r = spawnSync(PYTHON, ['-c', TORCH_SCRIPT], {
      input: JSON.stringify(input),
      encoding: 'utf8',
      env: { ...process.env, OMP_NUM_THREADS: '1' },
    });
    if (r.status !== 0) throw new Error(r.stderr);
    return JSON.parse(r.stdout) as { y: number[]; dx: number[] }[];
  })();

  it.each(runs.map((r, i) => [r.c.title, i] as const))('%s', (title, i) => {
    expect(hasTorch, SKIP_REASON).toBe(true);
    const { c, x, dy, y, dx } = runs[i];
    const t = torchOut[i];
    expect(y.data.length, title).toBe(t.y.length);
    // Nearest copies values: bit for bit. Bilinear sums two or four products: float32 rounding.
    const tol = c.attrs.mode === 'nearest' ? 0 : 1e-6;
    expect(maxDiff(y.data, t.y), `${title}: reference values`).toBeLessThanOrEqual(tol);
    expect(maxDiff(dx.data, t.dx), `${title}: reference gradient`).toBeLessThanOrEqual(1e-5);
    const g = tfjsRun(c.attrs, x, dy);
    expect(maxDiff(g.y, t.y), `${title}: tfjs values`).toBeLessThanOrEqual(tol === 0 ? 0 : 1e-5);
    expect(maxDiff(g.dx, t.dx), `${title}: tfjs gradient`).toBeLessThanOrEqual(1e-5);
  });
});
