/**
 * Shared by the PyTorch code generator's tests: whether /usr/bin/python3 has torch (CI installs it
 * and sets CNNC_REQUIRE_TORCH=1, so a missing torch fails there instead of skipping), emitting a
 * project through the CLI, running the emitted models in one Python process per group
 * (torch-parity.py), and comparing outputs.
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { runCnnc, type CliResult } from '../helpers/cli.js';
import { REPO } from '../helpers/memory-host.js';

export const PYTHON = '/usr/bin/python3';
export const hasTorch = spawnSync(PYTHON, ['-c', 'import torch'], { stdio: 'ignore' }).status === 0;
export const hasTorchvision =
  spawnSync(PYTHON, ['-c', 'import torch, torchvision'], { stdio: 'ignore' }).status === 0;
export const torchRequired = process.env.CNNC_REQUIRE_TORCH === '1';
export const SKIP_REASON = `skipped: ${PYTHON} cannot import torch (apt-get install python3-torch python3-torchvision; CI sets CNNC_REQUIRE_TORCH=1)`;

/** `cnnc compile FILE --emit pytorch -o DIR …`, in-process. */
export function emitPytorch(
  file: string,
  dir: string,
  extra: readonly string[] = [],
  cwd = REPO,
): Promise<CliResult> {
  return runCnnc(['compile', file, '--emit', 'pytorch', '-o', dir, ...extra], cwd);
}

export interface ParityCase {
  /** The emitted project folder; x.npy, y.npy and weights.safetensors are written there. */
  readonly dir: string;
  /** The model name (a key of MODELS). */
  readonly model: string;
  /** NCHW input shape, batch first. */
  readonly input: readonly number[];
  readonly seed: number;
  /** The model's output names, in the graph's order (one file per output when several). */
  readonly outputs: readonly string[];
}

export interface ParityResult {
  readonly dir: string;
  readonly params: number;
  readonly roundtrip: boolean;
  /** Per output: whether `logits=True` changes it. */
  readonly logitsDiffer: readonly boolean[];
  /** Whether `logits` given per output changes only the outputs it names (several outputs). */
  readonly perOutputLogits: boolean;
  /** Breaches of the class attributes' contract (empty when kept). */
  readonly contract: readonly string[];
  readonly frozen: readonly string[];
}

/** Runs torch-parity.py over the cases in one process; one result per case, in order. */
export function runTorchCases(cases: readonly ParityCase[], workDir: string): ParityResult[] {
  const spec = path.join(workDir, `spec-${Math.random().toString(36).slice(2)}.json`);
  fs.writeFileSync(spec, JSON.stringify(cases));
  const r = spawnSync(PYTHON, [path.join(REPO, 'test/codegen/torch-parity.py'), spec], {
    encoding: 'utf8',
    timeout: 600_000,
    env: { ...process.env, OMP_NUM_THREADS: '2' },
  });
  if (r.status !== 0) throw new Error(`torch-parity.py failed (${r.status}):\n${r.stderr}`);
  // The emitted models run without a warning (PyTorch prints them on stderr).
  if (r.stderr.trim()) throw new Error(`torch-parity.py printed:\n${r.stderr}`);
  return r.stdout
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as ParityResult);
}

export { readNpy, relativeError } from './compare.js';

/** `python3 -m py_compile` on files; the error text when one fails. */
export function pyCompile(files: readonly string[]): string | null {
  const r = spawnSync(
    PYTHON,
    [
      '-c',
      'import py_compile, sys\nfor f in sys.argv[1:]: py_compile.compile(f, doraise=True)',
      ...files,
    ],
    {
      encoding: 'utf8',
      env: {
        ...process.env,
        PYTHONDONTWRITEBYTECODE: '1',
        PYTHONPYCACHEPREFIX: '/tmp/cnnc-pycache',
      },
    },
  );
  return r.status === 0 ? null : r.stderr;
}
