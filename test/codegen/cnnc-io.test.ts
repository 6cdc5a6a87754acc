/**
 * The emitted cnnc_io.py against cnnc's own files: a checkpoint written by `cnnc train` loads into
 * the PyTorch module and gives `cnnc run`'s output; a checkpoint written by save_cnnc_checkpoint
 * is read by `cnnc run` and `cnnc predict` (with the IR hash cnnc expects, so no "different
 * version" warning); the class's CNNC_IR_HASH and CNNC_SOURCE_HASH are what cnnc train records.
 * Malformed safetensors files and checkpoint folders (bad headers, gaps, overlaps, sizes, paths
 * leading outside the folder, symlinks, a FIFO) are refused with a WeightsError that says why.
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { nodeHost } from '../../compiler/cli/host.js';
import { compileFile } from '../../compiler/program.js';
import { irHash, sha256 } from '../../runtime/train/checkpoint.js';
import { runCnnc } from '../helpers/cli.js';
import { REPO } from '../helpers/memory-host.js';
import {
  emitPytorch,
  hasTorch,
  PYTHON,
  readNpy,
  relativeError,
  SKIP_REASON,
  torchRequired,
} from './torch.js';

const work = fs.mkdtempSync(path.join(os.tmpdir(), 'cnnc-codegen-io-'));
afterAll(() => fs.rmSync(work, { recursive: true, force: true }));
const LENET = path.join(REPO, 'examples/lenet5.cnn');

interface Report {
  loadedKeys: number;
  sameFromCheckpoint: boolean;
  leftovers: string[];
  unwrapped: boolean;
  results: Record<string, string>;
}

describe.runIf(hasTorch || torchRequired)('cnnc_io.py', () => {
  let report: Report;
  beforeAll(async () => {
    expect(hasTorch, SKIP_REASON).toBe(true);
    const emitted = await emitPytorch(LENET, path.join(work, 'project'));
    expect(emitted.code, emitted.err).toBe(0);
    const trained = await runCnnc(
      [
        'train',
        LENET,
        '--epochs',
        '1',
        '--limit',
        '64',
        '--backend',
        'reference',
        '--out',
        'runs/LeNet5',
      ],
      work,
    );
    expect(trained.code, trained.err).toBe(0);
    const r = spawnSync(
      PYTHON,
      [
        path.join(REPO, 'test/codegen/cnnc-io-check.py'),
        path.join(work, 'project'),
        'LeNet5',
        work,
      ],
      { encoding: 'utf8', timeout: 120_000, env: { ...process.env, PYTHONDONTWRITEBYTECODE: '1' } },
    );
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    report = JSON.parse(r.stdout) as Report;
  }, 300_000);

  it("loads cnnc train's checkpoint (the run folder or the checkpoint) and gives cnnc run's output", async () => {
    expect(report.loadedKeys).toBe(10);
    expect(report.sameFromCheckpoint).toBe(true);
    const run = await runCnnc(
      [
        'run',
        LENET,
        '--weights',
        'runs/LeNet5',
        '--input',
        'x.npy',
        '--output',
        'cnnc-trained.npy',
        '--backend',
        'reference',
      ],
      work,
    );
    expect(run.code, run.err).toBe(0);
    const err = relativeError(
      readNpy(path.join(work, 'cnnc-trained.npy')),
      readNpy(path.join(work, 'trained-y.npy')),
    );
    expect(err).toBeLessThanOrEqual(1e-4);
  });

  it('writes checkpoints cnnc run and cnnc predict read as their own, atomically', async () => {
    expect(report.leftovers).toEqual(['checkpoint']);
    expect(report.unwrapped).toBe(true);
    const run = await runCnnc(
      [
        'run',
        LENET,
        '--weights',
        'saved',
        '--input',
        'x.npy',
        '--output',
        'cnnc-saved.npy',
        '--backend',
        'reference',
      ],
      work,
    );
    expect(run.code, run.err).toBe(0);
    const err = relativeError(
      readNpy(path.join(work, 'cnnc-saved.npy')),
      readNpy(path.join(work, 'saved-y.npy')),
    );
    expect(err).toBeLessThanOrEqual(1e-4);
    const predict = await runCnnc(['predict', LENET, '--weights', 'saved', 'x.npy'], work);
    expect(predict.code, predict.err).toBe(0);
    expect(predict.err).not.toMatch(/different version|warning/);
    const meta = JSON.parse(
      fs.readFileSync(path.join(work, 'saved/checkpoint/cnnc.json'), 'utf8'),
    ) as Record<string, unknown>;
    const graph = compileFile(LENET, nodeHost(REPO)).models[0].graph;
    expect(meta.irHash).toBe(irHash(graph));
    expect(meta.sourceHash).toBe(sha256(fs.readFileSync(LENET, 'utf8')));
    expect(meta.epoch).toBe(3);
    expect(meta.optimizer).toBeNull();
  });

  it.each([
    ['safetensors/short', /shorter than the 8-byte header length/],
    ['safetensors/header-too-long', /header length \d+ exceeds the file/],
    ['safetensors/not-json', /the header is not JSON/],
    ['safetensors/not-object', /not a JSON object/],
    ['safetensors/duplicate-key', /appears twice/],
    ['safetensors/bad-dtype', /dtype 'Q8' is not supported/],
    ['safetensors/bad-shape', /is not a list of sizes/],
    ['safetensors/bool-shape', /is not a list of sizes/],
    ['safetensors/size-mismatch', /4 bytes for F32 \[2\] \(8\)/],
    ['safetensors/past-end', /cover|starts at|bytes/],
    ['safetensors/gap', /starts at byte 4, expected 0/],
    ['safetensors/overlap', /starts at byte 4, expected 8/],
    ['safetensors/trailing-bytes', /cover 4 of the 8 data bytes/],
    ['safetensors/bad-metadata', /__metadata__ is not a map of strings/],
    ['safetensors/good', /^accepted$/],
    ['safetensors/fifo', /not a regular file/],
    ['safetensors/folder', /not a regular file/],
    ['safetensors/missing', /cannot open/],
    ['checkpoint/escaping-path', /is not a plain file name/],
    ['checkpoint/absolute-path', /is not a plain file name/],
    ['checkpoint/symlink-outside', /leads outside the checkpoint folder/],
    ['checkpoint/short-weights', /bytes, expected \d+/],
    ['checkpoint/long-weights', /more than the \d+ allowed/],
    ['checkpoint/not-a-checkpoint', /not a cnnc checkpoint of version 1/],
    ['checkpoint/two-files', /expected one file per weights group/],
    ['checkpoint/none', /no cnnc checkpoint here/],
    ['load/missing', /conv1\/kernel: missing/],
    ['load/unused', /nope\/kernel: not a weight of LeNet5/],
    ['load/misshapen', /conv1\/kernel: shape \[1\]/],
    ['load/partial-allowed', /^accepted$/],
  ])('%s: %s', (name, message) => {
    expect(report.results[name]).toMatch(message);
  });
});

if (!hasTorch && !torchRequired) {
  describe('cnnc_io.py', () => {
    it.skip(SKIP_REASON, () => {});
  });
}
