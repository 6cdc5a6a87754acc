/** What a command may touch: output streams, environment and the file system through a Host. */
import type { Host } from '../program.js';

export interface Io {
  readonly cwd: string;
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly stdoutIsTTY: boolean;
  readonly stderrIsTTY: boolean;
  readonly host: Host;
  out(text: string): void;
  err(text: string): void;
  /** Writes a file atomically (temp file + rename); throws on failure. */
  writeFile(path: string, text: string): void;
}

export type ExitCode = 0 | 1 | 2;
