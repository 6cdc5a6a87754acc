/** `cnnc lsp [--stdio]`: the language server on stdin and stdout. */
import {
  createConnection,
  StreamMessageReader,
  StreamMessageWriter,
} from 'vscode-languageserver/node';
import { startServer } from '../lsp/server.js';
// The training settings' keys for completion in `train { }`. The one import of the train-settings
// schema by the language server: repoint it when the schema moves into compiler/train/.
import { TRAIN_KEYS } from '../train/settings.js';
import { parseArgs } from './args.js';
import { prettierOptions } from './fmt.js';
import type { ExitCode, Io } from './io.js';

export const LSP_HELP = `usage: cnnc lsp [--stdio]

The language server for editors (the Language Server Protocol, over stdin and stdout): diagnostics
as you type, hover with shapes, parameters, MACs and the arithmetic, output shapes as inlay hints,
completion, go to definition, document symbols, semantic tokens, formatting and quick fixes.
editors/vscode is a VS Code extension that starts it; docs/editors.md describes it.

options:
  --stdio   talk over stdin and stdout (the default; accepted because editors pass it)`;

/** The settings as `key` or `key ARGS…` (TRAIN_KEYS is one comma-separated line). */
export function trainKeys(): string[] {
  return TRAIN_KEYS.split(',').map((k) => k.trim());
}

/** Runs until the client sends `exit` (the connection then ends the process). */
export function runLsp(argv: readonly string[], io: Io): Promise<ExitCode> {
  parseArgs(argv, { stdio: { value: false } });
  const connection = createConnection(
    new StreamMessageReader(process.stdin),
    new StreamMessageWriter(process.stdout),
  );
  startServer(connection, {
    host: io.host,
    cwd: io.cwd,
    trainKeys: trainKeys(),
    formatOptions: prettierOptions,
  });
  return new Promise(() => {});
}
