/**
 * `npm run bench`, the emitted PyTorch training script: `cnnc compile examples/lenet5.cnn --emit
 * pytorch`, then the training images/s of its train.py on one process (1 and 2 threads) and on two
 * (torchrun, gloo, one thread each, batch 16 per process so that the global batch is the file's
 * 32), beside `cnnc train`'s (wasm backend) on the same data in the same run: the first 10,000
 * MNIST training images, one epoch, the file's train block. Figures, not assertions; a busy machine bends them,
 * PyTorch's two-thread figure most (its threads wait for each other).
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

const PYTHON = '/usr/bin/python3';

export interface TrainPyRow {
  readonly label: string;
  /** Training images/s, or why there is none. */
  readonly imagesPerSecond: number | string;
}

function reportOf(file: string): number | string {
  try {
    return (JSON.parse(fs.readFileSync(file, 'utf8')) as { imagesPerSecond: number })
      .imagesPerSecond;
  } catch (e) {
    return `no report (${(e as Error).message})`;
  }
}

function freePort(): string {
  const r = spawnSync(
    PYTHON,
    [
      '-c',
      'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])',
    ],
    { encoding: 'utf8' },
  );
  return r.stdout.trim();
}

/** The rows of the comparison; `root` is the package, `cli` its built main.js. */
export function benchTrainPy(root: string, cli: string): TrainPyRow[] {
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'cnnc-bench-train-py-'));
  try {
    const project = path.join(work, 'lenet5-torch');
    const lenet = path.join(root, 'examples', 'lenet5.cnn');
    const emitted = spawnSync(
      process.execPath,
      [cli, 'compile', lenet, '--emit', 'pytorch', '-o', project],
      {
        encoding: 'utf8',
      },
    );
    if (emitted.status !== 0) return [{ label: 'emit', imagesPerSecond: emitted.stderr.trim() }];
    const common = ['--limit', '10000', '--epochs', '1', '--quiet'];
    const rows: TrainPyRow[] = [];
    const cnnc = spawnSync(
      process.execPath,
      [
        cli,
        'train',
        lenet,
        ...common,
        '--out',
        path.join(work, 'cnnc'),
        '--report',
        path.join(work, 'cnnc.json'),
      ],
      { encoding: 'utf8', cwd: root },
    );
    rows.push({
      label: 'cnnc train (wasm)',
      imagesPerSecond:
        cnnc.status === 0 ? reportOf(path.join(work, 'cnnc.json')) : cnnc.stderr.trim(),
    });
    const script = path.join(project, 'train.py');
    const runs: [string, string[], Record<string, string>][] = [
      ['train.py, 1 process, 1 thread', [script], { OMP_NUM_THREADS: '1' }],
      ['train.py, 1 process, 2 threads', [script], { OMP_NUM_THREADS: '2' }],
      [
        'train.py, torchrun 2 processes (batch 16 each)',
        [
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
          freePort(),
          '--nproc_per_node=2',
          script,
          '--batch',
          '16',
        ],
        { OMP_NUM_THREADS: '1' },
      ],
    ];
    for (const [label, args, env] of runs) {
      const report = path.join(work, `${rows.length}.json`);
      const r = spawnSync(
        PYTHON,
        [...args, ...common, '--out', path.join(work, `run-${rows.length}`), '--report', report],
        { encoding: 'utf8', cwd: root, env: { ...process.env, ...env }, timeout: 900_000 },
      );
      rows.push({
        label,
        imagesPerSecond:
          r.status === 0
            ? reportOf(report)
            : `failed: ${(r.stderr || r.stdout).trim().split('\n').pop()}`,
      });
    }
    return rows;
  } finally {
    fs.rmSync(work, { recursive: true, force: true });
  }
}
