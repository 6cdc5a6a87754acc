/** Runs the CLI in-process with captured output, from the repository root (relative paths). */
import { main, writeOutput } from '../../compiler/cli/main.js';
import { nodeHost } from '../../compiler/cli/host.js';
import { REPO } from '../helpers/memory-host.js';

export interface CliRun {
  readonly code: number;
  readonly out: string;
  readonly err: string;
}

export function cli(args: readonly string[], env: Record<string, string> = {}, cwd = REPO): CliRun {
  let out = '';
  let err = '';
  const code = main(args, {
    cwd,
    env,
    stdoutIsTTY: false,
    stderrIsTTY: false,
    host: nodeHost(cwd),
    out: (t) => {
      out += t;
    },
    err: (t) => {
      err += t;
    },
    writeFile: writeOutput,
  });
  return { code, out, err };
}
