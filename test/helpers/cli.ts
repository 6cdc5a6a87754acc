/** Runs the cnnc command line in-process, from the repository root, capturing its output. */
import { nodeHost } from '../../compiler/cli/host.js';
import { mainAsync, writeOutput } from '../../compiler/cli/main.js';
import { REPO } from './memory-host.js';

export interface CliResult {
  readonly code: number;
  readonly out: string;
  readonly err: string;
}

export async function runCnnc(args: readonly string[], cwd = REPO): Promise<CliResult> {
  let out = '';
  let err = '';
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
