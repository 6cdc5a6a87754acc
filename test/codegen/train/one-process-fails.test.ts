/**
 * train.py under torchrun (2 processes, gloo on the CPU) when one process fails and the other does
 * not: the run must end, with the failing process's message, well before gloo's 30-minute timeout.
 * A hook loaded into the workers only (sitecustomize.py on PYTHONPATH; train.py has no test code)
 * makes one rank raise at its third backward, hang there, or see a non-finite loss there. Measured
 * on 2 cores (2026-12-07, torch 1.13): each run ends in about 6 s, as long as a run that trains its
 * 3 epochs, with exit status 1. The process that raises exits, which closes its gloo connections,
 * so the other fails at its next collective ("Connection closed by peer"); a process stuck outside
 * any collective is stopped by torchrun's agent (SIGTERM) once the other has exited non-zero; a
 * non-finite loss in one process stops every process at the same step (Processes.any).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  canTrain,
  emitPytorch,
  SKIP_REASON,
  tempDir,
  trainPy,
  writeIdxSet,
} from './train-helpers.js';

const work = tempDir('train-one-fails');
afterAll(() => fs.rmSync(work, { recursive: true, force: true }));

const MODEL = `model Tiny {
  input 8x8x1
  conv 2 3x3, relu
  flatten
  dense 4
  train { optimizer sgd lr 0.05, epochs 3, batch 16, seed 5 }
}
`;

/** Loaded by every Python process on PYTHONPATH; acts only in a worker whose RANK it names. */
const HOOK = `import os

_rank = os.environ.get("RANK")
_mode = os.environ.get("CNNC_TEST_%s" % _rank) if _rank is not None else None
if _mode:
    import time

    import torch

    _calls = [0]
    if _mode == "nan":
        _isfinite = torch.isfinite

        def _patched(t):
            _calls[0] += 1
            return torch.tensor(False) if _calls[0] == 3 else _isfinite(t)

        torch.isfinite = _patched
    else:
        _backward = torch.Tensor.backward

        def _patched(self, *args, **kwargs):
            _calls[0] += 1
            if _calls[0] == 3:
                if _mode == "hang":
                    print("process %s is stuck" % _rank, flush=True)
                    time.sleep(3600)
                raise RuntimeError("injected failure in process %s at step 3" % _rank)
            return _backward(self, *args, **kwargs)

        torch.Tensor.backward = _patched
`;

/** Far below gloo's 30 minutes, far above the ~6 s a run takes: a hang fails the test. */
const LIMIT_MS = 90_000;

describe.runIf(canTrain)('train.py under torchrun, one process failing', () => {
  const project = path.join(work, 'tiny');
  const hook = path.join(work, 'hook');
  let data = '';
  beforeAll(async () => {
    data = writeIdxSet(path.join(work, 'data'), {
      train: 128,
      test: 16,
      shape: [8, 8],
      classes: 4,
      seed: 1,
    });
    fs.mkdirSync(hook);
    fs.writeFileSync(path.join(hook, 'sitecustomize.py'), HOOK);
    fs.writeFileSync(path.join(work, 'tiny.cnn'), MODEL);
    expect((await emitPytorch(path.join(work, 'tiny.cnn'), project)).code).toBe(0);
  });

  /** A 2-process run with the modes of ranks 0 and 1; its result and seconds. */
  const run = (name: string, modes: Readonly<Record<string, string>>) => {
    const env: Record<string, string> = { PYTHONPATH: hook };
    for (const [rank, mode] of Object.entries(modes)) env[`CNNC_TEST_${rank}`] = mode;
    const out = path.join(work, 'runs', name);
    const started = Date.now();
    const r = trainPy(project, ['--data', `idx:${data}`, '--out', out], 2, project, env, LIMIT_MS);
    return { ...r, seconds: (Date.now() - started) / 1000, out };
  };

  it.each([
    ['process 1 raises', { 1: 'raise' }, 'injected failure in process 1 at step 3'],
    ['process 0 raises', { 0: 'raise' }, 'injected failure in process 0 at step 3'],
    ['process 1 raises while process 0 is stuck', { 0: 'hang', 1: 'raise' }, 'process 0 is stuck'],
    [
      'process 1 alone sees a non-finite loss',
      { 1: 'nan' },
      'error: the loss became NaN or infinite at step 3 (epoch 1, batch 3); training stopped',
    ],
  ])('%s: the run ends promptly, exit 1, saying why', (name, modes, message) => {
    const r = run(name.replace(/\W+/g, '-'), modes);
    console.log(`${name}: exit ${r.status} after ${r.seconds.toFixed(1)} s`);
    // null: killed at LIMIT_MS, i.e. it hung.
    expect(r.status, `${r.stdout}\n${r.stderr}`).toBe(1);
    expect(`${r.stdout}${r.stderr}`).toContain(message);
    if (name.includes('stuck')) expect(r.stderr).toContain('injected failure in process 1');
  });
});

if (!canTrain) {
  describe('train.py under torchrun, one process failing', () => {
    it.skip(SKIP_REASON, () => {});
  });
}
