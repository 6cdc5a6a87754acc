/**
 * Shared by the tests of the emitted train.py: tiny MNIST-style IDX data sets, running train.py
 * (one process, or torchrun with gloo on the CPU), and comparing the weights of two run folders.
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { rng } from '../../../runtime/data/dataset.js';
import { loadCheckpoint } from '../../../runtime/train/checkpoint.js';
import { hasTorch, PYTHON, torchRequired } from '../torch.js';

export { emitPytorch, SKIP_REASON } from '../torch.js';
export { PYTHON };

/** Tests that run train.py: where torch is installed, or where CI requires it. */
export const canTrain = hasTorch || torchRequired;

/** A fresh folder under the system's temporary folder. */
export function tempDir(prefix: string): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), `cnnc-${prefix}-`));
}

function idxBytes(code: number, dims: readonly number[], values: ArrayLike<number>): Uint8Array {
  const size = code === 0x0d ? 4 : 1;
  const out = new Uint8Array(4 + 4 * dims.length + values.length * size);
  const view = new DataView(out.buffer);
  out.set([0, 0, code, dims.length]);
  dims.forEach((d, i) => view.setUint32(4 + 4 * i, d, false));
  const o = 4 + 4 * dims.length;
  for (let i = 0; i < values.length; i++) {
    if (code === 0x0d) view.setFloat32(o + 4 * i, values[i], false);
    else out[o + i] = values[i];
  }
  return out;
}

export interface IdxSetOptions {
  readonly train: number;
  readonly test: number;
  /** [H, W] (one channel) or [H, W, C]. */
  readonly shape: readonly number[];
  readonly classes: number;
  readonly seed: number;
}

/**
 * Writes a seeded random data set of float32 images in [0, 1) and labels as MNIST-style IDX files
 * (train-images-idx3-ubyte, …) into dir; both `idx:DIR` readers take float images as they are.
 */
export function writeIdxSet(dir: string, o: IdxSetOptions): string {
  fs.mkdirSync(dir, { recursive: true });
  const random = rng(o.seed);
  const per = o.shape.reduce((a, b) => a * b, 1);
  for (const [split, n] of [
    ['train', o.train],
    ['t10k', o.test],
  ] as const) {
    const images = Float32Array.from({ length: n * per }, () => random());
    const labels = Uint8Array.from({ length: n }, () => Math.floor(random() * o.classes));
    fs.writeFileSync(
      path.join(dir, `${split}-images-idx3-ubyte`),
      idxBytes(0x0d, [n, ...o.shape], images),
    );
    fs.writeFileSync(path.join(dir, `${split}-labels-idx1-ubyte`), idxBytes(0x08, [n], labels));
  }
  return dir;
}

export interface Run {
  readonly status: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** A TCP port that nothing listens on (the master port of a torchrun). */
function freePort(): number {
  const r = spawnSync(
    PYTHON,
    [
      '-c',
      'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])',
    ],
    { encoding: 'utf8' },
  );
  return Number(r.stdout.trim());
}

/**
 * `python3 train.py ARGS` in the project folder, or with `processes` > 1 torchrun on the CPU
 * (gloo; `--redirects 1 --tee 1` for Debian's torch 1.13; a static rendezvous on a free port,
 * which has no keep-alive to miss on a loaded machine), killed after timeoutMs (status null).
 */
export function trainPy(
  project: string,
  args: readonly string[],
  processes = 1,
  cwd = project,
  env: Readonly<Record<string, string>> = {},
  timeoutMs = 600_000,
): Run {
  const script = path.join(project, 'train.py');
  const command =
    processes === 1
      ? [script, ...args]
      : [
          '-m',
          'torch.distributed.run',
          '--redirects',
          '1',
          '--tee',
          '1',
          '--rdzv_backend',
          'static',
          '--master_addr',
          '127.0.0.1',
          '--master_port',
          String(freePort()),
          `--nproc_per_node=${processes}`,
          script,
          ...args,
        ];
  const r = spawnSync(PYTHON, command, {
    cwd,
    encoding: 'utf8',
    timeout: timeoutMs,
    killSignal: 'SIGKILL',
    env: { ...process.env, OMP_NUM_THREADS: '1', PYTHONDONTWRITEBYTECODE: '1', ...env },
  });
  return { status: r.status, stdout: r.stdout ?? '', stderr: r.stderr ?? '' };
}

/** Fails with the run's output when it did not exit 0. */
export function ok(run: Run): Run {
  if (run.status !== 0)
    throw new Error(`train.py exited ${run.status}:\n${run.stdout}\n${run.stderr}`);
  return run;
}

/** The weights of a run folder's (or a checkpoint folder's) cnnc checkpoint, by name. */
export function weightsOf(dir: string): Map<string, Float32Array> {
  return new Map(loadCheckpoint(dir).weights.map((w) => [w.name, w.data]));
}

export interface WeightDifference {
  /** Per tensor max |a − b| / max |b|, the largest over the tensors. */
  readonly relative: number;
  /** Per tensor max |a − b| / max(max |b|, 1): relative, or absolute for tensors below 1. */
  readonly mixed: number;
  /** The tensor of the largest relative difference. */
  readonly name: string;
}

/** How far the weights of two checkpoints are apart; both must hold the same weights. */
export function weightDifference(a: string, b: string): WeightDifference {
  const wa = weightsOf(a);
  const wb = weightsOf(b);
  if ([...wa.keys()].sort().join() !== [...wb.keys()].sort().join())
    throw new Error(`${a} and ${b} hold different weights`);
  let worst = { relative: 0, mixed: 0, name: '' };
  for (const [name, x] of wa) {
    const y = wb.get(name)!;
    let diff = 0;
    let scale = 0;
    for (let i = 0; i < x.length; i++) {
      diff = Math.max(diff, Math.abs(x[i] - y[i]));
      scale = Math.max(scale, Math.abs(y[i]));
    }
    const relative = diff / Math.max(scale, 1e-30);
    const mixed = Math.max(worst.mixed, diff / Math.max(scale, 1));
    worst = relative > worst.relative ? { relative, mixed, name } : { ...worst, mixed };
  }
  return worst;
}

/** `1.3e-6 (conv1/kernel)`, for the test log. */
export function describeDifference(d: WeightDifference): string {
  return `relative ${d.relative.toExponential(2)} (${d.name}), mixed ${d.mixed.toExponential(2)}`;
}
