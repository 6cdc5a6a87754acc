/** Runs the cnnc command line in-process, from the repository root, capturing its output. */
import { nodeHost } from '../../compiler/cli/host.js';
import { mainAsync, writeOutput } from '../../compiler/cli/main.js';
import { REPO } from './memory-host.js';

export interface CliResult {
  readonly code: number;
  readonly out: string;
  readonly err: string;
}

/** Commands with --threads (default: every core, which on wasm starts a worker per extra core). */
const THREADED = new Set(['train', 'evaluate', 'predict', 'run', 'bench']);

/**
 * Runs `cnnc ARGS`. The commands that take --threads run on one thread unless ARGS name a count:
 * starting wasm workers costs each test a second of CPU, and only the tests of threads need them.
 */
export async function runCnnc(args: readonly string[], cwd = REPO): Promise<CliResult> {
  let out = '';
  let err = '';
  if (THREADED.has(args[0]) && !args.includes('--threads')) args = [...args, '--threads', '1'];
  const code = await mainAsync(args, {
    cwd,
    env: {},
    stdoutIsTTY: false,
    stderrIsTTY: false,
    host: nodeHost(cwd),
    out: (t) => void (out += t),
    err: (t) => void (err += t),
    writeFile: writeOutput,
  });
  return { code, out, err };
}
